//! `invitations`: single-use, expiring, stored as the SHA-256 of the token in the link.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::invitations::{self, dsl as i};
use crate::domain::workspaces::Role;

/// A row of `invitations`.
#[derive(Debug, Clone, Queryable)]
pub struct InvitationRow {
    pub id: i64,
    pub workspace_id: i64,
    pub email: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub token_hash: String,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub accepted_by: Option<i64>,
}

pub const COLUMNS: (
    invitations::id,
    invitations::workspace_id,
    invitations::email,
    invitations::role,
    invitations::token_hash,
    invitations::invited_by,
    invitations::created_at,
    invitations::expires_at,
    invitations::accepted_at,
    invitations::accepted_by,
) = (
    i::id,
    i::workspace_id,
    i::email,
    i::role,
    i::token_hash,
    i::invited_by,
    i::created_at,
    i::expires_at,
    i::accepted_at,
    i::accepted_by,
);

#[derive(Insertable)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub workspace_id: i64,
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl NewInvitation<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<InvitationRow> {
        diesel::insert_into(i::invitations).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl InvitationRow {
    /// Gives a still-usable invitation a new token (the one its mail is about to carry);
    /// 0 rows when it was used or has expired.
    pub fn renew_token(conn: &mut Conn, id: i64, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            i::invitations.filter(i::id.eq(id)).filter(i::accepted_at.is_null()).filter(i::expires_at.gt(now)),
        )
        .set(i::token_hash.eq(hash))
        .execute(conn)
    }

    pub fn find_by_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<InvitationRow>> {
        i::invitations.filter(i::token_hash.eq(hash)).select(COLUMNS).first(conn).optional()
    }

    /// Marks the invitation used; 0 rows if someone else used it first.
    pub fn accept(conn: &mut Conn, id: i64, user_id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(i::invitations.find(id).filter(i::accepted_at.is_null()))
            .set((i::accepted_at.eq(at), i::accepted_by.eq(user_id)))
            .execute(conn)
    }

    /// Ends every open invitation of `email` to a workspace.
    pub fn expire_for(conn: &mut Conn, workspace_id: i64, email: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(
            i::invitations
                .filter(i::workspace_id.eq(workspace_id))
                .filter(i::email.eq(email))
                .filter(i::accepted_at.is_null())
                .filter(i::expires_at.gt(now)),
        )
        .set(i::expires_at.eq(now))
        .execute(conn)
    }

    pub fn list_pending(conn: &mut Conn, workspace_id: i64, now: NaiveDateTime) -> QueryResult<Vec<InvitationRow>> {
        i::invitations
            .filter(i::workspace_id.eq(workspace_id))
            .filter(i::accepted_at.is_null())
            .filter(i::expires_at.gt(now))
            .order(i::id.desc())
            .select(COLUMNS)
            .load(conn)
    }
}
