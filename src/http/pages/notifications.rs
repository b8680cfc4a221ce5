//! Email notification pages: the settings form, and the unsubscribe link of every
//! notification mail (RFC 8058: a GET shows a button and changes nothing; a POST, from the
//! button or straight from a mail client's one-click, switches the mail off).

use actix_web::{get, post, web};
use serde::Deserialize;

use super::accounts::account_error;
use super::{PageResult, PageUser, html, redirect};
use crate::app::AppState;
use crate::app::notifications::{self, PreferencesChange};
use crate::views::pages::{Layout, UnsubscribePage};

#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(default)]
    csrf_token: String,
    email_notifications: String,
    digest_hour: String,
    time_zone: String,
}

#[post("/settings/notifications")]
pub async fn update(state: web::Data<AppState>, user: PageUser, form: web::Form<NotificationsForm>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let NotificationsForm { email_notifications, digest_hour, time_zone, .. } = form.into_inner();
    // An hour that is not a number is as wrong as 25: the use case says so.
    let digest_hour = Some(digest_hour.trim().parse::<i64>().unwrap_or(-1));
    let change =
        PreferencesChange { email_notifications: Some(email_notifications), digest_hour, time_zone: Some(time_zone) };
    match notifications::set(&state, &user.0.actor, change).await {
        Ok(_) => Ok(redirect("/settings?done=saved#notifications")),
        Err(e) => account_error(&state, &user, e).await,
    }
}

/// The link in the mail: a button (a GET changes nothing; mail scanners follow links).
#[get("/unsubscribe/{token}")]
pub async fn show(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    notifications::unsubscribing(&state, &token).await?;
    html(&UnsubscribePage { layout: Layout::new("Unsubscribe"), token: token.into_inner(), done: false })
}

/// The button, or a mail client's one-click POST (`List-Unsubscribe=One-Click`): no
/// session and no CSRF token, the signed link is the authority.
#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    notifications::unsubscribe(&state, &token).await?;
    html(&UnsubscribePage { layout: Layout::new("Unsubscribed"), token: String::new(), done: true })
}
