//! The JSON API, version 1, and its OpenAPI document, generated from the handlers' own
//! types so it cannot drift.

pub mod accounts;
pub mod admin;
pub mod bots;
pub mod channels;
pub mod commands;
pub mod events;
pub mod files;
pub mod messages;
pub mod search;
pub mod webhooks;
pub mod workspaces;

use crate::domain::Code;
use actix_web::{HttpResponse, get};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "hearth", description = "Self-hosted team chat: the JSON API, version 1."),
    paths(
        accounts::signup,
        accounts::login,
        accounts::logout,
        accounts::logout_all,
        accounts::password_reset,
        accounts::password_reset_confirm,
        accounts::verify,
        accounts::me,
        accounts::update_me,
        accounts::set_avatar,
        accounts::remove_avatar,
        accounts::profile,
        accounts::preferences,
        accounts::update_preferences,
        accounts::change_password,
        accounts::create_token,
        accounts::list_tokens,
        accounts::revoke_token,
        workspaces::create,
        workspaces::list,
        workspaces::get,
        workspaces::update,
        workspaces::members,
        workspaces::update_member,
        workspaces::invite,
        workspaces::list_invitations,
        workspaces::accept,
        events::list,
        search::search,
        search::suggest,
        channels::create,
        channels::list,
        channels::open_dm,
        channels::get,
        channels::update,
        channels::join,
        channels::leave,
        channels::archive,
        channels::unarchive,
        channels::members,
        channels::add_member,
        channels::remove_member,
        channels::read,
        messages::post,
        messages::history,
        messages::get,
        messages::edit,
        messages::remove,
        messages::thread,
        messages::react,
        messages::unreact,
        messages::pin,
        messages::unpin,
        messages::mark_unread,
        messages::pins,
        admin::list_jobs,
        admin::retry_job,
        files::upload,
        files::get,
        files::list,
        files::remove,
        webhooks::create,
        webhooks::list,
        webhooks::get,
        webhooks::update,
        webhooks::remove,
        webhooks::create_outgoing,
        webhooks::list_outgoing,
        webhooks::get_outgoing,
        webhooks::update_outgoing,
        webhooks::remove_outgoing,
        bots::create,
        bots::list,
        bots::get,
        bots::update,
        bots::remove,
        commands::run_in_channel,
        commands::hints,
        commands::create,
        commands::list,
        commands::get,
        commands::update,
        commands::remove,
    ),
    modifiers(&BearerAuth, &StandardErrors),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The answers every route may give besides its own, added to each operation once:
/// 400 for an unparseable request, 401 when a route needs a caller and none is signed in,
/// 413 and 415 for bodies, 422 for values that do not hold, 429 past a rate limit, 503 when
/// the database is away, and 500. Each is `{"error": {"code", "message"}}`.
struct StandardErrors;

/// Routes anyone may call.
const PUBLIC: &[&str] = &[
    "/api/v1/auth/signup",
    "/api/v1/auth/login",
    "/api/v1/auth/password-reset",
    "/api/v1/auth/password-reset/confirm",
    "/api/v1/auth/verify",
];

impl utoipa::Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
                )
                .build()
        };
        for (path, item) in &mut openapi.paths.paths {
            let public = PUBLIC.contains(&path.as_str());
            let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations {
                let Some(operation) = operation.as_mut() else { continue };
                let mut answers = vec![
                    ("404", "not found, or not yours to see"),
                    ("400", "the request cannot be parsed (a path, query or body that does not fit)"),
                    ("422", "a value does not meet its rules"),
                    ("429", "too many requests; wait for Retry-After"),
                    ("500", "an unexpected failure; nothing internal is said"),
                    ("503", "a backing service (the database) is unavailable"),
                ];
                if !public {
                    answers.push(("401", "not signed in, or the session or token has ended"));
                    answers.push(("403", "not allowed (or, with the session cookie, a missing CSRF token)"));
                }
                if operation.request_body.is_some() {
                    answers.push(("413", "the body is over its limit"));
                    answers.push(("415", "the body is not of the expected media type"));
                }
                for (status, what) in answers {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(what).into());
                }
            }
        }
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// `?limit=&cursor=` of a paginated list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Items per page: 1–200, 50 by default.
    pub limit: Option<usize>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub(crate) fn paging(&self) -> Result<crate::domain::Paging, crate::error::AppError> {
        let limit = page_limit(self.limit)?;
        crate::domain::Paging::parse(self.cursor.as_deref(), i64::try_from(limit).unwrap_or(50))
            .map_err(|e| crate::error::AppError::malformed(e.code, e.message))
    }
}

/// A list's page size from `?limit=`: 50 by default, 1–200 (API.md's convention for lists).
pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize, crate::error::AppError> {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(crate::error::AppError::malformed(Code::InvalidQuery, "limit must be between 1 and 200."));
    }
    Ok(limit)
}

/// The OpenAPI document.
#[get("/api/v1/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
