//! Mail through an SMTP relay (`HEARTH_SMTP_URL`), with a minimal SMTP sink inside the test.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::spawn_app_with;

/// Accepts SMTP sessions and hands each message (envelope recipients, data) to the channel.
async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<(Vec<String>, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                let (mut rcpt, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            let _ = tx.send((std::mem::take(&mut rcpt), std::mem::take(&mut data)));
                            write.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let upper = line.to_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 sink\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
                        b"250 ok\r\n"
                    } else if upper.starts_with("DATA") {
                        in_data = true;
                        b"354 go ahead\r\n"
                    } else if upper.starts_with("QUIT") {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn invitations_go_out_through_the_smtp_relay_when_one_is_set() {
    let (port, mut inbox) = smtp_sink().await;
    let app =
        spawn_app_with(|s| s.smtp_url = Some(hearth::config::Secret::new(format!("smtp://127.0.0.1:{port}")))).await;
    let admin = app.admin_with_workspace().await;
    let (status, body) =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (to, data) = tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv())
        .await
        .expect("mail within 10 s")
        .unwrap();
    assert_eq!(to, ["bob@example.com"]);
    assert!(data.contains("Subject: admin invited you to Acme on hearth"), "{data}");
    assert!(app.mails().is_empty(), "nothing written to files when a relay is set");
}

#[tokio::test]
async fn a_relay_that_is_down_is_a_clear_503() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app =
        spawn_app_with(|s| s.smtp_url = Some(hearth::config::Secret::new(format!("smtp://127.0.0.1:{closed}")))).await;
    let admin = app.admin_with_workspace().await;
    let res =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    crate::helpers::assert_error(&res, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");
}
