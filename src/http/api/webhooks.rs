//! `/api/v1/workspaces/{ws}/incoming-webhooks…`: making and managing incoming webhooks.
//! The URLs they post to are in `http/hooks.rs`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{AppState, webhooks};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookRequest {
    /// Where its messages go (a channel the caller may post in).
    pub channel_id: i64,
    /// Shown with its messages, marked as an app (at most 80 characters).
    pub name: String,
    pub icon_url: Option<String>,
    /// Refuse payloads that name another channel.
    #[serde(default)]
    pub channel_locked: bool,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub incoming_webhooks: Vec<wire::IncomingWebhook>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub name: Option<String>,
    pub channel_id: Option<i64>,
    /// An http(s) address, or `""` to remove it.
    pub icon_url: Option<String>,
    pub channel_locked: Option<bool>,
    pub disabled: Option<bool>,
    /// Make a new secret: the answer carries the new URLs, and the old ones stop working.
    #[serde(default)]
    pub regenerate_secret: bool,
}

/// Make an incoming webhook for a channel (workspace admins; members too where the
/// workspace allows it). Its URLs are in this answer only.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path, description = "workspace slug")),
    request_body = NewWebhookRequest,
    responses((status = 201, body = wire::IncomingWebhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/incoming-webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<NewWebhookRequest>,
) -> Result<HttpResponse, AppError> {
    let NewWebhookRequest { channel_id, name, icon_url, channel_locked } = body.into_inner();
    let form = webhooks::NewHook { channel_id, name, icon_url, channel_locked };
    Ok(HttpResponse::Created().json(webhooks::create(&state, &user.0, &ws, form).await?))
}

/// The workspace's incoming webhooks: all of them for admins, their own for members.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path)),
    responses((status = 200, body = WebhookList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/incoming-webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<WebhookList>, AppError> {
    Ok(web::Json(WebhookList { incoming_webhooks: webhooks::list(&state, &user.0, &ws).await? }))
}

/// One incoming webhook, with its recent failures.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = wire::IncomingWebhook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/incoming-webhooks/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<web::Json<wire::IncomingWebhook>, AppError> {
    let (ws, id) = path.into_inner();
    Ok(web::Json(webhooks::get(&state, &user.0, &ws, id).await?))
}

/// Rename, move, lock, disable or re-enable an incoming webhook, or renew its secret.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)), request_body = WebhookPatch,
    responses((status = 200, body = wire::IncomingWebhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}/incoming-webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
    body: web::Json<WebhookPatch>,
) -> Result<web::Json<wire::IncomingWebhook>, AppError> {
    let (ws, id) = path.into_inner();
    let WebhookPatch { name, channel_id, icon_url, channel_locked, disabled, regenerate_secret } = body.into_inner();
    let changes = webhooks::HookChanges {
        name,
        channel_id,
        icon_url: icon_url.map(|u| Some(u).filter(|u| !u.trim().is_empty())),
        channel_locked,
        disabled,
        regenerate_secret,
    };
    Ok(web::Json(webhooks::update(&state, &user.0, &ws, id, changes).await?))
}

/// Remove an incoming webhook: its URLs stop working; what it posted stays.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/workspaces/{ws}/incoming-webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    webhooks::delete(&state, &user.0, &ws, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
