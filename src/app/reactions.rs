//! Reacting to messages and pinning them: the small interactions on a message that stands,
//! each appending its event only when it changes something.

use super::access;
use super::messages::{live_message, message_event, view, views};
use super::{Actor, AppState, Paged};
use crate::db;
use crate::db::messages::{MessageRow, ReactionRow};
use crate::domain::Paging;
use crate::domain::messages::{may_add_reaction, parse_emoji};
use crate::error::AppError;
use crate::events::EventData;
use crate::wire;

/// Adds or removes the caller's reaction. Adding one that is there, or removing one that is
/// not, changes nothing and appends nothing.
pub async fn react(
    state: &AppState,
    actor: &Actor,
    message_id: i64,
    emoji: &str,
    add: bool,
) -> Result<wire::Message, AppError> {
    let emoji = parse_emoji(emoji)?;
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let (message, ctx) = live_message(tx, user_id, message_id)?;
            let changed = if add {
                let (on_message, mine) = ReactionRow::emoji_on(tx, message_id, user_id)?;
                may_add_reaction(&emoji, &on_message, &mine)?;
                ReactionRow { message_id, user_id, emoji: emoji.clone(), created_at: db::now() }.add(tx)?
            } else {
                ReactionRow::remove(tx, message_id, user_id, &emoji)?
            };
            let view = view(tx, &message)?;
            if changed {
                let (message, emoji) = (view.clone(), emoji.clone());
                let data = if add {
                    EventData::ReactionAdded { message, emoji, user_id }
                } else {
                    EventData::ReactionRemoved { message, emoji, user_id }
                };
                message_event(tx, &ctx.channel, &data)?;
            }
            Ok(view)
        })
        .await
}

/// Pins or unpins a message in its channel (members).
pub async fn pin(state: &AppState, actor: &Actor, message_id: i64, pinned: bool) -> Result<wire::Message, AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let (message, ctx) = live_message(tx, user_id, message_id)?;
            if message.pinned_at.is_some() == pinned {
                return view(tx, &message);
            }
            let row = MessageRow::set_pin(tx, message_id, pinned.then(|| (db::now(), user_id)))?;
            let view = view(tx, &row)?;
            let message = view.clone();
            let data = if pinned {
                EventData::PinAdded { message, user_id }
            } else {
                EventData::PinRemoved { message, user_id }
            };
            message_event(tx, &ctx.channel, &data)?;
            Ok(view)
        })
        .await
}

/// A page of the pinned messages of a channel, most recently pinned first.
pub async fn pins(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    page: Paging,
) -> Result<Paged<wire::Message>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            let rows = MessageRow::pinned(conn, ctx.channel.id, page)?;
            Ok(Paged::cut(views(conn, &rows)?, page))
        })
        .await
}
