//! Sharing files: who may upload into a channel, recording what was stored with the message
//! that shares it, a channel's files, and who may read one (a member of its channel, while
//! its message stands).

use super::access;
use super::{Actor, AppState, Paged};
use crate::db::Conn;
use crate::db::channels::ChannelRow;
use crate::db::files::{FileRow, NewFile};
use crate::db::messages::MessageRow;
use crate::domain::{Code, Paging};
use crate::error::AppError;
use crate::wire;

/// The most files one message shares.
pub const MAX_FILES_PER_MESSAGE: usize = 10;

/// A file already written to storage, waiting for its message.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

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

/// A channel's files, newest first.
pub async fn in_channel(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    paging: Paging,
) -> Result<Paged<wire::File>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            access::channel(conn, user_id, channel_id)?;
            let rows = FileRow::in_channel(conn, channel_id, paging.offset, paging.fetch())?;
            Ok(Paged::cut(rows.iter().map(wire::File::from).collect(), paging))
        })
        .await
}

/// Removes stored objects that no message will share (an upload refused or abandoned).
pub async fn discard(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(e) = state.storage.remove(key).await {
            tracing::warn!(key, error = %e, "could not remove an unshared upload");
        }
    }
}
