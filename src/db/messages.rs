//! `messages`, `reactions` and `mentions`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::mentions::dsl as mn;
use super::schema::messages::{self, dsl as m};
use super::schema::reactions::{self, dsl as r};
use crate::domain::Paging;
use crate::domain::slack::MessageRef;

/// A row of `messages`.
#[derive(Debug, Clone, Queryable)]
pub struct MessageRow {
    pub id: i64,
    pub channel_id: i64,
    pub user_id: i64,
    pub text: String,
    pub html: String,
    pub thread_root_id: Option<i64>,
    /// Shown in the channel's history: every root, and replies also sent to the channel.
    pub in_channel: bool,
    pub reply_count: i64,
    pub last_reply_at: Option<NaiveDateTime>,
    pub client_msg_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub pinned_at: Option<NaiveDateTime>,
    pub pinned_by: Option<i64>,
    /// For a message an integration posted, the JSON of whom it shows as (`wire::Bot`).
    pub bot: Option<String>,
}

#[expect(clippy::type_complexity, reason = "one column per field of MessageRow")]
pub const COLUMNS: (
    messages::id,
    messages::channel_id,
    messages::user_id,
    messages::text,
    messages::html,
    messages::thread_root_id,
    messages::in_channel,
    messages::reply_count,
    messages::last_reply_at,
    messages::client_msg_id,
    messages::created_at,
    messages::edited_at,
    messages::deleted_at,
    messages::pinned_at,
    messages::pinned_by,
    messages::bot,
) = (
    m::id,
    m::channel_id,
    m::user_id,
    m::text,
    m::html,
    m::thread_root_id,
    m::in_channel,
    m::reply_count,
    m::last_reply_at,
    m::client_msg_id,
    m::created_at,
    m::edited_at,
    m::deleted_at,
    m::pinned_at,
    m::pinned_by,
    m::bot,
);

#[derive(Insertable)]
#[diesel(table_name = messages)]
pub struct NewMessage<'a> {
    pub channel_id: i64,
    pub user_id: i64,
    pub text: &'a str,
    pub html: &'a str,
    pub thread_root_id: Option<i64>,
    pub in_channel: bool,
    pub client_msg_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub bot: Option<&'a str>,
}

impl NewMessage<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<MessageRow> {
        diesel::insert_into(m::messages).values(self).returning(COLUMNS).get_result(conn)
    }
}

/// Which part of a channel's history to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The newest messages.
    Latest,
    /// Messages older than this id.
    Before(i64),
    /// Messages newer than this id.
    After(i64),
}

impl MessageRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<MessageRow>> {
        m::messages.find(id).select(COLUMNS).first(conn).optional()
    }

    /// The id of the message of a channel that a Slack `ts` (or a hearth id) names.
    pub fn find_by_ts(conn: &mut Conn, channel_id: i64, ts: MessageRef) -> QueryResult<Option<i64>> {
        let in_channel = m::messages.filter(m::channel_id.eq(channel_id));
        match ts {
            MessageRef::Id(id) => in_channel.filter(m::id.eq(id)).select(m::id).first(conn).optional(),
            MessageRef::At(at) => {
                in_channel.filter(m::created_at.eq(at)).order(m::id.asc()).select(m::id).first(conn).optional()
            }
        }
    }

    /// When a new message of a channel is posted: `now`, or a microsecond after the
    /// channel's newest message if that is not earlier.
    pub fn next_created_at(conn: &mut Conn, channel_id: i64, now: NaiveDateTime) -> QueryResult<NaiveDateTime> {
        let newest: Option<NaiveDateTime> = m::messages
            .filter(m::channel_id.eq(channel_id))
            .order(m::id.desc())
            .select(m::created_at)
            .first(conn)
            .optional()?;
        Ok(match newest {
            Some(at) if at >= now => at + chrono::Duration::microseconds(1),
            _ => now,
        })
    }

    /// A page of a channel's history between two times (Slack's `oldest` and `latest`, each
    /// included only when `inclusive`), older than `before_id` when given, newest first; up
    /// to `limit` rows.
    pub fn history_between(
        conn: &mut Conn,
        channel_id: i64,
        oldest: Option<NaiveDateTime>,
        latest: Option<NaiveDateTime>,
        inclusive: bool,
        before_id: Option<i64>,
        limit: i64,
    ) -> QueryResult<Vec<MessageRow>> {
        // Times are kept to the microsecond: "after t" is "from t + 1 µs".
        let step = chrono::Duration::microseconds(i64::from(!inclusive));
        let (first, last) = (chrono::DateTime::UNIX_EPOCH.naive_utc(), super::far_future());
        let from = oldest.map_or(first, |at| at + step).max(first);
        let to = latest.map_or(last, |at| at - step).min(last);
        m::messages
            .filter(m::channel_id.eq(channel_id))
            .filter(m::in_channel.eq(true))
            .filter(m::deleted_at.is_null())
            .filter(m::created_at.ge(from))
            .filter(m::created_at.le(to))
            .filter(m::id.lt(before_id.unwrap_or(i64::MAX)))
            .order(m::id.desc())
            .limit(limit)
            .select(COLUMNS)
            .load(conn)
    }

    pub fn find_many(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<MessageRow>> {
        m::messages.filter(m::id.eq_any(ids)).select(COLUMNS).load(conn)
    }

    pub fn find_by_client_msg_id(conn: &mut Conn, user_id: i64, key: &str) -> QueryResult<Option<MessageRow>> {
        m::messages
            .filter(m::user_id.eq(user_id))
            .filter(m::client_msg_id.eq(key))
            .select(COLUMNS)
            .first(conn)
            .optional()
    }

    /// Up to `limit` messages of a channel's history in the window, newest first.
    pub fn history(conn: &mut Conn, channel_id: i64, window: Window, limit: i64) -> QueryResult<Vec<MessageRow>> {
        let base = m::messages.filter(m::channel_id.eq(channel_id)).filter(m::in_channel.eq(true)).select(COLUMNS);
        match window {
            Window::Latest => base.order(m::id.desc()).limit(limit).load(conn),
            Window::Before(id) => base.filter(m::id.lt(id)).order(m::id.desc()).limit(limit).load(conn),
            Window::After(id) => {
                let mut rows: Vec<MessageRow> = base.filter(m::id.gt(id)).order(m::id.asc()).limit(limit).load(conn)?;
                rows.reverse();
                Ok(rows)
            }
        }
    }

    /// Is there channel history older than `id`?
    pub fn has_older(conn: &mut Conn, channel_id: i64, id: i64) -> QueryResult<bool> {
        let q = m::messages.filter(m::channel_id.eq(channel_id)).filter(m::in_channel.eq(true)).filter(m::id.lt(id));
        diesel::select(diesel::dsl::exists(q)).get_result(conn)
    }

    /// Is there channel history newer than `id`?
    pub fn has_newer(conn: &mut Conn, channel_id: i64, id: i64) -> QueryResult<bool> {
        let q = m::messages.filter(m::channel_id.eq(channel_id)).filter(m::in_channel.eq(true)).filter(m::id.gt(id));
        diesel::select(diesel::dsl::exists(q)).get_result(conn)
    }

    /// The replies of a thread, oldest first.
    /// A page of a thread's replies, oldest first.
    pub fn replies(conn: &mut Conn, root_id: i64, page: Paging) -> QueryResult<Vec<MessageRow>> {
        m::messages
            .filter(m::thread_root_id.eq(root_id))
            .order(m::id.asc())
            .offset(page.offset)
            .limit(page.fetch())
            .select(COLUMNS)
            .load(conn)
    }

    /// A page of a channel's pinned messages, most recently pinned first.
    pub fn pinned(conn: &mut Conn, channel_id: i64, page: Paging) -> QueryResult<Vec<MessageRow>> {
        m::messages
            .filter(m::channel_id.eq(channel_id))
            .filter(m::pinned_at.is_not_null())
            .filter(m::deleted_at.is_null())
            .order((m::pinned_at.desc(), m::id.desc()))
            .offset(page.offset)
            .limit(page.fetch())
            .select(COLUMNS)
            .load(conn)
    }

    /// Who is in a thread: whoever started it or replied in it.
    pub fn thread_people(conn: &mut Conn, root_id: i64) -> QueryResult<Vec<i64>> {
        let mut people: Vec<i64> = m::messages
            .filter(m::thread_root_id.eq(root_id).or(m::id.eq(root_id)))
            .select(m::user_id)
            .distinct()
            .load(conn)?;
        people.sort_unstable();
        Ok(people)
    }

    pub fn newest_id(conn: &mut Conn, channel_id: i64) -> QueryResult<Option<i64>> {
        m::messages.filter(m::channel_id.eq(channel_id)).select(diesel::dsl::max(m::id)).first(conn)
    }

    pub fn edit(conn: &mut Conn, id: i64, text: &str, html: &str, at: NaiveDateTime) -> QueryResult<MessageRow> {
        diesel::update(m::messages.find(id))
            .set((m::text.eq(text), m::html.eq(html), m::edited_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// Leaves a tombstone: the text and markup are gone, the place in the history stays.
    pub fn tombstone(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<MessageRow> {
        diesel::update(m::messages.find(id))
            .set((m::text.eq(""), m::html.eq(""), m::deleted_at.eq(at), m::pinned_at.eq(None::<NaiveDateTime>)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn count_reply(conn: &mut Conn, root_id: i64, at: NaiveDateTime) -> QueryResult<MessageRow> {
        diesel::update(m::messages.find(root_id))
            .set((m::reply_count.eq(m::reply_count + 1), m::last_reply_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn set_pin(conn: &mut Conn, id: i64, pinned: Option<(NaiveDateTime, i64)>) -> QueryResult<MessageRow> {
        diesel::update(m::messages.find(id))
            .set((m::pinned_at.eq(pinned.map(|p| p.0)), m::pinned_by.eq(pinned.map(|p| p.1))))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// Ids of the `n`-th newest in-channel message (for "mark unread from here").
    pub fn id_before(conn: &mut Conn, channel_id: i64, id: i64) -> QueryResult<Option<i64>> {
        m::messages
            .filter(m::channel_id.eq(channel_id))
            .filter(m::in_channel.eq(true))
            .filter(m::id.lt(id))
            .select(diesel::dsl::max(m::id))
            .first(conn)
    }
}

/// A row of `reactions`.
#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = reactions)]
pub struct ReactionRow {
    pub message_id: i64,
    pub user_id: i64,
    pub emoji: String,
    pub created_at: NaiveDateTime,
}

pub const REACTION_COLUMNS: (reactions::message_id, reactions::user_id, reactions::emoji, reactions::created_at) =
    (r::message_id, r::user_id, r::emoji, r::created_at);

impl ReactionRow {
    /// Adds the reaction; false when it was already there.
    pub fn add(&self, conn: &mut Conn) -> QueryResult<bool> {
        let exists =
            diesel::select(diesel::dsl::exists(r::reactions.find((self.message_id, self.user_id, &self.emoji))))
                .get_result(conn)?;
        if exists {
            return Ok(false);
        }
        diesel::insert_into(r::reactions).values(self).execute(conn)?;
        Ok(true)
    }

    pub fn remove(conn: &mut Conn, message_id: i64, user_id: i64, emoji: &str) -> QueryResult<bool> {
        Ok(diesel::delete(r::reactions.find((message_id, user_id, emoji))).execute(conn)? > 0)
    }

    /// The emoji on a message (each once), and those of them `user_id` reacted with.
    pub fn emoji_on(conn: &mut Conn, message_id: i64, user_id: i64) -> QueryResult<(Vec<String>, Vec<String>)> {
        let all: Vec<(i64, String)> =
            r::reactions.filter(r::message_id.eq(message_id)).select((r::user_id, r::emoji)).load(conn)?;
        let mine = all.iter().filter(|(u, _)| *u == user_id).map(|(_, e)| e.clone()).collect();
        let mut distinct: Vec<String> = all.into_iter().map(|(_, e)| e).collect();
        distinct.sort_unstable();
        distinct.dedup();
        Ok((distinct, mine))
    }

    /// The reactions to some messages, oldest first.
    pub fn for_messages(conn: &mut Conn, message_ids: &[i64]) -> QueryResult<Vec<ReactionRow>> {
        r::reactions.filter(r::message_id.eq_any(message_ids)).order(r::created_at).select(REACTION_COLUMNS).load(conn)
    }
}

/// Records who a message mentions; `None` stands for everyone in the channel.
pub fn insert_mentions(conn: &mut Conn, message_id: i64, channel_id: i64, users: &[Option<i64>]) -> QueryResult<usize> {
    let mut inserted = 0;
    for user in users {
        inserted += diesel::insert_into(mn::mentions)
            .values((mn::message_id.eq(message_id), mn::channel_id.eq(channel_id), mn::user_id.eq(*user)))
            .execute(conn)?;
    }
    Ok(inserted)
}

/// Forgets a message's mentions (it was edited or deleted).
pub fn delete_mentions(conn: &mut Conn, message_id: i64) -> QueryResult<usize> {
    diesel::delete(mn::mentions.filter(mn::message_id.eq(message_id))).execute(conn)
}

/// Whom these messages mention, as `(message_id, user_id)` pairs; `None` for a mention of
/// everyone in the channel (`@here`, `@channel`, `@everyone`).
pub fn mentions_of(conn: &mut Conn, message_ids: &[i64]) -> QueryResult<Vec<(i64, Option<i64>)>> {
    mn::mentions.filter(mn::message_id.eq_any(message_ids)).select((mn::message_id, mn::user_id)).load(conn)
}
