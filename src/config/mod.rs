//! Settings: defaults < `hearth.toml` < `HEARTH_*` environment < command-line flags.
//! Every setting is documented here and in `hearth --help`; secrets are never printed.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

mod overrides;

pub use overrides::{Overrides, SettingsArgs, parse_duration};

use crate::db::SqliteSync;

/// A value that must not reach logs or `Debug` output.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// How expensive password hashing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashCost {
    /// argon2id with the OWASP-recommended parameters.
    Default,
    /// Cheap parameters for test suites only.
    Test,
}

/// Who may create workspaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkspaceCreation {
    Admins,
    Anyone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved settings the server runs with, in sections. Each field names the
/// environment variable that sets it; `README.md` has the whole table.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where embedded state lives (`HEARTH_DATA_DIR`).
    pub data_dir: PathBuf,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    /// The server secret (`HEARTH_SECRET_KEY`, or `--secret-key-file`); generated into the
    /// database when absent.
    pub secret_key: Option<Secret>,
    /// File storage (`HEARTH_STORAGE_URL`), `file://<data>/files` by default.
    pub storage_url: Option<String>,
    /// The endpoint of an S3-compatible service (`HEARTH_S3_ENDPOINT`), for `s3://` storage.
    pub s3_endpoint: Option<String>,
    pub mail: MailSettings,
    /// Hosts or networks outbound HTTP may reach despite being private (`HEARTH_OUTBOUND_ALLOW`).
    pub outbound_allow: Vec<String>,
    pub limits: Limits,
    pub accounts: AccountSettings,
    pub log: LogSettings,
    /// The wait after a job's first failed attempt, doubled after each further one
    /// (`HEARTH_JOB_RETRY_BASE`).
    pub job_retry_base: Duration,
    /// How long a deleted file's stored objects are kept before a job removes them
    /// (`HEARTH_DELETED_FILE_GRACE`).
    pub deleted_file_grace: Duration,
}

/// Serving HTTP.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// Address to listen on (`HEARTH_BIND`); port 0 picks a free one.
    pub bind: String,
    /// Public base URL used in links and the Origin check (`HEARTH_PUBLIC_URL`); by default
    /// the address actually bound.
    pub public_url: Option<String>,
    /// Worker threads (`HEARTH_WORKERS`); the number of cores by default.
    pub workers: Option<usize>,
    /// Proxies whose `X-Forwarded-For` is believed (`HEARTH_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a stopping node lets requests, sockets and background work finish
    /// (`HEARTH_SHUTDOWN_GRACE`).
    pub shutdown_grace: Duration,
}

/// The database.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `HEARTH_DATABASE_URL`: `postgres://…`, or a SQLite file path.
    pub url: Option<Secret>,
    /// Connections per node (`HEARTH_DB_POOL`).
    pub pool_size: u32,
    /// Connections kept open when idle; `None` keeps the pool full.
    pub min_idle: Option<u32>,
    /// SQLite durability (`HEARTH_SQLITE_SYNC`).
    pub sqlite_sync: SqliteSync,
    /// Requests' writes that may wait for the SQLite writer (`HEARTH_WRITE_QUEUE`).
    pub write_queue: usize,
    /// How long one waits for it (`HEARTH_WRITE_DEADLINE`).
    pub write_deadline: Duration,
    /// How long events are kept (`HEARTH_EVENT_RETENTION`).
    pub event_retention: Duration,
}

/// Outgoing mail.
#[derive(Clone, Debug)]
pub struct MailSettings {
    /// The relay (`HEARTH_SMTP_URL`); without it mail is written to `<data>/mail/`.
    pub smtp_url: Option<Secret>,
    /// The From address (`HEARTH_MAIL_FROM`).
    pub from: String,
    /// How long a mention, DM or thread reply may stay unread before it is mailed
    /// (`HEARTH_NOTIFY_DELAY`).
    pub notify_delay: Duration,
    /// The domain of reply addresses (`HEARTH_REPLY_DOMAIN`): notification mail can be
    /// answered at `reply+<token>@<domain>` when set.
    pub reply_domain: Option<String>,
    /// Where the inbound SMTP listener for replies listens (`HEARTH_INBOUND_SMTP`); off
    /// when unset.
    pub inbound_smtp: Option<String>,
    /// The largest message the listener takes, in bytes (`HEARTH_INBOUND_MAX_SIZE`).
    pub inbound_max_size: u64,
}

/// Sizes that bound what one client may ask of the server.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Frames buffered per WebSocket connection (`HEARTH_WS_QUEUE`).
    pub ws_queue: usize,
    /// Longest message, in characters (`HEARTH_MAX_MESSAGE_CHARS`).
    pub max_message_chars: usize,
    /// Requests that change something, per person per minute (`HEARTH_WRITES_PER_MINUTE`).
    pub writes_per_minute: u32,
    /// How many of them at once before the rate applies (`HEARTH_WRITE_BURST`).
    pub write_burst: u32,
    /// Live connections per person (`HEARTH_WS_PER_USER`).
    pub ws_per_user: usize,
    /// Sign-ups and password-reset requests per client address per hour
    /// (`HEARTH_SIGNUPS_PER_HOUR`), a third of them at once.
    pub signups_per_hour: u32,
    /// Largest shared file, in bytes (`HEARTH_MAX_FILE_SIZE`).
    pub max_file_size: u64,
}

/// Accounts and workspaces.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    /// Password hashing cost (`HEARTH_PASSWORD_HASH`).
    pub password_hash: HashCost,
    /// Who may create workspaces (`HEARTH_WORKSPACE_CREATION`).
    pub workspace_creation: WorkspaceCreation,
}

/// Logging.
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// The filter (`HEARTH_LOG`).
    pub filter: String,
    /// The format (`HEARTH_LOG_FORMAT`).
    pub format: LogFormat,
}

impl Settings {
    /// The defaults, with state under `data_dir`.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Settings {
        Settings {
            data_dir: data_dir.into(),
            http: HttpSettings {
                bind: "127.0.0.1:8080".into(),
                public_url: None,
                workers: None,
                trusted_proxies: Vec::new(),
                shutdown_grace: Duration::from_secs(10),
            },
            database: DatabaseSettings {
                url: None,
                pool_size: 16,
                min_idle: None,
                sqlite_sync: SqliteSync::Normal,
                write_queue: 1024,
                write_deadline: Duration::from_secs(2),
                event_retention: Duration::from_secs(14 * 86_400),
            },
            secret_key: None,
            storage_url: None,
            s3_endpoint: None,
            mail: MailSettings {
                smtp_url: None,
                from: "hearth <hearth@localhost>".into(),
                notify_delay: Duration::from_secs(600),
                reply_domain: None,
                inbound_smtp: None,
                inbound_max_size: 10 << 20,
            },
            outbound_allow: Vec::new(),
            limits: Limits {
                ws_queue: 1024,
                max_message_chars: 40_000,
                writes_per_minute: 600,
                write_burst: 60,
                ws_per_user: 20,
                signups_per_hour: 100,
                max_file_size: 100 << 20,
            },
            accounts: AccountSettings {
                password_hash: HashCost::Default,
                workspace_creation: WorkspaceCreation::Admins,
            },
            log: LogSettings { filter: "info".into(), format: LogFormat::Text },
            job_retry_base: Duration::from_secs(30),
            deleted_file_grace: Duration::from_secs(3600),
        }
    }

    /// The database URL in effect: the setting, or the SQLite file under the data dir.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose().to_owned(),
            None => self.data_dir.join("hearth.db").to_string_lossy().into_owned(),
        }
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Resolves settings: defaults, then the config file, then the environment and flags
    /// (clap has already folded the environment into `args`), merged once.
    pub fn load(args: &SettingsArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => Overrides::read(path)?,
            None if Path::new("hearth.toml").exists() => Overrides::read(Path::new("hearth.toml"))?,
            None => Overrides::default(),
        };
        let merged = args.overrides.clone().over(file);
        let mut s = Settings::defaults(merged.data_dir.clone().unwrap_or_else(|| PathBuf::from("./data")));
        merged.apply(&mut s)?;
        Ok(s)
    }
}
