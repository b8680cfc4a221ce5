//! Sharing files through the API as a person would: upload with a message, download whole
//! or by range with safe headers, who may read a file, hostile files and bad uploads,
//! deleting, a channel's file list, a cut-off upload and a store that does not answer.
//! Pictures are in `pictures.rs`.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, serve_binary, spawn_app, spawn_app_with};
use crate::pages::Browser;
use crate::pictures::png;

/// Uploads files (name, bytes) with a text to a channel.
pub async fn upload(
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

pub async fn send(app: &TestApp, user: &TestUser, channel: i64, form: Form) -> (StatusCode, Value) {
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
pub async fn download(
    app: &TestApp,
    user: &TestUser,
    url: &str,
    range: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = app.client.get(app.url(url)).bearer_auth(&user.token);
    if let Some(r) = range {
        req = req.header("range", r);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.bytes().await.unwrap().to_vec())
}

pub fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).map_or("", |v| v.to_str().unwrap())
}

/// How many objects the app's storage holds (a directory, or its part of a bucket).
pub async fn objects(app: &TestApp) -> usize {
    app.state.storage.keys().await.expect("storage lists its keys").len()
}

#[tokio::test]
async fn a_shared_file_comes_back_whole_with_its_message_and_in_the_channel_list() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let shot = png(4, 3);
    let (status, message) = upload(&app, &admin, general, "the screenshot", &[("shot.png", &shot)]).await;
    assert_eq!(status, StatusCode::CREATED, "{message}");
    assert_eq!(message["text"], "the screenshot");
    let file = &message["files"][0];
    assert_eq!(file["name"], "shot.png");
    assert_eq!(file["content_type"], "image/png");
    assert_eq!(file["size"], shot.len());
    assert_eq!((file["width"].as_i64(), file["height"].as_i64()), (Some(4), Some(3)));
    assert!(file["thumbnail_url"].is_null(), "a small picture is its own thumbnail");
    let url = file["url"].as_str().unwrap();

    let (status, headers, bytes) = download(&app, &admin, url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, shot);
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
    assert_eq!(objects(&app).await, 0, "no stored object outlives a refused upload");
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
            .part("file", Part::bytes(png(40, 30)).file_name("diagram.png"))
            .part("file", Part::bytes(b"%PDF-1.7\nspec".to_vec()).file_name("spec.pdf"))
    };
    let refused = browser.post_multipart(&format!("/w/acme/c/{general}/files"), form("forged")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "without its CSRF token the form stores nothing");
    assert_eq!(objects(&app).await, 0);

    let sent = browser.post_multipart(&format!("/w/acme/c/{general}/files"), form(&csrf)).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let shown = browser.get(sent.location.as_deref().unwrap()).await;
    assert!(shown.body.contains("from the page"));
    assert!(shown.body.contains("<img src=\"/files/"), "an image is shown inline");
    assert!(shown.body.contains("width=\"40\" height=\"30\""), "its size is known before it loads");
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
    let (_, message) = upload(&app, &admin, general, "look", &[("shot.png", &png(8, 8))]).await;
    let frame = ws.until("message.created", |_| true).await.pop().unwrap();
    assert_eq!(frame["data"]["message"]["files"], message["files"]);
    let url = message["files"][0]["url"].as_str().unwrap();
    assert!(frame["html"].as_str().unwrap().contains(&format!("<img src=\"{url}\"")));
    assert_eq!(download(&app, &bob, url, None).await.0, StatusCode::OK, "a member of the channel downloads it");
}

#[tokio::test]
async fn deleting_a_file_takes_it_from_its_message_live_and_its_objects_go_after_the_grace_period() {
    let app = spawn_app_with(|s| s.deleted_file_grace = std::time::Duration::ZERO).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&bob.token, "").await;
    assert_eq!(ws.frame().await["type"], "hello");
    let (_, message) =
        upload(&app, &admin, general, "two files", &[("big.png", &png(1000, 800)), ("a.txt", b"a")]).await;
    assert_eq!(objects(&app).await, 3, "two files and a thumbnail");
    let (picture, text) = (message["files"][0].clone(), message["files"][1].clone());

    let (_, bobs) = upload(&app, &bob, general, "", &[("b.txt", b"b")]).await;
    let bobs_file = bobs["files"][0]["id"].as_i64().unwrap();
    let refused = app.delete(&format!("/api/v1/files/{}", picture["id"]), &bob.token).await;
    assert_error(&refused, StatusCode::FORBIDDEN, "cannot_delete");
    assert_error(&app.delete("/api/v1/files/999999", &admin.token).await, StatusCode::NOT_FOUND, "file_not_found");

    let (status, _) = app.delete(&format!("/api/v1/files/{}", picture["id"]), &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let edited = ws.until("message.edited", |_| true).await.pop().unwrap();
    assert_eq!(edited["data"]["message"]["files"], serde_json::json!([text]), "the message changes live");
    let url = picture["url"].as_str().unwrap();
    assert_eq!(download(&app, &admin, url, None).await.0, StatusCode::NOT_FOUND, "no longer served");
    let thumb = picture["thumbnail_url"].as_str().unwrap();
    assert_eq!(download(&app, &admin, thumb, None).await.0, StatusCode::NOT_FOUND);
    assert_error(
        &app.delete(&format!("/api/v1/files/{}", picture["id"]), &admin.token).await,
        StatusCode::NOT_FOUND,
        "file_not_found",
    );
    eventually("the picture and its thumbnail are removed", async || (objects(&app).await == 2).then_some(())).await;

    // An admin of the channel may delete anyone's file; a message of nothing but that file
    // goes with it.
    let (status, _) = app.delete(&format!("/api/v1/files/{bobs_file}"), &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let gone = ws.until("message.deleted", |_| true).await.pop().unwrap();
    assert_eq!(gone["data"]["message"]["id"], bobs["id"]);

    let (status, _) = app.delete(&format!("/api/v1/messages/{}", message["id"]), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    eventually("a deleted message's files are removed", async || (objects(&app).await == 0).then_some(())).await;
}

#[tokio::test]
async fn a_channels_files_page_lists_them_newest_first_and_lets_who_may_delete_them() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let empty = Browser::new(&app);
    empty.sign_in("bob").await;
    let page = empty.get(&format!("/w/acme/c/{general}/files")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No files have been shared here yet"), "an empty state");

    let (_, first) = upload(&app, &admin, general, "", &[("agenda.txt", b"agenda")]).await;
    let (_, second) = upload(&app, &bob, general, "", &[("photo.png", &png(30, 20))]).await;
    let page = empty.get(&format!("/w/acme/c/{general}/files")).await;
    let (photo, agenda) = (page.body.find("photo.png").unwrap(), page.body.find("agenda.txt").unwrap());
    assert!(photo < agenda, "newest first");
    assert!(page.body.contains("shared by bob") && page.body.contains("shared by admin"));
    assert!(page.body.contains(&format!("/w/acme/c/{general}/m/{}", first["id"])), "a link to its message");
    let own = format!("/w/acme/c/{general}/files/{}/delete", second["files"][0]["id"]);
    let others = format!("/w/acme/c/{general}/files/{}/delete", first["files"][0]["id"]);
    assert!(page.body.contains(&own) && !page.body.contains(&others), "a member deletes only their own");

    let refused = empty.post(&others, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let forged = empty.post(&own, &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let deleted = empty.post(&own, &[("csrf_token", &page.csrf())]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    let page = empty.get(&format!("/w/acme/c/{general}/files")).await;
    assert!(!page.body.contains("photo.png") && page.body.contains("agenda.txt"));

    let admins = Browser::new(&app);
    admins.sign_in("admin").await;
    let page = admins.get(&format!("/w/acme/c/{general}/files")).await;
    assert!(page.body.contains(&others), "a channel admin may delete anyone's");
    for i in 0..50 {
        upload(&app, &admin, general, "", &[(&format!("f{i}.txt"), b"x")]).await;
    }
    let page = admins.get(&format!("/w/acme/c/{general}/files")).await;
    assert!(page.body.contains("f49.txt") && !page.body.contains("agenda.txt"), "fifty a page");
    assert!(page.body.contains("?cursor=50"), "a link to older files");
    let older = admins.get(&format!("/w/acme/c/{general}/files?cursor=50")).await;
    assert!(older.body.contains("agenda.txt") && !older.body.contains("f49.txt"));
    let bad = admins.get(&format!("/w/acme/c/{general}/files?cursor=banana")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_removed_member_a_guest_and_a_third_person_get_nothing_of_a_channel_or_dm_they_are_not_in() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let general = channel_id(&app, &admin, "general").await;
    let secret = create_channel(&app, &admin, "secret", true).await;
    app.post(&format!("/api/v1/channels/{secret}/members"), &admin.token, serde_json::json!({ "user_id": bob.id }))
        .await;
    let (_, in_secret) = upload(&app, &admin, secret, "", &[("roadmap.png", &png(900, 900))]).await;
    let (_, dm) =
        app.post("/api/v1/workspaces/acme/dms", &admin.token, serde_json::json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    let (_, in_dm) = upload(&app, &bob, dm, "for your eyes", &[("salary.pdf", b"%PDF-1.7\nsalary")]).await;
    let (_, in_public) = upload(&app, &admin, general, "", &[("public.txt", b"hello")]).await;

    let links = |m: &Value| -> Vec<String> {
        let f = &m["files"][0];
        let mut links = vec![f["url"].as_str().unwrap().to_owned(), format!("/api/v1/files/{}", f["id"])];
        links.extend(f["thumbnail_url"].as_str().map(str::to_owned));
        links
    };
    for link in links(&in_secret).iter().chain(&links(&in_dm)) {
        assert_eq!(download(&app, &bob, link, None).await.0, StatusCode::OK, "{link} for a member");
        for (who, user) in [("carol", &carol), ("a guest", &guest)] {
            assert_eq!(download(&app, user, link, None).await.0, StatusCode::NOT_FOUND, "{link} for {who}");
        }
    }
    let public = &links(&in_public)[0];
    assert_eq!(download(&app, &carol, public, None).await.0, StatusCode::OK, "a public channel's file for a member");
    assert_eq!(
        download(&app, &guest, public, None).await.0,
        StatusCode::NOT_FOUND,
        "a guest sees only the channels they were added to"
    );

    let (status, _) = app.delete(&format!("/api/v1/channels/{secret}/members/{}", bob.id), &admin.token).await;
    assert!(status.is_success(), "{status}");
    for link in links(&in_secret) {
        assert_eq!(download(&app, &bob, &link, None).await.0, StatusCode::NOT_FOUND, "{link} once removed");
    }
    assert_error(
        &app.get(&format!("/api/v1/channels/{secret}/files"), &bob.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
}

#[tokio::test]
async fn an_upload_cut_off_mid_stream_leaves_no_message_and_no_object() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/channels/{general}/files HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=cut\r\nContent-Length: 10000000\r\n\r\n\
         --cut\r\nContent-Disposition: form-data; name=\"file\"; filename=\"half.bin\"\r\n\r\n",
        admin.token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    // More than the part size of a multipart upload, so that parts are on their way.
    socket.write_all(&vec![7u8; 6 << 20]).await.unwrap();
    socket.flush().await.unwrap();
    // In a directory, an upload under way is a staging file beside where it will be.
    let local = std::env::var("HEARTH_TEST_S3_URL").is_err();
    let on_disk = || files_on_disk(&app.data_dir.path().join("files"));
    if local {
        eventually("the server to start storing the upload", async || (on_disk() > 0).then_some(())).await;
    }
    drop(socket);
    if local {
        eventually("the half upload to be cleaned up", async || (on_disk() == 0).then_some(())).await;
    }
    let (status, after) = upload(&app, &admin, general, "after", &[("after.txt", b"after")]).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(objects(&app).await, 1, "only the later upload is stored");
    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 1, "nothing else was posted");
    assert_eq!(history["messages"][0]["id"], after["id"]);
}

/// Every file under a directory, staging files of uploads under way included.
fn files_on_disk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries.flatten().map(|e| if e.path().is_dir() { files_on_disk(&e.path()) } else { 1 }).sum()
    })
}

#[tokio::test]
async fn a_store_that_does_not_answer_fails_uploads_and_downloads_with_503_and_text_goes_on() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, shared) = upload(&app, &admin, general, "kept", &[("kept.txt", b"kept")]).await;
    // A "storage service" that takes connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket);
        }
    });
    let (mut child, address, _data) = serve_binary(
        &app,
        &[
            ("HEARTH_STORAGE_URL", "s3://hearth-files"),
            ("HEARTH_S3_ENDPOINT", &endpoint),
            ("AWS_ACCESS_KEY_ID", "hearth"),
            ("AWS_SECRET_ACCESS_KEY", "hearth"),
            ("AWS_REGION", "us-east-1"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let form = Form::new().text("text", "x").part("file", Part::bytes(b"new".to_vec()).file_name("new.txt"));
    let res = client
        .post(format!("{address}/api/v1/channels/{general}/files"))
        .bearer_auth(&admin.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable");
    assert!(body["error"]["message"].as_str().unwrap().contains("file storage"), "{body}");

    let url = shared["files"][0]["url"].as_str().unwrap();
    let res = client.get(format!("{address}{url}")).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "an existing file answers 503 rather than hang");

    let res = client
        .post(format!("{address}/api/v1/channels/{general}/messages"))
        .bearer_auth(&admin.token)
        .json(&serde_json::json!({ "text": "text still goes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "posting text does not need the store");
    let history: Value = client
        .get(format!("{address}/api/v1/channels/{general}/messages"))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> =
        history["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        ["text still goes", "kept"],
        "history reads (newest first), and the refused upload posted nothing"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    held.abort();
}
