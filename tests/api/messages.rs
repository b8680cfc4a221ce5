use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, spawn_app, spawn_app_with};

async fn post(app: &TestApp, user: &TestUser, channel: i64, body: Value) -> Value {
    let (status, m) = app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m
}

async fn say(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> i64 {
    post(app, user, channel, json!({ "text": text })).await["id"].as_i64().unwrap()
}

fn texts(page: &Value) -> Vec<String> {
    page["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_owned()).collect()
}

async fn unread(app: &TestApp, user: &TestUser, name: &str) -> (i64, i64) {
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &user.token).await;
    let c = list["channels"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    (c["membership"]["unread_count"].as_i64().unwrap(), c["membership"]["mention_count"].as_i64().unwrap())
}

#[tokio::test]
async fn members_post_and_read_messages_newest_first() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let m = post(&app, &bob, general, json!({ "text": "Hello **team** :wave:" })).await;
    assert_eq!(m["user"]["username"], "bob");
    assert_eq!(m["text"], "Hello **team** :wave:");
    assert!(m["html"].as_str().unwrap().contains("<strong>team</strong>"));
    assert!(m["html"].as_str().unwrap().contains("👋"));
    assert_eq!(m["edited_at"], Value::Null);
    assert!(m["created_at"].as_str().unwrap().ends_with('Z'));
    say(&app, &admin, general, "second").await;
    let (status, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(texts(&page), ["second", "Hello **team** :wave:"]);
    assert_eq!(page["has_more_before"], false);
    let (_, one) = app.get(&format!("/api/v1/messages/{}", m["id"]), &admin.token).await;
    assert_eq!(one["id"], m["id"]);
}

#[tokio::test]
async fn bad_messages_are_refused_and_nothing_is_written() {
    let app = spawn_app_with(|s| s.limits.max_message_chars = 100).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let path = format!("/api/v1/channels/{general}/messages");
    let cases = [
        (json!({ "text": "" }), StatusCode::UNPROCESSABLE_ENTITY, "empty_message", "empty"),
        (json!({ "text": "   \n\t  " }), StatusCode::UNPROCESSABLE_ENTITY, "empty_message", "whitespace only"),
        (json!({ "text": "x".repeat(101) }), StatusCode::UNPROCESSABLE_ENTITY, "text_too_long", "over the limit"),
        (
            json!({ "text": "hi", "thread_root_id": 999_999 }),
            StatusCode::NOT_FOUND,
            "thread_not_found",
            "no such thread",
        ),
        (
            json!({ "text": "hi", "client_msg_id": "k".repeat(65) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_client_msg_id",
            "long key",
        ),
        (json!({ "txt": "typo" }), StatusCode::BAD_REQUEST, "invalid_request", "no text field"),
    ];
    for (body, status, code, why) in cases {
        let res = app.post(&path, &admin.token, body).await;
        assert_eq!(res.0, status, "{why}: {}", res.1);
        assert_eq!(res.1["error"]["code"], code, "{why}");
    }
    assert_eq!(
        app.post(&path, &admin.token, json!({ "text": "x".repeat(100) })).await.0,
        StatusCode::CREATED,
        "exactly the limit"
    );
    assert_eq!(app.get(&path, &admin.token).await.1["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn posting_twice_with_one_client_msg_id_posts_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let other = create_channel(&app, &admin, "other", false).await;
    let path = format!("/api/v1/channels/{general}/messages");
    let (first_status, first) =
        app.post(&path, &admin.token, json!({ "text": "once", "client_msg_id": "abc-1" })).await;
    let (second_status, second) =
        app.post(&path, &admin.token, json!({ "text": "once", "client_msg_id": "abc-1" })).await;
    assert_eq!((first_status, second_status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["client_msg_id"], "abc-1");
    assert_error(
        &app.post(
            &format!("/api/v1/channels/{other}/messages"),
            &admin.token,
            json!({ "text": "once", "client_msg_id": "abc-1" }),
        )
        .await,
        StatusCode::CONFLICT,
        "client_msg_id_reused",
    );
    assert_eq!(texts(&app.get(&path, &admin.token).await.1), ["once"]);
}

#[tokio::test]
async fn history_pages_by_cursor_and_jumps_to_a_message() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(say(&app, &admin, general, &format!("m{n}")).await);
    }
    let base = format!("/api/v1/channels/{general}/messages");
    let (_, page) = app.get(&format!("{base}?limit=3"), &admin.token).await;
    assert_eq!(texts(&page), ["m6", "m5", "m4"]);
    assert_eq!(page["has_more_before"], true);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = app.get(&format!("{base}?limit=3&before={cursor}"), &admin.token).await;
    assert_eq!(texts(&page), ["m3", "m2", "m1"]);
    let (_, page) = app.get(&format!("{base}?limit=3&after={}", ids[1]), &admin.token).await;
    assert_eq!(texts(&page), ["m4", "m3", "m2"]);
    assert_eq!(page["has_more_after"], true);
    let (_, page) = app.get(&format!("{base}?limit=4&around={}", ids[3]), &admin.token).await;
    assert!(texts(&page).contains(&"m3".to_owned()), "the permalinked message is in the page: {page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 4);
    for (q, code) in [
        ("limit=0", "invalid_query"),
        ("limit=201", "invalid_query"),
        ("before=1&after=2", "invalid_query"),
        ("before=abc", "invalid_query"),
    ] {
        assert_error(&app.get(&format!("{base}?{q}"), &admin.token).await, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn edits_are_marked_and_only_the_author_edits() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let id = say(&app, &bob, general, "tpyo").await;
    let path = format!("/api/v1/messages/{id}");
    assert_error(
        &app.patch(&path, &admin.token, json!({ "text": "hijacked" })).await,
        StatusCode::FORBIDDEN,
        "not_author",
    );
    assert_error(
        &app.patch(&path, &bob.token, json!({ "text": "  " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_message",
    );
    let (status, m) = app.patch(&path, &bob.token, json!({ "text": "typo" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(m["text"], "typo");
    assert!(m["edited_at"].is_string());
}

#[tokio::test]
async fn deleting_leaves_a_tombstone_and_follows_the_rules() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let a = say(&app, &bob, general, "mine").await;
    let b = say(&app, &bob, general, "moderated").await;
    assert_error(
        &app.delete(&format!("/api/v1/messages/{a}"), &carol.token).await,
        StatusCode::FORBIDDEN,
        "cannot_delete",
    );
    let (status, gone) = app.delete(&format!("/api/v1/messages/{a}"), &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (gone["deleted"].as_bool(), gone["text"].as_str(), gone["html"].as_str()),
        (Some(true), Some(""), Some(""))
    );
    assert_eq!(
        app.delete(&format!("/api/v1/messages/{b}"), &admin.token).await.0,
        StatusCode::OK,
        "a workspace admin moderates"
    );
    assert_error(
        &app.delete(&format!("/api/v1/messages/{b}"), &admin.token).await,
        StatusCode::GONE,
        "message_deleted",
    );
    assert_error(
        &app.patch(&format!("/api/v1/messages/{a}"), &bob.token, json!({ "text": "revive" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "message_deleted",
    );
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &carol.token).await;
    assert_eq!(
        page["messages"].as_array().unwrap().iter().filter(|m| m["deleted"] == true).count(),
        2,
        "tombstones keep their place"
    );
}

#[tokio::test]
async fn threads_count_replies_and_replies_to_replies_attach_to_the_root() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let root = say(&app, &admin, general, "root").await;
    let r1 = post(&app, &bob, general, json!({ "text": "reply one", "thread_root_id": root })).await;
    assert_eq!(r1["thread_root_id"], root);
    let r2 = post(&app, &admin, general, json!({ "text": "reply to a reply", "thread_root_id": r1["id"] })).await;
    assert_eq!(r2["thread_root_id"], root, "attached to the root");
    post(
        &app,
        &bob,
        general,
        json!({ "text": "also in channel", "thread_root_id": root, "also_send_to_channel": true }),
    )
    .await;

    let (_, thread) = app.get(&format!("/api/v1/messages/{}/thread", r1["id"]), &admin.token).await;
    assert_eq!(thread["root"]["reply_count"], 3);
    assert!(thread["root"]["last_reply_at"].is_string());
    assert_eq!(texts(&json!({ "messages": thread["replies"] })), ["reply one", "reply to a reply", "also in channel"]);
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(texts(&page), ["also in channel", "root"], "replies stay in the thread unless also sent");
    assert_eq!(page["messages"][0]["also_send_to_channel"], true);

    let other = create_channel(&app, &admin, "other", false).await;
    assert_error(
        &app.post(
            &format!("/api/v1/channels/{other}/messages"),
            &admin.token,
            json!({ "text": "x", "thread_root_id": root }),
        )
        .await,
        StatusCode::NOT_FOUND,
        "thread_not_found",
    );
    app.delete(&format!("/api/v1/messages/{root}"), &admin.token).await;
    assert_error(
        &app.post(
            &format!("/api/v1/channels/{general}/messages"),
            &bob.token,
            json!({ "text": "x", "thread_root_id": root }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "thread_root_deleted",
    );
}

#[tokio::test]
async fn reactions_toggle_and_group_with_who_reacted() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let id = say(&app, &admin, general, "ship it").await;
    let path = format!("/api/v1/messages/{id}/reactions");
    app.post(&path, &admin.token, json!({ "emoji": ":tada:" })).await;
    app.post(&path, &bob.token, json!({ "emoji": "🎉" })).await;
    let (status, m) = app.post(&path, &bob.token, json!({ "emoji": "tada" })).await;
    assert_eq!(status, StatusCode::OK, "adding twice is harmless");
    assert_eq!(m["reactions"], json!([{ "emoji": "tada", "glyph": "🎉", "count": 2, "user_ids": [admin.id, bob.id] }]));
    assert_error(
        &app.post(&path, &bob.token, json!({ "emoji": "not-a-real-emoji" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_emoji",
    );
    let (_, m) = app.call(reqwest::Method::DELETE, &path, Some(&bob.token), Some(json!({ "emoji": "tada" }))).await;
    assert_eq!(m["reactions"][0]["count"], 1);
}

#[tokio::test]
async fn pins_are_listed_per_channel() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let a = say(&app, &admin, general, "important").await;
    say(&app, &admin, general, "chatter").await;
    let (status, m) = app.post(&format!("/api/v1/messages/{a}/pin"), &admin.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(m["pinned"], true);
    assert_eq!(texts(&app.get(&format!("/api/v1/channels/{general}/pins"), &admin.token).await.1), ["important"]);
    app.delete(&format!("/api/v1/messages/{a}/pin"), &admin.token).await;
    assert!(texts(&app.get(&format!("/api/v1/channels/{general}/pins"), &admin.token).await.1).is_empty());
}

#[tokio::test]
async fn mentions_and_channel_links_are_resolved_when_posting() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    create_channel(&app, &admin, "secret", true).await;
    let m = post(&app, &admin, general, json!({ "text": "@bob see #general, not #secret; @ghost is nobody" })).await;
    let html = m["html"].as_str().unwrap();
    assert!(html.contains(&format!(r#"data-user-id="{}">@bob</span>"#, bob.id)), "{html}");
    assert!(html.contains(&format!(r#"href="/w/acme/c/{general}""#)), "{html}");
    assert!(
        !html.contains("channel-link\" href=\"/w/acme/c/") || !html.contains("#secret</a>"),
        "private channels are not linked: {html}"
    );
    assert!(html.contains("@ghost"), "unknown names stay text");
    assert_eq!(m["mentioned_user_ids"], json!([bob.id]));
}

#[tokio::test]
async fn hostile_markdown_is_sanitised() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    for text in [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "<img src=x onerror=alert(1)>",
        "<b onclick=alert(1)>hi</b>",
    ] {
        let m = post(&app, &admin, general, json!({ "text": text })).await;
        let html = m["html"].as_str().unwrap().to_lowercase();
        for tag in html.split('<').skip(1).filter_map(|t| t.split('>').next()) {
            let name: String = tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
            assert!(name == "p" || name == "a", "{text} made <{tag}>");
            assert!(!tag.contains(" on") && !tag.contains("javascript:"), "{text} made <{tag}>");
        }
    }
    let m = post(&app, &admin, general, json!({ "text": "see https://example.com" })).await;
    assert!(m["html"].as_str().unwrap().contains(r#"rel="noopener noreferrer nofollow""#));
}

#[tokio::test]
async fn unread_and_mention_counts_follow_the_read_marker() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    say(&app, &bob, general, "my own messages are never unread").await;
    assert_eq!(unread(&app, &bob, "general").await, (0, 0));
    let first = say(&app, &admin, general, "one").await;
    say(&app, &admin, general, "hey @bob").await;
    let last = say(&app, &admin, general, "@channel lunch").await;
    assert_eq!(unread(&app, &bob, "general").await, (3, 2));
    assert_eq!(unread(&app, &admin, "general").await, (0, 0), "posting reads the channel up to one's own message");

    let (status, ch) =
        app.post(&format!("/api/v1/channels/{general}/read"), &bob.token, json!({ "message_id": last })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ch["membership"]["unread_count"], 0);
    let (_, ch) = app.post(&format!("/api/v1/messages/{first}/unread"), &bob.token, json!({})).await;
    assert_eq!(ch["membership"]["unread_count"], 3, "mark unread from a message");
    assert_eq!(unread(&app, &bob, "general").await, (3, 2));
    app.post(&format!("/api/v1/channels/{general}/read"), &bob.token, json!({})).await;
    assert_eq!(unread(&app, &bob, "general").await, (0, 0), "no message id: read to the newest");
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/read"), &bob.token, json!({ "message_id": 999_999 })).await,
        StatusCode::NOT_FOUND,
        "message_not_found",
    );
}

#[tokio::test]
async fn a_read_marker_only_moves_forward_and_one_that_does_not_move_writes_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    let first = say(&app, &admin, general, "one").await;
    let last = say(&app, &admin, general, "two").await;
    let read = format!("/api/v1/channels/{general}/read");
    let reads = || app.sql_text("SELECT CAST(COUNT(*) AS TEXT) AS value FROM events WHERE kind = 'channel.read'");
    let marker = || {
        app.sql_text(&format!(
            "SELECT CAST(last_read_message_id AS TEXT) AS value FROM channel_members WHERE channel_id = {general} AND user_id = {}",
            bob.id
        ))
    };
    let mut ws = app.ws(&bob.token, "").await;
    ws.frame().await;

    let (status, ch) = app.post(&read, &bob.token, json!({})).await;
    assert_eq!((status, ch["membership"]["unread_count"].as_i64()), (StatusCode::OK, Some(0)));
    ws.until("channel.read", |f| f["type"] == "channel.read").await;
    let (told, at) = (reads(), marker());
    assert_eq!(at, last.to_string());

    // Read again, or read an older message: the same answer, nothing written, nobody told.
    for body in [json!({}), json!({ "message_id": last }), json!({ "message_id": first })] {
        let (status, ch) = app.post(&read, &bob.token, body.clone()).await;
        assert_eq!((status, ch["membership"]["unread_count"].as_i64()), (StatusCode::OK, Some(0)), "{body}");
        assert_eq!((reads(), marker()), (told.clone(), at.clone()), "{body} changed nothing");
    }

    // "Mark unread" still moves it back, exactly, and tells; reading then moves it forward.
    let (_, ch) = app.post(&format!("/api/v1/messages/{first}/unread"), &bob.token, json!({})).await;
    assert_eq!(ch["membership"]["unread_count"], 2);
    assert_ne!(reads(), told);
    let (_, ch) = app.post(&read, &bob.token, json!({ "message_id": first })).await;
    assert_eq!(ch["membership"]["unread_count"], 1, "forward to the first");
    assert_eq!(marker(), first.to_string());
    // A message that is not there is refused as before.
    assert_error(
        &app.post(&read, &bob.token, json!({ "message_id": 999_999 })).await,
        StatusCode::NOT_FOUND,
        "message_not_found",
    );
}

#[tokio::test]
async fn notification_levels_and_mute_are_per_person() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let path = format!("/api/v1/channels/{general}");
    let (status, ch) = app.patch(&path, &admin.token, json!({ "notify_level": "mentions", "muted": true })).await;
    assert_eq!(status, StatusCode::OK, "{ch}");
    assert_eq!(
        (ch["membership"]["notify_level"].as_str(), ch["membership"]["muted"].as_bool()),
        (Some("mentions"), Some(true))
    );
    assert_error(
        &app.patch(&path, &admin.token, json!({ "notify_level": "loud" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_notify_level",
    );
}

#[tokio::test]
async fn message_changes_append_events_for_channel_members_only() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let (_, start) = app.get("/api/v1/events?since=0&limit=200", &bob.token).await;
    let since = start["next_since"].as_i64().unwrap();
    let id = say(&app, &admin, secret, "for admins only").await;
    app.post(&format!("/api/v1/messages/{id}/reactions"), &admin.token, json!({ "emoji": "eyes" })).await;
    let general = channel_id(&app, &bob, "general").await;
    say(&app, &admin, general, "sentinel").await;

    let (_, page) = app.get(&format!("/api/v1/events?since={since}"), &bob.token).await;
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message.created"], "only the sentinel: {page}");
    assert_eq!(page["events"][0]["data"]["message"]["text"], "sentinel");

    let (_, page) = app.get(&format!("/api/v1/events?since={since}"), &admin.token).await;
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["message.created", "reaction.added", "message.created"]);
    assert_eq!(page["events"][1]["data"]["message"]["reactions"][0]["emoji"], "eyes");

    // Added to the channel now, bob may be replayed its history.
    app.post(&format!("/api/v1/channels/{secret}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    let (_, page) = app.get(&format!("/api/v1/events?since={since}"), &bob.token).await;
    assert_eq!(page["events"].as_array().unwrap().len(), 4, "{page}");
}
