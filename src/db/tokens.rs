//! `api_tokens`: personal access tokens, stored as the SHA-256 of the token.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::api_tokens::{self, dsl as t};
use super::users::{self, UserRow};

/// A row of `api_tokens`.
#[derive(Debug, Clone, Queryable)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub const COLUMNS: (
    api_tokens::id,
    api_tokens::user_id,
    api_tokens::name,
    api_tokens::token_hash,
    api_tokens::created_at,
    api_tokens::last_used_at,
    api_tokens::revoked_at,
) = (t::id, t::user_id, t::name, t::token_hash, t::created_at, t::last_used_at, t::revoked_at);

#[derive(Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewToken<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<TokenRow> {
        diesel::insert_into(t::api_tokens).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl TokenRow {
    /// A live token and its user, by the token's hash.
    pub fn find_live_with_user(conn: &mut Conn, hash: &str) -> QueryResult<Option<(TokenRow, UserRow)>> {
        t::api_tokens
            .inner_join(super::schema::users::table)
            .filter(t::token_hash.eq(hash))
            .filter(t::revoked_at.is_null())
            .select((COLUMNS, users::COLUMNS))
            .first(conn)
            .optional()
    }

    pub fn list_live(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<TokenRow>> {
        t::api_tokens
            .filter(t::user_id.eq(user_id))
            .filter(t::revoked_at.is_null())
            .order(t::id.desc())
            .select(COLUMNS)
            .load(conn)
    }

    pub fn touch(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(t::api_tokens.find(id)).set(t::last_used_at.eq(at)).execute(conn)
    }

    /// Revokes one of `user_id`'s live tokens; 0 rows when it is not theirs or not live.
    pub fn revoke(conn: &mut Conn, user_id: i64, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            t::api_tokens.filter(t::id.eq(id)).filter(t::user_id.eq(user_id)).filter(t::revoked_at.is_null()),
        )
        .set(t::revoked_at.eq(at))
        .execute(conn)
    }

    pub fn revoke_all(conn: &mut Conn, user_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(t::api_tokens.filter(t::user_id.eq(user_id)).filter(t::revoked_at.is_null()))
            .set(t::revoked_at.eq(at))
            .execute(conn)
    }
}
