//! The live gateway, through real WebSocket clients.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, spawn_app, spawn_app_with};

async fn say(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> i64 {
    let (status, m) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m["id"].as_i64().unwrap()
}

fn is_message(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |f| f["data"]["message"]["text"] == text
}

fn texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter(|f| f["type"] == "message.created")
        .map(|f| f["data"]["message"]["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_member_receives_a_message_the_moment_it_is_posted() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "html=1").await;
    let hello = ws.frame().await;
    assert_eq!(hello["type"], "hello");
    let head = hello["seq"].as_i64().unwrap();

    let id = say(&app, &admin, general, "hello **bob**").await;
    let frame = ws.until("message.created", |_| true).await.pop().unwrap();
    assert!(frame["seq"].as_i64().unwrap() > head);
    assert_eq!((frame["workspace_id"].is_i64(), frame["channel_id"].as_i64()), (true, Some(general)));
    let (_, stored) = app.get(&format!("/api/v1/messages/{id}"), &bob.token).await;
    assert_eq!(frame["data"]["message"], stored, "the frame carries the message as the API returns it");
    let html = frame["html"].as_str().expect("the rendered partial");
    assert!(html.contains(&format!(r#"id="m{id}""#)) && html.contains("<strong>bob</strong>"));
}

#[tokio::test]
async fn nothing_from_a_private_channel_reaches_a_non_member() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let mut ws = app.ws(&carol.token, "").await;
    ws.frame().await;
    say(&app, &admin, secret, "for admins only").await;
    say(&app, &admin, general, "sentinel").await;
    let frames = ws.until("message.created", is_message("sentinel")).await;
    assert!(!frames.iter().any(|f| f["channel_id"] == secret), "{frames:?}");
}

#[tokio::test]
async fn someone_removed_from_a_channel_stops_receiving_it_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    app.post(&format!("/api/v1/channels/{secret}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    let mut ws = app.ws(&bob.token, "").await;
    ws.frame().await;
    say(&app, &admin, secret, "before").await;
    app.delete(&format!("/api/v1/channels/{secret}/members/{}", bob.id), &admin.token).await;
    say(&app, &admin, secret, "after").await;
    say(&app, &admin, general, "sentinel").await;
    let frames = ws.until("message.created", is_message("sentinel")).await;
    // The hub may still have been catching up with bob's own addition when he connected.
    let kinds: Vec<&str> =
        frames.iter().map(|f| f["type"].as_str().unwrap()).filter(|k| *k != "channel.member_added").collect();
    assert_eq!(kinds, ["message.created", "channel.member_removed", "message.created"], "{frames:?}");
    assert_eq!(texts(&frames), ["before", "sentinel"]);
}

#[tokio::test]
async fn someone_added_to_a_channel_receives_it_at_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let ops = create_channel(&app, &admin, "ops", true).await;
    let mut ws = app.ws(&bob.token, "").await;
    ws.frame().await;
    // Delivered in #ops while bob is not in it (the hub works out its audience then) …
    say(&app, &admin, ops, "not for bob").await;
    app.post(&format!("/api/v1/channels/{ops}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    // … and after he is added, his too.
    say(&app, &admin, ops, "for bob now").await;
    app.delete(&format!("/api/v1/channels/{ops}/members/{}", bob.id), &admin.token).await;
    say(&app, &admin, ops, "not any more").await;
    say(&app, &admin, general, "sentinel").await;
    let frames = ws.until("message.created", is_message("sentinel")).await;
    assert_eq!(texts(&frames), ["for bob now", "sentinel"], "{frames:?}");
}

#[tokio::test]
async fn reconnecting_with_since_replays_the_gap_without_duplicates() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "").await;
    let seen = ws.frame().await["seq"].as_i64().unwrap();
    say(&app, &admin, general, "one").await;
    let last = ws.until("message.created", is_message("one")).await.pop().unwrap()["seq"].as_i64().unwrap();
    assert!(last > seen);
    drop(ws);
    for text in ["two", "three", "four"] {
        say(&app, &admin, general, text).await;
    }
    let mut ws = app.ws(&bob.token, &format!("since={last}")).await;
    let hello = ws.frame().await;
    assert_eq!(hello["type"], "hello");
    let replayed: Vec<Value> = ws
        .until("message.created", is_message("four"))
        .await
        .into_iter()
        .filter(|f| f["type"] == "message.created")
        .collect();
    assert_eq!(texts(&replayed), ["two", "three", "four"]);
    assert!(replayed.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()));
    let after = |f: &Value| f["seq"].as_i64().unwrap() > last;
    assert!(replayed.iter().all(after), "nothing from before the cursor: {replayed:?}");
    say(&app, &admin, general, "five").await;
    let next = ws.frame().await;
    assert_eq!(texts(&[next]), ["five"], "live frames continue after the replay, with none repeated");
}

#[tokio::test]
async fn since_works_across_a_server_restart() {
    let mut app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "").await;
    let seen = ws.frame().await["seq"].as_i64().unwrap();
    drop(ws);
    say(&app, &admin, general, "before the restart").await;
    app.restart().await;
    say(&app, &admin, general, "after the restart").await;
    let mut ws = app.ws(&bob.token, &format!("since={seen}")).await;
    ws.frame().await;
    // Events of bob's own arrival may come first, if the hub had not reached them yet.
    let frames = ws.until("message.created", is_message("after the restart")).await;
    assert_eq!(texts(&frames), ["before the restart", "after the restart"], "{frames:?}");
}

#[tokio::test]
async fn a_stale_cursor_is_told_to_resync() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let mut ws = app.ws(&admin.token, "since=999999").await;
    assert_eq!(ws.frame().await["type"], "hello");
    assert_eq!(ws.frame().await["type"], "resync");
    assert_eq!(ws.closed().await, Some(4009));
    let res = app.client.get(app.url("/api/v1/ws?since=-4")).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_slow_consumer_is_closed_while_a_fast_one_keeps_receiving() {
    let app = spawn_app_with(|s| {
        s.limits.ws_queue = 8;
        s.limits.max_message_chars = 40_000;
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut slow = app.ws(&admin.token, "").await;
    let mut fast = app.ws(&admin.token, "").await;
    slow.frame().await;
    fast.frame().await;
    let reader = tokio::spawn(async move {
        let frames = fast.until("message.created", is_message("sentinel")).await;
        texts(&frames).len()
    });
    // Large messages fill the slow client's socket buffers, then its queue of 8.
    let big = "x".repeat(30_000);
    for _ in 0..300 {
        say(&app, &admin, general, &big).await;
    }
    say(&app, &admin, general, "sentinel").await;
    assert_eq!(reader.await.unwrap(), 301, "the fast client got everything");
    let mut got_sentinel = false;
    loop {
        match slow.next().await {
            crate::helpers::WsEvent::Frame(f) => got_sentinel |= f["data"]["message"]["text"] == "sentinel",
            crate::helpers::WsEvent::Closed(code) => {
                assert_eq!(code, Some(4008));
                break;
            }
        }
    }
    assert!(!got_sentinel, "the slow client was cut off before the end");
}

#[tokio::test]
async fn typing_reaches_the_channel_members_and_no_one_else() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    app.post(&format!("/api/v1/channels/{secret}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    let mut typer = app.ws(&admin.token, "").await;
    let mut bob_ws = app.ws(&bob.token, "").await;
    let mut carol_ws = app.ws(&carol.token, "").await;
    typer.frame().await;
    bob_ws.frame().await;
    carol_ws.frame().await;
    typer.send(json!({ "type": "typing", "channel_id": secret })).await;
    typer.send(json!({ "type": "typing", "channel_id": general })).await;
    let frame = bob_ws.until("typing", |_| true).await.pop().unwrap();
    assert_eq!((frame["channel_id"].as_i64(), frame["user_id"].as_i64()), (Some(secret), Some(admin.id)));
    assert_eq!(frame["display_name"], "admin");
    assert!(frame.get("seq").is_none(), "ephemeral frames have no seq");
    let frames = carol_ws.until("typing", |_| true).await;
    assert_eq!(frames.last().unwrap()["channel_id"], general, "carol only hears of #general: {frames:?}");
    typer.send(json!({ "type": "ping" })).await;
    assert_eq!(typer.until("pong", |_| true).await.last().unwrap()["type"], "pong");
}

#[tokio::test]
async fn presence_follows_connections() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "elsewhere", "name": "Elsewhere" })).await;
    let stranger = app.join(&admin, "elsewhere", "stranger", "member").await;
    let mut bob_ws = app.ws(&bob.token, "").await;
    bob_ws.frame().await;
    // Bob watches admin, and tries a stranger who shares no workspace with him.
    bob_ws.send(json!({ "type": "presence_sub", "user_ids": [admin.id, stranger.id] })).await;
    let mut stranger_ws = app.ws(&stranger.token, "").await;
    stranger_ws.frame().await;
    let mut carol_ws = app.ws(&carol.token, "").await;
    carol_ws.frame().await;
    carol_ws.send(json!({ "type": "presence_sub", "user_ids": [bob.id] })).await;
    assert_eq!(
        carol_ws.until("presence", |_| true).await.pop().unwrap()["user_id"],
        bob.id,
        "the status now, on subscribing"
    );
    let mut admin_ws = app.ws(&admin.token, "").await;
    admin_ws.frame().await;
    let online = bob_ws.until("presence", |_| true).await.pop().unwrap();
    assert_eq!(
        (online["user_id"].as_i64(), online["status"].as_str()),
        (Some(admin.id), Some("online")),
        "not the stranger's: {online}"
    );
    admin_ws.send(json!({ "type": "presence", "status": "away" })).await;
    assert_eq!(bob_ws.until("presence", |f| f["user_id"] == admin.id).await.pop().unwrap()["status"], "away");
    drop(admin_ws);
    assert_eq!(bob_ws.until("presence", |f| f["status"] == "offline").await.pop().unwrap()["user_id"], admin.id);
}

#[tokio::test]
async fn signing_out_or_revoking_the_token_closes_its_sockets() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "bot" })).await;
    let mut by_token = app.ws(pat["token"].as_str().unwrap(), "").await;
    let mut by_session = app.ws(&admin.token, "").await;
    by_token.frame().await;
    by_session.frame().await;
    app.delete(&format!("/api/v1/me/tokens/{}", pat["id"]), &admin.token).await;
    assert_eq!(by_token.closed().await, Some(4001));
    app.post("/api/v1/auth/logout", &admin.token, json!({})).await;
    assert_eq!(by_session.closed().await, Some(4001));
}

#[tokio::test]
async fn deactivation_closes_the_sockets_with_4003() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let mut ws = app.ws(&bob.token, "").await;
    ws.frame().await;
    hearth::app::admin::deactivate(&app.state, "bob").await.unwrap();
    assert_eq!(ws.closed().await, Some(4003));
    assert!(
        tokio_tungstenite::connect_async(format!("{}/api/v1/ws", app.address.replace("http", "ws"))).await.is_err(),
        "no credentials"
    );
}

#[tokio::test]
async fn a_cookie_upgrade_must_come_from_our_own_origin() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    for (origin, ok) in [("https://evil.example", false), (app.address.as_str(), true)] {
        let mut request =
            format!("{}/api/v1/ws", app.address.replace("http://", "ws://")).into_client_request().unwrap();
        request.headers_mut().insert("cookie", format!("hearth_session={}", admin.token).parse().unwrap());
        request.headers_mut().insert("origin", origin.parse().unwrap());
        let result = tokio_tungstenite::connect_async(request).await;
        match (result, ok) {
            (Ok(_), true) => {}
            (Err(tokio_tungstenite::tungstenite::Error::Http(res)), false) => assert_eq!(res.status(), 403),
            (other, _) => panic!("{origin}: unexpected {:?}", other.map(|_| ())),
        }
    }
}

#[tokio::test]
async fn a_message_posted_on_one_node_reaches_a_socket_on_another() {
    if std::env::var("HEARTH_TEST_DATABASE_URL").is_err() {
        eprintln!("two nodes need PostgreSQL: this test runs in .ci/run");
        return;
    }
    let a = spawn_app().await;
    let admin = a.admin_with_workspace().await;
    let bob = a.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&a, &admin, "general").await;
    let b = a.second_node().await;
    let mut ws = b.ws(&bob.token, "").await;
    ws.frame().await;
    let mut typing_ws = b.ws(&admin.token, "").await;
    typing_ws.frame().await;
    say(&a, &admin, general, "across nodes").await;
    let frames = ws.until("message.created", is_message("across nodes")).await;
    assert_eq!(texts(&frames), ["across nodes"]);
    let mut on_a = a.ws(&admin.token, "").await;
    on_a.frame().await;
    on_a.send(json!({ "type": "typing", "channel_id": general })).await;
    let typing = ws.until("typing", |_| true).await.pop().unwrap();
    assert_eq!(typing["user_id"], admin.id, "ephemeral frames cross nodes too");

    // Presence is the best across nodes: leaving node A while still on B is not "offline".
    ws.send(json!({ "type": "presence_sub", "user_ids": [admin.id] })).await;
    let first = ws.until("presence", |f| f["user_id"] == admin.id).await.pop().unwrap();
    assert_eq!(first["status"], "online");
    drop(on_a);
    ws.send(json!({ "type": "presence_sub", "user_ids": [admin.id] })).await;
    let still = ws.until("presence", |f| f["user_id"] == admin.id).await.pop().unwrap();
    assert_eq!(still["status"], "online", "still connected to node B");
    drop(typing_ws);
    let gone = ws.until("presence", |f| f["user_id"] == admin.id && f["status"] != "online").await.pop().unwrap();
    assert_eq!(gone["status"], "offline");
}

#[tokio::test]
async fn replay_never_hands_out_deleted_or_superseded_words() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let since = app.get("/api/v1/events?since=0&limit=200", &bob.token).await.1["next_since"].as_i64().unwrap();
    let secret = say(&app, &admin, general, "the password is hunter2").await;
    let typo = say(&app, &admin, general, "teh plan").await;
    app.delete(&format!("/api/v1/messages/{secret}"), &admin.token).await;
    app.patch(&format!("/api/v1/messages/{typo}"), &admin.token, json!({ "text": "the plan" })).await;

    let (_, page) = app.get(&format!("/api/v1/events?since={since}"), &bob.token).await;
    let polled = page.to_string();
    let mut ws = app.ws(&bob.token, &format!("since={since}&html=1")).await;
    ws.frame().await;
    let frames = ws.until("message.edited", |_| true).await;
    let replayed = serde_json::to_string(&frames).unwrap();
    for text in [polled, replayed] {
        assert!(!text.contains("hunter2"), "deleted words stay deleted: {text}");
        assert!(!text.contains("teh plan"), "edited words are replaced: {text}");
        assert!(text.contains("the plan"));
    }
}

#[tokio::test]
async fn changing_the_password_with_a_token_closes_every_session_socket() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "cli" })).await;
    let pat = pat["token"].as_str().unwrap().to_owned();
    let mut by_session = app.ws(&admin.token, "").await;
    by_session.frame().await;
    let res = app
        .post(
            "/api/v1/me/password",
            &pat,
            json!({ "current_password": crate::helpers::PASSWORD, "new_password": "a different passphrase" }),
        )
        .await;
    assert_eq!(res.0, StatusCode::NO_CONTENT);
    assert_eq!(by_session.closed().await, Some(4001));
}

#[tokio::test]
async fn a_replay_longer_than_a_batch_arrives_whole_and_in_order() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "").await;
    let since = ws.frame().await["seq"].as_i64().unwrap();
    drop(ws);
    // More events than one replay batch (500 rows) reads.
    let count = hearth::events::SCAN_BATCH as usize + 150;
    for n in 0..count {
        say(&app, &admin, general, &format!("m{n}")).await;
    }
    let mut ws = app.ws(&bob.token, &format!("since={since}")).await;
    assert_eq!(ws.frame().await["type"], "hello");
    let last = format!("m{}", count - 1);
    let replayed: Vec<Value> = ws
        .until("message.created", is_message(&last))
        .await
        .into_iter()
        .filter(|f| f["type"] == "message.created")
        .collect();
    let expected: Vec<String> = (0..count).map(|n| format!("m{n}")).collect();
    assert_eq!(texts(&replayed), expected, "every message once, in order, across batches");
}

#[tokio::test]
async fn a_message_of_the_longest_size_arrives_whole_live_and_on_replay() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut live = app.ws(&bob.token, "html=1").await;
    let since = live.frame().await["seq"].as_i64().unwrap();
    // Long enough that its frame (text, HTML of 200,000 bytes, partial) goes out in parts,
    // with characters of several bytes falling across the parts' edges.
    let text: String = "&é東🔥".repeat(10_000);
    say(&app, &admin, general, &text).await;
    let frame = live.until("message.created", |_| true).await.pop().unwrap();
    assert_eq!(frame["data"]["message"]["text"], text.as_str());
    assert!(frame["html"].as_str().unwrap().contains("&amp;é東🔥"));

    let mut replay = app.ws(&bob.token, &format!("since={since}&html=1")).await;
    assert_eq!(replay.frame().await["type"], "hello");
    let again = replay.until("message.created", |_| true).await.pop().unwrap();
    assert_eq!(again, frame, "replayed as it was sent live");
}
