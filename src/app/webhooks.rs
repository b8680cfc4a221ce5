//! Incoming webhooks: made, listed, changed and removed by the workspace's admins (and by
//! members, where the workspace lets them), and the posting of a payload sent to one, as
//! Slack and Mattermost senders send it, through the same use case as every other post.

use super::access::{self, Membership};
use super::messages::{self, PostForm};
use super::{Actor, AppState, Credential};
use crate::db::channels::ChannelRow;
use crate::db::integrations::{INCOMING, IncomingWebhookRow, LogRow, NewIncomingWebhook, NewLog, WebhookChanges};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::db::{self, Conn};
use crate::domain::Code;
use crate::domain::channels::ChannelKind;
use crate::domain::slack::mrkdwn::{self, Names};
use crate::domain::slack::payload::Target as Asked;
use crate::domain::slack::payload::{self, Incoming, PayloadError};
use crate::domain::slack::{SlackId, parse_id, parse_ts};
use crate::domain::workspaces::may_manage_integration;
use crate::error::AppError;
use crate::security;
use crate::wire;

/// Failures shown on a hook's page.
const RECENT_FAILURES: i64 = 10;
/// The longest hook name.
const MAX_NAME: usize = 80;
/// Slack's limit for icon addresses.
const MAX_ICON_URL: usize = 255;
/// References of each kind (people, channels) one payload may have looked up.
const MAX_LOOKUPS: usize = 100;
/// How stale `last_used_at` may get before a post writes it again: one write a minute at
/// most, however busy the hook.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

fn not_found(id: i64) -> AppError {
    AppError::not_found(Code::WebhookNotFound, format!("There is no incoming webhook {id} in this workspace."))
}

/// What making a hook takes.
#[derive(Debug, Clone)]
pub struct NewHook {
    pub channel_id: i64,
    pub name: String,
    pub icon_url: Option<String>,
    pub channel_locked: bool,
}

/// What changing a hook may change; `None` keeps it.
#[derive(Debug, Clone, Default)]
pub struct HookChanges {
    pub name: Option<String>,
    pub channel_id: Option<i64>,
    /// `Some(None)` removes the icon.
    pub icon_url: Option<Option<String>>,
    pub channel_locked: Option<bool>,
    pub disabled: Option<bool>,
    /// Makes a new secret: the old URLs stop working at once.
    pub regenerate_secret: bool,
}

fn parse_name(raw: &str) -> Result<String, AppError> {
    Ok(crate::domain::parse_label(raw, MAX_NAME, Code::InvalidWebhookName, "A webhook's name")?)
}

fn parse_icon(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(url) = raw.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    if url.len() > MAX_ICON_URL || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::invalid(
            Code::InvalidIconUrl,
            format!("icon_url must be an http(s) address of at most {MAX_ICON_URL} characters."),
        ));
    }
    Ok(Some(url.to_owned()))
}

/// The hook's channel must be one its creator may post in.
fn check_channel(conn: &mut Conn, workspace_id: i64, user_id: i64, channel_id: i64) -> Result<ChannelRow, AppError> {
    let ctx = access::channel(conn, user_id, channel_id)?;
    if ctx.channel.workspace_id != workspace_id {
        return Err(AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it."));
    }
    ctx.access.may_post()?;
    Ok(ctx.channel)
}

fn info(
    conn: &mut Conn,
    state: &AppState,
    row: &IncomingWebhookRow,
    secret: Option<&str>,
) -> Result<wire::IncomingWebhook, AppError> {
    let failures = LogRow::recent(conn, INCOMING, row.id, RECENT_FAILURES)?;
    Ok(wire::IncomingWebhook::new(row, &failures, secret.map(|s| urls(state, row, s))))
}

/// The two addresses of a hook with secret `secret`: hearth's and Slack's shape.
fn urls(state: &AppState, row: &IncomingWebhookRow, secret: &str) -> (String, String) {
    (
        state.link(&format!("/hooks/{secret}")),
        state.link(&format!(
            "/services/{}/{}/{secret}",
            SlackId::workspace(row.workspace_id),
            SlackId::integration(row.id)
        )),
    )
}

/// The workspace, if `actor` may manage integrations in it.
fn managing(conn: &mut Conn, slug: &str, user_id: i64) -> Result<Membership, AppError> {
    let membership = access::workspace(conn, slug, user_id)?;
    may_manage_integration(membership.role, membership.workspace.members_add_integrations, true)?;
    Ok(membership)
}

/// A hook of the workspace that `user_id` may change: any, for admins; their own, for
/// members where members may add integrations.
fn managed_hook(
    conn: &mut Conn,
    slug: &str,
    user_id: i64,
    id: i64,
) -> Result<(Membership, IncomingWebhookRow), AppError> {
    let membership = access::workspace(conn, slug, user_id)?;
    let row = IncomingWebhookRow::find(conn, id)?
        .filter(|r| r.workspace_id == membership.workspace.id)
        .ok_or_else(|| not_found(id))?;
    may_manage_integration(membership.role, membership.workspace.members_add_integrations, row.created_by == user_id)?;
    Ok((membership, row))
}

/// Makes an incoming webhook; the answer holds its URLs, shown this once.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    form: NewHook,
) -> Result<wire::IncomingWebhook, AppError> {
    let name = parse_name(&form.name)?;
    let icon_url = parse_icon(form.icon_url.as_deref())?;
    let secret = security::random_alphanumeric(32);
    let hash = security::token_hash(&secret);
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, .. } = managing(tx, &slug, user_id)?;
            check_channel(tx, workspace.id, user_id, form.channel_id)?;
            let now = db::now();
            let row = NewIncomingWebhook {
                workspace_id: workspace.id,
                channel_id: form.channel_id,
                created_by: user_id,
                name: &name,
                icon_url: icon_url.as_deref(),
                token_hash: &hash,
                channel_locked: form.channel_locked,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            info(tx, &state2, &row, Some(&secret))
        })
        .await
}

/// The workspace's incoming webhooks (admins see all; members their own), oldest first.
pub async fn list(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::IncomingWebhook>, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let membership = managing(conn, &slug, user_id)?;
            let mut out = Vec::new();
            for row in IncomingWebhookRow::of_workspace(conn, membership.workspace.id)? {
                if membership.role.is_admin() || row.created_by == user_id {
                    out.push(info(conn, &state2, &row, None)?);
                }
            }
            Ok(out)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<wire::IncomingWebhook, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let (_, row) = managed_hook(conn, &slug, user_id, id)?;
            info(conn, &state2, &row, None)
        })
        .await
}

/// Changes a hook; with a new secret, the answer holds the new URLs.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    id: i64,
    changes: HookChanges,
) -> Result<wire::IncomingWebhook, AppError> {
    let name = changes.name.as_deref().map(parse_name).transpose()?;
    let icon_url = match &changes.icon_url {
        Some(icon) => Some(parse_icon(icon.as_deref())?),
        None => None,
    };
    let secret = changes.regenerate_secret.then(|| security::random_alphanumeric(32));
    let hash = secret.as_deref().map(security::token_hash);
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let (membership, row) = managed_hook(tx, &slug, user_id, id)?;
            if let Some(channel_id) = changes.channel_id.filter(|c| *c != row.channel_id) {
                check_channel(tx, membership.workspace.id, user_id, channel_id)?;
                // Its messages are posted with its creator's rights: they must reach it too.
                check_channel(tx, membership.workspace.id, row.created_by, channel_id).map_err(|_| {
                    AppError::forbidden(
                        Code::NotInChannel,
                        "The webhook's creator cannot post in that channel, so the webhook could not either.",
                    )
                })?;
            }
            let updated = IncomingWebhookRow::update(
                tx,
                id,
                &WebhookChanges {
                    channel_id: changes.channel_id,
                    name: name.as_deref(),
                    icon_url: icon_url.as_ref().map(Option::as_deref),
                    token_hash: hash.as_deref(),
                    channel_locked: changes.channel_locked,
                    disabled: changes.disabled,
                    updated_at: Some(db::now()),
                },
            )?;
            info(tx, &state2, &updated, secret.as_deref())
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<(), AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            managed_hook(tx, &slug, user_id, id)?;
            IncomingWebhookRow::delete(tx, id)?;
            Ok(())
        })
        .await
}

/// How a hook's URL was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address<'a> {
    /// `/hooks/<secret>`
    Hearth,
    /// `/services/<T…>/<B…>/<secret>`: the ids must be the hook's.
    Slack { team: &'a str, hook: &'a str },
}

/// Why a payload was not posted, as Slack answers: a status and a plain-text code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Refusal {
        Refusal { status, code, message: message.into(), retry_after_secs: None }
    }

    fn from_payload(e: &PayloadError) -> Refusal {
        Refusal::new(400, e.code(), e.message())
    }

    /// The Slack answer for a refusal of the message use case.
    fn from_app(e: &AppError) -> Refusal {
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

fn no_service() -> Refusal {
    Refusal::new(404, "no_service", "There is no such webhook, or it was disabled or removed.")
}

/// Posts what a sender sent to a hook's URL. `secret` is the URL's last part.
pub async fn receive(
    state: &AppState,
    address: Address<'_>,
    secret: &str,
    content_type: &str,
    body: &[u8],
) -> Result<wire::Message, Refusal> {
    let hash = security::token_hash(secret);
    let hook = state
        .db
        .read(move |conn| Ok(IncomingWebhookRow::find_by_token_hash(conn, &hash)?))
        .await
        .map_err(|e| Refusal::from_app(&e))?;
    let Some(hook) = hook else {
        return Err(no_service());
    };
    if let Address::Slack { team, hook: id } = address {
        if parse_id(team, &['T']) != Some(hook.workspace_id) || parse_id(id, &['B']) != Some(hook.id) {
            return Err(Refusal::new(403, "invalid_token", "The URL's secret does not belong to that webhook."));
        }
    }
    if hook.disabled {
        return Err(no_service());
    }
    if let Err(wait) = state.limits.hook(hook.id) {
        let mut refusal = Refusal::new(429, "rate_limited", "This webhook is sending too fast; slow down.");
        refusal.retry_after_secs = Some(wait.as_secs().max(1));
        return Err(refusal);
    }
    let outcome = post_payload(state, &hook, content_type, body).await;
    let (ok, status, detail) = match &outcome {
        Ok(_) => (true, 200, String::new()),
        Err(r) => (false, r.status, format!("{}: {}", r.code, r.message)),
    };
    let stale = hook.last_used_at.is_none_or(|at| db::now() - at > TOUCH_EVERY);
    if !ok || stale {
        let id = hook.id;
        let logged = state
            .db
            .write(move |tx| {
                let now = db::now();
                if ok {
                    IncomingWebhookRow::touch(tx, id, now)?;
                } else {
                    let detail: String = detail.chars().take(500).collect();
                    let (integration, status) = (INCOMING, Some(i32::from(status)));
                    NewLog { integration, integration_id: id, at: now, ok, status, detail: &detail, latency_ms: None }
                        .insert(tx)?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = logged {
            tracing::warn!(hook = id, error = %e, "cannot record a webhook's use");
        }
    }
    outcome
}

/// Where a payload asks to go: a channel, or a direct message with someone.
#[derive(Debug, Clone, Copy)]
enum Destination {
    Channel(i64),
    DirectMessage(i64),
}

fn destination(conn: &mut Conn, hook: &IncomingWebhookRow, incoming: &Incoming) -> Result<Destination, Refusal> {
    let unknown_user = || Refusal::new(400, "user_not_found", "No active member of this workspace has that name.");
    let app = |e: AppError| Refusal::from_app(&e);
    let (channel_id, dm_with) = match &incoming.channel {
        None => (hook.channel_id, None),
        Some(Asked::ChannelId(id)) => {
            // Only a channel of the hook's own workspace, whatever else its creator is in.
            let channel = ChannelRow::find(conn, *id).map_err(|e| app(e.into()))?;
            match channel.filter(|c| c.workspace_id == hook.workspace_id) {
                Some(c) => (c.id, None),
                None => return Err(Refusal::new(404, "channel_not_found", format!("There is no channel C{id} here."))),
            }
        }
        Some(Asked::Name(name)) => {
            let found = ChannelRow::find_by_names(conn, hook.workspace_id, std::slice::from_ref(name))
                .map_err(|e| app(e.into()))?;
            let channel = found
                .into_iter()
                .next()
                .ok_or_else(|| Refusal::new(404, "channel_not_found", format!("There is no channel #{name}.")))?;
            (channel.id, None)
        }
        Some(Asked::User(name)) => {
            let user = UserRow::find_by_username(conn, name).map_err(|e| app(e.into()))?.ok_or_else(unknown_user)?;
            (0, Some(user.id))
        }
        Some(Asked::UserId(id)) => (0, Some(*id)),
    };
    if let Some(other) = dm_with {
        let member = MemberRow::find(conn, hook.workspace_id, other).map_err(|e| app(e.into()))?;
        if member.is_none_or(|m| m.deactivated_at.is_some()) {
            return Err(unknown_user());
        }
        if hook.channel_locked {
            return Err(Refusal::new(403, "action_prohibited", "This webhook posts only to its own channel."));
        }
        return Ok(Destination::DirectMessage(other));
    }
    if hook.channel_locked && channel_id != hook.channel_id {
        return Err(Refusal::new(403, "action_prohibited", "This webhook posts only to its own channel."));
    }
    Ok(Destination::Channel(channel_id))
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

async fn post_payload(
    state: &AppState,
    hook: &IncomingWebhookRow,
    content_type: &str,
    body: &[u8],
) -> Result<wire::Message, Refusal> {
    let incoming = Incoming::read(&payload::body_json(content_type, body).map_err(|e| Refusal::from_payload(&e))?)
        .map_err(|e| Refusal::from_payload(&e))?;
    let lookup = (hook.clone(), incoming.clone());
    let (creator, target) = state
        .db
        .read(move |conn| {
            let (hook, incoming) = lookup;
            let Some(creator) = active_creator(conn, hook.workspace_id, hook.created_by)? else {
                return Ok(Err(Refusal::new(
                    403,
                    "action_prohibited",
                    "The webhook's creator is no longer active here.",
                )));
            };
            Ok(destination(conn, &hook, &incoming).map(|t| (creator, t)))
        })
        .await
        .map_err(|e| Refusal::from_app(&e))??;
    let actor = Actor { user: creator, credential: Credential::IncomingWebhook(hook.id) };
    let channel_id = match target {
        Destination::DirectMessage(other) => {
            let ws = hook.workspace_id;
            let slug = state
                .db
                .read(move |conn| Ok(WorkspaceRow::find(conn, ws)?.slug))
                .await
                .map_err(|e| Refusal::from_app(&e))?;
            let (dm, _) =
                super::channels::open_dm(state, &actor, &slug, &[other]).await.map_err(|e| Refusal::from_app(&e))?;
            dm.id
        }
        Destination::Channel(id) => id,
    };
    let thread_root_id = match incoming.thread_ts.as_deref() {
        Some(ts) => Some(thread_root(state, channel_id, ts).await?),
        None => None,
    };
    let shown = Shown { name: hook.name.clone(), icon_url: hook.icon_url.clone(), webhook_id: Some(hook.id) };
    let target = Target { workspace_id: hook.workspace_id, channel_id, thread_root_id };
    post_as_integration(state, &actor, target, incoming, shown).await
}

/// The member who made an integration, if still active in its workspace.
pub fn active_creator(conn: &mut Conn, workspace_id: i64, user_id: i64) -> Result<Option<UserRow>, AppError> {
    let creator = UserRow::find(conn, user_id)?;
    let active = creator.deactivated_at.is_none()
        && MemberRow::find(conn, workspace_id, creator.id)?.is_some_and(|m| m.deactivated_at.is_none());
    Ok(active.then_some(creator))
}

/// Whom an integration's message shows as, unless its payload says otherwise.
#[derive(Debug, Clone)]
pub struct Shown {
    pub name: String,
    pub icon_url: Option<String>,
    pub webhook_id: Option<i64>,
}

/// Where an integration's message goes.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub workspace_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
}

/// Posts a payload (an incoming webhook's, or an outgoing webhook's reply) as the
/// integration: its references looked up, its `mrkdwn` translated, through the message use
/// case with `actor`'s rights.
pub async fn post_as_integration(
    state: &AppState,
    actor: &Actor,
    target: Target,
    mut incoming: Incoming,
    shown: Shown,
) -> Result<wire::Message, Refusal> {
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
    let bot = wire::Bot {
        name: incoming.username.clone().unwrap_or(shown.name),
        icon_url: incoming.icon_url.clone().or(shown.icon_url),
        icon_emoji: incoming.icon_emoji.clone(),
        webhook_id: shown.webhook_id,
        props: incoming.props.clone().map(serde_json::Value::Object),
        kind: incoming.kind.clone(),
        priority: incoming.priority.as_ref().map(|p| p.priority.clone()),
    };
    let form = PostForm {
        text,
        thread_root_id: target.thread_root_id,
        bot: Some(bot),
        cards: incoming.cards,
        ..PostForm::default()
    };
    let posted = messages::post(state, actor, target.channel_id, form).await.map_err(|e| Refusal::from_app(&e))?;
    Ok(posted.message)
}

/// The message a `thread_ts` names: a hearth message id, or Slack's `seconds.micros` of
/// when it was posted, in the channel the payload goes to.
async fn thread_root(state: &AppState, channel_id: i64, ts: &str) -> Result<i64, Refusal> {
    let missing =
        || Refusal::new(404, "thread_not_found", format!("There is no message {ts} in that channel to reply to."));
    let at = parse_ts(ts).ok_or_else(missing)?;
    let found = state
        .db
        .read(move |conn| Ok(MessageRow::find_by_ts(conn, channel_id, at)?))
        .await
        .map_err(|e| Refusal::from_app(&e))?;
    found.ok_or_else(missing)
}

/// How long the integrations' log keeps what happened.
const LOG_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// Deletes log entries older than a week; returns how many.
pub async fn prune_log(db: &crate::db::Db) -> Result<usize, AppError> {
    let before = db::now() - LOG_RETENTION;
    db.write(move |tx| Ok(LogRow::prune(tx, before)?)).await
}
