//! Files: `POST /api/v1/channels/{id}/files` (multipart, streamed to storage),
//! `GET /api/v1/files/{id}`, `GET /api/v1/channels/{id}/files`, and the bytes themselves at
//! `GET /files/{id}/{name}` (whole, or a range: audio and video seek).

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::TryStreamExt;

use super::PageQuery;
use crate::app::files;
use crate::app::{AppState, Paged};
use crate::domain::Code;
use crate::domain::files::{content_disposition, requested_range, shown_inline};
use crate::error::AppError;
use crate::http::auth::{ApiUser, Auth};
use crate::http::error::{ErrorBody, ErrorDetail};
use crate::http::uploads;
use crate::wire;

/// The form an upload is: files, and the message's other fields.
#[derive(utoipa::ToSchema)]
#[allow(dead_code, reason = "describes the multipart form for the OpenAPI document")]
pub struct UploadForm {
    /// One or more files (up to 10), each at most `HEARTH_MAX_FILE_SIZE`.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
    /// The message's text (may be empty).
    text: Option<String>,
    thread_root_id: Option<i64>,
    client_msg_id: Option<String>,
    also_send_to_channel: Option<bool>,
}

/// Share files in a channel: they are stored, then posted in one message.
#[utoipa::path(tag = "files", params(("id" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = wire::Message), (status = 200, body = wire::Message, description = "the client_msg_id was posted before"),
        (status = 409, body = ErrorBody)))]
#[post("/api/v1/channels/{id}/files")]
pub async fn upload(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let prefix = files::may_upload(&state, &user.0, *id).await?;
    let received = uploads::receive(&state, &req, &prefix, form, |_| Ok(())).await?;
    let posted = uploads::share(&state, &user.0, *id, received).await?;
    Ok(if posted.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(posted.message))
}

/// A file's metadata.
#[utoipa::path(tag = "files", params(("id" = i64, Path)), responses((status = 200, body = wire::File)))]
#[get("/api/v1/files/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::File>, AppError> {
    Ok(web::Json(files::get(&state, &user.0, *id).await?))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FilePage {
    /// Newest first.
    pub files: Vec<wire::File>,
    pub next_cursor: Option<String>,
}

/// The files shared in a channel, newest first.
#[utoipa::path(tag = "files", params(("id" = i64, Path), PageQuery), responses((status = 200, body = FilePage)))]
#[get("/api/v1/channels/{id}/files")]
pub async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
    page: web::Query<PageQuery>,
) -> Result<web::Json<FilePage>, AppError> {
    let Paged { items, next_cursor } = files::in_channel(&state, &user.0, *id, page.paging()?).await?;
    Ok(web::Json(FilePage { files: items, next_cursor }))
}

/// A file's bytes: membership checked; safe types inline, everything else as an
/// attachment; never sniffed or run by the browser; ranges for seeking.
#[get("/files/{id}/{name}")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let file = files::readable(&state, auth.actor.id(), path.0).await?;
    let size = u64::try_from(file.size).unwrap_or(0);
    let etag = format!("\"{}\"", file.sha256);
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
        ))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&file.name, shown_inline(&file.content_type)),
        ));
    let seen = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if seen.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(answer.status(actix_web::http::StatusCode::NOT_MODIFIED).finish());
    }
    let asked = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
    let range = match requested_range(asked, size) {
        Ok(range) => range,
        Err(_) => {
            return Ok(answer
                .status(actix_web::http::StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .json(ErrorBody {
                    error: ErrorDetail {
                        code: Code::RangeNotSatisfiable.as_str().to_owned(),
                        message: format!("The file has {size} bytes; that range is outside it."),
                    },
                }));
        }
    };
    let bytes = state.storage.read(&file.storage_key, range.clone()).await.map_err(uploads::storage_down)?;
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    if let Some(r) = &range {
        answer
            .status(actix_web::http::StatusCode::PARTIAL_CONTENT)
            .insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1)));
    }
    Ok(answer
        .content_type(file.content_type.as_str())
        .no_chunking(length)
        .streaming(bytes.map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string()))))
}
