//! Incoming webhooks: made, listed, changed and removed by the workspace's admins (and by
//! members, where the workspace lets them). What is sent to one is read in `incoming`.

use super::access::{self, Membership};
use super::{Actor, AppState};
use crate::db::channels::ChannelRow;
use crate::db::integrations::{INCOMING, IncomingWebhookRow, LogRow, NewIncomingWebhook, WebhookChanges};
use crate::db::{self, Conn};
use crate::domain::Code;
use crate::domain::slack::SlackId;
use crate::domain::workspaces::may_manage_integration;
use crate::error::AppError;
use crate::security;
use crate::wire;

/// Failures shown on a hook's page.
const RECENT_FAILURES: i64 = 10;
/// The longest hook name.
const MAX_NAME: usize = 80;
/// Incoming webhooks one workspace may have.
const MAX_HOOKS: usize = 500;
/// Slack's limit for icon addresses.
const MAX_ICON_URL: usize = 255;

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
            if IncomingWebhookRow::of_workspace(tx, workspace.id)?.len() >= MAX_HOOKS {
                return Err(AppError::conflict(
                    Code::TooManyIntegrations,
                    format!("A workspace can have at most {MAX_HOOKS} incoming webhooks; remove one first."),
                ));
            }
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
            // A new secret would let whoever holds it post with the creator's rights.
            if changes.regenerate_secret && row.created_by != user_id {
                return Err(AppError::forbidden(
                    Code::NotCreator,
                    "Only the webhook's creator can give it a new secret; an admin can disable or remove it.",
                ));
            }
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

/// How long the integrations' log keeps what happened.
const LOG_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// Deletes log entries older than a week; returns how many.
pub async fn prune_log(db: &crate::db::Db) -> Result<usize, AppError> {
    let before = db::now() - LOG_RETENTION;
    db.write(move |tx| Ok(LogRow::prune(tx, before)?)).await
}
