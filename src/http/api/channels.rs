//! `/api/v1/workspaces/{ws}/channels`, `/api/v1/workspaces/{ws}/dms` and
//! `/api/v1/channels/{id}…`.

use crate::domain::Code;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{AppState, channel_members, channels};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
pub struct ChannelRequest {
    /// Lowercase letters, digits, '-' and '_'; up to 80 characters.
    pub name: String,
    #[serde(default)]
    pub private: bool,
    pub topic: Option<String>,
    pub purpose: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    pub channels: Vec<wire::Channel>,
    /// With `browse=true`: pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// List the public channels you could join instead of the ones you are in (a page at a
    /// time: `limit`, `cursor`).
    #[serde(default)]
    pub browse: bool,
    /// With `browse`: channels per page, 1–200, 50 by default.
    pub limit: Option<usize>,
    /// With `browse`: `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Create a channel.
#[utoipa::path(tag = "channels", params(("ws" = String, Path)), request_body = ChannelRequest,
    responses((status = 201, body = wire::Channel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/channels")]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<ChannelRequest>,
) -> Result<HttpResponse, AppError> {
    let ChannelRequest { name, private, topic, purpose } = body.into_inner();
    let channel =
        channels::create(&state, &user.0, &ws, channels::NewChannelForm { name, private, topic, purpose }).await?;
    Ok(HttpResponse::Created().json(channel))
}

/// The channels and direct messages you are in, with unread and mention counts; or with
/// `browse=true` the public channels you could join.
#[utoipa::path(tag = "channels", params(("ws" = String, Path), ListQuery), responses((status = 200, body = ChannelList), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/channels")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<ChannelList>, AppError> {
    if query.browse {
        let paging = super::PageQuery { limit: query.limit, cursor: query.cursor.clone() }.paging()?;
        let page = channels::browse(&state, &user.0, &ws, paging).await?;
        let channels = page.items.into_iter().map(|(c, _)| c).collect();
        return Ok(web::Json(ChannelList { channels, next_cursor: page.next_cursor }));
    }
    Ok(web::Json(ChannelList { channels: channels::list(&state, &user.0, &ws).await?, next_cursor: None }))
}

#[derive(Deserialize, ToSchema)]
pub struct DmRequest {
    /// The other people: one for a direct message, up to seven for a group.
    pub user_ids: Vec<i64>,
}

/// Open the direct message for exactly these people (created on first use).
#[utoipa::path(tag = "channels", params(("ws" = String, Path)), request_body = DmRequest,
    responses((status = 200, body = wire::Channel, description = "it existed"), (status = 201, body = wire::Channel, description = "it was created"), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/dms")]
pub async fn open_dm(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<DmRequest>,
) -> Result<HttpResponse, AppError> {
    let (channel, created) = channels::open_dm(&state, &user.0, &ws, &body.user_ids).await?;
    Ok(if created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(channel))
}

/// One channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), responses((status = 200, body = wire::Channel), (status = 404, body = ErrorBody)))]
#[get("/api/v1/channels/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Channel>, AppError> {
    Ok(web::Json(channels::get(&state, &user.0, *id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub purpose: Option<String>,
    /// all, mentions or nothing: how this channel notifies you.
    pub notify_level: Option<String>,
    pub muted: Option<bool>,
}

/// Rename, set the topic or purpose, or change your notification settings.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), request_body = ChannelPatch,
    responses((status = 200, body = wire::Channel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/channels/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<ChannelPatch>,
) -> Result<web::Json<wire::Channel>, AppError> {
    let ChannelPatch { name, topic, purpose, notify_level, muted } = body.into_inner();
    let describes = name.is_some() || topic.is_some() || purpose.is_some();
    let notifies = notify_level.is_some() || muted.is_some();
    if !describes && !notifies {
        return Err(AppError::invalid(Code::NothingToChange, "Give a name, topic, purpose, notify_level or muted."));
    }
    let mut channel = None;
    if describes {
        channel = Some(channels::update(&state, &user.0, *id, channels::ChannelPatch { name, topic, purpose }).await?);
    }
    let channel = match channel {
        Some(described) if !notifies => described,
        _ => channels::set_notify(&state, &user.0, *id, notify_level.as_deref(), muted).await?,
    };
    Ok(web::Json(channel))
}

/// Join a public channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), responses((status = 200, body = wire::Channel), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/join")]
pub async fn join(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Channel>, AppError> {
    Ok(web::Json(channel_members::join(&state, &user.0, *id).await?))
}

/// Leave a channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/leave")]
pub async fn leave(state: web::Data<AppState>, user: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    channel_members::leave(&state, &user.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Archive a channel: read-only, still readable.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), responses((status = 200, body = wire::Channel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Channel>, AppError> {
    Ok(web::Json(channels::set_archived(&state, &user.0, *id, true).await?))
}

/// Unarchive a channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), responses((status = 200, body = wire::Channel), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/unarchive")]
pub async fn unarchive(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Channel>, AppError> {
    Ok(web::Json(channels::set_archived(&state, &user.0, *id, false).await?))
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub members: Vec<wire::User>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The people in a channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path), super::PageQuery), responses((status = 200, body = UserList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/channels/{id}/members")]
pub async fn members(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<super::PageQuery>,
) -> Result<web::Json<UserList>, AppError> {
    let page = channel_members::members(&state, &user.0, *id, query.paging()?).await?;
    Ok(web::Json(UserList { members: page.items, next_cursor: page.next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct MemberRequest {
    pub user_id: i64,
}

/// Add someone from the workspace to the channel.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), request_body = MemberRequest,
    responses((status = 201, body = wire::User), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<MemberRequest>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(channel_members::add_member(&state, &user.0, *id, body.user_id).await?))
}

/// Remove someone from the channel (channel admins).
#[utoipa::path(tag = "channels", params(("id" = i64, Path), ("user_id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/channels/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = path.into_inner();
    channel_members::remove_member(&state, &user.0, id, target).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema, Default)]
pub struct ReadRequest {
    /// Read up to this message; the newest when absent.
    pub message_id: Option<i64>,
}

/// Mark the channel read up to a message.
#[utoipa::path(tag = "channels", params(("id" = i64, Path)), request_body = ReadRequest, responses((status = 200, body = wire::Channel), (status = 404, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/read")]
pub async fn read(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: Option<web::Json<ReadRequest>>,
) -> Result<web::Json<wire::Channel>, AppError> {
    let message_id = body.and_then(|b| b.message_id);
    Ok(web::Json(channels::mark_read(&state, &user.0, *id, message_id).await?))
}
