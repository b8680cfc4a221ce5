//! `/api/v1/workspaces/{ws}/bots…`: bot users, made and managed by workspace admins. Bots
//! themselves speak the Slack-compatible API (`http/slack.rs`).

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{AppState, bots};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBotRequest {
    /// Its username, unique on the server (2–32 lowercase letters, digits, `.`, `_`, `-`).
    pub username: String,
    /// Shown with its messages (the username when absent).
    pub display_name: Option<String>,
    /// What it does, for the people it talks to (at most 500 characters).
    pub description: Option<String>,
    /// Its picture: an http(s) address.
    pub icon_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BotList {
    pub bots: Vec<wire::BotUser>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotPatch {
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// An http(s) address, or `""` to remove it.
    pub icon_url: Option<String>,
    /// A new token, in this answer only; the old one stops working at once.
    #[serde(default)]
    pub regenerate_token: bool,
    /// No token until a new one is asked for.
    #[serde(default)]
    pub revoke_token: bool,
    /// A new signing secret for what hearth sends the bot.
    #[serde(default)]
    pub regenerate_signing_secret: bool,
    /// Where its event subscriptions (Slack's Events API) are sent; hearth checks it with a
    /// `url_verification` request first. `""` unsubscribes.
    pub request_url: Option<String>,
}

/// Make a bot user (workspace admins). Its token is in this answer only.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path, description = "workspace slug")),
    request_body = NewBotRequest,
    responses((status = 201, body = wire::BotUser), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/bots")]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<NewBotRequest>,
) -> Result<HttpResponse, AppError> {
    let NewBotRequest { username, display_name, description, icon_url } = body.into_inner();
    let form = bots::NewBotForm { username, display_name, description, icon_url };
    Ok(HttpResponse::Created().json(bots::create(&state, &user.0, &ws, form).await?))
}

/// The workspace's bots (workspace admins).
#[utoipa::path(tag = "integrations", params(("ws" = String, Path)),
    responses((status = 200, body = BotList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/bots")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<BotList>, AppError> {
    Ok(web::Json(BotList { bots: bots::list(&state, &user.0, &ws).await? }))
}

/// One bot.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 200, body = wire::BotUser), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/bots/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<web::Json<wire::BotUser>, AppError> {
    let (ws, id) = path.into_inner();
    Ok(web::Json(bots::get(&state, &user.0, &ws, id).await?))
}

/// Change a bot's profile, renew or revoke its token, or renew its signing secret.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)), request_body = BotPatch,
    responses((status = 200, body = wire::BotUser), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}/bots/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
    body: web::Json<BotPatch>,
) -> Result<web::Json<wire::BotUser>, AppError> {
    let (ws, id) = path.into_inner();
    let BotPatch {
        display_name,
        description,
        icon_url,
        regenerate_token,
        revoke_token,
        regenerate_signing_secret,
        request_url,
    } = body.into_inner();
    let form = bots::BotForm {
        display_name,
        description,
        icon_url: icon_url.map(|u| Some(u).filter(|u| !u.trim().is_empty())),
        regenerate_token,
        revoke_token,
        regenerate_signing_secret,
        request_url: request_url.map(|u| Some(u).filter(|u| !u.trim().is_empty())),
    };
    Ok(web::Json(bots::update(&state, &user.0, &ws, id, form).await?))
}

/// Remove a bot: its token stops working and it leaves the workspace; what it said stays.
#[utoipa::path(tag = "integrations", params(("ws" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/workspaces/{ws}/bots/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (ws, id) = path.into_inner();
    bots::delete(&state, &user.0, &ws, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
