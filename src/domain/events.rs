//! Event kinds and the rule for who sees an event: one function, used by live delivery and
//! by replay alike.

use std::collections::{HashMap, HashSet};

use super::workspaces::Role;

/// What happened. The wire name (`message.created`) names the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    UserUpdated,
    WorkspaceCreated,
    WorkspaceUpdated,
    WorkspaceMemberAdded,
    WorkspaceMemberUpdated,
    WorkspaceMemberDeactivated,
    ChannelCreated,
    ChannelUpdated,
    ChannelArchived,
    ChannelUnarchived,
    ChannelMemberAdded,
    ChannelMemberRemoved,
    ChannelRead,
    MessageCreated,
    MessageEdited,
    MessageDeleted,
    ReactionAdded,
    ReactionRemoved,
    PinAdded,
    PinRemoved,
    SessionRevoked,
}

impl EventKind {
    pub const ALL: [EventKind; 21] = [
        EventKind::UserUpdated,
        EventKind::WorkspaceCreated,
        EventKind::WorkspaceUpdated,
        EventKind::WorkspaceMemberAdded,
        EventKind::WorkspaceMemberUpdated,
        EventKind::WorkspaceMemberDeactivated,
        EventKind::ChannelCreated,
        EventKind::ChannelUpdated,
        EventKind::ChannelArchived,
        EventKind::ChannelUnarchived,
        EventKind::ChannelMemberAdded,
        EventKind::ChannelMemberRemoved,
        EventKind::ChannelRead,
        EventKind::MessageCreated,
        EventKind::MessageEdited,
        EventKind::MessageDeleted,
        EventKind::ReactionAdded,
        EventKind::ReactionRemoved,
        EventKind::PinAdded,
        EventKind::PinRemoved,
        EventKind::SessionRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserUpdated => "user.updated",
            EventKind::WorkspaceCreated => "workspace.created",
            EventKind::WorkspaceUpdated => "workspace.updated",
            EventKind::WorkspaceMemberAdded => "workspace.member_added",
            EventKind::WorkspaceMemberUpdated => "workspace.member_updated",
            EventKind::WorkspaceMemberDeactivated => "workspace.member_deactivated",
            EventKind::ChannelCreated => "channel.created",
            EventKind::ChannelUpdated => "channel.updated",
            EventKind::ChannelArchived => "channel.archived",
            EventKind::ChannelUnarchived => "channel.unarchived",
            EventKind::ChannelMemberAdded => "channel.member_added",
            EventKind::ChannelMemberRemoved => "channel.member_removed",
            EventKind::ChannelRead => "channel.read",
            EventKind::MessageCreated => "message.created",
            EventKind::MessageEdited => "message.edited",
            EventKind::MessageDeleted => "message.deleted",
            EventKind::ReactionAdded => "reaction.added",
            EventKind::ReactionRemoved => "reaction.removed",
            EventKind::PinAdded => "pin.added",
            EventKind::PinRemoved => "pin.removed",
            EventKind::SessionRevoked => "session.revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// Events only their `user_id` may see (read markers and sign-outs are nobody else's
    /// business).
    pub fn is_private(self) -> bool {
        matches!(self, EventKind::ChannelRead | EventKind::SessionRevoked)
    }

    /// Channel events that everyone who could browse the channel may see.
    pub fn is_channel_directory(self) -> bool {
        matches!(
            self,
            EventKind::ChannelCreated
                | EventKind::ChannelUpdated
                | EventKind::ChannelArchived
                | EventKind::ChannelUnarchived
        )
    }
}

/// Where an event belongs. `user_id` is the person the event is about or for: the member a
/// `*.member_*` event names, or the owner of a private event; never merely the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventScope {
    pub kind: EventKind,
    pub workspace_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// What the visibility rule needs to know about a viewer, as things stand now.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user_id: i64,
    /// Workspaces where the viewer is an active member, with the role there.
    pub workspaces: HashMap<i64, Role>,
    /// Channels the viewer is a member of now.
    pub channels: HashSet<i64>,
    /// Public channels of workspaces where the viewer is an active non-guest member.
    pub browsable_channels: HashSet<i64>,
}

/// Does `viewer` see an event with this scope? Membership means membership now: a newcomer
/// may be replayed a channel's earlier events (members can read its history anyway); a
/// removed member sees his own removal and nothing after it.
pub fn visible_to(scope: &EventScope, viewer: &Viewer) -> bool {
    if scope.user_id == Some(viewer.user_id) {
        return true;
    }
    if scope.kind.is_private() {
        return false;
    }
    match (scope.channel_id, scope.workspace_id) {
        (Some(channel), _) => {
            viewer.channels.contains(&channel)
                || (scope.kind.is_channel_directory() && viewer.browsable_channels.contains(&channel))
        }
        (None, Some(workspace)) => viewer.workspaces.contains_key(&workspace),
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        Viewer {
            user_id: 1,
            workspaces: HashMap::from([(10, Role::Member)]),
            channels: HashSet::from([100]),
            browsable_channels: HashSet::from([100, 101]),
        }
    }

    fn scope(kind: EventKind, ws: Option<i64>, ch: Option<i64>, user: Option<i64>) -> EventScope {
        EventScope { kind, workspace_id: ws, channel_id: ch, user_id: user }
    }

    #[test]
    fn the_visibility_rule() {
        let v = viewer();
        use EventKind::*;
        let cases = [
            (scope(MessageCreated, Some(10), Some(100), None), true, "member of the channel"),
            (scope(MessageCreated, Some(10), Some(101), None), false, "public channel not joined"),
            (scope(ChannelCreated, Some(10), Some(101), None), true, "directory event of a browsable channel"),
            (scope(ChannelCreated, Some(10), Some(102), None), false, "private channel not joined"),
            (scope(ChannelMemberRemoved, Some(10), Some(102), Some(1)), true, "own removal"),
            (scope(ChannelRead, Some(10), Some(100), Some(2)), false, "someone else's read marker"),
            (scope(ChannelRead, Some(10), Some(100), Some(1)), true, "own read marker"),
            (scope(WorkspaceMemberAdded, Some(10), None, Some(2)), true, "workspace-wide"),
            (scope(WorkspaceMemberAdded, Some(11), None, Some(2)), false, "another workspace"),
            (scope(UserUpdated, None, None, Some(2)), false, "unscoped and about someone else"),
        ];
        for (s, expected, why) in cases {
            assert_eq!(visible_to(&s, &v), expected, "{why}");
        }
    }
}
