//! The conversation view in one read: the channel as the caller sees it, what they may do
//! in it, a page of its history, how many people are in it, and an open thread, all from
//! one consistent connection, with the event-log position read first so that live delivery
//! resumes exactly after what is shown.

use super::access;
use super::channels::channel_view;
use super::messages::{History, HistoryQuery, Thread, history_in, thread_in};
use super::{Actor, AppState};
use crate::db::channels::ChannelMemberRow;
use crate::domain::Code;
use crate::domain::Paging;
use crate::domain::access::Rights;
use crate::error::AppError;
use crate::events;
use crate::wire;

/// Everything a conversation page shows besides the sidebar.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The newest event `seq` before anything else was read.
    pub seq: i64,
    pub workspace_slug: String,
    pub channel: wire::Channel,
    pub rights: Rights,
    pub history: History,
    pub member_count: usize,
    /// The open thread: its root and a page of replies, oldest first.
    pub thread: Option<Thread>,
}

fn not_here() -> AppError {
    AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it.")
}

/// Opens a conversation of workspace `slug` (a channel of another workspace is not found
/// here), with a page of history and, when asked, a thread of this conversation.
pub async fn open(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    channel_id: i64,
    query: HistoryQuery,
    thread: Option<(i64, Paging)>,
) -> Result<Conversation, AppError> {
    query.check()?;
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .read(move |conn| {
            let seq = events::head(conn)?;
            let workspace = access::workspace(conn, &slug, user_id)?.workspace;
            let ctx = access::channel(conn, user_id, channel_id)?;
            if ctx.channel.workspace_id != workspace.id {
                return Err(not_here());
            }
            let history = history_in(conn, &ctx, query)?;
            // People, not bots.
            let member_count = ChannelMemberRow::count_people(conn, channel_id)?;
            let thread = match thread {
                Some((root, page)) => {
                    let found = thread_in(conn, user_id, root, page)?;
                    if found.root.channel_id != channel_id {
                        return Err(AppError::not_found(Code::MessageNotFound, "No such thread in this conversation."));
                    }
                    Some(found)
                }
                None => None,
            };
            Ok(Conversation {
                seq,
                workspace_slug: workspace.slug,
                channel: channel_view(conn, &ctx.channel, ctx.member.as_ref())?,
                rights: ctx.rights,
                history,
                member_count,
                thread,
            })
        })
        .await
}
