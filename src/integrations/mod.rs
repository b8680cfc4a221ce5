//! Outgoing webhooks: a cluster-wide follower of the event log turns each new message that
//! fires a hook into one durable job per callback URL (in the transaction that advances its
//! cursor, so every message is considered exactly once), and the job worker delivers them
//! through the guarded outbound client, retrying as Slack does, posting a reply back as
//! the hook.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::app::as_integration::{Shown, Target, active_creator, post_as_integration};
use crate::app::{Actor, AppState, Credential};
use crate::db::channels::ChannelRow;
use crate::db::events::EventRow;
use crate::db::integrations::{NewLog, OUTGOING, OutgoingWebhookRow};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self, Tx};
use crate::domain::channels::ChannelKind;
use crate::domain::events::EventKind;
use crate::domain::slack::outgoing::{Outgoing, TriggerWhen, triggered};
use crate::domain::slack::payload::{Incoming, PayloadError};
use crate::domain::slack::{SlackId, message_ts};
use crate::error::AppError;
use crate::events::{self as log, EventData};
use crate::jobs::{self, Deliverer, Delivery, Failure, Job};

pub mod events;
use crate::outbound::{self, Response};
use crate::wire;
use crate::workers::Workers;

/// The follower's name in `follower_cursors`.
const FOLLOWER: &str = "outgoing_webhooks";
/// Events read per step.
const BATCH: i64 = 200;
/// How long a receiver has to answer (Mattermost's default).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often an idle follower looks for events it was not woken for.
const POLL: Duration = Duration::from_secs(1);

/// Starts the followers that turn what happens into deliveries: outgoing webhooks' and
/// bots' events.
pub fn start(workers: &Workers, state: AppState) {
    follow(workers, state.clone(), "outgoing-webhooks", FOLLOWER, enqueue);
    follow(workers, state, "bot-events", events::FOLLOWER, events::enqueue);
}

/// Runs a cluster-wide follower of the event log named `name` whose steps `handle`.
pub fn follow<F>(workers: &Workers, state: AppState, task: &'static str, name: &'static str, handle: F)
where
    F: Fn(&mut Tx<'_>, &[EventRow]) -> Result<(), AppError> + Clone + Send + Sync + 'static,
{
    workers.spawn(task, move |stop| async move {
        let db = state.db.clone();
        let placed = {
            let db = db.clone();
            tokio::task::spawn_blocking(move || log::place_cluster_follower(&db, name)).await
        };
        if !matches!(placed, Ok(Ok(_))) {
            tracing::error!(follower = name, "a follower cannot find its place in the event log");
        }
        let mut wake = db.subscribe_appends();
        while !stop.is_cancelled() {
            wake.mark_unchanged();
            let (stepping, handle) = (db.clone(), handle.clone());
            let handled =
                tokio::task::spawn_blocking(move || log::step_cluster_follower(&stepping, name, BATCH, handle)).await;
            match handled {
                Ok(Ok(n)) if n > 0 => continue,
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(follower = name, error = %e, "a follower cannot step"),
                Err(e) => tracing::warn!(follower = name, error = %e, "a follower failed"),
            }
            tokio::select! {
                () = stop.cancelled() => break,
                _ = wake.changed() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    });
}

/// One step's work: a delivery job for every callback URL of every hook a new message
/// fires. Messages integrations or bots posted fire nothing (no loops); only public
/// channels' messages are sent out; a hook fires only for messages posted after it was made.
fn enqueue(tx: &mut Tx<'_>, rows: &[EventRow]) -> Result<(), AppError> {
    let mut hooks: HashMap<i64, Vec<OutgoingWebhookRow>> = HashMap::new();
    let mut workspaces: HashMap<i64, WorkspaceRow> = HashMap::new();
    // Whether a hook's creator may still have it fire, by workspace and creator.
    let mut creators: HashMap<(i64, i64), bool> = HashMap::new();
    for row in rows {
        if row.kind != EventKind::MessageCreated.as_str() {
            continue;
        }
        let Some(workspace_id) = row.workspace_id else { continue };
        let Ok(EventData::MessageCreated { message, .. }) =
            EventData::from_stored(EventKind::MessageCreated, &row.payload)
        else {
            continue;
        };
        if message.bot.is_some() {
            continue;
        }
        let of_workspace = match hooks.entry(workspace_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(OutgoingWebhookRow::enabled_of_workspace(tx, workspace_id)?)
            }
        };
        let candidates: Vec<&OutgoingWebhookRow> = of_workspace
            .iter()
            .filter(|h| h.created_at <= row.created_at && h.channel_id.is_none_or(|c| c == message.channel_id))
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let Some(channel) = ChannelRow::find(tx, message.channel_id)? else { continue };
        if channel.kind != ChannelKind::Public {
            continue;
        }
        let workspace = match workspaces.entry(workspace_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(WorkspaceRow::find(tx, workspace_id)?),
        };
        let thread_ts = match message.thread_root_id {
            Some(root) => MessageRow::find(tx, root)?.map(|r| message_ts(r.created_at)),
            None => None,
        };
        for hook in candidates {
            let acting = match creators.entry((workspace_id, hook.created_by)) {
                std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    *e.insert(active_creator(tx, workspace_id, hook.created_by)?.is_some())
                }
            };
            if !acting {
                continue;
            }
            let words: Vec<String> = hook.trigger_words.lines().map(str::to_owned).collect();
            let when = TriggerWhen::parse(&hook.trigger_when).unwrap_or(TriggerWhen::FirstWord);
            let Some(trigger_word) = triggered(&message.text, &words, when, hook.channel_id.is_some()) else {
                continue;
            };
            let body = outgoing(workspace, &channel, hook, &message, thread_ts.clone(), trigger_word);
            for url in hook.callback_urls.lines().filter(|u| !u.trim().is_empty()) {
                let delivery = Delivery {
                    hook_id: hook.id,
                    url: url.to_owned(),
                    channel_id: channel.id,
                    message_id: message.id,
                    thread_root_id: message.thread_root_id,
                    body: body.clone(),
                };
                jobs::enqueue(tx, &Job::OutgoingWebhook(Box::new(delivery)))?;
            }
        }
    }
    Ok(())
}

/// What receivers are told of a message; the token is added when it is sent.
fn outgoing(
    workspace: &WorkspaceRow,
    channel: &ChannelRow,
    hook: &OutgoingWebhookRow,
    message: &wire::Message,
    thread_ts: Option<String>,
    trigger_word: String,
) -> Outgoing {
    let at = message.created_at.0;
    Outgoing {
        token: String::new(),
        team_id: SlackId::workspace(workspace.id),
        team_domain: workspace.slug.clone(),
        service_id: SlackId::integration(hook.id),
        channel_id: SlackId::channel(channel.id),
        channel_name: channel.name.clone().unwrap_or_default(),
        timestamp: message_ts(at),
        timestamp_ms: at.and_utc().timestamp_millis(),
        thread_ts,
        user_id: SlackId::user(message.user.id),
        user_name: message.user.username.clone(),
        post_id: message.id.to_string(),
        text: message.text.clone(),
        trigger_word,
        file_ids: message.files.iter().map(|f| f.id.to_string()).collect::<Vec<_>>().join(","),
    }
}

/// Delivers outgoing webhooks' jobs for the job worker.
pub struct Deliveries {
    state: AppState,
}

impl Deliveries {
    pub fn new(state: AppState) -> Arc<Deliveries> {
        Arc::new(Deliveries { state })
    }

    async fn attempt(&self, job_id: i64, attempt: i32, last_error: Option<&str>, d: &Delivery) -> Result<(), Failure> {
        let id = d.hook_id;
        let hook = self.state.db.read(move |conn| Ok(OutgoingWebhookRow::find(conn, id)?)).await;
        let hook = match hook {
            Ok(Some(h)) if !h.disabled => h,
            Ok(_) => return Ok(()),
            Err(e) => return Err(Failure::Transient(format!("unknown_error: {e}"))),
        };
        // A retry goes only where the hook still sends, while its creator may still have it.
        if !hook.callback_urls.lines().any(|u| u == d.url) {
            return Ok(());
        }
        let (ws, creator_id) = (hook.workspace_id, hook.created_by);
        let creator = match self.state.db.read(move |conn| active_creator(conn, ws, creator_id)).await {
            Ok(Some(creator)) => creator,
            Ok(None) => return Ok(()),
            Err(e) => return Err(Failure::Transient(format!("unknown_error: {e}"))),
        };
        let mut body = d.body.clone();
        body.token = self.state.keys.outgoing_webhook_token(hook.id, hook.token_generation);
        let (content_type, bytes) = match hook.content_type.as_str() {
            "json" => ("application/json", body.json()),
            _ => ("application/x-www-form-urlencoded", body.form()),
        };
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            ("x-hearth-delivery".to_owned(), job_id.to_string()),
        ];
        if attempt > 1 {
            headers.push(("x-slack-retry-num".to_owned(), (attempt - 1).to_string()));
            let reason = last_error.and_then(|e| e.split(':').next()).unwrap_or("unknown_error");
            headers.push(("x-slack-retry-reason".to_owned(), reason.to_owned()));
        }
        let request = outbound::Request {
            url: d.url.clone(),
            content_type: content_type.to_owned(),
            body: bytes.into_bytes(),
            headers,
            timeout: DELIVERY_TIMEOUT,
        };
        let result = self.state.outbound.post(request).await;
        let outcome = match &result {
            Ok(res) if (200..300).contains(&res.status) => Ok(()),
            Ok(res) if res.header("x-slack-no-retry") == Some("1") => {
                Err(Failure::Permanent(format!("http_error: {}; the receiver asked for no retry", res.status)))
            }
            Ok(res) if res.status == 429 || res.status >= 500 => {
                Err(Failure::Transient(format!("http_error: {}", res.status)))
            }
            Ok(res) => Err(Failure::Permanent(format!("http_error: {}", res.status))),
            Err(e @ (outbound::Failure::Timeout | outbound::Failure::Connect(_))) => {
                Err(Failure::Transient(format!("{}: {e}", e.retry_reason())))
            }
            Err(e) => Err(Failure::Permanent(format!("{}: {e}", e.retry_reason()))),
        };
        let reply = match &result {
            Ok(res) if outcome.is_ok() => self.reply(&hook, creator, d, res).await,
            _ => None,
        };
        self.log(&hook, &result, &outcome, reply).await;
        outcome
    }

    /// Posts a receiver's reply (`{"text": …}`, with `attachments`, `username`, and
    /// `response_type: comment` for the thread) as the hook; what went wrong, if anything.
    async fn reply(&self, hook: &OutgoingWebhookRow, creator: UserRow, d: &Delivery, res: &Response) -> Option<String> {
        let body = std::str::from_utf8(&res.body).ok()?.trim();
        if body.is_empty() {
            return None;
        }
        let value: serde_json::Value = match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => return Some("the reply is not JSON; nothing posted".to_owned()),
        };
        let incoming = match Incoming::read(&value) {
            Ok(incoming) => incoming,
            // `{}` or an answer without text is an acknowledgement, not a reply.
            Err(PayloadError::NoText) => return None,
            Err(e) => return Some(format!("the reply was not posted: {}: {}", e.code(), e.message())),
        };
        let in_thread = value.get("response_type").and_then(serde_json::Value::as_str) == Some("comment");
        let thread_root_id = if in_thread { Some(d.thread_root_id.unwrap_or(d.message_id)) } else { None };
        let actor = Actor { user: creator, credential: Credential::OutgoingWebhook(hook.id) };
        let target =
            Target { workspace_id: hook.workspace_id, channel_id: d.channel_id, thread_root_id, broadcast: false };
        let shown = Shown { name: hook.name.clone(), icon_url: None, webhook_id: None, bot_id: None };
        match post_as_integration(&self.state, &actor, target, incoming, shown).await {
            Ok(_) => None,
            Err(r) => Some(format!("the reply was not posted: {}: {}", r.code, r.message)),
        }
    }

    async fn log(
        &self,
        hook: &OutgoingWebhookRow,
        result: &Result<Response, outbound::Failure>,
        outcome: &Result<(), Failure>,
        reply: Option<String>,
    ) {
        let (status, latency) = match result {
            Ok(res) => (Some(i32::from(res.status)), i64::try_from(res.latency.as_millis()).ok()),
            Err(_) => (None, None),
        };
        let detail = match (outcome, reply) {
            (Err(Failure::Transient(e) | Failure::Permanent(e)), _) => e.clone(),
            (Ok(()), Some(why)) => why,
            (Ok(()), None) => "delivered".to_owned(),
        };
        let (id, ok) = (hook.id, outcome.is_ok());
        let written = self
            .state
            .db
            .write(move |tx| {
                let detail: String = detail.chars().take(500).collect();
                NewLog {
                    integration: OUTGOING,
                    integration_id: id,
                    at: db::now(),
                    ok,
                    status,
                    detail: &detail,
                    latency_ms: latency,
                }
                .insert(tx)?;
                Ok(())
            })
            .await;
        if let Err(e) = written {
            tracing::warn!(hook = id, error = %e, "cannot record a delivery");
        }
    }
}

impl Deliverer for Deliveries {
    fn deliver<'a>(
        &'a self,
        job_id: i64,
        attempt: i32,
        last_error: Option<&'a str>,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            match job {
                Job::OutgoingWebhook(delivery) => self.attempt(job_id, attempt, last_error, delivery).await,
                Job::BotEvent(event) => events::attempt(&self.state, attempt, last_error, event).await,
                Job::Reminder { reminder_id } => crate::app::commands::reminders::deliver(&self.state, *reminder_id)
                    .await
                    .map_err(|e| Failure::Transient(e.to_string())),
                Job::Notify { user_id } => {
                    crate::notify::deliver(&self.state, *user_id).await.map_err(|e| Failure::Transient(e.to_string()))
                }
                _ => Err(Failure::Permanent("not a delivery".to_owned())),
            }
        })
    }
}
