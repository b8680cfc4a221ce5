//! Error pages. A page's error is an HTML page with its status (404, 403, 410, 500 …); for a
//! signed-in person it is drawn in the app's frame — their sidebar, the workspace they were
//! in — so that the way back is where it always is. Unknown addresses outside the API get the
//! same page when a browser asks for HTML; API clients keep the JSON error.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::app::AppState;
use crate::domain::Code;
use crate::error::AppError;
use crate::http::auth;
use crate::views::pages::{ErrorPage, Layout, NoticePage};
use crate::views::{self};

/// What went wrong on a page, left on its response for [`frame`] to draw in the app's frame.
#[derive(Debug, Clone)]
struct Failure {
    heading: &'static str,
    message: String,
}

fn heading(e: &AppError) -> &'static str {
    match (e.status(), e.problem().code) {
        (_, Code::InvitationUsed) => "This invitation has been used",
        (404, _) => "Not found",
        (403, _) => "Not allowed",
        (410, _) => "This link has expired",
        (429, _) => "Slow down",
        (400 | 413 | 415 | 422, _) => "That did not work",
        _ => "Something went wrong",
    }
}

/// The error as a page of its own (a card), for anyone; [`frame`] redraws it for people who
/// are signed in.
pub fn card(e: &AppError) -> HttpResponse {
    if let AppError::Unexpected(cause) = e {
        tracing::error!(error = ?cause, "page failed");
    }
    let heading = heading(e);
    let message = e.problem().message;
    let page = NoticePage {
        layout: Layout::new(heading),
        heading: heading.into(),
        message: message.clone(),
        link: Some(("/".into(), "Go to hearth".into())),
    };
    let body = views::render(&page).unwrap_or_else(|_| message.clone());
    let mut res = HttpResponse::build(e.status_code()).content_type("text/html; charset=utf-8").body(body);
    res.extensions_mut().insert(Failure { heading, message });
    res
}

/// Whether a request comes from a browser asking for a page rather than from an API client.
pub fn wants_html(req: &HttpRequest) -> bool {
    let path = req.path();
    let api = ["/api/", "/hooks/", "/static/"].iter().any(|p| path.starts_with(p));
    !api && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// An unknown address: a page for browsers, the API's JSON error for everyone else.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let e = AppError::not_found(Code::NotFound, format!("There is nothing at {}.", req.path()));
    if wants_html(&req) { card(&e) } else { e.error_response() }
}

/// The workspace a path is in: `/w/<slug>/…`.
fn workspace_of(path: &str) -> Option<&str> {
    path.strip_prefix("/w/")?.split('/').next().filter(|s| !s.is_empty())
}

/// Redraws an error page in the app's frame when the visitor is signed in.
pub async fn frame(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let failure = res.response().extensions().get::<Failure>().cloned();
    let Some(failure) = failure else { return Ok(res) };
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else { return Ok(res) };
    let Ok(Some(who)) = auth::identify(res.request()).await else { return Ok(res) };
    let ws = workspace_of(res.request().path()).map(str::to_owned);
    // A workspace the person is not in (or that does not exist) is not drawn: the sidebar
    // then lists the workspaces they are in.
    let Ok(layout) = super::layout_for(&state, &who, failure.heading, ws.as_deref()).await else { return Ok(res) };
    let (href, label) = match layout.nav.as_ref().and_then(|n| n.current.as_ref()) {
        Some(w) => (format!("/w/{}", w.slug), format!("Back to {}", w.name)),
        None => ("/".to_owned(), "Go to hearth".to_owned()),
    };
    let page = ErrorPage { layout, heading: failure.heading.into(), message: failure.message, href, label };
    let Ok(body) = views::render(&page) else { return Ok(res) };
    let (req, old) = res.into_parts();
    let mut fresh = HttpResponse::build(old.status());
    for (name, value) in old.headers() {
        if name != header::CONTENT_LENGTH {
            fresh.append_header((name.clone(), value.clone()));
        }
    }
    Ok(ServiceResponse::new(req, fresh.body(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_of_a_path() {
        assert_eq!(workspace_of("/w/acme/c/3"), Some("acme"));
        assert_eq!(workspace_of("/w/acme"), Some("acme"));
        assert_eq!(workspace_of("/w/"), None);
        assert_eq!(workspace_of("/settings"), None);
    }
}
