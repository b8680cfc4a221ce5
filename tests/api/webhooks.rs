//! Incoming webhooks as integrations use them: made by an admin, posted to in Slack's and
//! Mattermost's formats at both URL shapes, answered in Slack's plain-text codes, live,
//! searchable and unread like any message; refused when they must be, changing nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, spawn_app};
use crate::pages::Browser;

/// Makes an incoming webhook for a channel; returns (id, url, slack_url).
pub async fn make_hook(app: &TestApp, user: &TestUser, channel: i64, name: &str) -> (i64, String, String) {
    let (status, hook) = app
        .post("/api/v1/workspaces/acme/incoming-webhooks", &user.token, json!({ "channel_id": channel, "name": name }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let (url, slack_url) = (hook["url"].as_str().unwrap(), hook["slack_url"].as_str().unwrap());
    (hook["id"].as_i64().unwrap(), url.to_owned(), slack_url.to_owned())
}

/// Sends a body to a hook URL; returns the status, the plain-text answer and its type.
pub async fn send(
    app: &TestApp,
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> (StatusCode, String) {
    let mut req = app.client.post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = res.text().await.unwrap();
    assert!(ct.starts_with("text/plain"), "answers are plain text, got {ct}: {text}");
    (status, text)
}

async fn send_json(app: &TestApp, url: &str, payload: Value) -> (StatusCode, String) {
    send(app, url, Some("application/json"), payload.to_string()).await
}

async fn history(app: &TestApp, user: &TestUser, channel: i64) -> Vec<Value> {
    let (status, page) = app.get(&format!("/api/v1/channels/{channel}/messages?limit=200"), &user.token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["messages"].as_array().unwrap().clone()
}

async fn latest(app: &TestApp, user: &TestUser, channel: i64) -> Value {
    history(app, user, channel).await.into_iter().next().expect("a message")
}

#[tokio::test]
async fn a_slack_payload_posts_live_searchable_unread_and_mentioning() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let (hook, url, slack_url) = make_hook(&app, &admin, general, "CI").await;
    assert!(url.starts_with(&app.address) && url.contains("/hooks/"), "{url}");
    assert!(slack_url.contains("/services/T") && slack_url.contains(&format!("/B{hook}/")), "{slack_url}");
    let mut ws = app.ws(&bob.token, "html=1").await;

    let text =
        format!("Deploy of *web* finished: <https://ci.example.com/b/12|build 12> for <@U{}> &amp; friends", bob.id);
    assert_eq!(send_json(&app, &slack_url, json!({ "text": text })).await, (StatusCode::OK, "ok".to_owned()));

    let frames = ws.until("message.created", |_| true).await;
    let frame = frames.last().unwrap();
    let message = &frame["data"]["message"];
    assert_eq!(message["bot"]["name"], "CI");
    assert_eq!(message["bot"]["webhook_id"], hook);
    let html = message["html"].as_str().unwrap();
    assert!(html.contains("<strong>web</strong>"), "{html}");
    assert!(html.contains(r#"href="https://ci.example.com/b/12""#) && html.contains(">build 12</a>"), "{html}");
    assert!(html.contains(&format!(r#"data-user-id="{}""#, bob.id)), "bob is mentioned: {html}");
    assert!(html.contains("&amp; friends"), "{html}");
    assert_eq!(message["mentioned_user_ids"], json!([bob.id]));
    let partial = frame["html"].as_str().unwrap();
    assert!(partial.contains(">CI</strong>") && partial.contains("BOT"), "shown as the app, marked: {partial}");
    assert!(!partial.contains("@admin"), "never as its creator: {partial}");

    // Unread for everyone, its creator too; found by search.
    for user in [&admin, &bob] {
        let (_, list) = app.get("/api/v1/workspaces/acme/channels", &user.token).await;
        assert_eq!(list["channels"][0]["membership"]["unread_count"], 1, "{list}");
    }
    eventually("the webhook's message is searchable", async || {
        let (_, found) = app.get("/api/v1/workspaces/acme/search?q=deploy", &bob.token).await;
        (found["total"] == 1).then_some(())
    })
    .await;

    // Its manager sees when it was used; its secret is never shown again.
    let (_, listed) = app.get("/api/v1/workspaces/acme/incoming-webhooks", &admin.token).await;
    let listed = &listed["incoming_webhooks"][0];
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(listed["url"].is_null() && listed["slack_url"].is_null(), "{listed}");
    let secret = url.rsplit('/').next().unwrap();
    assert!(!listed.to_string().contains(secret));
    let stored = app.sql_text(&format!("SELECT token_hash AS value FROM incoming_webhooks WHERE id = {hook}"));
    assert!(!stored.contains(secret) && stored.len() == 64, "stored hashed: {stored}");

    // Its messages are not its creator's to rewrite, but are to delete.
    let id = message["id"].as_i64().unwrap();
    let edited = app.patch(&format!("/api/v1/messages/{id}"), &admin.token, json!({"text": "forged"})).await;
    assert_eq!(edited.0, StatusCode::FORBIDDEN, "{}", edited.1);
    let (status, _) = app.delete(&format!("/api/v1/messages/{id}"), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn both_dialects_and_every_encoding_are_accepted() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, url, slack_url) = make_hook(&app, &admin, general, "Monitor").await;

    // Slack's form encoding, as `curl --data-urlencode 'payload={…}'` sends it.
    let form =
        format!("payload={}", urlencoding(r#"{"text":"form *encoded*","username":"nagios","icon_emoji":":ghost:"}"#));
    assert_eq!(send(&app, &slack_url, Some("application/x-www-form-urlencoded"), form).await.0, StatusCode::OK);
    let m = latest(&app, &admin, general).await;
    assert_eq!((m["text"].as_str(), m["bot"]["name"].as_str()), (Some("form **encoded**"), Some("nagios")));
    assert_eq!(m["bot"]["icon_emoji"], "ghost");

    // Mattermost's: Markdown already, no content type, raw line breaks in strings, its
    // attachments, props, type and priority.
    let body = "{\"text\":\"**alert** on db-1\nsecond line\",\"props\":{\"card\":\"details\"},\"type\":\"custom_alert\",\
                \"priority\":{\"priority\":\"urgent\",\"requested_ack\":true},\
                \"attachments\":[{\"fallback\":\"CPU high\",\"color\":\"danger\",\"title\":\"CPU 97%\",\
                \"fields\":[{\"title\":\"Host\",\"value\":\"db-1\",\"short\":true}]}]}";
    assert_eq!(send(&app, &url, None, body).await, (StatusCode::OK, "ok".to_owned()));
    let m = latest(&app, &admin, general).await;
    let html = m["html"].as_str().unwrap();
    assert!(html.starts_with("<p><strong>alert</strong> on db-1"), "{html}");
    assert!(html.contains(r#"class="attachment attachment-danger""#) && html.contains("CPU 97%"), "{html}");
    assert!(html.contains("Host") && html.contains("db-1"), "{html}");
    assert_eq!(m["bot"]["props"], json!({"card": "details"}));
    assert_eq!((m["bot"]["type"].as_str(), m["bot"]["priority"].as_str()), (Some("custom_alert"), Some("urgent")));

    // Blocks are the body; the text is the fallback that search and notifications use.
    let blocks = json!({"text": "Review from Danny", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "New review"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Danny left *one star*"}},
        {"type": "divider"},
        {"type": "actions", "elements": []}]});
    assert_eq!(send_json(&app, &slack_url, blocks).await.0, StatusCode::OK);
    let m = latest(&app, &admin, general).await;
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<strong>New review</strong>") && html.contains("<strong>one star</strong>"), "{html}");
    assert!(!html.contains("Review from Danny"), "the fallback is not shown beside the blocks: {html}");
    assert_eq!(m["text"], "Review from Danny");

    // Only attachments: the message reads as their fallback.
    let only = json!({"attachments": [{"fallback": "Build 7 failed", "text": "see the log", "color": "#ff0000"}]});
    assert_eq!(send_json(&app, &slack_url, only).await.0, StatusCode::OK);
    let m = latest(&app, &admin, general).await;
    assert_eq!(m["text"], "Build 7 failed");
    assert!(m["html"].as_str().unwrap().contains(r##"data-color="#ff0000""##), "{}", m["html"]);

    // A reply in a thread, by Slack's ts or by id.
    let root = m["id"].as_i64().unwrap();
    let (_, root_message) = app.get(&format!("/api/v1/messages/{root}"), &admin.token).await;
    let ts = slack_ts(root_message["created_at"].as_str().unwrap());
    for thread_ts in [ts, root.to_string()] {
        let reply = json!({"text": "fixed in 8", "thread_ts": thread_ts});
        assert_eq!(send_json(&app, &slack_url, reply).await.0, StatusCode::OK, "{thread_ts}");
    }
    let (_, thread) = app.get(&format!("/api/v1/messages/{root}/thread"), &admin.token).await;
    assert_eq!(thread["replies"].as_array().map(Vec::len), Some(2), "{thread}");
}

/// Slack's `ts` of an RFC 3339 time: `seconds.micros`.
fn slack_ts(rfc3339: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    format!("{}.{:06}", t.timestamp(), t.timestamp_subsec_micros())
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn bad_payloads_are_answered_with_slack_codes_and_post_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (hook, url, slack_url) = make_hook(&app, &admin, general, "CI").await;
    let json_ct = Some("application/json");
    let attachments: Vec<Value> = (0..101).map(|i| json!({"text": i})).collect();
    // Each text within its own bound, together over what one message may carry.
    let wordy: Vec<Value> = (0..90).map(|_| json!({"text": "w".repeat(3_000)})).collect();
    let cases: Vec<(Option<&str>, String, StatusCode, &str)> = vec![
        (json_ct, "{\"text\": \"unclosed".into(), StatusCode::BAD_REQUEST, "invalid_payload"),
        (json_ct, "[\"a list\"]".into(), StatusCode::BAD_REQUEST, "invalid_payload"),
        (Some("application/xml"), "<text>hello</text>".into(), StatusCode::BAD_REQUEST, "invalid_payload"),
        (Some("application/x-www-form-urlencoded"), "text=hello".into(), StatusCode::BAD_REQUEST, "invalid_payload"),
        (
            Some("application/x-www-form-urlencoded"),
            "payload=not+json".into(),
            StatusCode::BAD_REQUEST,
            "invalid_payload",
        ),
        (json_ct, "{}".into(), StatusCode::BAD_REQUEST, "no_text"),
        (json_ct, json!({"text": "   "}).to_string(), StatusCode::BAD_REQUEST, "no_text"),
        (
            json_ct,
            json!({"text": "x", "attachments": attachments}).to_string(),
            StatusCode::BAD_REQUEST,
            "too_many_attachments",
        ),
        (json_ct, json!({"text": "x", "blocks": "[not json"}).to_string(), StatusCode::BAD_REQUEST, "invalid_blocks"),
        (
            json_ct,
            json!({"text": "x", "type": "system_join_channel"}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_payload",
        ),
        (json_ct, json!({"text": "x", "channel": "#nowhere"}).to_string(), StatusCode::NOT_FOUND, "channel_not_found"),
        (json_ct, json!({"text": "x", "channel": "@nobody"}).to_string(), StatusCode::BAD_REQUEST, "user_not_found"),
        (json_ct, json!({"text": "x", "thread_ts": "1.000001"}).to_string(), StatusCode::NOT_FOUND, "thread_not_found"),
        (json_ct, json!({"text": "y".repeat(40_001)}).to_string(), StatusCode::BAD_REQUEST, "msg_too_long"),
        (json_ct, json!({"text": "x", "attachments": wordy}).to_string(), StatusCode::BAD_REQUEST, "msg_too_long"),
        (
            json_ct,
            format!("{{\"text\":\"{}\"}}", "z".repeat(1024 * 1024)),
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
        ),
    ];
    for (ct, body, status, code) in cases {
        let shown: String = body.chars().take(60).collect();
        assert_eq!(send(&app, &slack_url, ct, body).await, (status, code.to_owned()), "{shown}");
    }
    // Deeply nested and oversized cards are bounded, not refused.
    let mut deep = json!({"type": "rich_text_section", "elements": [{"type": "text", "text": "deep"}]});
    for _ in 0..60 {
        deep = json!({"type": "rich_text_quote", "elements": [deep]});
    }
    let fields: Vec<Value> =
        (0..1000).map(|i| json!({"title": format!("f{i}"), "value": "v", "short": true})).collect();
    let bounded = json!({"text": "bounded", "blocks": [{"type": "rich_text", "elements": [deep]}],
                         "attachments": [{"fields": fields}]});
    assert_eq!(send_json(&app, &url, bounded).await.0, StatusCode::OK);
    let m = latest(&app, &admin, general).await;
    assert!(m["html"].as_str().unwrap().contains("and 980 more fields"), "{}", m["html"]);
    assert_eq!(history(&app, &admin, general).await.len(), 1, "only the bounded one was posted");

    // Wrong or unknown addresses.
    let secret = url.rsplit('/').next().unwrap();
    assert_eq!(
        send(&app, &app.url("/hooks/nope"), json_ct, "{\"text\":\"x\"}").await,
        (StatusCode::NOT_FOUND, "no_service".into())
    );
    let wrong_team = app.url(&format!("/services/T999/B{hook}/{secret}"));
    let wrong_hook = app.url(&format!("/services/T1/B999/{secret}"));
    for wrong in [wrong_team, wrong_hook] {
        assert_eq!(
            send(&app, &wrong, json_ct, "{\"text\":\"x\"}").await,
            (StatusCode::FORBIDDEN, "invalid_token".into())
        );
    }
    let get = app.client.get(&url).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::NOT_FOUND, "posting only");
    assert_eq!(history(&app, &admin, general).await.len(), 1, "nothing else was posted");

    // The hook's page shows what went wrong, newest first.
    let (_, shown) = app.get(&format!("/api/v1/workspaces/acme/incoming-webhooks/{hook}"), &admin.token).await;
    let failures = shown["recent_failures"].as_array().unwrap();
    assert_eq!(failures.len(), 10, "the latest ten: {shown}");
    assert!(failures[0]["detail"].as_str().unwrap().starts_with("msg_too_long"), "{shown}");
    assert_eq!(failures[0]["status"], 400);
}

#[tokio::test]
async fn a_hook_posts_only_where_its_creator_may() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret_channel = create_channel(&app, &bob, "secret", true).await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    let (hook, url, _) = make_hook(&app, &admin, general, "CI").await;
    let text = |channel: &str| json!({"text": "hi", "channel": channel});

    // Into a private channel its creator is not in: not found; into a public one the
    // creator is in, by name or id: posted; to a person: a direct message from the creator.
    assert_eq!(send_json(&app, &url, text("#secret")).await, (StatusCode::NOT_FOUND, "channel_not_found".into()));
    assert_eq!(send_json(&app, &url, text(&format!("C{secret_channel}"))).await.1, "channel_not_found");
    assert!(history(&app, &bob, secret_channel).await.is_empty());
    // A channel of another workspace its creator is in: not this hook's to reach.
    let (status, _) = app.post("/api/v1/workspaces", &admin.token, json!({"slug": "beta", "name": "Beta"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, beta) = app.get("/api/v1/workspaces/beta/channels", &admin.token).await;
    let beta_general = beta["channels"][0]["id"].as_i64().unwrap();
    assert_eq!(send_json(&app, &url, text(&format!("C{beta_general}"))).await.1, "channel_not_found");
    assert!(history(&app, &admin, beta_general).await.is_empty());
    assert_eq!(send_json(&app, &url, text("ops")).await.0, StatusCode::OK);
    assert_eq!(send_json(&app, &url, text(&format!("C{ops}"))).await.0, StatusCode::OK);
    assert_eq!(history(&app, &admin, ops).await.len(), 2);
    assert_eq!(send_json(&app, &url, text("@bob")).await.0, StatusCode::OK);
    let (_, dms) = app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({"user_ids": [admin.id]})).await;
    assert_eq!(history(&app, &bob, dms["id"].as_i64().unwrap()).await.len(), 1);

    // Locked to its channel: other channels refused.
    let (status, _) = app
        .patch(
            &format!("/api/v1/workspaces/acme/incoming-webhooks/{hook}"),
            &admin.token,
            json!({"channel_locked": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(send_json(&app, &url, text("ops")).await, (StatusCode::FORBIDDEN, "action_prohibited".into()));
    assert_eq!(send_json(&app, &url, text("general")).await.0, StatusCode::OK);

    // An archived channel.
    let (_, archived) = app.post(&format!("/api/v1/channels/{ops}/archive"), &admin.token, json!({})).await;
    assert_eq!(archived["archived"], true, "{archived}");
    let (_, _, ops_url) = make_hook_ok_then_archive(&app, &admin).await;
    assert_eq!(send_json(&app, &ops_url, json!({"text": "x"})).await, (StatusCode::GONE, "channel_is_archived".into()));

    // A new secret: the old URL is refused at once. Disabled: refused; enabled again: works.
    let hook_path = format!("/api/v1/workspaces/acme/incoming-webhooks/{hook}");
    let patch = |body: Value| app.patch(&hook_path, &admin.token, body);
    let (_, renewed) = patch(json!({"regenerate_secret": true})).await;
    let new_url = renewed["url"].as_str().unwrap().to_owned();
    assert_eq!(send_json(&app, &url, json!({"text": "old"})).await, (StatusCode::NOT_FOUND, "no_service".into()));
    assert_eq!(send_json(&app, &new_url, json!({"text": "new"})).await.0, StatusCode::OK);
    patch(json!({"disabled": true})).await;
    assert_eq!(send_json(&app, &new_url, json!({"text": "off"})).await, (StatusCode::NOT_FOUND, "no_service".into()));
    patch(json!({"disabled": false})).await;
    assert_eq!(send_json(&app, &new_url, json!({"text": "on"})).await.0, StatusCode::OK);

    // Its creator leaves the workspace: it stops.
    let bobs = {
        let (_, ws) =
            app.patch("/api/v1/workspaces/acme", &admin.token, json!({"members_add_integrations": true})).await;
        assert_eq!(ws["members_add_integrations"], true, "{ws}");
        make_hook(&app, &bob, general, "bob's").await.1
    };
    assert_eq!(send_json(&app, &bobs, json!({"text": "from bob's hook"})).await.0, StatusCode::OK);
    let (status, _) = app
        .patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({"deactivated": true}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        send_json(&app, &bobs, json!({"text": "after"})).await,
        (StatusCode::FORBIDDEN, "action_prohibited".into())
    );

    // Deleted: gone.
    let (status, _) = app.delete(&format!("/api/v1/workspaces/acme/incoming-webhooks/{hook}"), &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(send_json(&app, &new_url, json!({"text": "gone"})).await, (StatusCode::NOT_FOUND, "no_service".into()));
}

/// A hook for a fresh channel, which is then archived: (hook id, url, slack url).
async fn make_hook_ok_then_archive(app: &TestApp, admin: &TestUser) -> (i64, String, String) {
    let channel = create_channel(app, admin, "old-alerts", false).await;
    let made = make_hook(app, admin, channel, "Old").await;
    let (status, _) = app.post(&format!("/api/v1/channels/{channel}/archive"), &admin.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    made
}

#[tokio::test]
async fn who_may_manage_hooks_and_what_a_hook_must_be() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let gus = app.join(&admin, "acme", "gus", "guest").await;
    let general = channel_id(&app, &admin, "general").await;
    let hooks = "/api/v1/workspaces/acme/incoming-webhooks";
    let new = json!({"channel_id": general, "name": "CI"});

    // Members may not, until the workspace lets them; guests never.
    assert_error(&app.post(hooks, &bob.token, new.clone()).await, StatusCode::FORBIDDEN, "not_workspace_admin");
    let (status, _) = app.patch("/api/v1/workspaces/acme", &bob.token, json!({"members_add_integrations": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins open it up");
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({"members_add_integrations": true})).await;
    let (status, bobs) = app.post(hooks, &bob.token, new.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{bobs}");
    assert_error(&app.post(hooks, &gus.token, new.clone()).await, StatusCode::FORBIDDEN, "not_workspace_admin");
    let (_, admins) = app.post(hooks, &admin.token, new.clone()).await;

    // Each member sees and changes their own; admins all.
    let (_, listed) = app.get(hooks, &carol.token).await;
    assert_eq!(listed["incoming_webhooks"], json!([]));
    let (_, listed) = app.get(hooks, &admin.token).await;
    assert_eq!(listed["incoming_webhooks"].as_array().unwrap().len(), 2);
    let bobs_path = format!("{hooks}/{}", bobs["id"]);
    assert_error(
        &app.patch(&bobs_path, &carol.token, json!({"name": "mine"})).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    assert_error(
        &app.delete(&format!("{hooks}/{}", admins["id"]), &bob.token).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    let (status, renamed) = app.patch(&bobs_path, &admin.token, json!({"name": "Bob's CI"})).await;
    assert_eq!((status, renamed["name"].as_str()), (StatusCode::OK, Some("Bob's CI")));

    // What a hook must be.
    let secret = create_channel(&app, &bob, "secret", true).await;
    let cases = [
        (json!({"channel_id": general, "name": " "}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_webhook_name"),
        (
            json!({"channel_id": general, "name": "x".repeat(81)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_webhook_name",
        ),
        (
            json!({"channel_id": general, "name": "CI", "icon_url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_icon_url",
        ),
        (json!({"channel_id": secret, "name": "CI"}), StatusCode::NOT_FOUND, "channel_not_found"),
        (json!({"channel_id": 99_999, "name": "CI"}), StatusCode::NOT_FOUND, "channel_not_found"),
    ];
    for (body, status, code) in cases {
        assert_error(&app.post(hooks, &admin.token, body.clone()).await, status, code);
    }
    let unknown = app.post(hooks, &admin.token, json!({"channel_id": general, "name": "CI", "colour": "red"})).await;
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST, "{}", unknown.1);
    assert_error(
        &app.patch(&format!("{hooks}/99999"), &admin.token, json!({"name": "x"})).await,
        StatusCode::NOT_FOUND,
        "webhook_not_found",
    );
    // Moving a hook into a channel its creator cannot post in is refused.
    let moved = app
        .patch(&bobs_path, &admin.token, json!({"channel_id": create_channel(&app, &admin, "admins", true).await}))
        .await;
    assert_error(&moved, StatusCode::FORBIDDEN, "not_in_channel");
    let (_, listed) = app.get(hooks, &admin.token).await;
    assert_eq!(listed["incoming_webhooks"].as_array().unwrap().len(), 2, "nothing was made by the refusals");

    // A new secret would let whoever holds it post with the creator's rights: only the
    // creator may ask for one; an admin disables or removes instead.
    assert_error(
        &app.patch(&bobs_path, &admin.token, json!({"regenerate_secret": true})).await,
        StatusCode::FORBIDDEN,
        "not_creator",
    );
    let (status, _) = send_json(&app, bobs["url"].as_str().unwrap(), json!({"text": "still bob's"})).await;
    assert_eq!(status, StatusCode::OK, "the refused regeneration left the old secret working");
    // Closing integrations to members stops the hooks members made.
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({"members_add_integrations": false})).await;
    let (status, body) = send_json(&app, bobs["url"].as_str().unwrap(), json!({"text": "no more"})).await;
    assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "action_prohibited"));
    let (status, _) = send_json(&app, admins["url"].as_str().unwrap(), json!({"text": "admins' still work"})).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn hostile_text_in_every_field_is_escaped() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, url, _) = make_hook(&app, &admin, general, "CI").await;
    let evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let payload = json!({
        "text": evil, "username": evil,
        "attachments": [{"pretext": evil, "author_name": evil, "author_link": "javascript:alert(3)", "title": evil,
                         "title_link": "javascript:alert(4)", "text": evil, "footer": evil, "color": "\"><script>",
                         "fields": [{"title": evil, "value": evil}], "image_url": "javascript:alert(5)"}],
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": evil}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": evil}},
                   {"type": "image", "image_url": "javascript:alert(6)", "alt_text": evil}]
    });
    assert_eq!(send_json(&app, &url, payload).await.0, StatusCode::OK);
    let m = latest(&app, &admin, general).await;
    let html = m["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("javascript:"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "shown as text: {html}");
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get(&format!("/w/acme/c/{general}")).await;
    assert!(!page.body.contains("<script>alert") && !page.body.contains("<img src=x"), "the page escapes the name too");
}

#[tokio::test]
async fn a_hook_sending_too_fast_is_slowed_down() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, url, _) = make_hook(&app, &admin, general, "Chatty").await;
    let (mut posted, mut limited) = (0, None);
    for i in 0..100 {
        let res = app.client.post(&url).json(&json!({"text": format!("n{i}")})).send().await.unwrap();
        match res.status() {
            StatusCode::OK => posted += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                let wait = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                limited = Some((wait, res.text().await.unwrap()));
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let (wait, body) = limited.expect("slowed down within 100 messages");
    assert_eq!(body, "rate_limited");
    assert!(wait.is_some_and(|w| w.parse::<u64>().is_ok_and(|s| s >= 1)));
    assert!(posted >= 30, "a burst of 30 is allowed: {posted}");
    assert_eq!(history(&app, &admin, general).await.len(), posted, "every ok was posted, nothing else");
}

#[tokio::test]
async fn the_integrations_page_makes_a_hook_and_shows_its_url_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get("/w/acme/settings/integrations").await;
    assert!(page.body.contains("No incoming webhooks yet"), "an empty state");
    let csrf = page.csrf();
    let general_s = general.to_string();
    let made = browser
        .post(
            "/w/acme/settings/integrations",
            &[("csrf_token", &csrf), ("name", "Deploys"), ("channel_id", &general_s)],
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let start = made.body.find("/services/T").expect("the Slack URL is shown");
    let slack_url: String = made.body[start..].chars().take_while(|c| *c != '"').collect();
    assert_eq!(send_json(&app, &app.url(&slack_url), json!({"text": "from the page's hook"})).await.0, StatusCode::OK);
    let again = browser.get("/w/acme/settings/integrations").await;
    let secret = slack_url.rsplit('/').next().unwrap();
    assert!(!again.body.contains(secret), "never shown again");
    assert!(again.body.contains("Deploys") && again.body.contains("#general"), "listed");

    // A forged form changes nothing; a member without the right sees why.
    let forged = browser
        .post("/w/acme/settings/integrations", &[("csrf_token", "x"), ("name", "Evil"), ("channel_id", &general_s)])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let member = Browser::new(&app);
    member.sign_in("bob").await;
    let denied = member.get("/w/acme/settings/integrations").await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.body.contains("Only workspace owners and admins can add integrations"), "{}", denied.body);
    let (_, listed) = app.get("/api/v1/workspaces/acme/incoming-webhooks", &admin.token).await;
    assert_eq!(listed["incoming_webhooks"].as_array().unwrap().len(), 1);
    let _ = bob;
}

/// Slack's own Python SDK as the judge: `HEARTH_TEST_SLACK_PYTHON` names a Python that has
/// `slack_sdk` (`.ci/run` makes one); plain `cargo test` skips this.
#[tokio::test]
async fn slacks_own_webhook_client_posts_to_hearth() {
    let Ok(python) = std::env::var("HEARTH_TEST_SLACK_PYTHON") else {
        eprintln!("the slack_sdk test runs with HEARTH_TEST_SLACK_PYTHON (.ci/run)");
        return;
    };
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, _, slack_url) = make_hook(&app, &admin, general, "SDK").await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slack/webhook_client.py");
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new(python).arg(script).arg(slack_url).output())
            .await
            .unwrap()
            .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answers: Vec<(String, u16, String)> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["case"].as_str().unwrap().to_owned(),
                v["status"].as_u64().unwrap() as u16,
                v["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("text", 200, "ok"),
        ("blocks", 200, "ok"),
        ("attachments", 200, "ok"),
        ("dict", 200, "ok"),
        ("empty", 400, "no_text"),
        ("null", 400, "invalid_payload"),
        ("wrong_url", 404, "no_service"),
    ];
    let expected: Vec<(String, u16, String)> =
        expected.iter().map(|(c, s, b)| ((*c).to_owned(), *s, (*b).to_owned())).collect();
    assert_eq!(answers, expected);
    let messages = history(&app, &admin, general).await;
    let texts: Vec<&str> = messages.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        [
            "plain dict",
            "Build finished",
            "Review posted",
            "Deployed **web** to [production](<https://prod.example.com>)"
        ]
    );
    let blocks = messages[2]["html"].as_str().unwrap();
    assert!(
        blocks.contains("<strong>New review</strong>") && blocks.contains("<strong>five stars</strong>"),
        "{blocks}"
    );
    let attachment = messages[1]["html"].as_str().unwrap();
    assert!(attachment.contains("attachment-good") && attachment.contains("All 312 tests passed"), "{attachment}");
}
