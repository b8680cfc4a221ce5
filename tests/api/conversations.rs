//! The conversation pages, through a browser without JavaScript.

use reqwest::StatusCode;
use serde_json::json;

use crate::channels::{channel_id, create_channel};
use crate::helpers::spawn_app;
use crate::pages::Browser;

#[tokio::test]
async fn a_workspace_opens_on_general_and_messages_are_posted_with_the_form() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    assert_eq!(b.get("/w/acme").await.location, Some(format!("/w/acme/c/{general}")));
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>#general</h1>") && page.body.contains("This is the very beginning of #general"));
    assert!(page.body.contains(&format!(r#"href="/viewer/{}.css?v="#, admin.id)), "the viewer's style rule");
    let csrf = page.csrf();

    let refused = b.post(&format!("/w/acme/c/{general}/messages"), &[("text", "no token")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let empty = b.post(&format!("/w/acme/c/{general}/messages"), &[("csrf_token", &csrf), ("text", "   ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("A message needs some text."));

    let form = [("csrf_token", csrf.as_str()), ("text", "Hello <b>team</b> **now**"), ("client_msg_id", "page-1")];
    let sent = b.post(&format!("/w/acme/c/{general}/messages"), &form).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert!(sent.location.as_deref().unwrap().starts_with(&format!("/w/acme/c/{general}#m")));
    let again = b.post(&format!("/w/acme/c/{general}/messages"), &form).await;
    assert_eq!(again.location, sent.location, "a resubmitted form posts once");

    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains("Hello &lt;b&gt;team&lt;/b&gt; <strong>now</strong>"), "{}", page.body);
    assert_eq!(page.body.matches(r#"<article class="msg"#).count(), 1);
    assert!(page.body.contains(&format!(r#"data-mark-read="/api/v1/channels/{general}/read""#)));
}

#[tokio::test]
async fn threads_reactions_edits_pins_and_deletes_work_from_the_pages() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, root) = app
        .post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "root message" }))
        .await;
    let root = root["id"].as_i64().unwrap();
    let b = Browser::new(&app);
    b.sign_in("admin").await;

    let thread = b.get(&format!("/w/acme/c/{general}/t/{root}")).await;
    assert!(thread.body.contains(r#"aria-label="Thread""#));
    let csrf = thread.csrf();
    let root_s = root.to_string();
    let reply = b
        .post(
            &format!("/w/acme/c/{general}/messages"),
            &[
                ("csrf_token", &csrf),
                ("text", "a reply"),
                ("thread_root_id", &root_s),
                ("also_send_to_channel", "true"),
            ],
        )
        .await;
    assert!(reply.location.as_deref().unwrap().starts_with(&format!("/w/acme/c/{general}/t/{root}#m")));
    let channel = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(channel.body.contains("1 reply"), "the root counts its replies");
    assert!(channel.body.contains("replied to a thread"), "also sent to the channel");

    let actions = b.get(&format!("/w/acme/m/{root}")).await;
    assert!(actions.body.contains("Pin to channel") && actions.body.contains("Save changes"));
    let r = b.post(&format!("/w/acme/m/{root}/react"), &[("csrf_token", &csrf), ("emoji", "tada")]).await;
    assert_eq!(r.location, Some(format!("/w/acme/c/{general}/m/{root}#m{root}")));
    assert!(b.get(&format!("/w/acme/c/{general}/m/{root}")).await.body.contains(r#"data-emoji="tada""#));
    let bad = b.post(&format!("/w/acme/m/{root}/react"), &[("csrf_token", &csrf), ("emoji", "no-such-emoji")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = b.post(&format!("/w/acme/m/{root}/react"), &[("csrf_token", &csrf)]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "no emoji given");
    assert_eq!(
        b.post(&format!("/w/acme/m/{root}/explode"), &[("csrf_token", &csrf)]).await.status,
        StatusCode::NOT_FOUND
    );
    let forged = b.post(&format!("/w/acme/m/{root}/delete"), &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "no deletion without the page's token");

    b.post(&format!("/w/acme/m/{root}/edit"), &[("csrf_token", &csrf), ("text", "root message, edited")]).await;
    b.post(&format!("/w/acme/m/{root}/pin"), &[("csrf_token", &csrf)]).await;
    let pins = b.get(&format!("/w/acme/c/{general}/pins")).await;
    assert!(pins.body.contains("root message, edited") && pins.body.contains("(edited)"));
    b.post(&format!("/w/acme/m/{root}/delete"), &[("csrf_token", &csrf)]).await;
    let channel = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(channel.body.contains("This message was deleted."));
    assert!(!channel.body.contains("root message, edited"));
}

#[tokio::test]
async fn the_sidebar_shows_unread_channels_mentions_and_direct_messages() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "hi @bob" })).await;
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/channels/{dm}/messages"), &admin.token, json!({ "text": "psst" })).await;

    let b = Browser::new(&app);
    b.sign_in("bob").await;
    let page = b.get("/w/acme/settings").await;
    assert!(page.body.contains(&format!(r#"class="chan unread" data-channel="{general}""#)), "{}", page.body);
    assert!(page.body.contains(r#"aria-label="1 mentions">1</span>"#));
    assert!(
        page.body.contains(&format!(r#"data-channel="{dm}""#)) && page.body.contains(">admin<"),
        "the DM is named after the other person"
    );
}

#[tokio::test]
async fn channels_are_created_browsed_joined_and_managed_from_the_pages() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let b = Browser::new(&app);
    b.sign_in("bob").await;
    let csrf = b.get("/w/acme/channels/new").await.csrf();
    let bad = b.post("/w/acme/channels/new", &[("csrf_token", &csrf), ("name", "Bad/Name")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Channel names can only contain letters"), "{}", bad.body);
    let made =
        b.post("/w/acme/channels/new", &[("csrf_token", &csrf), ("name", "ideas"), ("purpose", "Half-baked")]).await;
    let ideas: i64 = made.location.as_deref().unwrap().rsplit('/').next().unwrap().parse().unwrap();

    let admin_browser = Browser::new(&app);
    admin_browser.sign_in("admin").await;
    let browse = admin_browser.get("/w/acme/channels/browse").await;
    assert!(browse.body.contains("# ideas") && browse.body.contains("Half-baked"));
    let read_only = admin_browser.get(&format!("/w/acme/c/{ideas}")).await;
    assert!(read_only.body.contains("Join channel"), "a public channel can be read before joining");
    admin_browser.post(&format!("/w/acme/c/{ideas}/join"), &[("csrf_token", &browse.csrf())]).await;
    assert!(
        admin_browser.get(&format!("/w/acme/c/{ideas}")).await.body.contains(r#"name="text""#),
        "joined: the composer shows"
    );

    assert_eq!(
        b.get(&format!("/w/acme/c/{secret}")).await.status,
        StatusCode::NOT_FOUND,
        "private channels are invisible"
    );

    let details = b.get(&format!("/w/acme/c/{ideas}/details")).await;
    b.post(
        &format!("/w/acme/c/{ideas}/details"),
        &[("csrf_token", &details.csrf()), ("name", "ideas"), ("topic", "Dream big"), ("purpose", "")],
    )
    .await;
    assert!(b.get(&format!("/w/acme/c/{ideas}")).await.body.contains("Dream big"));
    b.post(&format!("/w/acme/c/{ideas}/archive"), &[("csrf_token", &details.csrf())]).await;
    let archived = b.get(&format!("/w/acme/c/{ideas}")).await;
    assert!(archived.body.contains("This channel is archived") && !archived.body.contains(r#"name="text""#));
    let _ = bob;
}

#[tokio::test]
async fn long_histories_page_back_and_permalinks_land_on_their_message() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ids = Vec::new();
    for n in 0..55 {
        let (_, m) = app
            .post(
                &format!("/api/v1/channels/{general}/messages"),
                &admin.token,
                json!({ "text": format!("number {n}") }),
            )
            .await;
        ids.push(m["id"].as_i64().unwrap());
    }
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains("number 54") && !page.body.contains("number 4<"), "the newest 50");
    let older = format!("/w/acme/c/{general}?before={}", ids[5]);
    assert!(page.body.contains(&older.replace('&', "&amp;")), "a link to older messages");
    let older = b.get(&older).await;
    assert!(older.body.contains("number 0") && older.body.contains("Jump to the newest"));
    let link = b.get(&format!("/w/acme/c/{general}/m/{}", ids[2])).await;
    assert!(link.body.contains(&format!(r#"id="m{}""#, ids[2])));
    assert!(!link.body.contains("data-mark-read"), "looking back does not mark read");
}

#[tokio::test]
async fn a_group_message_is_opened_from_the_page() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get("/w/acme/dms/new").await;
    assert!(page.body.contains("@bob") && page.body.contains("@carol"));
    assert!(!page.body.contains(&format!(r#"name="user_ids" value="{}""#, admin.id)), "not yourself");
    let (bob_id, carol_id) = (bob.id.to_string(), carol.id.to_string());
    let opened =
        b.post("/w/acme/dms", &[("csrf_token", &page.csrf()), ("user_ids", &bob_id), ("user_ids", &carol_id)]).await;
    let location = opened.location.expect("a redirect to the conversation");
    let conv = b.get(&location).await;
    assert!(conv.body.contains("<h1>bob, carol</h1>"), "{}", conv.body);
    let none = b.post("/w/acme/dms", &[("csrf_token", &page.csrf())]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_pages_offer_exactly_what_the_api_allows() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let (_, c) = app.post("/api/v1/workspaces/acme/channels", &bob.token, json!({ "name": "old-plans" })).await;
    let c = c["id"].as_i64().unwrap();
    let (_, m) = app.post(&format!("/api/v1/channels/{c}/messages"), &bob.token, json!({ "text": "the plan" })).await;
    let m = m["id"].as_i64().unwrap();
    let b = Browser::new(&app);
    b.sign_in("bob").await;

    let open = b.get(&format!("/w/acme/m/{m}")).await;
    assert!(open.body.contains("Save changes") && open.body.contains("Pin to channel"), "the author may edit and pin");
    let details = b.get(&format!("/w/acme/c/{c}/details")).await;
    assert!(details.body.contains("Archive channel"), "the creator may archive");

    app.post(&format!("/api/v1/channels/{c}/archive"), &bob.token, json!({})).await;
    let archived = b.get(&format!("/w/acme/m/{m}")).await;
    assert_eq!(archived.status, StatusCode::OK);
    assert!(!archived.body.contains("Save changes"), "no edit form where the API refuses edits");
    assert!(!archived.body.contains("Pin to channel"), "no pinning where the API refuses it");
    assert!(!archived.body.contains("Delete message"), "an archived channel keeps its messages");
    let (status, _) = app.patch(&format!("/api/v1/messages/{m}"), &bob.token, json!({ "text": "changed" })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "and the API agrees");
    assert_eq!(app.delete(&format!("/api/v1/messages/{m}"), &bob.token).await.0, StatusCode::FORBIDDEN);
    let details = b.get(&format!("/w/acme/c/{c}/details")).await;
    assert!(details.body.contains("Unarchive channel") && !details.body.contains(r#"name="name""#));
    let page = b.get(&format!("/w/acme/c/{c}")).await;
    assert!(page.body.contains("This channel is archived") && !page.body.contains(r#"data-composer"#));

    // Someone not in it finds it in the directory, with no way to join an archived channel.
    app.join(&admin, "acme", "carol", "member").await;
    let carol = Browser::new(&app);
    carol.sign_in("carol").await;
    let browse = carol.get("/w/acme/channels/browse").await;
    assert!(browse.body.contains("old-plans"), "archived channels are still listed");
    assert!(!browse.body.contains(&format!("/w/acme/c/{c}/join")), "but offer no join: the API refuses it");

    // Owners may invite admins; admins only members and guests, as the API allows.
    let owner = Browser::new(&app);
    owner.sign_in("admin").await;
    assert!(owner.get("/w/acme/settings").await.body.contains(r#"<option value="admin""#));
    let (status, _) = app
        .patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "role": "admin" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let members = b.get("/w/acme/settings").await.body;
    assert!(members.contains(r#"<option value="guest""#) && !members.contains(r#"<option value="admin""#));
}
