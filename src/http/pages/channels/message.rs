//! What can be done to one message, on its own page (the message partial links here, so
//! it stays the same for every viewer), and the form posts that do it.

use crate::domain::Code;
use crate::http::body::TextForm;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::{channel_in, conversation_layout};
use crate::app::{AppState, channels, messages};
use crate::error::AppError;
use crate::http::pages::{PageResult, PageUser, html, redirect};
use crate::views::messages::{MessageView, fragment};
use crate::views::pages::MessageActionsPage;

/// Emoji offered with one click on a message's action page.
const QUICK_REACTIONS: [(&str, &str); 6] =
    [("+1", "👍"), ("tada", "🎉"), ("heart", "❤️"), ("smile", "😄"), ("eyes", "👀"), ("white_check_mark", "✅")];

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
    Ok(redirect(&format!("/w/{ws}/c/{}/m/{message_id}#m{message_id}", m.channel_id)))
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
    TextForm(form): TextForm<MessageForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id, action) = path.into_inner();
    let actor = &user.0.actor;
    let field = |value: &Option<String>, name: &str| {
        value.clone().ok_or_else(|| AppError::malformed(Code::InvalidForm, format!("The form needs a {name}.")))
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
            return Ok(redirect(&format!("/w/{ws}/c/{}/m/{id}#m{id}", channel.id)));
        }
        _ => return Err(AppError::not_found(Code::NotFound, "There is no such action on a message.").into()),
    }
    back_to(&state, &user, &ws, id).await
}
