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

/// Which credentials a `session.revoked` event ends. Live connections opened with any of
/// them close at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revocation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<i64>,
    /// Every session but this one (a password change keeps the one that made it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_sessions_except: Option<i64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub all_sessions: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub all_tokens: bool,
    /// The account was deactivated (its connections close with 4003, not 4001).
    #[serde(default, skip_serializing_if = "is_false")]
    pub deactivated: bool,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's skip_serializing_if passes a reference")]
fn is_false(b: &bool) -> bool {
    !*b
}

impl Revocation {
    pub fn session(id: i64) -> Revocation {
        Revocation { session_id: Some(id), ..Revocation::default() }
    }

    pub fn token(id: i64) -> Revocation {
        Revocation { token_id: Some(id), ..Revocation::default() }
    }

    pub fn all_sessions() -> Revocation {
        Revocation { all_sessions: true, ..Revocation::default() }
    }

    /// Every session but `keep`, or every session when there is none to keep.
    pub fn all_sessions_except(keep: Option<i64>) -> Revocation {
        match keep {
            Some(sid) => Revocation { all_sessions_except: Some(sid), ..Revocation::default() },
            None => Revocation::all_sessions(),
        }
    }

    /// Every session and every personal access token: a password reset, or "sign out
    /// everywhere" with a new password.
    pub fn everything() -> Revocation {
        Revocation { all_sessions: true, all_tokens: true, ..Revocation::default() }
    }

    /// Every credential of a deactivated account.
    pub fn deactivation() -> Revocation {
        Revocation { all_sessions: true, all_tokens: true, deactivated: true, ..Revocation::default() }
    }

    /// Does this revocation end a connection made with this session or token?
    pub fn ends(&self, session_id: Option<i64>, token_id: Option<i64>) -> bool {
        (self.session_id.is_some() && session_id == self.session_id)
            || (self.token_id.is_some() && token_id == self.token_id)
            || (self.all_tokens && token_id.is_some())
            || (session_id.is_some()
                && (self.all_sessions
                    || (self.all_sessions_except.is_some() && session_id != self.all_sessions_except)))
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
    fn which_connections_a_revocation_ends() {
        let (session, token) = ((Some(5), None), (None, Some(9)));
        let cases = [
            (Revocation::session(5), session, true, "that session"),
            (Revocation::session(6), session, false, "another session"),
            (Revocation::session(5), token, false, "a token is not a session"),
            (Revocation::token(9), token, true, "that token"),
            (Revocation::all_sessions(), session, true, "every session"),
            (Revocation::all_sessions(), token, false, "tokens stay"),
            (Revocation::all_sessions_except(Some(5)), session, false, "the session that changed the password"),
            (Revocation::all_sessions_except(Some(4)), session, true, "the other sessions"),
            (Revocation::all_sessions_except(None), session, true, "no session to keep"),
            (Revocation::deactivation(), token, true, "deactivation ends tokens too"),
        ];
        for (revocation, (s, t), expected, why) in cases {
            assert_eq!(revocation.ends(s, t), expected, "{why}");
        }
    }

    #[test]
    fn the_visibility_rule() {
        use EventKind::*;
        let v = viewer();
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
