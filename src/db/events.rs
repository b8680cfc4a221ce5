//! `events` and `follower_cursors`: the durable, ordered change log and the positions of
//! the cluster-wide followers in it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::events::{self, dsl as e};
use super::schema::follower_cursors::dsl as c;

/// The PostgreSQL channel that carries "the log grew" between nodes.
pub const NOTIFY_CHANNEL: &str = "hearth_events";

/// Takes the append lock and queues the NOTIFY that wakes other nodes; both last until
/// commit (PostgreSQL only: SQLite's writer lock already orders commits).
pub fn lock_for_append(conn: &mut Conn) -> QueryResult<()> {
    super::lock(conn, super::Lock::Append)?;
    super::notify(conn, NOTIFY_CHANNEL, "")
}

/// A row of `events`.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub seq: i64,
    pub workspace_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub user_id: Option<i64>,
    pub kind: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
}

pub const COLUMNS: (
    events::seq,
    events::workspace_id,
    events::channel_id,
    events::user_id,
    events::kind,
    events::payload,
    events::created_at,
) = (e::seq, e::workspace_id, e::channel_id, e::user_id, e::kind, e::payload, e::created_at);

#[derive(Insertable)]
#[diesel(table_name = events)]
pub struct NewEventRow<'a> {
    pub workspace_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub user_id: Option<i64>,
    pub kind: &'a str,
    pub payload: &'a str,
    pub created_at: NaiveDateTime,
}

impl NewEventRow<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<i64> {
        diesel::insert_into(e::events).values(self).returning(e::seq).get_result(conn)
    }
}

impl EventRow {
    /// Up to `limit` events after `since`, oldest first.
    pub fn after(conn: &mut Conn, since: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
        e::events.filter(e::seq.gt(since)).order(e::seq).limit(limit).select(COLUMNS).load(conn)
    }

    /// The scopes (`seq`, workspace, channel, user, kind) of up to `limit` events after
    /// `since`, oldest first, without their payloads: enough to count what a viewer sees.
    #[expect(clippy::type_complexity, reason = "one column each, as stored")]
    pub fn scopes_after(
        conn: &mut Conn,
        since: i64,
        limit: i64,
    ) -> QueryResult<Vec<(i64, Option<i64>, Option<i64>, Option<i64>, String)>> {
        e::events
            .filter(e::seq.gt(since))
            .order(e::seq)
            .limit(limit)
            .select((e::seq, e::workspace_id, e::channel_id, e::user_id, e::kind))
            .load(conn)
    }

    /// The newest `seq`, if any event is stored.
    pub fn max_seq(conn: &mut Conn) -> QueryResult<Option<i64>> {
        e::events.select(diesel::dsl::max(e::seq)).first(conn)
    }
}

/// Reads a cluster-wide follower's cursor, creating it at `start` the first time, and locks
/// the row until the transaction ends (PostgreSQL: `FOR UPDATE`; SQLite: the writer lock
/// already serialises every write transaction).
pub fn lock_cursor(conn: &mut Conn, name: &str, start: i64, now: NaiveDateTime) -> QueryResult<i64> {
    let query = c::follower_cursors.filter(c::name.eq(name)).select(c::seq);
    let existing = match conn {
        Conn::Postgresql(pg) => query.for_update().first::<i64>(pg).optional()?,
        Conn::Sqlite(lite) => query.first::<i64>(lite).optional()?,
    };
    if let Some(seq) = existing {
        return Ok(seq);
    }
    let inserted = match conn {
        Conn::Postgresql(pg) => diesel::insert_into(c::follower_cursors)
            .values((c::name.eq(name), c::seq.eq(start), c::updated_at.eq(now)))
            .on_conflict_do_nothing()
            .execute(pg)?,
        Conn::Sqlite(lite) => diesel::insert_into(c::follower_cursors)
            .values((c::name.eq(name), c::seq.eq(start), c::updated_at.eq(now)))
            .execute(lite)?,
    };
    if inserted == 1 {
        // The new row is ours until commit; on PostgreSQL a racing node waits on it above.
        return Ok(start);
    }
    match conn {
        Conn::Postgresql(pg) => query.for_update().first(pg),
        Conn::Sqlite(lite) => query.first(lite),
    }
}

pub fn set_cursor(conn: &mut Conn, name: &str, seq: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(c::follower_cursors.filter(c::name.eq(name)))
        .set((c::seq.eq(seq), c::updated_at.eq(now)))
        .execute(conn)
}

/// The lowest position of any cluster-wide follower: nothing above it may be pruned.
pub fn lowest_cursor(conn: &mut Conn) -> QueryResult<Option<i64>> {
    c::follower_cursors.select(diesel::dsl::min(c::seq)).first(conn)
}

/// Deletes events created before `before` with `seq` below `below`; returns the highest
/// deleted `seq`, if any.
pub fn prune(conn: &mut Conn, before: NaiveDateTime, below: i64) -> QueryResult<Option<i64>> {
    let doomed = e::events.filter(e::created_at.lt(before)).filter(e::seq.lt(below));
    let highest: Option<i64> = doomed.select(diesel::dsl::max(e::seq)).first(conn)?;
    if let Some(h) = highest {
        diesel::delete(e::events.filter(e::seq.le(h))).execute(conn)?;
    }
    Ok(highest)
}
