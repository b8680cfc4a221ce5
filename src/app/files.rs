//! Sharing files: who may upload into a channel, recording what was stored with the message
//! that shares it, a channel's files, and who may read one (a member of its channel, while
//! its message stands).

use super::access;
use super::{Actor, AppState, Paged};
use std::time::Duration;

use crate::db::channels::ChannelRow;
use crate::db::files::{FileRow, NewFile};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::db::{self, Conn, Tx};
use bytes::{Bytes, BytesMut};

use crate::domain::files::{is_image, sniff_named};
use crate::domain::images::{JPEG_METADATA_BYTES, strip_location};
use crate::domain::{Code, Paging, images};
use crate::error::AppError;
use crate::jobs::{self, Job};
use crate::wire;

/// The most files one message shares.
pub const MAX_FILES_PER_MESSAGE: usize = 10;

/// A file already written to storage, waiting for its message.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Stored {
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// A picture's smaller copy, stored beside it.
    pub thumbnail_key: Option<String>,
}

impl Stored {
    /// Every object stored for it.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.key.as_str()).chain(self.thumbnail_key.as_deref())
    }
}

/// The largest picture decoded whole for its thumbnail; a larger one is sized from its
/// header and shown itself.
pub const PICTURE_SOURCE_MAX: usize = 40 << 20;

fn file_not_found() -> AppError {
    AppError::not_found(Code::FileNotFound, "No such file, or you cannot see it.")
}

/// Checks that the caller may share files in the channel before anything is uploaded, and
/// answers the storage key prefix for it (`ws/<workspace id>`).
pub async fn may_upload(state: &AppState, actor: &Actor, channel_id: i64) -> Result<String, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            ctx.access.may_post()?;
            Ok(format!("ws/{}", ctx.channel.workspace_id))
        })
        .await
}

/// A new storage key under a prefix: made here, never from anything the uploader sent.
pub fn new_key(prefix: &str) -> String {
    format!("{prefix}/{}", uuid::Uuid::new_v4().simple())
}

/// Records a message's files (inside the transaction that writes it).
pub(super) fn record(
    conn: &mut Conn,
    channel: &ChannelRow,
    message: &MessageRow,
    files: &[Stored],
) -> Result<Vec<wire::File>, AppError> {
    files
        .iter()
        .map(|f| {
            let row = NewFile {
                workspace_id: channel.workspace_id,
                channel_id: channel.id,
                message_id: Some(message.id),
                user_id: message.user_id,
                name: &f.name,
                content_type: &f.content_type,
                size: i64::try_from(f.size).unwrap_or(i64::MAX),
                sha256: &f.sha256,
                storage_key: &f.key,
                width: f.width,
                height: f.height,
                created_at: message.created_at,
                thumbnail_key: f.thumbnail_key.as_deref(),
            }
            .insert(conn)?;
            Ok(wire::File::from(&row))
        })
        .collect()
}

/// A file the caller may read: in a channel they can see, its message not deleted.
pub async fn readable(state: &AppState, user_id: i64, file_id: i64) -> Result<FileRow, AppError> {
    state
        .db
        .read(move |conn| {
            let file = FileRow::find(conn, file_id)?.filter(|f| f.deleted_at.is_none()).ok_or_else(file_not_found)?;
            access::channel(conn, user_id, file.channel_id).map_err(|_| file_not_found())?;
            let message = file.message_id.map(|id| MessageRow::find(conn, id)).transpose()?.flatten();
            if message.is_none_or(|m| m.deleted_at.is_some()) {
                return Err(file_not_found());
            }
            Ok(file)
        })
        .await
}

/// A file's metadata, as the API shows it.
pub async fn get(state: &AppState, actor: &Actor, file_id: i64) -> Result<wire::File, AppError> {
    Ok(wire::File::from(&readable(state, actor.id(), file_id).await?))
}

/// A file as a channel's file list shows it: with who shared it.
#[derive(Debug, Clone)]
pub struct Shared {
    pub file: wire::File,
    pub by: wire::User,
}

/// A channel's files, newest first.
pub async fn in_channel(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    paging: Paging,
) -> Result<Paged<Shared>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            access::channel(conn, user_id, channel_id)?;
            let rows = FileRow::in_channel(conn, channel_id, paging.offset, paging.fetch())?;
            let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
            let people: std::collections::HashMap<i64, UserRow> =
                UserRow::find_many(conn, &ids)?.into_iter().map(|u| (u.id, u)).collect();
            let shared = rows
                .iter()
                .filter_map(|r| {
                    Some(Shared { file: wire::File::from(r), by: wire::User::from(people.get(&r.user_id)?) })
                })
                .collect();
            Ok(Paged::cut(shared, paging))
        })
        .await
}

/// Learns a stored picture's size and stores its thumbnail, from its whole bytes when they
/// were kept (`whole`, at most `PICTURE_SOURCE_MAX`), else from its first bytes. A picture
/// that cannot be decoded within the limits stays an ordinary file.
pub async fn describe_picture(state: &AppState, stored: &mut Stored, whole: Option<Vec<u8>>, head: Vec<u8>) {
    if !is_image(&stored.content_type) {
        return;
    }
    // Decoding takes up to `images::MAX_DECODED_BYTES` and a core: two at a time, however
    // many uploads come in at once.
    static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
    let Ok(_turn) = DECODING.acquire().await else { return };
    let content_type = stored.content_type.clone();
    let examined = tokio::task::spawn_blocking(move || match whole {
        Some(bytes) => images::examine(&bytes, &content_type).map(|p| (p.width, p.height, p.thumbnail)),
        None => images::dimensions(&head).map(|(width, height)| (width, height, None)),
    })
    .await
    .ok()
    .flatten();
    let Some((width, height, thumbnail)) = examined else { return };
    stored.width = i32::try_from(width).ok();
    stored.height = i32::try_from(height).ok();
    if let Some(thumbnail) = thumbnail {
        let key = thumbnail_key(&stored.key, thumbnail.content_type);
        match state.storage.put(&key, thumbnail.bytes).await {
            Ok(()) => stored.thumbnail_key = Some(key),
            Err(e) => {
                tracing::warn!(key, error = %e, "could not store a thumbnail; the picture is shown whole");
                // A write that timed out may still have landed.
                discard(state, std::slice::from_ref(&key)).await;
            }
        }
    }
}

/// A thumbnail's key: its picture's, with the thumbnail's type as an extension.
fn thumbnail_key(key: &str, content_type: &str) -> String {
    let extension = if content_type == "image/png" { "png" } else { "jpg" };
    format!("{key}.thumb.{extension}")
}

/// The type of a thumbnail, from its key.
pub fn thumbnail_type(key: &str) -> &'static str {
    if key.ends_with(".png") { "image/png" } else { "image/jpeg" }
}

/// A file's thumbnail, for someone who may read the file: its key and type.
pub async fn thumbnail(state: &AppState, user_id: i64, file_id: i64) -> Result<(FileRow, String), AppError> {
    let file = readable(state, user_id, file_id).await?;
    let key = file.thumbnail_key.clone().ok_or_else(|| {
        AppError::not_found(Code::FileNotFound, "That file has no thumbnail: it is not a picture, or a small one.")
    })?;
    Ok((file, key))
}

/// Deletes one shared file (its uploader, or an admin of its channel): it is no longer
/// served from now on, its message changes live for everyone, and its objects are removed
/// after the grace period. A message left with neither text nor files is deleted with it.
pub async fn delete(state: &AppState, actor: &Actor, file_id: i64) -> Result<(), AppError> {
    let user_id = actor.id();
    let grace = state.settings.deleted_file_grace;
    state
        .db
        .write(move |tx| {
            let file = FileRow::find(tx, file_id)?.filter(|f| f.deleted_at.is_none()).ok_or_else(file_not_found)?;
            let ctx = access::channel(tx, user_id, file.channel_id).map_err(|_| file_not_found())?;
            let message = file.message_id.map(|id| MessageRow::find(tx, id)).transpose()?.flatten();
            let Some(message) = message.filter(|m| m.deleted_at.is_none()) else { return Err(file_not_found()) };
            ctx.access.may_delete_file(file.user_id == user_id)?;
            let now = db::now();
            let Some(deleted) = FileRow::delete(tx, file_id, now)? else { return Err(file_not_found()) };
            remove_later(tx, std::slice::from_ref(&deleted), grace)?;
            let emptied = message.text.trim().is_empty() && FileRow::count_of_message(tx, message.id)? == 0;
            super::messages::file_removed(tx, &ctx.channel, &message, emptied, grace)
        })
        .await
}

/// Schedules the removal of deleted files' objects once the grace period has passed (a
/// download under way finishes; nothing is left behind).
pub(super) fn remove_later(tx: &mut Tx<'_>, files: &[FileRow], grace: Duration) -> Result<(), AppError> {
    let keys: Vec<String> = files.iter().flat_map(FileRow::storage_keys).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let run_at = db::now() + chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::hours(1));
    jobs::enqueue_at(tx, &Job::RemoveFiles { keys }, run_at)?;
    Ok(())
}

/// Removes stored objects that no message will share (an upload refused or abandoned).
pub async fn discard(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(e) = state.storage.remove(key).await {
            tracing::warn!(key, error = %e, "could not remove an unshared upload");
        }
    }
}

/// A file's bytes held whole (a mail's attachment), as chunks for `store_named`.
pub struct Whole(pub Option<Bytes>);

impl Chunks for Whole {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        Ok(self.0.take())
    }
}

/// Storage that cannot be reached now.
pub fn storage_down(e: crate::storage::Unavailable) -> AppError {
    AppError::unavailable("file storage", e)
}

/// A file over the size limit.
pub fn too_large(max: u64) -> AppError {
    AppError::TooLarge(crate::error::Problem {
        code: Code::FileTooLarge,
        message: format!("A file can be at most {} MB.", max.div_ceil(1 << 20)),
    })
}

/// Where a file's bytes come from: a multipart field, or a whole request body.
pub trait Chunks {
    /// The next chunk; `None` at the end.
    fn next_chunk(&mut self) -> impl std::future::Future<Output = Result<Option<Bytes>, AppError>>;
}

/// Streams a file named `name` to storage from `source`, as `store` does.
pub async fn store_named(
    state: &AppState,
    prefix: &str,
    name: String,
    field: &mut impl Chunks,
    max: u64,
) -> Result<Stored, AppError> {
    let mut lead = BytesMut::new();
    let mut ended = false;
    while lead.len() < JPEG_METADATA_BYTES {
        let Some(chunk) = field.next_chunk().await? else {
            ended = true;
            break;
        };
        if (lead.len() + chunk.len()) as u64 > max {
            return Err(too_large(max));
        }
        lead.extend_from_slice(&chunk);
    }
    let content_type = sniff_named(&lead, &name);
    if content_type == "image/jpeg" && strip_location(&mut lead) {
        tracing::debug!("took location metadata out of a photo");
    }
    let head = lead[..lead.len().min(JPEG_METADATA_BYTES)].to_vec();
    // A GIF is only measured (it is shown itself, animated): its header is enough.
    let mut whole = (is_image(content_type) && content_type != "image/gif").then(|| lead.to_vec());
    let key = new_key(prefix);
    let mut object = state.storage.begin(&key);
    let mut chunk = Some(lead.freeze());
    loop {
        let Some(bytes) = chunk.take() else { break };
        if object.size() + bytes.len() as u64 > max {
            object.abort().await;
            return Err(too_large(max));
        }
        if let Some(kept) = &mut whole {
            if kept.len() + bytes.len() > PICTURE_SOURCE_MAX {
                whole = None;
            } else if object.size() > 0 {
                kept.extend_from_slice(&bytes);
            }
        }
        if let Err(e) = object.write(bytes).await {
            object.abort().await;
            return Err(storage_down(e));
        }
        if !ended {
            match field.next_chunk().await {
                Ok(Some(next)) => chunk = Some(next),
                Ok(None) => ended = true,
                Err(e) => {
                    object.abort().await;
                    return Err(e);
                }
            }
        }
    }
    let written = match object.finish().await {
        Ok(written) => written,
        Err(e) => {
            // A write that timed out may still have landed.
            discard(state, std::slice::from_ref(&key)).await;
            return Err(storage_down(e));
        }
    };
    let mut stored = Stored {
        key,
        name,
        content_type: content_type.to_owned(),
        size: written.size,
        sha256: written.sha256,
        width: None,
        height: None,
        thumbnail_key: None,
    };
    describe_picture(state, &mut stored, whole, head).await;
    Ok(stored)
}
