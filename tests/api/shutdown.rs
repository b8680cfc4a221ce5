//! Stopping the real binary: on SIGTERM it stops accepting connections, closes live sockets
//! with 1001 (going away), drains, stops its workers, and exits 0.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{Ws, eventually, spawn_app};

#[tokio::test]
async fn sigterm_closes_live_sockets_with_1001_and_exits_0() {
    // The in-process app prepares the database; the binary serves the same one.
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("serve")
        .env_clear()
        .env("HEARTH_BIND", "127.0.0.1:0")
        .env("HEARTH_DATA_DIR", data.path())
        .env("HEARTH_DATABASE_URL", app.state.settings.database_url())
        .env("HEARTH_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("hearth starts");
    let pid = child.id() as libc::pid_t;

    // The address it bound is in its log; the log is read on a thread until it ends.
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let address = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(line) = lines.recv().await {
            let entry: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if entry["fields"]["message"] == "hearth is listening" {
                return entry["fields"]["url"].as_str().map(str::to_owned);
            }
        }
        None
    })
    .await
    .expect("hearth listens within 10 s")
    .expect("hearth logged its address");

    let mut ws = Ws::connect(&address, &admin.token, "").await;
    assert_eq!(ws.frame().await["type"], "hello");
    // SAFETY: signalling a child process this test started and has not yet reaped.
    #[allow(unsafe_code, reason = "libc has no safe kill")]
    let sent = unsafe { libc::kill(pid, libc::SIGTERM) };
    assert_eq!(sent, 0);
    assert_eq!(ws.closed().await, Some(1001), "the socket is told the server is going away");

    let status = eventually("hearth to exit", async || child.try_wait().expect("waiting for hearth")).await;
    assert_eq!(status.code(), Some(0), "a requested stop is a clean exit");
}
