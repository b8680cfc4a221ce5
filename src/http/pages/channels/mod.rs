//! Pages for conversations, in four parts: the conversation itself (history, thread pane,
//! posting), what can be done to one message, a channel's settings (details, members,
//! archiving, pins), and the directory (creating and browsing channels, direct messages).
//! The helpers here are the start every one of them shares.

mod conversation;
mod directory;
mod message;
mod settings;

pub use conversation::{conversation_page, permalink, post_files, post_message, thread_page};
pub use directory::{browse, create_channel, new_channel_page, new_dm_page, open_dm};
pub use message::{message_action, message_actions};
pub use settings::{
    add_member, archive, delete_file, details, files_page, join, leave, notify, pins, remove_member, unarchive,
    update_details,
};

use crate::domain::Code;
use actix_web::web;
use serde::Deserialize;

use super::{PageUser, layout_for};
use crate::app::{AppState, channels, workspaces};
use crate::error::AppError;
use crate::views::pages::Layout;
use crate::wire;

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
        return Err(AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it."));
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
