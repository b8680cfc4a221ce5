//! hearth's benchmark: fills a workspace with messages, then measures posting through the
//! HTTP API (1 and 16 concurrent clients) and reading a channel's newest page (JSON and
//! HTML) against the release binary, and appends the figures to BENCHMARKS.md.
//!
//! The fill writes rows directly through hearth's own database layer (the HTTP path is what
//! is measured afterwards, not what builds the data set). Run with:
//! `cargo run --release -p hearth-load -- --messages 1000000`

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use hearth::app::channels;
use hearth::config::{HashCost, Secret, Settings};
use hearth::db::messages::NewMessage;
use hearth::domain::messages::{MessageText, Resolved, render};
use hearth_load::{append, free_port, login, machine, percentile, wait_ready};
use serde_json::json;

#[derive(Parser, Debug)]
struct Args {
    /// Messages to store before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Channels they are spread over.
    #[arg(long, default_value_t = 100)]
    channels: usize,
    /// Posts measured at each concurrency.
    #[arg(long, default_value_t = 20_000)]
    posts: usize,
    /// History pages read for each format.
    #[arg(long, default_value_t = 2_000)]
    reads: usize,
    /// A PostgreSQL URL (a fresh, empty database); SQLite in a temporary directory otherwise.
    #[arg(long)]
    database_url: Option<String>,
    /// SQLite durability: normal or full.
    #[arg(long, default_value = "normal")]
    sqlite_sync: String,
    /// The server binary.
    #[arg(long, default_value = "target/release/hearth")]
    server: PathBuf,
    /// Where the figures are appended.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults(dir.path());
    settings.accounts.password_hash = HashCost::Test;
    settings.database.url = args.database_url.clone().map(Secret::new);
    let database = if args.database_url.is_some() {
        "PostgreSQL 15".to_owned()
    } else {
        format!("SQLite (synchronous={})", args.sqlite_sync)
    };

    eprintln!("filling {} messages over {} channels ({database})…", args.messages, args.channels);
    let fill_started = Instant::now();
    let channel_ids = fill(&settings, &args).await?;
    let fill_secs = fill_started.elapsed().as_secs_f64();

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(&args.server)
        .env("HEARTH_DATA_DIR", dir.path())
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .env("HEARTH_SQLITE_SYNC", &args.sqlite_sync)
        .env("HEARTH_LOG", "warn")
        // The benchmark's one person writes for everyone: lift the per-person write limit.
        .env("HEARTH_WRITES_PER_MINUTE", "1000000")
        .env("HEARTH_WRITE_BURST", "100000")
        .envs(args.database_url.iter().map(|u| ("HEARTH_DATABASE_URL", u.clone())))
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (build it with cargo build --release)", args.server.display()))?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    wait_ready(&client, &base).await?;
    let token = login(&client, &base).await?;

    let mut lines = Vec::new();
    for clients in [1usize, 16] {
        let (rate, p50, p99) = post_load(&client, &base, &token, &channel_ids, args.posts, clients).await?;
        eprintln!("{clients:>2} clients: {rate:.0} posts/s, p50 {p50:.2} ms, p99 {p99:.2} ms");
        lines.push(format!(
            "| post a message, {clients} concurrent client{} | {rate:.0} posts/s | {p50:.2} ms | {p99:.2} ms |",
            if clients == 1 { "" } else { "s" }
        ));
    }
    let channel = channel_ids[channel_ids.len() / 2];
    for (what, path, cookie) in [
        ("channel history, 50 messages, JSON", format!("/api/v1/channels/{channel}/messages?limit=50"), false),
        ("channel page, 50 messages, HTML", format!("/w/bench/c/{channel}"), true),
    ] {
        let (p50, p99) = read_load(&client, &base, &token, &path, cookie, args.reads).await?;
        eprintln!("{what}: p50 {p50:.2} ms, p99 {p99:.2} ms");
        lines.push(format!("| {what} | 1 client | {p50:.2} ms | {p99:.2} ms |"));
    }
    server.kill().await.ok();

    let machine = machine();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let mut section = format!(
        "\n## {date}: {} messages in {} channels, {database}\n\nMachine: {machine}. Release build; server and load generator on one machine over loopback. \
         The data set was written in {fill_secs:.0} s through hearth's database layer; the figures below go through HTTP.\n\n\
         | what | throughput | p50 | p99 |\n|---|---|---|---|\n",
        args.messages, args.channels
    );
    for l in lines {
        section.push_str(&l);
        section.push('\n');
    }
    append(&args.out, &section)?;
    eprintln!("appended to {}", args.out.display());
    Ok(())
}

/// Creates the admin, the workspace and its channels through hearth's use cases, then
/// writes the messages in large transactions.
async fn fill(settings: &Settings, args: &Args) -> anyhow::Result<Vec<i64>> {
    let state = hearth::startup::build_state(settings.clone(), "http://127.0.0.1".into())?;
    let (actor, ids) = hearth_load::bench_workspace(&state, args.channels, args.channels).await?;
    let user = actor.user.clone();
    let per_batch = 20_000;
    let mut written = 0;
    while written < args.messages {
        let batch = per_batch.min(args.messages - written);
        let (ids, user_id, start) = (ids.clone(), user.id, written);
        state
            .db
            .write(move |tx| {
                let names = Resolved::default();
                for n in start..start + batch {
                    let text = MessageText::parse(
                        &format!("message {n}: the quick brown fox jumps over the lazy dog *{}*", n % 97),
                        40_000,
                    )?;
                    let html = render(&text, &names);
                    NewMessage {
                        channel_id: ids[n % ids.len()],
                        user_id,
                        text: text.as_str(),
                        html: &html,
                        thread_root_id: None,
                        in_channel: true,
                        client_msg_id: None,
                        bot: None,
                        created_at: hearth::db::now(),
                    }
                    .insert(tx)?;
                }
                Ok(())
            })
            .await?;
        written += batch;
        if written % 100_000 == 0 {
            eprintln!("  {written}");
        }
    }
    // The reader has caught up, as after a day's work.
    for id in &ids {
        channels::mark_read(&state, &actor, *id, None).await?;
    }
    Ok(ids)
}

/// Posts `total` messages with `clients` concurrent clients; returns posts/s, p50 and p99 ms.
async fn post_load(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    channels: &[i64],
    total: usize,
    clients: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, token, channels) = (client.clone(), base.to_owned(), token.to_owned(), channels.to_vec());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            for n in (c..total).step_by(clients) {
                let channel = channels[n % channels.len()];
                let t = Instant::now();
                let res = client
                    .post(format!("{base}/api/v1/channels/{channel}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({ "text": format!("load {clients}/{n}: hello @bench, see #general :tada:") }))
                    .send()
                    .await?;
                if res.status() != reqwest::StatusCode::CREATED {
                    bail!("post failed: {} {}", res.status(), res.text().await.unwrap_or_default());
                }
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            anyhow::Ok(times)
        }));
    }
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await??);
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    Ok((rate, percentile(&times, 0.5), percentile(&times, 0.99)))
}

/// Reads `path` `total` times from one client; returns p50 and p99 ms.
async fn read_load(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    cookie: bool,
    total: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut times = Vec::with_capacity(total);
    for _ in 0..total {
        let req = client.get(format!("{base}{path}"));
        let req = if cookie { req.header("cookie", format!("hearth_session={token}")) } else { req.bearer_auth(token) };
        let t = Instant::now();
        let res = req.send().await?;
        let status = res.status();
        let _ = res.bytes().await?;
        if !status.is_success() {
            bail!("read {path} failed: {status}");
        }
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}
