//! Outgoing webhooks, made and managed like incoming ones: by the workspace's admins, and by
//! members for their own where the workspace lets them. Their deliveries are in
//! `integrations/`.

use super::access::{self, Membership};
use super::{Actor, AppState};
use crate::db::integrations::{LogRow, NewOutgoingWebhook, OUTGOING, OutgoingChanges, OutgoingWebhookRow};
use crate::db::{self, Conn};
use crate::domain::Code;
use crate::domain::channels::ChannelKind;
use crate::domain::slack::outgoing::{MAX_CALLBACK_URLS, TriggerWhen, parse_trigger_words};
use crate::domain::workspaces::may_manage_integration;
use crate::error::AppError;
use crate::wire::{self, IntegrationEvent, Time};

/// Deliveries shown with a hook.
const RECENT_DELIVERIES: i64 = 20;
const MAX_NAME: usize = 80;
/// Outgoing webhooks one workspace may have: each message is matched against all of them.
const MAX_HOOKS: usize = 100;

/// What an outgoing webhook is made of (and what a change may change: `None` keeps it).
#[derive(Debug, Clone, Default)]
pub struct HookSpec {
    pub name: Option<String>,
    /// `Some(None)`: every public channel.
    pub channel_id: Option<Option<i64>>,
    pub trigger_words: Option<Vec<String>>,
    pub trigger_when: Option<String>,
    pub callback_urls: Option<Vec<String>>,
    pub content_type: Option<String>,
    pub disabled: Option<bool>,
    /// A new token: receivers must be told it.
    pub regenerate_token: bool,
}

fn not_found(id: i64) -> AppError {
    AppError::not_found(Code::WebhookNotFound, format!("There is no outgoing webhook {id} in this workspace."))
}

fn content_type(raw: &str) -> Result<&'static str, AppError> {
    match raw.trim() {
        "form" | "application/x-www-form-urlencoded" | "" => Ok("form"),
        "json" | "application/json" => Ok("json"),
        other => Err(AppError::invalid(
            Code::InvalidCallbackUrl,
            format!(
                "content_type must be form or json (application/x-www-form-urlencoded or application/json), not \"{other}\"."
            ),
        )),
    }
}

/// Callback URLs: one to five, each an http(s) address hearth may send to (a private
/// address written in the URL is refused now; a name is checked at each delivery).
fn callback_urls(state: &AppState, urls: &[String]) -> Result<String, AppError> {
    let urls: Vec<&str> = urls.iter().map(|u| u.trim()).filter(|u| !u.is_empty()).collect();
    if urls.is_empty() || urls.len() > MAX_CALLBACK_URLS {
        return Err(AppError::invalid(
            Code::InvalidCallbackUrl,
            format!("An outgoing webhook needs one to {MAX_CALLBACK_URLS} callback URLs."),
        ));
    }
    for url in &urls {
        if url.len() > 2000 {
            return Err(AppError::invalid(Code::InvalidCallbackUrl, "A callback URL can be at most 2,000 characters."));
        }
        state
            .outbound
            .check_url(url)
            .map_err(|e| AppError::invalid(Code::InvalidCallbackUrl, format!("{url} cannot be called: {e}.")))?;
    }
    Ok(urls.join("\n"))
}

/// A hook's channel: a public channel of the workspace that `user_id` can see.
fn check_channel(conn: &mut Conn, workspace_id: i64, user_id: i64, channel_id: i64) -> Result<(), AppError> {
    let ctx = access::channel(conn, user_id, channel_id)?;
    if ctx.channel.workspace_id != workspace_id {
        return Err(AppError::not_found(Code::ChannelNotFound, "No such channel, or you cannot see it."));
    }
    if ctx.channel.kind != ChannelKind::Public {
        return Err(AppError::invalid(
            Code::ChannelNotPublic,
            "Outgoing webhooks listen only to public channels: nothing private is sent out.",
        ));
    }
    Ok(())
}

fn view(conn: &mut Conn, state: &AppState, row: &OutgoingWebhookRow) -> Result<wire::OutgoingWebhook, AppError> {
    let log = LogRow::recent(conn, OUTGOING, row.id, RECENT_DELIVERIES)?;
    Ok(wire::OutgoingWebhook {
        id: row.id,
        workspace_id: row.workspace_id,
        channel_id: row.channel_id,
        name: row.name.clone(),
        trigger_words: row.trigger_words.lines().map(str::to_owned).collect(),
        trigger_when: row.trigger_when.clone(),
        callback_urls: row.callback_urls.lines().map(str::to_owned).collect(),
        content_type: row.content_type.clone(),
        token: state.keys.outgoing_webhook_token(row.id, row.token_generation),
        disabled: row.disabled,
        created_by: row.created_by,
        created_at: Time(row.created_at),
        recent_deliveries: log.iter().map(IntegrationEvent::from_log).collect(),
    })
}

fn managed(conn: &mut Conn, slug: &str, user_id: i64, id: i64) -> Result<(Membership, OutgoingWebhookRow), AppError> {
    let membership = access::workspace(conn, slug, user_id)?;
    let row = OutgoingWebhookRow::find(conn, id)?
        .filter(|r| r.workspace_id == membership.workspace.id)
        .ok_or_else(|| not_found(id))?;
    may_manage_integration(membership.role, membership.workspace.members_add_integrations, row.created_by == user_id)?;
    Ok((membership, row))
}

/// Checked values of a spec, as stored.
struct Checked {
    name: Option<String>,
    words: Option<String>,
    when: Option<&'static str>,
    urls: Option<String>,
    content_type: Option<&'static str>,
}

fn check(state: &AppState, spec: &HookSpec) -> Result<Checked, AppError> {
    let name = spec
        .name
        .as_deref()
        .map(|n| crate::domain::parse_label(n, MAX_NAME, Code::InvalidWebhookName, "A webhook's name"))
        .transpose()?;
    let words = spec.trigger_words.as_deref().map(parse_trigger_words).transpose()?.map(|w| w.join("\n"));
    let when = spec.trigger_when.as_deref().map(TriggerWhen::parse).transpose()?.map(TriggerWhen::as_str);
    let urls = spec.callback_urls.as_deref().map(|u| callback_urls(state, u)).transpose()?;
    let content_type = spec.content_type.as_deref().map(content_type).transpose()?;
    Ok(Checked { name, words, when, urls, content_type })
}

fn needs_a_trigger() -> AppError {
    AppError::invalid(Code::InvalidTrigger, "Give the webhook a channel, trigger words, or both.")
}

pub async fn create(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    spec: HookSpec,
) -> Result<wire::OutgoingWebhook, AppError> {
    let checked = check(state, &spec)?;
    let (Some(name), Some(urls)) = (checked.name, checked.urls) else {
        return Err(AppError::invalid(Code::InvalidWebhookName, "An outgoing webhook needs a name and callback URLs."));
    };
    let words = checked.words.unwrap_or_default();
    let channel_id = spec.channel_id.flatten();
    if channel_id.is_none() && words.is_empty() {
        return Err(needs_a_trigger());
    }
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let membership = access::workspace(tx, &slug, user_id)?;
            may_manage_integration(membership.role, membership.workspace.members_add_integrations, true)?;
            if OutgoingWebhookRow::of_workspace(tx, membership.workspace.id)?.len() >= MAX_HOOKS {
                return Err(AppError::conflict(
                    Code::TooManyIntegrations,
                    format!("A workspace can have at most {MAX_HOOKS} outgoing webhooks; remove one first."),
                ));
            }
            if let Some(channel) = channel_id {
                check_channel(tx, membership.workspace.id, user_id, channel)?;
            }
            let now = db::now();
            let row = NewOutgoingWebhook {
                workspace_id: membership.workspace.id,
                channel_id,
                created_by: user_id,
                name: &name,
                trigger_words: &words,
                trigger_when: checked.when.unwrap_or("first_word"),
                callback_urls: &urls,
                content_type: checked.content_type.unwrap_or("form"),
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            view(tx, &state2, &row)
        })
        .await
}

pub async fn list(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::OutgoingWebhook>, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let membership = access::workspace(conn, &slug, user_id)?;
            may_manage_integration(membership.role, membership.workspace.members_add_integrations, true)?;
            let mut out = Vec::new();
            for row in OutgoingWebhookRow::of_workspace(conn, membership.workspace.id)? {
                if membership.role.is_admin() || row.created_by == user_id {
                    out.push(view(conn, &state2, &row)?);
                }
            }
            Ok(out)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<wire::OutgoingWebhook, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let (_, row) = managed(conn, &slug, user_id, id)?;
            view(conn, &state2, &row)
        })
        .await
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    id: i64,
    spec: HookSpec,
) -> Result<wire::OutgoingWebhook, AppError> {
    let checked = check(state, &spec)?;
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let (membership, row) = managed(tx, &slug, user_id, id)?;
            if let Some(Some(channel)) = spec.channel_id.filter(|c| *c != row.channel_id) {
                check_channel(tx, membership.workspace.id, user_id, channel)?;
            }
            let channel_after = spec.channel_id.unwrap_or(row.channel_id);
            let words_after = checked.words.as_deref().unwrap_or(&row.trigger_words);
            if channel_after.is_none() && words_after.is_empty() {
                return Err(needs_a_trigger());
            }
            let changes = OutgoingChanges {
                channel_id: spec.channel_id,
                name: checked.name.as_deref(),
                trigger_words: checked.words.as_deref(),
                trigger_when: checked.when,
                callback_urls: checked.urls.as_deref(),
                content_type: checked.content_type,
                token_generation: spec.regenerate_token.then_some(row.token_generation + 1),
                disabled: spec.disabled,
                updated_at: Some(db::now()),
            };
            let updated = OutgoingWebhookRow::update(tx, id, &changes)?;
            view(tx, &state2, &updated)
        })
        .await
}

pub async fn delete(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<(), AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            managed(tx, &slug, user_id, id)?;
            OutgoingWebhookRow::delete(tx, id)?;
            Ok(())
        })
        .await
}
