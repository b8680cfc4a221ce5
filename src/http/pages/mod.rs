//! The server-rendered web UI. Every action is a plain form post that redirects, so the
//! pages work without JavaScript.

pub mod accounts;
pub mod apps;
pub mod channels;
pub mod errors;
pub mod integrations;
pub mod notifications;
pub mod search;
pub mod workspaces;

use crate::domain::Code;
use std::fmt;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, web};

use crate::app::{self, Actor, AppState};
use crate::domain::channels::ChannelKind;
use crate::domain::workspaces::WorkspaceRights;
use crate::error::AppError;
use crate::http::auth::{self, Auth};
use crate::views::pages::{Layout, Nav, NavChannel, NavWorkspace};
use crate::views::{self, assets};

/// An error on a page: sign in first, or an error page.
#[derive(Debug)]
pub enum PageError {
    SignIn { next: String },
    App(AppError),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageError::SignIn { next } => write!(f, "sign in to see {next}"),
            PageError::App(e) => e.fmt(f),
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next } => redirect(&format!("/login?next={}", encode(next))),
            PageError::App(AppError::Unauthenticated(_)) => redirect("/login"),
            PageError::App(e) => errors::card(e),
        }
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

/// A signed-in person on a page; anyone else is sent to sign in and brought back.
pub struct PageUser(pub Auth);

impl actix_web::FromRequest for PageUser {
    type Error = PageError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<PageUser, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match auth::authenticate(&req).await? {
                Some(a) => Ok(PageUser(a)),
                None => {
                    let next = match req.uri().path_and_query() {
                        Some(pq) if req.method() == actix_web::http::Method::GET => pq.to_string(),
                        _ => "/".into(),
                    };
                    Err(PageError::SignIn { next })
                }
            }
        })
    }
}

/// A page visitor who may or may not be signed in.
pub struct MaybeUser(pub Option<Auth>);

impl actix_web::FromRequest for MaybeUser {
    type Error = PageError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<MaybeUser, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeUser(auth::authenticate(&req).await?)) })
    }
}

pub fn html(t: &impl askama::Template) -> PageResult {
    html_status(StatusCode::OK, t)
}

pub fn html_status(status: StatusCode, t: &impl askama::Template) -> PageResult {
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(views::render(t)?))
}

/// Marks a page that shows a secret as never to be kept by a browser or a proxy.
pub fn no_store(res: &mut HttpResponse) {
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
}

/// 303 See Other: the answer to a form post.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// Percent-encodes a value for a query string.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A local path to go to after signing in; anything else (other sites, `//host`) is `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // A path on this server: no scheme, no host, and nothing a browser would strip or
        // reinterpret (`/\t/evil.example` becomes `//evil.example`).
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control()) =>
        {
            n.to_owned()
        }
        _ => "/".into(),
    }
}

/// Form posts made before signing in (sign-in, sign-up, reset) must come from our own pages:
/// an Origin from elsewhere is refused, which stops sign-in cross-site request forgery.
pub fn check_form_origin(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    match req.headers().get(header::ORIGIN) {
        Some(o) if o.to_str().unwrap_or_default() != state.public_url => {
            Err(AppError::forbidden(Code::OriginNotAllowed, "This form must be sent from hearth's own pages."))
        }
        _ => Ok(()),
    }
}

/// Notices shown after a redirect, by code, so that no text is taken from the URL.
pub fn notice_for(code: Option<&str>) -> Option<String> {
    let text = match code? {
        "saved" => "Saved.",
        "invited" => "Invitation sent.",
        "password" => "Password changed. Your other sessions were signed out.",
        "revoked" => "Token revoked.",
        "reset" => "Your new password is set; sign in with it.",
        "reset-sent" => "If an account has that address, a link to reset its password is on its way.",
        "signed-out" => "You are signed out.",
        "verify-sent" => "Your account is made.",
        _ => return None,
    };
    Some(text.into())
}

/// A badge: empty for none, "99+" past 99.
fn count_label(n: i64) -> String {
    match n {
        0 => String::new(),
        1..=99 => n.to_string(),
        _ => "99+".into(),
    }
}

/// The frame of an app page for a signed-in person, with `current` as the open workspace.
pub async fn layout_for(state: &AppState, auth: &Auth, title: &str, current: Option<&str>) -> Result<Layout, AppError> {
    let actor: &Actor = &auth.actor;
    let seq = state.db.read(crate::events::head).await?;
    let workspaces = app::workspaces::list(state, actor).await?;
    let nav_ws: Vec<NavWorkspace> = workspaces
        .iter()
        .map(|w| NavWorkspace {
            slug: w.slug.clone(),
            name: w.name.clone(),
            initial: w.name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default(),
            is_admin: WorkspaceRights::of(w.role).administer,
            current: Some(w.slug.as_str()) == current,
        })
        .collect();
    let current = nav_ws.iter().find(|w| w.current).cloned();
    let (mut channels, mut dms) = (Vec::new(), Vec::new());
    if let Some(ws) = &current {
        for c in app::channels::list(state, actor, &ws.slug).await? {
            let membership = c.membership.clone().unwrap_or_default();
            let is_dm = c.name.is_none();
            let badge = if is_dm { membership.unread_count } else { membership.mention_count };
            let entry = NavChannel {
                id: c.id,
                href: format!("/w/{}/c/{}", ws.slug, c.id),
                label: c.name.clone().unwrap_or_else(|| channels::title_of(&c, actor.id())),
                private: c.kind == ChannelKind::Private,
                active: false,
                unread: membership.unread_count > 0 && !membership.muted,
                muted: membership.muted,
                mentions: count_label(badge),
                peer: match &c.dm_members {
                    Some(people) if people.len() == 2 => {
                        people.iter().find(|u| u.id != actor.id()).map(|u| u.id).unwrap_or(0)
                    }
                    _ => 0,
                },
            };
            if is_dm { dms.push(entry) } else { channels.push(entry) }
        }
    }
    let mut layout = Layout::new(title);
    layout.csrf = auth.csrf_token(state);
    layout.viewer_id = Some(actor.id());
    layout.seq = Some(seq);
    layout.ws = current.as_ref().map(|w| w.slug.clone()).unwrap_or_default();
    layout.nav = Some(Nav {
        username: actor.user.username.clone(),
        display_name: actor.user.display_name.clone(),
        workspaces: nav_ws,
        current,
        can_create_workspace: app::workspaces::may_create(state, actor).is_ok(),
        channels,
        dms,
    });
    Ok(layout)
}

/// The style rule that marks the viewer's own messages and mentions of them: served as a
/// stylesheet (the CSP allows no inline style), one per person, cached for a year under the
/// release's hash (`?v=`), so that a release with other rules is fetched anew. A user
/// id is no secret, so it needs no sign-in.
#[get("/viewer/{id}.css")]
pub async fn viewer_css(id: web::Path<i64>) -> HttpResponse {
    let id = id.into_inner();
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(assets::viewer_css(id))
}

/// How much of a long list a page shows: the first page the API would give, at its largest.
pub const SHOWN: crate::domain::Paging = crate::domain::Paging { offset: 0, limit: crate::domain::Paging::MAX };

/// Compiled-in static files under their content hash, cached for a year. A page of an
/// earlier release (a tab left open over an upgrade) still gets today's files, uncached.
#[get("/static/{hash}/{file}")]
pub async fn static_file(path: web::Path<(String, String)>) -> HttpResponse {
    let (hash, name) = path.into_inner();
    match assets::file(&name) {
        Some((body, content_type)) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header((
                header::CACHE_CONTROL,
                if assets::is_current(&hash) { "public, max-age=31536000, immutable" } else { "no-cache" },
            ))
            .body(body),
        None => HttpResponse::NotFound().finish(),
    }
}
