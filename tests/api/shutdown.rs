//! Stopping the real binary: on SIGTERM it stops accepting connections, closes live sockets
//! with 1001 (going away), drains, stops its workers, and exits 0.

use crate::helpers::{Ws, eventually, serve_binary, spawn_app};

#[tokio::test]
async fn sigterm_closes_live_sockets_with_1001_and_exits_0() {
    // The in-process app prepares the database; the binary serves the same one.
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (mut child, address, _data) = serve_binary(&app, &[]).await;
    let pid = child.id() as libc::pid_t;

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
