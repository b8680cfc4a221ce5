//! Who is calling: the `Authorization: Bearer` header, or the session cookie with its
//! Origin and CSRF checks. A request with `Authorization` ignores cookies.

use crate::domain::Code;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::app::sessions::{self, SessionToken};
use crate::app::{Actor, AppState, Principal};
use crate::error::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hearth_session";
/// The header app.js and API clients send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A renewed session token, left by the extractor for the middleware to set as a cookie.
#[derive(Clone)]
pub struct RenewedSession(pub SessionToken);

/// An authenticated caller, however they authenticated.
pub struct Auth {
    pub actor: Actor,
    /// Authenticated by the session cookie (so CSRF rules apply).
    pub via_cookie: bool,
    /// The `X-CSRF-Token` header matched (always true for bearer requests).
    pub csrf_header_ok: bool,
}

impl Auth {
    /// The CSRF token of this session, for forms and `<meta name="csrf-token">`.
    pub fn csrf_token(&self, state: &AppState) -> String {
        self.actor.session_id().map(|sid| state.keys.csrf_token(sid)).unwrap_or_default()
    }

    /// Checks a form's hidden `csrf_token` field for cookie-authenticated requests.
    pub fn check_form_csrf(&self, state: &AppState, token: &str) -> Result<(), AppError> {
        if !self.via_cookie || self.csrf_header_ok {
            return Ok(());
        }
        match self.actor.session_id() {
            Some(sid) if state.keys.csrf_matches(sid, token) => Ok(()),
            _ => Err(csrf_missing()),
        }
    }
}

fn csrf_missing() -> AppError {
    AppError::forbidden(
        Code::CsrfTokenInvalid,
        "The form has expired or the CSRF token is missing; reload the page and try again.",
    )
}

pub fn state_of(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state is not installed")))
}

/// Counts an anonymous request that costs something (a sign-up, a password-reset request)
/// against its address: 429 with the wait past the limit.
pub fn limit_anonymous(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    state.limits.anonymous(&client_ip(req, state)).map_err(|wait| {
        let secs = wait.as_secs().max(1);
        AppError::rate_limited(
            secs,
            format!("Too many requests from your address; try again in {} minutes.", secs.div_ceil(60)),
        )
    })
}

/// Reads the credential of a request and authenticates it. A request that changes
/// something counts against its person's write limit (429 past it).
pub async fn authenticate(req: &HttpRequest) -> Result<Option<Auth>, AppError> {
    let auth = identify(req).await?;
    if let Some(auth) = &auth {
        if !is_safe(req) {
            state_of(req)?.limits.write(auth.actor.id(), auth.actor.token_id()).map_err(|wait| {
                let secs = wait.as_secs().max(1);
                AppError::rate_limited(secs, format!("Too many changes at once; try again in {secs} s."))
            })?;
        }
    }
    Ok(auth)
}

/// Who is calling, without counting the request against their write limit.
pub(crate) async fn identify(req: &HttpRequest) -> Result<Option<Auth>, AppError> {
    let state = state_of(req)?;
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or_default();
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| AppError::unauthenticated("The Authorization header must be \"Bearer <token>\"."))?;
        let authed = sessions::authenticate(&state, token).await?;
        // Bots speak the Slack-compatible API only: never hearth's own routes or pages.
        if authed.actor.principal() == Principal::Bot {
            return Err(AppError::unauthenticated(
                "A bot token works on the Slack-compatible API (/api/slack/<method>) only.",
            ));
        }
        return Ok(Some(Auth { actor: authed.actor, via_cookie: false, csrf_header_ok: true }));
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    check_origin(req, &state)?;
    let authed = match sessions::authenticate(&state, cookie.value()).await {
        Ok(a) => a,
        // A stale cookie is the same as none: the page offers to sign in.
        Err(AppError::Unauthenticated(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    // A bot's token is no session, wherever it is sent.
    if authed.actor.principal() == Principal::Bot {
        return Ok(None);
    }
    if let Some(renewed) = authed.renewed {
        req.extensions_mut().insert(RenewedSession(renewed));
    }
    let csrf_header_ok = match (authed.actor.session_id(), req.headers().get(CSRF_HEADER)) {
        (Some(sid), Some(v)) => state.keys.csrf_matches(sid, v.to_str().unwrap_or_default()),
        _ => false,
    };
    Ok(Some(Auth { actor: authed.actor, via_cookie: true, csrf_header_ok }))
}

/// A cookie-authenticated request whose Origin is present and is not this server's is
/// refused: it comes from another site's page.
fn check_origin(req: &HttpRequest, state: &AppState) -> Result<(), AppError> {
    match req.headers().get(header::ORIGIN) {
        Some(origin) if origin.to_str().unwrap_or_default() != state.public_url => Err(AppError::forbidden(
            Code::OriginNotAllowed,
            "Requests with the session cookie must come from this server's own pages.",
        )),
        _ => Ok(()),
    }
}

fn is_safe(req: &HttpRequest) -> bool {
    matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS")
}

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Auth, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            authenticate(&req)
                .await?
                .ok_or_else(|| AppError::unauthenticated("Sign in, or send \"Authorization: Bearer <token>\"."))
        })
    }
}

/// An API caller: authenticated, and for cookie requests that change state, with a valid
/// `X-CSRF-Token` header.
pub struct ApiUser(pub Actor);

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<ApiUser, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = Auth::from_request(req, payload);
        let safe = is_safe(req);
        Box::pin(async move {
            let auth = auth.await?;
            if auth.via_cookie && !safe && !auth.csrf_header_ok {
                return Err(AppError::forbidden(
                    Code::CsrfTokenInvalid,
                    "Cookie-authenticated requests that change state need the X-CSRF-Token header.",
                ));
            }
            Ok(ApiUser(auth.actor))
        })
    }
}

/// The session cookie carrying `token`.
pub fn session_cookie(state: &AppState, token: &SessionToken) -> Cookie<'static> {
    let max_age = (token.expires_at - crate::db::now()).num_seconds().max(0);
    Cookie::build(SESSION_COOKIE, token.token.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.public_url.starts_with("https://"))
        .max_age(time::Duration::seconds(max_age))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn expired_session_cookie() -> Cookie<'static> {
    let mut c = Cookie::build(SESSION_COOKIE, "").path("/").http_only(true).same_site(SameSite::Lax).finish();
    c.make_removal();
    c
}

/// The client's address: the peer, or for a trusted proxy the last address it forwarded.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    let peer: Option<IpAddr> = req.peer_addr().map(|a| a.ip());
    if let Some(peer) = peer {
        if state.settings.http.trusted_proxies.contains(&peer) {
            let forwarded = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').map(str::trim).find(|ip| ip.parse::<IpAddr>().is_ok()));
            if let Some(ip) = forwarded {
                return ip.to_owned();
            }
        }
        return peer.to_string();
    }
    "unknown".into()
}

pub fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
