//! `sessions`: one row per sign-in, checked on every request.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::sessions::{self, dsl as s};
use super::users::{self, UserRow};

/// A row of `sessions`.
#[derive(Debug, Clone, Queryable)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub user_agent: Option<String>,
}

pub const COLUMNS: (
    sessions::id,
    sessions::user_id,
    sessions::created_at,
    sessions::expires_at,
    sessions::revoked_at,
    sessions::user_agent,
) = (s::id, s::user_id, s::created_at, s::expires_at, s::revoked_at, s::user_agent);

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub user_id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: Option<&'a str>,
}

impl NewSession<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<SessionRow> {
        diesel::insert_into(s::sessions).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl SessionRow {
    /// The session and its user, in one query.
    pub fn find_with_user(conn: &mut Conn, id: i64) -> QueryResult<Option<(SessionRow, UserRow)>> {
        s::sessions
            .inner_join(super::schema::users::table)
            .filter(s::id.eq(id))
            .select((COLUMNS, users::COLUMNS))
            .first(conn)
            .optional()
    }

    pub fn extend(conn: &mut Conn, id: i64, expires_at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(s::sessions.find(id)).set(s::expires_at.eq(expires_at)).execute(conn)
    }

    pub fn revoke(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(s::sessions.find(id).filter(s::revoked_at.is_null())).set(s::revoked_at.eq(at)).execute(conn)
    }

    /// Revokes all of a user's sessions but `keep`.
    pub fn revoke_all(conn: &mut Conn, user_id: i64, keep: Option<i64>, at: NaiveDateTime) -> QueryResult<usize> {
        let keep = keep.unwrap_or(-1);
        diesel::update(
            s::sessions.filter(s::user_id.eq(user_id)).filter(s::id.ne(keep)).filter(s::revoked_at.is_null()),
        )
        .set(s::revoked_at.eq(at))
        .execute(conn)
    }
}
