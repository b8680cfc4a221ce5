//! Mail through an SMTP relay (`HEARTH_SMTP_URL`), with a minimal SMTP sink inside the test.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{eventually, spawn_app_with};

/// How the sink answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relay {
    /// Queues every message.
    Accepting,
    /// Refuses every recipient for good (550).
    Rejecting,
}

/// Mail the sink queued: envelope recipients and the data.
pub type Inbox = tokio::sync::mpsc::UnboundedReceiver<(Vec<String>, String)>;

/// Starts an SMTP sink on a free port.
pub async fn smtp_sink(relay: Relay) -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (port, smtp_sink_on(listener, relay))
}

/// Accepts SMTP sessions on `listener` and hands each queued message to the inbox.
pub fn smtp_sink_on(listener: TcpListener, relay: Relay) -> Inbox {
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
                    } else if upper.starts_with("RCPT TO:") && relay == Relay::Rejecting {
                        b"550 5.1.1 no such mailbox here\r\n"
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
    rx
}

/// The next message the sink queued, within 10 s.
pub async fn received(inbox: &mut Inbox) -> (Vec<String>, String) {
    tokio::time::timeout(std::time::Duration::from_secs(10), inbox.recv())
        .await
        .expect("mail within 10 s")
        .expect("the sink is running")
}

/// A port nothing listens on (yet): a relay that is down.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn relay_at(port: u16) -> Option<hearth::config::Secret> {
    Some(hearth::config::Secret::new(format!("smtp://127.0.0.1:{port}")))
}

#[tokio::test]
async fn invitations_go_out_through_the_smtp_relay_when_one_is_set() {
    let (port, mut inbox) = smtp_sink(Relay::Accepting).await;
    let app = spawn_app_with(|s| s.mail.smtp_url = relay_at(port)).await;
    let admin = app.admin_with_workspace().await;
    let (status, body) =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (to, data) = received(&mut inbox).await;
    assert_eq!(to, ["bob@example.com"]);
    assert!(data.contains("Subject: admin invited you to Acme on hearth"), "{data}");
    assert!(data.to_ascii_lowercase().contains("message-id: <"), "a Message-ID for mail clients: {data}");
    let parsed = mail_parser::MessageParser::default().parse(data.as_bytes()).expect("a parsable mail");
    let (text, html) = (parsed.body_text(0).unwrap_or_default(), parsed.body_html(0).unwrap_or_default());
    assert!(text.contains("Accept the invitation:") && text.contains("This message was sent by hearth."), "{text}");
    assert!(
        html.contains("Accept the invitation") && html.contains("This message was sent by hearth."),
        "the shared layout: {html}"
    );
    assert!(app.mails().is_empty(), "nothing written to files when a relay is set");
}

#[tokio::test]
async fn a_relay_that_is_down_delays_the_mail_not_the_answer_and_the_last_failure_is_kept() {
    let app = spawn_app_with(|s| {
        s.mail.smtp_url = relay_at(closed_port());
        s.job_retry_base = std::time::Duration::from_millis(1);
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let (status, body) =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    assert_eq!(status, StatusCode::CREATED, "the invitation does not wait for the relay: {body}");
    let failed = eventually("the mail to be given up on", async || {
        let (_, page) = app.get("/api/v1/admin/jobs?state=failed", &admin.token).await;
        page["jobs"].as_array().and_then(|jobs| jobs.first().cloned())
    })
    .await;
    assert_eq!(failed["kind"], "link_mail");
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"], failed["max_attempts"], "every attempt was made: {failed}");
    assert!(failed["summary"].as_str().unwrap().contains("bob@example.com"), "{failed}");
    assert!(failed["last_error"].as_str().unwrap().contains("relay is unavailable"), "{failed}");
    let (_, invitations) = app.get("/api/v1/workspaces/acme/invitations", &admin.token).await;
    assert_eq!(invitations["invitations"].as_array().unwrap().len(), 1, "the invitation stands");
}
