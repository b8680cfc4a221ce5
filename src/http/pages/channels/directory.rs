//! The directory: creating and browsing channels, and starting direct messages.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::conversation_layout;
use crate::app::{AppState, channels, workspaces};
use crate::error::AppError;
use crate::http::pages::{PageResult, PageUser, SHOWN, html, html_status, redirect};
use crate::views::pages::{ChannelBrowsePage, ChannelLink, ChannelNewPage, DmNewPage, PersonView};

#[get("/w/{ws}/channels/new")]
pub async fn new_channel_page(state: web::Data<AppState>, user: PageUser, ws: web::Path<String>) -> PageResult {
    let workspace = workspaces::get(&state, &user.0.actor, &ws).await?;
    let layout = conversation_layout(&state, &user, "Create a channel", &workspace.slug, None).await?;
    html(&ChannelNewPage { layout, ws: workspace.slug, name: String::new(), purpose: String::new(), private: false })
}

#[derive(Deserialize)]
pub struct NewChannelForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    purpose: Option<String>,
    private: Option<bool>,
}

#[post("/w/{ws}/channels/new")]
pub async fn create_channel(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<NewChannelForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let f = form.into_inner();
    let new = channels::NewChannelForm {
        name: f.name.clone(),
        private: f.private.unwrap_or(false),
        topic: None,
        purpose: f.purpose.clone(),
    };
    match channels::create(&state, &user.0.actor, &ws, new).await {
        Ok(c) => Ok(redirect(&format!("/w/{ws}/c/{}", c.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let mut layout = conversation_layout(&state, &user, "Create a channel", &ws, None).await?;
            layout.fail(&e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let page = ChannelNewPage {
                layout,
                ws: ws.into_inner(),
                name: f.name,
                purpose: f.purpose.unwrap_or_default(),
                private: f.private.unwrap_or(false),
            };
            html_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/w/{ws}/channels/browse")]
pub async fn browse(state: web::Data<AppState>, user: PageUser, ws: web::Path<String>) -> PageResult {
    let workspace = workspaces::get(&state, &user.0.actor, &ws).await?;
    let found = channels::browse(&state, &user.0.actor, &workspace.slug, SHOWN).await?.items;
    let page = ChannelBrowsePage {
        layout: conversation_layout(&state, &user, "Browse channels", &workspace.slug, None).await?,
        ws: workspace.slug.clone(),
        channels: found
            .into_iter()
            .map(|(c, rights)| ChannelLink {
                id: c.id,
                name: c.name.unwrap_or_default(),
                purpose: c.purpose,
                archived: c.archived,
                can_join: rights.join,
            })
            .collect(),
    };
    html(&page)
}

#[get("/w/{ws}/dms/new")]
pub async fn new_dm_page(state: web::Data<AppState>, user: PageUser, ws: web::Path<String>) -> PageResult {
    let workspace = workspaces::get(&state, &user.0.actor, &ws).await?;
    let me = user.0.actor.id();
    let people = workspaces::members(&state, &user.0.actor, &workspace.slug, SHOWN)
        .await?
        .items
        .into_iter()
        .filter(|m| !m.deactivated && m.user.id != me)
        .map(|m| PersonView {
            id: m.user.id,
            username: m.user.username,
            display_name: m.user.display_name,
            is_bot: m.user.is_bot,
        })
        .collect();
    let layout = conversation_layout(&state, &user, "New message", &workspace.slug, None).await?;
    html(&DmNewPage { layout, ws: workspace.slug, people })
}

/// Opens a direct message; the form's checkboxes repeat `user_ids`.
#[post("/w/{ws}/dms")]
pub async fn open_dm(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> PageResult {
    let csrf = form.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or_default();
    user.0.check_form_csrf(&state, csrf)?;
    let ids: Vec<i64> = form.iter().filter(|(k, _)| k == "user_ids").filter_map(|(_, v)| v.parse().ok()).collect();
    let (channel, _) = channels::open_dm(&state, &user.0.actor, &ws, &ids).await?;
    Ok(redirect(&format!("/w/{ws}/c/{}", channel.id)))
}
