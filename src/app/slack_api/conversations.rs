//! `conversations.*`: the channels a caller can see, one channel's facts, its history and
//! threads with Slack's `oldest`/`latest`/`inclusive`, its members, joining, and opening
//! direct messages.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::chat::bot_in_channel;
use super::objects;
use super::{Answer, Caller, app, channel_arg, message_arg, next_page, object, page_limit, paging};
use crate::app::{AppState, access, channel_members, channels, messages};
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::messages::MessageRow;
use crate::domain::Paging;
use crate::domain::channels::ChannelKind;
use crate::domain::slack::api::{ApiError, Args, cursor, read_cursor};
use crate::domain::slack::{MessageRef, SlackId, message_ts, parse_id, parse_ts};
use crate::domain::workspaces::Role;
use crate::wire;

/// Slack's conversation types, as hearth's kinds.
fn kinds(args: &Args) -> Result<Vec<ChannelKind>, ApiError> {
    let raw = args.text("types").unwrap_or_else(|| "public_channel".to_owned());
    let mut out = Vec::new();
    for t in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        out.push(match t {
            "public_channel" => ChannelKind::Public,
            "private_channel" => ChannelKind::Private,
            "im" => ChannelKind::Direct,
            "mpim" => ChannelKind::Group,
            other => {
                return Err(ApiError::new(
                    "invalid_types",
                    format!("Unknown conversation type \"{other}\"; use public_channel, private_channel, im or mpim."),
                ));
            }
        });
    }
    Ok(out)
}

/// A channel as Slack shows it to `user_id`: membership, member count, a DM's other person.
fn shown(
    conn: &mut crate::db::Conn,
    channel: &ChannelRow,
    user_id: i64,
    is_member: bool,
) -> Result<Value, crate::error::AppError> {
    let people = ChannelMemberRow::user_ids(conn, channel.id)?;
    let other = match channel.kind {
        ChannelKind::Direct => people.iter().copied().find(|p| *p != user_id).or(Some(user_id)),
        _ => None,
    };
    Ok(objects::channel(&wire::Channel::from(channel), is_member, Some(people.len()), other))
}

pub async fn list(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let kinds = kinds(args)?;
    let exclude_archived = args.flag("exclude_archived", false)?;
    let page = paging(args, "channels", 100)?;
    let (workspace_id, user_id) = (caller.workspace.id, caller.actor.id());
    let role = state
        .db
        .read(move |conn| Ok(crate::db::workspaces::MemberRow::find(conn, workspace_id, user_id)?.map(|m| m.role)))
        .await
        .map_err(app)?;
    // Guests see only what they were added to; bots see every public channel's name.
    let public_open = role != Some(Role::Guest);
    let (rows, more) = state
        .db
        .read(move |conn| {
            let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            let mut rows =
                ChannelRow::page_visible(conn, workspace_id, user_id, &kinds, public_open, !exclude_archived, page)?;
            let more = rows.len() as i64 > page.limit;
            rows.truncate(usize::try_from(page.limit).unwrap_or(0));
            let mut out = Vec::new();
            for (channel, is_member) in &rows {
                out.push(shown(conn, channel, user_id, *is_member)?);
            }
            Ok((out, more))
        })
        .await
        .map_err(app)?;
    Ok(object(json!({"channels": rows, "response_metadata": next_page("channels", page, more)})))
}

/// The channel a `channel` argument names, if the caller may see it: its row and whether
/// the caller is in it. Bots see the public channels' facts too.
async fn visible(state: &AppState, caller: &Caller, args: &Args) -> Result<(ChannelRow, bool), ApiError> {
    let (c, a, user_id, is_bot) = (caller.clone(), args.clone(), caller.actor.id(), caller.bot.is_some());
    state
        .db
        .read(move |conn| {
            let id = match channel_arg(conn, &c, &a, "channel")? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            match access::channel(conn, user_id, id) {
                Ok(ctx) => Ok(Ok((ctx.channel, ctx.member.is_some()))),
                Err(_) if is_bot => match ChannelRow::find(conn, id)? {
                    Some(ch) if ch.kind == ChannelKind::Public => Ok(Ok((ch, false))),
                    _ => Ok(Err(ApiError::new("channel_not_found", "No such channel, or you cannot see it."))),
                },
                Err(e) => Ok(Err(super::api_error(&e))),
            }
        })
        .await
        .map_err(app)?
}

pub async fn info(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (channel, is_member) = visible(state, caller, args).await?;
    let user_id = caller.actor.id();
    let v = state.db.read(move |conn| shown(conn, &channel, user_id, is_member)).await.map_err(app)?;
    Ok(object(json!({"channel": v})))
}

/// A `ts` bound of history: `oldest`/`latest` are times, not only messages' `ts`.
fn bound(args: &Args, name: &'static str, error: &'static str) -> Result<Option<NaiveDateTime>, ApiError> {
    let Some(raw) = args.text(name) else { return Ok(None) };
    let bad = || ApiError::new(error, format!("`{name}` must be a Slack ts such as 1700000000.000100."));
    // A bare number of seconds (`oldest=1700000000`) is a time too.
    let raw = if raw.contains('.') { raw } else { format!("{raw}.000000") };
    match parse_ts(&raw) {
        Some(MessageRef::At(at)) => Ok(Some(at)),
        _ => {
            let secs: f64 = raw.parse().map_err(|_| bad())?;
            chrono::DateTime::from_timestamp_micros((secs * 1e6) as i64).map(|t| Some(t.naive_utc())).ok_or_else(bad)
        }
    }
}

pub async fn history(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (channel, _) = visible(state, caller, args).await?;
    bot_in_channel(state, caller, channel.id).await?;
    let oldest = bound(args, "oldest", "invalid_ts_oldest")?;
    let latest = bound(args, "latest", "invalid_ts_latest")?;
    let inclusive = args.flag("inclusive", false)?;
    // The cursor is the last message shown, so that what is posted meanwhile shifts nothing.
    let limit = page_limit(args, 100)?;
    let before = read_cursor("history", args.text("cursor").as_deref())?;
    let user_id = caller.actor.id();
    let channel_id = channel.id;
    let (list, more, pins) = state
        .db
        .read(move |conn| {
            access::channel(conn, user_id, channel_id)?;
            let mut rows = MessageRow::history_between(conn, channel_id, oldest, latest, inclusive, before, limit + 1)?;
            let more = rows.len() as i64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            let pins = MessageRow::pinned(conn, channel_id, Paging::first(Paging::MAX))?.len();
            Ok((messages::views(conn, &rows)?, more, pins))
        })
        .await
        .map_err(app)?;
    let next = match list.last() {
        Some(m) if more => cursor("history", m.id),
        _ => String::new(),
    };
    let shown: Vec<Value> = list.iter().map(|m| objects::message(m, None)).collect();
    Ok(object(json!({
        "messages": shown,
        "has_more": more,
        "pin_count": pins,
        "response_metadata": {"next_cursor": next},
    })))
}

pub async fn replies(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (channel, _) = visible(state, caller, args).await?;
    bot_in_channel(state, caller, channel.id).await?;
    let a = args.clone();
    let channel_id = channel.id;
    let id = state
        .db
        .read(move |conn| message_arg(conn, channel_id, &a, "ts"))
        .await
        .map_err(app)?
        .map_err(|_| ApiError::new("thread_not_found", "There is no such message in that channel."))?;
    let page = paging(args, "replies", 100)?;
    // The first page starts with the thread's root, as Slack's does.
    let thread = messages::thread(state, &caller.actor, id, Paging { offset: page.offset, limit: page.limit })
        .await
        .map_err(app)?;
    let root_ts = message_ts(thread.root.created_at.0);
    let mut shown: Vec<Value> = Vec::new();
    if page.offset == 0 {
        let mut root = objects::message(&thread.root, None);
        root["thread_ts"] = json!(root_ts);
        shown.push(root);
    }
    shown.extend(thread.replies.items.iter().map(|m| objects::message(m, Some(&root_ts))));
    let more = thread.replies.next_cursor.is_some();
    Ok(object(json!({"messages": shown, "has_more": more, "response_metadata": next_page("replies", page, more)})))
}

pub async fn members(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (channel, _) = visible(state, caller, args).await?;
    bot_in_channel(state, caller, channel.id).await?;
    let page = paging(args, "members", 100)?;
    let people = channel_members::members(state, &caller.actor, channel.id, page).await.map_err(app)?;
    let ids: Vec<String> = people.items.iter().map(|u| SlackId::user(u.id)).collect();
    Ok(object(json!({"members": ids, "response_metadata": next_page("members", page, people.next_cursor.is_some())})))
}

pub async fn join(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (channel, was_member) = visible(state, caller, args).await?;
    let joined = match &caller.bot {
        Some(_) => channel_members::join_as_bot(state, &caller.actor, channel.id).await,
        None => channel_members::join(state, &caller.actor, channel.id).await,
    }
    .map_err(app)?;
    let mut answer = object(json!({"channel": objects::channel(&joined, true, None, None)}));
    if was_member {
        answer.insert("warning".to_owned(), json!("already_in_channel"));
    }
    Ok(answer)
}

pub async fn open(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let raw = args.required("users", "users_list_not_supplied")?;
    let mut ids = Vec::new();
    for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        ids.push(
            parse_id(part, SlackId::USER_PREFIXES)
                .ok_or_else(|| ApiError::new("user_not_found", format!("\"{part}\" is not a user id (U…).")))?,
        );
    }
    let (dm, created) = channels::open_dm(state, &caller.actor, &caller.workspace.slug, &ids).await.map_err(app)?;
    let other = ids.first().copied().filter(|_| dm.kind == ChannelKind::Direct);
    let mut answer = object(json!({"channel": objects::channel(&dm, true, None, other)}));
    if !created {
        answer.insert("already_open".to_owned(), json!(true));
    }
    Ok(answer)
}
