//! The job worker, one per node: claims due jobs under a lease, carries each out, and
//! records the outcome, retrying failures with capped, jittered exponential back-off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::NaiveDateTime;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::{Deliverer, Failure, Job, LINK_PLACEHOLDER, LinkKind, SecretLink};
use crate::db::email_verifications::VerificationRow;
use crate::db::invitations::InvitationRow;
use crate::db::jobs::{Claim, JobRow};
use crate::db::password_resets::ResetRow;
use crate::db::{self, Db};
use crate::domain::jobs::backoff;
use crate::error::AppError;
use crate::mail::{Mail, MailError, Mailer};
use crate::security;
use crate::storage::Storage;
use crate::workers::Workers;

/// How long a claimed job belongs to its worker. A worker that dies mid-attempt leaves the
/// job to be claimed again once this has passed.
pub const LEASE: Duration = Duration::from_secs(300);

/// The longest one attempt may take; well inside the lease, so that a live worker never
/// sees its job taken over.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a stopping node lets a job attempt in progress go on before handing it back;
/// well inside the default grace period, which the record that follows needs too.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// How many jobs one node carries out at once.
const CONCURRENT: usize = 8;

/// How many of those may be deliveries to other people's servers, so that receivers that
/// never answer cannot hold up the mail and the clean-up.
const DELIVERY_SLOTS: usize = 6;

/// How often an idle worker looks for jobs it was not woken for: enqueued by another node
/// or by the command line, or freed by an expired lease.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Tries at writing an attempt's outcome while the database is away, before the job is
/// left to run again after its lease.
const RECORD_TRIES: u32 = 5;

/// What the worker carries jobs out with.
pub struct Tools {
    pub mailer: Mailer,
    pub storage: Storage,
    /// Outgoing webhooks' deliveries.
    pub deliverer: Arc<dyn Deliverer>,
}

/// Starts this node's worker.
pub fn start(workers: &Workers, db: Db, tools: Tools, retry_base: Duration) {
    let name = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
    let Tools { mailer, storage, deliverer } = tools;
    let delivering = Arc::new(AtomicUsize::new(0));
    let worker = Arc::new(Worker { db, mailer, storage, deliverer, retry_base, name, delivering });
    workers.spawn("jobs", move |stop| worker.run(stop));
}

struct Worker {
    db: Db,
    mailer: Mailer,
    storage: Storage,
    deliverer: Arc<dyn Deliverer>,
    retry_base: Duration,
    /// Written into `claimed_by`: which process holds a job.
    name: String,
    /// Deliveries in hand.
    delivering: Arc<AtomicUsize>,
}

/// What a claim found.
enum Claimed {
    Job(JobRow),
    /// Nothing due; the next unclaimed job falls due then, if there is one.
    Idle(Option<NaiveDateTime>),
}

impl Worker {
    /// Runs up to `CONCURRENT` jobs at once until stopped, so that a slow receiver of a
    /// webhook holds up one slot, not the mail. A stop lets the jobs in hand finish.
    async fn run(self: Arc<Self>, stop: CancellationToken) {
        let slots = Arc::new(Semaphore::new(CONCURRENT));
        let mut running = tokio::task::JoinSet::new();
        let mut enqueued = self.db.subscribe_jobs();
        while !stop.is_cancelled() {
            // A job enqueued from here on wakes the wait below, even if the claim misses it.
            enqueued.mark_unchanged();
            while running.try_join_next().is_some() {}
            let permit = tokio::select! {
                () = stop.cancelled() => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let kinds: Vec<&'static str> = if self.delivering.load(Ordering::Acquire) >= DELIVERY_SLOTS {
                Job::KINDS.iter().copied().filter(|k| !Job::is_delivery(k)).collect()
            } else {
                Job::KINDS.to_vec()
            };
            let rest = match self.claim(kinds).await {
                Ok(Claimed::Job(row)) => {
                    let delivery = Job::is_delivery(&row.kind);
                    if delivery {
                        self.delivering.fetch_add(1, Ordering::AcqRel);
                    }
                    let (worker, stop) = (self.clone(), stop.clone());
                    running.spawn(async move {
                        worker.attempt(row, &stop).await;
                        if delivery {
                            worker.delivering.fetch_sub(1, Ordering::AcqRel);
                        }
                        drop(permit);
                    });
                    continue;
                }
                Ok(Claimed::Idle(next)) => next
                    .and_then(|at| (at - db::now()).to_std().ok())
                    .map_or(POLL_INTERVAL, |until| until.min(POLL_INTERVAL)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim jobs");
                    POLL_INTERVAL
                }
            };
            drop(permit);
            tokio::select! {
                () = stop.cancelled() => break,
                _ = enqueued.changed() => {}
                () = tokio::time::sleep(rest) => {}
            }
        }
        while running.join_next().await.is_some() {}
    }

    async fn claim(&self, kinds: Vec<&'static str>) -> Result<Claimed, AppError> {
        let name = self.name.clone();
        self.db
            .write_background(move |tx| {
                let now = db::now();
                let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::minutes(5));
                match JobRow::claim(tx, &kinds, &name, now, lease_until)? {
                    Some(row) => Ok(Claimed::Job(row)),
                    None => Ok(Claimed::Idle(JobRow::next_due(tx)?)),
                }
            })
            .await
    }

    /// Carries out one claimed attempt and records how it went. A stop lets the attempt
    /// finish for `STOP_WAIT`; one still running then is handed back untried, so that the
    /// job runs again at once elsewhere or after the restart instead of after its lease.
    async fn attempt(&self, row: JobRow, stop: &CancellationToken) {
        let claim = Claim { id: row.id, claimed_by: self.name.clone(), attempt: row.attempts };
        let outcome = match Job::decode(&row.kind, &row.payload) {
            Ok(job) => {
                let finished = {
                    let performed = tokio::time::timeout(ATTEMPT_TIMEOUT, self.perform(&job, &row));
                    tokio::pin!(performed);
                    tokio::select! {
                        done = &mut performed => Some(done),
                        () = stop.cancelled() => tokio::time::timeout(STOP_WAIT, &mut performed).await.ok(),
                    }
                };
                match finished {
                    Some(Ok(Ok(()))) => Ok(job),
                    Some(Ok(Err(failure))) => Err(failure),
                    Some(Err(_)) => Err(Failure::Transient(format!("timed out after {} s", ATTEMPT_TIMEOUT.as_secs()))),
                    None => {
                        tracing::info!(job = row.id, "stopping: a job attempt in progress was handed back");
                        self.record(claim, Outcome::Released).await;
                        return;
                    }
                }
            }
            Err(e) => Err(Failure::Permanent(format!("the stored job cannot be read: {e}"))),
        };
        let now = db::now();
        let (id, kind, attempt) = (row.id, row.kind.as_str(), row.attempts);
        let schedule =
            Job::decode(&row.kind, &row.payload).ok().and_then(|j| j.retry_wait(row.attempts, self.retry_base));
        let outcome = match outcome {
            Ok(job) => Outcome::Done(job.redacted().payload().unwrap_or_else(|_| "{}".into())),
            Err(Failure::Transient(error)) if row.attempts < row.max_attempts => {
                let wait = schedule.unwrap_or_else(|| backoff(self.retry_base, row.attempts, rand::random::<f64>()));
                let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                tracing::warn!(job = id, kind, attempt, %error, retry_at = %at, "a job attempt failed; it will be retried");
                Outcome::Retry(at, error)
            }
            Err(Failure::Transient(error) | Failure::Permanent(error)) => {
                tracing::error!(job = id, kind, attempt, %error, "a job failed for good");
                Outcome::Failed(error)
            }
        };
        self.record(claim, outcome).await;
    }

    async fn perform(&self, job: &Job, row: &JobRow) -> Result<(), Failure> {
        let mail = match job {
            Job::OutgoingWebhook(_) | Job::BotEvent(_) | Job::Reminder { .. } | Job::Notify { .. } => {
                return self.deliverer.deliver(row.id, row.attempts, row.last_error.as_deref(), job).await;
            }
            Job::RemoveFiles { keys } => {
                for key in keys {
                    self.storage.remove(key).await.map_err(|e| Failure::Transient(e.to_string()))?;
                }
                return Ok(());
            }
            Job::Mail(mail) => mail.clone(),
            Job::LinkMail { mail, link } => match self.mint(link).await? {
                Some(url) => Mail {
                    text: mail.text.replace(LINK_PLACEHOLDER, &url),
                    html: mail.html.replace(LINK_PLACEHOLDER, &url),
                    ..mail.clone()
                },
                None => {
                    tracing::info!(to = %mail.to, "a link's mail was not sent: the link was used or has expired");
                    return Ok(());
                }
            },
        };
        self.mailer.send(&mail).await.map_err(|e| match e {
            MailError::Rejected(why) => Failure::Permanent(why),
            MailError::Unavailable(why) => Failure::Transient(why),
        })
    }

    /// Makes the token of a single-use link just before its mail goes out, storing only its
    /// hash; `None` when the invitation or reset can no longer be used. A retry makes a new
    /// token, so a link from an attempt that was not recorded stops working.
    async fn mint(&self, link: &SecretLink) -> Result<Option<String>, Failure> {
        let token = security::random_token("");
        let hash = security::token_hash(&token);
        let (kind, id) = (link.kind, link.id);
        let renewed = self
            .db
            .write_background(move |tx| {
                let now = db::now();
                Ok(match kind {
                    LinkKind::Invitation => InvitationRow::renew_token(tx, id, &hash, now)?,
                    LinkKind::PasswordReset => ResetRow::renew_token(tx, id, &hash, now)?,
                    LinkKind::EmailVerification => VerificationRow::renew_token(tx, id, &hash, now)?,
                })
            })
            .await
            .map_err(|e| Failure::Transient(format!("cannot store the link: {e}")))?;
        Ok((renewed == 1).then(|| format!("{}{token}", link.url_prefix)))
    }

    /// Writes the outcome, trying a few times: a job that was done but not marked done would
    /// be done again once its lease runs out.
    async fn record(&self, claim: Claim, outcome: Outcome) {
        for tried in 1..=RECORD_TRIES {
            let (held, outcome) = (claim.clone(), outcome.clone());
            let written = self
                .db
                .write_background(move |tx| {
                    let now = db::now();
                    Ok(match &outcome {
                        Outcome::Done(kept) => JobRow::finish(tx, &held, kept, now)?,
                        Outcome::Retry(at, error) => JobRow::reschedule(tx, &held, *at, error)?,
                        Outcome::Failed(error) => JobRow::fail(tx, &held, error, now)?,
                        Outcome::Released => JobRow::release(tx, &held)?,
                    })
                })
                .await;
            match written {
                Ok(1) => return,
                Ok(_) => {
                    tracing::warn!(job = claim.id, "a job's lease ran out before its attempt ended; it was taken over");
                    return;
                }
                Err(e) if tried < RECORD_TRIES => {
                    tracing::warn!(job = claim.id, error = %e, "cannot record a job attempt; trying again");
                    tokio::time::sleep(Duration::from_secs(u64::from(tried))).await;
                }
                Err(e) => {
                    tracing::error!(job = claim.id, error = %e, "cannot record a job attempt; it runs again after its lease");
                }
            }
        }
    }
}

/// How an attempt ended, as it is written down.
#[derive(Clone)]
enum Outcome {
    /// Done; the payload to keep.
    Done(String),
    Retry(NaiveDateTime, String),
    Failed(String),
    /// Not carried out: the node is stopping.
    Released,
}
