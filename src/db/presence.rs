//! `presence`: one row per person per node they are connected to, refreshed while they
//! stay; a person's status is the best across nodes, and rows not refreshed for a while
//! (a node that died) no longer count.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::presence::dsl as p;

/// On PostgreSQL, serialises the presence changes of one person across nodes, so that two
/// nodes they leave at once do not each still see the other's row and both call them online.
pub fn lock_person(conn: &mut Conn, user_id: i64) -> QueryResult<()> {
    super::lock(conn, super::Lock::Presence { user_id })
}

/// Records `status` for a person on a node.
pub fn set(conn: &mut Conn, user_id: i64, node: i64, status: &str, now: NaiveDateTime) -> QueryResult<usize> {
    let updated = diesel::update(p::presence.filter(p::user_id.eq(user_id)).filter(p::node.eq(node)))
        .set((p::status.eq(status), p::updated_at.eq(now)))
        .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(p::presence)
        .values((p::user_id.eq(user_id), p::node.eq(node), p::status.eq(status), p::updated_at.eq(now)))
        .execute(conn)
}

/// The person left this node.
pub fn clear(conn: &mut Conn, user_id: i64, node: i64) -> QueryResult<usize> {
    diesel::delete(p::presence.filter(p::user_id.eq(user_id)).filter(p::node.eq(node))).execute(conn)
}

/// Keeps a node's rows alive.
pub fn refresh(conn: &mut Conn, node: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(p::presence.filter(p::node.eq(node))).set(p::updated_at.eq(now)).execute(conn)
}

/// Forgets rows last refreshed before `before`.
pub fn expire(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(p::presence.filter(p::updated_at.lt(before))).execute(conn)
}

/// The statuses of some people across nodes, fresh since `since`: (user, status) rows.
pub fn statuses(conn: &mut Conn, user_ids: &[i64], since: NaiveDateTime) -> QueryResult<Vec<(i64, String)>> {
    p::presence
        .filter(p::user_id.eq_any(user_ids))
        .filter(p::updated_at.ge(since))
        .select((p::user_id, p::status))
        .load(conn)
}

/// Whether a person is active (`online`) on some node, by rows fresh since `since`.
pub fn is_online(conn: &mut Conn, user_id: i64, since: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        p::presence.filter(p::user_id.eq(user_id)).filter(p::updated_at.ge(since)).filter(p::status.eq("online")),
    ))
    .get_result(conn)
}
