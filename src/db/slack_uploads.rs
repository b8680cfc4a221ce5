//! `slack_uploads`: files on their way in through Slack's two-step upload.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::slack_uploads::{self, dsl as s};

/// A row of `slack_uploads`.
#[derive(Debug, Clone, Queryable)]
pub struct UploadRow {
    pub id: i64,
    pub token_hash: String,
    pub user_id: i64,
    pub workspace_id: i64,
    pub filename: String,
    /// The size announced, in bytes: the upload must be exactly this.
    pub length: i64,
    /// What was stored (JSON), once the bytes came.
    pub stored: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

const COLUMNS: (
    slack_uploads::id,
    slack_uploads::token_hash,
    slack_uploads::user_id,
    slack_uploads::workspace_id,
    slack_uploads::filename,
    slack_uploads::length,
    slack_uploads::stored,
    slack_uploads::created_at,
    slack_uploads::expires_at,
) = (
    s::id,
    s::token_hash,
    s::user_id,
    s::workspace_id,
    s::filename,
    s::length,
    s::stored,
    s::created_at,
    s::expires_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = slack_uploads)]
pub struct NewUpload<'a> {
    pub token_hash: &'a str,
    pub user_id: i64,
    pub workspace_id: i64,
    pub filename: &'a str,
    pub length: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl NewUpload<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<UploadRow> {
        diesel::insert_into(s::slack_uploads).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl UploadRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<UploadRow>> {
        s::slack_uploads.find(id).select(COLUMNS).first(conn).optional()
    }

    pub fn find_by_token_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<UploadRow>> {
        s::slack_uploads.filter(s::token_hash.eq(hash)).select(COLUMNS).first(conn).optional()
    }

    /// Records what was stored, if nothing was yet: whether this upload is the one kept.
    pub fn set_stored(conn: &mut Conn, id: i64, stored: &str) -> QueryResult<bool> {
        let n = diesel::update(s::slack_uploads.find(id).filter(s::stored.is_null()))
            .set(s::stored.eq(stored))
            .execute(conn)?;
        Ok(n == 1)
    }

    /// How many uploads someone has waiting (sent or not).
    pub fn pending_of(conn: &mut Conn, user_id: i64) -> QueryResult<i64> {
        s::slack_uploads.filter(s::user_id.eq(user_id)).count().get_result(conn)
    }

    pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
        diesel::delete(s::slack_uploads.find(id)).execute(conn)
    }

    /// The uploads that expired before `before`.
    pub fn expired(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<Vec<UploadRow>> {
        s::slack_uploads.filter(s::expires_at.lt(before)).select(COLUMNS).load(conn)
    }
}
