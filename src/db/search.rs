//! The reads search needs: messages in id order for building the index, the sets a query
//! narrows by (reacted, pinned), and the names that suggestions and filters resolve.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::channels::{self, ChannelRow};
use super::schema::channels::dsl as c;
use super::schema::messages::dsl as m;
use super::schema::reactions::dsl as r;
use super::schema::users::dsl as u;
use super::schema::workspace_members::dsl as wm;
use super::users::{self, UserRow};
use crate::domain::channels::ChannelKind;

diesel::define_sql_function! {
    /// SQL `lower()`, the same on SQLite and PostgreSQL for the ASCII that names are made of.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A message as the index needs it, with its channel's workspace.
#[derive(Debug, Clone, Queryable)]
pub struct IndexRow {
    pub id: i64,
    pub workspace_id: i64,
    pub channel_id: i64,
    pub user_id: i64,
    pub text: String,
    pub html: String,
    pub thread_root_id: Option<i64>,
    pub reply_count: i64,
    pub created_at: NaiveDateTime,
}

/// The next messages (not deleted) after `after_id`, in id order, at most `limit`.
pub fn messages_after(conn: &mut Conn, after_id: i64, limit: i64) -> QueryResult<Vec<IndexRow>> {
    m::messages
        .inner_join(c::channels)
        .filter(m::id.gt(after_id))
        .filter(m::deleted_at.is_null())
        .order(m::id)
        .limit(limit)
        .select((
            m::id,
            c::workspace_id,
            m::channel_id,
            m::user_id,
            m::text,
            m::html,
            m::thread_root_id,
            m::reply_count,
            m::created_at,
        ))
        .load(conn)
}

/// How many messages (not deleted) there are, for a rebuild's progress.
pub fn count_messages(conn: &mut Conn) -> QueryResult<i64> {
    m::messages.filter(m::deleted_at.is_null()).count().get_result(conn)
}

/// The ids, among `channel_ids`, of messages with at least one reaction, newest first, at
/// most `limit`.
pub fn reacted_in(conn: &mut Conn, channel_ids: &[i64], limit: i64) -> QueryResult<Vec<i64>> {
    r::reactions
        .inner_join(m::messages)
        .filter(m::channel_id.eq_any(channel_ids))
        .filter(m::deleted_at.is_null())
        .select(r::message_id)
        .distinct()
        .order(r::message_id.desc())
        .limit(limit)
        .load(conn)
}

/// The ids, among `channel_ids`, of pinned messages, newest first, at most `limit`.
pub fn pinned_in(conn: &mut Conn, channel_ids: &[i64], limit: i64) -> QueryResult<Vec<i64>> {
    m::messages
        .filter(m::channel_id.eq_any(channel_ids))
        .filter(m::pinned_at.is_not_null())
        .filter(m::deleted_at.is_null())
        .select(m::id)
        .order(m::id.desc())
        .limit(limit)
        .load(conn)
}

/// Active members of a workspace whose username or display name starts with `prefix`
/// (lowercase), by username, at most `limit`.
pub fn members_starting(conn: &mut Conn, workspace_id: i64, prefix: &str, limit: i64) -> QueryResult<Vec<UserRow>> {
    let pattern = format!("{}%", like_escape(prefix));
    u::users
        .inner_join(wm::workspace_members)
        .filter(wm::workspace_id.eq(workspace_id))
        .filter(wm::deactivated_at.is_null())
        .filter(u::deactivated_at.is_null())
        .filter(u::username.like(&pattern).escape('\\').or(lower(u::display_name).like(&pattern).escape('\\')))
        .order(u::username)
        .limit(limit)
        .select(users::COLUMNS)
        .load(conn)
}

/// Channels of a workspace among `ids` whose name starts with `prefix`, by name.
pub fn channels_starting(conn: &mut Conn, ids: &[i64], prefix: &str, limit: i64) -> QueryResult<Vec<ChannelRow>> {
    let pattern = format!("{}%", like_escape(prefix));
    c::channels
        .filter(c::id.eq_any(ids))
        .filter(c::kind.eq_any([ChannelKind::Public.as_str(), ChannelKind::Private.as_str()]))
        .filter(c::name.like(&pattern).escape('\\'))
        .order(c::name)
        .limit(limit)
        .select(channels::COLUMNS)
        .load(conn)
}

/// Ids of the active members of a workspace with these usernames.
pub fn member_ids_named(conn: &mut Conn, workspace_id: i64, usernames: &[String]) -> QueryResult<Vec<i64>> {
    u::users
        .inner_join(wm::workspace_members)
        .filter(wm::workspace_id.eq(workspace_id))
        .filter(u::username.eq_any(usernames))
        .select(u::id)
        .load(conn)
}

/// Ids of the channels of a workspace with these names.
pub fn channel_ids_named(conn: &mut Conn, workspace_id: i64, names: &[String]) -> QueryResult<Vec<i64>> {
    c::channels.filter(c::workspace_id.eq(workspace_id)).filter(c::name.eq_any(names)).select(c::id).load(conn)
}

fn like_escape(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
