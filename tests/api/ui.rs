//! The web UI through HTTP, as a browser fetches it: error pages in the app's frame, the
//! account page's way back, the composer's hint, topics, the unread line, skin-toned
//! reactions, and what a channel page weighs compressed.

use std::io::Read;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING};
use serde_json::json;

use crate::channels::channel_id;
use crate::files::upload;
use crate::helpers::{assert_error, spawn_app};
use crate::pages::Browser;
use crate::pictures::png;

#[tokio::test]
async fn unknown_pages_are_html_in_the_apps_frame_and_the_api_keeps_its_json() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    for path in ["/w/acme/nowhere", "/w/acme/c/999999", "/w/acme/c/999999/t/5"] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.body.starts_with("<!doctype html>"), "{path}: {}", page.body);
        assert!(page.body.contains("<h1 id=\"error-heading\">Not found</h1>"), "{path}: {}", page.body);
        assert!(page.body.contains(&format!("data-channel=\"{general}\"")), "{path}: the sidebar is there");
        assert!(page.body.contains("href=\"/w/acme\">Back to Acme</a>"), "{path}: {}", page.body);
    }
    // A workspace one is not in is drawn as no workspace: the sidebar lists one's own.
    let page = b.get("/w/elsewhere/c/1").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Your workspaces") && page.body.contains("href=\"/w/acme\""), "{}", page.body);
    assert!(page.body.contains("Go to hearth"), "{}", page.body);

    // Someone signed out gets the page on its own; an API client gets JSON.
    let anonymous = Browser::new(&app).get("/w/acme/nowhere").await;
    assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
    assert!(anonymous.body.contains("<h1>Not found</h1>") && !anonymous.body.contains("class=\"sidebar\""));
    let res = app.client.get(app.url("/w/acme/nowhere")).header(ACCEPT, "application/json").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found");
    // An address that cannot be read (a channel id that is not a number) is a page too.
    let bad = b.get("/w/acme/c/not-a-number").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("<h1 id=\"error-heading\">That did not work</h1>") && bad.body.contains("class=\"sidebar\""),
        "{}",
        bad.body
    );
    let api = app.client.get(app.url("/api/v1/nowhere")).header(ACCEPT, "text/html").send().await.unwrap();
    assert_eq!(api.json::<serde_json::Value>().await.unwrap()["error"]["code"], "not_found", "the API is JSON");
    assert_error(&app.get("/api/v1/nowhere", &admin.token).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn account_settings_show_the_way_back_to_ones_workspaces() {
    let app = spawn_app().await;
    app.admin_with_workspace().await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    let sidebar = &page.body[page.body.find("class=\"sidebar\"").unwrap()..page.body.find("<main").unwrap()];
    assert!(sidebar.contains("Your workspaces"), "{sidebar}");
    assert!(sidebar.contains("href=\"/w/acme\" class=\"chan\" data-workspace=\"acme\""), "{sidebar}");
}

#[tokio::test]
async fn the_composer_hint_shows_what_each_mark_does() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    let hints: Vec<(String, String)> = page
        .body
        .split("<code data-renders=\"")
        .skip(1)
        .map(|rest| {
            let (tag, rest) = rest.split_once("\">").unwrap();
            (tag.to_owned(), rest.split("</code>").next().unwrap().to_owned())
        })
        .collect();
    assert!(hints.len() >= 3, "{}", page.body);
    assert!(!page.body.contains("*bold*</code>"), "the hint must not promise *bold*");
    for (tag, typed) in hints {
        let (status, m) =
            app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": typed })).await;
        assert_eq!(status, StatusCode::CREATED);
        assert!(m["html"].as_str().unwrap().contains(&format!("<{tag}>")), "{typed} renders as <{tag}>: {m}");
    }
    // Long messages are never cut by the page: the limit is the server's, told when crossed.
    assert!(!page.body.contains("maxlength=\"40000\""), "{}", page.body);
    assert!(page.body.contains("data-max=\"40000\""));
}

#[tokio::test]
async fn a_topic_shows_its_emoji_and_links_on_the_page_and_live() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut ws = app.ws(&admin.token, "html=1").await;
    ws.frame().await;
    let topic = "Launch :rocket: plan at https://example.com/plan <b>soon</b>";
    let (status, _) = app.patch(&format!("/api/v1/channels/{general}"), &admin.token, json!({ "topic": topic })).await;
    assert_eq!(status, StatusCode::OK);
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    let shown = page.body.split("data-topic>").nth(1).unwrap().split("</span>\n").next().unwrap();
    assert!(shown.starts_with("Launch <span class=\"emoji\" title=\":rocket:\">🚀</span>"), "{shown}");
    assert!(shown.contains("plan at <a href=\"https://example.com/plan\""), "{shown}");
    assert!(shown.contains("&lt;b&gt;soon&lt;/b&gt;"), "raw HTML stays text: {shown}");
    let frames = ws.until("channel.updated", |f| f["type"] == "channel.updated").await;
    let live = frames.last().unwrap()["topic_html"].as_str().unwrap().to_owned();
    assert_eq!(live, shown, "the same rendering live");
}

#[tokio::test]
async fn the_unread_line_is_where_someone_elses_new_messages_begin() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let path = format!("/api/v1/channels/{general}/messages");
    let (_, seen) = app.post(&path, &bob.token, json!({ "text": "seen already" })).await;
    app.post(&format!("/api/v1/channels/{general}/read"), &admin.token, json!({ "message_id": seen["id"] })).await;
    let (_, mine) = app.post(&path, &admin.token, json!({ "text": "my own reply" })).await;
    let (_, first_new) = app.post(&path, &bob.token, json!({ "text": "first new one" })).await;
    app.post(&path, &bob.token, json!({ "text": "second new one" })).await;

    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert_eq!(page.body.matches("class=\"unread-line\"").count(), 1, "{}", page.body);
    let line = page.body.find("class=\"unread-line\"").unwrap();
    assert!(page.body.find(&format!("id=\"m{}\"", mine["id"])).unwrap() < line, "one's own message is not new");
    let first = page.body.find(&format!("id=\"m{}\"", first_new["id"])).unwrap();
    assert!(line < first, "the line comes right before the first new message");
    assert_eq!(page.body[line..first].matches("<article").count(), 1, "nothing between the line and it");
    let opening = &page.body[page.body[..first].rfind("<article").unwrap()..first];
    assert_eq!(opening, "<article class=\"msg\" ", "the first new one has its author line");

    // Once read, no line.
    app.post(&format!("/api/v1/channels/{general}/read"), &admin.token, json!({})).await;
    assert!(!b.get(&format!("/w/acme/c/{general}")).await.body.contains("class=\"unread-line\""));

    // More unread than the page holds: a link to where they begin, which shows the line.
    let (_, marker) = app.post(&path, &admin.token, json!({ "text": "read up to here" })).await;
    for i in 0..60 {
        app.post(&path, &bob.token, json!({ "text": format!("news {i}") })).await;
    }
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    assert!(!page.body.contains("class=\"unread-line\""), "the first unread is not on the newest page");
    let link = format!("/w/acme/c/{general}/m/{}#unread", marker["id"]);
    assert!(page.body.contains(&format!("<a href=\"{link}\">Jump to the first unread message</a>")), "{}", page.body);
    let there = b.get(link.split('#').next().unwrap()).await;
    let line = there.body.find("id=\"unread\"").expect("the line where the unread begin");
    assert!(there.body[line..].contains("news 0"), "the first news after the line");
}

#[tokio::test]
async fn reactions_may_carry_a_skin_tone_as_slack_names_it() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, m) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "ship it" })).await;
    let reactions = format!("/api/v1/messages/{}/reactions", m["id"]);
    let (status, after) = app.post(&reactions, &admin.token, json!({ "emoji": "+1::skin-tone-3" })).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let (status, after) = app.post(&reactions, &admin.token, json!({ "emoji": "👍🏿" })).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let shown: Vec<(String, String)> = after["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["emoji"].as_str().unwrap().to_owned(), r["glyph"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(shown, [("+1::skin-tone-3".into(), "👍🏼".into()), ("+1::skin-tone-6".into(), "👍🏿".into())]);
    assert_error(
        &app.post(&reactions, &admin.token, json!({ "emoji": "+1::skin-tone-7" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_emoji",
    );
}

/// A response's body as sent (compressed), and as read.
async fn fetched(b: &reqwest::Client, url: &str) -> (usize, String, Option<String>) {
    let res = b.get(url).header(ACCEPT_ENCODING, "gzip").header(ACCEPT, "text/html,*/*").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    let encoding = res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_owned());
    let raw = res.bytes().await.unwrap();
    let text = if encoding.as_deref() == Some("gzip") {
        let mut out = String::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_string(&mut out).unwrap();
        out
    } else {
        String::from_utf8_lossy(&raw).into_owned()
    };
    (raw.len(), text, encoding)
}

#[tokio::test]
async fn a_channel_page_with_fifty_messages_weighs_under_100_kb_compressed() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    for i in 0..50 {
        let text = format!("Message {i}: the **quarterly** plan, see https://example.com/{i} and `code` :tada:");
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": text })).await;
    }
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = client
        .post(app.url("/login"))
        .form(&[("login", "admin"), ("password", crate::helpers::PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let (page_bytes, page, encoding) = fetched(&client, &app.url(&format!("/w/acme/c/{general}"))).await;
    assert_eq!(encoding.as_deref(), Some("gzip"), "pages are sent compressed");
    assert_eq!(page.matches("<article class=\"msg").count(), 50, "all fifty shown");
    // Everything the page loads before anyone touches it: its own files, nothing elsewhere.
    let mut linked: Vec<String> = ["href=\"", "src=\""]
        .iter()
        .flat_map(|attr| page.split(attr).skip(1).map(|s| s.split('"').next().unwrap().to_owned()))
        .filter(|u| u.starts_with("/static/") || u.starts_with("/viewer/"))
        .filter(|u| !u.ends_with(".webmanifest"))
        .collect();
    linked.push(page.split("data-sprite=\"").nth(1).unwrap().split('"').next().unwrap().to_owned());
    linked.sort();
    linked.dedup();
    assert!(!page.contains("src=\"http") && !page.contains("href=\"//"), "no third-party requests");
    let mut total = page_bytes;
    for path in &linked {
        let (bytes, body, encoding) = fetched(&client, &app.url(path)).await;
        assert_eq!(encoding.as_deref(), Some("gzip"), "{path} is compressed");
        total += bytes;
        // The script's static imports are loaded too.
        for import in body.split("from \"./").skip(1) {
            let name = import.split('"').next().unwrap();
            let (bytes, _, _) = fetched(&client, &app.url(&path.replace("app.js", name))).await;
            total += bytes;
        }
    }
    assert!(linked.iter().any(|p| p.ends_with("/app.js")) && linked.iter().any(|p| p.ends_with("/app.css")));
    eprintln!("a channel page with 50 messages transfers {total} bytes compressed ({linked:?})");
    assert!(total < 100 * 1024, "a channel page with 50 messages transfers {total} bytes: {linked:?}");

    // Shared files are sent as they are stored, text ones too (their length and ranges hold).
    let log = "a line of a log\n".repeat(2000);
    let (_, shared) =
        upload(&app, &admin, general, "", &[("shot.png", &png(8, 8)), ("server.log", log.as_bytes())]).await;
    for file in shared["files"].as_array().unwrap() {
        let url = app.url(file["url"].as_str().unwrap());
        let res = client.get(url).header(ACCEPT_ENCODING, "gzip").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().get(CONTENT_ENCODING).is_none(), "{} is not compressed again", file["name"]);
        assert_eq!(res.bytes().await.unwrap().len(), file["size"].as_u64().unwrap() as usize);
    }
}
