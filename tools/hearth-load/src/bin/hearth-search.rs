//! hearth's search benchmark: writes a corpus of realistic messages (a vocabulary with Zipf
//! frequencies, dev words, URLs, identifiers, file names, some CJK, many channels, threads)
//! through hearth's database layer, rebuilds the index with `hearth reindex`, starts the
//! server on it, and measures through HTTP: query latency per class with the permission
//! filter of a person in 50 of 300 channels, suggest latency typing letter by letter, time
//! from post to searchable under load, cold start and memory. Compares server binaries
//! (`--server`, repeatable) on copies of one corpus, asking each query of every server in
//! turn. Appends to BENCHMARKS.md.
//!
//! `cargo run --release -p hearth-load --bin hearth-search -- --messages 1000000`

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hearth::config::{HashCost, Settings};
use hearth::db::channels::ChannelMemberRow;
use hearth::db::messages::NewMessage;
use hearth::domain::messages::{MessageText, Resolved, render};
use hearth_load::{append, free_port, login, machine, percentile, usage, wait_ready};
use serde_json::{Value, json};

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    #[arg(long, default_value_t = 300)]
    channels: usize,
    /// Of which the searcher may read (is in) this many.
    #[arg(long, default_value_t = 50)]
    readable: usize,
    /// Queries per class.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// The server binary; repeat to compare several on copies of one corpus.
    #[arg(long, default_value = "target/release/hearth")]
    server: Vec<PathBuf>,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// Keep the corpus in this directory and reuse it on the next run with the same
    /// `--messages`, `--channels` and `--readable` (a temporary directory otherwise).
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Makes one query of a class.
type QueryMaker<'a> = Box<dyn Fn(&mut Rng) -> String + 'a>;

/// A small deterministic generator (xorshift), so every run writes the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The words messages are made of, drawn with Zipf frequencies (rank r has weight 1/r).
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

const DEV_WORDS: &[&str] = &[
    "deploy",
    "deployment",
    "deployed",
    "release",
    "rollback",
    "staging",
    "production",
    "incident",
    "database",
    "migration",
    "latency",
    "outage",
    "monitoring",
    "dashboard",
    "pipeline",
    "build",
    "merge",
    "review",
    "branch",
    "commit",
    "hotfix",
    "config",
    "kubernetes",
    "cluster",
    "service",
    "endpoint",
    "timeout",
    "retry",
    "cache",
    "index",
    "search",
    "query",
    "schema",
    "backup",
    "restore",
    "alert",
    "metrics",
    "grafana",
    "postgres",
    "redis",
];
const HOSTS: &[&str] =
    &["ci.example.com", "grafana.internal.acme.io", "github.com", "docs.rs", "status.acme.io", "jira.acme.io"];
const CJK: &[&str] =
    &["東京都に行きます", "数据库迁移完成了", "会議は明日です", "서버가 다운되었습니다", "検索エンジン"];

impl Vocabulary {
    fn new(rng: &mut Rng, size: usize) -> Vocabulary {
        const SYLLABLES: &[&str] =
            &["ka", "lo", "mi", "ter", "shan", "po", "ru", "vel", "din", "sa", "mor", "qui", "ne", "bra", "tos", "el"];
        let mut words: Vec<String> = DEV_WORDS.iter().map(|w| (*w).to_owned()).collect();
        while words.len() < size {
            let n = 2 + rng.below(3);
            words.push((0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect());
        }
        let mut total = 0.0;
        let cumulative = (1..=words.len()).map(|r| {
            total += 1.0 / r as f64;
            total
        });
        let cumulative: Vec<f64> = cumulative.collect();
        Vocabulary { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let top = self.cumulative[self.cumulative.len() - 1];
        let x = (rng.next() as f64 / u64::MAX as f64) * top;
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        &self.words[i]
    }

    fn message(&self, rng: &mut Rng) -> String {
        let mut parts: Vec<String> = (0..4 + rng.below(14)).map(|_| self.word(rng).to_owned()).collect();
        if rng.chance(8) {
            parts.push(format!(
                "https://{}/job/{}-{}/{}",
                HOSTS[rng.below(HOSTS.len())],
                self.word(rng),
                self.word(rng),
                rng.below(999)
            ));
        }
        if rng.chance(5) {
            let (a, b) = (self.word(rng).to_owned(), self.word(rng).to_owned());
            parts.push(match rng.below(3) {
                0 => format!("{a}_{b}"),
                1 => format!("get{}{}", capital(&a), capital(&b)),
                _ => format!("{a}.{b}.rs"),
            });
        }
        if rng.chance(3) {
            parts.push(format!("{}-{}.pdf", self.word(rng), rng.below(100)));
        }
        if rng.chance(5) {
            parts.push(CJK[rng.below(CJK.len())].to_owned());
        }
        parts.join(" ")
    }
}

fn capital(w: &str) -> String {
    let mut c = w.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let temp = tempfile::tempdir()?;
    let dir = args.data.clone().unwrap_or_else(|| temp.path().to_owned());
    let mut settings = Settings::defaults(&dir);
    settings.accounts.password_hash = HashCost::Test;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let vocabulary = Vocabulary::new(&mut rng, 60_000);

    // A kept corpus is reused when it was written with the same shape.
    let shape = format!("{} {} {}", args.messages, args.channels, args.readable);
    let marker = dir.join("bench-corpus");
    let fill_secs = if std::fs::read_to_string(&marker).ok().as_deref() == Some(shape.as_str()) {
        eprintln!("reusing the corpus in {}", dir.display());
        None
    } else {
        if dir.exists() && args.data.is_some() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        eprintln!("writing {} messages over {} channels…", args.messages, args.channels);
        let started = Instant::now();
        fill(&settings, &args, &vocabulary, &mut rng).await?;
        std::fs::write(&marker, &shape)?;
        Some(started.elapsed().as_secs_f64())
    };
    let written = fill_secs.map_or_else(
        || "Corpus reused from an earlier run.".to_owned(),
        |s| format!("Corpus written in {s:.0} s through hearth's database layer."),
    );

    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    // Each server gets its own copy of the corpus, and rebuilds its own index of it.
    let mut copies = Vec::new();
    let mut nodes = Vec::new();
    for (i, binary) in args.server.iter().enumerate() {
        let data = if i == 0 {
            dir.clone()
        } else {
            let copy = tempfile::tempdir()?;
            let status = std::process::Command::new("cp").arg("-a").arg(dir.join(".")).arg(copy.path()).status()?;
            if !status.success() {
                bail!("copying the corpus failed");
            }
            let path = copy.path().to_owned();
            copies.push(copy);
            path
        };
        let mut node = Node::start(binary, &data).await?;
        node.sign_in(&client).await?;
        nodes.push(node);
    }

    let mut pick = Rng(7);
    let words = &vocabulary.words;
    let rare = move |r: &mut Rng| words[20_000 + r.below(30_000)].clone();
    let common = move |r: &mut Rng| words[r.below(40)].clone();
    let classes: Vec<(&str, QueryMaker<'_>)> = vec![
        ("single common word", Box::new(move |r| common(r))),
        ("rare word", Box::new(move |r| rare(r))),
        ("two words", Box::new(move |r| format!("{} {}", common(r), words[r.below(2000)]))),
        ("phrase", Box::new(move |r| format!("\"{} {}\"", common(r), common(r)))),
        ("prefix of 2 letters", Box::new(move |r| rare(r)[..2].to_owned())),
        ("prefix of 3 letters", Box::new(move |r| rare(r)[..3].to_owned())),
        ("prefix of 5 letters", Box::new(move |r| rare(r).chars().take(5).collect())),
        ("host name", Box::new(move |r| HOSTS[r.below(HOSTS.len())].to_owned())),
        ("CJK", Box::new(|r| ["東京", "数据", "会議", "서버", "検索"][r.below(5)].to_owned())),
        ("from:me", Box::new(move |r| format!("{} from:me", common(r)))),
        ("in:#channel", Box::new(move |r| format!("{} in:#room-{}", common(r), r.below(50)))),
        ("has:link", Box::new(move |r| format!("{} has:link", common(r)))),
        ("is:thread", Box::new(move |r| format!("{} is:thread", common(r)))),
        (
            "after: 30 days",
            Box::new(move |r| {
                format!("{} after:{}", common(r), (chrono::Utc::now() - chrono::Duration::days(30)).format("%Y-%m-%d"))
            }),
        ),
        ("word, sorted by date", Box::new(move |r| common(r))),
        ("combination", Box::new(move |r| format!("{} -{} has:link in:#room-{}", common(r), common(r), r.below(50)))),
    ];
    // Every query is asked of each server in turn, so that the machine's drift falls on all.
    let mut rows = Vec::new();
    let mut all = vec![Vec::new(); nodes.len()];
    for (name, make) in &classes {
        let mut times = vec![Vec::new(); nodes.len()];
        let mut hits = 0.0;
        for _ in 0..args.queries {
            let q = make(&mut pick);
            let q = if *name == "word, sorted by date" { format!("{q}&sort=date") } else { q };
            for (i, node) in nodes.iter().enumerate() {
                let (ms, body) = node.search(&client, &q).await?;
                if i == 0 {
                    hits += body["total"].as_f64().unwrap_or(0.0);
                }
                times[i].push(ms);
            }
        }
        for (i, t) in times.iter_mut().enumerate() {
            t.sort_by(f64::total_cmp);
            all[i].extend(t.iter().copied());
        }
        eprintln!("{name}: {}", cells(&times));
        rows.push(format!("| {name} | {} | {:.0} |", cells(&times), hits / args.queries as f64));
    }
    for a in &mut all {
        a.sort_by(f64::total_cmp);
    }
    rows.push(format!("| every class together | {} | |", cells(&all)));

    // Suggestions, typing ten queries a letter at a time.
    let mut keys = vec![Vec::new(); nodes.len()];
    for n in 0..10 {
        let query = format!("{} {}", vocabulary.words[n], vocabulary.words[20_000 + n * 7]);
        for end in 1..=query.len() {
            for (i, node) in nodes.iter().enumerate() {
                keys[i].push(node.suggest(&client, &query[..end]).await?);
            }
        }
    }
    for k in &mut keys {
        k.sort_by(f64::total_cmp);
    }
    rows.push(format!("| suggest, per keystroke ({} keystrokes) | {} | |", keys[0].len(), cells(&keys)));

    // From post to searchable, posting 200 a second for 10 seconds, one server at a time.
    let mut waits = Vec::new();
    for node in &nodes {
        waits.push(node.post_to_searchable(&client).await?);
    }
    rows.push(format!("| post → searchable, 200 posts/s (every 10th checked) | {} | |", cells(&waits)));

    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let servers: Vec<String> = args.server.iter().map(|s| format!("`{}`", s.display())).collect();
    let mut section = format!(
        "\n## {date}: search over {} messages in {} channels (the searcher reads {})\n\n\
         Machine: {}. `cargo run --release -p hearth-load --bin hearth-search -- --messages {}{}`; release \
         build, server and client on one machine over loopback, one request at a time{}. {written}\n\n",
        args.messages,
        args.channels,
        args.readable,
        machine(),
        args.messages,
        args.server.iter().map(|s| format!(" --server {}", s.display())).collect::<String>(),
        if nodes.len() > 1 { ", each query asked of every server in turn" } else { "" },
    );
    section.push_str("| server | `hearth reindex` | cold start with the index | memory (RSS) after the queries |\n|---|---|---|---|\n");
    for (node, name) in nodes.iter_mut().zip(&servers) {
        let (rss, _) = usage(node.pid);
        section.push_str(&format!("| {name} | {} | {:.2} s | {} MiB |\n", node.reindex, node.cold, rss / 1024));
    }
    let header: String = servers.iter().map(|s| format!(" {s} p50 | p99 |")).collect();
    let rule: String = servers.iter().map(|_| "---|---|").collect();
    section
        .push_str(&format!("\n| query (HTTP, {} each) |{header} hits on average |\n|---|{rule}---|\n", args.queries));
    for r in rows {
        section.push_str(&r);
        section.push('\n');
    }
    for node in &mut nodes {
        node.child.kill().await.ok();
    }
    append(&args.out, &section)?;
    eprintln!("appended to {}", args.out.display());
    Ok(())
}

/// p50 and p99 of each server's sorted times, as table cells.
fn cells(times: &[Vec<f64>]) -> String {
    times
        .iter()
        .map(|t| format!("{:.2} ms | {:.2} ms", percentile(t, 0.5), percentile(t, 0.99)))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// One server under test, on its own copy of the corpus.
struct Node {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    token: String,
    /// What `hearth reindex` printed.
    reindex: String,
    /// Seconds from process start to the first search answered.
    cold: f64,
    started: Instant,
}

impl Node {
    async fn start(binary: &std::path::Path, data: &std::path::Path) -> anyhow::Result<Node> {
        eprintln!("reindexing with {}…", binary.display());
        let out = std::process::Command::new(binary)
            .arg("reindex")
            .env("HEARTH_DATA_DIR", data)
            .env("HEARTH_LOG", "warn")
            .output()
            .with_context(|| format!("running {} reindex", binary.display()))?;
        if !out.status.success() {
            bail!("reindex failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let reindex = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        eprintln!("{reindex}");
        let port = free_port()?;
        let started = Instant::now();
        let child = tokio::process::Command::new(binary)
            .env("HEARTH_DATA_DIR", data)
            .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
            .env("HEARTH_LOG", "warn")
            .env("HEARTH_WRITES_PER_MINUTE", "1000000")
            .env("HEARTH_WRITE_BURST", "100000")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().context("the server's pid")?;
        Ok(Node {
            child,
            pid,
            base: format!("http://127.0.0.1:{port}"),
            token: String::new(),
            reindex,
            cold: 0.0,
            started,
        })
    }

    /// Waits for the server, signs in, and times the first search from its start.
    async fn sign_in(&mut self, client: &reqwest::Client) -> anyhow::Result<()> {
        let start = self.started;
        wait_ready(client, &self.base).await?;
        self.token = login(client, &self.base).await?;
        self.search(client, "deploy").await?;
        self.cold = start.elapsed().as_secs_f64();
        Ok(())
    }

    async fn search(&self, client: &reqwest::Client, q: &str) -> anyhow::Result<(f64, Value)> {
        let url = format!("{}/api/v1/workspaces/bench/search?q={}", self.base, encode(q));
        let t = Instant::now();
        let res = client.get(url).bearer_auth(&self.token).send().await?;
        if !res.status().is_success() {
            bail!("{q}: {}", res.status());
        }
        let body: Value = res.json().await?;
        Ok((t.elapsed().as_secs_f64() * 1e3, body))
    }

    async fn suggest(&self, client: &reqwest::Client, q: &str) -> anyhow::Result<f64> {
        let url = format!("{}/api/v1/workspaces/bench/search/suggest?q={}", self.base, encode(q));
        let t = Instant::now();
        client.get(url).bearer_auth(&self.token).send().await?.error_for_status()?.bytes().await?;
        Ok(t.elapsed().as_secs_f64() * 1e3)
    }

    /// Posts 200 messages a second for 10 seconds, and times every tenth from its post to
    /// the first search that finds it (sorted).
    async fn post_to_searchable(&self, client: &reqwest::Client) -> anyhow::Result<Vec<f64>> {
        let (_, body) = self.search(client, "from:me").await?;
        let channel = body["results"][0]["message"]["channel_id"].as_i64().context("a readable channel")?;
        // Markers of their own, so that a reused corpus's earlier ones are not found instead.
        let run = chrono::Utc::now().timestamp();
        let mut tasks = Vec::new();
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        for n in 0..2000 {
            tick.tick().await;
            let (client, base, token) = (client.clone(), self.base.clone(), self.token.clone());
            tasks.push(tokio::spawn(async move {
                let word = format!("fresh{run}x{n}marker");
                let posted = Instant::now();
                client
                    .post(format!("{base}/api/v1/channels/{channel}/messages"))
                    .bearer_auth(&token)
                    .json(&json!({ "text": format!("{word} just now") }))
                    .send()
                    .await?
                    .error_for_status()?;
                if n % 10 != 0 {
                    return Ok(None);
                }
                loop {
                    let body: Value = client
                        .get(format!("{base}/api/v1/workspaces/bench/search?q={word}"))
                        .bearer_auth(&token)
                        .send()
                        .await?
                        .json()
                        .await?;
                    if body["total"].as_u64() == Some(1) {
                        return Ok::<Option<f64>, anyhow::Error>(Some(posted.elapsed().as_secs_f64() * 1e3));
                    }
                    if posted.elapsed() > Duration::from_secs(30) {
                        bail!("{word} was not searchable after 30 s");
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }));
        }
        let mut waits = Vec::new();
        for t in tasks {
            if let Some(ms) = t.await?? {
                waits.push(ms);
            }
        }
        waits.sort_by(f64::total_cmp);
        Ok(waits)
    }
}

fn encode(q: &str) -> String {
    // `&sort=` passes through as written; everything else is escaped.
    let (q, rest) = q.split_once('&').map_or((q, ""), |(a, b)| (a, b));
    let mut out: String = q
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    if !rest.is_empty() {
        out.push('&');
        out.push_str(rest);
    }
    out
}

/// The searcher, the workspace, its channels (the searcher stays in `readable` of them; the
/// rest are private channels of others), and the messages, in large transactions.
async fn fill(settings: &Settings, args: &Args, vocabulary: &Vocabulary, rng: &mut Rng) -> anyhow::Result<()> {
    let state = hearth::startup::build_state(settings.clone(), "http://127.0.0.1".into())?;
    let (actor, ids) = hearth_load::bench_workspace(&state, args.channels, args.readable).await?;
    let user = actor.user.clone();
    // The searcher leaves the private ones: they hold most messages, and it may read none.
    let (user_id, left) = (user.id, ids[args.readable..].to_vec());
    state
        .db
        .write(move |tx| {
            for id in &left {
                ChannelMemberRow::delete(tx, *id, user_id)?;
            }
            Ok(())
        })
        .await?;
    let per_batch = 20_000;
    let mut written = 0;
    let mut roots: Vec<(i64, i64)> = Vec::new();
    while written < args.messages {
        let batch: Vec<(i64, String, bool)> = (0..per_batch.min(args.messages - written))
            .map(|_| {
                // Channels by Zipf too: a few busy ones, a long tail.
                let channel = ids[(vocabulary.cumulative.partition_point(|c| {
                    *c < (rng.next() as f64 / u64::MAX as f64) * vocabulary.cumulative[ids.len() - 1]
                }))
                .min(ids.len() - 1)];
                (channel, vocabulary.message(rng), rng.chance(10))
            })
            .collect();
        let n = batch.len();
        let reply_to = roots.last().copied();
        let new_roots = state
            .db
            .write(move |tx| {
                let names = Resolved::default();
                let mut made = Vec::new();
                for (channel, text, reply) in &batch {
                    let (channel, reply) = (*channel, *reply);
                    let text = MessageText::parse(text, 40_000)?;
                    let html = render(&text, &names);
                    let root = reply_to.filter(|(c, _)| reply && *c == channel).map(|(_, id)| id);
                    let row = NewMessage {
                        channel_id: channel,
                        user_id,
                        text: text.as_str(),
                        html: &html,
                        thread_root_id: root,
                        in_channel: root.is_none(),
                        client_msg_id: None,
                        bot: None,
                        created_at: hearth::db::now(),
                    }
                    .insert(tx)?;
                    if root.is_none() && made.len() < 10 {
                        made.push((channel, row.id));
                    }
                }
                Ok(made)
            })
            .await?;
        roots.extend(new_roots);
        written += n;
        if written % 100_000 == 0 {
            eprintln!("  {written}");
        }
    }
    Ok(())
}
