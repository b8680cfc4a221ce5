//! Files: `POST /api/v1/channels/{id}/files` (multipart, streamed to storage),
//! `GET /api/v1/files/{id}`, `GET /api/v1/channels/{id}/files`, and the bytes themselves at
//! `GET /files/{id}/{name}` (whole, or a range: audio and video seek).

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use futures_util::{StreamExt, TryStreamExt};

use super::PageQuery;
use crate::app::files::{self, MAX_FILES_PER_MESSAGE, Stored};
use crate::app::{AppState, Paged, messages};
use crate::domain::Code;
use crate::domain::files::{clean_name, content_disposition, requested_range, shown_inline, sniff};
use crate::error::AppError;
use crate::http::auth::{ApiUser, Auth};
use crate::http::body::{BODY_LIMIT, text_body_limit};
use crate::http::error::{ErrorBody, ErrorDetail};
use crate::storage::Unavailable;
use crate::wire;

fn storage_down(e: Unavailable) -> AppError {
    AppError::unavailable("file storage", e)
}

fn multipart_error(e: &MultipartError) -> AppError {
    match e {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => {
            AppError::unsupported_media_type("Send the files as multipart/form-data, each in a field named \"file\".")
        }
        other => AppError::malformed(Code::InvalidBody, format!("The upload could not be read: {other}.")),
    }
}

/// What the form said besides its files.
#[derive(Default)]
struct Fields {
    text: String,
    thread_root_id: Option<i64>,
    client_msg_id: Option<String>,
    also_send_to_channel: bool,
}

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
    mut form: Multipart,
) -> Result<HttpResponse, AppError> {
    let channel_id = *id;
    let prefix = files::may_upload(&state, &user.0, channel_id).await?;
    let max = state.settings.limits.max_file_size;
    // A body announced larger than every file at its limit is refused before it is read.
    let announced = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if announced.is_some_and(|n| n > max.saturating_mul(MAX_FILES_PER_MESSAGE as u64).saturating_add(1 << 20)) {
        return Err(too_large(max));
    }
    let mut stored: Vec<Stored> = Vec::new();
    let mut fields = Fields::default();
    let text_limit = text_body_limit(state.settings.limits.max_message_chars);
    let read = async {
        while let Some(field) = form.next().await {
            let mut field = field.map_err(|e| multipart_error(&e))?;
            match field.name().unwrap_or("") {
                "file" => {
                    if stored.len() == MAX_FILES_PER_MESSAGE {
                        return Err(AppError::invalid(
                            Code::TooManyFiles,
                            format!("A message can share at most {MAX_FILES_PER_MESSAGE} files."),
                        ));
                    }
                    stored.push(store(&state, &prefix, &mut field, max).await?);
                }
                "text" => fields.text = small(&mut field, text_limit).await?,
                "thread_root_id" => fields.thread_root_id = Some(number(&mut field, "thread_root_id").await?),
                "client_msg_id" => fields.client_msg_id = Some(small(&mut field, BODY_LIMIT).await?),
                "also_send_to_channel" => {
                    fields.also_send_to_channel = matches!(small(&mut field, 16).await?.trim(), "true" | "1" | "on");
                }
                _ => {
                    small(&mut field, BODY_LIMIT).await?;
                }
            }
        }
        if stored.is_empty() {
            return Err(AppError::malformed(Code::NoFile, "Attach at least one file, in a field named \"file\"."));
        }
        Ok(())
    }
    .await;
    if let Err(e) = read {
        files::discard(&state, &stored.iter().map(|s| s.key.clone()).collect::<Vec<_>>()).await;
        return Err(e);
    }
    let keys: Vec<String> = stored.iter().map(|s| s.key.clone()).collect();
    let post = messages::PostForm {
        text: fields.text,
        thread_root_id: fields.thread_root_id,
        also_send_to_channel: fields.also_send_to_channel,
        client_msg_id: fields.client_msg_id,
        files: stored,
    };
    match messages::post(&state, &user.0, channel_id, post).await {
        Ok(posted) => {
            if !posted.created {
                // The same client_msg_id was posted before: these copies are not shared.
                files::discard(&state, &keys).await;
            }
            Ok(if posted.created { HttpResponse::Created() } else { HttpResponse::Ok() }.json(posted.message))
        }
        Err(e) => {
            files::discard(&state, &keys).await;
            Err(e)
        }
    }
}

fn too_large(max: u64) -> AppError {
    AppError::TooLarge(crate::error::Problem {
        code: Code::FileTooLarge,
        message: format!("A file can be at most {} MB.", max.div_ceil(1 << 20)),
    })
}

/// Streams one file field to storage: measured, hashed, cut off past the limit.
async fn store(state: &AppState, prefix: &str, field: &mut Field, max: u64) -> Result<Stored, AppError> {
    let name = clean_name(field.content_disposition().and_then(|d| d.get_filename()).unwrap_or(""));
    let key = files::new_key(prefix);
    let mut object = state.storage.begin(&key).await.map_err(storage_down)?;
    loop {
        let chunk = match field.next().await {
            None => break,
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => {
                object.abort().await;
                return Err(multipart_error(&e));
            }
        };
        if object.size() + chunk.len() as u64 > max {
            object.abort().await;
            return Err(too_large(max));
        }
        if let Err(e) = object.write(chunk).await {
            object.abort().await;
            return Err(storage_down(e));
        }
    }
    let written = object.finish().await.map_err(storage_down)?;
    Ok(Stored {
        key,
        name,
        content_type: sniff(&written.head).to_owned(),
        size: written.size,
        sha256: written.sha256,
        width: None,
        height: None,
    })
}

/// A small text field, whole.
async fn small(field: &mut Field, limit: usize) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(|e| multipart_error(&e))? {
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::too_large(format!("The field {} is over its limit.", field.name().unwrap_or("?"))));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::malformed(Code::InvalidBody, "Text fields must be UTF-8."))
}

async fn number(field: &mut Field, name: &str) -> Result<i64, AppError> {
    let raw = small(field, 32).await?;
    raw.trim()
        .parse()
        .map_err(|_| AppError::malformed(Code::InvalidBody, format!("{name} must be a number, not \"{raw}\".")))
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
    let bytes = state.storage.read(&file.storage_key, range.clone()).await.map_err(storage_down)?;
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
