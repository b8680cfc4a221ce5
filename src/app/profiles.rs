//! Profiles: one's name, title and custom status; one's picture, cropped and scaled on the
//! server and kept in the file storage; and another person's profile with their local time,
//! for those who share a workspace with them.

use sha2::{Digest, Sha256};

use super::accounts::user_updated;
use super::{Actor, AppState};
use crate::db::notifications::PreferencesRow;
use crate::db::users::{ProfileChange, UserRow};
use crate::db::{self, Conn, workspaces::MemberRow};
use crate::domain::Code;
use crate::domain::accounts::DisplayName;
use crate::domain::profiles::{StatusChange, parse_title};
use crate::error::AppError;
use crate::wire;

/// A change to some of one's profile; what is absent stays.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub display_name: Option<String>,
    pub title: Option<String>,
    /// A new status (`emoji`, `text`, how long it lasts: `30m`, `1h`, `4h`, `today`,
    /// `week`, `keep` (as the status it replaces), or empty for until cleared); both parts
    /// empty clears it.
    pub status: Option<(String, String, String)>,
}

/// The largest picture accepted for a profile, before it is made small.
pub const MAX_AVATAR_BYTES: usize = 10 << 20;

/// Changes some of the caller's profile; every value is checked before anything is written.
pub async fn update(state: &AppState, actor: &Actor, patch: ProfilePatch) -> Result<UserRow, AppError> {
    if patch.display_name.is_none() && patch.title.is_none() && patch.status.is_none() {
        return Err(AppError::invalid(Code::NothingToChange, "Give a display_name, title or status to change."));
    }
    let name = patch.display_name.as_deref().map(DisplayName::parse).transpose()?;
    let title = patch.title.as_deref().map(parse_title).transpose()?;
    let user_id = actor.id();
    let zone = {
        let prefs = state.db.read(move |conn| Ok(PreferencesRow::find(conn, user_id)?)).await?;
        super::notifications::preferences(prefs.as_ref()).time_zone
    };
    let now = db::now();
    let status = patch
        .status
        .as_ref()
        .map(|(emoji, text, lasts)| StatusChange::parse(emoji, text, lasts, now, zone))
        .transpose()?;
    state
        .db
        .write(move |tx| {
            let mut user = match &name {
                Some(name) => UserRow::set_display_name(tx, user_id, name.as_str(), now)?,
                None => UserRow::find(tx, user_id)?,
            };
            if title.is_some() || status.is_some() {
                let kept = StatusChange {
                    emoji: user.status_emoji.clone(),
                    text: user.status_text.clone(),
                    expires_at: user.status_expires_at,
                    keep_expiry: true,
                };
                let status = status.as_ref().unwrap_or(&kept);
                let change = ProfileChange {
                    title: title.as_deref().unwrap_or(&user.title),
                    status_emoji: &status.emoji,
                    status_text: &status.text,
                    status_expires_at: if status.keep_expiry { user.status_expires_at } else { status.expires_at },
                };
                user = UserRow::set_profile(tx, user_id, &change, now)?;
            }
            user_updated(tx, &user)?;
            Ok(user)
        })
        .await
}

/// Makes an uploaded image the caller's picture: its middle square, 256 pixels, as a JPEG.
pub async fn set_avatar(state: &AppState, actor: &Actor, bytes: Vec<u8>) -> Result<UserRow, AppError> {
    if bytes.len() > MAX_AVATAR_BYTES {
        return Err(super::files::too_large(MAX_AVATAR_BYTES as u64));
    }
    let small = tokio::task::spawn_blocking(move || crate::domain::images::avatar(&bytes))
        .await
        .map_err(|e| AppError::Unexpected(e.into()))?
        .ok_or_else(|| {
            AppError::invalid(
                Code::InvalidAvatar,
                "That is not a picture hearth can read: send a PNG, JPEG, GIF or WebP.",
            )
        })?;
    let user_id = actor.id();
    let digest: String = Sha256::digest(&small).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let key = format!("avatars/{user_id}/{digest}.jpg");
    state.storage.put(&key, small).await.map_err(super::files::storage_down)?;
    replace_avatar(state, user_id, Some(key)).await
}

/// Takes the caller's picture away: their initials are shown again.
pub async fn remove_avatar(state: &AppState, actor: &Actor) -> Result<UserRow, AppError> {
    replace_avatar(state, actor.id(), None).await
}

/// Sets (or takes away) a person's picture and lets the workspaces know; the picture it
/// replaces is removed from the storage.
async fn replace_avatar(state: &AppState, user_id: i64, key: Option<String>) -> Result<UserRow, AppError> {
    let new = key.clone();
    let (user, old) = state
        .db
        .write(move |tx| {
            let old = UserRow::find(tx, user_id)?.avatar_key;
            let user = UserRow::set_avatar(tx, user_id, new.as_deref(), db::now())?;
            user_updated(tx, &user)?;
            Ok((user, old))
        })
        .await?;
    if let Some(old) = old.filter(|o| Some(o) != key.as_ref()) {
        super::files::discard(state, &[old]).await;
    }
    Ok(user)
}

/// Whether two people share a workspace (or are one person): who may see whose profile.
fn acquainted(conn: &mut Conn, viewer: i64, other: i64) -> Result<bool, AppError> {
    if viewer == other {
        return Ok(true);
    }
    let mine: Vec<i64> = MemberRow::list_active_for_user(conn, viewer)?.iter().map(|m| m.workspace_id).collect();
    Ok(MemberRow::list_active_for_user(conn, other)?.iter().any(|m| mine.contains(&m.workspace_id)))
}

fn no_such_person() -> AppError {
    AppError::not_found(Code::UserNotFound, "There is no such person in your workspaces.")
}

/// A person, for someone who shares a workspace with them; else (or for nobody) 404.
fn visible_user(conn: &mut Conn, viewer: i64, user_id: i64) -> Result<UserRow, AppError> {
    let user = UserRow::find_optional(conn, user_id)?.ok_or_else(no_such_person)?;
    if !acquainted(conn, viewer, user_id)? {
        return Err(no_such_person());
    }
    Ok(user)
}

/// Another person's profile, with their time zone, for someone who shares a workspace with them.
pub async fn profile(state: &AppState, actor: &Actor, user_id: i64) -> Result<wire::Profile, AppError> {
    let viewer = actor.id();
    state
        .db
        .read(move |conn| {
            let user = visible_user(conn, viewer, user_id)?;
            let zone = super::notifications::preferences(PreferencesRow::find(conn, user_id)?.as_ref()).time_zone;
            Ok(wire::Profile { user: wire::User::from(&user), time_zone: zone.name().to_owned() })
        })
        .await
}

/// A person's picture, by the name its address gives, for someone who shares a workspace
/// with them; only their current picture is served.
pub async fn avatar(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    name: &str,
) -> Result<crate::storage::Download, AppError> {
    let viewer = actor.id();
    let key = state.db.read(move |conn| Ok(visible_user(conn, viewer, user_id)?.avatar_key)).await?;
    let key = key
        .filter(|k| k.rsplit('/').next() == Some(name))
        .ok_or_else(|| AppError::not_found(Code::NotFound, "That picture is not theirs now."))?;
    state.storage.read(&key, None).await.map_err(super::files::storage_down)
}
