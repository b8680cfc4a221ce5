//! Pages for conversations: the channel view with its thread pane, posting, message
//! actions, channel details, pins, creating and browsing channels, and direct messages.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::{PageResult, PageUser, html, html_status, layout_for, redirect};
use crate::app::{AppState, channels, conversations, messages, workspaces};
use crate::error::AppError;
use crate::views::messages::{MessageView, fragment, rows};
use crate::views::pages::{
    ChannelBrowsePage, ChannelDetailsPage, ChannelLink, ChannelNewPage, ChannelPage, DmNewPage, Layout,
    MessageActionsPage, PersonView, PinsPage, RowView, ThreadView,
};
use crate::wire;

/// Emoji offered with one click on a message's action page.
const QUICK_REACTIONS: [(&str, &str); 6] =
    [("+1", "👍"), ("tada", "🎉"), ("heart", "❤️"), ("smile", "😄"), ("eyes", "👀"), ("white_check_mark", "✅")];

#[derive(Deserialize, Default)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

/// How a conversation is called: `#name`, or the other people of a direct message.
pub fn title_of(channel: &wire::Channel, viewer: i64) -> String {
    match (&channel.name, &channel.dm_members) {
        (Some(name), _) => format!("#{name}"),
        (None, Some(people)) => {
            let others: Vec<&str> = people.iter().filter(|u| u.id != viewer).map(|u| u.display_name.as_str()).collect();
            if others.is_empty() { "Just you".into() } else { others.join(", ") }
        }
        (None, None) => "Conversation".into(),
    }
}

/// Loads a channel of workspace `ws`; a channel of another workspace is not found here.
async fn channel_in(
    state: &AppState,
    user: &PageUser,
    ws: &str,
    id: i64,
) -> Result<(wire::Workspace, wire::Channel), AppError> {
    let workspace = workspaces::get(state, &user.0.actor, ws).await?;
    let channel = channels::get(state, &user.0.actor, id).await?;
    if channel.workspace_id != workspace.id {
        return Err(AppError::not_found("channel_not_found", "No such channel, or you cannot see it."));
    }
    Ok((workspace, channel))
}

/// The start of every form post about a message: the CSRF token, then the path.
fn form_post(
    state: &AppState,
    user: &PageUser,
    path: web::Path<(String, i64)>,
    csrf: &str,
) -> Result<(String, i64), AppError> {
    user.0.check_form_csrf(state, csrf)?;
    Ok(path.into_inner())
}

/// The start of every form post about a channel: the CSRF token, then the channel, which
/// must be one of this workspace's.
async fn channel_form(
    state: &AppState,
    user: &PageUser,
    path: web::Path<(String, i64)>,
    csrf: &str,
) -> Result<(String, i64), AppError> {
    let (ws, id) = form_post(state, user, path, csrf)?;
    channel_in(state, user, &ws, id).await?;
    Ok((ws, id))
}

/// The frame of a page inside a conversation, with the conversation marked in the sidebar.
async fn conversation_layout(
    state: &AppState,
    user: &PageUser,
    title: &str,
    ws: &str,
    channel: Option<i64>,
) -> Result<Layout, AppError> {
    let mut layout = layout_for(state, &user.0, title, Some(ws)).await?;
    if let (Some(nav), Some(id)) = (layout.nav.as_mut(), channel) {
        for c in nav.channels.iter_mut().chain(nav.dms.iter_mut()) {
            c.active = c.id == id;
        }
    }
    Ok(layout)
}

fn new_client_msg_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// What to show of a conversation.
#[derive(Default)]
struct Show {
    query: messages::HistoryQuery,
    thread: Option<i64>,
    error: Option<String>,
    draft: String,
}

async fn conversation(state: &AppState, user: &PageUser, ws: &str, id: i64, show: Show) -> PageResult {
    let actor = &user.0.actor;
    let conversations::Conversation { seq, workspace_slug: slug, channel, rights, history, member_count, thread } =
        conversations::open(state, actor, ws, id, show.query, show.thread).await?;
    let mut oldest_first = history.messages;
    oldest_first.reverse();
    let title = title_of(&channel, actor.id());
    let thread = thread.map(|(root, replies)| {
        let can_reply = rights.post && !root.deleted;
        let root_id = root.id;
        let all: Vec<wire::Message> = std::iter::once(root).chain(replies).collect();
        ThreadView {
            root_id,
            rows: rows(&all, &slug).into_iter().map(RowView::from).collect(),
            can_reply,
            client_msg_id: new_client_msg_id(),
        }
    });
    let mut layout = conversation_layout(state, user, &title, &slug, Some(id)).await?;
    layout.app_class = "channel-view";
    layout.seq = Some(seq);
    layout.error = show.error;
    let page = ChannelPage {
        layout,
        channel_id: id,
        name: channel.name.clone().unwrap_or_default(),
        topic: channel.topic.clone(),
        is_dm: channel.name.is_none(),
        rights,
        is_member: channel.membership.is_some(),
        archived: channel.archived,
        member_count,
        rows: rows(&oldest_first, &slug).into_iter().map(RowView::from).collect(),
        has_older: history.has_more_before,
        has_newer: history.has_more_after,
        oldest_id: oldest_first.first().map(|m| m.id).unwrap_or(0),
        newest_id: oldest_first.last().map(|m| m.id).unwrap_or(0),
        at_newest: !history.has_more_after,
        client_msg_id: new_client_msg_id(),
        draft: show.draft,
        max_chars: state.settings.max_message_chars,
        thread,
        title,
        ws: slug,
    };
    let status = if page.layout.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    html_status(status, &page)
}

#[derive(Deserialize)]
pub struct HistoryParams {
    before: Option<i64>,
}

/// A channel or direct message.
#[get("/w/{ws}/c/{id}")]
pub async fn conversation_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    q: web::Query<HistoryParams>,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let query = messages::HistoryQuery { before: q.before, ..Default::default() };
    conversation(&state, &user, &ws, id, Show { query, ..Default::default() }).await
}

/// A permalink: the conversation around one message.
#[get("/w/{ws}/c/{id}/m/{message}")]
pub async fn permalink(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, i64, i64)>) -> PageResult {
    let (ws, id, message) = path.into_inner();
    let m = messages::get(&state, &user.0.actor, message).await?;
    if m.thread_root_id.is_some() && !m.also_send_to_channel {
        return Ok(redirect(&format!("/w/{ws}/c/{id}/t/{}#m{message}", m.thread_root_id.unwrap_or(message))));
    }
    let query = messages::HistoryQuery { around: Some(message), ..Default::default() };
    conversation(&state, &user, &ws, id, Show { query, ..Default::default() }).await
}

/// The conversation with a thread open beside it.
#[get("/w/{ws}/c/{id}/t/{root}")]
pub async fn thread_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64, i64)>,
) -> PageResult {
    let (ws, id, root) = path.into_inner();
    conversation(&state, &user, &ws, id, Show { thread: Some(root), ..Default::default() }).await
}

#[derive(Deserialize)]
pub struct PostForm {
    #[serde(default)]
    csrf_token: String,
    text: String,
    client_msg_id: Option<String>,
    thread_root_id: Option<i64>,
    also_send_to_channel: Option<bool>,
}

#[post("/w/{ws}/c/{id}/messages")]
pub async fn post_message(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<PostForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    let f = form.into_inner();
    let post = messages::PostForm {
        text: f.text.clone(),
        thread_root_id: f.thread_root_id,
        also_send_to_channel: f.also_send_to_channel.unwrap_or(false),
        client_msg_id: f.client_msg_id,
    };
    match messages::post(&state, &user.0.actor, id, post).await {
        Ok(posted) => Ok(redirect(&match posted.message.thread_root_id {
            Some(root) => format!("/w/{ws}/c/{id}/t/{root}#m{}", posted.message.id),
            None => format!("/w/{ws}/c/{id}#m{}", posted.message.id),
        })),
        Err(e @ (AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            let show = Show {
                thread: f.thread_root_id,
                error: Some(e.problem().message),
                draft: f.text,
                ..Default::default()
            };
            conversation(&state, &user, &ws, id, show).await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/w/{ws}/c/{id}/join")]
pub async fn join(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &form.csrf_token).await?;
    channels::join(&state, &user.0.actor, id).await?;
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
    channels::leave(&state, &user.0.actor, id).await?;
    Ok(redirect(&format!("/w/{ws}")))
}

/// What someone may do with a message, on its own page (the partial links here, so it stays
/// the same for every viewer).
#[get("/w/{ws}/m/{id}")]
pub async fn message_actions(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, i64)>) -> PageResult {
    let (ws, id) = path.into_inner();
    let (message, rights) = messages::with_rights(&state, &user.0.actor, id).await?;
    let (workspace, _) = channel_in(&state, &user, &ws, message.channel_id).await?;
    let me = user.0.actor.id();
    let view = MessageView::new(&message, &workspace.slug);
    let page = MessageActionsPage {
        layout: conversation_layout(&state, &user, "Message", &workspace.slug, Some(message.channel_id)).await?,
        ws: workspace.slug.clone(),
        message_id: id,
        channel_id: message.channel_id,
        preview: fragment(&view, false),
        text: message.text.clone(),
        rights,
        pinned: message.pinned,
        quick_reactions: QUICK_REACTIONS.to_vec(),
        my_reactions: message
            .reactions
            .iter()
            .filter(|r| r.user_ids.contains(&me))
            .map(|r| (r.emoji.clone(), r.glyph.clone()))
            .collect(),
        thread_link: view.thread_link,
    };
    html(&page)
}

/// Back to the message in its conversation.
async fn back_to(state: &AppState, user: &PageUser, ws: &str, message_id: i64) -> PageResult {
    let m = messages::get(state, &user.0.actor, message_id).await?;
    Ok(redirect(&format!("/w/{ws}/c/{}/m/{message_id}", m.channel_id)))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    csrf_token: String,
    text: Option<String>,
    emoji: Option<String>,
}

/// Every form post about one message, named by its last path segment: edit, delete,
/// react, unreact, pin, unpin, unread.
#[post("/w/{ws}/m/{id}/{action}")]
pub async fn message_action(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64, String)>,
    form: web::Form<MessageForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id, action) = path.into_inner();
    let actor = &user.0.actor;
    let field = |value: &Option<String>, name: &str| {
        value.clone().ok_or_else(|| AppError::malformed("invalid_form", format!("The form needs a {name}.")))
    };
    match action.as_str() {
        "edit" => drop(messages::edit(&state, actor, id, &field(&form.text, "text")?).await?),
        "delete" => drop(messages::delete(&state, actor, id).await?),
        "react" | "unreact" => {
            drop(messages::react(&state, actor, id, &field(&form.emoji, "emoji")?, action == "react").await?)
        }
        "pin" | "unpin" => drop(messages::pin(&state, actor, id, action == "pin").await?),
        "unread" => {
            let channel = channels::mark_unread(&state, actor, id).await?;
            return Ok(redirect(&format!("/w/{ws}/c/{}/m/{id}", channel.id)));
        }
        _ => return Err(AppError::not_found("not_found", "There is no such action on a message.").into()),
    }
    back_to(&state, &user, &ws, id).await
}

/// A channel's details: about, notifications, members, leave and archive.
#[get("/w/{ws}/c/{id}/details")]
pub async fn details(state: web::Data<AppState>, user: PageUser, path: web::Path<(String, i64)>) -> PageResult {
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let (workspace, _) = channel_in(&state, &user, &ws, id).await?;
    let (channel, rights) = channels::with_access(&state, actor, id).await?;
    let people = channels::members(&state, actor, id).await?;
    let in_channel: std::collections::HashSet<i64> = people.iter().map(|u| u.id).collect();
    let addable = workspaces::members(&state, actor, &workspace.slug)
        .await?
        .into_iter()
        .filter(|m| !m.deactivated && !in_channel.contains(&m.user.id))
        .map(|m| PersonView { id: m.user.id, username: m.user.username, display_name: m.user.display_name })
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
        is_member: membership.is_some(),
        rights,
        archived: channel.archived,
        notify_level: membership.as_ref().map(|m| m.notify_level.clone()).unwrap_or_default(),
        muted: membership.is_some_and(|m| m.muted),
        members: people
            .into_iter()
            .map(|u| PersonView { id: u.id, username: u.username, display_name: u.display_name })
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
    channels::add_member(&state, &user.0.actor, id, form.user_id).await?;
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
    channels::remove_member(&state, &user.0.actor, id, target).await?;
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
    let pinned = messages::pins(&state, &user.0.actor, id).await?;
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
            layout.error = Some(e.problem().message);
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
    let found = channels::list(&state, &user.0.actor, &workspace.slug, true).await?;
    let page = ChannelBrowsePage {
        layout: conversation_layout(&state, &user, "Browse channels", &workspace.slug, None).await?,
        ws: workspace.slug.clone(),
        channels: found
            .into_iter()
            .map(|c| ChannelLink {
                id: c.id,
                name: c.name.unwrap_or_default(),
                purpose: c.purpose,
                archived: c.archived,
            })
            .collect(),
    };
    html(&page)
}

#[get("/w/{ws}/dms/new")]
pub async fn new_dm_page(state: web::Data<AppState>, user: PageUser, ws: web::Path<String>) -> PageResult {
    let workspace = workspaces::get(&state, &user.0.actor, &ws).await?;
    let me = user.0.actor.id();
    let people = workspaces::members(&state, &user.0.actor, &workspace.slug)
        .await?
        .into_iter()
        .filter(|m| !m.deactivated && m.user.id != me)
        .map(|m| PersonView { id: m.user.id, username: m.user.username, display_name: m.user.display_name })
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
