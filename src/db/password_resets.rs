//! `password_resets`: single-use, expiring, stored as the SHA-256 of the token in the link.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::password_resets::{self, dsl as r};

/// A row of `password_resets`.
#[derive(Debug, Clone, Queryable)]
pub struct ResetRow {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

pub const COLUMNS: (
    password_resets::id,
    password_resets::user_id,
    password_resets::token_hash,
    password_resets::created_at,
    password_resets::expires_at,
    password_resets::used_at,
) = (r::id, r::user_id, r::token_hash, r::created_at, r::expires_at, r::used_at);

#[derive(Insertable)]
#[diesel(table_name = password_resets)]
pub struct NewReset<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl NewReset<'_> {
    /// Inserts the reset; returns its id.
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<i64> {
        diesel::insert_into(r::password_resets).values(self).returning(r::id).get_result(conn)
    }
}

impl ResetRow {
    /// Gives a still-usable reset a new token (the one its mail is about to carry); 0 rows
    /// when it was used or has expired.
    pub fn renew_token(conn: &mut Conn, id: i64, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            r::password_resets.filter(r::id.eq(id)).filter(r::used_at.is_null()).filter(r::expires_at.gt(now)),
        )
        .set(r::token_hash.eq(hash))
        .execute(conn)
    }

    pub fn find_by_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<ResetRow>> {
        r::password_resets.filter(r::token_hash.eq(hash)).select(COLUMNS).first(conn).optional()
    }

    /// Uses up every open reset of the user (a new password ends all pending links).
    pub fn use_all(conn: &mut Conn, user_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(r::password_resets.filter(r::user_id.eq(user_id)).filter(r::used_at.is_null()))
            .set(r::used_at.eq(at))
            .execute(conn)
    }

    /// Resets requested for a user since `since`: requests are rate-limited per account.
    pub fn count_since(conn: &mut Conn, user_id: i64, since: NaiveDateTime) -> QueryResult<i64> {
        r::password_resets.filter(r::user_id.eq(user_id)).filter(r::created_at.gt(since)).count().get_result(conn)
    }
}
