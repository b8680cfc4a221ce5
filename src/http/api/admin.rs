//! `/api/v1/admin/…`: server operations for server admins — the outbound jobs.

use crate::domain::Code;
use actix_web::{get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::AppState;
use crate::app::jobs::{self, Operator};
use crate::domain::jobs::JobFilter;
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;
use crate::jobs::{JobInfo, JobPage};

#[derive(Deserialize, IntoParams)]
pub struct JobsQuery {
    /// `pending` or `failed`; both when absent.
    pub state: Option<String>,
    /// Jobs per page: 1–200, 50 by default.
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Outbound jobs not yet done (mail, deliveries), newest first, with their attempts and
/// last error. Server admins only.
#[utoipa::path(tag = "admin", params(JobsQuery),
    responses((status = 200, body = JobPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/api/v1/admin/jobs")]
pub async fn list_jobs(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<JobsQuery>,
) -> Result<web::Json<JobPage>, AppError> {
    let filter =
        JobFilter::parse(query.state.as_deref()).map_err(|e| AppError::malformed(Code::InvalidQuery, e.message))?;
    let limit = super::page_limit(query.limit)?;
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
            AppError::malformed(Code::InvalidQuery, "cursor must be a next_cursor from an earlier page.")
        })?),
    };
    Ok(web::Json(jobs::list(&state, Operator::Person(&user.0), filter, cursor, limit).await?))
}

/// Give a failed job a fresh set of attempts, starting now. Server admins only.
#[utoipa::path(tag = "admin", params(("id" = i64, Path, description = "job id")),
    responses((status = 200, body = JobInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the job has not failed")))]
#[post("/api/v1/admin/jobs/{id}/retry")]
pub async fn retry_job(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<JobInfo>, AppError> {
    Ok(web::Json(jobs::retry(&state, Operator::Person(&user.0), id.into_inner()).await?))
}
