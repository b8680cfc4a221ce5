//! Outgoing webhooks as their receivers see them: messages of public channels that fire a
//! hook arrive at receivers started here on 127.0.0.1 (allow-listed), in Slack's form or
//! Mattermost's JSON, with a token and a stable delivery id; replies are posted back as
//! the hook; failures are retried as Slack retries, across a restart, and nothing loops.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, spawn_app_with};
use crate::webhooks::make_hook;

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub head: String,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    /// A form body's field.
    pub fn field(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.body.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }
}

/// An HTTP receiver on 127.0.0.1: answers each request with the next scripted answer (then
/// `200` and an empty body; a `url_verification` with its challenge) and keeps what it
/// got.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<String>>>,
}

impl Receiver {
    pub async fn start(answers: &[&str]) -> Receiver {
        Receiver::on(0, answers).await
    }

    /// On a given port (0: any).
    pub async fn on(port: u16, answers: &[&str]) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let answers = Arc::new(Mutex::new(answers.iter().map(|a| (*a).to_owned()).collect::<VecDeque<_>>()));
        let (keep, script) = (got.clone(), answers.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else { return };
                let (keep, script) = (keep.clone(), script.clone());
                tokio::spawn(async move {
                    let Some(received) = read_request(&mut socket).await else { return };
                    // A bot's request URL answers Slack's url_verification as Bolt does.
                    let challenge = serde_json::from_str::<Value>(&received.body)
                        .ok()
                        .filter(|v| v["type"] == "url_verification")
                        .and_then(|v| v["challenge"].as_str().map(str::to_owned));
                    keep.lock().unwrap().push(received);
                    let answer = match challenge {
                        Some(c) if script.lock().unwrap().is_empty() => ok(&json!({"challenge": c}).to_string()),
                        _ => script.lock().unwrap().pop_front().unwrap_or_else(|| ok("")),
                    };
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), port, got, answers }
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        eventually(&format!("{n} requests at the receiver"), async || {
            let got = self.got();
            (got.len() >= n).then_some(got)
        })
        .await
    }

    pub fn answer_next(&self, answer: String) {
        self.answers.lock().unwrap().push_back(answer);
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = text[..end].to_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().ok())
                })
                .flatten()
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
                return Some(Received { head, body });
            }
        }
    }
}

/// A `200` answer with a JSON body (or none).
pub fn ok(json: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    )
}

pub fn status(code: u16, extra_header: &str) -> String {
    format!("HTTP/1.1 {code} Oops\r\ncontent-length: 0\r\nconnection: close\r\n{extra_header}\r\n")
}

/// An app that may call receivers on 127.0.0.1, retrying after `base` (0 s, 2×, 10×).
pub async fn app_with_receivers(base: Duration) -> TestApp {
    spawn_app_with(|s| {
        s.outbound_allow = vec!["127.0.0.1".into()];
        s.job_retry_base = base;
    })
    .await
}

async fn make_outgoing(app: &TestApp, user: &TestUser, body: Value) -> Value {
    let (status, hook) = app.post("/api/v1/workspaces/acme/outgoing-webhooks", &user.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    hook
}

async fn post(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> Value {
    let (status, m) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({"text": text})).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m
}

async fn history(app: &TestApp, user: &TestUser, channel: i64) -> Vec<Value> {
    let (_, page) = app.get(&format!("/api/v1/channels/{channel}/messages?limit=200"), &user.token).await;
    page["messages"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_trigger_word_sends_the_message_and_the_reply_is_posted_as_the_hook() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let receiver = Receiver::start(&[&ok(r#"{"text": "ping *back*", "username": "pingbot"}"#)]).await;
    let hook = make_outgoing(
        &app,
        &admin,
        json!({"name": "Pinger", "trigger_words": ["ping"], "callback_urls": [receiver.url]}),
    )
    .await;
    let token = hook["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);

    post(&app, &bob, general, "not for the hook").await;
    let message = post(&app, &bob, general, "ping are you there?").await;
    let got = receiver.wait_for(1).await;
    let r = &got[0];
    assert!(r.head.starts_with("POST /hook HTTP/1.1"), "{}", r.head);
    assert_eq!(r.header("content-type").as_deref(), Some("application/x-www-form-urlencoded"));
    assert!(r.header("x-hearth-delivery").is_some_and(|d| d.parse::<i64>().is_ok()));
    for (field, value) in [
        ("token", token.as_str()),
        ("team_domain", "acme"),
        ("channel_name", "general"),
        ("user_name", "bob"),
        ("text", "ping are you there?"),
        ("trigger_word", "ping"),
    ] {
        assert_eq!(r.field(field).as_deref(), Some(value), "{field} in {}", r.body);
    }
    assert_eq!(r.field("post_id"), Some(message["id"].to_string()));
    assert_eq!(r.field("channel_id"), Some(format!("C{general}")));

    // The reply, as the hook; it begins with the trigger word but triggers nothing.
    let reply = eventually("the reply is posted", async || {
        history(&app, &bob, general).await.into_iter().find(|m| m["bot"]["name"] == "pingbot")
    })
    .await;
    assert_eq!(reply["text"], "ping **back**");
    let (_, shown) = app.get(&format!("/api/v1/workspaces/acme/outgoing-webhooks/{}", hook["id"]), &admin.token).await;
    assert_eq!(shown["recent_deliveries"][0]["ok"], true, "{shown}");
    assert_eq!(shown["recent_deliveries"][0]["status"], 200);
    // Another message after the reply is the second request: the reply made none.
    post(&app, &bob, general, "ping again").await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].field("text").as_deref(), Some("ping again"), "no loop: {got:?}");

    // Private channels, and messages integrations post, are never sent out.
    let private = create_channel(&app, &bob, "private", true).await;
    post(&app, &bob, private, "ping secret").await;
    let (_, _, incoming) = make_hook(&app, &admin, general, "CI").await;
    let sent = app.client.post(&incoming).json(&json!({"text": "ping from a webhook"})).send().await.unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    post(&app, &bob, general, "ping last").await;
    let got = receiver.wait_for(3).await;
    assert_eq!(got[2].field("text").as_deref(), Some("ping last"), "{got:?}");
    assert_eq!(receiver.got().len(), 3);
}

#[tokio::test]
async fn a_channel_hook_sends_json_and_a_comment_reply_goes_to_the_thread() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    let receiver = Receiver::start(&[&ok(r#"{"text": "on it", "response_type": "comment"}"#)]).await;
    make_outgoing(
        &app,
        &admin,
        json!({"name": "Ops", "channel_id": ops, "content_type": "json", "callback_urls": [receiver.url]}),
    )
    .await;
    let message = post(&app, &admin, ops, "the disk is full").await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("content-type").as_deref(), Some("application/json"));
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!((body["text"].as_str(), body["trigger_word"].as_str()), (Some("the disk is full"), Some("")));
    assert!(body["timestamp"].as_i64().is_some_and(|ms| ms > 1_600_000_000_000), "milliseconds: {body}");
    let root = message["id"].as_i64().unwrap();
    let thread = eventually("the reply is in the thread", async || {
        let (_, t) = app.get(&format!("/api/v1/messages/{root}/thread"), &admin.token).await;
        (t["replies"].as_array().is_some_and(|r| !r.is_empty())).then_some(t)
    })
    .await;
    assert_eq!(thread["replies"][0]["text"], "on it");
    assert_eq!(thread["replies"][0]["bot"]["name"], "Ops");

    // A reply in the thread names its root by the root's Slack ts, as Slack does.
    let (status, _) = app
        .post(
            &format!("/api/v1/channels/{ops}/messages"),
            &admin.token,
            json!({"text": "fixed", "thread_root_id": root}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let got = receiver.wait_for(2).await;
    let body: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!(body["text"], "fixed");
    let at = chrono::DateTime::parse_from_rfc3339(message["created_at"].as_str().unwrap()).unwrap();
    let root_ts = format!("{}.{:06}", at.timestamp(), at.timestamp_subsec_micros());
    assert_eq!(body["thread_ts"].as_str(), Some(root_ts.as_str()), "{body}");
}

#[tokio::test]
async fn a_hook_stops_with_its_creators_rights() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({"members_add_integrations": true})).await;
    let general = channel_id(&app, &admin, "general").await;
    let bobs_receiver = Receiver::start(&[]).await;
    let admins_receiver = Receiver::start(&[]).await;
    let bobs = make_outgoing(
        &app,
        &bob,
        json!({"name": "Bob's", "channel_id": general, "callback_urls": [bobs_receiver.url]}),
    )
    .await;
    make_outgoing(
        &app,
        &admin,
        json!({"name": "Admin's", "channel_id": general, "callback_urls": [admins_receiver.url]}),
    )
    .await;
    post(&app, &admin, general, "one").await;
    bobs_receiver.wait_for(1).await;
    admins_receiver.wait_for(1).await;

    // Once bob is deactivated his hook sends nothing; the admin's, which sees every message
    // after it, shows the follower went past.
    let (status, _) = app
        .patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({"deactivated": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    post(&app, &admin, general, "two").await;
    let got = admins_receiver.wait_for(2).await;
    assert!(got.iter().any(|r| r.field("text").as_deref() == Some("two")), "{got:?}");
    let jobs = app
        .sql_text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS value FROM jobs WHERE kind = 'outgoing_webhook' AND payload LIKE '%\"hook_id\":{},%'",
            bobs["id"]
        ));
    assert_eq!(jobs, "1", "only the message before the deactivation was sent to bob's hook");
}

#[tokio::test]
async fn failures_are_retried_as_slack_retries_and_no_retry_is_honoured() {
    let app = app_with_receivers(Duration::from_millis(50)).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let receiver = Receiver::start(&[&status(500, ""), &status(503, ""), &ok("")]).await;
    let hook =
        make_outgoing(&app, &admin, json!({"name": "Flaky", "trigger_words": ["go"], "callback_urls": [receiver.url]}))
            .await;
    post(&app, &admin, general, "go now").await;
    let got = receiver.wait_for(3).await;
    let ids: Vec<Option<String>> = got.iter().map(|r| r.header("x-hearth-delivery")).collect();
    assert!(ids[0].is_some() && ids.iter().all(|id| *id == ids[0]), "one delivery id: {ids:?}");
    assert_eq!(got[0].header("x-slack-retry-num"), None);
    assert_eq!(got[1].header("x-slack-retry-num").as_deref(), Some("1"));
    assert_eq!(got[2].header("x-slack-retry-num").as_deref(), Some("2"));
    assert_eq!(got[1].header("x-slack-retry-reason").as_deref(), Some("http_error"));
    let path = format!("/api/v1/workspaces/acme/outgoing-webhooks/{}", hook["id"]);
    let shown = eventually("three deliveries logged", async || {
        let (_, h) = app.get(&path, &admin.token).await;
        (h["recent_deliveries"].as_array().map(Vec::len) == Some(3)).then_some(h)
    })
    .await;
    let statuses: Vec<&Value> = shown["recent_deliveries"].as_array().unwrap().iter().map(|d| &d["status"]).collect();
    assert_eq!(statuses, [&json!(200), &json!(503), &json!(500)], "newest first");

    // A receiver that says not to retry, or a 4xx: one attempt only, and the job fails.
    receiver.answer_next(status(500, "x-slack-no-retry: 1\r\n"));
    receiver.answer_next(status(404, ""));
    post(&app, &admin, general, "go once").await;
    post(&app, &admin, general, "go twice").await;
    receiver.wait_for(5).await;
    let failed = eventually("both deliveries failed for good", async || {
        let (_, jobs) = app.get("/api/v1/admin/jobs?state=failed", &admin.token).await;
        (jobs["jobs"].as_array().map(Vec::len) == Some(2)).then_some(jobs)
    })
    .await;
    assert!(failed["jobs"][0]["attempts"] == 1 && failed["jobs"][1]["attempts"] == 1, "{failed}");
    assert_eq!(receiver.got().len(), 5, "nothing retried");
}

#[tokio::test]
async fn a_restart_between_attempts_loses_nothing_and_sends_nothing_twice() {
    // A port nobody listens on yet: the first attempts cannot connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut app = app_with_receivers(Duration::from_millis(700)).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let hook =
        make_outgoing(&app, &admin, json!({"name": "Later", "trigger_words": ["deploy"], "callback_urls": [url]}))
            .await;
    post(&app, &admin, general, "deploy web").await;
    let path = format!("/api/v1/workspaces/acme/outgoing-webhooks/{}", hook["id"]);
    let shown = eventually("two failed attempts", async || {
        let (_, h) = app.get(&path, &admin.token).await;
        (h["recent_deliveries"].as_array().map(Vec::len) == Some(2)).then_some(h)
    })
    .await;
    assert!(shown["recent_deliveries"][0]["detail"].as_str().unwrap().starts_with("connection_failed"), "{shown}");

    app.stop().await;
    let receiver = Receiver::on(port, &[&ok(r#"{"text": "deployed"}"#)]).await;
    app.start().await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].header("x-slack-retry-num").as_deref(), Some("2"), "the third attempt, after the restart");
    assert_eq!(got[0].header("x-slack-retry-reason").as_deref(), Some("connection_failed"));
    eventually("the reply is posted once", async || {
        let replies: Vec<Value> =
            history(&app, &admin, general).await.into_iter().filter(|m| m["text"] == "deployed").collect();
        (replies.len() == 1).then_some(())
    })
    .await;
    eventually("the job is done", async || {
        let (_, jobs) = app.get("/api/v1/admin/jobs", &admin.token).await;
        jobs["jobs"].as_array().is_some_and(|j| j.iter().all(|j| j["kind"] != "outgoing_webhook")).then_some(())
    })
    .await;
    assert_eq!(receiver.got().len(), 1, "sent once");
}

#[tokio::test]
async fn the_guard_refuses_private_addresses_unless_allow_listed() {
    let app = spawn_app_with(|s| s.job_retry_base = Duration::from_millis(50)).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let receiver = Receiver::start(&[]).await;
    let hooks = "/api/v1/workspaces/acme/outgoing-webhooks";
    // Written as an address, refused when made.
    for url in
        [receiver.url.clone(), "http://[::1]/x".into(), "http://2130706433/".into(), "http://169.254.169.254/".into()]
    {
        let made =
            app.post(hooks, &admin.token, json!({"name": "x", "trigger_words": ["go"], "callback_urls": [url]})).await;
        assert_error(&made, StatusCode::UNPROCESSABLE_ENTITY, "invalid_callback_url");
    }
    // A name that resolves to one: refused when sent, not retried, nothing reaches the receiver.
    let by_name = format!("http://localhost:{}/hook", receiver.port);
    let hook =
        make_outgoing(&app, &admin, json!({"name": "Local", "trigger_words": ["go"], "callback_urls": [by_name]}))
            .await;
    post(&app, &admin, general, "go").await;
    let path = format!("{hooks}/{}", hook["id"]);
    let shown = eventually("the delivery is refused", async || {
        let (_, h) = app.get(&path, &admin.token).await;
        (h["recent_deliveries"].as_array().map(Vec::len) == Some(1)).then_some(h)
    })
    .await;
    let detail = shown["recent_deliveries"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("refused") && detail.contains("loopback"), "{detail}");
    assert!(receiver.got().is_empty());
}

#[tokio::test]
async fn outgoing_webhooks_are_checked_when_made_and_changed() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let hooks = "/api/v1/workspaces/acme/outgoing-webhooks";
    let url = "http://127.0.0.1:9/hook";
    let cases = [
        (json!({"name": "x", "callback_urls": [url]}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_trigger"),
        (
            json!({"name": "x", "channel_id": secret, "callback_urls": [url]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "channel_not_public",
        ),
        (
            json!({"name": "x", "channel_id": 99_999, "callback_urls": [url]}),
            StatusCode::NOT_FOUND,
            "channel_not_found",
        ),
        (
            json!({"name": "x", "trigger_words": ["two words"], "callback_urls": [url]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_trigger",
        ),
        (
            json!({"name": "x", "trigger_words": ["a"], "trigger_when": "often", "callback_urls": [url]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_trigger",
        ),
        (
            json!({"name": "x", "trigger_words": ["a"], "callback_urls": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_callback_url",
        ),
        (
            json!({"name": "x", "trigger_words": ["a"], "callback_urls": ["ftp://example.com/"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_callback_url",
        ),
        (
            json!({"name": "x", "trigger_words": ["a"], "callback_urls": [url, url, url, url, url, url]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_callback_url",
        ),
        (
            json!({"name": "x", "trigger_words": ["a"], "callback_urls": [url], "content_type": "xml"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_callback_url",
        ),
        (
            json!({"name": " ", "trigger_words": ["a"], "callback_urls": [url]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_webhook_name",
        ),
    ];
    for (body, status, code) in cases {
        assert_error(&app.post(hooks, &admin.token, body.clone()).await, status, code);
    }
    assert_error(
        &app.post(hooks, &bob.token, json!({"name": "x", "trigger_words": ["a"], "callback_urls": [url]})).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    let (_, listed) = app.get(hooks, &admin.token).await;
    assert_eq!(listed["outgoing_webhooks"], json!([]), "nothing was made");

    let hook = make_outgoing(&app, &admin, json!({"name": "x", "trigger_words": ["a"], "callback_urls": [url]})).await;
    let path = format!("{hooks}/{}", hook["id"]);
    let (status, renewed) = app.patch(&path, &admin.token, json!({"regenerate_token": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(renewed["token"], hook["token"], "a new token");
    assert_error(
        &app.patch(&path, &admin.token, json!({"trigger_words": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_trigger",
    );
    let (_, unchanged) = app.get(&path, &admin.token).await;
    assert_eq!(unchanged["trigger_words"], json!(["a"]));
    let (status, _) = app.delete(&path, &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(&app.get(&path, &admin.token).await, StatusCode::NOT_FOUND, "webhook_not_found");
}

#[tokio::test]
async fn a_receiver_that_never_answers_holds_up_nothing_else() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted, mut seen) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
            let _ = accepted.send(());
        }
    });
    let url = format!("http://127.0.0.1:{port}/hook");
    make_outgoing(&app, &admin, json!({"name": "Silent", "trigger_words": ["go"], "callback_urls": [url]})).await;
    post(&app, &admin, general, "go").await;
    tokio::time::timeout(Duration::from_secs(10), seen.recv()).await.expect("the delivery connects");
    // While that delivery waits for its answer, mail still goes out.
    let (status, _) =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({"email": "carol@example.com"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let mails = app.wait_for_mails(1).await;
    assert_eq!(mails[0].to, "carol@example.com");
}

#[tokio::test]
async fn the_integrations_page_makes_an_outgoing_webhook_and_shows_its_deliveries() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let receiver = Receiver::start(&[]).await;
    let browser = crate::pages::Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get("/w/acme/settings/integrations").await;
    assert!(page.body.contains("No outgoing webhooks yet"));
    let csrf = page.csrf();
    let made = browser
        .post(
            "/w/acme/settings/integrations/outgoing",
            &[
                ("csrf_token", &csrf),
                ("name", "Deployer"),
                ("channel_id", ""),
                ("trigger_words", "deploy, ship"),
                ("trigger_when", "starts_with"),
                ("callback_urls", &receiver.url),
                ("content_type", "json"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    post(&app, &admin, general, "shipping now").await;
    receiver.wait_for(1).await;
    let shown = eventually("the delivery is on the page", async || {
        let page = browser.get("/w/acme/settings/integrations").await;
        page.body.contains("1 recent deliveries").then_some(page)
    })
    .await;
    assert!(shown.body.contains("Deployer") && shown.body.contains("begins with: deploy, ship"), "listed");
    let (_, listed) = app.get("/api/v1/workspaces/acme/outgoing-webhooks", &admin.token).await;
    let token = listed["outgoing_webhooks"][0]["token"].as_str().unwrap();
    assert!(shown.body.contains(token), "its token is shown to its managers");
    // A bad form says why and makes nothing.
    let bad = browser
        .post(
            "/w/acme/settings/integrations/outgoing",
            &[("csrf_token", &csrf), ("name", "Nothing"), ("channel_id", ""), ("callback_urls", &receiver.url)],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Give the webhook a channel, trigger words, or both."), "{}", bad.body);
}
