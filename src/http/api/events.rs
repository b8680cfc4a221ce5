//! `GET /api/v1/events?since=`: the event log as JSON pages, through the visibility rule,
//! for bots that poll.

use crate::domain::Code;
use actix_web::{get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::error::AppError;
use crate::events::{self, EventPage};
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;

#[derive(Deserialize, IntoParams)]
pub struct EventsQuery {
    /// The last `seq` seen; 0 (the default) starts at the oldest kept event.
    pub since: Option<i64>,
    /// Events per page: 1–200, 50 by default.
    pub limit: Option<usize>,
}

/// Events after `since` that the caller may see, oldest first.
#[utoipa::path(tag = "events", params(EventsQuery),
    responses((status = 200, body = EventPage), (status = 410, body = ErrorBody, description = "the cursor is stale: reload state")))]
#[get("/api/v1/events")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<EventsQuery>,
) -> Result<web::Json<EventPage>, AppError> {
    let since = query.since.unwrap_or(0);
    if since < 0 {
        return Err(AppError::malformed(Code::InvalidQuery, "since must be 0 or a seq from an earlier page."));
    }
    let limit = super::page_limit(query.limit)?;
    let user_id = user.0.id();
    let page = state.db.read(move |conn| events::page_for(conn, user_id, since, limit)).await?;
    Ok(web::Json(page))
}
