//! The Slack Web API on hearth (`/api/slack/<method>`): each method read from Slack's
//! arguments, carried out by hearth's own use cases with the caller's rights, and answered
//! with Slack's objects, ids (`T…`, `C…`, `U…`, `B…`) and `ts`. A bot token acts as its
//! bot; a personal token as its person, in their oldest workspace unless `team_id` says.

mod chat;
mod conversations;
pub mod files;
mod objects;
mod people;

pub use objects::channel_id as slack_channel_id;

use serde_json::{Map, Value, json};

use super::{Actor, AppState, Credential};
use crate::db::Conn;
use crate::db::bots::BotRow;
use crate::db::channels::ChannelRow;
use crate::db::messages::MessageRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::domain::Paging;
use crate::domain::slack::api::{ApiError, Args, cursor, read_cursor};
use crate::domain::slack::{SlackId, parse_id, parse_ts};
use crate::error::AppError;

/// What a method answers besides `"ok": true`.
type Answer = Result<Map<String, Value>, ApiError>;

/// A message only one person is to see, for the transport to send to their connections.
pub type Ephemeral = (i64, crate::wire::EphemeralMessage);

/// The caller, as the methods need them: who, in which workspace, as which bot.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub workspace: WorkspaceRow,
    pub bot: Option<BotRow>,
}

/// The methods hearth answers, in Slack's names.
pub const METHODS: &[&str] = &[
    "api.test",
    "auth.test",
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.getPermalink",
    "chat.postEphemeral",
    "conversations.list",
    "conversations.info",
    "conversations.history",
    "conversations.replies",
    "conversations.members",
    "conversations.join",
    "conversations.open",
    "users.list",
    "users.info",
    "users.lookupByEmail",
    "reactions.add",
    "reactions.remove",
    "reactions.get",
    "pins.add",
    "pins.list",
    "search.messages",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
];

/// The methods that change something: they count against the caller's write limit.
const WRITES: &[&str] = &[
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.delete",
    "conversations.join",
    "conversations.open",
    "reactions.add",
    "reactions.remove",
    "pins.add",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
];

/// Whether a method changes something.
pub fn writes(method: &str) -> bool {
    WRITES.contains(&method)
}

/// Whether hearth answers a method (`unknown_method` otherwise, before any token is read).
pub fn is_method(method: &str) -> bool {
    METHODS.contains(&method)
}

/// One of hearth's refusals in Slack's words.
pub fn api_error(e: &AppError) -> ApiError {
    if let AppError::RateLimited { retry_after_secs, .. } = e {
        let mut error = ApiError::new("ratelimited", e.problem().message);
        error.retry_after_secs = Some(*retry_after_secs);
        return error;
    }
    let p = e.problem();
    ApiError::from_code(p.code, e.status(), p.message)
}

fn app(e: AppError) -> ApiError {
    api_error(&e)
}

/// The workspace and bot an authenticated actor calls in.
pub async fn caller(state: &AppState, actor: Actor, args: &Args) -> Result<Caller, ApiError> {
    let team = args.text("team_id");
    let a = actor.clone();
    state
        .db
        .read(move |conn| {
            let user_id = a.id();
            let (workspace_id, bot) = match a.credential {
                Credential::Bot(id) => {
                    let bot = BotRow::find(conn, id)?.ok_or_else(|| AppError::unauthenticated("That bot is gone."))?;
                    (bot.workspace_id, Some(bot))
                }
                _ => {
                    let asked = team.as_deref().and_then(|t| parse_id(t, &['T']));
                    let mine = WorkspaceRow::list_for_member(conn, user_id)?;
                    let chosen = match asked {
                        Some(id) => mine.iter().find(|(w, _)| w.id == id),
                        None => mine.iter().min_by_key(|(w, _)| w.id),
                    };
                    let Some((w, _)) = chosen else {
                        return Ok(Err(ApiError::new("team_not_found", "You are not a member of that workspace.")));
                    };
                    (w.id, None)
                }
            };
            let active = MemberRow::find(conn, workspace_id, user_id)?.is_some_and(|m| m.deactivated_at.is_none());
            if !active {
                return Ok(Err(ApiError::new("account_inactive", "This account is no longer in the workspace.")));
            }
            Ok(Ok(Caller { actor: a, workspace: WorkspaceRow::find(conn, workspace_id)?, bot }))
        })
        .await
        .map_err(app)?
}

/// Carries out one method for an authenticated caller: its answer, and a message for one
/// person alone when it makes one (`chat.postEphemeral`).
pub async fn call(
    state: &AppState,
    caller: &Caller,
    method: &str,
    args: &Args,
) -> Result<(Map<String, Value>, Option<Ephemeral>), ApiError> {
    if method == "chat.postEphemeral" {
        return chat::post_ephemeral(state, caller, args).await.map(|(answer, e)| (answer, Some(e)));
    }
    answer(state, caller, method, args).await.map(|a| (a, None))
}

async fn answer(state: &AppState, caller: &Caller, method: &str, args: &Args) -> Answer {
    match method {
        "api.test" => Ok(Map::from_iter([("args".to_owned(), Value::Object(args.echo()))])),
        "auth.test" => Ok(auth_test(state, caller)),
        "chat.postMessage" => chat::post_message(state, caller, args).await,
        "chat.update" => chat::update(state, caller, args).await,
        "chat.delete" => chat::delete(state, caller, args).await,
        "chat.getPermalink" => chat::permalink(state, caller, args).await,
        "conversations.list" => conversations::list(state, caller, args).await,
        "conversations.info" => conversations::info(state, caller, args).await,
        "conversations.history" => conversations::history(state, caller, args).await,
        "conversations.replies" => conversations::replies(state, caller, args).await,
        "conversations.members" => conversations::members(state, caller, args).await,
        "conversations.join" => conversations::join(state, caller, args).await,
        "conversations.open" => conversations::open(state, caller, args).await,
        "users.list" => people::list(state, caller, args).await,
        "users.info" => people::info(state, caller, args).await,
        "users.lookupByEmail" => people::by_email(state, caller, args).await,
        "reactions.add" => people::react(state, caller, args, true).await,
        "reactions.remove" => people::react(state, caller, args, false).await,
        "reactions.get" => people::reactions(state, caller, args).await,
        "pins.add" => people::pin(state, caller, args).await,
        "pins.list" => people::pins(state, caller, args).await,
        "search.messages" => people::search(state, caller, args).await,
        "files.getUploadURLExternal" => files::get_upload_url(state, caller, args).await,
        "files.completeUploadExternal" => files::complete(state, caller, args).await,
        _ => Err(ApiError::new("unknown_method", format!("hearth does not answer {method}."))),
    }
}

fn auth_test(state: &AppState, caller: &Caller) -> Map<String, Value> {
    let mut out = object(json!({
        "url": format!("{}/w/{}/", state.public_url, caller.workspace.slug),
        "team": caller.workspace.name,
        "user": caller.actor.user.username,
        "team_id": SlackId::workspace(caller.workspace.id),
        "user_id": SlackId::user(caller.actor.id()),
        "is_enterprise_install": false,
    }));
    if let Some(bot) = &caller.bot {
        out.insert("bot_id".to_owned(), Value::String(SlackId::bot(bot.id)));
    }
    out
}

/// A JSON object's fields (`json!({…})` is always one).
fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The channel a `channel` argument names (`C…`/`G…`/`D…`, or `#name`), in the caller's
/// workspace.
fn channel_arg(conn: &mut Conn, caller: &Caller, args: &Args, name: &str) -> Result<Result<i64, ApiError>, AppError> {
    let missing = || ApiError::new("channel_not_found", "No such channel, or you cannot see it.");
    let Some(raw) = args.text(name) else {
        return Ok(Err(ApiError::new("channel_not_found", format!("The `{name}` argument is required."))));
    };
    if let Some(id) = parse_id(&raw, SlackId::CHANNEL_PREFIXES) {
        let found = ChannelRow::find(conn, id)?.filter(|c| c.workspace_id == caller.workspace.id);
        return Ok(found.map(|c| c.id).ok_or_else(missing));
    }
    let wanted = raw.trim_start_matches('#').to_owned();
    let found = ChannelRow::find_by_names(conn, caller.workspace.id, std::slice::from_ref(&wanted))?;
    Ok(found.into_iter().next().map(|c| c.id).ok_or_else(missing))
}

/// The message a `ts` argument names in a channel.
fn message_arg(conn: &mut Conn, channel_id: i64, args: &Args, name: &str) -> Result<Result<i64, ApiError>, AppError> {
    let missing = || ApiError::new("message_not_found", "There is no such message in that channel.");
    let Some(at) = args.text(name).as_deref().and_then(parse_ts) else {
        return Ok(Err(missing()));
    };
    Ok(MessageRow::find_by_ts(conn, channel_id, at)?.ok_or_else(missing))
}

/// A page asked for with Slack's `limit` (1–1000; hearth gives at most 200 at once) and
/// `cursor`.
fn paging(args: &Args, kind: &str, default: i64) -> Result<Paging, ApiError> {
    let offset = read_cursor(kind, args.text("cursor").as_deref())?.unwrap_or(0).max(0);
    Ok(Paging { offset, limit: page_limit(args, default)? })
}

/// Slack's `limit` (1–1000, 0 or absent for `default`), as hearth gives it: at most 200.
fn page_limit(args: &Args, default: i64) -> Result<i64, ApiError> {
    let limit = args.number("limit", 0..=1000)?.filter(|l| *l > 0).unwrap_or(default);
    Ok(limit.clamp(1, Paging::MAX))
}

/// `response_metadata` with the next page's cursor (empty at the end, as Slack's SDKs expect).
fn next_page(kind: &str, page: Paging, more: bool) -> Value {
    let next = if more { cursor(kind, page.offset + page.limit) } else { String::new() };
    json!({ "next_cursor": next })
}
