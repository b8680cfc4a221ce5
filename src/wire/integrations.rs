//! What integrations look like on the wire: the marker of a message an integration
//! posted, the webhooks and bots their managers see, and what happened at them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Time, User};
use crate::db::bots::BotRow;
use crate::db::integrations::{IncomingWebhookRow, LogRow};
use crate::db::users::UserRow;

/// Whom a message an integration posted shows as: never one of the workspace's people,
/// always marked as an app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct Bot {
    /// The name shown: the payload's `username`, else the integration's name.
    pub name: String,
    pub icon_url: Option<String>,
    /// An emoji shortcode shown as its picture (`ghost`).
    pub icon_emoji: Option<String>,
    /// The incoming webhook that posted it.
    pub webhook_id: Option<i64>,
    /// The bot that posted it, with its own token.
    #[serde(default)]
    pub bot_id: Option<i64>,
    /// Mattermost's `props`, as the sender gave them.
    #[schema(value_type = Option<Object>)]
    pub props: Option<serde_json::Value>,
    /// Mattermost's post `type` (`custom_…`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Mattermost's priority: `important` or `urgent`.
    pub priority: Option<String>,
}

impl Bot {
    /// An integration's marker with only a name: the rest as the sender leaves it.
    pub fn named(name: &str) -> Bot {
        Bot {
            name: name.to_owned(),
            icon_url: None,
            icon_emoji: None,
            webhook_id: None,
            bot_id: None,
            props: None,
            kind: None,
            priority: None,
        }
    }
}

/// One thing that happened at an integration: a refused request, or a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IntegrationEvent {
    #[schema(value_type = String, format = DateTime)]
    pub at: Time,
    pub ok: bool,
    /// The HTTP status answered (or, for a delivery, received).
    pub status: Option<i32>,
    pub detail: String,
    pub latency_ms: Option<i64>,
}

/// An incoming webhook, as its managers see it. Its URLs hold its secret, so they are
/// given only when it is made or its secret renewed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncomingWebhook {
    pub id: i64,
    pub workspace_id: i64,
    /// Where its messages go unless a payload names another channel.
    pub channel_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    /// Payloads may not send its messages elsewhere.
    pub channel_locked: bool,
    pub disabled: bool,
    /// Who made it: its messages are posted with their rights.
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Time>,
    /// The latest refused requests, newest first.
    pub recent_failures: Vec<IntegrationEvent>,
    /// `https://…/hooks/<secret>`, for Mattermost-style senders (only when just made).
    pub url: Option<String>,
    /// `https://…/services/T…/B…/<secret>`, for Slack-style senders (only when just made).
    pub slack_url: Option<String>,
}

impl IncomingWebhook {
    pub fn new(row: &IncomingWebhookRow, log: &[LogRow], urls: Option<(String, String)>) -> IncomingWebhook {
        let (url, slack_url) = match urls {
            Some((a, b)) => (Some(a), Some(b)),
            None => (None, None),
        };
        IncomingWebhook {
            id: row.id,
            workspace_id: row.workspace_id,
            channel_id: row.channel_id,
            name: row.name.clone(),
            icon_url: row.icon_url.clone(),
            channel_locked: row.channel_locked,
            disabled: row.disabled,
            created_by: row.created_by,
            created_at: Time(row.created_at),
            last_used_at: row.last_used_at.map(Time),
            recent_failures: log.iter().map(IntegrationEvent::from_log).collect(),
            url,
            slack_url,
        }
    }
}

/// An outgoing webhook, as its managers see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OutgoingWebhook {
    pub id: i64,
    pub workspace_id: i64,
    /// The one public channel it listens to; absent: every public channel, by trigger word.
    pub channel_id: Option<i64>,
    pub name: String,
    pub trigger_words: Vec<String>,
    /// `first_word` (the first word is a trigger word) or `starts_with` (begins with one).
    pub trigger_when: String,
    pub callback_urls: Vec<String>,
    /// `form` (`application/x-www-form-urlencoded`, Slack's) or `json` (Mattermost's).
    pub content_type: String,
    /// Sent as `token` with every delivery, so that receivers can tell hearth sent it.
    pub token: String,
    pub disabled: bool,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    /// The latest deliveries, newest first: status, latency, and what went wrong.
    pub recent_deliveries: Vec<IntegrationEvent>,
}

impl IntegrationEvent {
    pub fn from_log(l: &LogRow) -> IntegrationEvent {
        IntegrationEvent {
            at: Time(l.at),
            ok: l.ok,
            status: l.status,
            detail: l.detail.clone(),
            latency_ms: l.latency_ms,
        }
    }
}

/// A bot user, as its workspace's admins see it. Its token is given only when made or
/// renewed; its signing secret (what signs hearth's requests to it) whenever asked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotUser {
    pub id: i64,
    /// `B…`: its `bot_id` on the Slack-compatible API.
    pub bot_id: String,
    pub workspace_id: i64,
    /// Its user's id (also `user.id`).
    pub user_id: i64,
    pub user: User,
    pub description: String,
    pub icon_url: Option<String>,
    /// Whether it has a working token.
    pub has_token: bool,
    /// Where its event subscriptions are sent, if anywhere.
    pub request_url: Option<String>,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Time>,
    /// `xoxb-…` (only when just made or renewed).
    pub token: Option<String>,
    /// The secret hearth signs its requests to the bot with (Slack's v0 signature).
    pub signing_secret: String,
}

impl BotUser {
    pub fn new(bot: &BotRow, user: &UserRow, token: Option<String>, signing_secret: String) -> BotUser {
        BotUser {
            id: bot.id,
            bot_id: crate::domain::slack::SlackId::bot(bot.id),
            workspace_id: bot.workspace_id,
            user_id: user.id,
            user: User::from(user),
            description: bot.description.clone(),
            icon_url: bot.icon_url.clone(),
            has_token: bot.token_hash.is_some(),
            request_url: bot.request_url.clone(),
            created_by: bot.created_by,
            created_at: Time(bot.created_at),
            last_used_at: bot.last_used_at.map(Time),
            token,
            signing_secret,
        }
    }
}

/// A message only its one reader sees (a command's answer): sent to their live connections
/// and in the answer to their request, never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EphemeralMessage {
    /// Unique among ephemeral messages (`e…`), not a message id.
    pub id: String,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    /// Who answers: `hearth`, or a command's name.
    pub from: String,
    pub text: String,
    /// The text rendered to sanitised HTML.
    pub html: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

/// A custom slash command, as its workspace's admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Command {
    pub id: i64,
    pub workspace_id: i64,
    /// Typed as `/name`.
    pub name: String,
    pub url: String,
    /// `POST` or `GET`.
    pub method: String,
    pub description: String,
    pub usage_hint: String,
    pub autocomplete: bool,
    /// Slack's legacy verification token, sent as `token` (and Mattermost's
    /// `Authorization: Token …`).
    pub token: String,
    /// What hearth signs its requests with (Slack's v0 signature).
    pub signing_secret: String,
    pub created_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

/// A command the composer offers as one types: hearth's own and the workspace's.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CommandHint {
    pub name: String,
    pub usage_hint: String,
    pub description: String,
    /// One of the workspace's own (not hearth's).
    pub custom: bool,
}
