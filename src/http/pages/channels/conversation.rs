//! The conversation: its history, the thread pane beside it, and posting from the form.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::{channel_form, conversation_layout, new_client_msg_id, title_of};
use crate::app::{AppState, conversations, messages};
use crate::domain::Paging;
use crate::error::AppError;
use crate::http::body::TextForm;
use crate::http::pages::{PageResult, PageUser, SHOWN, html_status, redirect};
use crate::http::uploads;
use crate::views::messages::{rows, rows_marking_unread};
use crate::views::pages::{ChannelPage, RowView, ThreadView};
use crate::wire;

/// What to show of a conversation.
#[derive(Default)]
struct Show {
    query: messages::HistoryQuery,
    /// The open thread, and which page of its replies.
    thread: Option<(i64, Paging)>,
    error: Option<String>,
    draft: String,
    ephemeral: Vec<wire::EphemeralMessage>,
}

async fn conversation(state: &AppState, user: &PageUser, ws: &str, id: i64, show: Show) -> PageResult {
    let actor = &user.0.actor;
    let conversations::Conversation { seq, workspace_slug: slug, channel, rights, history, member_count, thread } =
        conversations::open(state, actor, ws, id, show.query, show.thread).await?;
    let mut oldest_first = history.messages;
    oldest_first.reverse();
    let title = title_of(&channel, actor.id());
    // The line can be drawn only where the page holds what comes before it: the read
    // message, or the start of the channel.
    let read = channel.membership.as_ref().map(|m| (m.last_read_message_id, actor.id())).filter(|(marker, _)| {
        !history.has_more_before || oldest_first.first().is_some_and(|first| first.id <= *marker)
    });
    let rows_shown: Vec<RowView> =
        rows_marking_unread(&oldest_first, &slug, read).into_iter().map(RowView::from).collect();
    // Unread messages begin before this page: a way to where they do.
    let unread_link = match &channel.membership {
        Some(m) if m.unread_count > 0 && m.last_read_message_id > 0 && !rows_shown.iter().any(|r| r.unread) => {
            Some(format!("/w/{slug}/c/{id}/m/{}#unread", m.last_read_message_id))
        }
        _ => None,
    };
    let thread = thread.map(|messages::Thread { root, replies }| {
        let can_reply = rights.post && !root.deleted;
        let root_id = root.id;
        let all: Vec<wire::Message> = std::iter::once(root).chain(replies.items).collect();
        ThreadView {
            root_id,
            rows: rows(&all, &slug).into_iter().map(RowView::from).collect(),
            can_reply,
            client_msg_id: new_client_msg_id(),
            more_cursor: replies.next_cursor,
        }
    });
    let mut layout = conversation_layout(state, user, &title, &slug, Some(id)).await?;
    layout.app_class = "channel-view";
    layout.seq = Some(seq);
    layout.error = show.error;
    // What the page refuses here is what was posted with its composer.
    layout.error_field = if layout.error.is_some() { "text" } else { "" };
    let page = ChannelPage {
        layout,
        channel_id: id,
        name: channel.name.clone().unwrap_or_default(),
        topic_html: crate::domain::messages::render_topic(&channel.topic, &slug),
        topic: channel.topic.clone(),
        is_dm: channel.name.is_none(),
        rights,
        archived: channel.archived,
        member_count,
        rows: rows_shown,
        unread_link,
        has_older: history.has_more_before,
        has_newer: history.has_more_after,
        oldest_id: oldest_first.first().map(|m| m.id).unwrap_or(0),
        newest_id: oldest_first.last().map(|m| m.id).unwrap_or(0),
        at_newest: !history.has_more_after,
        client_msg_id: new_client_msg_id(),
        draft: show.draft,
        max_chars: state.settings.limits.max_message_chars,
        formatting: crate::domain::messages::FORMATTING_HINT,
        thread,
        title,
        ws: slug,
        ephemeral: show.ephemeral,
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

#[derive(Deserialize)]
pub struct ThreadParams {
    cursor: Option<String>,
}

/// The conversation with a thread open beside it (`?cursor=` for later replies).
#[get("/w/{ws}/c/{id}/t/{root}")]
pub async fn thread_page(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64, i64)>,
    q: web::Query<ThreadParams>,
) -> PageResult {
    let (ws, id, root) = path.into_inner();
    let page = Paging::parse(q.cursor.as_deref(), Paging::MAX).map_err(AppError::from)?;
    conversation(&state, &user, &ws, id, Show { thread: Some((root, page)), ..Default::default() }).await
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
    hub: web::Data<crate::realtime::Hub>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    TextForm(f): TextForm<PostForm>,
) -> PageResult {
    let (ws, id) = channel_form(&state, &user, path, &f.csrf_token).await?;
    if let Some(invocation) = crate::domain::commands::Invocation::parse(&f.text) {
        return command(&state, &hub, &user, &ws, id, f.thread_root_id, invocation).await;
    }
    let post = messages::PostForm {
        text: crate::domain::commands::unescaped(f.text.clone()),
        thread_root_id: f.thread_root_id,
        also_send_to_channel: f.also_send_to_channel.unwrap_or(false),
        client_msg_id: f.client_msg_id,
        files: Vec::new(),
        ..Default::default()
    };
    match messages::post(&state, &user.0.actor, id, post).await {
        Ok(posted) => Ok(redirect(&match posted.message.thread_root_id {
            Some(root) => format!("/w/{ws}/c/{id}/t/{root}#m{}", posted.message.id),
            None => format!("/w/{ws}/c/{id}#m{}", posted.message.id),
        })),
        Err(e @ (AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            let show = Show {
                thread: f.thread_root_id.map(|root| (root, SHOWN)),
                error: Some(e.problem().message),
                draft: f.text,
                ..Default::default()
            };
            conversation(&state, &user, &ws, id, show).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A command typed in the page's composer: what it posted is shown where it is; answers for
/// the viewer alone are shown on the page (and sent to their live connections).
async fn command(
    state: &AppState,
    hub: &crate::realtime::Hub,
    user: &PageUser,
    ws: &str,
    id: i64,
    thread_root_id: Option<i64>,
    invocation: crate::domain::commands::Invocation,
) -> PageResult {
    let thread = thread_root_id.map(|root| (root, SHOWN));
    match crate::http::api::commands::run(state, hub, &user.0.actor, id, thread_root_id, invocation).await {
        Ok(ran) if ran.ephemeral.is_empty() => Ok(redirect(&match (ran.message, thread_root_id) {
            (_, Some(root)) => format!("/w/{ws}/c/{id}/t/{root}"),
            (Some(m), None) => format!("/w/{ws}/c/{}#m{}", m.channel_id, m.id),
            (None, None) => format!("/w/{ws}/c/{id}"),
        })),
        // After /leave the conversation may be gone from view: the workspace, then.
        Ok(ran) => {
            match conversation(state, user, ws, id, Show { thread, ephemeral: ran.ephemeral, ..Default::default() })
                .await
            {
                Ok(page) => Ok(page),
                Err(_) => Ok(redirect(&format!("/w/{ws}"))),
            }
        }
        Err(e @ (AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let show = Show { thread, error: Some(e.problem().message), ..Default::default() };
            conversation(state, user, ws, id, show).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Shares files from the conversation's plain file form (works without JavaScript).
#[post("/w/{ws}/c/{id}/files")]
pub async fn post_files(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    req: actix_web::HttpRequest,
    form: actix_multipart::Multipart,
) -> PageResult {
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let prefix = crate::app::files::may_upload(&state, actor, id).await?;
    let shared = async {
        let received =
            uploads::receive(&state, &req, &prefix, form, |f| user.0.check_form_csrf(&state, &f.csrf_token)).await?;
        uploads::share(&state, actor, id, received).await
    };
    match shared.await {
        Ok(posted) => Ok(redirect(&format!("/w/{ws}/c/{id}#m{}", posted.message.id))),
        Err(e @ (AppError::Invalid(_) | AppError::Malformed(_) | AppError::TooLarge(_))) => {
            let show = Show { error: Some(e.problem().message), ..Default::default() };
            conversation(&state, &user, &ws, id, show).await
        }
        Err(e) => Err(e.into()),
    }
}
