//! Access, loaded once per request: a workspace through the caller's active membership, a
//! channel through that and the caller's place in it. The rules themselves are domain
//! functions (`domain::access::Access`, `domain::workspaces`); this module gathers the
//! facts they read and answers with `Rights` that pages, templates and API answers share,
//! so that the web UI and the API cannot disagree.

use crate::db::Conn;
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::domain::Code;
use crate::domain::access::{Access, Rights};
use crate::domain::workspaces::{Role, WorkspaceRights};
use crate::error::AppError;

/// A workspace seen through the caller's active membership.
#[derive(Debug, Clone)]
pub struct Membership {
    pub workspace: WorkspaceRow,
    pub role: Role,
    pub rights: WorkspaceRights,
}

pub(super) fn no_such_workspace() -> AppError {
    AppError::not_found(Code::WorkspaceNotFound, "No such workspace, or you are not a member of it.")
}

/// Loads a workspace through the caller's active membership: a workspace the caller is not
/// in is not found, whether it exists or not.
pub fn workspace(conn: &mut Conn, slug: &str, user_id: i64) -> Result<Membership, AppError> {
    let (workspace, member) = WorkspaceRow::find_for_member(conn, slug, user_id)?.ok_or_else(no_such_workspace)?;
    let role = member.role;
    Ok(Membership { workspace, role, rights: WorkspaceRights::of(role) })
}

/// A channel as one person may use it.
#[derive(Debug, Clone)]
pub struct ChannelContext {
    pub channel: ChannelRow,
    pub role: Role,
    pub member: Option<ChannelMemberRow>,
    /// The facts the rules read; ask it `may_…` for an action with its reason.
    pub access: Access,
    /// Everything the caller may do here, for pages and API answers.
    pub rights: Rights,
}

fn channel_not_found() -> AppError {
    AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it.")
}

/// Loads a channel through the caller's workspace membership and channel access: a channel
/// the caller may not see is not found, whether it exists or not.
pub fn channel(conn: &mut Conn, user_id: i64, channel_id: i64) -> Result<ChannelContext, AppError> {
    let channel = ChannelRow::find(conn, channel_id)?.ok_or_else(channel_not_found)?;
    let (ws_member, is_bot) = MemberRow::find_with_is_bot(conn, channel.workspace_id, user_id)?
        .filter(|(m, _)| m.deactivated_at.is_none())
        .ok_or_else(channel_not_found)?;
    let role = ws_member.role;
    let member = ChannelMemberRow::find(conn, channel.id, user_id)?;
    let access = facts(&channel, user_id, role, member.is_some(), is_bot);
    if !access.can_see() {
        return Err(channel_not_found());
    }
    Ok(ChannelContext { channel, role, member, rights: access.rights(), access })
}

/// What the rules need to know about `user_id` (with `role` in the channel's workspace,
/// a bot or not) and a channel.
pub(super) fn facts(channel: &ChannelRow, user_id: i64, role: Role, is_member: bool, is_bot: bool) -> Access {
    Access {
        role,
        kind: channel.kind,
        is_member,
        is_creator: channel.created_by == user_id,
        archived: channel.archived_at.is_some(),
        is_default: channel.is_default,
        is_bot,
    }
}
