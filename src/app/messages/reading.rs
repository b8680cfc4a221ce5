//! Reading messages: a channel's history, one message, a thread, and a message with what
//! the caller may do to it. Every read goes through the caller's access to the channel.

use super::{DEFAULT_PAGE, MAX_PAGE, message_context, message_not_found, view, views};
use crate::app::access::{self, ChannelContext};
use crate::app::{Actor, AppState, Paged};
use crate::db::Conn;
use crate::db::messages::{MessageRow, Window};
use crate::domain::access::MessageRights;
use crate::domain::{Code, Paging};
use crate::error::AppError;
use crate::wire;

/// Which page of history to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct HistoryQuery {
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub around: Option<i64>,
    pub limit: Option<i64>,
}

/// A page of a channel's history, newest first.
#[derive(Debug, Clone)]
pub struct History {
    pub messages: Vec<wire::Message>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

/// A channel's history (thread replies only where also sent to the channel), newest first.
pub async fn history(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    query: HistoryQuery,
) -> Result<History, AppError> {
    query.check()?;
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            history_in(conn, &ctx, query)
        })
        .await
}

impl HistoryQuery {
    /// The page size asked for, and at most one anchor.
    pub fn check(&self) -> Result<(), AppError> {
        if !(1..=MAX_PAGE).contains(&self.limit()) {
            return Err(AppError::malformed(Code::InvalidQuery, format!("limit must be between 1 and {MAX_PAGE}.")));
        }
        if [self.before, self.after, self.around].iter().filter(|q| q.is_some()).count() > 1 {
            return Err(AppError::malformed(Code::InvalidQuery, "Give at most one of before, after and around."));
        }
        Ok(())
    }

    fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_PAGE)
    }
}

/// A page of a channel's history, for a caller whose access is already loaded.
pub(in crate::app) fn history_in(
    conn: &mut Conn,
    ctx: &ChannelContext,
    query: HistoryQuery,
) -> Result<History, AppError> {
    let (channel_id, limit) = (ctx.channel.id, query.limit());
    let rows = match (query.before, query.after, query.around) {
        (Some(id), _, _) => MessageRow::history(conn, ctx.channel.id, Window::Before(id), limit)?,
        (_, Some(id), _) => MessageRow::history(conn, ctx.channel.id, Window::After(id), limit)?,
        (_, _, Some(id)) => {
            let centre =
                MessageRow::find(conn, id)?.filter(|m| m.channel_id == channel_id).ok_or_else(message_not_found)?;
            let newer = MessageRow::history(conn, channel_id, Window::After(centre.id), limit / 2)?;
            let mut older =
                MessageRow::history(conn, channel_id, Window::Before(centre.id + 1), limit - newer.len() as i64)?;
            let mut rows = newer;
            rows.append(&mut older);
            rows
        }
        _ => MessageRow::history(conn, ctx.channel.id, Window::Latest, limit)?,
    };
    let (newest, oldest) = (rows.first().map(|m| m.id), rows.last().map(|m| m.id));
    let has_more_before = match oldest {
        Some(o) => MessageRow::has_older(conn, channel_id, o)?,
        None => false,
    };
    let has_more_after = match newest {
        Some(n) => MessageRow::has_newer(conn, channel_id, n)?,
        None => query.before.is_some(),
    };
    Ok(History { messages: views(conn, &rows)?, has_more_before, has_more_after })
}

/// One message, as events carry it.
pub async fn get(state: &AppState, actor: &Actor, message_id: i64) -> Result<wire::Message, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let (message, _) = message_context(conn, user_id, message_id)?;
            view(conn, &message)
        })
        .await
}

/// A thread: its root, and a page of its replies, oldest first.
#[derive(Debug, Clone)]
pub struct Thread {
    pub root: wire::Message,
    pub replies: Paged<wire::Message>,
}

/// A thread: its root and a page of replies, oldest first.
pub async fn thread(state: &AppState, actor: &Actor, message_id: i64, page: Paging) -> Result<Thread, AppError> {
    let user_id = actor.id();
    state.db.read(move |conn| thread_in(conn, user_id, message_id, page)).await
}

/// A thread (its root and a page of replies, oldest first) on the caller's connection.
pub(in crate::app) fn thread_in(
    conn: &mut Conn,
    user_id: i64,
    message_id: i64,
    page: Paging,
) -> Result<Thread, AppError> {
    let (message, _) = message_context(conn, user_id, message_id)?;
    let root = match message.thread_root_id {
        Some(id) => MessageRow::find(conn, id)?.ok_or_else(message_not_found)?,
        None => message,
    };
    let replies = MessageRow::replies(conn, root.id, page)?;
    Ok(Thread { root: view(conn, &root)?, replies: Paged::cut(views(conn, &replies)?, page) })
}

/// A message with what the caller may do to it.
pub async fn with_rights(
    state: &AppState,
    actor: &Actor,
    message_id: i64,
) -> Result<(wire::Message, MessageRights), AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let (message, ctx) = message_context(conn, user_id, message_id)?;
            let mut rights = ctx.access.message_rights(message.user_id == user_id, message.deleted_at.is_some());
            // An integration's message is its creator's to delete, not to rewrite.
            rights.edit &= message.bot.is_none();
            Ok((view(conn, &message)?, rights))
        })
        .await
}
