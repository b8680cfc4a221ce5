//! Slash commands over HTTP: running one where it was typed (`POST
//! /api/v1/channels/{id}/commands`, or a message whose text is one), the commands the
//! composer offers, and a workspace's custom commands, made and managed by its admins.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::commands::{self, Outcome, Place, custom};
use crate::app::{Actor, AppState};
use crate::domain::commands::Invocation;
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::body::TextJson;
use crate::http::error::ErrorBody;
use crate::realtime::Hub;
use crate::wire;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// `/name arguments`.
    pub text: String,
    /// Run it in this thread: what it posts goes there.
    pub thread_root_id: Option<i64>,
}

/// What a command gave: answers for the caller alone (also sent to their live
/// connections), the message it posted, and a presence for the caller's client to take.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandResult {
    pub ephemeral: Vec<wire::EphemeralMessage>,
    pub message: Option<wire::Message>,
    /// `away` or `online` (`/away`, `/active`).
    pub presence: Option<String>,
}

/// Runs a command typed in a channel, and sends its ephemeral answers to the caller's live
/// connections.
pub async fn run(
    state: &AppState,
    hub: &Hub,
    actor: &Actor,
    channel_id: i64,
    thread_root_id: Option<i64>,
    invocation: Invocation,
) -> Result<CommandResult, AppError> {
    let place = Place { channel_id, thread_root_id };
    let Outcome { ephemeral, message, presence } = commands::run(state, actor, place, invocation).await?;
    hub.ephemeral(actor.id(), &ephemeral);
    Ok(CommandResult { ephemeral, message, presence: presence.map(str::to_owned) })
}

/// Run a slash command in a channel (or one of its threads).
#[utoipa::path(tag = "commands", params(("id" = i64, Path)), request_body = RunRequest,
    responses((status = 200, body = CommandResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/commands")]
pub async fn run_in_channel(
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    user: ApiUser,
    id: web::Path<i64>,
    TextJson(body): TextJson<RunRequest>,
) -> Result<web::Json<CommandResult>, AppError> {
    let invocation = Invocation::parse(&body.text).ok_or_else(|| {
        AppError::invalid(crate::domain::Code::InvalidCommand, "A command starts with / and its name, such as /help.")
    })?;
    Ok(web::Json(run(&state, &hub, &user.0, *id, body.thread_root_id, invocation).await?))
}

/// The commands the composer offers: hearth's own, and the workspace's that ask to be.
#[utoipa::path(tag = "commands", params(("ws" = String, Path)),
    responses((status = 200, body = Vec<wire::CommandHint>), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/command-hints")]
pub async fn hints(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<Vec<wire::CommandHint>>, AppError> {
    Ok(web::Json(commands::hints(&state, &user.0, &ws).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandRequest {
    /// Typed as `/name`: 1–32 lowercase letters, digits, `-` and `_`.
    pub name: Option<String>,
    /// Where hearth sends it (http or https).
    pub url: Option<String>,
    /// `POST` (the default) or `GET`.
    pub method: Option<String>,
    pub description: Option<String>,
    pub usage_hint: Option<String>,
    /// Offered by the composer as one types (true by default).
    pub autocomplete: Option<bool>,
    /// A new signing secret and token; the old ones stop at once.
    #[serde(default)]
    pub regenerate_secret: bool,
}

impl CommandRequest {
    fn form(self) -> custom::CommandForm {
        let CommandRequest { name, url, method, description, usage_hint, autocomplete, regenerate_secret } = self;
        custom::CommandForm { name, url, method, description, usage_hint, autocomplete, regenerate_secret }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CommandList {
    pub commands: Vec<wire::Command>,
}

/// Make a custom slash command (workspace admins).
#[utoipa::path(tag = "commands", params(("ws" = String, Path)), request_body = CommandRequest,
    responses((status = 201, body = wire::Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/commands")]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<CommandRequest>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Created().json(custom::create(&state, &user.0, &ws, body.into_inner().form()).await?))
}

/// The workspace's custom commands, with their secrets (workspace admins).
#[utoipa::path(tag = "commands", params(("ws" = String, Path)),
    responses((status = 200, body = CommandList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/commands")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<CommandList>, AppError> {
    Ok(web::Json(CommandList { commands: custom::list(&state, &user.0, &ws).await? }))
}

/// One custom command.
#[utoipa::path(tag = "commands", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = wire::Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/commands/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<web::Json<wire::Command>, AppError> {
    let (ws, id) = path.into_inner();
    Ok(web::Json(custom::get(&state, &user.0, &ws, id).await?))
}

/// Change a custom command, or renew its secret.
#[utoipa::path(tag = "commands", params(("ws" = String, Path), ("id" = i64, Path)), request_body = CommandRequest,
    responses((status = 200, body = wire::Command), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}/commands/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
    body: web::Json<CommandRequest>,
) -> Result<web::Json<wire::Command>, AppError> {
    let (ws, id) = path.into_inner();
    Ok(web::Json(custom::update(&state, &user.0, &ws, id, body.into_inner().form()).await?))
}

/// Remove a custom command.
#[utoipa::path(tag = "commands", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/workspaces/{ws}/commands/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    custom::delete(&state, &user.0, &ws, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
