//! Who is in a channel: joining and leaving, adding and removing people, the default
//! channels a new member joins, and the member list.

use super::access;
use super::channels::{ChannelChange, channel_event, channel_view};
use super::{Actor, AppState, Paged};
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::db::workspaces::MemberRow;
use crate::db::{self, Tx};
use crate::domain::Code;
use crate::domain::Paging;
use crate::domain::workspaces::{Role, may_browse_channels};
use crate::error::AppError;
use crate::wire;

/// Adds `user` to the channel, having read everything so far, and appends
/// `channel.member_added`. Does nothing for someone already in it.
pub fn add_member_row(tx: &mut Tx<'_>, channel: &ChannelRow, user: &UserRow) -> Result<bool, AppError> {
    if ChannelMemberRow::find(tx, channel.id, user.id)?.is_some() {
        return Ok(false);
    }
    let last = MessageRow::newest_id(tx, channel.id)?.unwrap_or(0);
    ChannelMemberRow::new(channel.id, user.id, db::now(), last).insert(tx)?;
    channel_event(tx, channel, ChannelChange::MemberAdded(wire::User::from(user)))?;
    Ok(true)
}

/// Puts a new (non-guest) workspace member into the default channels.
pub fn join_defaults(tx: &mut Tx<'_>, workspace_id: i64, user: &UserRow, role: Role) -> Result<(), AppError> {
    if !may_browse_channels(role) {
        return Ok(());
    }
    for channel in ChannelRow::list_default(tx, workspace_id)? {
        add_member_row(tx, &channel, user)?;
    }
    Ok(())
}

/// Joins a public channel.
pub async fn join(state: &AppState, actor: &Actor, channel_id: i64) -> Result<wire::Channel, AppError> {
    let user = actor.user.clone();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user.id, channel_id)?;
            if ctx.member.is_none() {
                ctx.access.may_join()?;
                add_member_row(tx, &ctx.channel, &user)?;
            }
            let member = ChannelMemberRow::find(tx, channel_id, user.id)?;
            channel_view(tx, &ctx.channel, member.as_ref())
        })
        .await
}

/// A bot joins a public channel of its workspace (it sees only the channels it is in, so
/// the usual check cannot find the channel first).
pub async fn join_as_bot(state: &AppState, actor: &Actor, channel_id: i64) -> Result<wire::Channel, AppError> {
    let user = actor.user.clone();
    state
        .db
        .write(move |tx| {
            let not_found = || AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it.");
            let channel = ChannelRow::find(tx, channel_id)?.ok_or_else(not_found)?;
            let membership = MemberRow::find(tx, channel.workspace_id, user.id)?.filter(|m| m.deactivated_at.is_none());
            let Some(membership) = membership else { return Err(not_found()) };
            let access = access::facts(&channel, user.id, membership.role, false, true);
            if ChannelMemberRow::find(tx, channel_id, user.id)?.is_none() {
                if channel.kind != crate::domain::channels::ChannelKind::Public {
                    return Err(not_found());
                }
                access.may_join()?;
                add_member_row(tx, &channel, &user)?;
            }
            let member = ChannelMemberRow::find(tx, channel_id, user.id)?;
            channel_view(tx, &channel, member.as_ref())
        })
        .await
}

/// Leaves a channel. A private channel left is gone from view.
pub async fn leave(state: &AppState, actor: &Actor, channel_id: i64) -> Result<(), AppError> {
    let user = actor.user.clone();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user.id, channel_id)?;
            ctx.access.may_leave()?;
            ChannelMemberRow::delete(tx, channel_id, user.id)?;
            channel_event(tx, &ctx.channel, ChannelChange::MemberRemoved(wire::User::from(&user)))
        })
        .await
}

/// Adds a workspace member to a channel.
pub async fn add_member(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    target_id: i64,
) -> Result<wire::User, AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            ctx.access.may_add_members()?;
            MemberRow::find(tx, ctx.channel.workspace_id, target_id)?
                .filter(|m| m.deactivated_at.is_none())
                .ok_or_else(|| {
                    AppError::not_found(Code::UserNotFound, "That person is not an active member of this workspace.")
                })?;
            let target = UserRow::find(tx, target_id)?;
            if !add_member_row(tx, &ctx.channel, &target)? {
                return Err(AppError::conflict(
                    Code::AlreadyInChannel,
                    format!("{} is already in this channel.", target.username),
                ));
            }
            Ok(wire::User::from(&target))
        })
        .await
}

/// Removes someone from a channel (channel admins; never from a default channel).
pub async fn remove_member(state: &AppState, actor: &Actor, channel_id: i64, target_id: i64) -> Result<(), AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            ctx.access.may_remove_member()?;
            if ChannelMemberRow::delete(tx, channel_id, target_id)? == 0 {
                return Err(AppError::not_found(Code::NotInChannel, "That person is not in this channel."));
            }
            let target = UserRow::find(tx, target_id)?;
            channel_event(tx, &ctx.channel, ChannelChange::MemberRemoved(wire::User::from(&target)))
        })
        .await
}

/// A page of the people in a channel, by username.
pub async fn members(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    page: Paging,
) -> Result<Paged<wire::User>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            let people = ChannelMemberRow::list_with_users(conn, ctx.channel.id, page)?;
            Ok(Paged::cut(people.iter().map(|(_, u)| wire::User::from(u)).collect(), page))
        })
        .await
}
