//! Read state: each person's read marker in a channel (read, mark unread) and how loudly
//! the channel may call for their attention (notification level, mute).

use super::access;
use super::channels::channel_view;
use super::{Actor, AppState};
use crate::db::Tx;
use crate::db::channels::ChannelMemberRow;
use crate::db::messages::MessageRow;
use crate::domain::Code;
use crate::domain::channels::NotifyLevel;
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::wire;

/// The caller's view of the channel after their marker changed, told to their other
/// sessions as a `channel.read` event.
fn told(tx: &mut Tx<'_>, ctx: &access::ChannelContext, user_id: i64) -> Result<wire::Channel, AppError> {
    let channel_id = ctx.channel.id;
    let member = ChannelMemberRow::find(tx, channel_id, user_id)?;
    let view = channel_view(tx, &ctx.channel, member.as_ref())?;
    let data = EventData::ChannelRead { channel_id, membership: view.membership.clone() };
    events::append(tx, Scope::channel(ctx.channel.workspace_id, channel_id).about(user_id), &data)?;
    Ok(view)
}

/// Sets the caller's read marker to `message_id`, back as well as forward ("mark unread"
/// moves it to just before a message).
fn set_read(tx: &mut Tx<'_>, user_id: i64, channel_id: i64, message_id: i64) -> Result<wire::Channel, AppError> {
    let ctx = access::channel(tx, user_id, channel_id)?;
    ctx.access.may_keep_read_marker()?;
    ChannelMemberRow::set_last_read(tx, channel_id, user_id, message_id)?;
    told(tx, &ctx, user_id)
}

/// Marks the channel read up to a message (the newest when none is given). A marker only
/// moves forward here, and one that would not move writes nothing and tells nobody: most
/// marks are a person opening a channel they have read already, and they cost one read.
pub async fn mark_read(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    message_id: Option<i64>,
) -> Result<wire::Channel, AppError> {
    let user_id = actor.id();
    let (upto, unchanged) = state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            ctx.access.may_keep_read_marker()?;
            let upto = match message_id {
                Some(id) => {
                    let m = MessageRow::find(conn, id)?.filter(|m| m.channel_id == channel_id);
                    m.ok_or_else(|| AppError::not_found(Code::MessageNotFound, "That message is not in this channel."))?
                        .id
                }
                None => MessageRow::newest_id(conn, channel_id)?.unwrap_or(0),
            };
            let marker = ctx.member.as_ref().map_or(0, |m| m.last_read_message_id);
            let unchanged =
                (upto <= marker).then(|| channel_view(conn, &ctx.channel, ctx.member.as_ref())).transpose()?;
            Ok((upto, unchanged))
        })
        .await?;
    if let Some(view) = unchanged {
        return Ok(view);
    }
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            ctx.access.may_keep_read_marker()?;
            if ChannelMemberRow::advance_last_read(tx, channel_id, user_id, upto)? {
                told(tx, &ctx, user_id)
            } else {
                // Moved past it meanwhile (another tab): nothing to tell.
                let member = ChannelMemberRow::find(tx, channel_id, user_id)?;
                channel_view(tx, &ctx.channel, member.as_ref())
            }
        })
        .await
}

/// "Mark unread from here": the message and everything after it become unread.
pub async fn mark_unread(state: &AppState, actor: &Actor, message_id: i64) -> Result<wire::Channel, AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let message = MessageRow::find(tx, message_id)?
                .filter(|m| access::channel(tx, user_id, m.channel_id).is_ok())
                .ok_or_else(|| AppError::not_found(Code::MessageNotFound, "No such message."))?;
            let before = MessageRow::id_before(tx, message.channel_id, message.id)?.unwrap_or(0);
            set_read(tx, user_id, message.channel_id, before)
        })
        .await
}

/// Sets how a channel notifies the caller, and whether it is muted.
pub async fn set_notify(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    level: Option<&str>,
    muted: Option<bool>,
) -> Result<wire::Channel, AppError> {
    let level = level.map(NotifyLevel::parse).transpose()?;
    if level.is_none() && muted.is_none() {
        return Err(AppError::invalid(Code::NothingToChange, "Give notify_level or muted."));
    }
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            ctx.access.may_set_notify()?;
            let member = ctx.member.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("a member without a row")))?;
            let level = level.unwrap_or(member.notify_level);
            let member = ChannelMemberRow::set_notify(tx, channel_id, user_id, level, muted.unwrap_or(member.muted))?;
            channel_view(tx, &ctx.channel, Some(&member))
        })
        .await
}
