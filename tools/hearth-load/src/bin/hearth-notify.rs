//! hearth's notification benchmark: one `@channel` in a channel of N people, every one of
//! them away, and the time until every notification mail has been handed to an SMTP sink
//! (inside this process, speaking SMTP); meanwhile a poster keeps posting elsewhere at a
//! steady rate, and its latency is compared with the same posting before the `@channel`.
//! The generator and the sink share the machine with the server.
//!
//! `cargo run --release -p hearth-load --bin hearth-notify -- --people 10000`

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use hearth::app::channels;
use hearth::config::{HashCost, Settings};
use hearth_load::{append, free_port, machine, percentile, usage, wait_ready};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Parser, Debug)]
struct Args {
    /// People in the channel, all mentioned by one `@channel`.
    #[arg(long, default_value_t = 10_000)]
    people: usize,
    /// Posts per second by the poster, before and during.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds of posting before the `@channel`, for the baseline.
    #[arg(long, default_value_t = 15)]
    baseline: u64,
    /// Give up waiting for the mail after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// A fresh PostgreSQL database; SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value = "target/release/hearth")]
    server: PathBuf,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
}

const PASSWORD: &str = "benchmark passphrase";

/// An SMTP sink: accepts every message, counting them.
async fn sink(count: Arc<AtomicU64>) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                    return;
                }
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        count.fetch_add(1, Ordering::Relaxed);
                        b"250 queued\r\n"
                    } else {
                        let upper = line.to_ascii_uppercase();
                        if upper.starts_with("DATA") {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"250 ok\r\n"
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(port)
}

/// The people, the channel they are all in, and a quiet channel for the poster.
async fn fixture(settings: &Settings, people: usize) -> anyhow::Result<(String, i64, i64)> {
    let state = hearth::startup::build_state(settings.clone(), "http://127.0.0.1".into())?;
    let (actor, ws) = hearth_load::bench_admin(&state, PASSWORD).await?;
    let general = channels::list(&state, &actor, "bench").await?[0].id;
    hearth_load::people(&state, ws, &[general], people, PASSWORD).await?;
    let quiet = channels::create(
        &state,
        &actor,
        "bench",
        channels::NewChannelForm { name: "quiet".into(), ..Default::default() },
    )
    .await?
    .id;
    let (_, token) = hearth::app::tokens::create(&state, &actor, "bench").await?;
    Ok((token, general, quiet))
}

/// Posts to `channel` at `rate` until `stop` is set; the latency of each post, in ms.
async fn poster(
    client: reqwest::Client,
    url: String,
    token: String,
    rate: f64,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<f64> {
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let mut latencies = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        every.tick().await;
        n += 1;
        let started = Instant::now();
        let sent =
            client.post(&url).bearer_auth(&token).json(&json!({ "text": format!("steady post {n}") })).send().await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    latencies
}

fn summary(mut latencies: Vec<f64>) -> (usize, f64, f64, f64) {
    latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() {
        return (0, 0.0, 0.0, 0.0);
    }
    let mean = latencies.iter().sum::<f64>() / latencies.len() as f64;
    (latencies.len(), mean, percentile(&latencies, 0.5), percentile(&latencies, 0.99))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults(dir.path());
    settings.accounts.password_hash = HashCost::Test;
    if let Some(url) = &args.database_url {
        settings.database.url = Some(hearth::config::Secret::new(url.clone()));
    }
    let made = Instant::now();
    let (token, general, quiet) = fixture(&settings, args.people).await?;
    eprintln!("{} people in {:.1} s", args.people, made.elapsed().as_secs_f64());

    let mails = Arc::new(AtomicU64::new(0));
    let sink_port = sink(mails.clone()).await?;
    let port = free_port()?;
    let mut server = hearth_load::server_command(&args.server, dir.path(), port, args.database_url.as_deref())
        .env("HEARTH_SMTP_URL", format!("smtp://127.0.0.1:{sink_port}"))
        .env("HEARTH_NOTIFY_DELAY", "1s")
        .spawn()
        .with_context(|| format!("starting {} (cargo build --release)", args.server.display()))?;
    let pid = server.id().unwrap_or(0);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    wait_ready(&client, &base).await?;
    let quiet_url = format!("{base}/api/v1/channels/{quiet}/messages");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let before = tokio::spawn(poster(client.clone(), quiet_url.clone(), token.clone(), args.rate, stop.clone()));
    tokio::time::sleep(Duration::from_secs(args.baseline)).await;
    stop.store(true, Ordering::Relaxed);
    let baseline = summary(before.await?);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let during = tokio::spawn(poster(client.clone(), quiet_url, token.clone(), args.rate, stop.clone()));
    let (_, cpu_before) = usage(pid);
    let started = Instant::now();
    let posted = client
        .post(format!("{base}/api/v1/channels/{general}/messages"))
        .bearer_auth(&token)
        .json(&json!({ "text": "@channel the release goes out at five" }))
        .send()
        .await?;
    anyhow::ensure!(posted.status().is_success(), "the @channel was not posted: {}", posted.text().await?);
    let mention_ms = started.elapsed().as_secs_f64() * 1000.0;
    let want = args.people as u64;
    let mut first_mail = None;
    while mails.load(Ordering::Relaxed) < want && started.elapsed() < Duration::from_secs(args.timeout) {
        if first_mail.is_none() && mails.load(Ordering::Relaxed) > 0 {
            first_mail = Some(started.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let all_mail = started.elapsed().as_secs_f64();
    let (rss, cpu_after) = usage(pid);
    stop.store(true, Ordering::Relaxed);
    let during = summary(during.await?);
    let got = mails.load(Ordering::Relaxed);
    let _ = server.kill().await;

    let backend = if args.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let section = format!(
        "\n## Notification mail: one @channel to {people} people ({backend}), {date}\n\n\
         Machine: {machine}. Command: `cargo run --release -p hearth-load --bin hearth-notify -- --people {people}{pg}`. \
         Every person is away (no browser), `HEARTH_NOTIFY_DELAY=1s`, mail to an SMTP sink in the benchmark process; \
         a poster posts {rate}/s in another channel for {baseline} s before and all through the mail.\n\n\
         | | |\n|---|---|\n\
         | mails handed to the sink | {got} of {people} |\n\
         | first mail after the post | {first:.1} s |\n\
         | every mail after the post | {all_mail:.1} s ({per_s:.0} mails/s, the 1 s delay included) |\n\
         | the @channel post itself | {mention_ms:.1} ms |\n\
         | posting before: mean / p50 / p99 (n) | {b_mean:.1} / {b_p50:.1} / {b_p99:.1} ms ({b_n}) |\n\
         | posting during: mean / p50 / p99 (n) | {d_mean:.1} / {d_p50:.1} / {d_p99:.1} ms ({d_n}) |\n\
         | during ÷ before: mean / p50 / p99 | {r_mean:.2} / {r_p50:.2} / {r_p99:.2} |\n\
         | server CPU while mailing | {cpu:.1} s ({cpu_share:.0} % of one core) |\n\
         | server RSS at the end | {rss_mb:.0} MiB |\n",
        people = args.people,
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        machine = machine(),
        pg = if args.database_url.is_some() { " --database-url <fresh database>" } else { "" },
        rate = args.rate,
        baseline = args.baseline,
        first = first_mail.unwrap_or(all_mail),
        per_s = got as f64 / all_mail,
        b_n = baseline.0,
        b_mean = baseline.1,
        b_p50 = baseline.2,
        b_p99 = baseline.3,
        d_n = during.0,
        d_mean = during.1,
        d_p50 = during.2,
        d_p99 = during.3,
        r_mean = ratio(during.1, baseline.1),
        r_p50 = ratio(during.2, baseline.2),
        r_p99 = ratio(during.3, baseline.3),
        cpu = cpu_after - cpu_before,
        cpu_share = 100.0 * (cpu_after - cpu_before) / all_mail,
        rss_mb = rss as f64 / 1024.0,
    );
    print!("{section}");
    append(&args.out, &section)?;
    Ok(())
}
