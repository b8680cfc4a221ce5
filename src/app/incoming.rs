//! What a sender sends to an incoming webhook's URL, as Slack and Mattermost senders send
//! it: the hook found by its secret, the payload read, its destination checked, and the
//! message posted as the integration.

use super::as_integration::{Refusal, Shown, Target, active_creator, post_as_integration};
use super::{Actor, AppState, Credential};
use crate::db::channels::ChannelRow;
use crate::db::integrations::{INCOMING, IncomingWebhookRow, NewLog};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::db::{self, Conn};
use crate::domain::slack::payload::Target as Asked;
use crate::domain::slack::payload::{self, Incoming};
use crate::domain::slack::{parse_id, parse_ts};
use crate::error::AppError;
use crate::security;
use crate::wire;

/// How stale `last_used_at` may get before a post writes it again: one write a minute at
/// most, however busy the hook.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// How a hook's URL was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address<'a> {
    /// `/hooks/<secret>`
    Hearth,
    /// `/services/<T…>/<B…>/<secret>`: the ids must be the hook's.
    Slack { team: &'a str, hook: &'a str },
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
    let shown =
        Shown { name: hook.name.clone(), icon_url: hook.icon_url.clone(), webhook_id: Some(hook.id), bot_id: None };
    let target = Target { workspace_id: hook.workspace_id, channel_id, thread_root_id, broadcast: false };
    post_as_integration(state, &actor, target, incoming, shown).await
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
