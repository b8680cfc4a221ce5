//! `GET /api/v1/workspaces/{ws}/search` and `…/search/suggest`: search, and suggestions for
//! every keystroke.

use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::app::search::{self as searching, Results, Suggestions};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// The query: words, "phrases", -excluded, OR, and filters (from:, in:, to:me, has:,
    /// is:thread, before:, after:, on:, during:).
    pub q: Option<String>,
    /// `relevance` (the default) or `date` (newest first).
    pub sort: Option<String>,
    /// Results per page: 1–100, 20 by default.
    pub limit: Option<i64>,
    /// A `next_cursor` from the previous page of the same search.
    pub cursor: Option<String>,
}

/// Messages of the workspace the caller may read that match the query.
#[utoipa::path(tag = "search", params(("ws" = String, Path), SearchQuery),
    responses((status = 200, body = Results), (status = 400, body = ErrorBody, description = "an empty query, a date that does not exist, a cursor of another search, a limit out of range")))]
#[get("/api/v1/workspaces/{ws}/search")]
pub async fn search(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    query: web::Query<SearchQuery>,
) -> Result<web::Json<Results>, AppError> {
    let sort = searching::parse_sort(query.sort.as_deref())?;
    let limit = searching::parse_limit(query.limit)?;
    let q = query.q.as_deref().unwrap_or("");
    Ok(web::Json(searching::search(&state, user.0.id(), &ws, q, sort, limit, query.cursor.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct SuggestQuery {
    /// What has been typed so far; its last word, if no space follows, is a prefix.
    pub q: Option<String>,
}

/// Channels, people and a few messages matching what is being typed.
#[utoipa::path(tag = "search", params(("ws" = String, Path), SuggestQuery),
    responses((status = 200, body = Suggestions), (status = 400, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/search/suggest")]
pub async fn suggest(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    query: web::Query<SuggestQuery>,
) -> Result<web::Json<Suggestions>, AppError> {
    Ok(web::Json(searching::suggest(&state, user.0.id(), &ws, query.q.as_deref().unwrap_or("")).await?))
}
