//! A workspace's own slash commands: made by its admins; run by sending Slack's form fields,
//! signed, to the command's URL with a 3 s deadline; answered with nothing, plain text or
//! Slack's JSON (ephemeral or in the channel); and answered later through `response_url`,
//! five times within 30 minutes.

use serde_json::Value;

use super::{Outcome, Place, ephemeral};
use crate::app::access::{self, Membership};
use crate::app::as_integration::{Refusal, Shown, Target, integration_form};
use crate::app::{Actor, AppState, Credential, messages};
use crate::db::channels::ChannelRow;
use crate::db::commands::{CommandChanges, CommandRow, NewCommand, NewResponse, ResponseRow};
use crate::db::users::UserRow;
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self, Conn};
use crate::domain::Code;
use crate::domain::commands::{Invocation, parse_trigger};
use crate::domain::slack::payload::Incoming;
use crate::domain::slack::{SlackId, boolean};
use crate::domain::workspaces::may_administer;
use crate::error::AppError;
use crate::outbound::{self, Response};
use crate::security;
use crate::wire;

/// How long a command's URL has to answer, as Slack allows.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);
/// Delayed answers a `response_url` takes, and for how long.
pub const RESPONSE_USES: i32 = 5;
const RESPONSE_LIFETIME: chrono::Duration = chrono::Duration::minutes(30);
/// Custom commands one workspace may have.
const MAX_COMMANDS: usize = 100;
/// The longest description and usage hint.
const MAX_HINT: usize = 200;
/// The longest URL.
const MAX_URL: usize = 2000;

fn not_found(id: i64) -> AppError {
    AppError::not_found(Code::CommandNotFound, format!("There is no command {id} in this workspace."))
}

/// What a new command, or a change to one, says; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct CommandForm {
    pub name: Option<String>,
    pub url: Option<String>,
    pub method: Option<String>,
    pub description: Option<String>,
    pub usage_hint: Option<String>,
    pub autocomplete: Option<bool>,
    /// A new signing secret and token; the old ones stop at once.
    pub regenerate_secret: bool,
}

struct Checked {
    name: Option<String>,
    url: Option<String>,
    method: Option<&'static str>,
    description: Option<String>,
    usage_hint: Option<String>,
}

fn hint(raw: &str, what: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.chars().count() > MAX_HINT || text.chars().any(char::is_control) {
        return Err(AppError::invalid(
            Code::InvalidCommand,
            format!("A command's {what} is at most {MAX_HINT} characters on one line."),
        ));
    }
    Ok(text.to_owned())
}

fn check(state: &AppState, form: &CommandForm) -> Result<Checked, AppError> {
    let name = form.name.as_deref().map(parse_trigger).transpose()?;
    let url = match form.url.as_deref().map(str::trim) {
        Some(url) if url.len() > MAX_URL => {
            return Err(AppError::invalid(
                Code::InvalidCommand,
                format!("A command's URL is at most {MAX_URL} characters."),
            ));
        }
        Some(url) => {
            state
                .outbound
                .check_url(url)
                .map_err(|e| AppError::invalid(Code::InvalidCommand, format!("{url} cannot be called: {e}.")))?;
            Some(url.to_owned())
        }
        None => None,
    };
    let method = match form.method.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("POST") => Some("POST"),
        Some("GET") => Some("GET"),
        Some(other) => {
            return Err(AppError::invalid(
                Code::InvalidCommand,
                format!("A command is sent by POST or GET, not {other}."),
            ));
        }
    };
    let description = form.description.as_deref().map(|d| hint(d, "description")).transpose()?;
    let usage_hint = form.usage_hint.as_deref().map(|u| hint(u, "usage hint")).transpose()?;
    Ok(Checked { name, url, method, description, usage_hint })
}

fn info(state: &AppState, row: &CommandRow) -> wire::Command {
    wire::Command {
        id: row.id,
        workspace_id: row.workspace_id,
        name: row.name.clone(),
        url: row.url.clone(),
        method: row.method.clone(),
        description: row.description.clone(),
        usage_hint: row.usage_hint.clone(),
        autocomplete: row.autocomplete,
        token: state.keys.command_token(row.id, row.secret_generation),
        signing_secret: state.keys.command_signing_secret(row.id, row.secret_generation),
        created_by: row.created_by,
        created_at: wire::Time(row.created_at),
    }
}

fn administering(conn: &mut Conn, slug: &str, user_id: i64) -> Result<Membership, AppError> {
    let membership = access::workspace(conn, slug, user_id)?;
    may_administer(membership.role, "manage commands")?;
    Ok(membership)
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(Code::CommandNameTaken, format!("/{name} is taken in this workspace."))
}

pub async fn create(state: &AppState, actor: &Actor, slug: &str, form: CommandForm) -> Result<wire::Command, AppError> {
    let checked = check(state, &form)?;
    let (Some(name), Some(url)) = (checked.name, checked.url) else {
        return Err(AppError::invalid(Code::InvalidCommand, "A command needs a name and a URL."));
    };
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, .. } = administering(tx, &slug, user_id)?;
            if CommandRow::of_workspace(tx, workspace.id)?.len() >= MAX_COMMANDS {
                return Err(AppError::conflict(
                    Code::TooManyIntegrations,
                    format!("A workspace can have at most {MAX_COMMANDS} commands; remove one first."),
                ));
            }
            if CommandRow::find_by_name(tx, workspace.id, &name)?.is_some() {
                return Err(name_taken(&name));
            }
            let now = db::now();
            let row = NewCommand {
                workspace_id: workspace.id,
                name: &name,
                url: &url,
                method: checked.method.unwrap_or("POST"),
                description: checked.description.as_deref().unwrap_or_default(),
                usage_hint: checked.usage_hint.as_deref().unwrap_or_default(),
                autocomplete: form.autocomplete.unwrap_or(true),
                created_by: user_id,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            Ok(info(&state2, &row))
        })
        .await
}

pub async fn list(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::Command>, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let Membership { workspace, .. } = administering(conn, &slug, user_id)?;
            Ok(CommandRow::of_workspace(conn, workspace.id)?.iter().map(|c| info(&state2, c)).collect())
        })
        .await
}

fn managed(conn: &mut Conn, slug: &str, user_id: i64, id: i64) -> Result<(Membership, CommandRow), AppError> {
    let membership = administering(conn, slug, user_id)?;
    let row = CommandRow::find(conn, id)?
        .filter(|c| c.workspace_id == membership.workspace.id)
        .ok_or_else(|| not_found(id))?;
    Ok((membership, row))
}

pub async fn get(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<wire::Command, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state.db.read(move |conn| Ok(info(&state2, &managed(conn, &slug, user_id, id)?.1))).await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    id: i64,
    form: CommandForm,
) -> Result<wire::Command, AppError> {
    let checked = check(state, &form)?;
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let (membership, row) = managed(tx, &slug, user_id, id)?;
            if let Some(name) = checked.name.as_deref().filter(|n| *n != row.name) {
                if CommandRow::find_by_name(tx, membership.workspace.id, name)?.is_some() {
                    return Err(name_taken(name));
                }
            }
            let changes = CommandChanges {
                name: checked.name.as_deref(),
                url: checked.url.as_deref(),
                method: checked.method,
                description: checked.description.as_deref(),
                usage_hint: checked.usage_hint.as_deref(),
                autocomplete: form.autocomplete,
                secret_generation: form.regenerate_secret.then_some(row.secret_generation + 1),
                updated_at: Some(db::now()),
            };
            Ok(info(&state2, &CommandRow::update(tx, id, &changes)?))
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<(), AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            managed(tx, &slug, user_id, id)?;
            CommandRow::delete(tx, id)?;
            Ok(())
        })
        .await
}

/// The workspace's commands, for `/help` and the composer.
pub async fn listed(state: &AppState, workspace_id: i64) -> Result<Vec<CommandRow>, AppError> {
    state.db.read(move |conn| Ok(CommandRow::of_workspace(conn, workspace_id)?)).await
}

/// Sends an invocation to its command's URL and reads the answer.
pub(super) async fn invoke(
    state: &AppState,
    actor: &Actor,
    workspace: &WorkspaceRow,
    place: Place,
    invocation: &Invocation,
) -> Result<Outcome, AppError> {
    let (ws, name, channel_id) = (workspace.id, invocation.name.clone(), place.channel_id);
    let token = security::random_alphanumeric(40);
    let hash = security::token_hash(&token);
    let user_id = actor.id();
    let (command, channel, response_id): (CommandRow, ChannelRow, Option<i64>) = state
        .db
        .write(move |tx| {
            let command = CommandRow::find_by_name(tx, ws, &name)?.ok_or_else(|| {
                AppError::not_found(Code::CommandNotFound, format!("/{name} is not a command here; /help lists them."))
            })?;
            let channel = ChannelRow::find(tx, channel_id)?.ok_or_else(|| not_found(command.id))?;
            let response = NewResponse {
                token_hash: &hash,
                command_id: command.id,
                user_id,
                channel_id,
                thread_root_id: place.thread_root_id,
                expires_at: db::now() + RESPONSE_LIFETIME,
            }
            .insert(tx)?;
            Ok((command, channel, Some(response)))
        })
        .await?;
    let fields = [
        ("token", state.keys.command_token(command.id, command.secret_generation)),
        ("team_id", SlackId::workspace(workspace.id)),
        ("team_domain", workspace.slug.clone()),
        ("channel_id", crate::app::slack_api::slack_channel_id(channel.kind, channel.id)),
        ("channel_name", channel.name.clone().unwrap_or_else(|| "directmessage".to_owned())),
        ("user_id", SlackId::user(actor.id())),
        ("user_name", actor.user.username.clone()),
        ("command", format!("/{}", command.name)),
        ("text", invocation.args.clone()),
        ("response_url", state.link(&format!("/hooks/commands/{token}"))),
        ("trigger_id", format!("{}.{}", command.id, security::random_alphanumeric(24))),
        ("api_app_id", format!("A{}", command.id)),
    ];
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter()).finish().into_bytes();
    let timestamp = chrono::Utc::now().timestamp();
    let secret = state.keys.command_signing_secret(command.id, command.secret_generation);
    let request = outbound::Request {
        url: command.url.clone(),
        content_type: "application/x-www-form-urlencoded".to_owned(),
        headers: vec![
            ("accept".to_owned(), "application/json,*/*".to_owned()),
            ("x-slack-request-timestamp".to_owned(), timestamp.to_string()),
            ("x-slack-signature".to_owned(), security::slack_signature(&secret, timestamp, &body)),
            (
                "authorization".to_owned(),
                format!("Token {}", state.keys.command_token(command.id, command.secret_generation)),
            ),
        ],
        body,
        timeout: DEADLINE,
    };
    let sent =
        if command.method == "GET" { state.outbound.get(request).await } else { state.outbound.post(request).await };
    let from = format!("/{}", command.name);
    let failed = |why: String| Ok(Outcome { ephemeral: vec![ephemeral(place, &from, &why)], ..Outcome::default() });
    let res = match sent {
        Ok(res) if (200..300).contains(&res.status) => res,
        Ok(res) => return failed(format!("`{from}` failed: its server answered {}.", res.status)),
        Err(outbound::Failure::Timeout) => {
            return failed(format!(
                "`{from}` failed with the error \"operation_timeout\": it did not answer within 3 seconds."
            ));
        }
        Err(e) => return failed(format!("`{from}` failed: {e}.")),
    };
    let Some(reply) = read_reply(&res) else { return Ok(Outcome::default()) };
    let shown = Shown { name: from.clone(), icon_url: None, webhook_id: None, bot_id: None };
    let invocation_text = format!("/{} {}", command.name, invocation.args).trim_end().to_owned();
    let (outcome, posted) = answer(state, actor, command.id, place, reply, shown, Some(invocation_text)).await?;
    if let (Some(id), Some(response)) = (posted, response_id) {
        state.db.write(move |tx| Ok(ResponseRow::set_last_message(tx, response, Some(id))?)).await?;
    }
    Ok(outcome)
}

/// A command's answer: JSON when it says so or looks like it, else plain text (an
/// ephemeral message). `None`: an empty acknowledgement.
fn read_reply(res: &Response) -> Option<Value> {
    let text = String::from_utf8_lossy(&res.body).trim().to_owned();
    if text.is_empty() {
        return None;
    }
    let json = res.header("content-type").is_some_and(|c| c.starts_with("application/json")) || text.starts_with('{');
    match serde_json::from_str::<Value>(&text) {
        Ok(v @ Value::Object(_)) if json => Some(v),
        _ => Some(serde_json::json!({"text": text, "mrkdwn": false})),
    }
}

/// Carries out one answer (the first, or a delayed one): posted in the channel
/// (`in_channel`, after the invocation itself when it is the first) or shown to the
/// caller alone. Returns the outcome and the id of a message it posted.
async fn answer(
    state: &AppState,
    actor: &Actor,
    command_id: i64,
    place: Place,
    reply: Value,
    shown: Shown,
    invocation: Option<String>,
) -> Result<(Outcome, Option<i64>), AppError> {
    let in_channel = reply.get("response_type").and_then(Value::as_str) == Some("in_channel");
    let incoming = match Incoming::read(&reply) {
        Ok(incoming) => Some(incoming),
        // `{"response_type": "in_channel"}` alone shows the invocation and nothing more.
        Err(crate::domain::slack::payload::PayloadError::NoText) => None,
        Err(e) => {
            let why = format!("`{}` answered something hearth cannot show: {}", shown.name, e.message());
            return Ok((Outcome { ephemeral: vec![ephemeral(place, &shown.name, &why)], ..Outcome::default() }, None));
        }
    };
    let mut outcome = Outcome::default();
    if !in_channel {
        if let Some(incoming) = incoming {
            outcome.ephemeral.push(ephemeral(place, &shown.name, &incoming.as_markdown()));
        }
        return Ok((outcome, None));
    }
    if let Some(text) = invocation {
        let form = messages::PostForm { text, thread_root_id: place.thread_root_id, ..messages::PostForm::default() };
        outcome.message = Some(messages::post(state, actor, place.channel_id, form).await?.message);
    }
    let Some(incoming) = incoming else { return Ok((outcome, None)) };
    let ws = state.db.read(move |conn| Ok(ChannelRow::find(conn, place.channel_id)?.map(|c| c.workspace_id))).await?;
    let target = Target {
        workspace_id: ws.unwrap_or_default(),
        channel_id: place.channel_id,
        thread_root_id: place.thread_root_id,
        broadcast: false,
    };
    let form = integration_form(state, target, incoming, Some(shown)).await.map_err(refusal)?;
    let as_command = Actor { user: actor.user.clone(), credential: Credential::Command(command_id) };
    let posted = messages::post(state, &as_command, place.channel_id, form).await?.message;
    let id = posted.id;
    if outcome.message.is_none() {
        outcome.message = Some(posted);
    }
    Ok((outcome, Some(id)))
}

fn refusal(r: Refusal) -> AppError {
    match r.code {
        "msg_too_long" => AppError::invalid(Code::TextTooLong, r.message),
        _ => AppError::Unexpected(anyhow::anyhow!("{}: {}", r.code, r.message)),
    }
}

/// Why a `response_url` refused an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expired {
    /// Unknown, expired, or its command removed: 404.
    Gone,
    /// Five answers came already: 400.
    UsedUp,
}

/// A delayed answer sent to a `response_url`: shown as the first would be, with
/// `replace_original` and `delete_original` acting on the message this chain posted last.
/// The caller gets the outcome to deliver (to the person who ran the command).
pub async fn respond(state: &AppState, token: &str, reply: Value) -> Result<Result<(i64, Outcome), Expired>, AppError> {
    let hash = security::token_hash(token);
    let found = state
        .db
        .write(move |tx| {
            let Some(row) = ResponseRow::find_by_token_hash(tx, &hash)? else { return Ok(Err(Expired::Gone)) };
            if row.expires_at <= db::now() {
                return Ok(Err(Expired::Gone));
            }
            let Some(command) = CommandRow::find(tx, row.command_id)? else { return Ok(Err(Expired::Gone)) };
            if !ResponseRow::take_use(tx, row.id, RESPONSE_USES)? {
                return Ok(Err(Expired::UsedUp));
            }
            let user = UserRow::find(tx, row.user_id)?;
            // Answers go only where their person may still be.
            if user.deactivated_at.is_some() || access::channel(tx, user.id, row.channel_id).is_err() {
                return Ok(Err(Expired::Gone));
            }
            Ok(Ok((row, command, user)))
        })
        .await?;
    let (row, command, user) = match found {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let actor = Actor { user, credential: Credential::Command(command.id) };
    let place = Place { channel_id: row.channel_id, thread_root_id: row.thread_root_id };
    let flag = |name: &str| reply.get(name).and_then(boolean).unwrap_or(false);
    let (delete_original, replace_original) = (flag("delete_original"), flag("replace_original"));
    let only_delete = delete_original && ["text", "blocks", "attachments"].iter().all(|f| reply.get(*f).is_none());
    // The new answer first: the one it replaces goes only once it is up.
    let (outcome, posted) = if only_delete {
        (Outcome::default(), None)
    } else {
        let shown = Shown { name: format!("/{}", command.name), icon_url: None, webhook_id: None, bot_id: None };
        answer(state, &actor, command.id, place, reply, shown, None).await?
    };
    if delete_original || replace_original {
        if let Some(previous) = row.last_message_id {
            // Gone already, or not the caller's to remove any more: nothing to undo.
            let _ = messages::delete(state, &actor, previous).await;
        }
    }
    if posted.is_some() || delete_original || replace_original {
        let id = row.id;
        state.db.write(move |tx| Ok(ResponseRow::set_last_message(tx, id, posted)?)).await?;
    }
    Ok(Ok((row.user_id, outcome)))
}

/// Forgets response URLs that expired (they answer `expired_url` either way).
pub async fn prune(db: &crate::db::Db) -> Result<usize, AppError> {
    let before = db::now();
    db.write(move |tx| Ok(ResponseRow::prune(tx, before)?)).await
}
