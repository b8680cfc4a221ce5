//! hearth's live-delivery benchmark: N WebSocket clients spread over M channels, posts at a
//! steady rate through the HTTP API, and the latency from each post being sent to its frame
//! arriving at every client. Also: server memory per idle connection, and the same delivery
//! across two nodes on PostgreSQL. The generator shares the machine with the server.
//!
//! `cargo run --release -p hearth-load --bin hearth-live -- --clients 1000 --channels 1 --rate 20`

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use futures_util::StreamExt;
use hearth::app::channels;
use hearth::config::{HashCost, Secret, Settings};
use hearth_load::{append, free_port, machine, percentile, raise_fd_limit, usage, wait_ready};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[derive(Parser, Debug)]
struct Args {
    /// Connected clients.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Channels they are spread over (one each).
    #[arg(long, default_value_t = 1)]
    channels: usize,
    /// Posts per second through the HTTP API.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// How long to post for.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Only connect the clients and measure the server's memory per connection.
    #[arg(long)]
    idle: bool,
    /// A fresh PostgreSQL database; SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
    /// Run two nodes on the PostgreSQL database: clients on one, posts through the other.
    #[arg(long)]
    two_nodes: bool,
    #[arg(long, default_value = "target/release/hearth")]
    server: PathBuf,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
}

const PASSWORD: &str = "benchmark passphrase";

struct Fixture {
    admin_token: String,
    channel_ids: Vec<i64>,
    /// (token, channel index) per client.
    clients: Vec<(String, usize)>,
}

/// Creates the people, channels, memberships and tokens through hearth's own layers.
async fn fixture(settings: &Settings, args: &Args) -> anyhow::Result<Fixture> {
    let state = hearth::startup::build_state(settings.clone(), "http://127.0.0.1".into())?;
    let (actor, ws_id) = hearth_load::bench_admin(&state, PASSWORD).await?;
    let mut channel_ids = vec![channels::list(&state, &actor, "bench").await?[0].id];
    for n in 1..args.channels {
        let form = channels::NewChannelForm { name: format!("room-{n}"), ..Default::default() };
        channel_ids.push(channels::create(&state, &actor, "bench", form).await?.id);
    }
    let (_, admin_token) = hearth::app::tokens::create(&state, &actor, "bench").await?;
    let clients = hearth_load::people(&state, ws_id, &channel_ids, args.clients, PASSWORD).await?;
    Ok(Fixture { admin_token, channel_ids, clients })
}

fn spawn_server(args: &Args, dir: &std::path::Path, port: u16) -> anyhow::Result<tokio::process::Child> {
    hearth_load::server_command(&args.server, dir, port, args.database_url.as_deref())
        .spawn()
        .with_context(|| format!("starting {} (cargo build --release)", args.server.display()))
}

#[derive(Default)]
struct Tally {
    frames: AtomicU64,
    errors: AtomicU64,
}

/// One client: connects, then records the delay of every bench message until `stop`.
async fn client(
    port: u16,
    token: String,
    tally: Arc<Tally>,
    base: Instant,
    mut stop: tokio::sync::watch::Receiver<bool>,
    ready: Arc<tokio::sync::Barrier>,
    gate: Arc<tokio::sync::Semaphore>,
) -> Vec<f64> {
    let mut request = format!("ws://127.0.0.1:{port}/api/v1/ws").into_client_request().expect("a request");
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("a header"));
    let mut latencies = Vec::new();
    // Connections open a few hundred at a time.
    let permit = gate.acquire_owned().await.expect("the gate stays open");
    let mut stream = match tokio_tungstenite::connect_async(request).await {
        Ok((s, _)) => Some(s),
        Err(e) => {
            if tally.errors.load(Ordering::Relaxed) == 0 {
                eprintln!("connect failed: {e}");
            }
            tally.errors.fetch_add(1, Ordering::Relaxed);
            None
        }
    };
    // Registered once the hello has arrived.
    if let Some(s) = stream.as_mut()
        && !matches!(s.next().await, Some(Ok(Message::Text(_))))
    {
        tally.errors.fetch_add(1, Ordering::Relaxed);
        stream = None;
    }
    drop(permit);
    ready.wait().await;
    let Some(mut stream) = stream else { return latencies };
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let now = base.elapsed().as_secs_f64() * 1000.0;
                    let frame: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if frame["type"] == "message.created" {
                        tally.frames.fetch_add(1, Ordering::Relaxed);
                        if let Some(sent) = frame["data"]["message"]["text"].as_str().and_then(|t| t.rsplit(' ').next()).and_then(|t| t.parse::<f64>().ok()) {
                            latencies.push(now - sent);
                        }
                    }
                }
                Some(Ok(_)) => {}
                _ => {
                    tally.errors.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
    latencies
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.two_nodes && args.database_url.is_none() {
        anyhow::bail!("--two-nodes needs --database-url postgres://…");
    }
    let fd_limit = raise_fd_limit();
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults(dir.path());
    settings.accounts.password_hash = HashCost::Test;
    settings.database.url = args.database_url.clone().map(Secret::new);
    eprintln!("creating {} people in {} channels…", args.clients, args.channels);
    let fx = fixture(&settings, &args).await?;

    let (port_a, port_b) = (free_port()?, free_port()?);
    let server_a = spawn_server(&args, dir.path(), port_a)?;
    let dir_b = tempfile::tempdir()?;
    let server_b = if args.two_nodes { Some(spawn_server(&args, dir_b.path(), port_b)?) } else { None };
    let http = reqwest::Client::builder().pool_max_idle_per_host(256).build()?;
    wait_ready(&http, &format!("http://127.0.0.1:{port_a}")).await?;
    if server_b.is_some() {
        wait_ready(&http, &format!("http://127.0.0.1:{port_b}")).await?;
    }
    let client_port = if args.two_nodes { port_b } else { port_a };
    let watched = if args.two_nodes { server_b.as_ref().and_then(|s| s.id()) } else { server_a.id() }.unwrap_or(0);
    let (rss_before, _) = usage(watched);

    let base = Instant::now();
    let tally = Arc::new(Tally::default());
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let ready = Arc::new(tokio::sync::Barrier::new(fx.clients.len() + 1));
    let mut tasks = Vec::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    for (token, _) in &fx.clients {
        let (token, tally, stop, ready, gate) =
            (token.clone(), tally.clone(), stop.clone(), ready.clone(), gate.clone());
        tasks.push(tokio::spawn(client(client_port, token, tally, base, stop, ready, gate)));
    }
    ready.wait().await;
    let (rss_connected, cpu_before) = usage(watched);
    let errors_connecting = tally.errors.load(Ordering::Relaxed);
    eprintln!(
        "{} clients connected ({errors_connecting} failed); server RSS {rss_before} → {rss_connected} KiB",
        fx.clients.len()
    );

    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let database = if args.database_url.is_some() { "PostgreSQL 15" } else { "SQLite" };
    if args.idle {
        let per = (rss_connected.saturating_sub(rss_before)) as f64 / fx.clients.len().max(1) as f64;
        let section = format!(
            "\n## {date}: {} idle WebSocket connections, {database}\n\nMachine: {}; the generator holds the client ends on the same machine (open-file limit {fd_limit}).\n\n\
             | server RSS before | with the connections | per connection | failed connections |\n|---|---|---|---|\n| {} KiB | {} KiB | {per:.1} KiB | {errors_connecting} |\n",
            fx.clients.len(),
            machine(),
            rss_before,
            rss_connected
        );
        append(&args.out, &section)?;
        eprintln!("{per:.1} KiB per connection");
        let _ = stop_tx.send(true);
        return Ok(());
    }

    // Post at a steady rate; each post is its own task, so a slow one delays nothing.
    let post_port = port_a;
    let interval = Duration::from_secs_f64(1.0 / args.rate);
    let total = (args.rate * args.seconds as f64) as usize;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let post_errors = Arc::new(AtomicU64::new(0));
    let posting_started = Instant::now();
    let mut posts = Vec::new();
    let mut expected = 0u64;
    let per_channel: Vec<u64> =
        (0..fx.channel_ids.len()).map(|c| fx.clients.iter().filter(|(_, ch)| *ch == c).count() as u64).collect();
    for k in 0..total {
        ticker.tick().await;
        let channel = k % fx.channel_ids.len();
        expected += per_channel[channel];
        let (http, token, id, errors) =
            (http.clone(), fx.admin_token.clone(), fx.channel_ids[channel], post_errors.clone());
        posts.push(tokio::spawn(async move {
            let sent = base.elapsed().as_secs_f64() * 1000.0;
            let res = http
                .post(format!("http://127.0.0.1:{post_port}/api/v1/channels/{id}/messages"))
                .bearer_auth(&token)
                .json(&json!({ "text": format!("bench {k} {sent:.3}") }))
                .send()
                .await;
            if !res.is_ok_and(|r| r.status().is_success()) {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for p in posts {
        let _ = p.await;
    }
    let posting = posting_started.elapsed().as_secs_f64();
    // Frames still on their way get a few seconds to arrive.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tally.frames.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (rss_end, cpu_after) = usage(watched);
    let _ = stop_tx.send(true);
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap_or_default());
    }
    latencies.sort_by(f64::total_cmp);
    let received = tally.frames.load(Ordering::Relaxed);
    let dropped = expected.saturating_sub(received);
    let cpu = (cpu_after - cpu_before) / posting * 100.0;
    let (p50, p95, p99, max) = if latencies.is_empty() {
        (0.0, 0.0, 0.0, 0.0)
    } else {
        (
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.95),
            percentile(&latencies, 0.99),
            *latencies.last().unwrap_or(&0.0),
        )
    };
    let nodes = if args.two_nodes { "two nodes (clients on B, posts through A)" } else { "one node" };
    let section = format!(
        "\n## {date}: {} clients in {} channel{}, {} posts/s for {} s, {database}, {nodes}\n\nMachine: {}; the load generator (clients and poster) shares the 2 cores with the server{}.\n\n\
         | delivery p50 | p95 | p99 | max | frames/s | frames expected / received | dropped | errors (connect, socket, post) | server CPU | server RSS |\n|---|---|---|---|---|---|---|---|---|---|\n\
         | {p50:.1} ms | {p95:.1} ms | {p99:.1} ms | {max:.1} ms | {:.0} | {expected} / {received} | {dropped} | {errors_connecting}, {}, {} | {cpu:.0} % | {rss_end} KiB |\n",
        fx.clients.len(),
        fx.channel_ids.len(),
        if fx.channel_ids.len() == 1 { "" } else { "s" },
        args.rate,
        args.seconds,
        machine(),
        if args.two_nodes { " and the second node" } else { "" },
        received as f64 / posting,
        tally.errors.load(Ordering::Relaxed).saturating_sub(errors_connecting),
        post_errors.load(Ordering::Relaxed),
    );
    append(&args.out, &section)?;
    eprintln!("{section}");
    drop(server_a);
    drop(server_b);
    Ok(())
}
