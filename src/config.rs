//! Settings: defaults < `hearth.toml` < `HEARTH_*` environment < command-line flags.
//! Every setting is documented here and in `hearth --help`; secrets are never printed.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;

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

/// The resolved settings the server runs with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address to listen on (`HEARTH_BIND`); port 0 picks a free one.
    pub bind: String,
    /// Where embedded state lives (`HEARTH_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Public base URL used in links and the Origin check (`HEARTH_PUBLIC_URL`); by default
    /// the address actually bound.
    pub public_url: Option<String>,
    /// Database URL (`HEARTH_DATABASE_URL`): `postgres://…`, or a SQLite file path.
    pub database_url: Option<Secret>,
    /// The server secret (`HEARTH_SECRET_KEY`, or `--secret-key-file`); generated into the
    /// database when absent.
    pub secret_key: Option<Secret>,
    /// File storage (`HEARTH_STORAGE_URL`), `file://<data>/files` by default.
    pub storage_url: Option<String>,
    /// Outgoing mail relay (`HEARTH_SMTP_URL`); without it mail is written to `<data>/mail/`.
    pub smtp_url: Option<Secret>,
    /// The From address of outgoing mail (`HEARTH_MAIL_FROM`).
    pub mail_from: String,
    /// Hosts or networks outbound HTTP may reach despite being private (`HEARTH_OUTBOUND_ALLOW`).
    pub outbound_allow: Vec<String>,
    /// Proxies whose `X-Forwarded-For` is believed (`HEARTH_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpAddr>,
    /// How long events are kept (`HEARTH_EVENT_RETENTION`).
    pub event_retention: Duration,
    /// Frames buffered per WebSocket connection (`HEARTH_WS_QUEUE`).
    pub ws_queue: usize,
    /// Longest message, in characters (`HEARTH_MAX_MESSAGE_CHARS`).
    pub max_message_chars: usize,
    /// SQLite durability (`HEARTH_SQLITE_SYNC`).
    pub sqlite_sync: SqliteSync,
    /// Password hashing cost (`HEARTH_PASSWORD_HASH`).
    pub password_hash: HashCost,
    /// Who may create workspaces (`HEARTH_WORKSPACE_CREATION`).
    pub workspace_creation: WorkspaceCreation,
    /// Log filter (`HEARTH_LOG`) and format (`HEARTH_LOG_FORMAT`).
    pub log: String,
    pub log_format: LogFormat,
    /// HTTP worker threads (`HEARTH_WORKERS`); the number of cores by default.
    pub workers: Option<usize>,
    /// Database connections per node (`HEARTH_DB_POOL`).
    pub db_pool_size: u32,
    /// Connections kept open when idle; `None` keeps the pool full.
    pub db_min_idle: Option<u32>,
    /// The wait after a job's first failed attempt, doubled after each further one
    /// (`HEARTH_JOB_RETRY_BASE`).
    pub job_retry_base: Duration,
    /// How long a stopping node lets requests, sockets and background work finish
    /// (`HEARTH_SHUTDOWN_GRACE`).
    pub shutdown_grace: Duration,
}

impl Settings {
    /// The defaults, with state under `data_dir`.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Settings {
        Settings {
            bind: "127.0.0.1:8080".into(),
            data_dir: data_dir.into(),
            public_url: None,
            database_url: None,
            secret_key: None,
            storage_url: None,
            smtp_url: None,
            mail_from: "hearth <hearth@localhost>".into(),
            outbound_allow: Vec::new(),
            trusted_proxies: Vec::new(),
            event_retention: Duration::from_secs(14 * 86_400),
            ws_queue: 1024,
            max_message_chars: 40_000,
            sqlite_sync: SqliteSync::Normal,
            password_hash: HashCost::Default,
            workspace_creation: WorkspaceCreation::Admins,
            log: "info".into(),
            log_format: LogFormat::Text,
            workers: None,
            db_pool_size: 16,
            db_min_idle: None,
            job_retry_base: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }

    /// The database URL in effect: the setting, or the SQLite file under the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => self.data_dir.join("hearth.db").to_string_lossy().into_owned(),
        }
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// Resolves settings from a config file, the environment (already folded into `flags`
    /// by clap) and flags.
    pub fn load(flags: &SettingsArgs) -> anyhow::Result<Settings> {
        let file = match &flags.config {
            Some(path) => Some(FileSettings::read(path)?),
            None if Path::new("hearth.toml").exists() => Some(FileSettings::read(Path::new("hearth.toml"))?),
            None => None,
        }
        .unwrap_or_default();
        let data_dir = flags.data_dir.clone().or(file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("./data"));
        let mut s = Settings::defaults(data_dir);
        file.apply(&mut s)?;
        flags.apply(&mut s)?;
        Ok(s)
    }
}

/// `hearth.toml`: every setting, by the names of its environment variable without the
/// `HEARTH_` prefix, in lowercase (`bind`, `database_url`, …).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    bind: Option<String>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    database_url: Option<String>,
    secret_key: Option<String>,
    storage_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    outbound_allow: Option<Vec<String>>,
    trusted_proxies: Option<Vec<String>>,
    event_retention: Option<String>,
    ws_queue: Option<usize>,
    max_message_chars: Option<usize>,
    sqlite_sync: Option<String>,
    password_hash: Option<String>,
    workspace_creation: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    workers: Option<usize>,
    db_pool: Option<u32>,
    job_retry_base: Option<String>,
    shutdown_grace: Option<String>,
}

impl FileSettings {
    fn read(path: &Path) -> anyhow::Result<FileSettings> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    fn apply(self, s: &mut Settings) -> anyhow::Result<()> {
        let FileSettings {
            bind,
            data_dir: _,
            public_url,
            database_url,
            secret_key,
            storage_url,
            smtp_url,
            mail_from,
            outbound_allow,
            trusted_proxies,
            event_retention,
            ws_queue,
            max_message_chars,
            sqlite_sync,
            password_hash,
            workspace_creation,
            log,
            log_format,
            workers,
            db_pool,
            job_retry_base,
            shutdown_grace,
        } = self;
        set(&mut s.bind, bind);
        if public_url.is_some() {
            s.public_url = public_url;
        }
        if let Some(v) = database_url {
            s.database_url = Some(Secret(v));
        }
        if let Some(v) = secret_key {
            s.secret_key = Some(Secret(v));
        }
        if storage_url.is_some() {
            s.storage_url = storage_url;
        }
        if let Some(v) = smtp_url {
            s.smtp_url = Some(Secret(v));
        }
        set(&mut s.mail_from, mail_from);
        set(&mut s.outbound_allow, outbound_allow);
        if let Some(v) = trusted_proxies {
            s.trusted_proxies = parse_ips(&v)?;
        }
        if let Some(v) = event_retention {
            s.event_retention = parse_duration(&v)?;
        }
        set(&mut s.ws_queue, ws_queue);
        set(&mut s.max_message_chars, max_message_chars);
        if let Some(v) = sqlite_sync {
            s.sqlite_sync = parse_sqlite_sync(&v)?;
        }
        if let Some(v) = password_hash {
            s.password_hash = parse_hash_cost(&v)?;
        }
        if let Some(v) = workspace_creation {
            s.workspace_creation = parse_creation(&v)?;
        }
        set(&mut s.log, log);
        if let Some(v) = log_format {
            s.log_format = parse_log_format(&v)?;
        }
        if workers.is_some() {
            s.workers = workers;
        }
        set(&mut s.db_pool_size, db_pool);
        if let Some(v) = job_retry_base {
            s.job_retry_base = parse_duration(&v)?;
        }
        if let Some(v) = shutdown_grace {
            s.shutdown_grace = parse_duration(&v)?;
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

/// The settings as flags; clap fills each from its `HEARTH_*` variable when the flag is
/// absent, so flags win over the environment, which wins over the file.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Configuration file [default: ./hearth.toml if present]
    #[arg(long, global = true, env = "HEARTH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "HEARTH_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Directory for the embedded database, index, files and mail [default: ./data]
    #[arg(long, global = true, env = "HEARTH_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Public base URL, for links in mail and the Origin check [default: the bound address]
    #[arg(long, global = true, env = "HEARTH_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// postgres://user@host/db, or a SQLite file path [default: <data>/hearth.db]
    #[arg(long, global = true, env = "HEARTH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// File holding the server secret; or set HEARTH_SECRET_KEY [default: generated into the database]
    #[arg(long, global = true, value_name = "FILE")]
    pub secret_key_file: Option<PathBuf>,
    /// The server secret itself (environment only, never a flag)
    #[arg(long = "secret-key-from-env", hide = true, env = "HEARTH_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// File storage: file:///path or s3://bucket [default: file://<data>/files]
    #[arg(long, global = true, env = "HEARTH_STORAGE_URL", value_name = "URL")]
    pub storage_url: Option<String>,
    /// SMTP relay, smtp://user:pass@host:587 or smtps://… [default: .eml files in <data>/mail]
    #[arg(long, global = true, env = "HEARTH_SMTP_URL", value_name = "URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// From address of outgoing mail [default: hearth <hearth@localhost>]
    #[arg(long, global = true, env = "HEARTH_MAIL_FROM", value_name = "ADDR")]
    pub mail_from: Option<String>,
    /// Private hosts or networks outbound HTTP may reach, comma-separated [default: none]
    #[arg(long, global = true, env = "HEARTH_OUTBOUND_ALLOW", value_delimiter = ',', value_name = "LIST")]
    pub outbound_allow: Option<Vec<String>>,
    /// Proxy addresses whose X-Forwarded-For is trusted, comma-separated [default: none]
    #[arg(long, global = true, env = "HEARTH_TRUSTED_PROXIES", value_delimiter = ',', value_name = "LIST")]
    pub trusted_proxies: Option<Vec<String>>,
    /// How long events are kept, e.g. 14d, 36h [default: 14d]
    #[arg(long, global = true, env = "HEARTH_EVENT_RETENTION", value_name = "DURATION")]
    pub event_retention: Option<String>,
    /// Frames buffered per WebSocket connection [default: 1024]
    #[arg(long, global = true, env = "HEARTH_WS_QUEUE", value_name = "N")]
    pub ws_queue: Option<usize>,
    /// Longest message in characters [default: 40000]
    #[arg(long, global = true, env = "HEARTH_MAX_MESSAGE_CHARS", value_name = "N")]
    pub max_message_chars: Option<usize>,
    /// SQLite durability: normal, or full to survive power loss [default: normal]
    #[arg(long, global = true, env = "HEARTH_SQLITE_SYNC", value_name = "MODE")]
    pub sqlite_sync: Option<String>,
    /// Password hashing cost: default, or test (cheap; test suites only) [default: default]
    #[arg(long, global = true, env = "HEARTH_PASSWORD_HASH", value_name = "COST")]
    pub password_hash: Option<String>,
    /// Who may create workspaces: admins or anyone [default: admins]
    #[arg(long, global = true, env = "HEARTH_WORKSPACE_CREATION", value_name = "WHO")]
    pub workspace_creation: Option<String>,
    /// Log filter, e.g. info or hearth=debug [default: info]
    #[arg(long, global = true, env = "HEARTH_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Log format: text or json [default: text]
    #[arg(long, global = true, env = "HEARTH_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// HTTP worker threads [default: one per core]
    #[arg(long, global = true, env = "HEARTH_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Database connections per node [default: 16]
    #[arg(long, global = true, env = "HEARTH_DB_POOL", value_name = "N")]
    pub db_pool: Option<u32>,
    /// Wait after a job's first failed attempt, doubled per further failure up to 1h [default: 30s]
    #[arg(long, global = true, env = "HEARTH_JOB_RETRY_BASE", value_name = "DURATION")]
    pub job_retry_base: Option<String>,
    /// How long stopping may wait for requests, sockets and background work [default: 10s]
    #[arg(long, global = true, env = "HEARTH_SHUTDOWN_GRACE", value_name = "DURATION")]
    pub shutdown_grace: Option<String>,
}

impl SettingsArgs {
    fn apply(&self, s: &mut Settings) -> anyhow::Result<()> {
        set(&mut s.bind, self.bind.clone());
        if self.public_url.is_some() {
            s.public_url = self.public_url.clone();
        }
        if let Some(v) = &self.database_url {
            s.database_url = Some(Secret(v.clone()));
        }
        if let Some(v) = &self.secret_key {
            s.secret_key = Some(Secret(v.clone()));
        }
        if let Some(path) = &self.secret_key_file {
            let key = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            s.secret_key = Some(Secret(key.trim().to_owned()));
        }
        if self.storage_url.is_some() {
            s.storage_url = self.storage_url.clone();
        }
        if let Some(v) = &self.smtp_url {
            s.smtp_url = Some(Secret(v.clone()));
        }
        set(&mut s.mail_from, self.mail_from.clone());
        set(&mut s.outbound_allow, self.outbound_allow.clone());
        if let Some(v) = &self.trusted_proxies {
            s.trusted_proxies = parse_ips(v)?;
        }
        if let Some(v) = &self.event_retention {
            s.event_retention = parse_duration(v)?;
        }
        set(&mut s.ws_queue, self.ws_queue);
        set(&mut s.max_message_chars, self.max_message_chars);
        if let Some(v) = &self.sqlite_sync {
            s.sqlite_sync = parse_sqlite_sync(v)?;
        }
        if let Some(v) = &self.password_hash {
            s.password_hash = parse_hash_cost(v)?;
        }
        if let Some(v) = &self.workspace_creation {
            s.workspace_creation = parse_creation(v)?;
        }
        set(&mut s.log, self.log.clone());
        if let Some(v) = &self.log_format {
            s.log_format = parse_log_format(v)?;
        }
        if self.workers.is_some() {
            s.workers = self.workers;
        }
        set(&mut s.db_pool_size, self.db_pool);
        if let Some(v) = &self.job_retry_base {
            s.job_retry_base = parse_duration(v)?;
        }
        if let Some(v) = &self.shutdown_grace {
            s.shutdown_grace = parse_duration(v)?;
        }
        if s.secret_key.as_ref().is_some_and(|k| k.expose().len() < 32) {
            bail!("the server secret must be at least 32 characters long");
        }
        Ok(())
    }
}

/// Parses `250ms`, `90s`, `15m`, `36h`, `14d`.
pub fn parse_duration(raw: &str) -> anyhow::Result<Duration> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let wrong = || format!("\"{raw}\" is not a duration like 14d, 36h, 15m, 90s or 250ms");
    let n: u64 = number.parse().with_context(wrong)?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" | "" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => bail!(wrong()),
    };
    Ok(Duration::from_secs(secs))
}

fn parse_ips(list: &[String]) -> anyhow::Result<Vec<IpAddr>> {
    list.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().with_context(|| format!("\"{s}\" is not an IP address")))
        .collect()
}

fn parse_sqlite_sync(raw: &str) -> anyhow::Result<SqliteSync> {
    match raw {
        "normal" => Ok(SqliteSync::Normal),
        "full" => Ok(SqliteSync::Full),
        other => bail!("HEARTH_SQLITE_SYNC must be normal or full, not \"{other}\""),
    }
}

fn parse_hash_cost(raw: &str) -> anyhow::Result<HashCost> {
    match raw {
        "default" => Ok(HashCost::Default),
        "test" => Ok(HashCost::Test),
        other => bail!("HEARTH_PASSWORD_HASH must be default or test, not \"{other}\""),
    }
}

fn parse_creation(raw: &str) -> anyhow::Result<WorkspaceCreation> {
    match raw {
        "admins" => Ok(WorkspaceCreation::Admins),
        "anyone" => Ok(WorkspaceCreation::Anyone),
        other => bail!("HEARTH_WORKSPACE_CREATION must be admins or anyone, not \"{other}\""),
    }
}

fn parse_log_format(raw: &str) -> anyhow::Result<LogFormat> {
    match raw {
        "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => bail!("HEARTH_LOG_FORMAT must be text or json, not \"{other}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d").unwrap(), Duration::from_secs(14 * 86_400));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
    }

    #[test]
    fn the_file_is_overridden_by_flags() {
        let file: FileSettings = toml::from_str("bind = \"0.0.0.0:9000\"\nws_queue = 8").unwrap();
        let mut s = Settings::defaults("d");
        file.apply(&mut s).unwrap();
        assert_eq!(s.bind, "0.0.0.0:9000");
        let flags = SettingsArgs { bind: Some("127.0.0.1:1".into()), ..Default::default() };
        flags.apply(&mut s).unwrap();
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.ws_queue, 8);
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        assert!(toml::from_str::<FileSettings>("bnid = \"x\"").is_err());
    }
}
