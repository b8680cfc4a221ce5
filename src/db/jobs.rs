//! `jobs`: durable outbound work. All of its SQL: inserting in the causing transaction,
//! claiming under a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the writer lock),
//! recording each attempt's outcome, listing and retrying for operators, pruning.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::jobs::{self, dsl as j};

/// A row of `jobs`.
#[derive(Debug, Clone, Queryable)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    /// Attempts started so far, the running one included.
    pub attempts: i32,
    pub max_attempts: i32,
    /// Not to be started before this time.
    pub run_at: NaiveDateTime,
    /// While in the future, a worker holds the job; after it, the job is free again (its
    /// worker died mid-attempt).
    pub locked_until: Option<NaiveDateTime>,
    /// The worker that started the latest attempt.
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
}

pub const COLUMNS: (
    jobs::id,
    jobs::kind,
    jobs::payload,
    jobs::attempts,
    jobs::max_attempts,
    jobs::run_at,
    jobs::locked_until,
    jobs::claimed_by,
    jobs::last_error,
    jobs::created_at,
    jobs::done_at,
    jobs::failed_at,
) = (
    j::id,
    j::kind,
    j::payload,
    j::attempts,
    j::max_attempts,
    j::run_at,
    j::locked_until,
    j::claimed_by,
    j::last_error,
    j::created_at,
    j::done_at,
    j::failed_at,
);

#[derive(Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a str,
    pub max_attempts: i32,
    pub run_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl NewJob<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<i64> {
        diesel::insert_into(j::jobs).values(self).returning(j::id).get_result(conn)
    }

    /// Inserts many jobs in a few statements (a burst of notifications).
    pub fn insert_many(conn: &mut Conn, jobs: &[NewJob<'_>]) -> QueryResult<usize> {
        let mut inserted = 0;
        for chunk in jobs.chunks(500) {
            let insert = diesel::insert_into(j::jobs).values(chunk);
            // Rows of many values at once are the backends' own, not the multi-backend's.
            inserted += match conn {
                Conn::Postgresql(pg) => insert.execute(pg)?,
                Conn::Sqlite(lite) => insert.execute(lite)?,
            };
        }
        Ok(inserted)
    }
}

/// The attempt a worker holds. Every outcome is written only while the row still shows this
/// attempt by this worker, so a worker whose lease ran out cannot overwrite the outcome of
/// the attempt that took over.
#[derive(Debug, Clone)]
pub struct Claim {
    pub id: i64,
    pub claimed_by: String,
    pub attempt: i32,
}

/// The message kept for an attempt that was cut off: its worker stopped or lost the lease.
const LEASE_LOST: &str = "the worker stopped during the last attempt (its lease ran out)";

impl JobRow {
    /// Claims the job of one of `kinds` that fell due first, if any, for `claimed_by` until
    /// `lease_until`, counting the attempt. Call inside `Db::write`: on PostgreSQL concurrent
    /// claims skip each other's rows (`FOR UPDATE SKIP LOCKED`); on SQLite the writer lock
    /// serialises them. Jobs whose last allowed attempt was cut off are marked failed on the way.
    pub fn claim(
        conn: &mut Conn,
        kinds: &[&str],
        claimed_by: &str,
        now: NaiveDateTime,
        lease_until: NaiveDateTime,
    ) -> QueryResult<Option<JobRow>> {
        diesel::update(
            j::jobs
                .filter(j::done_at.is_null())
                .filter(j::failed_at.is_null())
                .filter(j::locked_until.lt(now))
                .filter(j::attempts.ge(j::max_attempts)),
        )
        .set((j::failed_at.eq(now), j::locked_until.eq(None::<NaiveDateTime>), j::last_error.eq(LEASE_LOST)))
        .execute(conn)?;
        let due = j::jobs
            .filter(j::done_at.is_null())
            .filter(j::failed_at.is_null())
            .filter(j::run_at.le(now))
            .filter(j::locked_until.is_null().or(j::locked_until.lt(now)))
            .filter(j::kind.eq_any(kinds))
            .order((j::run_at, j::id))
            .select(j::id);
        let id = match conn {
            Conn::Postgresql(pg) => due.for_update().skip_locked().first::<i64>(pg).optional()?,
            Conn::Sqlite(lite) => due.first::<i64>(lite).optional()?,
        };
        let Some(id) = id else { return Ok(None) };
        diesel::update(j::jobs.filter(j::id.eq(id)))
            .set((j::attempts.eq(j::attempts + 1), j::locked_until.eq(lease_until), j::claimed_by.eq(claimed_by)))
            .returning(COLUMNS)
            .get_result(conn)
            .optional()
    }

    /// When the next unclaimed job falls due, so that an idle worker sleeps until then.
    pub fn next_due(conn: &mut Conn) -> QueryResult<Option<NaiveDateTime>> {
        j::jobs
            .filter(j::done_at.is_null())
            .filter(j::failed_at.is_null())
            .filter(j::locked_until.is_null())
            .select(diesel::dsl::min(j::run_at))
            .first(conn)
    }

    /// Records a successful attempt and replaces the payload with what may be kept.
    pub fn finish(conn: &mut Conn, claim: &Claim, kept_payload: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(held(claim))
            .set((j::done_at.eq(now), j::locked_until.eq(None::<NaiveDateTime>), j::payload.eq(kept_payload)))
            .execute(conn)
    }

    /// Records a failed attempt that will be tried again at `run_at`.
    pub fn reschedule(conn: &mut Conn, claim: &Claim, run_at: NaiveDateTime, error: &str) -> QueryResult<usize> {
        diesel::update(held(claim))
            .set((j::run_at.eq(run_at), j::locked_until.eq(None::<NaiveDateTime>), j::last_error.eq(error)))
            .execute(conn)
    }

    /// Hands a claimed job back untried (its node is stopping): the attempt is not counted
    /// and the job may run again at once, on any node.
    pub fn release(conn: &mut Conn, claim: &Claim) -> QueryResult<usize> {
        diesel::update(held(claim))
            .set((j::locked_until.eq(None::<NaiveDateTime>), j::attempts.eq(j::attempts - 1)))
            .execute(conn)
    }

    /// Records the failed attempt after which the job is given up on.
    pub fn fail(conn: &mut Conn, claim: &Claim, error: &str, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(held(claim))
            .set((j::failed_at.eq(now), j::locked_until.eq(None::<NaiveDateTime>), j::last_error.eq(error)))
            .execute(conn)
    }

    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<JobRow>> {
        j::jobs.filter(j::id.eq(id)).select(COLUMNS).first(conn).optional()
    }

    /// Jobs not yet done, newest first, with ids below `before`: only failed ones
    /// (`failed: Some(true)`), only pending ones (`Some(false)`), or both (`None`).
    pub fn list(conn: &mut Conn, failed: Option<bool>, before: Option<i64>, limit: i64) -> QueryResult<Vec<JobRow>> {
        let page = j::jobs.filter(j::done_at.is_null()).filter(j::id.lt(before.unwrap_or(i64::MAX)));
        match failed {
            None => page.order(j::id.desc()).limit(limit).select(COLUMNS).load(conn),
            Some(true) => {
                page.filter(j::failed_at.is_not_null()).order(j::id.desc()).limit(limit).select(COLUMNS).load(conn)
            }
            Some(false) => {
                page.filter(j::failed_at.is_null()).order(j::id.desc()).limit(limit).select(COLUMNS).load(conn)
            }
        }
    }

    /// Gives a failed job a fresh set of attempts, due now; 0 when it is not failed.
    pub fn retry(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(j::jobs.filter(j::id.eq(id)).filter(j::failed_at.is_not_null()))
            .set((
                j::failed_at.eq(None::<NaiveDateTime>),
                j::attempts.eq(0),
                j::run_at.eq(now),
                j::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    }

    /// Deletes jobs done before `before`; returns how many.
    pub fn prune_done(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(j::jobs.filter(j::done_at.lt(before))).execute(conn)
    }
}

/// The row of `claim`, as long as that attempt is still the latest and unfinished.
fn held(claim: &Claim) -> Held {
    unfinished_attempt(claim.id, claim.claimed_by.clone(), claim.attempt)
}

type Held = unfinished_attempt;

#[diesel::dsl::auto_type]
fn unfinished_attempt(id: i64, claimed_by: String, attempt: i32) -> _ {
    j::jobs
        .filter(j::id.eq(id))
        .filter(j::claimed_by.eq(claimed_by))
        .filter(j::attempts.eq(attempt))
        .filter(j::done_at.is_null())
        .filter(j::failed_at.is_null())
}
