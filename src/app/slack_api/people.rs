//! `users.*`, `reactions.*`, `pins.*` and `search.messages`.

use serde_json::{Value, json};

use super::objects;
use super::{Answer, Caller, app, channel_arg, message_arg, next_page, object, paging};
use crate::app::{AppState, access, reactions, search};
use crate::db::bots::BotRow;
use crate::db::users::UserRow;
use crate::db::workspaces::MemberRow;
use crate::domain::Paging;
use crate::domain::slack::api::{ApiError, Args};
use crate::domain::slack::{SlackId, message_ts, parse_id};
use crate::domain::workspaces::Role;

fn user_not_found() -> ApiError {
    ApiError::new("user_not_found", "No member of this workspace has that id.")
}

/// Users as Slack shows them, with their bots' ids. Addresses are shown to the workspace's
/// admins only, never to bots.
fn shown(
    conn: &mut crate::db::Conn,
    caller: &Caller,
    people: &[(MemberRow, UserRow)],
) -> Result<Vec<Value>, crate::error::AppError> {
    let ids: Vec<i64> = people.iter().map(|(_, u)| u.id).collect();
    let bots: std::collections::HashMap<i64, i64> = BotRow::ids_of_users(conn, &ids)?.into_iter().collect();
    // As hearth's own API never shows addresses to members, only admins' tokens see them.
    let role = MemberRow::find(conn, caller.workspace.id, caller.actor.id())?.map(|m| m.role);
    let with_email = caller.bot.is_none() && matches!(role, Some(Role::Admin | Role::Owner));
    Ok(people
        .iter()
        .map(|(m, u)| objects::user(u, caller.workspace.id, Some(m.role), bots.get(&u.id).copied(), with_email))
        .collect())
}

pub async fn list(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let page = paging(args, "users", 100)?;
    let c = caller.clone();
    let (members, more) = state
        .db
        .read(move |conn| {
            let mut people =
                MemberRow::list_with_users(conn, c.workspace.id, Paging { offset: page.offset, limit: page.limit })?;
            let more = people.len() as i64 > page.limit;
            people.truncate(usize::try_from(page.limit).unwrap_or(0));
            Ok((shown(conn, &c, &people)?, more))
        })
        .await
        .map_err(app)?;
    Ok(object(json!({"members": members, "response_metadata": next_page("users", page, more)})))
}

/// One member of the caller's workspace, found by `find`.
async fn one(
    state: &AppState,
    caller: &Caller,
    find: impl FnOnce(&mut crate::db::Conn) -> Result<Option<UserRow>, crate::error::AppError> + Send + 'static,
) -> Answer {
    let c = caller.clone();
    let found = state
        .db
        .read(move |conn| {
            let Some(user) = find(conn)? else { return Ok(None) };
            let Some(member) = MemberRow::find(conn, c.workspace.id, user.id)? else { return Ok(None) };
            Ok(shown(conn, &c, &[(member, user)])?.pop())
        })
        .await
        .map_err(app)?;
    let user = found.ok_or_else(user_not_found)?;
    Ok(object(json!({"user": user})))
}

pub async fn info(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let raw = args.required("user", "user_not_found")?;
    let id = parse_id(&raw, SlackId::USER_PREFIXES).ok_or_else(user_not_found)?;
    one(state, caller, move |conn| Ok(UserRow::find_many(conn, &[id])?.pop())).await
}

pub async fn by_email(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let email = args.required("email", "users_not_found")?;
    let (ws, user_id) = (caller.workspace.id, caller.actor.id());
    let role = state.db.read(move |conn| Ok(MemberRow::find(conn, ws, user_id)?.map(|m| m.role))).await.map_err(app)?;
    if caller.bot.is_some() || !matches!(role, Some(Role::Admin | Role::Owner)) {
        // Addresses are not members' to look up: hearth shows them to admins only.
        return Err(ApiError::new("missing_scope", "Only the workspace's admins can look people up by address."));
    }
    one(state, caller, move |conn| Ok(UserRow::find_by_email(conn, &email.to_lowercase())?))
        .await
        .map_err(|e| if e.error == "user_not_found" { ApiError::new("users_not_found", e.detail) } else { e })
}

/// The message `channel` and `timestamp` (Slack's name here) point at.
async fn target(state: &AppState, caller: &Caller, args: &Args) -> Result<i64, ApiError> {
    let (c, a, user_id) = (caller.clone(), args.clone(), caller.actor.id());
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
            let name = if a.text("timestamp").is_some() { "timestamp" } else { "ts" };
            message_arg(conn, channel_id, &a, name)
        })
        .await
        .map_err(app)?
}

pub async fn react(state: &AppState, caller: &Caller, args: &Args, add: bool) -> Answer {
    let id = target(state, caller, args).await?;
    let name = args.required("name", "invalid_name")?;
    let before = crate::app::messages::get(state, &caller.actor, id).await.map_err(app)?;
    let emoji = name.trim_matches(':').to_owned();
    let had = before.reactions.iter().any(|r| r.emoji == emoji && r.user_ids.contains(&caller.actor.id()));
    if add && had {
        return Err(ApiError::new("already_reacted", "You already reacted with that emoji."));
    }
    if !add && !had {
        return Err(ApiError::new("no_reaction", "You have not reacted with that emoji."));
    }
    reactions::react(state, &caller.actor, id, &emoji, add).await.map_err(app)?;
    Ok(serde_json::Map::new())
}

pub async fn reactions(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let id = target(state, caller, args).await?;
    let m = crate::app::messages::get(state, &caller.actor, id).await.map_err(app)?;
    let channel = SlackId::channel(m.channel_id);
    Ok(object(json!({"type": "message", "channel": channel, "message": objects::message(&m, None)})))
}

pub async fn pin(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let id = target(state, caller, args).await?;
    let m = crate::app::messages::get(state, &caller.actor, id).await.map_err(app)?;
    if m.pinned {
        return Err(ApiError::new("already_pinned", "That message is already pinned."));
    }
    reactions::pin(state, &caller.actor, id, true).await.map_err(app)?;
    Ok(serde_json::Map::new())
}

pub async fn pins(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let (c, a, user_id) = (caller.clone(), args.clone(), caller.actor.id());
    let channel_id = state
        .db
        .read(move |conn| {
            let id = match channel_arg(conn, &c, &a, "channel")? {
                Ok(id) => id,
                Err(e) => return Ok(Err(e)),
            };
            Ok(match access::channel(conn, user_id, id) {
                Ok(_) => Ok(id),
                Err(e) => Err(super::api_error(&e)),
            })
        })
        .await
        .map_err(app)??;
    let page = reactions::pins(state, &caller.actor, channel_id, Paging::first(Paging::MAX)).await.map_err(app)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|m| json!({"type": "message", "channel": SlackId::channel(m.channel_id), "message": objects::message(m, None)}))
        .collect();
    Ok(object(json!({"items": items})))
}

pub async fn search(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    if caller.bot.is_some() {
        return Err(ApiError::new("not_allowed_token_type", "Search is for people's tokens, as in Slack."));
    }
    let q = args.required("query", "no_query")?;
    let sort = match args.text("sort").as_deref() {
        Some("timestamp") => crate::search::Sort::Date,
        _ => crate::search::Sort::Relevance,
    };
    let count = args.number("count", 1..=100)?.unwrap_or(20);
    let limit = usize::try_from(count).unwrap_or(20);
    let cursor = args.text("cursor");
    let found = search::search(state, caller.actor.id(), &caller.workspace.slug, &q, sort, limit, cursor.as_deref())
        .await
        .map_err(app)?;
    let matches: Vec<Value> = found
        .results
        .iter()
        .map(|f| {
            let mut m = objects::message(&f.message, None);
            m["channel"] = json!({"id": SlackId::channel(f.channel.id), "name": f.channel.name});
            m["permalink"] = json!(format!(
                "{}/w/{}/c/{}/m/{}",
                state.public_url, caller.workspace.slug, f.message.channel_id, f.message.id
            ));
            m["ts"] = json!(message_ts(f.message.created_at.0));
            m
        })
        .collect();
    Ok(object(json!({
        "query": q,
        "messages": {
            "total": found.total,
            "matches": matches,
            "pagination": {"total_count": found.total},
            "paging": {"count": limit, "total": found.total},
        },
        "response_metadata": {"next_cursor": found.next_cursor.unwrap_or_default()},
    })))
}
