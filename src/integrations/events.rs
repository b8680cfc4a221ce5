//! Slack's Events API for bots with a request URL: a cluster-wide follower of the event log
//! turns what happens in the channels a bot is in (messages, mentions of it, reactions,
//! people joining) into one durable job per bot and event, in the transaction that moves
//! its cursor; the job worker sends each as Slack's signed `event_callback` envelope, at
//! least once, with Slack's retries and the same `event_id` on every attempt.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::app::AppState;
use crate::app::bots::send_signed;
use crate::app::slack_api::slack_channel_id;
use crate::db::Tx;
use crate::db::bots::BotRow;
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::events::EventRow;
use crate::db::messages::MessageRow;
use crate::domain::channels::ChannelKind;
use crate::domain::events::EventKind;
use crate::domain::slack::mrkdwn::slack_mentions;
use crate::domain::slack::{SlackId, message_ts};
use crate::error::AppError;
use crate::events::EventData;
use crate::jobs::{self, BotEvent, Failure, Job};
use crate::outbound;
use crate::wire;

/// The follower's name in `follower_cursors`.
pub const FOLLOWER: &str = "bot_events";

/// A channel's Slack id and `channel_type`.
fn channel_of(kind: ChannelKind, id: i64) -> (String, &'static str) {
    let channel_type = match kind {
        ChannelKind::Public => "channel",
        ChannelKind::Private => "group",
        ChannelKind::Direct => "im",
        ChannelKind::Group => "mpim",
    };
    (slack_channel_id(kind, id), channel_type)
}

/// The bots of a workspace that subscribe to events, as `(bot, its user id)`.
fn subscribers(tx: &mut Tx<'_>, workspace_id: i64) -> Result<Vec<BotRow>, AppError> {
    Ok(BotRow::of_workspace(tx, workspace_id)?
        .into_iter()
        .filter(|(b, u)| b.request_url.is_some() && b.token_hash.is_some() && u.deactivated_at.is_none())
        .map(|(b, _)| b)
        .collect())
}

/// What one event of the log is for the bots of its channel: Slack event payloads, each
/// with a suffix that keeps its `event_id` apart from the others of the same log event.
fn slack_events(
    tx: &mut Tx<'_>,
    row: &EventRow,
    channel: &ChannelRow,
    bot_user: i64,
) -> Result<Vec<(&'static str, Value)>, AppError> {
    let kind = EventKind::parse(&row.kind);
    let (channel_id, channel_type) = channel_of(channel.kind, channel.id);
    let Some(kind) = kind else { return Ok(Vec::new()) };
    let Ok(data) = EventData::from_stored(kind, &row.payload) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    match data {
        EventData::MessageCreated { message, .. } if message.user.id != bot_user => {
            let mut event = message_event(tx, &message, &channel_id)?;
            event["type"] = json!("message");
            event["channel_type"] = json!(channel_type);
            if message.mentioned_user_ids.contains(&bot_user) {
                let mut mention = event.clone();
                mention["type"] = json!("app_mention");
                if let Some(o) = mention.as_object_mut() {
                    o.remove("channel_type");
                    o.remove("subtype");
                }
                out.push(("M", mention));
            }
            out.push(("E", event));
        }
        EventData::ReactionAdded { message, emoji, user_id } if user_id != bot_user => {
            let ts = message_ts(message.created_at.0);
            out.push((
                "R",
                json!({
                    "type": "reaction_added",
                    "user": SlackId::user(user_id),
                    "reaction": emoji,
                    "item_user": SlackId::user(message.user.id),
                    "item": {"type": "message", "channel": channel_id, "ts": ts},
                    "event_ts": message_ts(row.created_at),
                }),
            ));
        }
        EventData::ChannelMemberAdded { user, .. } => {
            out.push((
                "J",
                json!({
                    "type": "member_joined_channel",
                    "user": SlackId::user(user.id),
                    "channel": channel_id,
                    "channel_type": if channel.kind == ChannelKind::Public { "C" } else { "G" },
                    "team": SlackId::workspace(channel.workspace_id),
                    "event_ts": message_ts(row.created_at),
                }),
            ));
        }
        _ => {}
    }
    Ok(out)
}

/// A message as Slack's `message` event carries it, its mentions in Slack's form.
fn message_event(tx: &mut Tx<'_>, message: &wire::Message, channel_id: &str) -> Result<Value, AppError> {
    let ts = message_ts(message.created_at.0);
    let people: Vec<(String, i64)> = crate::db::users::UserRow::find_many(tx, &message.mentioned_user_ids)?
        .into_iter()
        .map(|u| (u.username, u.id))
        .collect();
    let mut event = json!({
        "user": SlackId::user(message.user.id),
        "text": slack_mentions(&message.text, &people),
        "ts": ts,
        "event_ts": ts,
        "channel": channel_id,
        "team": "",
    });
    if let Some(root) = message.thread_root_id {
        if let Some(r) = MessageRow::find(tx, root)? {
            event["thread_ts"] = json!(message_ts(r.created_at));
        }
    }
    if let Some(bot) = &message.bot {
        event["subtype"] = json!("bot_message");
        event["username"] = json!(bot.name);
        match (bot.bot_id, bot.webhook_id) {
            (Some(id), _) => event["bot_id"] = json!(SlackId::bot(id)),
            (None, Some(id)) => event["bot_id"] = json!(SlackId::integration(id)),
            (None, None) => {}
        }
    }
    Ok(event)
}

/// One step's work: a job for every subscribing bot in the channel of each event.
pub fn enqueue(tx: &mut Tx<'_>, rows: &[EventRow]) -> Result<(), AppError> {
    let mut bots: HashMap<i64, Vec<BotRow>> = HashMap::new();
    for row in rows {
        let (Some(workspace_id), Some(channel_id)) = (row.workspace_id, row.channel_id) else { continue };
        if !matches!(
            EventKind::parse(&row.kind),
            Some(EventKind::MessageCreated | EventKind::ReactionAdded | EventKind::ChannelMemberAdded)
        ) {
            continue;
        }
        let of_workspace = match bots.entry(workspace_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(subscribers(tx, workspace_id)?),
        };
        if of_workspace.is_empty() {
            continue;
        }
        let Some(channel) = ChannelRow::find(tx, channel_id)? else { continue };
        for bot in of_workspace.iter() {
            if ChannelMemberRow::find(tx, channel.id, bot.user_id)?.is_none() {
                continue;
            }
            for (suffix, event) in slack_events(tx, row, &channel, bot.user_id)? {
                let delivery = BotEvent {
                    bot_id: bot.id,
                    channel_id: channel.id,
                    event_id: format!("Ev{}{suffix}{}", row.seq, bot.id),
                    event_time: row.created_at.and_utc().timestamp(),
                    team_id: SlackId::workspace(workspace_id),
                    event,
                };
                jobs::enqueue(tx, &Job::BotEvent(Box::new(delivery)))?;
            }
        }
    }
    Ok(())
}

/// Slack's envelope around an event, as sent (the verification token is derived now).
fn envelope(state: &AppState, bot: &BotRow, e: &BotEvent) -> Value {
    json!({
        "token": state.keys.bot_verification_token(bot.id),
        "team_id": e.team_id,
        "api_app_id": format!("A{}", bot.id),
        "event": e.event,
        "type": "event_callback",
        "event_id": e.event_id,
        "event_time": e.event_time,
        "authorizations": [{
            "enterprise_id": null,
            "team_id": e.team_id,
            "user_id": SlackId::user(bot.user_id),
            "is_bot": true,
            "is_enterprise_install": false,
        }],
        "is_ext_shared_channel": false,
        "event_context": format!("EC{}", e.event_id.trim_start_matches("Ev")),
    })
}

/// One attempt at delivering an event to its bot.
pub async fn attempt(state: &AppState, attempt: i32, last_error: Option<&str>, e: &BotEvent) -> Result<(), Failure> {
    let id = e.bot_id;
    let found = state
        .db
        .read(move |conn| {
            let Some(bot) = BotRow::find(conn, id)? else { return Ok(None) };
            let user = crate::db::users::UserRow::find(conn, bot.user_id)?;
            Ok((user.deactivated_at.is_none() && bot.token_hash.is_some()).then_some(bot))
        })
        .await;
    let bot = match found {
        Ok(Some(bot)) => bot,
        // Removed, or its token revoked: nothing to send.
        Ok(None) => return Ok(()),
        Err(e) => return Err(Failure::Transient(format!("unknown_error: {e}"))),
    };
    // Unsubscribed since, or no longer in the channel: nothing to send.
    let Some(url) = bot.request_url.clone() else { return Ok(()) };
    let (channel_id, bot_user) = (e.channel_id, bot.user_id);
    let still_in = state.db.read(move |conn| Ok(ChannelMemberRow::find(conn, channel_id, bot_user)?.is_some())).await;
    match still_in {
        Ok(true) => {}
        Ok(false) => return Ok(()),
        Err(e) => return Err(Failure::Transient(format!("unknown_error: {e}"))),
    }
    let mut extra = Vec::new();
    if attempt > 1 {
        extra.push(("x-slack-retry-num".to_owned(), (attempt - 1).to_string()));
        let reason = last_error.and_then(|e| e.split(':').next()).unwrap_or("unknown_error");
        extra.push(("x-slack-retry-reason".to_owned(), reason.to_owned()));
    }
    let result = send_signed(state, &bot, &url, &envelope(state, &bot, e), extra).await;
    match &result {
        Ok(res) if (200..300).contains(&res.status) => Ok(()),
        Ok(res) if res.header("x-slack-no-retry") == Some("1") => {
            Err(Failure::Permanent(format!("http_error: {}; the bot asked for no retry", res.status)))
        }
        Ok(res) => Err(Failure::Transient(format!("http_error: {}", res.status))),
        Err(f @ outbound::Failure::Timeout) => Err(Failure::Transient(format!("http_timeout: {f}"))),
        Err(f @ outbound::Failure::Connect(_)) => Err(Failure::Transient(format!("connection_failed: {f}"))),
        Err(f) => Err(Failure::Permanent(format!("{}: {f}", f.retry_reason()))),
    }
}
