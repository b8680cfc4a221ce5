//! The Slack Web API's transport (`/api/slack/<method>`, GET or POST): a token from
//! `Authorization: Bearer` or a `token` argument, arguments from the query string and a
//! form or JSON body, and Slack's envelope, `200 {"ok": …}`, for every answer but rate
//! limiting (`429` with `Retry-After`), as Slack's SDKs expect.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, route, web};
use serde_json::{Map, Value, json};

use super::body::{BodyError, read_capped};
use crate::app::AppState;
use crate::app::sessions;
use crate::app::slack_api::{self, api_error};
use crate::domain::slack::api::{ApiError, Args};
use crate::error::AppError;

/// The largest body a method takes (a 40,000-character text with its blocks fits).
const BODY_LIMIT: usize = 1024 * 1024;

fn answer(result: Result<Map<String, Value>, ApiError>) -> HttpResponse {
    match result {
        Ok(mut fields) => {
            let mut body = Map::from_iter([("ok".to_owned(), Value::Bool(true))]);
            body.append(&mut fields);
            HttpResponse::Ok().json(Value::Object(body))
        }
        Err(e) => {
            let body = json!({
                "ok": false,
                "error": e.error,
                "response_metadata": {"messages": [format!("[ERROR] {}", e.detail)]},
            });
            match e.retry_after_secs {
                Some(secs) => {
                    HttpResponse::TooManyRequests().insert_header((header::RETRY_AFTER, secs.to_string())).json(body)
                }
                None => HttpResponse::Ok().json(body),
            }
        }
    }
}

/// A method's arguments: the query string, then a form or JSON body.
fn arguments(req: &HttpRequest, body: &[u8]) -> Result<Args, ApiError> {
    let mut args = Args::from_pairs(
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect::<Vec<_>>()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let is_json = content_type.to_ascii_lowercase().starts_with("application/json");
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(args);
    }
    if is_json {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| ApiError::new("invalid_json", format!("The body is not valid JSON: {e}.")))?;
        args.extend_json(value)?;
    } else {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        args.extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    Ok(args)
}

/// The token: `Authorization: Bearer …`, else a `token` argument.
fn token(req: &HttpRequest, args: &mut Args) -> Option<String> {
    let from_arg = args.remove("token").and_then(|v| v.as_str().map(str::to_owned));
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let bearer = header.and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer "))).map(str::trim);
    bearer.map(str::to_owned).or(from_arg).filter(|t| !t.is_empty())
}

/// One call of the Slack Web API.
#[route("/api/slack/{method}", method = "GET", method = "POST")]
pub async fn call(
    state: web::Data<AppState>,
    hub: web::Data<crate::realtime::Hub>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    let method = path.into_inner();
    if !slack_api::is_method(&method) {
        return answer(Err(ApiError::new("unknown_method", format!("hearth does not answer \"{method}\"."))));
    }
    let body = match read_capped(&req, payload, BODY_LIMIT).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            return answer(Err(ApiError::new(
                "request_too_large",
                format!("A call's body can be at most {BODY_LIMIT} bytes."),
            )));
        }
        Err(BodyError::Broken) => return answer(Err(ApiError::new("invalid_request", "The body broke off."))),
    };
    let mut args = match arguments(&req, &body) {
        Ok(args) => args,
        Err(e) => return answer(Err(e)),
    };
    let Some(token) = token(&req, &mut args) else {
        return answer(Err(ApiError::new("not_authed", "Send a token: Authorization: Bearer xoxb-….")));
    };
    let actor = match sessions::authenticate(&state, &token).await {
        Ok(authed) => authed.actor,
        Err(e) => {
            let mut error = api_error(&e);
            if error.error != "account_inactive" && error.error != "service_unavailable" {
                error = ApiError::new("invalid_auth", "That token is not valid, or was revoked.");
            }
            return answer(Err(error));
        }
    };
    let caller = match slack_api::caller(&state, actor, &args).await {
        Ok(caller) => caller,
        Err(e) => return answer(Err(e)),
    };
    let limited = slack_api::writes(&method).then(|| state.limits.write(caller.actor.id(), caller.actor.token_id()));
    if let Some(Err(wait)) = limited {
        let mut error = ApiError::new("ratelimited", "Too many calls at once; wait and try again.");
        error.retry_after_secs = Some(wait.as_secs().max(1));
        return answer(Err(error));
    }
    let result = match slack_api::call(&state, &caller, &method, &args).await {
        Ok((answer, ephemeral)) => {
            if let Some((user_id, message)) = ephemeral {
                hub.ephemeral(user_id, std::slice::from_ref(&message));
            }
            Ok(answer)
        }
        Err(e) => Err(e),
    };
    if let Err(e) = &result {
        if e.error == "internal_error" {
            tracing::error!(method, detail = %e.detail, "a Slack API call failed");
        }
    }
    answer(result)
}

fn plain(status: actix_web::http::StatusCode, body: &'static str) -> HttpResponse {
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(body)
}

/// The upload URL `files.getUploadURLExternal` gave: the file's bytes as the whole body, or
/// as a multipart form's file (`curl -F filename=@…`, as Slack's documentation has it).
/// `200 OK - <bytes>`; `404` for an unknown or expired URL, `409` once something was
/// uploaded to it, `400` when the size is not the one announced, `413` past the limit.
#[actix_web::post("/api/slack/files/upload/{token}")]
pub async fn upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let upload = match slack_api::files::upload_for(&state, &path).await {
        Ok(Some(u)) if u.stored.is_none() => u,
        Ok(Some(_)) => return plain(StatusCode::CONFLICT, "already_uploaded"),
        Ok(None) => return plain(StatusCode::NOT_FOUND, "file_not_found"),
        Err(e) => {
            return plain(
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "internal_error",
            );
        }
    };
    let prefix = format!("ws/{}", upload.workspace_id);
    let max = state.settings.limits.max_file_size.min(u64::try_from(upload.length).unwrap_or(0));
    let name = crate::domain::files::clean_name(&upload.filename);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.to_ascii_lowercase().starts_with("multipart/form-data"));
    // A form carries a little more than its file; more than that is not read.
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if is_form && declared.is_none_or(|n| n > max.saturating_add(64 * 1024)) {
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large");
    }
    let stored = if is_form {
        let mut form = actix_multipart::Multipart::new(req.headers(), payload);
        let mut got = None;
        while let Some(field) = futures_util::StreamExt::next(&mut form).await {
            let Ok(mut field) = field else { break };
            if field.content_disposition().and_then(|d| d.get_filename()).is_some() && got.is_none() {
                got = Some(super::uploads::store_named(&state, &prefix, name.clone(), &mut field, max).await);
            }
        }
        got.unwrap_or_else(|| Err(AppError::malformed(crate::domain::Code::NoFile, "The form holds no file.")))
    } else {
        let mut payload = payload;
        super::uploads::store_named(&state, &prefix, name, &mut payload, max).await
    };
    let stored = match stored {
        Ok(stored) => stored,
        Err(AppError::TooLarge(_)) => return plain(StatusCode::PAYLOAD_TOO_LARGE, "file_too_large"),
        Err(e) if e.status() == 503 => return plain(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
        Err(_) => return plain(StatusCode::BAD_REQUEST, "invalid_upload"),
    };
    let keys: Vec<String> = stored.keys().map(str::to_owned).collect();
    if i64::try_from(stored.size).ok() != Some(upload.length) {
        crate::app::files::discard(&state, &keys).await;
        return plain(StatusCode::BAD_REQUEST, "length_mismatch");
    }
    match slack_api::files::keep(&state, &upload, &stored).await {
        Ok(true) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body(format!("OK - {}", stored.size)),
        Ok(false) => {
            crate::app::files::discard(&state, &keys).await;
            plain(StatusCode::CONFLICT, "already_uploaded")
        }
        Err(_) => {
            crate::app::files::discard(&state, &keys).await;
            plain(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
        }
    }
}
