//! Profiles through the API and the pages: a title and a custom status with an expiry, a
//! picture cropped and scaled by the server, and others' profiles with their time zone for
//! the people who share a workspace with them.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::channels::channel_id;
use crate::helpers::{TestApp, TestUser, assert_error, spawn_app};
use crate::pages::Browser;
use crate::pictures::png;

/// Someone in another workspace only (which the admin made, and they share none with bob).
async fn stranger(app: &TestApp, admin: &TestUser) -> TestUser {
    let (status, _) = app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "other", "name": "Other" })).await;
    assert_eq!(status, StatusCode::CREATED);
    app.join(admin, "other", "carol", "member").await
}

async fn put_avatar(app: &TestApp, user: &TestUser, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("me.png"));
    let res =
        app.client.put(app.url("/api/v1/me/avatar")).bearer_auth(&user.token).multipart(form).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_title_and_a_status_are_set_shown_with_messages_and_expire() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    app.patch("/api/v1/me/preferences", &admin.token, json!({ "time_zone": "Asia/Tokyo" })).await;
    let (status, me) = app
        .patch(
            "/api/v1/me",
            &admin.token,
            json!({ "title": " Site reliability ", "status": { "emoji": ":palm_tree:", "text": "On holiday", "expires": "week" } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["title"], "Site reliability");
    assert_eq!((me["status"]["emoji"].as_str(), me["status"]["glyph"].as_str()), (Some("palm_tree"), Some("🌴")));
    assert!(me["status"]["expires_at"].is_string(), "{me}");

    // Seen with messages, and on the profile by someone in the workspace, with the time zone.
    let (_, posted) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "back soon" })).await;
    assert_eq!(posted["user"]["status"]["text"], "On holiday");
    let (status, profile) = app.get(&format!("/api/v1/users/{}", admin.id), &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (profile["time_zone"].as_str(), profile["user"]["title"].as_str()),
        (Some("Asia/Tokyo"), Some("Site reliability"))
    );

    // Someone who shares no workspace sees nothing; neither does anyone for a made-up id.
    let stranger = stranger(&app, &admin).await;
    assert_eq!(app.get(&format!("/api/v1/users/{}", bob.id), &admin.token).await.0, StatusCode::OK);
    assert_error(
        &app.get(&format!("/api/v1/users/{}", bob.id), &stranger.token).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(&app.get("/api/v1/users/999999", &bob.token).await, StatusCode::NOT_FOUND, "user_not_found");

    // Bad input is refused, saying what is wrong, and changes nothing.
    let cases = [
        (json!({ "title": "t".repeat(101) }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_title"),
        (
            json!({ "status": { "emoji": "not-an-emoji", "text": "x" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_status",
        ),
        (
            json!({ "status": { "text": "x", "expires": "tomorrow" } }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_status",
        ),
        (json!({ "status": { "text": "y".repeat(101) } }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_status"),
        (json!({ "display_name": "" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_display_name"),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_change"),
        (json!({ "mood": "happy" }), StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (body, status, code) in cases {
        let res = app.patch("/api/v1/me", &admin.token, body.clone()).await;
        assert_eq!((res.0, res.1["error"]["code"].as_str()), (status, Some(code)), "{body}: {}", res.1);
    }
    let (_, me) = app.get("/api/v1/me", &admin.token).await;
    assert_eq!((me["title"].as_str(), me["status"]["text"].as_str()), (Some("Site reliability"), Some("On holiday")));

    // An expired status is no status; both parts empty clears it.
    app.sql(&format!("UPDATE users SET status_expires_at = '2020-01-01 00:00:00' WHERE id = {}", admin.id));
    assert!(app.get("/api/v1/me", &admin.token).await.1["status"].is_null());
    app.patch("/api/v1/me", &admin.token, json!({ "status": { "text": "Busy", "expires": "30m" } })).await;
    let (_, me) = app.patch("/api/v1/me", &admin.token, json!({ "status": { "emoji": "", "text": "" } })).await;
    assert!(me["status"].is_null(), "{me}");
}

#[tokio::test]
async fn a_picture_is_cropped_and_scaled_by_the_server_and_shown_to_the_workspace_only() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let stranger = stranger(&app, &admin).await;
    let (_, bobs) = put_avatar(&app, &bob, png(32, 32)).await;
    let bobs = bobs["avatar_url"].as_str().unwrap().to_owned();
    let res = app.client.get(app.url(&bobs)).bearer_auth(&stranger.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "only for people who share a workspace");
    let res = app.client.get(app.url(&bobs)).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (status, me) = put_avatar(&app, &admin, png(300, 200)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let url = me["avatar_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("/avatars/{}/", admin.id)) && url.ends_with(".jpg"), "{url}");

    let res = app.client.get(app.url(&url)).bearer_auth(&bob.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let picture = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((picture.width(), picture.height()), (256, 256), "a square of 256 pixels");
    assert_eq!(app.client.get(app.url(&url)).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // A new picture replaces the old, whose address then leads nowhere and whose bytes go.
    let (_, me) = put_avatar(&app, &admin, png(64, 128)).await;
    let newer = me["avatar_url"].as_str().unwrap().to_owned();
    assert_ne!(newer, url);
    assert_eq!(
        app.client.get(app.url(&url)).bearer_auth(&bob.token).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let keys = app.state.storage.keys().await.unwrap();
    let admins = format!("avatars/{}/", admin.id);
    assert_eq!(keys.iter().filter(|k| k.starts_with(&admins)).count(), 1, "{keys:?}");

    // Not a picture, nothing at all, too large: refused, the picture kept.
    let (status, body) = put_avatar(&app, &admin, b"GIF89a but not really".to_vec()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_avatar")));
    let (status, _) = put_avatar(&app, &admin, Vec::new()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = put_avatar(&app, &admin, vec![0u8; 11 << 20]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.get("/api/v1/me", &admin.token).await.1["avatar_url"], newer.as_str());

    // Messages carry it; taking it away shows the initials again.
    let general = channel_id(&app, &admin, "general").await;
    let b = Browser::new(&app);
    b.sign_in("bob").await;
    app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "see my face" })).await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains(&format!("<img class=\"avatar\" src=\"{newer}\"")), "{}", page.body);
    let (status, me) = app.delete("/api/v1/me/avatar", &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(me["avatar_url"].is_null());
    assert!(app.state.storage.keys().await.unwrap().iter().all(|k| !k.starts_with(&admins)));
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains("<span class=\"avatar c"), "initials on a colour: {}", page.body);
}

#[tokio::test]
async fn the_profile_form_sets_a_title_a_status_and_a_picture_without_scripts() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let csrf = b.get("/settings").await.csrf();
    let done = b
        .post(
            "/settings/profile",
            &[
                ("csrf_token", &csrf),
                ("display_name", "Ada Admin"),
                ("title", "Operations"),
                ("status_emoji", "🚀"),
                ("status_text", "Shipping"),
                ("status_expires", "4h"),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/settings?done=saved"), "{}", done.body);
    let (_, me) = app.get("/api/v1/me", &admin.token).await;
    assert_eq!((me["display_name"].as_str(), me["title"].as_str()), (Some("Ada Admin"), Some("Operations")));
    assert_eq!((me["status"]["emoji"].as_str(), me["status"]["text"].as_str()), (Some("rocket"), Some("Shipping")));
    // Sent back as it is (another title), the status keeps its expiry.
    let until = me["status"]["expires_at"].clone();
    assert!(until.is_string(), "{me}");
    let page = b.get("/settings").await;
    assert!(page.body.contains("<option value=\"keep\" selected>As set</option>"), "{}", page.body);
    let again = [
        ("csrf_token", csrf.as_str()),
        ("display_name", "Ada Admin"),
        ("title", "Ops"),
        ("status_emoji", "rocket"),
        ("status_text", "Shipping"),
        ("status_expires", "keep"),
    ];
    assert_eq!(b.post("/settings/profile", &again).await.location.as_deref(), Some("/settings?done=saved"));
    let (_, me) = app.get("/api/v1/me", &admin.token).await;
    assert_eq!((me["title"].as_str(), &me["status"]["expires_at"]), (Some("Ops"), &until));
    let bad = b
        .post(
            "/settings/profile",
            &[("csrf_token", &csrf), ("display_name", "Ada"), ("status_expires", "soon"), ("status_text", "x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("is not a time a status can last"), "{}", bad.body);

    let form = Form::new().text("csrf_token", csrf.clone()).part("file", Part::bytes(png(40, 40)).file_name("me.png"));
    let up = b.post_multipart("/settings/avatar", form).await;
    assert_eq!(up.location.as_deref(), Some("/settings?done=saved"), "{}", up.body);
    assert!(app.get("/api/v1/me", &admin.token).await.1["avatar_url"].is_string());
    let page = b.get("/settings").await;
    assert!(page.body.contains("class=\"avatar-large\" src=\"/avatars/"), "{}", page.body);
    let forged = Form::new().text("csrf_token", "forged").part("file", Part::bytes(png(40, 40)).file_name("me.png"));
    assert_eq!(b.post_multipart("/settings/avatar", forged).await.status, StatusCode::FORBIDDEN);
    let gone = b.post("/settings/avatar/remove", &[("csrf_token", &csrf)]).await;
    assert_eq!(gone.location.as_deref(), Some("/settings?done=saved"));
    assert!(app.get("/api/v1/me", &admin.token).await.1["avatar_url"].is_null());
}
