//! `email_verifications`: proof that someone receives mail at their address; single use,
//! expiring, stored as the SHA-256 of the token in the link.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::email_verifications::dsl as v;

/// A row of `email_verifications`.
#[derive(Debug, Clone, Queryable)]
pub struct VerificationRow {
    pub id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

impl VerificationRow {
    /// Asks `user_id` to verify; returns the new row's id.
    pub fn insert(
        conn: &mut Conn,
        user_id: i64,
        hash: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<i64> {
        diesel::insert_into(v::email_verifications)
            .values((
                v::user_id.eq(user_id),
                v::token_hash.eq(hash),
                v::created_at.eq(now),
                v::expires_at.eq(expires_at),
            ))
            .returning(v::id)
            .get_result(conn)
    }

    pub fn find_by_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<VerificationRow>> {
        v::email_verifications
            .filter(v::token_hash.eq(hash))
            .select((v::id, v::user_id, v::token_hash, v::created_at, v::expires_at, v::used_at))
            .first(conn)
            .optional()
    }

    /// Gives a still-usable verification a new token (the one its mail is about to carry);
    /// 0 rows when it was used or has expired.
    pub fn renew_token(conn: &mut Conn, id: i64, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            v::email_verifications.filter(v::id.eq(id)).filter(v::used_at.is_null()).filter(v::expires_at.gt(now)),
        )
        .set(v::token_hash.eq(hash))
        .execute(conn)
    }

    /// Uses up every verification of the user: the address is proven.
    pub fn use_all(conn: &mut Conn, user_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(v::email_verifications.filter(v::user_id.eq(user_id)).filter(v::used_at.is_null()))
            .set(v::used_at.eq(at))
            .execute(conn)
    }

    /// Where the user stands: `None` when never asked to verify (verified by an invitation,
    /// or the server's first account); otherwise whether any verification was used, and
    /// when the newest one expires.
    pub fn standing(conn: &mut Conn, user_id: i64) -> QueryResult<Option<(bool, NaiveDateTime)>> {
        let rows: Vec<(Option<NaiveDateTime>, NaiveDateTime)> =
            v::email_verifications.filter(v::user_id.eq(user_id)).select((v::used_at, v::expires_at)).load(conn)?;
        Ok(rows.iter().map(|(_, e)| *e).max().map(|newest| (rows.iter().any(|(u, _)| u.is_some()), newest)))
    }
}
