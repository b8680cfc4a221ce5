//! Durable jobs: everything that leaves the process (mail now; webhook deliveries, slash
//! command replies and notifications later) is a row in `jobs`, written in the transaction
//! that causes it and carried out by the worker (`worker.rs`), with retries, across
//! restarts, and never twice on purpose.

mod worker;

pub use worker::{LEASE, Tools, start};

use crate::domain::Code;
use serde::{Deserialize, Serialize};

use crate::db::jobs::{JobRow, NewJob};
use crate::db::{self, Conn, Db, Tx};
use crate::domain::jobs::JobFilter;
use crate::error::AppError;
use crate::mail::Mail;
use crate::wire::Time;

/// A piece of outbound work and everything needed to do it. Stored as its `kind` and the
/// JSON of its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    /// One message to one recipient.
    Mail(Mail),
    /// A message carrying a single-use link (an invitation, a password reset). The stored
    /// message holds `LINK_PLACEHOLDER` where the link goes: its token is made when the mail
    /// is sent, and only its hash is ever stored, so the database never holds a usable link.
    LinkMail { mail: Mail, link: SecretLink },
    /// Objects of deleted files, removed from storage once their grace period has passed.
    RemoveFiles { keys: Vec<String> },
    /// One message sent to one outgoing webhook's callback URL.
    OutgoingWebhook(Box<Delivery>),
    /// One event sent to a bot's request URL (Slack's Events API).
    BotEvent(Box<BotEvent>),
    /// A `/remind` reminder, enqueued to run at its time.
    Reminder { reminder_id: i64 },
    /// A person's notifications that fell due: one mail for what they still miss.
    Notify { user_id: i64 },
}

/// What a bot is sent of one event, but for the envelope's token and signature (made when
/// it is sent). `event_id` is the same on every attempt, for the bot to de-duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BotEvent {
    pub bot_id: i64,
    /// Where it happened: sent only while the bot is still in it.
    #[serde(default)]
    pub channel_id: i64,
    pub event_id: String,
    pub event_time: i64,
    pub team_id: String,
    pub event: serde_json::Value,
}

/// What an outgoing webhook's delivery sends, but for its token (derived when it is sent,
/// so that no secret is stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub hook_id: i64,
    pub url: String,
    pub channel_id: i64,
    pub message_id: i64,
    /// The thread of the message: a reply asked for in it goes there.
    pub thread_root_id: Option<i64>,
    pub body: crate::domain::slack::outgoing::Outgoing,
}

/// Carries out the jobs that post or deliver (outgoing webhooks, bots' events, reminders)
/// for the job worker: the integrations module, which can post messages (the worker itself
/// knows nothing of them).
pub trait Deliverer: Send + Sync {
    /// Attempt `attempt` (1 for the first) of job `job_id`, a delivery; `last_error` is
    /// what the previous attempt recorded.
    fn deliver<'a>(
        &'a self,
        job_id: i64,
        attempt: i32,
        last_error: Option<&'a str>,
        job: &'a Job,
    ) -> futures_util::future::BoxFuture<'a, Result<(), Failure>>;
}

/// How an attempt ended badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Trying again may work.
    Transient(String),
    /// It never will: give up now.
    Permanent(String),
}

/// Where a link-carrying mail's link comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretLink {
    pub kind: LinkKind,
    /// The invitation's or reset's id.
    pub id: i64,
    /// The link up to its token: `https://chat.example.com/invitations/`.
    pub url_prefix: String,
}

/// What a single-use link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Invitation,
    PasswordReset,
    EmailVerification,
}

/// Stands where the link goes in a stored `LinkMail`.
pub const LINK_PLACEHOLDER: &str = "%%hearth-single-use-link%%";

impl Job {
    /// Every kind this build can carry out; a worker claims only these, so a node of an
    /// older version leaves a newer kind to the nodes that know it.
    pub const KINDS: &'static [&'static str] =
        &["mail", "link_mail", "remove_files", "outgoing_webhook", "bot_event", "reminder", "notify"];

    /// Whether jobs of this kind deliver to servers hearth does not run.
    pub fn is_delivery(kind: &str) -> bool {
        kind == "outgoing_webhook" || kind == "bot_event"
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Job::Mail(_) => "mail",
            Job::LinkMail { .. } => "link_mail",
            Job::RemoveFiles { .. } => "remove_files",
            Job::OutgoingWebhook(_) => "outgoing_webhook",
            Job::BotEvent(_) => "bot_event",
            Job::Reminder { .. } => "reminder",
            Job::Notify { .. } => "notify",
        }
    }

    /// How long to wait after failed attempt `attempt` when the kind has a schedule of its
    /// own: deliveries are retried at once, then after 2 and 10 back-off bases (60 s and
    /// 5 minutes by default), as Slack retries its events. `None`: the usual back-off.
    pub fn retry_wait(&self, attempt: i32, base: std::time::Duration) -> Option<std::time::Duration> {
        match self {
            Job::OutgoingWebhook(_) | Job::BotEvent(_) => Some(match attempt {
                ..=1 => std::time::Duration::ZERO,
                2 => base * 2,
                _ => base * 10,
            }),
            _ => None,
        }
    }

    /// How many attempts before the job is given up on. With the default 30 s back-off
    /// base, mail is tried for two to three hours.
    pub fn max_attempts(&self) -> i32 {
        match self {
            Job::Mail(_)
            | Job::LinkMail { .. }
            | Job::RemoveFiles { .. }
            | Job::Reminder { .. }
            | Job::Notify { .. } => 10,
            Job::OutgoingWebhook(_) | Job::BotEvent(_) => 4,
        }
    }

    /// What the job is about, for operators, without its contents: mail bodies hold
    /// single-use links.
    pub fn summary(&self) -> String {
        match self {
            Job::Mail(mail) | Job::LinkMail { mail, .. } => format!("mail to {}: {}", mail.to, mail.subject),
            Job::RemoveFiles { keys } => format!("remove {} stored object(s) of deleted files", keys.len()),
            Job::OutgoingWebhook(d) => {
                format!("message {} to outgoing webhook {} at {}", d.message_id, d.hook_id, d.url)
            }
            Job::BotEvent(e) => {
                let kind = e.event.get("type").and_then(serde_json::Value::as_str).unwrap_or("event");
                format!("{kind} {} to bot {}", e.event_id, e.bot_id)
            }
            Job::Reminder { reminder_id } => format!("reminder {reminder_id}"),
            Job::Notify { user_id } => format!("notifications due for user {user_id}"),
        }
    }

    /// What is kept of a job once done: enough to say what it was, no secrets.
    fn redacted(&self) -> Job {
        match self {
            Job::Mail(mail) => Job::Mail(without_bodies(mail)),
            Job::LinkMail { mail, link } => Job::LinkMail { mail: without_bodies(mail), link: link.clone() },
            Job::RemoveFiles { keys } => Job::RemoveFiles { keys: keys.clone() },
            Job::OutgoingWebhook(d) => Job::OutgoingWebhook(Box::new(Delivery {
                body: crate::domain::slack::outgoing::Outgoing { text: String::new(), ..d.body.clone() },
                ..(**d).clone()
            })),
            Job::BotEvent(e) => {
                let mut event = e.event.clone();
                if let Some(o) = event.as_object_mut() {
                    o.remove("text");
                }
                Job::BotEvent(Box::new(BotEvent { event, ..(**e).clone() }))
            }
            Job::Reminder { reminder_id } => Job::Reminder { reminder_id: *reminder_id },
            Job::Notify { user_id } => Job::Notify { user_id: *user_id },
        }
    }

    /// The stored payload: the JSON of the job without its kind.
    fn payload(&self) -> Result<String, serde_json::Error> {
        let mut tagged = serde_json::to_value(self)?;
        Ok(tagged.get_mut("payload").map(serde_json::Value::take).unwrap_or_default().to_string())
    }

    /// Reads a stored job back.
    pub fn decode(kind: &str, payload: &str) -> Result<Job, serde_json::Error> {
        let payload: serde_json::Value = serde_json::from_str(payload)?;
        serde_json::from_value(serde_json::json!({ "kind": kind, "payload": payload }))
    }
}

fn without_bodies(mail: &Mail) -> Mail {
    Mail { text: String::new(), html: String::new(), ..mail.clone() }
}

/// Enqueues a job in the caller's transaction: it exists if and only if the change that
/// causes it commits. The node's worker is woken after the commit.
pub fn enqueue(tx: &mut Tx<'_>, job: &Job) -> Result<i64, AppError> {
    enqueue_at(tx, job, db::now())
}

/// Enqueues a job that is not to run before `run_at`.
pub fn enqueue_at(tx: &mut Tx<'_>, job: &Job, run_at: chrono::NaiveDateTime) -> Result<i64, AppError> {
    let payload = job.payload().map_err(|e| AppError::Unexpected(e.into()))?;
    let now = db::now();
    let id = NewJob { kind: job.kind(), payload: &payload, max_attempts: job.max_attempts(), run_at, created_at: now }
        .insert(tx)?;
    tx.enqueued = true;
    Ok(id)
}

/// Enqueues many jobs, each not to run before its time, in a few statements.
pub fn enqueue_many_at(tx: &mut Tx<'_>, jobs: &[(Job, chrono::NaiveDateTime)]) -> Result<(), AppError> {
    if jobs.is_empty() {
        return Ok(());
    }
    let payloads = jobs
        .iter()
        .map(|(job, _)| job.payload())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Unexpected(e.into()))?;
    let now = db::now();
    let rows: Vec<NewJob<'_>> = jobs
        .iter()
        .zip(&payloads)
        .map(|((job, run_at), payload)| NewJob {
            kind: job.kind(),
            payload,
            max_attempts: job.max_attempts(),
            run_at: *run_at,
            created_at: now,
        })
        .collect();
    NewJob::insert_many(tx, &rows)?;
    tx.enqueued = true;
    Ok(())
}

/// A job as operators see it (`GET /api/v1/admin/jobs`, `hearth admin jobs`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobInfo {
    pub id: i64,
    pub kind: String,
    /// `pending` (waiting to run, or for its next attempt), `running` (a worker holds it),
    /// `failed` (given up on), or `done`.
    pub state: String,
    /// What it is about, without its contents.
    pub summary: String,
    /// Attempts started so far.
    pub attempts: i32,
    pub max_attempts: i32,
    /// When the next attempt may start.
    #[schema(value_type = String, format = DateTime)]
    pub run_at: Time,
    /// Why the latest failed attempt failed.
    pub last_error: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub failed_at: Option<Time>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<Time>,
}

impl JobInfo {
    fn new(row: JobRow, now: chrono::NaiveDateTime) -> JobInfo {
        let JobRow {
            id,
            kind,
            payload,
            attempts,
            max_attempts,
            run_at,
            locked_until,
            claimed_by: _,
            last_error,
            created_at,
            done_at,
            failed_at,
        } = row;
        let state = match (failed_at, done_at) {
            (Some(_), _) => "failed",
            (None, Some(_)) => "done",
            _ if locked_until.is_some_and(|until| until > now) => "running",
            _ => "pending",
        };
        let summary = match Job::decode(&kind, &payload) {
            Ok(job) => job.summary(),
            Err(_) => format!("{kind} (not readable by this version of hearth)"),
        };
        JobInfo {
            id,
            kind,
            state: state.to_owned(),
            summary,
            attempts,
            max_attempts,
            run_at: Time(run_at),
            last_error,
            created_at: Time(created_at),
            failed_at: failed_at.map(Time),
            done_at: done_at.map(Time),
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobPage {
    pub jobs: Vec<JobInfo>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Jobs not yet done that match `filter`, newest first, `limit` at a time, continuing
/// below `cursor` (a job id from `next_cursor`).
pub fn page(conn: &mut Conn, filter: JobFilter, cursor: Option<i64>, limit: usize) -> Result<JobPage, AppError> {
    let failed = match filter {
        JobFilter::Unfinished => None,
        JobFilter::Failed => Some(true),
        JobFilter::Pending => Some(false),
    };
    let limit = limit.clamp(1, 200);
    // One more than asked says whether another page follows.
    let mut rows = JobRow::list(conn, failed, cursor, limit as i64 + 1)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more { rows.last().map(|r| r.id.to_string()) } else { None };
    let now = db::now();
    Ok(JobPage { jobs: rows.into_iter().map(|r| JobInfo::new(r, now)).collect(), next_cursor })
}

/// Gives a failed job a fresh set of attempts, starting now.
pub fn retry(tx: &mut Tx<'_>, id: i64) -> Result<JobInfo, AppError> {
    let not_found = || AppError::not_found(Code::JobNotFound, format!("There is no job {id}."));
    let job = JobRow::find(tx, id)?.ok_or_else(not_found)?;
    if job.failed_at.is_none() {
        let state = if job.done_at.is_some() { "done" } else { "still pending" };
        return Err(AppError::conflict(
            Code::JobNotFailed,
            format!("Job {id} is {state}; only failed jobs are retried."),
        ));
    }
    let now = db::now();
    JobRow::retry(tx, id, now)?;
    tx.enqueued = true;
    Ok(JobInfo::new(JobRow::find(tx, id)?.ok_or_else(not_found)?, now))
}

/// How long done jobs are kept (their payloads already stripped of bodies), for operators
/// looking into what was sent.
const DONE_RETENTION: chrono::Duration = chrono::Duration::days(7);

/// Deletes jobs done longer ago than a week; returns how many.
pub async fn prune(db: &Db) -> Result<usize, AppError> {
    let before = db::now() - DONE_RETENTION;
    db.write(move |tx| Ok(JobRow::prune_done(tx, before)?)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Job {
        Job::Mail(Mail {
            to: "bob@example.com".into(),
            subject: "Hello".into(),
            text: "a secret link".into(),
            html: "<a>a secret link</a>".into(),
            ..Mail::default()
        })
    }

    #[test]
    fn a_job_reads_back_as_it_was_stored() {
        let job = mail();
        let stored = job.payload().unwrap();
        assert!(!stored.contains("\"kind\""), "the kind has its own column: {stored}");
        assert_eq!(Job::decode(job.kind(), &stored).unwrap(), job);
        assert!(Job::decode("carrier_pigeon", &stored).is_err(), "unknown kinds are not guessed at");
        assert!(Job::KINDS.contains(&job.kind()));
    }

    #[test]
    fn what_is_kept_of_a_done_job_holds_no_bodies() {
        let kept = mail().redacted().payload().unwrap();
        assert!(!kept.contains("secret"), "{kept}");
        assert_eq!(mail().redacted().summary(), mail().summary());
    }
}
