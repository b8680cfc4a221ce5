//! Shared pieces of hearth's benchmarks: starting the server, waiting for it, percentiles,
//! and describing the machine the figures come from.

use std::time::{Duration, Instant};

use anyhow::bail;

/// A free TCP port on loopback.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until the server answers `/readyz`.
pub async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not become ready")
}

/// The value at fraction `p` of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// "2 × <CPU model>, linux"
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    format!("{cores} × {cpu}, {}", std::env::consts::OS)
}

/// The server's resident memory in KiB and CPU seconds used so far, from /proc.
pub fn usage(pid: u32) -> (u64, f64) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .map(|s| {
            let after = s.rsplit(')').next().unwrap_or("");
            let fields: Vec<&str> = after.split_whitespace().collect();
            fields.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
                + fields.get(12).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0)
        })
        .unwrap_or(0.0);
    (rss, ticks / 100.0)
}

/// Raises this process's open-file limit to the hard limit (children inherit it).
pub fn raise_fd_limit() -> u64 {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
    lim.rlim_cur
}

/// Appends a section to the benchmark file, creating it with its heading if needed.
pub fn append(out: &std::path::Path, section: &str) -> anyhow::Result<()> {
    let mut existing = std::fs::read_to_string(out).unwrap_or_else(|_| {
        "# hearth benchmarks\n\nFigures written by the tools under `tools/hearth-load`. Compare within one run; absolute times on shared machines drift.\n".into()
    });
    existing.push_str(section);
    std::fs::write(out, existing)?;
    Ok(())
}

/// The password of the benchmarks' person.
pub const PASSWORD: &str = "benchmark passphrase";

/// The benchmarks' person (`bench`, the first account: a server admin) and workspace
/// (`bench`), made through hearth's use cases, with `channels` channels: `#general`, then
/// `room-1`, … of which those from `private_from` on are private. Returns the person and
/// the channel ids, `#general` first.
pub async fn bench_workspace(
    state: &hearth::app::AppState,
    channels: usize,
    private_from: usize,
) -> anyhow::Result<(hearth::app::Actor, Vec<i64>)> {
    use hearth::app::{Actor, Credential, accounts, channels as ch, workspaces};
    let form = accounts::SignupForm {
        email: "bench@example.com".into(),
        username: "bench".into(),
        password: PASSWORD.into(),
        display_name: None,
        invite_token: None,
    };
    let user = accounts::signup(state, form, None).await?.user;
    let actor = Actor { user, credential: Credential::Operator };
    workspaces::create(state, &actor, "bench", "Bench").await?;
    let mut ids = vec![ch::list(state, &actor, "bench").await?[0].id];
    for n in 1..channels {
        let form = ch::NewChannelForm { name: format!("room-{n}"), private: n >= private_from, ..Default::default() };
        ids.push(ch::create(state, &actor, "bench", form).await?.id);
    }
    Ok((actor, ids))
}

/// Signs the benchmarks' person in through the API; returns the session token.
pub async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let res: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "login": "bench", "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    res["token"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("login failed: {res}"))
}

/// Makes `count` people (`user0`, `user1`, … at `@bench.test`) in workspace `ws_id`
/// straight through hearth's db layer, person `n` in channel `channel_ids[n % len]`, each
/// with a personal access token. Returns (token, channel index) per person.
pub async fn people(
    state: &hearth::app::AppState,
    ws_id: i64,
    channel_ids: &[i64],
    count: usize,
    password: &str,
) -> anyhow::Result<Vec<(String, usize)>> {
    use hearth::db::channels::ChannelMemberRow;
    use hearth::db::tokens::NewToken;
    use hearth::db::users::NewUser;
    use hearth::db::workspaces::MemberRow;
    let hash = state.hasher.hash(password).await?;
    let mut people = Vec::new();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1000) {
        let (chunk, hash, ids) = (chunk.to_vec(), hash.clone(), channel_ids.to_vec());
        let made = state
            .db
            .write(move |tx| {
                let now = hearth::db::now();
                let mut out = Vec::new();
                for n in &chunk {
                    let name = format!("user{n}");
                    let email = format!("{name}@bench.test");
                    let user = NewUser {
                        username: &name,
                        email: &email,
                        display_name: &name,
                        password_hash: &hash,
                        is_server_admin: false,
                        is_bot: false,
                        created_at: now,
                        updated_at: now,
                    }
                    .insert(tx)?;
                    MemberRow {
                        workspace_id: ws_id,
                        user_id: user.id,
                        role: hearth::domain::workspaces::Role::Member,
                        joined_at: now,
                        deactivated_at: None,
                    }
                    .insert(tx)?;
                    let channel = n % ids.len();
                    ChannelMemberRow::new(ids[channel], user.id, now, 0).insert(tx)?;
                    let token = hearth::security::random_token(hearth::security::PERSONAL_TOKEN_PREFIX);
                    NewToken {
                        user_id: user.id,
                        name: "bench",
                        token_hash: &hearth::security::token_hash(&token),
                        created_at: now,
                    }
                    .insert(tx)?;
                    out.push((token, channel));
                }
                Ok(out)
            })
            .await?;
        people.extend(made);
    }
    Ok(people)
}

/// The benchmarks' admin (`admin`, the first account) and workspace (`bench`), made through
/// hearth's use cases; returns the admin acting as the operator, and the workspace's id.
pub async fn bench_admin(state: &hearth::app::AppState, password: &str) -> anyhow::Result<(hearth::app::Actor, i64)> {
    use hearth::app::{Actor, Credential, accounts, workspaces};
    let form = accounts::SignupForm {
        email: "admin@bench.test".into(),
        username: "admin".into(),
        password: password.into(),
        display_name: None,
        invite_token: None,
    };
    let admin = accounts::signup(state, form, None).await?.user;
    let actor = Actor { user: admin, credential: Credential::Operator };
    let ws = workspaces::create(state, &actor, "bench", "Bench").await?;
    Ok((actor, ws.id))
}

/// The server started on `dir` at `port` as the benchmarks run it: warnings only, the
/// per-person write limit lifted (one poster writes for everyone), on PostgreSQL when a
/// database URL is given. The caller adds its own settings and spawns it.
pub fn server_command(
    server: &std::path::Path,
    dir: &std::path::Path,
    port: u16,
    database_url: Option<&str>,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(server);
    command
        .env("HEARTH_DATA_DIR", dir)
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .env("HEARTH_LOG", "warn")
        .env("HEARTH_WRITES_PER_MINUTE", "1000000")
        .env("HEARTH_WRITE_BURST", "100000")
        .envs(database_url.map(|u| ("HEARTH_DATABASE_URL", u.to_owned())))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}
