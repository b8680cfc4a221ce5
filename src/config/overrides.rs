//! The settings one source may set: one struct that clap fills from flags and the
//! `HEARTH_*` environment, and serde from `hearth.toml` (keys named as the variables,
//! without the prefix, in lowercase). Sources are merged field by field, then applied once.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use serde::Deserialize;

use super::{HashCost, LogFormat, Secret, Settings, WorkspaceCreation};
use crate::db::SqliteSync;

/// Declares `Overrides` with every field optional, and `over`, which takes each field from
/// `self` where set and from `lower` otherwise.
macro_rules! overrides {
    ($($(#[$meta:meta])* $field:ident: $ty:ty,)*) => {
        /// What one source says; unset fields leave the layer below alone.
        #[derive(Debug, Clone, Default, Args, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Overrides {
            $($(#[$meta])* pub $field: Option<$ty>,)*
        }

        impl Overrides {
            /// Each field of these settings over `lower`'s.
            fn fields_over(self, lower: Overrides) -> Overrides {
                Overrides { $($field: self.$field.or(lower.$field),)* }
            }
        }
    };
}

overrides! {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, global = true, env = "HEARTH_BIND", value_name = "ADDR")]
    bind: String,
    /// Directory for the embedded database, index, files and mail [default: ./data]
    #[arg(long, global = true, env = "HEARTH_DATA_DIR", value_name = "DIR")]
    data_dir: PathBuf,
    /// Public base URL, for links in mail and the Origin check [default: the bound address]
    #[arg(long, global = true, env = "HEARTH_PUBLIC_URL", value_name = "URL")]
    public_url: String,
    /// postgres://user@host/db, or a SQLite file path [default: <data>/hearth.db]
    #[arg(long, global = true, env = "HEARTH_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: String,
    /// File holding the server secret; or set HEARTH_SECRET_KEY [default: generated into the database]
    #[arg(long, global = true, value_name = "FILE")]
    secret_key_file: PathBuf,
    /// The server secret itself (environment only, never a flag)
    #[arg(long = "secret-key-from-env", hide = true, env = "HEARTH_SECRET_KEY", hide_env_values = true)]
    secret_key: String,
    /// File storage: file:///path or s3://bucket [default: file://<data>/files]
    #[arg(long, global = true, env = "HEARTH_STORAGE_URL", value_name = "URL")]
    storage_url: String,
    /// Endpoint of an S3-compatible service for s3:// storage, e.g. http://127.0.0.1:9000 [default: AWS]
    #[arg(long, global = true, env = "HEARTH_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: String,
    /// Largest shared file: bytes, or with K, M or G (powers of 1024) [default: 100M]
    #[arg(long, global = true, env = "HEARTH_MAX_FILE_SIZE", value_name = "SIZE")]
    max_file_size: String,
    /// How long a deleted file's bytes stay in storage before they are removed [default: 1h]
    #[arg(long, global = true, env = "HEARTH_DELETED_FILE_GRACE", value_name = "DURATION")]
    deleted_file_grace: String,
    /// SMTP relay, smtp://user:pass@host:587 or smtps://… [default: .eml files in <data>/mail]
    #[arg(long, global = true, env = "HEARTH_SMTP_URL", value_name = "URL", hide_env_values = true)]
    smtp_url: String,
    /// From address of outgoing mail [default: hearth <hearth@localhost>]
    #[arg(long, global = true, env = "HEARTH_MAIL_FROM", value_name = "ADDR")]
    mail_from: String,
    /// How long a mention, DM or thread reply may stay unread before it is mailed [default: 10m]
    #[arg(long, global = true, env = "HEARTH_NOTIFY_DELAY", value_name = "DURATION")]
    notify_delay: String,
    /// Domain of reply addresses in notification mail (reply+<token>@<domain>) [default: none, no replies]
    #[arg(long, global = true, env = "HEARTH_REPLY_DOMAIN", value_name = "DOMAIN")]
    reply_domain: String,
    /// Address of the inbound SMTP listener for replies by email, e.g. 0.0.0.0:2525 [default: off]
    #[arg(long, global = true, env = "HEARTH_INBOUND_SMTP", value_name = "ADDR")]
    inbound_smtp: String,
    /// Largest message the inbound SMTP listener takes [default: 10M]
    #[arg(long, global = true, env = "HEARTH_INBOUND_MAX_SIZE", value_name = "SIZE")]
    inbound_max_size: String,
    /// Private hosts or networks outbound HTTP may reach, comma-separated [default: none]
    #[arg(long, global = true, env = "HEARTH_OUTBOUND_ALLOW", value_delimiter = ',', value_name = "LIST")]
    outbound_allow: Vec<String>,
    /// Proxy addresses whose X-Forwarded-For is trusted, comma-separated [default: none]
    #[arg(long, global = true, env = "HEARTH_TRUSTED_PROXIES", value_delimiter = ',', value_name = "LIST")]
    trusted_proxies: Vec<String>,
    /// How long events are kept, e.g. 14d, 36h [default: 14d]
    #[arg(long, global = true, env = "HEARTH_EVENT_RETENTION", value_name = "DURATION")]
    event_retention: String,
    /// Frames buffered per WebSocket connection [default: 1024]
    #[arg(long, global = true, env = "HEARTH_WS_QUEUE", value_name = "N")]
    ws_queue: usize,
    /// Longest message in characters [default: 40000]
    #[arg(long, global = true, env = "HEARTH_MAX_MESSAGE_CHARS", value_name = "N")]
    max_message_chars: usize,
    /// Requests that change something, per person per minute, sustained [default: 600]
    #[arg(long, global = true, env = "HEARTH_WRITES_PER_MINUTE", value_name = "N")]
    writes_per_minute: u32,
    /// How many such requests a person may send at once before the rate applies [default: 60]
    #[arg(long, global = true, env = "HEARTH_WRITE_BURST", value_name = "N")]
    write_burst: u32,
    /// Live connections (WebSockets) one person may hold [default: 20]
    #[arg(long, global = true, env = "HEARTH_WS_PER_USER", value_name = "N")]
    ws_per_user: usize,
    /// Sign-ups and password-reset requests per client address per hour [default: 100]
    #[arg(long, global = true, env = "HEARTH_SIGNUPS_PER_HOUR", value_name = "N")]
    signups_per_hour: u32,
    /// Requests' writes that may wait for the SQLite writer before more are refused with 503 [default: 1024]
    #[arg(long, global = true, env = "HEARTH_WRITE_QUEUE", value_name = "N")]
    write_queue: usize,
    /// How long a request's write waits for the SQLite writer before it is refused with 503 [default: 2s]
    #[arg(long, global = true, env = "HEARTH_WRITE_DEADLINE", value_name = "DURATION")]
    write_deadline: String,
    /// SQLite durability: normal, or full to survive power loss [default: normal]
    #[arg(long, global = true, env = "HEARTH_SQLITE_SYNC", value_name = "MODE")]
    sqlite_sync: String,
    /// Password hashing cost: default, or test (cheap; test suites only) [default: default]
    #[arg(long, global = true, env = "HEARTH_PASSWORD_HASH", value_name = "COST")]
    password_hash: String,
    /// Who may create workspaces: admins or anyone [default: admins]
    #[arg(long, global = true, env = "HEARTH_WORKSPACE_CREATION", value_name = "WHO")]
    workspace_creation: String,
    /// Log filter, e.g. info or hearth=debug [default: info]
    #[arg(long, global = true, env = "HEARTH_LOG", value_name = "FILTER")]
    log: String,
    /// Log format: text or json [default: text]
    #[arg(long, global = true, env = "HEARTH_LOG_FORMAT", value_name = "FORMAT")]
    log_format: String,
    /// HTTP worker threads [default: one per core]
    #[arg(long, global = true, env = "HEARTH_WORKERS", value_name = "N")]
    workers: usize,
    /// Database connections per node [default: 16]
    #[arg(long, global = true, env = "HEARTH_DB_POOL", value_name = "N")]
    db_pool: u32,
    /// Wait after a job's first failed attempt, doubled per further failure up to 1h [default: 30s]
    #[arg(long, global = true, env = "HEARTH_JOB_RETRY_BASE", value_name = "DURATION")]
    job_retry_base: String,
    /// How long stopping may wait for requests, sockets and background work [default: 10s]
    #[arg(long, global = true, env = "HEARTH_SHUTDOWN_GRACE", value_name = "DURATION")]
    shutdown_grace: String,
}

/// The command line's settings: where the config file is, and the overrides themselves.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArgs {
    /// Configuration file [default: ./hearth.toml if present]
    #[arg(long, global = true, env = "HEARTH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: Overrides,
}

impl Overrides {
    /// These settings over `lower`'s. The server secret is one setting given two ways (the
    /// value, or a file holding it): a layer that gives it either way replaces both.
    pub fn over(self, lower: Overrides) -> Overrides {
        let gives_secret = self.secret_key.is_some() || self.secret_key_file.is_some();
        let (key, file) = (self.secret_key.clone(), self.secret_key_file.clone());
        let mut merged = self.fields_over(lower);
        if gives_secret {
            (merged.secret_key, merged.secret_key_file) = (key, file);
        }
        merged
    }

    /// Reads `hearth.toml`; a key hearth does not know is an error, not a silent typo.
    pub fn read(path: &Path) -> anyhow::Result<Overrides> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Writes what is set into `s` (`data_dir` is where `s` was made, so it is not here).
    pub fn apply(self, s: &mut Settings) -> anyhow::Result<()> {
        let Overrides {
            bind,
            data_dir: _,
            public_url,
            database_url,
            secret_key_file,
            secret_key,
            storage_url,
            s3_endpoint,
            max_file_size,
            deleted_file_grace,
            smtp_url,
            mail_from,
            notify_delay,
            reply_domain,
            inbound_smtp,
            inbound_max_size,
            outbound_allow,
            trusted_proxies,
            event_retention,
            ws_queue,
            max_message_chars,
            writes_per_minute,
            write_burst,
            ws_per_user,
            signups_per_hour,
            sqlite_sync,
            write_queue,
            write_deadline,
            password_hash,
            workspace_creation,
            log,
            log_format,
            workers,
            db_pool,
            job_retry_base,
            shutdown_grace,
        } = self;
        set(&mut s.http.bind, bind);
        set_some(&mut s.http.public_url, public_url);
        set_some(&mut s.database.url, database_url.map(Secret));
        set_some(&mut s.secret_key, secret_key.map(Secret));
        if let Some(path) = secret_key_file {
            let key = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            s.secret_key = Some(Secret(key.trim().to_owned()));
        }
        set_some(&mut s.storage_url, storage_url);
        set_some(&mut s.s3_endpoint, s3_endpoint);
        set(&mut s.limits.max_file_size, max_file_size.as_deref().map(parse_size).transpose()?);
        set(&mut s.deleted_file_grace, deleted_file_grace.as_deref().map(parse_duration).transpose()?);
        set_some(&mut s.mail.smtp_url, smtp_url.map(Secret));
        set(&mut s.mail.from, mail_from);
        set(&mut s.mail.notify_delay, notify_delay.as_deref().map(parse_duration).transpose()?);
        set_some(&mut s.mail.reply_domain, reply_domain.map(|d| d.trim().to_ascii_lowercase()));
        set_some(&mut s.mail.inbound_smtp, inbound_smtp);
        set(&mut s.mail.inbound_max_size, inbound_max_size.as_deref().map(parse_size).transpose()?);
        set(&mut s.outbound_allow, outbound_allow);
        set(&mut s.http.trusted_proxies, trusted_proxies.as_deref().map(parse_ips).transpose()?);
        set(&mut s.database.event_retention, event_retention.as_deref().map(parse_duration).transpose()?);
        set(&mut s.limits.ws_queue, ws_queue);
        set(&mut s.limits.max_message_chars, max_message_chars);
        set(&mut s.limits.writes_per_minute, writes_per_minute);
        set(&mut s.limits.write_burst, write_burst);
        set(&mut s.limits.ws_per_user, ws_per_user);
        set(&mut s.limits.signups_per_hour, signups_per_hour);
        set(&mut s.database.sqlite_sync, sqlite_sync.as_deref().map(parse_sqlite_sync).transpose()?);
        set(&mut s.database.write_queue, write_queue);
        set(&mut s.database.write_deadline, write_deadline.as_deref().map(parse_duration).transpose()?);
        set(&mut s.accounts.password_hash, password_hash.as_deref().map(parse_hash_cost).transpose()?);
        set(&mut s.accounts.workspace_creation, workspace_creation.as_deref().map(parse_creation).transpose()?);
        set(&mut s.log.filter, log);
        set(&mut s.log.format, log_format.as_deref().map(parse_log_format).transpose()?);
        set_some(&mut s.http.workers, workers);
        set(&mut s.database.pool_size, db_pool);
        set(&mut s.job_retry_base, job_retry_base.as_deref().map(parse_duration).transpose()?);
        set(&mut s.http.shutdown_grace, shutdown_grace.as_deref().map(parse_duration).transpose()?);
        if s.secret_key.as_ref().is_some_and(|k| k.expose().chars().count() < 32) {
            bail!(
                "the server secret must be at least 32 characters long (after trimming a secret file's whitespace); \
                 leave HEARTH_SECRET_KEY and --secret-key-file unset to have one generated"
            );
        }
        Ok(())
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn set_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
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

/// A size in bytes: a number, or one with K, M or G (powers of 1024).
pub fn parse_size(raw: &str) -> anyhow::Result<u64> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let wrong = || format!("\"{raw}\" is not a size like 100M, 512K, 2G or 1048576");
    let n: u64 = number.parse().with_context(wrong)?;
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => bail!(wrong()),
    };
    n.checked_mul(1 << shift).filter(|&v| v > 0).with_context(wrong)
}

fn parse_ips(list: &[String]) -> anyhow::Result<Vec<IpAddr>> {
    list.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().with_context(|| format!("\"{s}\" is not an IP address")))
        .collect()
}

/// One of a setting's named values.
fn choice<T: Copy>(variable: &str, raw: &str, options: &[(&str, T)]) -> anyhow::Result<T> {
    match options.iter().find(|(name, _)| *name == raw) {
        Some((_, value)) => Ok(*value),
        None => {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            bail!("{variable} must be {}, not \"{raw}\"", names.join(" or "))
        }
    }
}

fn parse_sqlite_sync(raw: &str) -> anyhow::Result<SqliteSync> {
    choice("HEARTH_SQLITE_SYNC", raw, &[("normal", SqliteSync::Normal), ("full", SqliteSync::Full)])
}

fn parse_hash_cost(raw: &str) -> anyhow::Result<HashCost> {
    choice("HEARTH_PASSWORD_HASH", raw, &[("default", HashCost::Default), ("test", HashCost::Test)])
}

fn parse_creation(raw: &str) -> anyhow::Result<WorkspaceCreation> {
    let options = [("admins", WorkspaceCreation::Admins), ("anyone", WorkspaceCreation::Anyone)];
    choice("HEARTH_WORKSPACE_CREATION", raw, &options)
}

fn parse_log_format(raw: &str) -> anyhow::Result<LogFormat> {
    choice("HEARTH_LOG_FORMAT", raw, &[("text", LogFormat::Text), ("json", LogFormat::Json)])
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
    fn flags_and_the_environment_win_over_the_file() {
        let file: Overrides = toml::from_str("bind = \"0.0.0.0:9000\"\nws_queue = 8").unwrap();
        let flags = Overrides { bind: Some("127.0.0.1:1".into()), ..Default::default() };
        let mut s = Settings::defaults("d");
        flags.over(file).apply(&mut s).unwrap();
        assert_eq!(s.http.bind, "127.0.0.1:1");
        assert_eq!(s.limits.ws_queue, 8);
    }

    #[test]
    fn a_secret_from_the_environment_replaces_a_secret_file_named_in_the_file() {
        let file: Overrides = toml::from_str("secret_key_file = \"/nonexistent/secret\"").unwrap();
        let env = Overrides { secret_key: Some("k".repeat(40)), ..Default::default() };
        let mut s = Settings::defaults("d");
        env.over(file).apply(&mut s).expect("the file's secret file is not read");
        assert_eq!(s.secret_key.unwrap().expose(), "k".repeat(40));
    }

    #[test]
    fn a_weak_server_secret_is_refused_in_every_form() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let cases = [
            ("a short value", Overrides { secret_key: Some("short".into()), ..Default::default() }),
            ("an empty file", Overrides { secret_key_file: Some(file("empty", "")), ..Default::default() }),
            (
                "a file of whitespace",
                Overrides { secret_key_file: Some(file("blank", "  \n\t \n")), ..Default::default() },
            ),
            ("a short file", Overrides { secret_key_file: Some(file("short", "0123456789\n")), ..Default::default() }),
            ("a short value in hearth.toml", toml::from_str("secret_key = \"abc\"").unwrap()),
        ];
        for (why, overrides) in cases {
            let err = overrides.apply(&mut Settings::defaults("d")).expect_err(why).to_string();
            assert!(err.contains("at least 32 characters"), "{why}: {err}");
        }
        let good =
            Overrides { secret_key_file: Some(file("good", &format!("{}\n", "s".repeat(32)))), ..Default::default() };
        assert!(good.apply(&mut Settings::defaults("d")).is_ok(), "32 characters and a newline are fine");
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        assert!(toml::from_str::<Overrides>("bnid = \"x\"").is_err());
    }

    #[test]
    fn bad_values_name_their_setting() {
        let bad = Overrides { sqlite_sync: Some("sometimes".into()), ..Default::default() };
        let err = bad.apply(&mut Settings::defaults("d")).unwrap_err().to_string();
        assert!(err.contains("HEARTH_SQLITE_SYNC"), "{err}");
    }
}
