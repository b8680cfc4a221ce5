//! `incoming_webhooks` and `integration_log`: the integrations of a workspace, and what
//! happened at them lately.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::incoming_webhooks::{self, dsl as h};
use super::schema::integration_log::{self, dsl as l};
use super::schema::outgoing_webhooks::{self, dsl as o};

/// A row of `incoming_webhooks`.
#[derive(Debug, Clone, Queryable)]
pub struct IncomingWebhookRow {
    pub id: i64,
    pub workspace_id: i64,
    /// Where its messages go unless a payload names another channel.
    pub channel_id: i64,
    /// Whose rights its messages are posted with.
    pub created_by: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub token_hash: String,
    /// Payloads may not send its messages elsewhere.
    pub channel_locked: bool,
    pub disabled: bool,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

const COLUMNS: (
    incoming_webhooks::id,
    incoming_webhooks::workspace_id,
    incoming_webhooks::channel_id,
    incoming_webhooks::created_by,
    incoming_webhooks::name,
    incoming_webhooks::icon_url,
    incoming_webhooks::token_hash,
    incoming_webhooks::channel_locked,
    incoming_webhooks::disabled,
    incoming_webhooks::last_used_at,
    incoming_webhooks::created_at,
    incoming_webhooks::updated_at,
) = (
    h::id,
    h::workspace_id,
    h::channel_id,
    h::created_by,
    h::name,
    h::icon_url,
    h::token_hash,
    h::channel_locked,
    h::disabled,
    h::last_used_at,
    h::created_at,
    h::updated_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = incoming_webhooks)]
pub struct NewIncomingWebhook<'a> {
    pub workspace_id: i64,
    pub channel_id: i64,
    pub created_by: i64,
    pub name: &'a str,
    pub icon_url: Option<&'a str>,
    pub token_hash: &'a str,
    pub channel_locked: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewIncomingWebhook<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<IncomingWebhookRow> {
        diesel::insert_into(h::incoming_webhooks).values(self).returning(COLUMNS).get_result(conn)
    }
}

/// What an update changes; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = incoming_webhooks)]
pub struct WebhookChanges<'a> {
    pub channel_id: Option<i64>,
    pub name: Option<&'a str>,
    pub icon_url: Option<Option<&'a str>>,
    pub token_hash: Option<&'a str>,
    pub channel_locked: Option<bool>,
    pub disabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

impl IncomingWebhookRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<IncomingWebhookRow>> {
        h::incoming_webhooks.find(id).select(COLUMNS).first(conn).optional()
    }

    pub fn find_by_token_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<IncomingWebhookRow>> {
        h::incoming_webhooks.filter(h::token_hash.eq(hash)).select(COLUMNS).first(conn).optional()
    }

    /// A workspace's hooks, oldest first.
    pub fn of_workspace(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<IncomingWebhookRow>> {
        h::incoming_webhooks.filter(h::workspace_id.eq(workspace_id)).order(h::id.asc()).select(COLUMNS).load(conn)
    }

    pub fn update(conn: &mut Conn, id: i64, changes: &WebhookChanges<'_>) -> QueryResult<IncomingWebhookRow> {
        diesel::update(h::incoming_webhooks.find(id)).set(changes).returning(COLUMNS).get_result(conn)
    }

    pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
        diesel::delete(l::integration_log.filter(l::integration.eq(INCOMING)).filter(l::integration_id.eq(id)))
            .execute(conn)?;
        diesel::delete(h::incoming_webhooks.find(id)).execute(conn)
    }

    pub fn touch(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(h::incoming_webhooks.find(id)).set(h::last_used_at.eq(at)).execute(conn)
    }
}

/// `integration_log.integration` of incoming webhooks.
pub const INCOMING: &str = "incoming_webhook";
/// `integration_log.integration` of outgoing webhooks' deliveries.
pub const OUTGOING: &str = "outgoing_webhook";

/// A row of `outgoing_webhooks`.
#[derive(Debug, Clone, Queryable)]
pub struct OutgoingWebhookRow {
    pub id: i64,
    pub workspace_id: i64,
    /// The one channel it listens to; `None`: every public channel, by trigger word.
    pub channel_id: Option<i64>,
    pub created_by: i64,
    pub name: String,
    /// One per line.
    pub trigger_words: String,
    /// `first_word` or `starts_with`.
    pub trigger_when: String,
    /// One per line.
    pub callback_urls: String,
    /// `form` or `json`.
    pub content_type: String,
    /// Which token receivers get: a new one is the next generation.
    pub token_generation: i32,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[expect(clippy::type_complexity, reason = "one column per field of OutgoingWebhookRow")]
const OUTGOING_COLUMNS: (
    outgoing_webhooks::id,
    outgoing_webhooks::workspace_id,
    outgoing_webhooks::channel_id,
    outgoing_webhooks::created_by,
    outgoing_webhooks::name,
    outgoing_webhooks::trigger_words,
    outgoing_webhooks::trigger_when,
    outgoing_webhooks::callback_urls,
    outgoing_webhooks::content_type,
    outgoing_webhooks::token_generation,
    outgoing_webhooks::disabled,
    outgoing_webhooks::created_at,
    outgoing_webhooks::updated_at,
) = (
    o::id,
    o::workspace_id,
    o::channel_id,
    o::created_by,
    o::name,
    o::trigger_words,
    o::trigger_when,
    o::callback_urls,
    o::content_type,
    o::token_generation,
    o::disabled,
    o::created_at,
    o::updated_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = outgoing_webhooks)]
pub struct NewOutgoingWebhook<'a> {
    pub workspace_id: i64,
    pub channel_id: Option<i64>,
    pub created_by: i64,
    pub name: &'a str,
    pub trigger_words: &'a str,
    pub trigger_when: &'a str,
    pub callback_urls: &'a str,
    pub content_type: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewOutgoingWebhook<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<OutgoingWebhookRow> {
        diesel::insert_into(o::outgoing_webhooks).values(self).returning(OUTGOING_COLUMNS).get_result(conn)
    }
}

/// What an update of an outgoing webhook changes; `None` keeps a column.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = outgoing_webhooks)]
pub struct OutgoingChanges<'a> {
    pub channel_id: Option<Option<i64>>,
    pub name: Option<&'a str>,
    pub trigger_words: Option<&'a str>,
    pub trigger_when: Option<&'a str>,
    pub callback_urls: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub token_generation: Option<i32>,
    pub disabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

impl OutgoingWebhookRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<OutgoingWebhookRow>> {
        o::outgoing_webhooks.find(id).select(OUTGOING_COLUMNS).first(conn).optional()
    }

    /// A workspace's outgoing webhooks, oldest first.
    pub fn of_workspace(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<OutgoingWebhookRow>> {
        o::outgoing_webhooks
            .filter(o::workspace_id.eq(workspace_id))
            .order(o::id.asc())
            .select(OUTGOING_COLUMNS)
            .load(conn)
    }

    /// The enabled ones of a workspace: those a new message may trigger.
    pub fn enabled_of_workspace(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<OutgoingWebhookRow>> {
        o::outgoing_webhooks
            .filter(o::workspace_id.eq(workspace_id))
            .filter(o::disabled.eq(false))
            .order(o::id.asc())
            .select(OUTGOING_COLUMNS)
            .load(conn)
    }

    pub fn update(conn: &mut Conn, id: i64, changes: &OutgoingChanges<'_>) -> QueryResult<OutgoingWebhookRow> {
        diesel::update(o::outgoing_webhooks.find(id)).set(changes).returning(OUTGOING_COLUMNS).get_result(conn)
    }

    pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
        diesel::delete(l::integration_log.filter(l::integration.eq(OUTGOING)).filter(l::integration_id.eq(id)))
            .execute(conn)?;
        diesel::delete(o::outgoing_webhooks.find(id)).execute(conn)
    }
}

/// A row of `integration_log`.
#[derive(Debug, Clone, Queryable)]
pub struct LogRow {
    pub id: i64,
    pub integration: String,
    pub integration_id: i64,
    pub at: NaiveDateTime,
    pub ok: bool,
    /// The HTTP status answered or received.
    pub status: Option<i32>,
    /// What went wrong, or what was done.
    pub detail: String,
    pub latency_ms: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = integration_log)]
pub struct NewLog<'a> {
    pub integration: &'a str,
    pub integration_id: i64,
    pub at: NaiveDateTime,
    pub ok: bool,
    pub status: Option<i32>,
    pub detail: &'a str,
    pub latency_ms: Option<i64>,
}

impl NewLog<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<usize> {
        diesel::insert_into(l::integration_log).values(self).execute(conn)
    }
}

impl LogRow {
    /// The latest entries of one integration, newest first.
    pub fn recent(conn: &mut Conn, integration: &str, id: i64, limit: i64) -> QueryResult<Vec<LogRow>> {
        l::integration_log
            .filter(l::integration.eq(integration))
            .filter(l::integration_id.eq(id))
            .order(l::id.desc())
            .limit(limit)
            .select((l::id, l::integration, l::integration_id, l::at, l::ok, l::status, l::detail, l::latency_ms))
            .load(conn)
    }

    /// Deletes entries older than `before`; returns how many.
    pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(l::integration_log.filter(l::at.lt(before))).execute(conn)
    }
}
