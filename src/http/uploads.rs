//! Receiving uploads: a multipart form read field by field, each file streamed to storage
//! as it arrives (measured, hashed, cut off past `HEARTH_MAX_FILE_SIZE`), the message's other
//! fields kept, and the files then posted in one message. Shared by the API and the pages;
//! an upload that fails or is refused leaves no object behind.

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::HttpRequest;
use actix_web::http::header;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};

use crate::app::files::{self, MAX_FILES_PER_MESSAGE, Stored, too_large};
pub use crate::app::files::{Chunks, storage_down, store_named};
use crate::app::messages::{self, Posted};
use crate::app::{Actor, AppState};
use crate::domain::Code;
use crate::domain::files::clean_name;
use crate::error::AppError;
use crate::http::body::{BODY_LIMIT, text_body_limit};

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
pub struct Fields {
    pub text: String,
    pub thread_root_id: Option<i64>,
    pub client_msg_id: Option<String>,
    pub also_send_to_channel: bool,
    /// A page form's CSRF token (it must come before the files).
    pub csrf_token: String,
}

/// A form received: its fields, and its files in storage.
pub struct Received {
    pub fields: Fields,
    pub stored: Vec<Stored>,
}

/// Reads a form, storing its files under `prefix`. `before_files` checks the fields read so
/// far when the first file arrives (a page form's CSRF token), so nothing is stored for a
/// form that would be refused.
pub async fn receive(
    state: &AppState,
    req: &HttpRequest,
    prefix: &str,
    mut form: Multipart,
    before_files: impl Fn(&Fields) -> Result<(), AppError>,
) -> Result<Received, AppError> {
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
                    if stored.is_empty() {
                        before_files(&fields)?;
                    }
                    if stored.len() == MAX_FILES_PER_MESSAGE {
                        return Err(AppError::invalid(
                            Code::TooManyFiles,
                            format!("A message can share at most {MAX_FILES_PER_MESSAGE} files."),
                        ));
                    }
                    // A file input left empty in a page form sends a part with no name.
                    let unnamed = field.content_disposition().and_then(|d| d.get_filename()).is_none_or(str::is_empty);
                    let file = store(state, prefix, &mut field, max).await?;
                    if unnamed && file.size == 0 {
                        files::discard(state, std::slice::from_ref(&file.key)).await;
                    } else {
                        stored.push(file);
                    }
                }
                "text" => fields.text = small(&mut field, text_limit).await?,
                "thread_root_id" => {
                    let raw = small(&mut field, 32).await?;
                    if !raw.trim().is_empty() {
                        fields.thread_root_id = Some(raw.trim().parse().map_err(|_| {
                            AppError::malformed(
                                Code::InvalidBody,
                                format!("thread_root_id must be a number, not \"{raw}\"."),
                            )
                        })?);
                    }
                }
                "client_msg_id" => fields.client_msg_id = Some(small(&mut field, BODY_LIMIT).await?),
                "csrf_token" => fields.csrf_token = small(&mut field, BODY_LIMIT).await?,
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
    match read {
        Ok(()) => Ok(Received { fields, stored }),
        Err(e) => {
            files::discard(state, &keys(&stored)).await;
            Err(e)
        }
    }
}

fn keys(stored: &[Stored]) -> Vec<String> {
    stored.iter().flat_map(Stored::keys).map(str::to_owned).collect()
}

/// Posts the files received in one message; if that fails, or the same `client_msg_id` was
/// posted before, the stored copies are removed.
pub async fn share(state: &AppState, actor: &Actor, channel_id: i64, received: Received) -> Result<Posted, AppError> {
    let Received { fields, stored } = received;
    let keys = keys(&stored);
    let post = messages::PostForm {
        text: fields.text,
        thread_root_id: fields.thread_root_id,
        also_send_to_channel: fields.also_send_to_channel,
        client_msg_id: fields.client_msg_id,
        files: stored,
        ..Default::default()
    };
    let posted = messages::post(state, actor, channel_id, post).await;
    if !posted.as_ref().is_ok_and(|p| p.created) {
        files::discard(state, &keys).await;
    }
    posted
}

impl Chunks for Field {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        self.next().await.transpose().map_err(|e| multipart_error(&e))
    }
}

impl Chunks for actix_web::web::Payload {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        self.next()
            .await
            .transpose()
            .map_err(|e| AppError::malformed(Code::InvalidBody, format!("The upload broke off: {e}.")))
    }
}

/// Streams one file field to storage: measured, hashed, cut off past the limit. The first
/// bytes are held back until its type is known, so that a photo's location is taken out
/// before anything is stored; a picture's bytes are kept (up to `PICTURE_SOURCE_MAX`) for
/// its thumbnail.
async fn store(state: &AppState, prefix: &str, field: &mut Field, max: u64) -> Result<Stored, AppError> {
    let name = clean_name(field.content_disposition().and_then(|d| d.get_filename()).unwrap_or(""));
    store_named(state, prefix, name, field, max).await
}

/// A small text field, whole.
async fn small(field: &mut Field, limit: usize) -> Result<String, AppError> {
    let bytes = whole(field, limit).await?;
    String::from_utf8(bytes).map_err(|_| AppError::malformed(Code::InvalidBody, "Text fields must be UTF-8."))
}

async fn whole(field: &mut Field, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.try_next().await.map_err(|e| multipart_error(&e))? {
        if bytes.len() + chunk.len() > limit {
            return Err(AppError::too_large(format!("The field {} is over its limit.", field.name().unwrap_or("?"))));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads a form of one small file (a profile picture) into memory: its bytes, and the
/// page form's CSRF token if it has one (checked by `before_file` before the file is read).
pub async fn one_file(
    mut form: Multipart,
    limit: usize,
    before_file: impl Fn(&str) -> Result<(), AppError>,
) -> Result<Vec<u8>, AppError> {
    let mut csrf = String::new();
    let mut file = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| multipart_error(&e))?;
        match field.name().unwrap_or("") {
            "file" if file.is_none() => {
                before_file(&csrf)?;
                file = Some(whole(&mut field, limit).await.map_err(|_| too_large(limit as u64))?);
            }
            "csrf_token" => csrf = small(&mut field, BODY_LIMIT).await?,
            _ => {
                small(&mut field, BODY_LIMIT).await?;
            }
        }
    }
    file.filter(|f| !f.is_empty())
        .ok_or_else(|| AppError::malformed(Code::NoFile, "Attach a picture, in a field named \"file\"."))
}
