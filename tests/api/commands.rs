//! Slash commands: hearth's own, carried out by the use cases they name; a workspace's
//! custom ones, sent to their URL signed as Slack signs them and answered as Slack's
//! apps answer; ephemeral answers for their caller alone, never stored.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bot_events::signed_by;
use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, spawn_app};
use crate::outgoing::{Receiver, app_with_receivers, ok, status};

/// Runs a command as typed in a channel's composer; `202` with what it gave.
async fn run(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> Value {
    let (status, body) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({"text": text})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}: {body}");
    body
}

fn said(result: &Value) -> String {
    result["ephemeral"].as_array().unwrap().iter().map(|e| e["text"].as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

async fn texts(app: &TestApp, user: &TestUser, channel: i64) -> Vec<String> {
    let (_, page) = app.get(&format!("/api/v1/channels/{channel}/messages?limit=50"), &user.token).await;
    page["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn hearths_own_commands_do_what_they_say() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    let mut live = app.ws(&admin.token, "").await;

    let me = run(&app, &admin, general, "/me waves").await;
    assert_eq!(me["message"]["text"], "_waves_");
    let shrug = run(&app, &admin, general, "/shrug ok then").await;
    assert!(shrug["message"]["html"].as_str().unwrap().contains("ok then ¯\\_(ツ)_/¯"), "{shrug}");
    assert!(said(&run(&app, &admin, ops, "/topic Launch day").await).contains("Launch day"));
    run(&app, &admin, ops, "/purpose Where launches happen").await;
    run(&app, &admin, ops, "/rename launches").await;
    let (_, c) = app.get(&format!("/api/v1/channels/{ops}"), &admin.token).await;
    assert_eq!(
        (c["name"].as_str(), c["topic"].as_str(), c["purpose"].as_str()),
        (Some("launches"), Some("Launch day"), Some("Where launches happen"))
    );

    run(&app, &admin, ops, "/invite @bob").await;
    let (_, members) = app.get(&format!("/api/v1/channels/{ops}/members"), &admin.token).await;
    assert_eq!(members["members"].as_array().unwrap().len(), 2);
    run(&app, &admin, ops, "/kick @bob").await;
    let (_, members) = app.get(&format!("/api/v1/channels/{ops}/members"), &admin.token).await;
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    assert!(said(&run(&app, &bob, general, "/join #launches").await).contains("You joined"));
    run(&app, &bob, ops, "/leave").await;
    let muted = run(&app, &admin, general, "/mute").await;
    assert_eq!(said(&muted), "The channel is muted.");
    let (_, c) = app.get(&format!("/api/v1/channels/{general}"), &admin.token).await;
    assert_eq!(c["membership"]["muted"], true);
    assert_eq!(said(&run(&app, &admin, general, "/mute").await), "The channel is unmuted.");
    let sent = run(&app, &admin, general, "/msg @bob lunch?").await;
    let dm = sent["message"]["channel_id"].as_i64().unwrap();
    assert_eq!(texts(&app, &bob, dm).await, ["lunch?"]);
    assert_eq!(run(&app, &admin, general, "/away").await["presence"], "away");
    assert_eq!(run(&app, &admin, general, "/active").await["presence"], "online");

    // /help lists every command; its answer reaches the caller's live connections too, and
    // is stored nowhere.
    let help = run(&app, &admin, general, "/help").await;
    for name in ["/me", "/remind", "/search", "/invite"] {
        assert!(said(&help).contains(name), "{name}");
    }
    let id = help["ephemeral"][0]["id"].as_str().unwrap().to_owned();
    let frames = live.until("message.ephemeral", |f| f["message"]["id"] == id.as_str()).await;
    assert_eq!(frames.last().unwrap()["message"]["channel_id"], general);
    assert!(!texts(&app, &admin, general).await.iter().any(|t| t.contains("/remind")), "never stored");

    // Search answers with links to what it found.
    let found = eventually("the search finds the action", async || {
        let r = run(&app, &admin, general, "/search waves").await;
        said(&r).contains("1 result").then_some(r)
    })
    .await;
    assert!(said(&found).contains(&format!("/w/acme/c/{general}/m/")), "{found}");

    // Bad input: a clear error, nothing done.
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/commands"), &admin.token, json!({"text": "/nope"})).await,
        StatusCode::NOT_FOUND,
        "command_not_found",
    );
    // Through the messages route, text that names no command is posted as written.
    let (status, posted) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "/tmp is full"})).await;
    assert_eq!((status, posted["text"].as_str()), (StatusCode::CREATED, Some("/tmp is full")));
    assert_error(
        &app.post(&format!("/api/v1/channels/{ops}/messages"), &admin.token, json!({"text": "/rename not!a!name"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_channel_name",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "/invite @nobody"}))
            .await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/messages"), &bob.token, json!({"text": "/rename mine"})).await,
        StatusCode::FORBIDDEN,
        "not_channel_admin",
    );
    assert_eq!(said(&run(&app, &admin, general, "/msg").await), "Usage: `/msg @user [text]`");
    // `//` posts the slash; the commands route runs only commands.
    let (status, literal) = app
        .post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "//shrug is a command"}))
        .await;
    assert_eq!((status, literal["text"].as_str()), (StatusCode::CREATED, Some("/shrug is a command")));
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/commands"), &admin.token, json!({"text": "hello"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_command",
    );
    let (status, ran) =
        app.post(&format!("/api/v1/channels/{general}/commands"), &admin.token, json!({"text": "/me again"})).await;
    assert_eq!((status, ran["message"]["text"].as_str()), (StatusCode::OK, Some("_again_")));
}

/// A listener that takes connections and never answers.
async fn silent() -> (tokio::task::JoinHandle<()>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/slow", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (task, url)
}

#[tokio::test]
async fn custom_commands_are_signed_and_answered_as_slacks_apps_answer() {
    let app = app_with_receivers(Duration::from_millis(100)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let receiver = Receiver::start(&[
        &ok(r#"{"response_type": "in_channel", "text": "Deploying *web*"}"#),
        &ok(r#"{"text": "Only you see this"}"#),
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 10\r\nconnection: close\r\n\r\nplain text",
        &ok(""),
        &status(500, ""),
    ])
    .await;
    let commands = "/api/v1/workspaces/acme/commands";
    let new = json!({"name": "/deploy", "url": receiver.url, "description": "Ship it", "usage_hint": "[service]"});
    assert_error(&app.post(commands, &bob.token, new.clone()).await, StatusCode::FORBIDDEN, "not_workspace_admin");
    let (status, command) = app.post(commands, &admin.token, new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{command}");
    assert_eq!(command["name"], "deploy");
    let secret = command["signing_secret"].as_str().unwrap().to_owned();
    for (body, status, code) in [
        (new.clone(), StatusCode::CONFLICT, "command_name_taken"),
        (json!({"name": "/topic", "url": receiver.url}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_trigger"),
        (json!({"name": "two words", "url": receiver.url}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_trigger"),
        (json!({"name": "x", "url": "ftp://example.com"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_command"),
        (json!({"name": "x", "url": "http://10.1.2.3/"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_command"),
        (
            json!({"name": "x", "url": receiver.url, "method": "PUT"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_command",
        ),
    ] {
        assert_error(&app.post(commands, &admin.token, body).await, status, code);
    }
    let (_, hints) = app.get("/api/v1/workspaces/acme/command-hints", &bob.token).await;
    assert!(hints.as_array().unwrap().iter().any(|h| h["name"] == "deploy" && h["custom"] == true));

    // In the channel: the invocation and the answer, the answer as the command.
    let first = run(&app, &bob, general, "/deploy web").await;
    assert_eq!(first["message"]["text"], "/deploy web");
    let got = receiver.wait_for(1).await;
    assert!(signed_by(&got[0], &secret), "{got:?}");
    let field = |name: &str| got[0].field(name).unwrap_or_default();
    assert_eq!(
        (field("command").as_str(), field("text").as_str(), field("user_name").as_str()),
        ("/deploy", "web", "bob")
    );
    assert_eq!(field("channel_id"), format!("C{general}"));
    assert_eq!(field("token"), command["token"].as_str().unwrap());
    assert_eq!(got[0].header("authorization"), Some(format!("Token {}", command["token"].as_str().unwrap())));
    let response_url = field("response_url");
    assert!(response_url.contains("/hooks/commands/"), "{response_url}");
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages?limit=2"), &admin.token).await;
    let answer = &page["messages"][0];
    assert_eq!((answer["text"].as_str(), answer["bot"]["name"].as_str()), (Some("Deploying **web**"), Some("/deploy")));

    // Ephemeral JSON, plain text, an empty acknowledgement, a failure.
    assert_eq!(said(&run(&app, &bob, general, "/deploy api").await), "Only you see this");
    assert_eq!(said(&run(&app, &bob, general, "/deploy api").await), "plain text");
    let quiet = run(&app, &bob, general, "/deploy api").await;
    assert_eq!((quiet["ephemeral"].as_array().unwrap().len(), &quiet["message"]), (0, &Value::Null));
    assert!(said(&run(&app, &bob, general, "/deploy api").await).contains("answered 500"));

    // Too slow: Slack's operation_timeout, after 3 s.
    let (task, slow_url) = silent().await;
    let (_, slow) = app.post(commands, &admin.token, json!({"name": "slow", "url": slow_url})).await;
    assert!(said(&run(&app, &bob, general, "/slow").await).contains("operation_timeout"), "{slow}");
    task.abort();
    assert_eq!(texts(&app, &bob, general).await.len(), 2, "only the first answer was posted");

    // Delayed answers through response_url: five, then no more.
    let post = |body: Value| {
        let (app, url) = (&app, response_url.clone());
        async move {
            let res = app.client.post(&url).json(&body).send().await.unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    assert_eq!(post(json!({"response_type": "in_channel", "text": "step 1"})).await, (StatusCode::OK, "ok".to_owned()));
    assert_eq!(
        post(json!({"response_type": "in_channel", "text": "step 2", "replace_original": "1"})).await.0,
        StatusCode::OK
    );
    assert_eq!(post(json!({"text": "just for you"})).await.0, StatusCode::OK);
    assert_eq!(post(json!({"response_type": "in_channel", "text": "step 3"})).await.0, StatusCode::OK);
    assert_eq!(post(json!({"delete_original": true})).await.0, StatusCode::OK);
    assert_eq!(post(json!({"text": "sixth"})).await, (StatusCode::BAD_REQUEST, "used_up".to_owned()));
    let now = texts(&app, &bob, general).await;
    assert!(now.contains(&"step 2".to_owned()), "{now:?}");
    assert!(
        !now.iter().any(|t| t == "step 1" || t == "step 3" || t == "just for you"),
        "replaced, deleted, ephemeral: {now:?}"
    );
    let bogus = format!("{}/hooks/commands/nothing-here", app.address);
    let res = app.client.post(&bogus).json(&json!({"text": "x"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"ok": false, "error": "expired_url"}));

    // A response_url lives 30 minutes.
    run(&app, &bob, general, "/deploy late").await;
    let later = receiver.wait_for(6).await;
    let late_url = later[5].field("response_url").unwrap();
    app.sql("UPDATE command_responses SET expires_at = '2000-01-01 00:00:00'");
    let res = app.client.post(&late_url).json(&json!({"text": "too late"})).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Renewed secrets sign from then on; removed commands are gone.
    let path = format!("{commands}/{}", command["id"]);
    let (_, renewed) = app.patch(&path, &admin.token, json!({"regenerate_secret": true})).await;
    assert_ne!(renewed["signing_secret"], command["signing_secret"]);
    let (status, _) = app.delete(&path, &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/commands"), &bob.token, json!({"text": "/deploy"})).await,
        StatusCode::NOT_FOUND,
        "command_not_found",
    );
}

#[tokio::test]
async fn reminders_are_set_listed_cancelled_and_delivered_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;

    let set = run(&app, &admin, general, "/remind me to stretch in 20 minutes").await;
    assert!(said(&set).starts_with("I will remind you “stretch” at"), "{set}");
    run(&app, &admin, general, "/remind @bob to call the bank in 2 hours").await;
    let channel = run(&app, &admin, general, "/remind #general to deploy tomorrow at 9:00").await;
    let listed = said(&run(&app, &admin, general, "/remind list").await);
    assert!(listed.contains("stretch") && listed.contains("call the bank") && listed.contains("deploy"), "{listed}");
    let id: String = said(&channel).rsplit("reminder ").next().unwrap().trim_end_matches(").").to_owned();
    assert_eq!(
        said(&run(&app, &admin, general, &format!("/remind cancel {id}")).await),
        format!("Reminder {id} is cancelled.")
    );
    assert!(!said(&run(&app, &admin, general, "/remind list").await).contains("deploy"));
    // Someone else's reminders are not theirs to cancel.
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/messages"), &bob.token, json!({"text": "/remind cancel 1"}))
            .await,
        StatusCode::NOT_FOUND,
        "reminder_not_found",
    );
    for bad in [
        "/remind me to stretch",
        "/remind everyone to x in 5 minutes",
        "/remind me to x on 2020-01-01",
        "/remind @nobody to x in 5 minutes",
    ] {
        let (status, body) =
            app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": bad})).await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::NOT_FOUND,
            "{bad}: {status} {body}"
        );
    }

    // Due now: delivered by direct message from hearth, once; the cancelled one never.
    app.sql("UPDATE reminders SET due_at = '2000-01-01 00:00:00'");
    app.sql("UPDATE jobs SET run_at = '2000-01-01 00:00:00' WHERE kind = 'reminder'");
    let delivered = |user: &'static str| {
        let (app, token) = (&app, if user == "bob" { bob.token.clone() } else { admin.token.clone() });
        async move {
            eventually(&format!("{user}'s reminder arrives"), async || {
                let (_, list) = app.get("/api/v1/workspaces/acme/channels", &token).await;
                let dm = list["channels"].as_array().unwrap().iter().find(|c| c["kind"] == "dm").cloned()?;
                let (_, page) = app.get(&format!("/api/v1/channels/{}/messages", dm["id"]), &token).await;
                let m = page["messages"].as_array()?.first()?.clone();
                Some((m, page["messages"].as_array().unwrap().len()))
            })
            .await
        }
    };
    let (to_bob, count) = delivered("bob").await;
    assert_eq!((to_bob["text"].as_str(), count), (Some("Reminder from @admin: call the bank"), 1));
    let (to_admin, count) = delivered("admin").await;
    assert_eq!((to_admin["text"].as_str(), count), (Some("Reminder: stretch"), 1));
    assert_eq!(
        (to_admin["user"]["is_bot"].as_bool(), to_admin["user"]["display_name"].as_str()),
        (Some(true), Some("hearth"))
    );
    eventually("the reminders' jobs are done", async || {
        let (_, jobs) = app.get("/api/v1/admin/jobs", &admin.token).await;
        jobs["jobs"].as_array().is_some_and(|j| j.iter().all(|j| j["kind"] != "reminder")).then_some(())
    })
    .await;
    assert!(!texts(&app, &admin, general).await.iter().any(|t| t.contains("deploy")), "the cancelled one never came");
    let bobs_dm = to_bob["channel_id"].as_i64().unwrap();
    assert_eq!(texts(&app, &bob, bobs_dm).await.len(), 1, "delivered once");
    assert_eq!(said(&run(&app, &admin, general, "/remind list").await), "You have no reminders set.");
    // hearth's own bot is nobody's to manage, nor listed among the workspace's bots.
    let own = app.sql_text("SELECT CAST(id AS TEXT) AS value FROM bots WHERE system = TRUE");
    let (_, bots) = app.get("/api/v1/workspaces/acme/bots", &admin.token).await;
    assert_eq!(bots["bots"], json!([]));
    assert_error(
        &app.patch(&format!("/api/v1/workspaces/acme/bots/{own}"), &admin.token, json!({"regenerate_token": true}))
            .await,
        StatusCode::NOT_FOUND,
        "bot_not_found",
    );
}
