//! `/api/v1/channels/{id}/messages`, `/api/v1/messages/{id}…` and pins.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::{AppState, channels, messages};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::body::TextJson;
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
pub struct PostRequest {
    pub text: String,
    /// Reply in this message's thread (a reply's thread is its root's).
    pub thread_root_id: Option<i64>,
    /// Show the reply in the channel too.
    #[serde(default)]
    pub also_send_to_channel: bool,
    /// An idempotency key, unique per person: posting it again returns the first message.
    pub client_msg_id: Option<String>,
}

/// Post a message. Text that is a known slash command (`/name …`; `//` posts a leading `/`)
/// runs it instead, answered `202` with what it gave; `POST …/commands` runs only commands.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), request_body = PostRequest,
    responses((status = 201, body = wire::Message), (status = 200, body = wire::Message, description = "the client_msg_id was posted before"),
        (status = 202, body = super::commands::CommandResult, description = "the text was a slash command, and ran"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/messages")]
pub async fn post(
    state: web::Data<AppState>,
    hub: web::Data<crate::realtime::Hub>,
    user: ApiUser,
    id: web::Path<i64>,
    TextJson(body): TextJson<PostRequest>,
) -> Result<HttpResponse, AppError> {
    let PostRequest { text, thread_root_id, also_send_to_channel, client_msg_id } = body;
    // A known command runs; other text, "/tmp is full" say, is posted as written.
    if let Some(invocation) = crate::domain::commands::Invocation::parse(&text) {
        if crate::app::commands::exists(&state, *id, &invocation.name).await? {
            let ran = super::commands::run(&state, &hub, &user.0, *id, thread_root_id, invocation).await?;
            return Ok(HttpResponse::Accepted().json(ran));
        }
    }
    let text = crate::domain::commands::unescaped(text);
    let form = messages::PostForm {
        text,
        thread_root_id,
        also_send_to_channel,
        client_msg_id,
        files: Vec::new(),
        ..Default::default()
    };
    let posted = messages::post(&state, &user.0, *id, form).await?;
    Ok(if posted.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(posted.message))
}

#[derive(Deserialize, IntoParams)]
pub struct HistoryParams {
    /// Messages older than this id.
    pub before: Option<i64>,
    /// Messages newer than this id.
    pub after: Option<i64>,
    /// Messages around this id (it included): for permalinks.
    pub around: Option<i64>,
    /// 1–200, 50 by default.
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<wire::Message>,
    pub has_more_before: bool,
    pub has_more_after: bool,
    /// Pass as `before` for the next older page.
    pub next_cursor: Option<String>,
}

/// A channel's history, newest first.
#[utoipa::path(tag = "messages", params(("id" = i64, Path), HistoryParams), responses((status = 200, body = MessagePage), (status = 404, body = ErrorBody)))]
#[get("/api/v1/channels/{id}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<HistoryParams>,
) -> Result<web::Json<MessagePage>, AppError> {
    let q =
        messages::HistoryQuery { before: query.before, after: query.after, around: query.around, limit: query.limit };
    let page = messages::history(&state, &user.0, *id, q).await?;
    let next_cursor = if page.has_more_before { page.messages.last().map(|m| m.id.to_string()) } else { None };
    Ok(web::Json(MessagePage {
        messages: page.messages,
        has_more_before: page.has_more_before,
        has_more_after: page.has_more_after,
        next_cursor,
    }))
}

/// One message.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), responses((status = 200, body = wire::Message), (status = 404, body = ErrorBody)))]
#[get("/api/v1/messages/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::get(&state, &user.0, *id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct EditRequest {
    pub text: String,
}

/// Edit your message.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), request_body = EditRequest,
    responses((status = 200, body = wire::Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/messages/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    TextJson(body): TextJson<EditRequest>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::edit(&state, &user.0, *id, &body.text).await?))
}

/// Delete a message (author, or channel admin); a tombstone stays.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), responses((status = 200, body = wire::Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody, description = "the message was already deleted")))]
#[delete("/api/v1/messages/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::delete(&state, &user.0, *id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Thread {
    pub root: wire::Message,
    /// A page of replies, oldest first.
    pub replies: Vec<wire::Message>,
    /// Pass as `cursor` for the next page of replies; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A message's thread: its root and a page of replies.
#[utoipa::path(tag = "messages", params(("id" = i64, Path), super::PageQuery), responses((status = 200, body = Thread), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/messages/{id}/thread")]
pub async fn thread(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<super::PageQuery>,
) -> Result<web::Json<Thread>, AppError> {
    let found = messages::thread(&state, &user.0, *id, query.paging()?).await?;
    Ok(web::Json(Thread { root: found.root, replies: found.replies.items, next_cursor: found.replies.next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct ReactionRequest {
    /// A shortcode (`tada` or `:tada:`) or the emoji itself.
    pub emoji: String,
}

/// Add your reaction.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), request_body = ReactionRequest, responses((status = 200, body = wire::Message), (status = 422, body = ErrorBody)))]
#[post("/api/v1/messages/{id}/reactions")]
pub async fn react(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<ReactionRequest>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::react(&state, &user.0, *id, &body.emoji, true).await?))
}

/// Remove your reaction.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), request_body = ReactionRequest, responses((status = 200, body = wire::Message), (status = 422, body = ErrorBody)))]
#[delete("/api/v1/messages/{id}/reactions")]
pub async fn unreact(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    body: web::Json<ReactionRequest>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::react(&state, &user.0, *id, &body.emoji, false).await?))
}

/// Pin a message to its channel.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), responses((status = 200, body = wire::Message), (status = 403, body = ErrorBody)))]
#[post("/api/v1/messages/{id}/pin")]
pub async fn pin(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::pin(&state, &user.0, *id, true).await?))
}

/// Unpin a message.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), responses((status = 200, body = wire::Message), (status = 403, body = ErrorBody)))]
#[delete("/api/v1/messages/{id}/pin")]
pub async fn unpin(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Message>, AppError> {
    Ok(web::Json(messages::pin(&state, &user.0, *id, false).await?))
}

/// Mark a message and everything after it unread.
#[utoipa::path(tag = "messages", params(("id" = i64, Path)), responses((status = 200, body = wire::Channel), (status = 404, body = ErrorBody)))]
#[post("/api/v1/messages/{id}/unread")]
pub async fn mark_unread(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Channel>, AppError> {
    Ok(web::Json(channels::mark_unread(&state, &user.0, *id).await?))
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    pub messages: Vec<wire::Message>,
}

/// A channel's pinned messages.
#[utoipa::path(tag = "messages", params(("id" = i64, Path), super::PageQuery), responses((status = 200, body = PinList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/channels/{id}/pins")]
pub async fn pins(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    query: web::Query<super::PageQuery>,
) -> Result<web::Json<PinList>, AppError> {
    let page = messages::pins(&state, &user.0, *id, query.paging()?).await?;
    Ok(web::Json(PinList { messages: page.items, next_cursor: page.next_cursor }))
}

/// A page of pinned messages.
#[derive(Serialize, ToSchema)]
pub struct PinList {
    pub messages: Vec<wire::Message>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
