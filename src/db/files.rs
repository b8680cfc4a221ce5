//! `files`: what hearth knows of each shared file (the bytes are in object storage).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::files::{self, dsl as f};

/// A row of `files`.
#[derive(Debug, Clone, Queryable)]
pub struct FileRow {
    pub id: i64,
    pub workspace_id: i64,
    pub channel_id: i64,
    /// The message that shares it (none only between the upload and its message).
    pub message_id: Option<i64>,
    pub user_id: i64,
    /// The name as the uploader gave it, cleaned; shown, never used as a path.
    pub name: String,
    /// Sniffed from the bytes, not taken from the client.
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    /// A smaller copy of a picture, when one was made.
    pub thumbnail_key: Option<String>,
}

#[expect(clippy::type_complexity, reason = "one column per field of FileRow")]
const COLUMNS: (
    files::id,
    files::workspace_id,
    files::channel_id,
    files::message_id,
    files::user_id,
    files::name,
    files::content_type,
    files::size,
    files::sha256,
    files::storage_key,
    files::width,
    files::height,
    files::created_at,
    files::deleted_at,
    files::thumbnail_key,
) = (
    f::id,
    f::workspace_id,
    f::channel_id,
    f::message_id,
    f::user_id,
    f::name,
    f::content_type,
    f::size,
    f::sha256,
    f::storage_key,
    f::width,
    f::height,
    f::created_at,
    f::deleted_at,
    f::thumbnail_key,
);

/// A file to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = files)]
pub struct NewFile<'a> {
    pub workspace_id: i64,
    pub channel_id: i64,
    pub message_id: Option<i64>,
    pub user_id: i64,
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: i64,
    pub sha256: &'a str,
    pub storage_key: &'a str,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: NaiveDateTime,
    pub thumbnail_key: Option<&'a str>,
}

impl NewFile<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<FileRow> {
        diesel::insert_into(f::files).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl FileRow {
    /// Every object stored for it: the file, and its thumbnail if it has one.
    pub fn storage_keys(&self) -> impl Iterator<Item = String> + '_ {
        std::iter::once(self.storage_key.clone()).chain(self.thumbnail_key.clone())
    }

    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<FileRow>> {
        f::files.find(id).select(COLUMNS).first(conn).optional()
    }

    /// The files these messages share, oldest first.
    pub fn of_messages(conn: &mut Conn, message_ids: &[i64]) -> QueryResult<Vec<FileRow>> {
        f::files
            .filter(f::message_id.eq_any(message_ids))
            .filter(f::deleted_at.is_null())
            .order(f::id.asc())
            .select(COLUMNS)
            .load(conn)
    }

    /// The names of the files these messages share, as (message id, name), oldest first.
    pub fn names_of_messages(conn: &mut Conn, message_ids: &[i64]) -> QueryResult<Vec<(i64, String)>> {
        f::files
            .filter(f::message_id.eq_any(message_ids))
            .filter(f::deleted_at.is_null())
            .order(f::id.asc())
            .select((f::message_id.assume_not_null(), f::name))
            .load(conn)
    }

    /// A page of the files shared in a channel and not deleted, newest first.
    pub fn in_channel(conn: &mut Conn, channel_id: i64, offset: i64, limit: i64) -> QueryResult<Vec<FileRow>> {
        f::files
            .filter(f::channel_id.eq(channel_id))
            .filter(f::deleted_at.is_null())
            .filter(f::message_id.is_not_null())
            .order(f::id.desc())
            .offset(offset)
            .limit(limit)
            .select(COLUMNS)
            .load(conn)
    }

    /// Marks a message's files deleted (no longer served); returns them, for their objects
    /// to be removed later.
    pub fn delete_of_message(conn: &mut Conn, message_id: i64, at: NaiveDateTime) -> QueryResult<Vec<FileRow>> {
        diesel::update(f::files.filter(f::message_id.eq(message_id)).filter(f::deleted_at.is_null()))
            .set(f::deleted_at.eq(at))
            .returning(COLUMNS)
            .get_results(conn)
    }

    /// Marks one file deleted; returns it, unless it already was.
    pub fn delete(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<Option<FileRow>> {
        diesel::update(f::files.find(id).filter(f::deleted_at.is_null()))
            .set(f::deleted_at.eq(at))
            .returning(COLUMNS)
            .get_result(conn)
            .optional()
    }

    /// How many files of a message are still shared.
    pub fn count_of_message(conn: &mut Conn, message_id: i64) -> QueryResult<i64> {
        f::files.filter(f::message_id.eq(message_id)).filter(f::deleted_at.is_null()).count().get_result(conn)
    }
}
