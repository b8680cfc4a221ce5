//! Slash commands: what someone types starting with `/`, run where they typed it. hearth's
//! own commands are carried out by the use cases they name; a workspace's custom ones are
//! sent to their URL (`custom.rs`). Answers only their caller should see are ephemeral:
//! returned to the caller's request and sent to their live connections, never stored.

pub mod custom;
pub mod reminders;

use super::messages::{self, PostForm};
use super::{Actor, AppState, access, channel_members, channels, read_state, search};
use crate::db::channels::ChannelRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::domain::Code;
use crate::domain::commands::{BUILTINS, Invocation, builtin, channel_name, person_and_rest};
use crate::domain::messages::{MessageText, Resolved, render};
use crate::error::AppError;
use crate::wire;

/// What running a command gave: answers for the caller alone, a message posted (when it
/// posts one), and a presence the caller's client should take (`/away`, `/active`).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub ephemeral: Vec<wire::EphemeralMessage>,
    pub message: Option<wire::Message>,
    pub presence: Option<&'static str>,
}

/// The longest ephemeral text, in characters (longer is cut).
const MAX_EPHEMERAL: usize = 2500;

/// Where a command was typed.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
}

/// An answer for the caller alone, its text in hearth's Markdown.
pub fn ephemeral(place: Place, from: &str, text: &str) -> wire::EphemeralMessage {
    // Small enough to reach the caller's connections on every node.
    let text: String = if text.chars().count() > MAX_EPHEMERAL {
        text.chars().take(MAX_EPHEMERAL).chain(std::iter::once('…')).collect()
    } else {
        text.to_owned()
    };
    let text = text.as_str();
    let html =
        MessageText::parse_beside_files(text, usize::MAX).map(|t| render(&t, &Resolved::default())).unwrap_or_default();
    wire::EphemeralMessage {
        id: format!("e{}", crate::security::random_alphanumeric(16)),
        channel_id: place.channel_id,
        thread_root_id: place.thread_root_id,
        from: from.to_owned(),
        text: text.to_owned(),
        html,
        created_at: wire::Time(crate::db::now()),
    }
}

fn answer(place: Place, text: impl Into<String>) -> Outcome {
    Outcome { ephemeral: vec![ephemeral(place, "hearth", &text.into())], ..Outcome::default() }
}

/// The commands the composer offers in a workspace: hearth's own, and the workspace's that
/// ask to be.
pub async fn hints(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::CommandHint>, AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    let workspace = state.db.read(move |conn| Ok(access::workspace(conn, &slug, user_id)?.workspace)).await?;
    let mut out: Vec<wire::CommandHint> = BUILTINS
        .iter()
        .map(|b| wire::CommandHint {
            name: b.name.to_owned(),
            usage_hint: b.usage.to_owned(),
            description: b.description.to_owned(),
            custom: false,
        })
        .collect();
    for c in custom::listed(state, workspace.id).await?.into_iter().filter(|c| c.autocomplete) {
        out.push(wire::CommandHint {
            name: c.name,
            usage_hint: c.usage_hint,
            description: c.description,
            custom: true,
        });
    }
    Ok(out)
}

/// Whether a command of that name exists in the channel's workspace (hearth's own, or the
/// workspace's).
pub async fn exists(state: &AppState, channel_id: i64, name: &str) -> Result<bool, AppError> {
    if builtin(name).is_some() {
        return Ok(true);
    }
    let name = name.to_owned();
    state
        .db
        .read(move |conn| {
            let Some(channel) = ChannelRow::find(conn, channel_id)? else { return Ok(false) };
            Ok(crate::db::commands::CommandRow::find_by_name(conn, channel.workspace_id, &name)?.is_some())
        })
        .await
}

/// Runs `text` (which `Invocation::parse` read as a command) where it was typed.
pub async fn run(state: &AppState, actor: &Actor, place: Place, invocation: Invocation) -> Result<Outcome, AppError> {
    let (user_id, channel_id) = (actor.id(), place.channel_id);
    let workspace = state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            Ok(WorkspaceRow::find(conn, ctx.channel.workspace_id)?)
        })
        .await?;
    if builtin(&invocation.name).is_none() {
        return custom::invoke(state, actor, &workspace, place, &invocation).await;
    }
    let args = invocation.args.as_str();
    let usage = |name: &str| {
        let b = builtin(name).map(|b| b.usage).unwrap_or_default();
        answer(place, format!("Usage: `/{name} {b}`"))
    };
    let post = |text: String| PostForm { text, thread_root_id: place.thread_root_id, ..PostForm::default() };
    match invocation.name.as_str() {
        "me" if args.is_empty() => Ok(usage("me")),
        "me" => posted(messages::post(state, actor, channel_id, post(format!("_{args}_"))).await?.message),
        "shrug" => {
            let text = if args.is_empty() { SHRUG.to_owned() } else { format!("{args} {SHRUG}") };
            posted(messages::post(state, actor, channel_id, post(text)).await?.message)
        }
        "topic" | "purpose" => {
            let mut patch = channels::ChannelPatch::default();
            let what = if invocation.name == "topic" { &mut patch.topic } else { &mut patch.purpose };
            *what = Some(args.to_owned());
            channels::update(state, actor, channel_id, patch).await?;
            let said = if args.is_empty() { "cleared".to_owned() } else { format!("set to: {args}") };
            Ok(answer(place, format!("The channel's {} is {said}", invocation.name)))
        }
        "rename" if args.is_empty() => Ok(usage("rename")),
        "rename" => {
            let patch = channels::ChannelPatch { name: Some(args.to_owned()), ..Default::default() };
            let c = channels::update(state, actor, channel_id, patch).await?;
            Ok(answer(place, format!("The channel is now #{}.", c.name.unwrap_or_default())))
        }
        "invite" => {
            let Some((name, rest)) = person_and_rest(args) else { return Ok(usage("invite")) };
            let person = person(state, workspace.id, &name).await?;
            let target = match rest.split_whitespace().next() {
                Some(word) => channel_named(state, &workspace, word).await?,
                None => channel_id,
            };
            channel_members::add_member(state, actor, target, person.id).await?;
            Ok(answer(place, format!("@{} was added.", person.username)))
        }
        "kick" => {
            let Some((name, _)) = person_and_rest(args) else { return Ok(usage("kick")) };
            let person = person(state, workspace.id, &name).await?;
            channel_members::remove_member(state, actor, channel_id, person.id).await?;
            Ok(answer(place, format!("@{} was removed from the channel.", person.username)))
        }
        "join" => {
            let Some(word) = args.split_whitespace().next() else { return Ok(usage("join")) };
            let target = channel_named(state, &workspace, word).await?;
            let c = channel_members::join(state, actor, target).await?;
            let name = c.name.unwrap_or_default();
            Ok(answer(place, format!("You joined [#{name}](/w/{}/c/{target}).", workspace.slug)))
        }
        "leave" => {
            channel_members::leave(state, actor, channel_id).await?;
            Ok(answer(place, "You left the channel."))
        }
        "mute" => {
            let now = channels::get(state, actor, channel_id).await?.membership.is_some_and(|m| m.muted);
            read_state::set_notify(state, actor, channel_id, None, Some(!now)).await?;
            Ok(answer(place, if now { "The channel is unmuted." } else { "The channel is muted." }))
        }
        "msg" => {
            let Some((name, text)) = person_and_rest(args) else { return Ok(usage("msg")) };
            let person = person(state, workspace.id, &name).await?;
            let (dm, _) = channels::open_dm(state, actor, &workspace.slug, &[person.id]).await?;
            if text.is_empty() {
                return Ok(answer(
                    place,
                    format!("[Your messages with @{}](/w/{}/c/{})", person.username, workspace.slug, dm.id),
                ));
            }
            let form = PostForm { text: text.to_owned(), ..PostForm::default() };
            let sent = messages::post(state, actor, dm.id, form).await?.message;
            let mut outcome =
                answer(place, format!("Sent to [@{}](/w/{}/c/{}).", person.username, workspace.slug, dm.id));
            outcome.message = Some(sent);
            Ok(outcome)
        }
        "away" => Ok(Outcome { presence: Some("away"), ..answer(place, "You are shown as away.") }),
        "active" => Ok(Outcome { presence: Some("online"), ..answer(place, "You are shown as active.") }),
        "remind" => reminders::remind(state, actor, &workspace, place, args).await,
        "search" if args.is_empty() => Ok(usage("search")),
        "search" => search_answer(state, actor, &workspace, place, args).await,
        _ => help(state, &workspace, place).await,
    }
}

/// Shrugging, escaped for Markdown.
const SHRUG: &str = "¯\\\\\\_(ツ)\\_/¯";

fn posted(message: wire::Message) -> Result<Outcome, AppError> {
    Ok(Outcome { message: Some(message), ..Outcome::default() })
}

/// An active member of the workspace, by username.
async fn person(state: &AppState, workspace_id: i64, name: &str) -> Result<UserRow, AppError> {
    let name = name.to_owned();
    state
        .db
        .read(move |conn| {
            let user = UserRow::find_by_username(conn, &name)?;
            let active = match &user {
                Some(u) => MemberRow::find(conn, workspace_id, u.id)?.is_some_and(|m| m.deactivated_at.is_none()),
                None => false,
            };
            user.filter(|_| active)
                .ok_or_else(|| AppError::not_found(Code::UserNotFound, format!("Nobody here is called @{name}.")))
        })
        .await
}

/// A channel of the workspace by `#name`, whether or not the caller can see it (the use
/// case run on it checks that).
async fn channel_named(state: &AppState, workspace: &WorkspaceRow, word: &str) -> Result<i64, AppError> {
    let missing = || AppError::not_found(Code::ChannelNotFound, format!("There is no channel {word}."));
    let name = channel_name(word).ok_or_else(missing)?;
    let ws = workspace.id;
    let found = state.db.read(move |conn| Ok(ChannelRow::find_by_names(conn, ws, &[name])?)).await?;
    found.first().map(|c| c.id).ok_or_else(missing)
}

async fn search_answer(
    state: &AppState,
    actor: &Actor,
    workspace: &WorkspaceRow,
    place: Place,
    q: &str,
) -> Result<Outcome, AppError> {
    let found = search::search(state, actor.id(), &workspace.slug, q, crate::search::Sort::Relevance, 5, None).await?;
    let mut lines = vec![format!("{} result(s) for “{q}”:", found.total)];
    for f in &found.results {
        let snippet: String = f.message.text.chars().take(120).collect();
        let channel = f.channel.name.clone().map_or_else(|| "a direct message".to_owned(), |n| format!("#{n}"));
        lines.push(format!(
            "- [{channel}](/w/{}/c/{}/m/{}) @{}: {}",
            workspace.slug,
            f.message.channel_id,
            f.message.id,
            f.message.user.username,
            snippet.replace('\n', " ")
        ));
    }
    let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
    lines.push(format!("[All results](/w/{}/search?q={encoded})", workspace.slug));
    Ok(answer(place, lines.join("\n")))
}

/// Every command: hearth's own, then the workspace's.
async fn help(state: &AppState, workspace: &WorkspaceRow, place: Place) -> Result<Outcome, AppError> {
    let mut lines: Vec<String> = BUILTINS
        .iter()
        .map(|b| format!("- `/{}{}{}` — {}", b.name, if b.usage.is_empty() { "" } else { " " }, b.usage, b.description))
        .collect();
    let custom = custom::listed(state, workspace.id).await?;
    if !custom.is_empty() {
        lines.push("\nThis workspace's own:".to_owned());
        for c in custom {
            lines.push(format!("- `/{} {}` — {}", c.name, c.usage_hint, c.description));
        }
    }
    Ok(answer(place, lines.join("\n")))
}
