//! Files: `POST /api/v1/channels/{id}/files` (multipart, streamed to storage),
//! `GET /api/v1/files/{id}`, `DELETE /api/v1/files/{id}`, `GET /api/v1/channels/{id}/files`,
//! and the bytes themselves at `GET /files/{id}/{name}` (whole, or a range: audio and video
//! seek) and `GET /files/{id}/{name}/thumbnail`.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
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
    Ok(web::Json(FilePage { files: items.into_iter().map(|s| s.file).collect(), next_cursor }))
}

/// Delete a shared file (who shared it, or an admin of its channel): no longer served from
/// now on, gone from its message for everyone; a message left with neither text nor files
/// is deleted with it.
#[utoipa::path(tag = "files", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/files/{id}")]
pub async fn remove(state: web::Data<AppState>, user: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    files::delete(&state, &user.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A file's bytes, for a member of its channel (the name in the path is for people and is
/// not checked): whole, or the range asked for, so that audio and video seek.
#[get("/files/{id}/{name}")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let file = files::readable(&state, auth.actor.id(), path.0).await?;
    let inline = shown_inline(&file.content_type);
    let object =
        Object { key: &file.storage_key, etag: &file.sha256, content_type: &file.content_type, size: file.size };
    serve(&state, &req, object, content_disposition(&file.name, inline)).await
}

/// A picture's thumbnail, for a member of its channel.
#[get("/files/{id}/{name}/thumbnail")]
pub async fn thumbnail(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(i64, String)>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let (file, key) = files::thumbnail(&state, auth.actor.id(), path.0).await?;
    let etag = format!("{}-thumbnail", file.sha256);
    let object = Object { key: &key, etag: &etag, content_type: files::thumbnail_type(&key), size: -1 };
    serve(&state, &req, object, content_disposition(&file.name, true)).await
}

/// A stored object to answer with.
struct Object<'a> {
    key: &'a str,
    etag: &'a str,
    content_type: &'a str,
    /// Bytes, when known (ranges need it); negative when not.
    size: i64,
}

/// Answers with a stored object: streamed, cached by ETag, by range when asked and its size
/// is known, under headers that keep the browser from running anything in it.
async fn serve(
    state: &AppState,
    req: &HttpRequest,
    object: Object<'_>,
    disposition: String,
) -> Result<HttpResponse, AppError> {
    let etag = format!("\"{}\"", object.etag);
    let mut answer = HttpResponse::Ok();
    answer
        .insert_header((header::ETAG, etag.clone()))
        .insert_header((header::CACHE_CONTROL, "private, max-age=86400"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
        ))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        // Sent as stored: never compressed on the way (its length, ranges and ETag hold).
        .insert_header((header::CONTENT_ENCODING, "identity"));
    let seen = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    if seen.is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*")) {
        return Ok(answer.status(StatusCode::NOT_MODIFIED).finish());
    }
    let size = u64::try_from(object.size).ok();
    let mut range = None;
    if let Some(size) = size {
        answer.insert_header((header::ACCEPT_RANGES, "bytes"));
        let asked = req.headers().get(header::RANGE).and_then(|v| v.to_str().ok());
        range = match requested_range(asked, size) {
            Ok(range) => range,
            Err(_) => {
                return Ok(answer
                    .status(StatusCode::RANGE_NOT_SATISFIABLE)
                    .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                    .json(ErrorBody {
                        error: ErrorDetail {
                            code: Code::RangeNotSatisfiable.as_str().to_owned(),
                            message: format!("The file has {size} bytes; that range is outside it."),
                        },
                    }));
            }
        };
    }
    let stored = state.storage.read(object.key, range.clone()).await.map_err(uploads::storage_down)?;
    if let (Some(r), Some(size)) = (&range, size) {
        answer
            .status(StatusCode::PARTIAL_CONTENT)
            .insert_header((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1)));
    }
    // The length is always known: from the record, or from the store (a thumbnail).
    let length = range.as_ref().map_or(size.unwrap_or(stored.size), |r| r.end - r.start);
    Ok(answer
        .content_type(object.content_type)
        .no_chunking(length)
        .streaming(stored.bytes.map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string()))))
}
