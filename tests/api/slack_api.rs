//! The Slack Web API on hearth (`/api/slack/<method>`), called as Slack's SDKs call it:
//! JSON and form bodies, query strings, bearer and `token` arguments, `"1"`/`"0"`
//! booleans, and Slack's `{"ok": …}` envelope with Slack's error names.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bots::make_bot;
use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// Calls a method with a JSON body and a bearer token; always `200` with a JSON envelope.
pub async fn slack(app: &TestApp, token: &str, method: &str, body: Value) -> Value {
    let res =
        app.client.post(app.url(&format!("/api/slack/{method}"))).bearer_auth(token).json(&body).send().await.unwrap();
    envelope(res).await
}

/// Calls a method with a form body, as Slack's Node SDK does (the token may be a field).
async fn slack_form(app: &TestApp, token: Option<&str>, method: &str, fields: &[(&str, &str)]) -> Value {
    let mut req = app.client.post(app.url(&format!("/api/slack/{method}"))).form(fields);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    envelope(req.send().await.unwrap()).await
}

async fn envelope(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), StatusCode::OK, "Slack's API answers 200 unless rate limited");
    let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    res.json().await.unwrap()
}

fn ok(v: &Value) -> &Value {
    assert_eq!(v["ok"], true, "{v}");
    v
}

fn error(v: &Value) -> &str {
    assert_eq!(v["ok"], false, "{v}");
    v["error"].as_str().unwrap()
}

/// A workspace with a bot that is in `#general` and not in `#ops`.
async fn with_bot() -> (TestApp, crate::helpers::TestUser, String, i64, i64) {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    ok(&slack(&app, &token, "conversations.join", json!({"channel": format!("C{general}")})).await);
    (app, admin, token, general, ops)
}

#[tokio::test]
async fn the_envelope_and_the_errors_every_method_shares() {
    let (app, admin, token, _, _) = with_bot().await;
    // An unknown method is answered before any token is asked for.
    assert_eq!(error(&slack_form(&app, None, "chat.teleport", &[]).await), "unknown_method");
    assert_eq!(error(&slack_form(&app, None, "auth.test", &[]).await), "not_authed");
    assert_eq!(error(&slack_form(&app, Some("xoxb-nope"), "auth.test", &[]).await), "invalid_auth");
    assert_eq!(error(&slack_form(&app, Some("hpat_nope"), "auth.test", &[]).await), "invalid_auth");
    // The token as a form field, as older clients send it; GET with a query string.
    let via_field = slack_form(&app, None, "auth.test", &[("token", &token)]).await;
    assert_eq!(ok(&via_field)["user"], "deployer");
    let res = app.client.get(app.url(&format!("/api/slack/api.test?token={token}&foo=bar"))).send().await.unwrap();
    let echoed = envelope(res).await;
    assert_eq!(ok(&echoed)["args"], json!({"foo": "bar"}), "the token is never echoed");

    let me = slack(&app, &token, "auth.test", json!({})).await;
    assert_eq!(ok(&me)["team"], "Acme");
    assert!(me["team_id"].as_str().unwrap().starts_with('T') && me["user_id"].as_str().unwrap().starts_with('U'));
    assert!(me["bot_id"].as_str().unwrap().starts_with("BU"), "{me}");
    // A person's own token is a personal token: no bot_id.
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({"name": "script"})).await;
    let personal = slack(&app, pat["token"].as_str().unwrap(), "auth.test", json!({})).await;
    assert_eq!(ok(&personal)["user"], "admin");
    assert_eq!(personal.get("bot_id"), None);

    // Malformed bodies.
    let res = app
        .client
        .post(app.url("/api/slack/chat.postMessage"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"channel\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(error(&envelope(res).await), "invalid_json");
    assert_eq!(
        error(&slack(&app, &token, "conversations.history", json!({"channel": "C1", "limit": "lots"})).await),
        "invalid_arguments"
    );
    let huge = "x".repeat(1024 * 1024 + 1);
    let res = app.client.post(app.url("/api/slack/api.test")).bearer_auth(&token).body(huge).send().await.unwrap();
    assert_eq!(error(&envelope(res).await), "request_too_large");
}

#[tokio::test]
async fn a_bot_posts_as_itself_where_it_is_and_nowhere_else() {
    let (app, admin, token, general, ops) = with_bot().await;
    let secret = create_channel(&app, &admin, "secret", true).await;

    assert_eq!(
        error(&slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{ops}"), "text": "hi"})).await),
        "not_in_channel"
    );
    assert_eq!(
        error(&slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{secret}"), "text": "hi"})).await),
        "channel_not_found"
    );
    assert_eq!(
        error(&slack(&app, &token, "chat.postMessage", json!({"channel": "C99999", "text": "hi"})).await),
        "channel_not_found"
    );
    assert_eq!(error(&slack(&app, &token, "chat.postMessage", json!({"text": "hi"})).await), "channel_not_found");
    assert_eq!(error(&slack(&app, &token, "chat.postMessage", json!({"channel": "#general"})).await), "no_text");

    let posted = slack(
        &app,
        &token,
        "chat.postMessage",
        json!({"channel": "#general", "text": format!("Deployed *v2* <@U{}>", admin.id)}),
    )
    .await;
    let ts = ok(&posted)["ts"].as_str().unwrap().to_owned();
    assert_eq!(posted["channel"], format!("C{general}"));
    assert_eq!(posted["message"]["subtype"], "bot_message");
    assert_eq!(posted["message"]["username"], "Deploy Bot");
    assert!(posted["message"]["bot_id"].as_str().unwrap().starts_with("BU"));
    assert!(ts.len() == 17 && ts.as_bytes()[10] == b'.', "{ts}");

    // People see it with the bot's name and a BOT marker; its mrkdwn became hearth's.
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages?limit=1"), &admin.token).await;
    let m = &page["messages"][0];
    assert_eq!((m["user"]["is_bot"].as_bool(), m["bot"]["name"].as_str()), (Some(true), Some("Deploy Bot")));
    assert!(m["html"].as_str().unwrap().contains("<strong>v2</strong>"), "{m}");
    assert_eq!(m["mentioned_user_ids"], json!([admin.id]));

    // A reply in its thread, also sent to the channel; ts and thread_ts round-trip.
    let reply = slack(
        &app,
        &token,
        "chat.postMessage",
        json!({
            "channel": format!("C{general}"), "text": "details", "thread_ts": ts, "reply_broadcast": "1",
        }),
    )
    .await;
    assert_eq!(ok(&reply)["message"]["thread_ts"], ts.as_str());
    let replies =
        slack(&app, &token, "conversations.replies", json!({"channel": format!("C{general}"), "ts": ts})).await;
    let texts: Vec<&str> =
        ok(&replies)["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    // Text comes back as hearth keeps it: Markdown, mentions by name.
    assert_eq!(texts, ["Deployed **v2** @admin", "details"]);
    assert_eq!(
        error(
            &slack(
                &app,
                &token,
                "chat.postMessage",
                json!({"channel": "#general", "text": "x", "thread_ts": "1.000001"})
            )
            .await
        ),
        "thread_not_found"
    );

    // It edits and deletes its own messages, by channel and ts.
    let edited =
        slack(&app, &token, "chat.update", json!({"channel": format!("C{general}"), "ts": ts, "text": "Deployed v3"}))
            .await;
    assert_eq!((ok(&edited)["ts"].as_str(), edited["text"].as_str()), (Some(ts.as_str()), Some("Deployed v3")));
    let link =
        slack(&app, &token, "chat.getPermalink", json!({"channel": format!("C{general}"), "message_ts": ts})).await;
    assert!(ok(&link)["permalink"].as_str().unwrap().contains(&format!("/w/acme/c/{general}/m/")));
    let reply_ts = reply["ts"].as_str().unwrap().to_owned();
    ok(&slack(&app, &token, "chat.delete", json!({"channel": format!("C{general}"), "ts": reply_ts})).await);
    assert_eq!(
        error(
            &slack(
                &app,
                &token,
                "chat.update",
                json!({"channel": format!("C{general}"), "ts": "1.000001", "text": "x"})
            )
            .await
        ),
        "message_not_found"
    );

    // Not a person's message, though.
    let (_, mine) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({"text": "mine"})).await;
    let history =
        slack(&app, &token, "conversations.history", json!({"channel": format!("C{general}"), "limit": 1})).await;
    let their_ts = ok(&history)["messages"][0]["ts"].as_str().unwrap().to_owned();
    assert_eq!(history["messages"][0]["text"], mine["text"]);
    assert_eq!(
        error(
            &slack(&app, &token, "chat.update", json!({"channel": format!("C{general}"), "ts": their_ts, "text": "x"}))
                .await
        ),
        "cant_update_message"
    );
}

#[tokio::test]
async fn bad_posts_get_slacks_answers_and_post_nothing() {
    let (app, admin, token, general, _) = with_bot().await;
    let too_many_blocks: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
    let long_block = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "b".repeat(3_001)}}]);
    let cases = [
        (json!({"channel": "#general", "text": "y".repeat(40_001)}), "msg_too_long"),
        (json!({"channel": "#general", "text": "x", "blocks": too_many_blocks}), "invalid_blocks"),
        (json!({"channel": "#general", "text": "x", "blocks": "[not json"}), "invalid_blocks"),
        (json!({"channel": "#general", "blocks": long_block}), "invalid_blocks"),
        (json!({"channel": "#general", "text": "x", "reply_broadcast": "maybe"}), "invalid_arguments"),
    ];
    for (body, code) in cases {
        let shown: String = body.to_string().chars().take(80).collect();
        assert_eq!(error(&slack(&app, &token, "chat.postMessage", body).await), code, "{shown}");
    }
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 0, "nothing was posted");
    // Blocks within Slack's limits, sent as a JSON string in a form as the Node SDK does.
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "*Build* passed"}}]).to_string();
    let posted = slack_form(
        &app,
        Some(&token),
        "chat.postMessage",
        &[("channel", "general"), ("text", "Build passed"), ("blocks", &blocks), ("mrkdwn", "1")],
    )
    .await;
    ok(&posted);
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert!(page["messages"][0]["html"].as_str().unwrap().contains("<strong>Build</strong>"));
}

#[tokio::test]
async fn history_pages_by_cursor_and_by_time() {
    let (app, _, token, general, _) = with_bot().await;
    let mut stamps = Vec::new();
    for i in 0..5 {
        let posted =
            slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{general}"), "text": format!("m{i}")}))
                .await;
        stamps.push(ok(&posted)["ts"].as_str().unwrap().to_owned());
    }
    let mut sorted = stamps.clone();
    sorted.sort();
    assert_eq!(sorted, stamps, "ts sorts as the messages were posted");

    // Two at a time, newest first, until next_cursor is empty.
    let (mut seen, mut cursor) = (Vec::new(), String::new());
    loop {
        let page = slack_form(
            &app,
            Some(&token),
            "conversations.history",
            &[("channel", &format!("C{general}")), ("limit", "2"), ("cursor", &cursor)],
        )
        .await;
        for m in ok(&page)["messages"].as_array().unwrap() {
            seen.push(m["text"].as_str().unwrap().to_owned());
        }
        cursor = page["response_metadata"]["next_cursor"].as_str().unwrap().to_owned();
        assert_eq!(page["has_more"].as_bool(), Some(!cursor.is_empty()));
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["m4", "m3", "m2", "m1", "m0"]);

    // oldest/latest are exclusive unless inclusive=1.
    let between = |inclusive: &'static str| {
        let (app, token, oldest, latest) = (&app, &token, stamps[1].clone(), stamps[3].clone());
        async move {
            let page = slack_form(
                app,
                Some(token),
                "conversations.history",
                &[
                    ("channel", &format!("C{general}")),
                    ("oldest", &oldest),
                    ("latest", &latest),
                    ("inclusive", inclusive),
                ],
            )
            .await;
            ok(&page)["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["text"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(between("0").await, ["m2"]);
    assert_eq!(between("1").await, ["m3", "m2", "m1"]);
    assert_eq!(
        error(
            &slack(
                &app,
                &token,
                "conversations.history",
                json!({"channel": format!("C{general}"), "oldest": "yesterday"})
            )
            .await
        ),
        "invalid_ts_oldest"
    );
    assert_eq!(
        error(
            &slack(
                &app,
                &token,
                "conversations.history",
                json!({"channel": format!("C{general}"), "cursor": "bm9wZQ"})
            )
            .await
        ),
        "invalid_cursor"
    );
}

#[tokio::test]
async fn conversations_people_reactions_and_pins() {
    let (app, admin, token, general, ops) = with_bot().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let secret = create_channel(&app, &admin, "secret", true).await;

    // The bot lists every public channel, marked with whether it is in it; never a private
    // one it is not in.
    let mut ids = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = slack(
            &app,
            &token,
            "conversations.list",
            json!({"limit": 1, "cursor": cursor, "types": "public_channel,private_channel"}),
        )
        .await;
        for c in ok(&page)["channels"].as_array().unwrap() {
            ids.push((c["id"].as_str().unwrap().to_owned(), c["is_member"].as_bool().unwrap()));
        }
        cursor = page["response_metadata"]["next_cursor"].as_str().unwrap().to_owned();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(ids, [(format!("C{general}"), true), (format!("C{ops}"), false)]);
    assert!(!ids.iter().any(|(id, _)| id == &format!("C{secret}")));
    assert_eq!(error(&slack(&app, &token, "conversations.list", json!({"types": "rooms"})).await), "invalid_types");
    let info = slack(&app, &token, "conversations.info", json!({"channel": format!("C{ops}")})).await;
    assert_eq!(
        (ok(&info)["channel"]["name"].as_str(), info["channel"]["is_member"].as_bool()),
        (Some("ops"), Some(false))
    );
    assert_eq!(
        error(&slack(&app, &token, "conversations.history", json!({"channel": format!("C{ops}")})).await),
        "not_in_channel"
    );
    assert_eq!(
        error(&slack(&app, &token, "conversations.info", json!({"channel": format!("C{secret}")})).await),
        "channel_not_found"
    );
    let members = slack(&app, &token, "conversations.members", json!({"channel": format!("C{general}")})).await;
    assert_eq!(ok(&members)["members"].as_array().unwrap().len(), 3, "admin, bob and the bot");

    // A direct message with bob, opened once.
    let opened = slack(&app, &token, "conversations.open", json!({"users": format!("U{}", bob.id)})).await;
    let dm = ok(&opened)["channel"]["id"].as_str().unwrap().to_owned();
    assert!(dm.starts_with('D'), "{opened}");
    let again = slack(&app, &token, "conversations.open", json!({"users": format!("U{}", bob.id)})).await;
    assert_eq!((again["channel"]["id"].as_str(), again["already_open"].as_bool()), (Some(dm.as_str()), Some(true)));
    ok(&slack(&app, &token, "chat.postMessage", json!({"channel": dm, "text": "psst"})).await);
    let by_user =
        slack(&app, &token, "chat.postMessage", json!({"channel": format!("U{}", bob.id), "text": "again"})).await;
    assert_eq!(ok(&by_user)["channel"], dm.as_str(), "a user id as channel is their DM");
    assert_eq!(error(&slack(&app, &token, "conversations.open", json!({"users": "bob"})).await), "user_not_found");

    // People: bots are marked; addresses are for people's tokens.
    let users = slack(&app, &token, "users.list", json!({})).await;
    let list = ok(&users)["members"].as_array().unwrap();
    let bot = list.iter().find(|u| u["name"] == "deployer").unwrap();
    assert_eq!((bot["is_bot"].as_bool(), bot["profile"]["bot_id"].as_str().is_some()), (Some(true), true));
    assert!(list.iter().all(|u| u["profile"].get("email").is_none()));
    let one = slack(&app, &token, "users.info", json!({"user": format!("U{}", bob.id)})).await;
    assert_eq!(ok(&one)["user"]["name"], "bob");
    assert_eq!(error(&slack(&app, &token, "users.info", json!({"user": "U99999"})).await), "user_not_found");
    assert_eq!(
        error(&slack(&app, &token, "users.lookupByEmail", json!({"email": "bob@example.com"})).await),
        "missing_scope"
    );
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({"name": "script"})).await;
    let personal = pat["token"].as_str().unwrap().to_owned();
    let found = slack(&app, &personal, "users.lookupByEmail", json!({"email": "bob@example.com"})).await;
    assert_eq!(ok(&found)["user"]["id"], format!("U{}", bob.id));
    assert_eq!(
        error(&slack(&app, &personal, "users.lookupByEmail", json!({"email": "nobody@example.com"})).await),
        "users_not_found"
    );

    // Reactions and pins on a message, by channel and timestamp.
    let posted =
        slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{general}"), "text": "ship it"})).await;
    let at = json!({"channel": format!("C{general}"), "timestamp": posted["ts"], "name": "tada"});
    ok(&slack(&app, &token, "reactions.add", at.clone()).await);
    assert_eq!(error(&slack(&app, &token, "reactions.add", at.clone()).await), "already_reacted");
    let got = slack(&app, &token, "reactions.get", at.clone()).await;
    assert_eq!(ok(&got)["message"]["reactions"][0]["name"], "tada");
    ok(&slack(&app, &token, "reactions.remove", at.clone()).await);
    assert_eq!(error(&slack(&app, &token, "reactions.remove", at.clone()).await), "no_reaction");
    let bad = json!({"channel": format!("C{general}"), "timestamp": posted["ts"], "name": "not an emoji"});
    assert_eq!(error(&slack(&app, &token, "reactions.add", bad).await), "invalid_name");
    ok(&slack(&app, &token, "pins.add", at.clone()).await);
    assert_eq!(error(&slack(&app, &token, "pins.add", at.clone()).await), "already_pinned");
    let pins = slack(&app, &token, "pins.list", json!({"channel": format!("C{general}")})).await;
    assert_eq!(ok(&pins)["items"][0]["message"]["text"], "ship it");

    // Search is for people's tokens.
    assert_eq!(
        error(&slack(&app, &token, "search.messages", json!({"query": "ship"})).await),
        "not_allowed_token_type"
    );
}

#[tokio::test]
async fn a_token_reaches_only_its_own_workspace() {
    let (app, admin, token, _, _) = with_bot().await;
    let (status, _) = app.post("/api/v1/workspaces", &admin.token, json!({"slug": "other", "name": "Other"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, channels) = app.get("/api/v1/workspaces/other/channels", &admin.token).await;
    let theirs = channels["channels"][0]["id"].as_i64().unwrap();
    for method in ["chat.postMessage", "conversations.history", "conversations.info", "conversations.join"] {
        let answer = slack(&app, &token, method, json!({"channel": format!("C{theirs}"), "text": "hello"})).await;
        assert_eq!(error(&answer), "channel_not_found", "{method}");
    }
    // A personal token picks its workspace with team_id, among its own.
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({"name": "script"})).await;
    let personal = pat["token"].as_str().unwrap().to_owned();
    let (_, other) = app.get("/api/v1/workspaces/other", &admin.token).await;
    let there = slack(&app, &personal, "auth.test", json!({"team_id": format!("T{}", other["id"])})).await;
    assert_eq!(ok(&there)["team"], "Other");
    assert_eq!(error(&slack(&app, &personal, "auth.test", json!({"team_id": "T99999"})).await), "team_not_found");
}

#[tokio::test]
async fn too_many_writes_are_answered_ratelimited_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.limits.writes_per_minute = 2;
        s.limits.write_burst = 2;
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let (_, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut last = None;
    for _ in 0..4 {
        let res = app
            .client
            .post(app.url("/api/slack/chat.postMessage"))
            .bearer_auth(&token)
            .json(&json!({"channel": format!("C{general}"), "text": "x"}))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some((
                res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned()),
                res.json::<Value>().await.unwrap(),
            ));
            break;
        }
    }
    let (retry_after, body) = last.expect("the write limit answers 429");
    assert!(retry_after.unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(error(&body), "ratelimited");
    // Reading is not writing.
    ok(&slack(&app, &token, "auth.test", json!({})).await);
}

#[tokio::test]
async fn slacks_own_web_client_runs_against_hearth() {
    let Ok(python) = std::env::var("HEARTH_TEST_SLACK_PYTHON") else {
        eprintln!("the slack_sdk test runs with HEARTH_TEST_SLACK_PYTHON (.ci/run)");
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/web_client.py");
    let args = [script.to_owned(), app.address.clone(), token, format!("C{general}"), format!("C{secret}")];
    let out = tokio::task::spawn_blocking(move || std::process::Command::new(python).args(args).output())
        .await
        .unwrap()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let got: Vec<(String, Value, Value, Value)> = answers
        .iter()
        .map(|a| (a["case"].as_str().unwrap().to_owned(), a["ok"].clone(), a["error"].clone(), a["value"].clone()))
        .collect();
    let expected = [
        ("auth.test", true, Value::Null, json!(["deployer", true])),
        ("join", true, Value::Null, json!(format!("C{general}"))),
        ("post", true, Value::Null, json!("bot_message")),
        ("reply", true, Value::Null, json!(true)),
        ("update", true, Value::Null, json!("Build passed again")),
        ("react", true, Value::Null, Value::Null),
        ("pin", true, Value::Null, Value::Null),
        ("history", true, Value::Null, json!(["n2", "n1", "n0", "details", "Build passed again"])),
        ("replies", true, Value::Null, json!(2)),
        ("list", true, Value::Null, json!(["general"])),
        ("users", true, Value::Null, json!([["admin", false], ["deployer", true]])),
        ("upload", true, Value::Null, json!(["notes.txt", 14])),
        ("private", false, json!("channel_not_found"), Value::Null),
        ("too_long", false, json!("msg_too_long"), Value::Null),
        ("unknown", false, json!("unknown_method"), Value::Null),
        ("revoked", false, json!("invalid_auth"), Value::Null),
    ];
    let expected: Vec<(String, Value, Value, Value)> =
        expected.into_iter().map(|(c, ok, e, v)| (c.to_owned(), json!(ok), e, v)).collect();
    assert_eq!(got, expected);
    // What the SDK posted is what people see: its file too.
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages?limit=10"), &admin.token).await;
    let shared = page["messages"].as_array().unwrap().iter().find(|m| m["text"] == "Here they are").unwrap().clone();
    assert_eq!(
        (shared["files"][0]["name"].as_str(), shared["bot"]["name"].as_str()),
        (Some("notes.txt"), Some("Deploy Bot"))
    );
    let bytes = app
        .client
        .get(app.url(shared["files"][0]["url"].as_str().unwrap()))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(bytes.text().await.unwrap(), "release notes\n");
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["text"].as_str(), last["bot"]["name"].as_str()), (Some("Build passed again"), Some("Deploy Bot")));
    assert_eq!(last["reactions"][0]["emoji"], "tada");
    assert_eq!(last["pinned"], true);
}

#[tokio::test]
async fn an_ephemeral_message_reaches_its_one_person_and_is_never_stored() {
    let (app, admin, token, general, _) = with_bot().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let mut admins = app.ws(&admin.token, "").await;
    let mut bobs = app.ws(&bob.token, "").await;
    let sent = slack(
        &app,
        &token,
        "chat.postEphemeral",
        json!({"channel": format!("C{general}"), "user": format!("U{}", bob.id), "text": "Only *you*"}),
    )
    .await;
    assert!(ok(&sent)["message_ts"].as_str().is_some());
    let frames = bobs.until("message.ephemeral", |_| true).await;
    let e = &frames.last().unwrap()["message"];
    assert_eq!(
        (e["text"].as_str(), e["from"].as_str(), e["channel_id"].as_i64()),
        (Some("Only **you**"), Some("Deploy Bot (app)"), Some(general))
    );
    // The admin gets the next thing that happens, not the ephemeral one.
    slack(&app, &token, "chat.postMessage", json!({"channel": format!("C{general}"), "text": "for all"})).await;
    let seen = admins.until("message.created", |_| true).await;
    assert!(seen.iter().all(|f| f["type"] != "message.ephemeral"), "{seen:?}");
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert!(page["messages"].as_array().unwrap().iter().all(|m| m["text"] != "Only **you**"));
    assert_eq!(
        error(
            &slack(
                &app,
                &token,
                "chat.postEphemeral",
                json!({"channel": format!("C{general}"), "user": "U99999", "text": "x"})
            )
            .await
        ),
        "user_not_in_channel"
    );
    assert_eq!(
        error(&slack(&app, &token, "chat.postEphemeral", json!({"channel": format!("C{general}"), "text": "x"})).await),
        "user_not_found"
    );
}

#[tokio::test]
async fn the_two_step_upload_refuses_what_it_should() {
    let (app, admin, token, general, ops) = with_bot().await;
    assert_eq!(
        error(&slack(&app, &token, "files.getUploadURLExternal", json!({"length": 5})).await),
        "invalid_arguments"
    );
    assert_eq!(
        error(&slack(&app, &token, "files.getUploadURLExternal", json!({"filename": "a.txt"})).await),
        "invalid_arguments"
    );
    let huge =
        slack(&app, &token, "files.getUploadURLExternal", json!({"filename": "a.bin", "length": 1_u64 << 40})).await;
    assert_eq!(error(&huge), "file_too_large");
    let got =
        slack_form(&app, Some(&token), "files.getUploadURLExternal", &[("filename", "a.txt"), ("length", "5")]).await;
    let (url, id) = (ok(&got)["upload_url"].as_str().unwrap().to_owned(), got["file_id"].as_str().unwrap().to_owned());

    // The URL takes exactly the bytes announced, once.
    let res = app.client.post(&url).body("toolong").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let res = app.client.post(&url).body("abc").send().await.unwrap();
    assert_eq!((res.status(), res.text().await.unwrap()), (StatusCode::BAD_REQUEST, "length_mismatch".to_owned()));
    let form = reqwest::multipart::Form::new()
        .part("filename", reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("a.txt"));
    let res = app.client.post(&url).multipart(form).send().await.unwrap();
    assert_eq!((res.status(), res.text().await.unwrap()), (StatusCode::OK, "OK - 5".to_owned()));
    let res = app.client.post(&url).body("hello").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = app.client.post(app.url("/api/slack/files/upload/nothing")).body("hello").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Sharing: only one's own uploads, only where one may post.
    let files = json!([{"id": id, "title": "greeting"}]).to_string();
    assert_eq!(
        error(&slack_form(&app, Some(&token), "files.completeUploadExternal", &[("files", &files)]).await),
        "invalid_arguments"
    );
    let elsewhere = slack_form(
        &app,
        Some(&token),
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", &format!("C{ops}"))],
    )
    .await;
    assert_eq!(error(&elsewhere), "not_in_channel");
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({"name": "script"})).await;
    let theirs = slack_form(
        &app,
        pat["token"].as_str(),
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", &format!("C{general}"))],
    )
    .await;
    assert_eq!(error(&theirs), "file_not_found");
    let unknown = json!([{"id": "F99999"}]).to_string();
    assert_eq!(
        error(
            &slack_form(
                &app,
                Some(&token),
                "files.completeUploadExternal",
                &[("files", &unknown), ("channel_id", &format!("C{general}"))]
            )
            .await
        ),
        "file_not_found"
    );
    let done = slack_form(
        &app,
        Some(&token),
        "files.completeUploadExternal",
        &[("files", &files), ("channel_id", &format!("C{general}")), ("initial_comment", "hi")],
    )
    .await;
    assert_eq!(ok(&done)["files"][0]["name"], "greeting.txt");
    // Named twice, shared once.
    let again =
        slack_form(&app, Some(&token), "files.getUploadURLExternal", &[("filename", "b.txt"), ("length", "2")]).await;
    let res = app.client.post(again["upload_url"].as_str().unwrap()).body("hi").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let twice = json!([{"id": again["file_id"]}, {"id": again["file_id"]}]).to_string();
    let shared = slack_form(
        &app,
        Some(&token),
        "files.completeUploadExternal",
        &[("files", &twice), ("channel_id", &format!("C{general}"))],
    )
    .await;
    assert_eq!(ok(&shared)["files"].as_array().unwrap().len(), 1);
    // Shared once: the upload is gone.
    assert_eq!(
        error(
            &slack_form(
                &app,
                Some(&token),
                "files.completeUploadExternal",
                &[("files", &files), ("channel_id", &format!("C{general}"))]
            )
            .await
        ),
        "file_not_found"
    );
}

#[tokio::test]
async fn slacks_own_node_client_runs_against_hearth() {
    let Ok(modules) = std::env::var("HEARTH_TEST_SLACK_NODE_MODULES") else {
        eprintln!("the @slack/web-api test runs with HEARTH_TEST_SLACK_NODE_MODULES (.ci/run)");
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/web_client.mjs");
    let args = [script.to_owned(), app.address.clone(), token, format!("C{general}")];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node").args(args).env("HEARTH_TEST_SLACK_NODE_MODULES", modules).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Vec<(String, Value, Value, Value)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|a| (a["case"].as_str().unwrap().to_owned(), a["ok"].clone(), a["error"].clone(), a["value"].clone()))
        .collect();
    let expected = [
        ("auth.test", true, Value::Null, json!(["deployer", true])),
        ("join", true, Value::Null, json!(format!("C{general}"))),
        ("post", true, Value::Null, json!("bot_message")),
        ("react", true, Value::Null, Value::Null),
        ("thread", true, Value::Null, json!(true)),
        ("history", true, Value::Null, json!(["a reply", "From Node"])),
        ("upload", true, Value::Null, json!(true)),
        ("missing", false, json!("channel_not_found"), Value::Null),
        ("long", false, json!("msg_too_long"), Value::Null),
    ];
    let expected: Vec<(String, Value, Value, Value)> =
        expected.into_iter().map(|(c, ok, e, v)| (c.to_owned(), json!(ok), e, v)).collect();
    assert_eq!(got, expected);
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages?limit=10"), &admin.token).await;
    let first = page["messages"].as_array().unwrap().iter().find(|m| m["text"] == "From Node").unwrap().clone();
    assert!(first["html"].as_str().unwrap().contains("<strong>From</strong> Node"), "the form's JSON string of blocks");
    assert_eq!(first["reactions"][0]["emoji"], "wave");
    assert!(
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "From Node too" && m["files"][0]["name"] == "node.txt")
    );
}
