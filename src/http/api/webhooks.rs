//! `/api/v1/workspaces/{ws}/incoming-webhooks…` and `…/outgoing-webhooks…`: making and
//! managing webhooks. The URLs incoming ones post to are in `http/hooks.rs`.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{AppState, outgoing, webhooks};
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

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutgoingRequest {
    pub name: String,
    /// The one public channel it listens to; absent: every public channel, by trigger word.
    pub channel_id: Option<i64>,
    #[serde(default)]
    pub trigger_words: Vec<String>,
    /// `first_word` (default) or `starts_with`.
    pub trigger_when: Option<String>,
    /// One to five http(s) URLs; each gets every message the hook fires on.
    pub callback_urls: Vec<String>,
    /// `form` (default, Slack's) or `json` (Mattermost's).
    pub content_type: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutgoingPatch {
    pub name: Option<String>,
    /// A channel id, or `null` for every public channel.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub channel_id: Option<Option<i64>>,
    pub trigger_words: Option<Vec<String>>,
    pub trigger_when: Option<String>,
    pub callback_urls: Option<Vec<String>>,
    pub content_type: Option<String>,
    pub disabled: Option<bool>,
    /// A new token for the receivers to check.
    #[serde(default)]
    pub regenerate_token: bool,
}

/// A field that may be absent (no change) or `null` (cleared).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

#[derive(Serialize, ToSchema)]
pub struct OutgoingList {
    pub outgoing_webhooks: Vec<wire::OutgoingWebhook>,
}

/// Make an outgoing webhook: messages of a public channel, or starting with a trigger
/// word, are sent to its callback URLs.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path)), request_body = OutgoingRequest,
    responses((status = 201, body = wire::OutgoingWebhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/outgoing-webhooks")]
pub async fn create_outgoing(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<OutgoingRequest>,
) -> Result<HttpResponse, AppError> {
    let OutgoingRequest { name, channel_id, trigger_words, trigger_when, callback_urls, content_type } =
        body.into_inner();
    let spec = outgoing::HookSpec {
        name: Some(name),
        channel_id: Some(channel_id),
        trigger_words: Some(trigger_words),
        trigger_when,
        callback_urls: Some(callback_urls),
        content_type,
        ..Default::default()
    };
    Ok(HttpResponse::Created().json(outgoing::create(&state, &user.0, &ws, spec).await?))
}

/// The workspace's outgoing webhooks (admins: all; members: their own), with their latest
/// deliveries.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path)),
    responses((status = 200, body = OutgoingList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/outgoing-webhooks")]
pub async fn list_outgoing(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<OutgoingList>, AppError> {
    Ok(web::Json(OutgoingList { outgoing_webhooks: outgoing::list(&state, &user.0, &ws).await? }))
}

#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = wire::OutgoingWebhook), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/outgoing-webhooks/{id}")]
pub async fn get_outgoing(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<web::Json<wire::OutgoingWebhook>, AppError> {
    let (ws, id) = path.into_inner();
    Ok(web::Json(outgoing::get(&state, &user.0, &ws, id).await?))
}

#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)), request_body = OutgoingPatch,
    responses((status = 200, body = wire::OutgoingWebhook), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}/outgoing-webhooks/{id}")]
pub async fn update_outgoing(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
    body: web::Json<OutgoingPatch>,
) -> Result<web::Json<wire::OutgoingWebhook>, AppError> {
    let (ws, id) = path.into_inner();
    let OutgoingPatch {
        name,
        channel_id,
        trigger_words,
        trigger_when,
        callback_urls,
        content_type,
        disabled,
        regenerate_token,
    } = body.into_inner();
    let spec = outgoing::HookSpec {
        name,
        channel_id,
        trigger_words,
        trigger_when,
        callback_urls,
        content_type,
        disabled,
        regenerate_token,
    };
    Ok(web::Json(outgoing::update(&state, &user.0, &ws, id, spec).await?))
}

#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/workspaces/{ws}/outgoing-webhooks/{id}")]
pub async fn remove_outgoing(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    outgoing::delete(&state, &user.0, &ws, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
