//! A channel's settings: joining and leaving, details, notification level, members,
//! archiving, its pins and its files.

use actix_web::{get, post, web};
use serde::Deserialize;

use super::{CsrfForm, channel_form, channel_in, conversation_layout, title_of};
use crate::app::{AppState, channel_members, channels, files, messages, workspaces};
use crate::http::api::PageQuery;
use crate::http::pages::{PageResult, PageUser, SHOWN, html, redirect};
use crate::views::messages::{FileView, rows};
use crate::views::pages::{ChannelDetailsPage, ChannelFilesPage, PersonView, PinsPage, RowView, SharedFileView};

#[post("/w/{ws}/c/{id}/join")]
pub async fn join(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    channel_members::join(&state, &user.0.actor, id).await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}")))
}

#[post("/w/{ws}/c/{id}/leave")]
pub async fn leave(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    channel_members::leave(&state, &user.0.actor, id).await?;
    Ok(redirect(&format!("/w/{ws}")))
}

/// A channel's details: about, notifications, members, leave and archive.
#[get("/w/{ws}/c/{id}/details")]
pub async fn details(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, i64)>) -> PageResult {
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let (workspace, _) = channel_in(&state, &user, &ws, id).await?;
    let (channel, rights) = channels::with_access(&state, actor, id).await?;
    let people = channel_members::members(&state, actor, id, SHOWN).await?.items;
    let in_channel: std::collections::HashSet<i64> = people.iter().map(|u| u.id).collect();
    let addable = workspaces::members(&state, actor, &workspace.slug, SHOWN)
        .await?
        .items
        .into_iter()
        .filter(|m| !m.deactivated && !in_channel.contains(&m.user.id))
        .map(|m| PersonView {
            id: m.user.id,
            username: m.user.username,
            display_name: m.user.display_name,
            is_bot: m.user.is_bot,
        })
        .collect();
    let title = title_of(&channel, actor.id());
    let membership = channel.membership.clone();
    let page = ChannelDetailsPage {
        layout: conversation_layout(&state, &user, &title, &workspace.slug, Some(id)).await?,
        ws: workspace.slug.clone(),
        channel_id: id,
        name: channel.name.clone().unwrap_or_default(),
        topic: channel.topic.clone(),
        purpose: channel.purpose.clone(),
        is_dm: channel.name.is_none(),
        rights,
        archived: channel.archived,
        notify_level: membership.as_ref().map_or("all", |m| m.notify_level.as_str()),
        muted: membership.is_some_and(|m| m.muted),
        members: people
            .into_iter()
            .map(|u| PersonView { id: u.id, username: u.username, display_name: u.display_name, is_bot: u.is_bot })
            .collect(),
        addable,
        title,
    };
    html(&page)
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    csrf_token: String,
    name: Option<String>,
    topic: Option<String>,
    purpose: Option<String>,
}

#[post("/w/{ws}/c/{id}/details")]
pub async fn update_details(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<DetailsForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id) = path.into_inner();
    channel_in(&state, &user, &ws, id).await?;
    let f = form.into_inner();
    channels::update(
        &state,
        &user.0.actor,
        id,
        channels::ChannelPatch { name: f.name, topic: f.topic, purpose: f.purpose },
    )
    .await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}/details")))
}

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    csrf_token: String,
    notify_level: String,
    muted: Option<bool>,
}

#[post("/w/{ws}/c/{id}/notify")]
pub async fn notify(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<NotifyForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    channels::set_notify(&state, &user.0.actor, id, Some(&form.notify_level), Some(form.muted.unwrap_or(false)))
        .await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}/details")))
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf_token: String,
    user_id: i64,
}

#[post("/w/{ws}/c/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<MemberForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    channel_members::add_member(&state, &user.0.actor, id, form.user_id).await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}/details")))
}

#[post("/w/{ws}/c/{id}/members/{user_id}/remove")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id, target) = path.into_inner();
    channel_in(&state, &user, &ws, id).await?;
    channel_members::remove_member(&state, &user.0.actor, id, target).await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}/details")))
}

#[post("/w/{ws}/c/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    set_archived(&state, &user, path, &form.csrf_token, true).await
}

#[post("/w/{ws}/c/{id}/unarchive")]
pub async fn unarchive(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    set_archived(&state, &user, path, &form.csrf_token, false).await
}

/// Archives or unarchives from the details page, then shows the conversation.
async fn set_archived(
    state: &AppState,
    user: &PageUser,
    path: web::Path<(String, i64)>,
    csrf: &str,
    archived: bool,
) -> PageResult {
    let (ws, id) = channel_form(state, user, path, csrf).await?;
    channels::set_archived(state, &user.0.actor, id, archived).await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}")))
}

#[get("/w/{ws}/c/{id}/pins")]
pub async fn pins(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, i64)>) -> PageResult {
    let (ws, id) = path.into_inner();
    let (workspace, channel) = channel_in(&state, &user, &ws, id).await?;
    let pinned = messages::pins(&state, &user.0.actor, id, SHOWN).await?.items;
    let title = title_of(&channel, user.0.actor.id());
    let page = PinsPage {
        layout: conversation_layout(&state, &user, &format!("Pinned in {title}"), &workspace.slug, Some(id)).await?,
        ws: workspace.slug.clone(),
        channel_id: id,
        rows: rows(&pinned, &workspace.slug).into_iter().map(RowView::from).collect(),
        title,
    };
    html(&page)
}

/// A channel's files, newest first, a page at a time.
#[get("/w/{ws}/c/{id}/files")]
pub async fn files_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    query: web::Query<PageQuery>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let (workspace, _) = channel_in(&state, &user, &ws, id).await?;
    let (channel, rights) = channels::with_access(&state, actor, id).await?;
    let paging = query.paging()?;
    let page = files::in_channel(&state, actor, id, paging).await?;
    let title = title_of(&channel, actor.id());
    let shared = page
        .items
        .iter()
        .map(|s| SharedFileView {
            file: FileView::new(&s.file),
            message_link: s.file.message_id.map_or_else(String::new, |m| format!("/w/{ws}/c/{id}/m/{m}")),
            shared_by: s.by.display_name.clone(),
            when: s.file.created_at.0.format("%Y-%m-%d %H:%M UTC").to_string(),
            deletable: !channel.archived && (rights.moderate || s.file.user_id == actor.id()),
        })
        .collect();
    let page = ChannelFilesPage {
        layout: conversation_layout(&state, &user, &format!("Files in {title}"), &workspace.slug, Some(id)).await?,
        ws: workspace.slug.clone(),
        channel_id: id,
        files: shared,
        next_cursor: page.next_cursor,
        title,
    };
    html(&page)
}

/// Deletes a file from the channel's file list.
#[post("/w/{ws}/c/{id}/files/{file}/delete")]
pub async fn delete_file(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let (ws, id, file) = path.into_inner();
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    channel_in(&state, &user, &ws, id).await?;
    files::delete(&state, &user.0.actor, file).await?;
    Ok(redirect(&format!("/w/{ws}/c/{id}/files")))
}
