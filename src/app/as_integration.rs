//! Posting as an integration (an incoming webhook, an outgoing webhook's reply, a bot):
//! a Slack-shaped payload's references looked up, its `mrkdwn` translated, and the message
//! posted through the message use case with the rights of the member behind it.

use super::messages::{self, PostForm};
use super::{Actor, AppState};
use crate::db::Conn;
use crate::db::channels::ChannelRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::domain::Code;
use crate::domain::channels::ChannelKind;
use crate::domain::slack::mrkdwn::{self, Names};
use crate::domain::slack::payload::{Incoming, PayloadError};
use crate::domain::workspaces::may_manage_integration;
use crate::error::AppError;
use crate::wire;

/// References of each kind (people, channels) one payload may have looked up.
const MAX_LOOKUPS: usize = 100;

/// Why a payload was not posted, as Slack answers: a status and a plain-text code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

impl Refusal {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { status, code, message: message.into(), retry_after_secs: None }
    }

    pub fn from_payload(e: &PayloadError) -> Refusal {
        Refusal::new(400, e.code(), e.message())
    }

    /// The Slack answer for a refusal of the message use case.
    pub fn from_app(e: &AppError) -> Refusal {
        let p = e.problem();
        let (status, code) = match p.code {
            Code::ChannelNotFound | Code::NotInChannel => (404, "channel_not_found"),
            Code::ChannelArchived => (410, "channel_is_archived"),
            Code::UserNotFound => (400, "user_not_found"),
            Code::TextTooLong => (400, "msg_too_long"),
            Code::EmptyMessage => (400, "no_text"),
            Code::ThreadNotFound | Code::ThreadRootDeleted => (404, "thread_not_found"),
            Code::ServiceUnavailable => (503, "service_unavailable"),
            _ if e.status() == 403 => (403, "action_prohibited"),
            _ => (500, "rollup_error"),
        };
        Refusal::new(status, code, p.message)
    }
}

/// The member who made an integration, if still active in its workspace and still allowed
/// to have integrations there (a member's stop working when the workspace no longer lets
/// members add them).
pub fn active_creator(conn: &mut Conn, workspace_id: i64, user_id: i64) -> Result<Option<UserRow>, AppError> {
    let creator = UserRow::find(conn, user_id)?;
    if creator.deactivated_at.is_some() {
        return Ok(None);
    }
    let Some(member) = MemberRow::find(conn, workspace_id, creator.id)?.filter(|m| m.deactivated_at.is_none()) else {
        return Ok(None);
    };
    let members_may = WorkspaceRow::find(conn, workspace_id)?.members_add_integrations;
    Ok(may_manage_integration(member.role, members_may, true).is_ok().then_some(creator))
}

/// Whom an integration's message shows as, unless its payload says otherwise.
#[derive(Debug, Clone)]
pub struct Shown {
    pub name: String,
    pub icon_url: Option<String>,
    pub webhook_id: Option<i64>,
    /// The bot posting with its own token.
    pub bot_id: Option<i64>,
}

/// Where an integration's message goes.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub workspace_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    /// A thread reply also shown in the channel (Slack's `reply_broadcast`).
    pub broadcast: bool,
}

/// Posts a payload (an incoming webhook's, or an outgoing webhook's reply) as the
/// integration, through the message use case with `actor`'s rights.
pub async fn post_as_integration(
    state: &AppState,
    actor: &Actor,
    target: Target,
    incoming: Incoming,
    shown: Shown,
) -> Result<wire::Message, Refusal> {
    let form = integration_form(state, target, incoming, Some(shown)).await?;
    let posted = messages::post(state, actor, target.channel_id, form).await.map_err(|e| Refusal::from_app(&e))?;
    Ok(posted.message)
}

/// A Slack-shaped payload made ready to post: its references looked up, its `mrkdwn`
/// translated, and — when `shown` — marked as the integration's (`None` posts as the
/// actor themself, as a person's token does on the Slack-compatible API).
pub async fn integration_form(
    state: &AppState,
    target: Target,
    mut incoming: Incoming,
    shown: Option<Shown>,
) -> Result<PostForm, Refusal> {
    // Too long to post is refused before any work is spent on it.
    let max = state.settings.limits.max_message_chars;
    if incoming.text.len() > max * 4 || incoming.text.chars().count() > max {
        let chars = incoming.text.chars().count();
        return Err(Refusal::new(
            400,
            "msg_too_long",
            format!("A message can be at most {max} characters long; this one has {chars}."),
        ));
    }
    let (mut users, mut channels) = mrkdwn::referenced_ids(&incoming.text);
    let (more_users, more_channels) = incoming.cards.referenced_ids();
    users.extend(more_users);
    channels.extend(more_channels);
    for ids in [&mut users, &mut channels] {
        ids.sort_unstable();
        ids.dedup();
    }
    let names = state
        .db
        .read(move |conn| names(conn, target.workspace_id, target.channel_id, &users, &channels))
        .await
        .map_err(|e| Refusal::from_app(&e))?;
    let text =
        if incoming.mrkdwn { mrkdwn::to_markdown(&incoming.text, &names) } else { mrkdwn::literal(&incoming.text) };
    incoming.cards.translate(&names);
    let bot = shown.map(|shown| wire::Bot {
        name: incoming.username.clone().unwrap_or(shown.name),
        icon_url: incoming.icon_url.clone().or(shown.icon_url),
        icon_emoji: incoming.icon_emoji.clone(),
        webhook_id: shown.webhook_id,
        bot_id: shown.bot_id,
        props: incoming.props.clone().map(serde_json::Value::Object),
        kind: incoming.kind.clone(),
        priority: incoming.priority.as_ref().map(|p| p.priority.clone()),
    });
    Ok(PostForm {
        text,
        thread_root_id: target.thread_root_id,
        also_send_to_channel: target.broadcast && target.thread_root_id.is_some(),
        bot,
        cards: incoming.cards,
        ..PostForm::default()
    })
}

/// The ids a payload's references name, looked up in the hook's workspace: users among its
/// active members, channels among its public ones (and the hook's own). At most
/// `MAX_LOOKUPS` of each are looked up; the rest show as their labels.
fn names(
    conn: &mut Conn,
    workspace_id: i64,
    own_channel: i64,
    users: &[i64],
    channels: &[i64],
) -> Result<Names, AppError> {
    let mut names = Names::default();
    let users = &users[..users.len().min(MAX_LOOKUPS)];
    let channels = &channels[..channels.len().min(MAX_LOOKUPS)];
    if !users.is_empty() {
        for user in UserRow::find_many(conn, users)? {
            if MemberRow::find(conn, workspace_id, user.id)?.is_some_and(|m| m.deactivated_at.is_none()) {
                names.users.insert(user.id, user.username);
            }
        }
    }
    for id in channels {
        if let Some(c) = ChannelRow::find(conn, *id)? {
            if c.workspace_id == workspace_id && (c.kind == ChannelKind::Public || c.id == own_channel) {
                if let Some(name) = c.name {
                    names.channels.insert(c.id, name);
                }
            }
        }
    }
    Ok(names)
}
