//! hearth's replay benchmark: the server's peak memory while several sockets at once are
//! replayed a long gap of very large messages (each message's text and its rendered HTML
//! travel in every frame). Compares server binaries (`--server`, repeatable) on copies of one
//! data set, so the figures of one run can be read as ratios.
//!
//! `cargo run --release -p hearth-load --bin hearth-replay -- --messages 2000 --sockets 10`

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use futures_util::StreamExt;
use hearth::app::{Actor, Credential, accounts, channels, messages, workspaces};
use hearth::config::{HashCost, Settings};
use hearth_load::{append, free_port, machine, wait_ready};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser, Debug)]
struct Args {
    /// Messages in the gap.
    #[arg(long, default_value_t = 2000)]
    messages: usize,
    /// Characters per message (`&`, which renders as `&amp;`, five times longer).
    #[arg(long, default_value_t = 40_000)]
    chars: usize,
    /// Sockets replayed at once.
    #[arg(long, default_value_t = 10)]
    sockets: usize,
    /// Server binaries to compare, each on its own copy of the data.
    #[arg(long, default_value = "target/release/hearth")]
    server: Vec<PathBuf>,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
}

/// The server's peak resident memory so far (`VmHWM`), in KiB.
fn peak_rss(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Writes the data set through hearth's own layers; returns a token and the seq before it.
async fn fill(dir: &Path, args: &Args) -> anyhow::Result<(String, i64)> {
    let mut settings = Settings::defaults(dir);
    settings.accounts.password_hash = HashCost::Test;
    settings.limits.max_message_chars = args.chars.max(40_000);
    let state = hearth::startup::build_state(settings, "http://127.0.0.1".into())?;
    let form = accounts::SignupForm {
        email: "admin@bench.test".into(),
        username: "admin".into(),
        password: "benchmark passphrase".into(),
        display_name: None,
        invite_token: None,
    };
    let admin = accounts::signup(&state, form, None).await?.user;
    let actor = Actor { user: admin, credential: Credential::Operator };
    workspaces::create(&state, &actor, "bench", "Bench").await?;
    let channel = channels::list(&state, &actor, "bench").await?[0].id;
    let (_, token) = hearth::app::tokens::create(&state, &actor, "bench").await?;
    let since = state.db.read(hearth::events::head).await?;
    let text = "&".repeat(args.chars);
    for _ in 0..args.messages {
        let form = messages::PostForm { text: text.clone(), ..Default::default() };
        messages::post(&state, &actor, channel, form).await?;
    }
    Ok((token, since))
}

/// One socket: connects with `since` and reads until `messages` message frames came.
async fn replayed(port: u16, token: String, since: i64, messages: usize) -> anyhow::Result<()> {
    let mut request = format!("ws://127.0.0.1:{port}/api/v1/ws?since={since}&html=1").into_client_request()?;
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let (mut stream, _) = tokio_tungstenite::connect_async(request).await?;
    let mut seen = 0;
    while seen < messages {
        match tokio::time::timeout(Duration::from_secs(300), stream.next()).await? {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text)?;
                if frame["type"] == "message.created" {
                    seen += 1;
                }
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => anyhow::bail!("the socket failed: {e}"),
            None => anyhow::bail!("closed after {seen} messages"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let data = tempfile::tempdir()?;
    let filled = Instant::now();
    let (token, since) = fill(data.path(), &args).await?;
    eprintln!("{} messages of {} characters written in {:.0?}", args.messages, args.chars, filled.elapsed());
    let mut rows = String::new();
    for server in &args.server {
        let copy = tempfile::tempdir()?;
        for entry in std::fs::read_dir(data.path())? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), copy.path().join(entry.file_name()))?;
            }
        }
        let port = free_port()?;
        let mut child = tokio::process::Command::new(server)
            .env("HEARTH_DATA_DIR", copy.path())
            .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
            .env("HEARTH_LOG", "warn")
            // The benchmark's one person writes for everyone: lift the per-person write limit.
            .env("HEARTH_WRITES_PER_MINUTE", "1000000")
            .env("HEARTH_WRITE_BURST", "100000")
            .env("HEARTH_WS_PER_USER", "1000")
            .env("HEARTH_MAX_MESSAGE_CHARS", args.chars.max(40_000).to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        let pid = child.id().context("the server's pid")?;
        wait_ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}")).await?;
        let before = peak_rss(pid);
        let started = Instant::now();
        let sockets = (0..args.sockets).map(|_| replayed(port, token.clone(), since, args.messages));
        let results = futures_util::future::join_all(sockets).await;
        let failed = results.iter().filter(|r| r.is_err()).count();
        let (took, peak) = (started.elapsed(), peak_rss(pid));
        child.kill().await.ok();
        eprintln!("{}: peak RSS {before} → {peak} KiB in {took:.1?}, {failed} sockets failed", server.display());
        rows.push_str(&format!(
            "| `{}` | {} MiB | {} MiB | {:.1} s | {failed} |\n",
            server.display(),
            before / 1024,
            peak / 1024,
            took.as_secs_f64()
        ));
    }
    let section = format!(
        "\n## {}: replaying {} messages of {} `&` to {} sockets at once (`?html=1`)\n\n{}\n\n\
         Each message is {} KB of text and {} KB of rendered HTML in every frame. Peak resident \
         memory of the server process (VmHWM) before the sockets connect and after all were \
         replayed; the data set copied per server.\n\n\
         | server | peak RSS before | peak RSS after | replay took | sockets failed |\n|---|---|---|---|---|\n{rows}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        args.messages,
        args.chars,
        args.sockets,
        machine(),
        args.chars / 1000,
        args.chars * 5 / 1000,
    );
    append(&args.out, &section)
}
