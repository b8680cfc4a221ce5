//! The URLs integrations send to: `POST /hooks/<secret>` (Mattermost's shape) and
//! `POST /services/<T…>/<B…>/<secret>` (Slack's). They answer as Slack does: `200 ok` in
//! plain text, or a status and a plain-text code (`invalid_payload`, `no_text`, …).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::body::{BodyError, read_capped};
use crate::app::AppState;
use crate::app::as_integration::Refusal;
use crate::app::commands::custom::{self, Expired};
use crate::app::incoming::{self, Address};

/// The largest payload accepted, as Mattermost's.
pub const HOOK_BODY_LIMIT: usize = 1024 * 1024;

fn plain(status: u16, body: &'static str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(body)
}

fn refused(r: &Refusal) -> HttpResponse {
    let mut res = plain(r.status, r.code);
    if let Some(secs) = r.retry_after_secs {
        if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, value);
        }
    }
    res
}

fn too_large() -> HttpResponse {
    plain(413, "request_too_large")
}

async fn receive(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
    address: Address<'_>,
    secret: &str,
) -> HttpResponse {
    let body = match read_capped(req, payload, HOOK_BODY_LIMIT).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken) => return plain(400, "invalid_payload"),
    };
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let content_type = content_type.to_ascii_lowercase();
    match incoming::receive(state, address, secret, &content_type, &body).await {
        Ok(_) => plain(200, "ok"),
        Err(refusal) => {
            if refusal.status >= 500 {
                tracing::error!(code = refusal.code, message = %refusal.message, "an incoming webhook failed");
            }
            refused(&refusal)
        }
    }
}

/// An incoming webhook, hearth's and Mattermost's address.
#[post("/hooks/{secret}")]
pub async fn hook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    receive(&state, &req, payload, Address::Hearth, &path).await
}

/// An incoming webhook at Slack's address.
#[post("/services/{team}/{hook}/{secret}")]
pub async fn slack_hook(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    payload: web::Payload,
) -> HttpResponse {
    let (team, id, secret) = path.into_inner();
    receive(&state, &req, payload, Address::Slack { team: &team, hook: &id }, &secret).await
}

/// A slash command's delayed answer (`response_url`): JSON, or plain text shown as it is.
/// `200 ok`; `404 {"ok": false, "error": "expired_url"}` for an unknown or expired URL;
/// `400 used_up` after five answers.
#[post("/hooks/commands/{token}")]
pub async fn command_response(
    state: web::Data<AppState>,
    hub: web::Data<crate::realtime::Hub>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let body = match read_capped(&req, payload, HOOK_BODY_LIMIT).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => return too_large(),
        Err(BodyError::Broken) => return plain(400, "invalid_payload"),
    };
    let text = String::from_utf8_lossy(&body).trim().to_owned();
    let reply = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        _ if text.is_empty() => return plain(400, "no_text"),
        _ => serde_json::json!({"text": text, "mrkdwn": false}),
    };
    match custom::respond(&state, &path, reply).await {
        Ok(Ok((user_id, outcome))) => {
            hub.ephemeral(user_id, &outcome.ephemeral);
            plain(200, "ok")
        }
        Ok(Err(Expired::Gone)) => {
            HttpResponse::NotFound().json(serde_json::json!({"ok": false, "error": "expired_url"}))
        }
        Ok(Err(Expired::UsedUp)) => plain(400, "used_up"),
        Err(e) => {
            let status = e.status();
            if status >= 500 {
                tracing::error!(error = %e, "a command's delayed answer failed");
            }
            let code: &'static str = match status {
                403 | 404 => "channel_not_found",
                422 => "invalid_payload",
                _ => "rollup_error",
            };
            plain(if status >= 500 { 500 } else { 400 }, code)
        }
    }
}
