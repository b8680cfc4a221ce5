//! Sharing files through the API as a person would: upload with a message, download whole
//! or by range with safe headers, who may read a file, hostile files, and bad uploads.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, spawn_app, spawn_app_with};
use crate::pages::Browser;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Uploads files (name, bytes) with a text to a channel.
async fn upload(
    app: &TestApp,
    user: &TestUser,
    channel: i64,
    text: &str,
    files: &[(&str, &[u8])],
) -> (StatusCode, Value) {
    let mut form = Form::new().text("text", text.to_owned());
    for (name, bytes) in files {
        form = form.part("file", Part::bytes(bytes.to_vec()).file_name((*name).to_owned()));
    }
    send(app, user, channel, form).await
}

async fn send(app: &TestApp, user: &TestUser, channel: i64, form: Form) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url(&format!("/api/v1/channels/{channel}/files")))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Downloads a file's URL, optionally a range: status, headers, bytes.
async fn download(app: &TestApp, user: &TestUser, url: &str, range: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(url)).bearer_auth(&user.token);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// The objects kept in local storage.
fn objects(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map_or(0, |entries| entries.flatten().map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 }).sum())
    }
    count(&app.data_dir.path().join("files"))
}

#[tokio::test]
async fn a_shared_file_comes_back_whole_with_its_message_and_in_the_channel_list() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (status, message) = upload(&app, &admin, general, "the screenshot", &[("shot.png", PNG)]).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["text"], "the screenshot");
    let file = &message["files"][0];
    assert_eq!(file["name"], "shot.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], PNG.len());
    let url = file["url"].as_str().unwrap();

    let (status, headers, bytes) = download(&app, &admin, url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, PNG);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert!(header(&headers, "content-disposition").starts_with("inline; filename=\"shot.png\""));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(header(&headers, "content-security-policy").starts_with("sandbox"));
    let etag = header(&headers, "etag").to_owned();
    let again =
        app.client.get(app.url(url)).bearer_auth(&admin.token).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(history["messages"][0]["files"][0]["url"], url);
    let id = file["id"].as_i64().unwrap();
    let (status, meta) = app.get(&format!("/api/v1/files/{id}"), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["name"], "shot.png");

    let (status, second) =
        upload(&app, &admin, general, "", &[("notes.txt", b"plain notes\n"), ("b.bin", b"\0\x01\x02")]).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["text"], "", "a message of files may have no text");
    let (_, list) = app.get(&format!("/api/v1/channels/{general}/files?limit=2"), &admin.token).await;
    let names: Vec<&str> = list["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["b.bin", "notes.txt"], "newest first");
    let cursor = list["next_cursor"].as_str().unwrap();
    let (_, rest) = app.get(&format!("/api/v1/channels/{general}/files?limit=2&cursor={cursor}"), &admin.token).await;
    assert_eq!(rest["files"][0]["name"], "shot.png");
    assert!(rest["next_cursor"].is_null());
}

#[tokio::test]
async fn audio_and_video_seek_by_range_and_a_range_outside_the_file_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let body: Vec<u8> = (0..1000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let (_, message) = upload(&app, &admin, general, "log", &[("big.log", &body)]).await;
    let url = message["files"][0]["url"].as_str().unwrap().to_owned();
    let (status, headers, bytes) = download(&app, &admin, &url, Some("bytes=10-19")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&headers, "content-range"), "bytes 10-19/1000");
    assert_eq!(bytes, &body[10..20]);
    let (status, _, bytes) = download(&app, &admin, &url, Some("bytes=-5")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes, &body[995..]);
    let (status, headers, _) = download(&app, &admin, &url, Some("bytes=5000-")).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&headers, "content-range"), "bytes */1000");
}

#[tokio::test]
async fn only_people_who_may_read_the_channel_get_its_files_and_a_deleted_message_takes_them_away() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    let (_, message) = upload(&app, &admin, secret, "private plan", &[("plan.pdf", b"%PDF-1.7\nplan")]).await;
    let url = message["files"][0]["url"].as_str().unwrap().to_owned();
    let id = message["files"][0]["id"].as_i64().unwrap();
    assert_eq!(download(&app, &admin, &url, None).await.0, StatusCode::OK);
    for path in [url.clone(), format!("/api/v1/files/{id}")] {
        let (status, _, _) = download(&app, &bob, &path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} for a non-member");
    }
    assert_error(
        &app.get(&format!("/api/v1/channels/{secret}/files"), &bob.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    let (status, _) = upload(&app, &bob, secret, "", &[("x.txt", b"x")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nobody uploads into a channel they cannot see");

    // Someone of another workspace, even with the exact link.
    app.post("/api/v1/workspaces", &admin.token, serde_json::json!({ "slug": "beta", "name": "Beta" })).await;
    let other = app.join(&admin, "beta", "mallory", "member").await;
    assert_eq!(download(&app, &other, &url, None).await.0, StatusCode::NOT_FOUND);
    let anonymous = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let (status, _) = app.delete(&format!("/api/v1/messages/{}", message["id"]), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(download(&app, &admin, &url, None).await.0, StatusCode::NOT_FOUND, "gone with its message");
    let (_, list) = app.get(&format!("/api/v1/channels/{secret}/files"), &admin.token).await;
    assert_eq!(list["files"], serde_json::json!([]));
}

#[tokio::test]
async fn markup_and_executables_are_never_shown_inline_and_hostile_names_are_tamed() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let long = format!("{}.png", "n".repeat(1000));
    let mut elf = b"\x7FELF\x02\x01\x01\0".to_vec();
    elf.resize(128, 0);
    let files: [(&str, &[u8]); 4] = [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"),
        ("../../etc/invoice\u{202E}gnp.exe", &elf),
        (&long, &elf),
    ];
    let (status, message) = upload(&app, &admin, general, "", &files).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    let shared = message["files"].as_array().unwrap();
    assert_eq!(shared[0]["content_type"], "text/plain");
    assert_eq!(shared[1]["content_type"], "text/plain");
    assert_eq!(shared[2]["name"], "invoicegnp.exe");
    assert_eq!(shared[2]["content_type"], "application/x-executable");
    assert_eq!(shared[3]["name"].as_str().unwrap().chars().count(), 255);
    assert_eq!(shared[3]["content_type"], "application/x-executable", "the bytes decide, not the name");
    for file in shared {
        let (status, headers, _) = download(&app, &admin, file["url"].as_str().unwrap(), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(header(&headers, "content-disposition").starts_with("attachment;"), "{file}");
        assert_ne!(header(&headers, "content-type"), "text/html");
    }
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_leave_nothing_behind() {
    let app = spawn_app_with(|s| s.limits.max_file_size = 1024).await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;

    let (status, body) =
        upload(&app, &admin, general, "too big", &[("small.txt", b"ok"), ("big.bin", &[7u8; 2048])]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"]["code"], "file_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("at most"));

    let (status, body) = send(&app, &admin, general, Form::new().text("text", "no file here")).await;
    assert_error(&(status, body), StatusCode::BAD_REQUEST, "no_file");

    let json =
        app.post(&format!("/api/v1/channels/{general}/files"), &admin.token, serde_json::json!({"text": "x"})).await;
    assert_error(&json, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    let eleven: Vec<(&str, &[u8])> = (0..11).map(|_| ("a.txt", b"a" as &[u8])).collect();
    let (status, body) = upload(&app, &admin, general, "", &eleven).await;
    assert_error(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "too_many_files");

    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert!(history["messages"].as_array().unwrap().iter().all(|m| m["files"] == serde_json::json!([])));
    let (_, list) = app.get(&format!("/api/v1/channels/{general}/files"), &admin.token).await;
    assert_eq!(list["files"], serde_json::json!([]));
    assert_eq!(objects(&app), 0, "no stored object outlives a refused upload");
}

#[tokio::test]
async fn the_page_form_shares_files_without_javascript_and_shows_them_in_the_conversation() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get(&format!("/w/acme/c/{general}")).await;
    assert!(page.body.contains(&format!("action=\"/w/acme/c/{general}/files\"")), "the conversation has a file form");
    let csrf = page.csrf();
    let form = |token: &str| {
        Form::new()
            .text("csrf_token", token.to_owned())
            .text("text", "from the page")
            .part("file", Part::bytes(PNG.to_vec()).file_name("diagram.png"))
            .part("file", Part::bytes(b"%PDF-1.7\nspec".to_vec()).file_name("spec.pdf"))
    };
    let refused = browser.post_multipart(&format!("/w/acme/c/{general}/files"), form("forged")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "without its CSRF token the form stores nothing");
    assert_eq!(objects(&app), 0);

    let sent = browser.post_multipart(&format!("/w/acme/c/{general}/files"), form(&csrf)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let shown = browser.get(sent.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("from the page"));
    assert!(shown.body.contains("<img src=\"/files/"), "an image is shown inline");
    assert!(shown.body.contains("spec.pdf") && shown.body.contains("application/pdf"), "other files as cards");

    let empty = Form::new().text("csrf_token", csrf.clone()).text("text", "no file");
    let page = browser.post_multipart(&format!("/w/acme/c/{general}/files"), empty).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "the conversation again, with the error");
    assert!(page.body.contains("Attach at least one file"), "the conversation says what is wrong");
}

#[tokio::test]
async fn a_shared_file_arrives_live_with_its_message_and_its_rendered_partial() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "html=1").await;
    assert_eq!(ws.frame().await["type"], "hello");
    let (_, message) = upload(&app, &admin, general, "look", &[("shot.png", PNG)]).await;
    let frame = ws.until("message.created", |_| true).await.pop().unwrap();
    assert_eq!(frame["data"]["message"]["files"], message["files"]);
    let url = message["files"][0]["url"].as_str().unwrap();
    assert!(frame["html"].as_str().unwrap().contains(&format!("<img src=\"{url}\"")));
    assert_eq!(download(&app, &bob, url, None).await.0, StatusCode::OK, "a member of the channel downloads it");
}
