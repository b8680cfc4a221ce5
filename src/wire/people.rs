//! People on the wire: a person as others see them (with a title, a status and a picture),
//! their profile with its time zone, and one's own account and preferences.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Time;
use crate::db::users::UserRow;

/// A person as every member of a shared workspace sees them (no email).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub deactivated: bool,
    /// A bot user: shown with a BOT marker, not counted among people.
    #[serde(default)]
    pub is_bot: bool,
    /// What they do ("Site reliability"); empty when not given.
    #[serde(default)]
    pub title: String,
    /// Their custom status, unless none is set or it has expired.
    #[serde(default)]
    pub status: Option<Status>,
    /// Their picture (a 256-pixel square), when they gave one; else initials are shown.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// Someone's profile as those who share a workspace with them see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Profile {
    pub user: User,
    /// Their IANA time zone (`Europe/Berlin`), for their local time.
    pub time_zone: String,
}

/// A custom status: an emoji and a few words, until it expires or is cleared.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Status {
    /// The emoji's shortcode (`palm_tree`), empty for none.
    pub emoji: String,
    /// The emoji itself.
    pub glyph: String,
    pub text: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Time>,
}

impl Status {
    /// The status a row holds now, if any.
    pub fn of(row: &UserRow) -> Option<Status> {
        let set = !row.status_emoji.is_empty() || !row.status_text.is_empty();
        let live = row.status_expires_at.is_none_or(|at| at > chrono::Utc::now().naive_utc());
        (set && live).then(|| Status {
            emoji: row.status_emoji.clone(),
            glyph: crate::domain::messages::emoji_glyph(&row.status_emoji).unwrap_or_default().to_owned(),
            text: row.status_text.clone(),
            expires_at: row.status_expires_at.map(Time),
        })
    }
}

/// Where a person's picture is served: `/avatars/<user>/<name>`, its name the one its
/// content gave it, so that it is cached for good and a new one is fetched at once.
pub fn avatar_url(row: &UserRow) -> Option<String> {
    let key = row.avatar_key.as_deref()?;
    Some(format!("/avatars/{}/{}", row.id, key.rsplit('/').next().unwrap_or(key)))
}

impl From<&UserRow> for User {
    fn from(row: &UserRow) -> User {
        let UserRow { id, username, display_name, deactivated_at, is_bot, title, .. } = row;
        User {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            deactivated: deactivated_at.is_some(),
            is_bot: *is_bot,
            title: title.clone(),
            status: Status::of(row),
            avatar_url: avatar_url(row),
        }
    }
}

/// The signed-in person's own account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_server_admin: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    pub title: String,
    pub status: Option<Status>,
    pub avatar_url: Option<String>,
}

/// How the signed-in person is mailed about what they miss.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferences {
    /// `immediately` (once something stays unread for the notification delay, batched),
    /// `hourly`, `daily` (a digest at `digest_hour` in `time_zone`) or `never`.
    pub email_notifications: String,
    /// 0–23, in `time_zone`.
    pub digest_hour: u32,
    /// An IANA time zone name, such as `Europe/Berlin`.
    pub time_zone: String,
}

impl From<crate::domain::notifications::Preferences> for NotificationPreferences {
    fn from(p: crate::domain::notifications::Preferences) -> NotificationPreferences {
        NotificationPreferences {
            email_notifications: p.email.as_str().to_owned(),
            digest_hour: p.digest_hour,
            time_zone: p.time_zone.name().to_owned(),
        }
    }
}

impl From<&UserRow> for Me {
    fn from(row: &UserRow) -> Me {
        let UserRow {
            id,
            username,
            email,
            display_name,
            password_hash: _,
            is_server_admin,
            deactivated_at: _,
            created_at,
            updated_at: _,
            is_bot: _,
            title,
            status_emoji: _,
            status_text: _,
            status_expires_at: _,
            avatar_key: _,
        } = row;
        Me {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            email: email.clone(),
            is_server_admin: *is_server_admin,
            created_at: Time(*created_at),
            title: title.clone(),
            status: Status::of(row),
            avatar_url: avatar_url(row),
        }
    }
}
