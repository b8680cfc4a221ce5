//! The public JSON objects: what the API returns and what events carry. Built from rows by
//! explicit conversions, so a new column goes nowhere until someone decides it should.

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::db::channels::ChannelRow;
use crate::db::files::FileRow;
use crate::db::invitations::InvitationRow;
use crate::db::messages::{MessageRow, ReactionRow};
use crate::db::tokens::TokenRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::domain::channels::{ChannelKind, NotifyLevel};
use crate::domain::workspaces::Role;

mod integrations;
mod people;

pub use integrations::{
    Bot, BotUser, Command, CommandHint, EphemeralMessage, IncomingWebhook, IntegrationEvent, OutgoingWebhook,
};
pub use people::{Me, NotificationPreferences, Profile, Status, User, avatar_url};

/// A moment in UTC, written as RFC 3339 with microseconds and `Z`
/// (`2026-11-25T10:50:17.123456Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub NaiveDateTime);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let raw = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&raw).map(|t| Time(t.naive_utc())).map_err(serde::de::Error::custom)
    }
}

impl From<NaiveDateTime> for Time {
    fn from(t: NaiveDateTime) -> Time {
        Time(t)
    }
}

/// A workspace, with the caller's role in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The caller's role: owner, admin, member or guest.
    #[schema(value_type = String)]
    pub role: Role,
    /// People with addresses at these domains may sign up without an invitation.
    pub signup_domains: Vec<String>,
    /// Members, not only admins, may add integrations (incoming webhooks).
    pub members_add_integrations: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

impl Workspace {
    pub fn new(ws: &WorkspaceRow, member: &MemberRow) -> Workspace {
        let WorkspaceRow {
            id,
            slug,
            name,
            created_by: _,
            created_at,
            updated_at: _,
            signup_domains,
            members_add_integrations,
        } = ws;
        Workspace {
            id: *id,
            slug: slug.clone(),
            name: name.clone(),
            role: member.role,
            signup_domains: crate::domain::workspaces::signup_domains(signup_domains),
            members_add_integrations: *members_add_integrations,
            created_at: Time(*created_at),
        }
    }
}

/// A workspace without anyone's role, as workspace events carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl From<&WorkspaceRow> for WorkspaceInfo {
    fn from(ws: &WorkspaceRow) -> WorkspaceInfo {
        WorkspaceInfo { id: ws.id, slug: ws.slug.clone(), name: ws.name.clone() }
    }
}

/// A membership of a workspace.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user: User,
    #[schema(value_type = String)]
    pub role: Role,
    pub deactivated: bool,
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Time,
}

impl Member {
    pub fn new(member: &MemberRow, user: &UserRow) -> Member {
        let MemberRow { workspace_id: _, user_id: _, role, joined_at, deactivated_at } = member;
        Member {
            user: User::from(user),
            role: *role,
            deactivated: deactivated_at.is_some(),
            joined_at: Time(*joined_at),
        }
    }
}

/// A pending invitation, as workspace admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    #[schema(value_type = String)]
    pub role: Role,
    pub invited_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Time,
}

impl From<&InvitationRow> for Invitation {
    fn from(row: &InvitationRow) -> Invitation {
        Invitation {
            id: row.id,
            email: row.email.clone(),
            role: row.role,
            invited_by: row.invited_by,
            created_at: Time(row.created_at),
            expires_at: Time(row.expires_at),
        }
    }
}

/// A personal access token as listed (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Time>,
}

impl From<&TokenRow> for AccessToken {
    fn from(row: &TokenRow) -> AccessToken {
        let TokenRow { id, user_id: _, name, token_hash: _, created_at, last_used_at, revoked_at: _ } = row;
        AccessToken { id: *id, name: name.clone(), created_at: Time(*created_at), last_used_at: last_used_at.map(Time) }
    }
}

/// Someone's place in a channel, as they themselves see it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ChannelMembership {
    pub last_read_message_id: i64,
    /// Unread messages by others, counted up to 100 (shown as 99+).
    pub unread_count: i64,
    /// Unread mentions of you, or of everyone in the channel.
    pub mention_count: i64,
    /// all, mentions or nothing.
    #[schema(value_type = String)]
    pub notify_level: NotifyLevel,
    pub muted: bool,
}

/// A channel or direct message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Channel {
    pub id: i64,
    pub workspace_id: i64,
    /// public, private, dm or group_dm.
    #[schema(value_type = String)]
    pub kind: ChannelKind,
    /// The name; none for direct messages.
    pub name: Option<String>,
    pub topic: String,
    pub purpose: String,
    pub is_default: bool,
    pub archived: bool,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    /// The people in a direct message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_members: Option<Vec<User>>,
    /// The caller's membership, when they are in the channel (never in events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership: Option<ChannelMembership>,
}

impl From<&ChannelRow> for Channel {
    fn from(row: &ChannelRow) -> Channel {
        let ChannelRow {
            id,
            workspace_id,
            kind,
            name,
            topic,
            purpose,
            is_default,
            dm_key: _,
            created_by,
            created_at,
            updated_at: _,
            archived_at,
        } = row;
        Channel {
            id: *id,
            workspace_id: *workspace_id,
            kind: *kind,
            name: name.clone(),
            topic: topic.clone(),
            purpose: purpose.clone(),
            is_default: *is_default,
            archived: archived_at.is_some(),
            created_by: *created_by,
            created_at: Time(*created_at),
            dm_members: None,
            membership: None,
        }
    }
}

/// One emoji's reactions to a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Reaction {
    /// The shortcode without colons: `tada`.
    pub emoji: String,
    /// The emoji itself: 🎉.
    pub glyph: String,
    pub count: usize,
    pub user_ids: Vec<i64>,
}

/// A message, as the API returns it and every message event carries it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub channel_id: i64,
    pub user: User,
    /// The text as written (empty once deleted).
    pub text: String,
    /// The text rendered to sanitised HTML, the same for every viewer.
    pub html: String,
    pub thread_root_id: Option<i64>,
    /// A thread reply that is also shown in the channel.
    pub also_send_to_channel: bool,
    pub reply_count: i64,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_reply_at: Option<Time>,
    pub reactions: Vec<Reaction>,
    pub pinned: bool,
    /// People the message mentions by name.
    pub mentioned_user_ids: Vec<i64>,
    /// The message calls on everyone in the channel (`@here`, `@channel`, `@everyone`), as
    /// resolved when it was written; never guessed from its text.
    pub mentions_everyone: bool,
    pub client_msg_id: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Time>,
    pub deleted: bool,
    /// The files the message shares, in the order attached (none once deleted).
    #[serde(default)]
    pub files: Vec<File>,
    /// Set when an integration posted it: whom it shows as instead of its author.
    #[serde(default)]
    pub bot: Option<Bot>,
}

/// A shared file, as messages carry it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct File {
    pub id: i64,
    /// The name as uploaded (directories and control characters removed).
    pub name: String,
    /// Bytes.
    pub size: i64,
    /// Told from the bytes, not from the uploader.
    pub content_type: String,
    /// Of an image, in pixels, when known.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Where its bytes are, on this server (membership is checked).
    pub url: String,
    /// A picture's smaller copy (at most 720 pixels a side), when it is larger than that
    /// and not animated.
    pub thumbnail_url: Option<String>,
    /// Who shared it, when, and in which message.
    pub user_id: i64,
    pub message_id: Option<i64>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

impl From<&FileRow> for File {
    fn from(row: &FileRow) -> File {
        File {
            id: row.id,
            name: row.name.clone(),
            size: row.size,
            content_type: row.content_type.clone(),
            width: row.width,
            height: row.height,
            url: format!("/files/{}/{}", row.id, crate::domain::files::url_segment(&row.name)),
            thumbnail_url: row
                .thumbnail_key
                .as_ref()
                .map(|_| format!("/files/{}/{}/thumbnail", row.id, crate::domain::files::url_segment(&row.name))),
            user_id: row.user_id,
            message_id: row.message_id,
            created_at: Time(row.created_at),
        }
    }
}

impl Message {
    /// Builds the wire message from its row, its author, its reactions (oldest first) and
    /// whom it mentions, as resolved when it was written (`None`: everyone in the channel).
    pub fn new(row: &MessageRow, author: &UserRow, reactions: &[&ReactionRow], mentions: &[Option<i64>]) -> Message {
        let mut mentioned: Vec<i64> = mentions.iter().flatten().copied().collect();
        mentioned.sort_unstable();
        mentioned.dedup();
        let MessageRow {
            id,
            channel_id,
            user_id: _,
            text,
            html,
            thread_root_id,
            in_channel,
            reply_count,
            last_reply_at,
            client_msg_id,
            created_at,
            edited_at,
            deleted_at,
            pinned_at,
            pinned_by: _,
            bot,
        } = row;
        let mut grouped: Vec<Reaction> = Vec::new();
        for r in reactions {
            match grouped.iter_mut().find(|g| g.emoji == r.emoji) {
                Some(g) => {
                    g.count += 1;
                    g.user_ids.push(r.user_id);
                }
                None => grouped.push(Reaction {
                    emoji: r.emoji.clone(),
                    glyph: crate::domain::messages::emoji_glyph(&r.emoji).unwrap_or_default().to_owned(),
                    count: 1,
                    user_ids: vec![r.user_id],
                }),
            }
        }
        Message {
            id: *id,
            channel_id: *channel_id,
            user: User::from(author),
            text: text.clone(),
            mentioned_user_ids: mentioned,
            mentions_everyone: mentions.contains(&None),
            html: html.clone(),
            thread_root_id: *thread_root_id,
            also_send_to_channel: thread_root_id.is_some() && *in_channel,
            reply_count: *reply_count,
            last_reply_at: last_reply_at.map(Time),
            reactions: grouped,
            pinned: pinned_at.is_some(),
            client_msg_id: client_msg_id.clone(),
            created_at: Time(*created_at),
            edited_at: edited_at.map(Time),
            deleted: deleted_at.is_some(),
            files: Vec::new(),
            bot: bot.as_deref().and_then(|b| serde_json::from_str(b).ok()),
        }
    }
}
