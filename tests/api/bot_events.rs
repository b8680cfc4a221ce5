//! Slack's Events API: a bot with a request URL is checked with `url_verification`, then
//! sent signed `event_callback` envelopes for what happens in its channels, at least once,
//! with Slack's retries and the same `event_id` on every attempt.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::bots::make_bot;
use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually};
use crate::outgoing::{Received, Receiver, app_with_receivers, ok, status};
use crate::slack_api::slack;

/// Checks a request's Slack v0 signature as a bot would (Slack's published example first,
/// so the check itself is known to be right).
pub fn signed_by(received: &Received, secret: &str) -> bool {
    fn sign(secret: &str, ts: &str, body: &str) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:{body}").as_bytes());
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("v0={hex}")
    }
    let example = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    assert_eq!(
        sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", example),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
    let (Some(ts), Some(signature)) =
        (received.header("x-slack-request-timestamp"), received.header("x-slack-signature"))
    else {
        return false;
    };
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    age.abs() <= 300 && sign(secret, &ts, &received.body) == signature
}

/// A bot in `#general` subscribed to `receiver`: its token and signing secret.
async fn subscribed(app: &TestApp, admin: &TestUser, receiver: &Receiver) -> (Value, String, String) {
    let (bot, token) = make_bot(app, &admin.token, "deployer").await;
    let general = channel_id(app, admin, "general").await;
    assert_eq!(slack(app, &token, "conversations.join", json!({"channel": format!("C{general}")})).await["ok"], true);
    let path = format!("/api/v1/workspaces/acme/bots/{}", bot["id"]);
    let (status, shown) = app.patch(&path, &admin.token, json!({"request_url": receiver.url})).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["request_url"], receiver.url.as_str());
    let secret = shown["signing_secret"].as_str().unwrap().to_owned();
    (shown, token, secret)
}

fn body(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

#[tokio::test]
async fn a_verified_bot_gets_signed_events_from_its_channels_only() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let receiver = Receiver::start(&[]).await;
    let (bot, token, secret) = subscribed(&app, &admin, &receiver).await;
    let general = channel_id(&app, &admin, "general").await;
    let ops = create_channel(&app, &admin, "ops", false).await;

    // The handshake came first, signed.
    let first = receiver.wait_for(1).await;
    assert!(signed_by(&first[0], &secret), "{first:?}");
    assert_eq!(body(&first[0])["type"], "url_verification");

    // Its own message and a channel it is not in send nothing; a person's message mentioning
    // it sends `message` and `app_mention`.
    slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{general}"), "text": "mine"})).await;
    app.post(&format!("/api/v1/channels/{ops}/messages"), &admin.token, json!({"text": "elsewhere"})).await;
    let (_, m) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "hi @deployer"})).await;
    let got = receiver.wait_for(3).await;
    let events: Vec<Value> = got[1..].iter().map(body).collect();
    let mut types: Vec<&str> = events.iter().map(|e| e["event"]["type"].as_str().unwrap()).collect();
    types.sort_unstable();
    assert_eq!(types, ["app_mention", "message"]);
    for (r, e) in got[1..].iter().zip(&events) {
        assert!(signed_by(r, &secret));
        assert_eq!(r.header("content-type").as_deref(), Some("application/json"));
        assert_eq!(e["type"], "event_callback");
        assert!(e["team_id"].as_str().unwrap().starts_with('T'), "{e}");
        assert_eq!(e["authorizations"][0]["user_id"], format!("U{}", bot["user_id"]));
        assert_eq!(e["authorizations"][0]["is_bot"], true);
        assert_eq!(e["event"]["channel"], format!("C{general}"));
        assert_eq!(e["event"]["user"], format!("U{}", admin.id));
        assert_eq!(e["event"]["text"], format!("hi <@U{}>", bot["user_id"]), "mentions in Slack's form");
        assert!(e["event_id"].as_str().unwrap().starts_with("Ev"));
    }
    assert_ne!(events[0]["event_id"], events[1]["event_id"], "each event its own id");
    let message = events.iter().find(|e| e["event"]["type"] == "message").unwrap();
    assert_eq!(message["event"]["channel_type"], "channel");
    let ts = message["event"]["ts"].as_str().unwrap().to_owned();

    // A reaction, and someone joining.
    app.post(&format!("/api/v1/messages/{}/reactions", m["id"]), &admin.token, json!({"emoji": "tada"})).await;
    let got = receiver.wait_for(4).await;
    let reaction = body(&got[3]);
    assert_eq!(reaction["event"]["type"], "reaction_added");
    assert_eq!(reaction["event"]["reaction"], "tada");
    assert_eq!(reaction["event"]["item"], json!({"type": "message", "channel": format!("C{general}"), "ts": ts}));
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let got = receiver.wait_for(5).await;
    let joined = body(&got[4]);
    assert_eq!(joined["event"]["type"], "member_joined_channel");
    assert_eq!(joined["event"]["user"], format!("U{}", bob.id));
    assert_eq!(receiver.got().len(), 5, "nothing from #ops, nothing of its own");
}

#[tokio::test]
async fn a_request_url_that_fails_verification_subscribes_nothing() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let (bot, _) = make_bot(&app, &admin.token, "deployer").await;
    let path = format!("/api/v1/workspaces/acme/bots/{}", bot["id"]);
    let wrong = Receiver::start(&[&ok(r#"{"challenge": "not it"}"#)]).await;
    let failing = Receiver::start(&[&status(500, "")]).await;
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    for url in [
        wrong.url.clone(),
        failing.url.clone(),
        format!("http://127.0.0.1:{silent}/nobody"),
        "ftp://example.com/events".to_owned(),
        "http://10.0.0.1/events".to_owned(),
    ] {
        assert_error(
            &app.patch(&path, &admin.token, json!({"request_url": url})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request_url",
        );
    }
    let (_, shown) = app.get(&path, &admin.token).await;
    assert_eq!(shown["request_url"], Value::Null);
    assert_eq!(wrong.got().len(), 1);
}

#[tokio::test]
async fn a_failed_event_is_retried_with_its_event_id_across_a_restart() {
    let mut app = app_with_receivers(Duration::from_millis(700)).await;
    let admin = app.admin_with_workspace().await;
    let receiver = Receiver::start(&[]).await;
    let (bot, _, _) = subscribed(&app, &admin, &receiver).await;
    let general = channel_id(&app, &admin, "general").await;
    receiver.answer_next(status(500, ""));
    receiver.answer_next(status(503, ""));
    app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "deploy"})).await;
    // The first retry is at once, as Slack's.
    let got = receiver.wait_for(3).await;
    let event_id = body(&got[1])["event_id"].as_str().unwrap().to_owned();
    assert_eq!(got[1].header("x-slack-retry-num"), None);
    assert_eq!(body(&got[2])["event_id"], event_id.as_str(), "the same event, for the bot to de-duplicate");
    assert_eq!(got[2].header("x-slack-retry-num").as_deref(), Some("1"));

    // Stopped while the next retry waits; it comes after the restart, once.
    app.stop().await;
    app.start().await;
    let got = receiver.wait_for(4).await;
    assert_eq!(body(&got[3])["event_id"], event_id.as_str());
    assert_eq!(got[3].header("x-slack-retry-num").as_deref(), Some("2"));
    assert_eq!(got[3].header("x-slack-retry-reason").as_deref(), Some("http_error"));
    eventually("the job is done", async || {
        let (_, jobs) = app.get("/api/v1/admin/jobs", &admin.token).await;
        jobs["jobs"].as_array().is_some_and(|j| j.iter().all(|j| j["kind"] != "bot_event")).then_some(())
    })
    .await;
    assert_eq!(receiver.got().len(), 4, "delivered once after the failures");

    // Unsubscribed: nothing more is sent.
    let path = format!("/api/v1/workspaces/acme/bots/{}", bot["id"]);
    let (_, shown) = app.patch(&path, &admin.token, json!({"request_url": ""})).await;
    assert_eq!(shown["request_url"], Value::Null);
}

/// Stops a child process when dropped, however the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a Bolt app (`program` and its arguments before hearth's address, the bot's token
/// and signing secret), subscribes the bot to it, and checks that it answers as written.
async fn bolt_app_answers(program: &str, before: &[&str], env: &[(&str, String)], answers: [&str; 3]) {
    let [pong, hello, thanks] = answers;
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let (bot, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;
    assert_eq!(slack(&app, &token, "conversations.join", json!({"channel": format!("C{general}")})).await["ok"], true);
    let mut child = std::process::Command::new(program)
        .args(before)
        .args([app.address.as_str(), &token, bot["signing_secret"].as_str().unwrap()])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the app's runtime runs");
    let stdout = child.stdout.take().unwrap();
    let child = Child(child);
    // The app's output stays open (kept in `_output`) for as long as it runs: a closed pipe
    // would stop it at its next line.
    let (port, _output) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::new(stdout);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                panic!("the app did not start");
            }
            if let Some(port) = line.trim().strip_prefix("ready ") {
                return (port.to_owned(), reader);
            }
        }
    })
    .await
    .unwrap();

    // Bolt answers the url_verification itself.
    let path = format!("/api/v1/workspaces/acme/bots/{}", bot["id"]);
    let url = format!("http://127.0.0.1:{port}/slack/events");
    let (status, shown) = app.patch(&path, &admin.token, json!({"request_url": url})).await;
    assert_eq!(status, StatusCode::OK, "{shown}");

    let say = |text: &'static str| {
        let (app, token) = (&app, admin.token.clone());
        async move {
            let (status, m) =
                app.post(&format!("/api/v1/channels/{general}/messages"), &token, json!({"text": text})).await;
            assert_eq!(status, StatusCode::CREATED);
            m
        }
    };
    let answered = |text: String| {
        let (app, token) = (&app, admin.token.clone());
        async move {
            eventually(&format!("the app says {text:?}"), async || {
                let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages?limit=20"), &token).await;
                page["messages"].as_array().unwrap().iter().find(|m| m["text"] == text.as_str()).cloned()
            })
            .await
        }
    };
    say("ping").await;
    let answer = answered(pong.to_owned()).await;
    assert_eq!((answer["user"]["is_bot"].as_bool(), answer["bot"]["name"].as_str()), (Some(true), Some("Deploy Bot")));
    say("hey @deployer").await;
    answered(hello.to_owned()).await;
    let m = say("shipped").await;
    app.post(&format!("/api/v1/messages/{}/reactions", m["id"]), &admin.token, json!({"emoji": "tada"})).await;
    answered(thanks.to_owned()).await;
    drop(child);
}

#[tokio::test]
async fn an_app_written_with_slacks_bolt_runs_against_hearth() {
    let Ok(python) = std::env::var("HEARTH_TEST_SLACK_PYTHON") else {
        eprintln!("the slack_bolt test runs with HEARTH_TEST_SLACK_PYTHON (.ci/run)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/bolt_app.py");
    bolt_app_answers(&python, &[script], &[], ["pong", "hello @admin", "thanks for the :tada:"]).await;
}

#[tokio::test]
async fn an_app_written_with_slacks_bolt_for_javascript_runs_against_hearth() {
    let Ok(modules) = std::env::var("HEARTH_TEST_SLACK_NODE_MODULES") else {
        eprintln!("the @slack/bolt test runs with HEARTH_TEST_SLACK_NODE_MODULES (.ci/run)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/bolt_app.mjs");
    let env = [("HEARTH_TEST_SLACK_NODE_MODULES", modules)];
    let answers = ["pong from node", "hello @admin from node", "thanks for the :tada: from node"];
    bolt_app_answers("node", &[script], &env, answers).await;
}
