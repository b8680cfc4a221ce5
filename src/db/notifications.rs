//! `notifications` (what may call for a mail to whom, and what became of it) and
//! `notification_preferences` (how each person wants to be mailed).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::notification_preferences::{self, dsl as np};
use super::schema::notifications::{self, dsl as n};

/// A row of `notification_preferences`; a person without one has the defaults.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = notification_preferences)]
pub struct PreferencesRow {
    pub user_id: i64,
    pub email_notifications: String,
    pub digest_hour: i32,
    pub time_zone: String,
    pub updated_at: NaiveDateTime,
}

const PREFERENCE_COLUMNS: (
    notification_preferences::user_id,
    notification_preferences::email_notifications,
    notification_preferences::digest_hour,
    notification_preferences::time_zone,
    notification_preferences::updated_at,
) = (np::user_id, np::email_notifications, np::digest_hour, np::time_zone, np::updated_at);

/// How many ids one `IN (…)` list holds at most.
const CHUNK: usize = 500;

impl PreferencesRow {
    pub fn find(conn: &mut Conn, user_id: i64) -> QueryResult<Option<PreferencesRow>> {
        np::notification_preferences.find(user_id).select(PREFERENCE_COLUMNS).first(conn).optional()
    }

    /// The rows of those of `user_ids` who have one.
    pub fn of_users(conn: &mut Conn, user_ids: &[i64]) -> QueryResult<Vec<PreferencesRow>> {
        let mut out = Vec::new();
        for chunk in user_ids.chunks(CHUNK) {
            out.extend(
                np::notification_preferences
                    .filter(np::user_id.eq_any(chunk))
                    .select(PREFERENCE_COLUMNS)
                    .load::<PreferencesRow>(conn)?,
            );
        }
        Ok(out)
    }

    /// Writes the row, replacing the person's earlier one.
    pub fn save(&self, conn: &mut Conn) -> QueryResult<usize> {
        let updated = diesel::update(np::notification_preferences.find(self.user_id))
            .set((
                np::email_notifications.eq(&self.email_notifications),
                np::digest_hour.eq(self.digest_hour),
                np::time_zone.eq(&self.time_zone),
                np::updated_at.eq(self.updated_at),
            ))
            .execute(conn)?;
        if updated > 0 {
            return Ok(updated);
        }
        diesel::insert_into(np::notification_preferences).values(self).execute(conn)
    }
}

/// A row of `notifications`.
#[derive(Debug, Clone, Queryable)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: i64,
    pub message_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub done_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
}

const COLUMNS: (
    notifications::id,
    notifications::user_id,
    notifications::message_id,
    notifications::channel_id,
    notifications::thread_root_id,
    notifications::reason,
    notifications::created_at,
    notifications::due_at,
    notifications::done_at,
    notifications::outcome,
) = (
    n::id,
    n::user_id,
    n::message_id,
    n::channel_id,
    n::thread_root_id,
    n::reason,
    n::created_at,
    n::due_at,
    n::done_at,
    n::outcome,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = notifications)]
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub message_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    pub reason: &'a str,
    pub created_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
}

impl NewNotification<'_> {
    /// Inserts many rows in a few statements.
    pub fn insert_many(conn: &mut Conn, rows: &[NewNotification<'_>]) -> QueryResult<usize> {
        let mut inserted = 0;
        for chunk in rows.chunks(CHUNK) {
            let insert = diesel::insert_into(n::notifications).values(chunk);
            // Rows of many values at once are the backends' own, not the multi-backend's.
            inserted += match conn {
                Conn::Postgresql(pg) => insert.execute(pg)?,
                Conn::Sqlite(lite) => insert.execute(lite)?,
            };
        }
        Ok(inserted)
    }
}

impl NotificationRow {
    /// A person's notifications not yet decided on, oldest first.
    pub fn open_of(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<NotificationRow>> {
        n::notifications
            .filter(n::user_id.eq(user_id))
            .filter(n::done_at.is_null())
            .order(n::id)
            .select(COLUMNS)
            .load(conn)
    }

    /// Records what became of some notifications.
    pub fn finish(conn: &mut Conn, ids: &[i64], outcome: &str, at: NaiveDateTime) -> QueryResult<usize> {
        let mut done = 0;
        for chunk in ids.chunks(CHUNK) {
            done += diesel::update(n::notifications.filter(n::id.eq_any(chunk)))
                .set((n::done_at.eq(at), n::outcome.eq(outcome)))
                .execute(conn)?;
        }
        Ok(done)
    }
}
