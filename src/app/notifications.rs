//! Email notification preferences: reading and changing one's own, and the signed
//! one-click link in every notification mail that switches them off without signing in.

use super::{Actor, AppState};
use crate::db;
use crate::db::notifications::PreferencesRow;
use crate::domain::Code;
use crate::domain::notifications::{EmailNotifications, Preferences, parse_digest_hour, parse_time_zone};
use crate::error::AppError;
use crate::security::Purpose;
use crate::wire;

/// A stored preferences row, read leniently: what cannot be read is the default.
pub fn preferences(row: Option<&PreferencesRow>) -> Preferences {
    let Some(row) = row else { return Preferences::default() };
    let default = Preferences::default();
    Preferences {
        email: EmailNotifications::parse(&row.email_notifications).unwrap_or(default.email),
        digest_hour: u32::try_from(row.digest_hour).ok().filter(|h| *h < 24).unwrap_or(default.digest_hour),
        time_zone: row.time_zone.parse().unwrap_or(default.time_zone),
    }
}

/// A change to some of one's preferences; what is absent stays.
#[derive(Debug, Clone, Default)]
pub struct PreferencesChange {
    pub email_notifications: Option<String>,
    pub digest_hour: Option<i64>,
    pub time_zone: Option<String>,
}

/// The caller's preferences (the defaults until they change them).
pub async fn get(state: &AppState, actor: &Actor) -> Result<wire::NotificationPreferences, AppError> {
    let user_id = actor.id();
    let row = state.db.read(move |conn| Ok(PreferencesRow::find(conn, user_id)?)).await?;
    Ok(preferences(row.as_ref()).into())
}

/// Changes some of the caller's preferences; every value is checked before anything is
/// written.
pub async fn set(
    state: &AppState,
    actor: &Actor,
    change: PreferencesChange,
) -> Result<wire::NotificationPreferences, AppError> {
    let PreferencesChange { email_notifications, digest_hour, time_zone } = change;
    if email_notifications.is_none() && digest_hour.is_none() && time_zone.is_none() {
        return Err(AppError::invalid(Code::NothingToChange, "Give email_notifications, digest_hour or time_zone."));
    }
    let email = email_notifications.as_deref().map(EmailNotifications::parse).transpose()?;
    let hour = digest_hour.map(parse_digest_hour).transpose()?;
    let zone = time_zone.as_deref().map(|z| parse_time_zone(z.trim())).transpose()?;
    let user_id = actor.id();
    let saved = state
        .db
        .write(move |tx| {
            let mut p = preferences(PreferencesRow::find(tx, user_id)?.as_ref());
            p.email = email.unwrap_or(p.email);
            p.digest_hour = hour.unwrap_or(p.digest_hour);
            p.time_zone = zone.unwrap_or(p.time_zone);
            save(tx, user_id, p.email, p.digest_hour, p.time_zone.name())?;
            Ok(p)
        })
        .await?;
    Ok(saved.into())
}

fn save(tx: &mut db::Tx<'_>, user_id: i64, email: EmailNotifications, hour: u32, zone: &str) -> Result<(), AppError> {
    PreferencesRow {
        user_id,
        email_notifications: email.as_str().to_owned(),
        digest_hour: i32::try_from(hour).unwrap_or(9),
        time_zone: zone.to_owned(),
        updated_at: db::now(),
    }
    .save(tx)?;
    Ok(())
}

/// Whose mail an unsubscribe link switches off: the person it was made for, while the
/// link is signed by this server, unexpired, and they still have an account.
pub async fn unsubscribing(state: &AppState, token: &str) -> Result<i64, AppError> {
    let user_id = state
        .keys
        .verify(Purpose::Unsubscribe, token)
        .and_then(|c| c.sub.parse::<i64>().ok())
        .ok_or_else(invalid_link)?;
    let active = state
        .db
        .read(move |conn| Ok(crate::db::users::UserRow::find_many(conn, &[user_id])?))
        .await?
        .iter()
        .any(|u| u.deactivated_at.is_none());
    if active { Ok(user_id) } else { Err(invalid_link()) }
}

fn invalid_link() -> AppError {
    AppError::not_found(
        Code::InvalidUnsubscribeLink,
        "This unsubscribe link is not valid (it may be incomplete, or have expired); change your email \
         notifications in your account settings instead.",
    )
}

/// Switches a person's notification mail off (RFC 8058 one-click, or the link's page).
/// Doing it twice changes nothing more.
pub async fn unsubscribe(state: &AppState, token: &str) -> Result<(), AppError> {
    let user_id = unsubscribing(state, token).await?;
    state
        .db
        .write(move |tx| {
            let p = preferences(PreferencesRow::find(tx, user_id)?.as_ref());
            save(tx, user_id, EmailNotifications::Never, p.digest_hour, p.time_zone.name())
        })
        .await
}
