//! What each kind of event carries: one typed enum, appended by the use cases and read back
//! by every follower (live delivery, replay, the JSON events endpoint, and the followers to
//! come). Stored as the `data` object of the wire frame; the kind lives in its own column.

use serde::{Deserialize, Serialize};

use crate::domain::events::{EventKind, Revocation};
use crate::wire::{Channel, ChannelMembership, Member, Message, User, WorkspaceInfo};

/// The payload of an event, tagged by its kind as clients see it:
/// `{"type": "message.created", "data": {"message": …, "thread_root": …}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    /// A person's public profile changed (or they were deactivated).
    #[serde(rename = "user.updated")]
    UserUpdated { user: User },
    #[serde(rename = "workspace.created")]
    WorkspaceCreated { workspace: WorkspaceInfo, member: Member },
    #[serde(rename = "workspace.updated")]
    WorkspaceUpdated { workspace: WorkspaceInfo },
    #[serde(rename = "workspace.member_added")]
    WorkspaceMemberAdded { member: Member },
    #[serde(rename = "workspace.member_updated")]
    WorkspaceMemberUpdated { member: Member },
    #[serde(rename = "workspace.member_deactivated")]
    WorkspaceMemberDeactivated { member: Member },
    #[serde(rename = "channel.created")]
    ChannelCreated { channel: Channel },
    #[serde(rename = "channel.updated")]
    ChannelUpdated { channel: Channel },
    #[serde(rename = "channel.archived")]
    ChannelArchived { channel: Channel },
    #[serde(rename = "channel.unarchived")]
    ChannelUnarchived { channel: Channel },
    #[serde(rename = "channel.member_added")]
    ChannelMemberAdded { channel: Channel, user: User },
    #[serde(rename = "channel.member_removed")]
    ChannelMemberRemoved { channel: Channel, user: User },
    /// The reader's own marker moved (only they see it).
    #[serde(rename = "channel.read")]
    ChannelRead { channel_id: i64, membership: Option<ChannelMembership> },
    /// A message was posted; a reply carries its thread's root with the new count.
    #[serde(rename = "message.created")]
    MessageCreated { message: Message, thread_root: Option<Box<Message>> },
    #[serde(rename = "message.edited")]
    MessageEdited { message: Message },
    #[serde(rename = "message.deleted")]
    MessageDeleted { message: Message },
    #[serde(rename = "reaction.added")]
    ReactionAdded { message: Message, emoji: String, user_id: i64 },
    #[serde(rename = "reaction.removed")]
    ReactionRemoved { message: Message, emoji: String, user_id: i64 },
    #[serde(rename = "pin.added")]
    PinAdded { message: Message, user_id: i64 },
    #[serde(rename = "pin.removed")]
    PinRemoved { message: Message, user_id: i64 },
    /// Credentials were revoked: live connections made with them close (only their owner
    /// sees it).
    #[serde(rename = "session.revoked")]
    SessionRevoked(Revocation),
}

impl EventData {
    /// The kind, as the visibility rule and the `kind` column know it.
    pub fn kind(&self) -> EventKind {
        match self {
            EventData::UserUpdated { .. } => EventKind::UserUpdated,
            EventData::WorkspaceCreated { .. } => EventKind::WorkspaceCreated,
            EventData::WorkspaceUpdated { .. } => EventKind::WorkspaceUpdated,
            EventData::WorkspaceMemberAdded { .. } => EventKind::WorkspaceMemberAdded,
            EventData::WorkspaceMemberUpdated { .. } => EventKind::WorkspaceMemberUpdated,
            EventData::WorkspaceMemberDeactivated { .. } => EventKind::WorkspaceMemberDeactivated,
            EventData::ChannelCreated { .. } => EventKind::ChannelCreated,
            EventData::ChannelUpdated { .. } => EventKind::ChannelUpdated,
            EventData::ChannelArchived { .. } => EventKind::ChannelArchived,
            EventData::ChannelUnarchived { .. } => EventKind::ChannelUnarchived,
            EventData::ChannelMemberAdded { .. } => EventKind::ChannelMemberAdded,
            EventData::ChannelMemberRemoved { .. } => EventKind::ChannelMemberRemoved,
            EventData::ChannelRead { .. } => EventKind::ChannelRead,
            EventData::MessageCreated { .. } => EventKind::MessageCreated,
            EventData::MessageEdited { .. } => EventKind::MessageEdited,
            EventData::MessageDeleted { .. } => EventKind::MessageDeleted,
            EventData::ReactionAdded { .. } => EventKind::ReactionAdded,
            EventData::ReactionRemoved { .. } => EventKind::ReactionRemoved,
            EventData::PinAdded { .. } => EventKind::PinAdded,
            EventData::PinRemoved { .. } => EventKind::PinRemoved,
            EventData::SessionRevoked(_) => EventKind::SessionRevoked,
        }
    }

    /// The message an event is about, if any.
    pub fn message(&self) -> Option<&Message> {
        match self {
            EventData::MessageCreated { message, .. }
            | EventData::MessageEdited { message }
            | EventData::MessageDeleted { message }
            | EventData::ReactionAdded { message, .. }
            | EventData::ReactionRemoved { message, .. }
            | EventData::PinAdded { message, .. }
            | EventData::PinRemoved { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The thread root a reply's event carries, with its new reply count.
    pub fn thread_root(&self) -> Option<&Message> {
        match self {
            EventData::MessageCreated { thread_root, .. } => thread_root.as_deref(),
            _ => None,
        }
    }

    /// Every message the event carries, to bring up to date before replay.
    pub fn messages_mut(&mut self) -> Vec<&mut Message> {
        match self {
            EventData::MessageCreated { message, thread_root } => {
                std::iter::once(message).chain(thread_root.as_deref_mut()).collect()
            }
            EventData::MessageEdited { message }
            | EventData::MessageDeleted { message }
            | EventData::ReactionAdded { message, .. }
            | EventData::ReactionRemoved { message, .. }
            | EventData::PinAdded { message, .. }
            | EventData::PinRemoved { message, .. } => vec![message],
            _ => Vec::new(),
        }
    }

    /// The stored form: the `data` object alone (the kind has its own column).
    pub fn to_stored(&self) -> Result<String, serde_json::Error> {
        let mut tagged = serde_json::to_value(self)?;
        Ok(tagged.get_mut("data").map(serde_json::Value::take).unwrap_or_default().to_string())
    }

    /// Reads a stored payload of a known kind back.
    pub fn from_stored(kind: EventKind, payload: &str) -> Result<EventData, serde_json::Error> {
        let tagged = format!(r#"{{"type":"{}","data":{payload}}}"#, kind.as_str());
        serde_json::from_str(&tagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Time;

    fn user() -> User {
        User {
            id: 7,
            username: "bob".into(),
            display_name: "Bob".into(),
            deactivated: false,
            is_bot: false,
            title: String::new(),
            status: None,
            avatar_url: None,
        }
    }

    fn message() -> Message {
        Message {
            id: 1,
            channel_id: 2,
            user: user(),
            text: "hi".into(),
            html: "<p>hi</p>".into(),
            thread_root_id: None,
            also_send_to_channel: false,
            reply_count: 0,
            last_reply_at: None,
            reactions: Vec::new(),
            pinned: false,
            mentioned_user_ids: vec![3],
            mentions_everyone: false,
            client_msg_id: None,
            created_at: Time(chrono::NaiveDateTime::default()),
            edited_at: None,
            deleted: false,
            files: Vec::new(),
            bot: None,
        }
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_form_under_its_own_name() {
        let samples = [
            EventData::UserUpdated { user: user() },
            EventData::MessageCreated { message: message(), thread_root: None },
            EventData::ReactionAdded { message: message(), emoji: "tada".into(), user_id: 7 },
            EventData::ChannelRead { channel_id: 2, membership: None },
            EventData::SessionRevoked(Revocation::session(4)),
        ];
        for data in samples {
            let tagged = serde_json::to_value(&data).unwrap();
            assert_eq!(tagged["type"], data.kind().as_str(), "the serde name is the kind's name");
            let stored = data.to_stored().unwrap();
            let back = EventData::from_stored(data.kind(), &stored).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), tagged);
        }
    }

    #[test]
    fn a_payload_that_does_not_fit_its_kind_is_an_error() {
        assert!(EventData::from_stored(EventKind::MessageCreated, r#"{"user": 1}"#).is_err());
    }
}
