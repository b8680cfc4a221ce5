//! Persistence: the one connection type over SQLite or PostgreSQL, the pool, migrations and
//! `Db::write`, the single path through which every change reaches the database.

pub mod bots;
pub mod channels;
pub mod commands;
pub mod email_verifications;
pub mod events;
pub mod files;
pub mod integrations;
pub mod invitations;
pub mod jobs;
pub mod listen;
pub mod locks;
pub mod login_failures;
pub mod messages;
pub mod migrations;
pub mod notifications;
pub mod password_resets;
pub mod presence;
pub mod reminders;
pub mod schema;
pub mod search;
pub mod server_settings;
pub mod sessions;
pub mod slack_uploads;
pub mod tokens;
pub mod users;
pub mod workspaces;

pub use locks::{Lock, lock, notify, try_lock};

use crate::domain::Code;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::error::AppError;

/// A connection to either backend. PostgreSQL is listed first because `establish` tries the
/// variants in order and SQLite accepts any string; the pool picks the variant itself.
#[derive(diesel::MultiConnection)]
pub enum Conn {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which engine a database URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite path
    /// (an optional `sqlite://` prefix is removed).
    pub fn of(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// How SQLite flushes commits (`PRAGMA synchronous`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSync {
    Normal,
    Full,
}

/// Options for opening a database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    pub url: String,
    pub pool_size: u32,
    pub min_idle: Option<u32>,
    pub sqlite_sync: SqliteSync,
    /// Requests' writes that may wait for the SQLite writer; past it one is refused (503).
    pub write_queue: usize,
    /// How long a request's write waits for the SQLite writer before it is refused (503).
    pub write_deadline: Duration,
}

/// Opens connections of the right variant and prepares each SQLite connection.
#[derive(Debug)]
pub struct Manager {
    backend: Backend,
    target: String,
    sqlite_sync: SqliteSync,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(Conn::Postgresql)
                .map_err(diesel::r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    diesel::SqliteConnection::establish(&self.target).map_err(diesel::r2d2::Error::ConnectionError)?;
                let sync = match self.sqlite_sync {
                    SqliteSync::Normal => "NORMAL",
                    SqliteSync::Full => "FULL",
                };
                conn.batch_execute(&format!(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = {sync};"
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(Conn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection left mid-transaction or cut off is dropped when it comes back.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        use diesel::r2d2::R2D2Connection;
        match conn {
            Conn::Postgresql(c) => c.is_broken(),
            Conn::Sqlite(c) => c.is_broken(),
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type Pooled = r2d2::PooledConnection<Manager>;

fn overloaded() -> AppError {
    AppError::overloaded("The server has too much to write just now; try again in a second.")
}

/// A request's write counted as waiting for the SQLite writer lock until dropped.
struct Waiting<'a>(&'a Db);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.waiting.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
            self.0.no_one_waiting.notify_waiters();
        }
    }
}

/// The database handle shared by the whole process: a pool, the SQLite writer lock, and the
/// signals that wake event-log followers and job workers after a commit that appended
/// events or enqueued jobs.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    backend: Backend,
    url: String,
    writer: Arc<tokio::sync::Mutex<()>>,
    /// Requests' writes waiting for the SQLite writer lock: background writes let them go
    /// first (`write_background`).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Told when no request's write waits any more.
    no_one_waiting: Arc<tokio::sync::Notify>,
    write_queue: usize,
    write_deadline: Duration,
    appended: Arc<tokio::sync::watch::Sender<u64>>,
    enqueued: Arc<tokio::sync::watch::Sender<u64>>,
}

/// A write transaction. Dereferences to the connection; remembers whether the event log was
/// appended to or jobs were enqueued, so that followers and workers are woken after the
/// commit and only then.
pub struct Tx<'c> {
    conn: &'c mut Conn,
    pub(crate) appended: bool,
    pub(crate) enqueued: bool,
}

impl Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
    }
}

impl Db {
    /// Opens the pool. For SQLite the parent directory is created and WAL mode set once.
    pub fn open(options: &DbOptions) -> anyhow::Result<Db> {
        let backend = Backend::of(&options.url);
        let target = match backend {
            Backend::Postgres => options.url.clone(),
            Backend::Sqlite => {
                let path = options.url.strip_prefix("sqlite://").unwrap_or(&options.url);
                if let Some(parent) = std::path::Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)?;
                    }
                }
                path.to_owned()
            }
        };
        let manager = Manager { backend, target, sqlite_sync: options.sqlite_sync };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .min_idle(options.min_idle)
            .connection_timeout(Duration::from_secs(10))
            // A broken connection fails its query and is replaced then; testing every checkout
            // would cost a round trip per query.
            .test_on_check_out(false)
            .build(manager)?;
        if backend == Backend::Sqlite {
            pool.get()?.batch_execute("PRAGMA journal_mode = WAL;")?;
        }
        let (appended, _) = tokio::sync::watch::channel(0);
        let (enqueued, _) = tokio::sync::watch::channel(0);
        Ok(Db {
            pool,
            backend,
            url: options.url.clone(),
            writer: Arc::new(tokio::sync::Mutex::new(())),
            waiting: Arc::default(),
            no_one_waiting: Arc::default(),
            write_queue: options.write_queue,
            write_deadline: options.write_deadline,
            appended: Arc::new(appended),
            enqueued: Arc::new(enqueued),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL this handle was opened with (never logged: it may hold a password).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pooled connection for reads, on the calling thread. Use from blocking code only.
    pub fn conn(&self) -> Result<Pooled, AppError> {
        self.pool.get().map_err(|e| AppError::unavailable("database", e))
    }

    /// Runs a read on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        blocking(move || {
            let mut conn = db.conn()?;
            f(&mut conn)
        })
        .await
    }

    /// Runs one write use case in a transaction on the blocking pool and wakes the event-log
    /// followers if it appended events. On SQLite a process-wide writer lock is held around
    /// the transaction: SQLite has one writer anyway, and a deferred transaction that reads
    /// and then writes would otherwise fail with `SQLITE_BUSY_SNAPSHOT`. Retries once on a
    /// busy database (another process) and on PostgreSQL serialization failures.
    ///
    /// Writers wait for the lock as futures, not as blocked threads, so a burst of writes
    /// queues cheaply and only the one holding the lock occupies a blocking thread.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: Fn(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let guard = match self.backend {
            Backend::Sqlite => {
                // A bounded queue: past it, or past the deadline, the request is refused at
                // once (503 and Retry-After) instead of waiting without end.
                if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.write_queue {
                    drop(Waiting(self));
                    return Err(overloaded());
                }
                // Counted out however the wait ends, a dropped request's included.
                let waiting = Waiting(self);
                let guard = tokio::time::timeout(self.write_deadline, self.writer.clone().lock_owned()).await;
                drop(waiting);
                Some(guard.map_err(|_| overloaded())?)
            }
            Backend::Postgres => None,
        };
        self.write_holding(guard, f).await
    }

    /// `write` for background work (the job worker, notifications): on SQLite, it lets the
    /// writes of requests that are waiting for the writer go first, so that a burst of
    /// background work (ten thousand notification mails) does not queue in front of people
    /// posting. It steps aside at most 32 times, for at most 50 ms each, so that a steady
    /// stream of requests delays it but cannot stop it.
    pub async fn write_background<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: Fn(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        /// How often background work steps aside before it takes its turn anyway.
        const YIELDS: usize = 32;
        let guard = match self.backend {
            Backend::Sqlite => {
                let mut yields = 0;
                loop {
                    let notified = self.no_one_waiting.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if yields < YIELDS && self.waiting.load(Ordering::Acquire) > 0 {
                        yields += 1;
                        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), notified).await;
                        continue;
                    }
                    let guard = self.writer.clone().lock_owned().await;
                    if yields < YIELDS && self.waiting.load(Ordering::Acquire) > 0 {
                        yields += 1;
                        drop(guard);
                        continue;
                    }
                    break Some(guard);
                }
            }
            Backend::Postgres => None,
        };
        self.write_holding(guard, f).await
    }

    /// Runs the transaction on the blocking pool, holding the SQLite writer lock if given.
    async fn write_holding<T, F>(&self, guard: Option<tokio::sync::OwnedMutexGuard<()>>, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: Fn(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
    {
        let db = self.clone();
        blocking(move || {
            let _guard = guard;
            db.write_locked(f)
        })
        .await
    }

    /// `write` for code that already runs on a blocking thread (the CLI, followers).
    pub fn write_blocking<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: Fn(&mut Tx<'_>) -> Result<T, AppError>,
    {
        let _guard = match self.backend {
            Backend::Sqlite => Some(self.writer.blocking_lock()),
            Backend::Postgres => None,
        };
        self.write_locked(f)
    }

    /// The transaction itself; on SQLite the caller holds the writer lock.
    fn write_locked<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: Fn(&mut Tx<'_>) -> Result<T, AppError>,
    {
        let mut conn = self.conn()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                let (mut appended, mut enqueued) = (false, false);
                let result = conn.transaction::<T, TxError, _>(|conn| {
                    let mut tx = Tx { conn, appended: false, enqueued: false };
                    let value = f(&mut tx).map_err(TxError::App)?;
                    (appended, enqueued) = (tx.appended, tx.enqueued);
                    Ok(value)
                });
                if result.is_ok() && appended {
                    self.appended.send_modify(|n| *n = n.wrapping_add(1));
                }
                if result.is_ok() && enqueued {
                    self.enqueued.send_modify(|n| *n = n.wrapping_add(1));
                }
                result
            };
            match result {
                Ok(value) => return Ok(value),
                Err(TxError::Db(e)) if attempt == 1 && is_retryable(&e) => continue,
                Err(TxError::Db(e)) => return Err(e.into()),
                Err(TxError::App(e)) => return Err(e),
            }
        }
    }

    /// Wakes whenever a local commit appended to the event log.
    pub fn subscribe_appends(&self) -> tokio::sync::watch::Receiver<u64> {
        self.appended.subscribe()
    }

    /// Wakes whenever a local commit enqueued a job (or made a failed one due again).
    pub fn subscribe_jobs(&self) -> tokio::sync::watch::Receiver<u64> {
        self.enqueued.subscribe()
    }

    /// Wakes local followers on behalf of another node (a PostgreSQL notification).
    pub fn signal_append(&self) {
        self.appended.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Is the database reachable and fully migrated?
    pub async fn ready(&self) -> Result<(), AppError> {
        self.read(|conn| {
            if migrations::pending(conn)? {
                return Err(AppError::unavailable("database", "migrations are pending"));
            }
            Ok(())
        })
        .await
    }
}

enum TxError {
    Db(DieselError),
    App(AppError),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        TxError::Db(e)
    }
}

fn is_retryable(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked") || m.contains("deadlock detected")
        }
        _ => false,
    }
}

/// Runs blocking database work off the async executor.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// The year 9999: later than anything stored, and within both backends' timestamps.
pub fn far_future() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31).and_then(|d| d.and_hms_opt(0, 0, 0)).unwrap_or_default()
}

/// The current time as stored: UTC, truncated to microseconds so both backends agree.
pub fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc().trunc_subsecs(6)
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => AppError::not_found(Code::NotFound, "Not found."),
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::conflict(Code::Conflict, "That already exists.")
            }
            other => AppError::Unexpected(other.into()),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::unavailable("database", e)
    }
}
