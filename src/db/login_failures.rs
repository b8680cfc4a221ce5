//! `login_failures`: failed sign-ins, counted per account and per address to throttle
//! password guessing across every node.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::login_failures::dsl as f;

pub fn record(conn: &mut Conn, login_key: &str, ip: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(f::login_failures)
        .values((f::login_key.eq(login_key), f::ip.eq(ip), f::created_at.eq(at)))
        .execute(conn)
}

/// How many failures, and when the oldest of them was.
pub type FailureCount = (i64, Option<NaiveDateTime>);

/// Failures since `since` for this account and for this address.
pub fn recent(
    conn: &mut Conn,
    login_key: &str,
    ip: &str,
    since: NaiveDateTime,
) -> QueryResult<(FailureCount, FailureCount)> {
    let by_key = f::login_failures
        .filter(f::login_key.eq(login_key))
        .filter(f::created_at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(f::created_at)))
        .first(conn)?;
    let by_ip = f::login_failures
        .filter(f::ip.eq(ip))
        .filter(f::created_at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::min(f::created_at)))
        .first(conn)?;
    Ok((by_key, by_ip))
}

/// Forgets an account's failures after a successful sign-in.
pub fn clear(conn: &mut Conn, login_key: &str) -> QueryResult<usize> {
    diesel::delete(f::login_failures.filter(f::login_key.eq(login_key))).execute(conn)
}

/// Deletes failures older than the window.
pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(f::login_failures.filter(f::created_at.lt(before))).execute(conn)
}
