//! `chat.*`: posting (as the bot, with Slack's `mrkdwn`, attachments and blocks), editing,
//! deleting, and permalinks.

use serde_json::{Map, Value, json};

use super::objects::{self, channel_id as slack_channel};
use super::{Answer, Caller, app, channel_arg, message_arg, object};
use crate::app::as_integration::{Shown, Target, integration_form};
use crate::app::{AppState, access, channels, messages};
use crate::db::channels::ChannelRow;
use crate::db::messages::MessageRow;
use crate::domain::slack::api::{ApiError, Args, check_block_texts};
use crate::domain::slack::payload::Incoming;
use crate::domain::slack::{SlackId, message_ts, parse_id};
use crate::wire;

/// What `chat.postMessage` reads from its arguments, as an integration's payload.
const PAYLOAD_FIELDS: &[&str] = &["text", "attachments", "blocks", "username", "icon_url", "icon_emoji", "mrkdwn"];

/// The channel a post goes to: a channel, or a direct message with a `U…` user.
async fn destination(state: &AppState, caller: &Caller, args: &Args) -> Result<i64, ApiError> {
    if let Some(user) =
        args.text("channel").as_deref().and_then(|c| parse_id(c, crate::domain::slack::SlackId::USER_PREFIXES))
    {
        let (dm, _) = channels::open_dm(state, &caller.actor, &caller.workspace.slug, &[user]).await.map_err(app)?;
        return Ok(dm.id);
    }
    let (c, a) = (caller.clone(), args.clone());
    state.db.read(move |conn| channel_arg(conn, &c, &a, "channel")).await.map_err(app)?
}

/// Refuses a bot outside a channel it can see the name of (Slack's `not_in_channel`);
/// everything else is for the use cases' own checks.
pub(super) async fn bot_in_channel(state: &AppState, caller: &Caller, channel_id: i64) -> Result<(), ApiError> {
    if caller.bot.is_none() {
        return Ok(());
    }
    let user_id = caller.actor.id();
    let member = state
        .db
        .read(move |conn| {
            let channel = ChannelRow::find(conn, channel_id)?;
            let member = crate::db::channels::ChannelMemberRow::find(conn, channel_id, user_id)?;
            Ok((channel, member.is_some()))
        })
        .await
        .map_err(app)?;
    match member {
        (_, true) => Ok(()),
        (Some(c), false) if c.kind == crate::domain::channels::ChannelKind::Public => {
            Err(ApiError::new("not_in_channel", "The bot is not in that channel; add it, or call conversations.join."))
        }
        _ => Err(ApiError::new("channel_not_found", "No such channel, or you cannot see it.")),
    }
}

/// A post's payload from its arguments, as an integration's is read, blocks held to
/// Slack's limits.
fn read_payload(args: &Args) -> Result<Incoming, ApiError> {
    if let Some(blocks) = args.structured("blocks", "invalid_blocks")? {
        check_block_texts(&blocks)?;
    }
    let mut payload = Map::new();
    for field in PAYLOAD_FIELDS {
        if let Some(v) = args.raw(field) {
            payload.insert((*field).to_owned(), v.clone());
        }
    }
    Incoming::read(&Value::Object(payload)).map_err(|e| ApiError::new(e.code(), e.message()))
}

/// The thread a `thread_ts` names in a channel, if one is given.
pub(super) async fn thread_root(state: &AppState, channel_id: i64, args: &Args) -> Result<Option<i64>, ApiError> {
    if args.text("thread_ts").is_none() {
        return Ok(None);
    }
    let a = args.clone();
    let root = state.db.read(move |conn| message_arg(conn, channel_id, &a, "thread_ts")).await.map_err(app)?;
    Ok(Some(root.map_err(|_| ApiError::new("thread_not_found", "There is no such message to reply to."))?))
}

pub async fn post_message(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let channel_id = destination(state, caller, args).await?;
    bot_in_channel(state, caller, channel_id).await?;
    let incoming = read_payload(args)?;
    let thread_root_id = thread_root(state, channel_id, args).await?;
    let shown = caller.bot.as_ref().map(|bot| Shown {
        name: caller.actor.user.display_name.clone(),
        icon_url: bot.icon_url.clone(),
        webhook_id: None,
        bot_id: Some(bot.id),
    });
    let target = Target {
        workspace_id: caller.workspace.id,
        channel_id,
        thread_root_id,
        broadcast: args.flag("reply_broadcast", false)?,
    };
    let form = integration_form(state, target, incoming, shown).await.map_err(|r| ApiError::new(r.code, r.message))?;
    let posted = messages::post(state, &caller.actor, channel_id, form).await.map_err(app)?;
    posted_answer(state, posted.message).await
}

/// The answer to a post or an edit: the channel, the `ts`, and the message.
async fn posted_answer(state: &AppState, message: wire::Message) -> Answer {
    let (channel_id, root) = (message.channel_id, message.thread_root_id);
    let (kind, root_ts) = state
        .db
        .read(move |conn| {
            let kind = ChannelRow::find(conn, channel_id)?.map(|c| c.kind);
            let root_ts = match root {
                Some(id) => MessageRow::find(conn, id)?.map(|r| message_ts(r.created_at)),
                None => None,
            };
            Ok((kind, root_ts))
        })
        .await
        .map_err(app)?;
    let channel = slack_channel(kind.unwrap_or(crate::domain::channels::ChannelKind::Public), channel_id);
    Ok(object(json!({
        "channel": channel,
        "ts": message_ts(message.created_at.0),
        "message": objects::message(&message, root_ts.as_deref()),
    })))
}

/// The message `channel` and `ts` name, for the caller.
async fn named_message(state: &AppState, caller: &Caller, args: &Args, ts: &str) -> Result<i64, ApiError> {
    let (c, a, name) = (caller.clone(), args.clone(), ts.to_owned());
    let user_id = caller.actor.id();
    state
        .db
        .read(move |conn| {
            let channel_id = match channel_arg(conn, &c, &a, "channel")? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            if access::channel(conn, user_id, channel_id).is_err() {
                return Ok(Err(ApiError::new("channel_not_found", "No such channel, or you cannot see it.")));
            }
            message_arg(conn, channel_id, &a, &name)
        })
        .await
        .map_err(app)?
}

pub async fn update(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let id = named_message(state, caller, args, "ts").await?;
    let text = args.required("text", "no_text")?;
    let edited = messages::edit(state, &caller.actor, id, &text).await.map_err(app)?;
    let mut answer = posted_answer(state, edited.clone()).await?;
    answer.insert("text".to_owned(), json!(edited.text));
    Ok(answer)
}

pub async fn delete(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let id = named_message(state, caller, args, "ts").await?;
    let deleted = messages::delete(state, &caller.actor, id).await.map_err(app)?;
    let mut answer = posted_answer(state, deleted).await?;
    answer.remove("message");
    Ok(answer)
}

pub async fn permalink(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let id = named_message(state, caller, args, "message_ts").await?;
    let m = messages::get(state, &caller.actor, id).await.map_err(app)?;
    let url = format!("{}/w/{}/c/{}/m/{}", state.public_url, caller.workspace.slug, m.channel_id, m.id);
    Ok(object(json!({"channel": SlackId::channel(m.channel_id), "permalink": url})))
}

/// `chat.postEphemeral`: a message in a channel for one of its members alone, never stored.
pub async fn post_ephemeral(
    state: &AppState,
    caller: &Caller,
    args: &Args,
) -> Result<(Map<String, Value>, super::Ephemeral), ApiError> {
    // A channel only (a user's id would open a direct message as a side effect).
    let (c, a) = (caller.clone(), args.clone());
    let channel_id = state.db.read(move |conn| channel_arg(conn, &c, &a, "channel")).await.map_err(app)??;
    bot_in_channel(state, caller, channel_id).await?;
    let user_id = caller.actor.id();
    let may_post = state
        .db
        .read(move |conn| Ok(access::channel(conn, user_id, channel_id).map(|ctx| ctx.access.may_post().is_ok())))
        .await
        .map_err(app)?;
    match may_post {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::new("restricted_action", "You cannot post in that channel.")),
        Err(_) => return Err(ApiError::new("channel_not_found", "No such channel, or you cannot see it.")),
    }
    let raw = args.required("user", "user_not_found")?;
    let user = parse_id(&raw, SlackId::USER_PREFIXES)
        .ok_or_else(|| ApiError::new("user_not_found", "`user` must be a U… id."))?;
    let in_channel = state
        .db
        .read(move |conn| Ok(crate::db::channels::ChannelMemberRow::find(conn, channel_id, user)?.is_some()))
        .await
        .map_err(app)?;
    if !in_channel {
        return Err(ApiError::new("user_not_in_channel", "That person is not in the channel."));
    }
    let incoming = read_payload(args)?;
    let max = state.settings.limits.max_message_chars;
    if incoming.text.chars().count() > max {
        return Err(ApiError::new("msg_too_long", format!("A message can be at most {max} characters long.")));
    }
    let text = incoming.as_markdown();
    let thread_root_id = thread_root(state, channel_id, args).await?;
    // Shown under the bot's name (with the name it asks for), or the person's own: never
    // as hearth or anyone else.
    let from = match &caller.bot {
        Some(_) => {
            format!("{} (app)", incoming.username.clone().unwrap_or_else(|| caller.actor.user.display_name.clone()))
        }
        None => caller.actor.user.display_name.clone(),
    };
    let place = crate::app::commands::Place { channel_id, thread_root_id };
    let message = crate::app::commands::ephemeral(place, &from, &text);
    let ts = message_ts(message.created_at.0);
    Ok((object(json!({"message_ts": ts})), (user, message)))
}
