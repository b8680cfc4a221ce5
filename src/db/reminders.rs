//! `reminders`: what `/remind` was asked, for whom, and when.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::reminders::{self, dsl as r};

/// A row of `reminders`. Exactly one of `for_user_id` and `channel_id` is set.
#[derive(Debug, Clone, Queryable)]
pub struct ReminderRow {
    pub id: i64,
    pub workspace_id: i64,
    pub created_by: i64,
    pub for_user_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub what: String,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
}

const COLUMNS: (
    reminders::id,
    reminders::workspace_id,
    reminders::created_by,
    reminders::for_user_id,
    reminders::channel_id,
    reminders::what,
    reminders::due_at,
    reminders::created_at,
    reminders::delivered_at,
    reminders::cancelled_at,
) = (
    r::id,
    r::workspace_id,
    r::created_by,
    r::for_user_id,
    r::channel_id,
    r::what,
    r::due_at,
    r::created_at,
    r::delivered_at,
    r::cancelled_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = reminders)]
pub struct NewReminder<'a> {
    pub workspace_id: i64,
    pub created_by: i64,
    pub for_user_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub what: &'a str,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl NewReminder<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<ReminderRow> {
        diesel::insert_into(r::reminders).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl ReminderRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<ReminderRow>> {
        r::reminders.find(id).select(COLUMNS).first(conn).optional()
    }

    /// What someone set in a workspace that is still to come, soonest first.
    pub fn pending_of(conn: &mut Conn, workspace_id: i64, user_id: i64) -> QueryResult<Vec<ReminderRow>> {
        r::reminders
            .filter(r::workspace_id.eq(workspace_id))
            .filter(r::created_by.eq(user_id))
            .filter(r::delivered_at.is_null())
            .filter(r::cancelled_at.is_null())
            .order((r::due_at.asc(), r::id.asc()))
            .select(COLUMNS)
            .load(conn)
    }

    /// Marks a pending reminder cancelled; whether it was pending.
    pub fn cancel(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
        let n =
            diesel::update(r::reminders.find(id).filter(r::delivered_at.is_null()).filter(r::cancelled_at.is_null()))
                .set(r::cancelled_at.eq(at))
                .execute(conn)?;
        Ok(n == 1)
    }

    /// Marks a pending reminder delivered; whether it was pending (so it is delivered once).
    pub fn deliver(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<bool> {
        let n =
            diesel::update(r::reminders.find(id).filter(r::delivered_at.is_null()).filter(r::cancelled_at.is_null()))
                .set(r::delivered_at.eq(at))
                .execute(conn)?;
        Ok(n == 1)
    }
}
