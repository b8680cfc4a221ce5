//! Email notifications: a mention, a direct message or a reply in one's thread that stays
//! unread while one is away is mailed once, batched with what else was missed; what was
//! read in time, muted, seen in a browser or not wanted is not. Mail goes through a real
//! SMTP exchange with a sink inside the test where headers matter.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, assert_error, eventually, spawn_app_with};
use crate::mail::{Inbox, Relay, closed_port, received, relay_at, smtp_sink, smtp_sink_on};
use crate::pages::Browser;

/// The notification delay of most tests here.
const DELAY: Duration = Duration::from_millis(200);

async fn say(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> i64 {
    let (status, m) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m["id"].as_i64().unwrap()
}

async fn reply(app: &TestApp, user: &TestUser, channel: i64, root: i64, text: &str) -> i64 {
    let body = json!({ "text": text, "thread_root_id": root });
    let (status, m) = app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m["id"].as_i64().unwrap()
}

/// What became of the notification of `message` for `user`, once decided.
async fn outcome(app: &TestApp, user: &TestUser, message: i64) -> String {
    let query = format!(
        "SELECT COALESCE(MAX(outcome), '') AS value FROM notifications WHERE user_id = {} AND message_id = {message}",
        user.id
    );
    eventually("the notification to be decided", async || Some(app.sql_text(&query)).filter(|o| !o.is_empty())).await
}

/// A header of a raw message, unfolded.
fn header(data: &str, name: &str) -> Option<String> {
    let parsed = mail_parser::MessageParser::default().parse(data.as_bytes())?;
    parsed.header_raw(name).map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn bodies(data: &str) -> (String, String) {
    let parsed = mail_parser::MessageParser::default().parse(data.as_bytes()).expect("a parsable mail");
    (parsed.body_text(0).unwrap_or_default().into_owned(), parsed.body_html(0).unwrap_or_default().into_owned())
}

/// No further mail in the sink's inbox now (every job that could send one is done).
fn nothing_more(inbox: &mut Inbox) {
    if let Ok((to, data)) = inbox.try_recv() {
        panic!("an unexpected mail to {to:?}: {data}");
    }
}

async fn mail_jobs_done(app: &TestApp, admin: &TestUser) {
    eventually("every mail job to be done", async || {
        let (_, pending) = app.get("/api/v1/admin/jobs?state=pending", &admin.token).await;
        let busy = pending["jobs"].as_array().unwrap().iter().any(|j| j["kind"] == "mail" || j["kind"] == "notify");
        (!busy).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_missed_mention_is_mailed_through_the_relay_saying_who_and_where_with_links_and_headers() {
    let mut app = spawn_app_with(|s| s.mail.notify_delay = DELAY).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let (port, mut inbox) = smtp_sink(Relay::Accepting).await;
    app.restart_with(|s| s.mail.smtp_url = relay_at(port)).await;
    let ops = create_channel(&app, &admin, "ops", false).await;
    let (status, body) =
        app.post(&format!("/api/v1/channels/{ops}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    assert!(status.is_success(), "{body}");
    let first = say(&app, &admin, ops, "@bob can you look at the deploy? <b>now</b> & then").await;

    let (to, data) = received(&mut inbox).await;
    assert_eq!(to, ["bob@example.com"]);
    assert_eq!(header(&data, "Subject").as_deref(), Some("admin mentioned you in #ops"), "{data}");
    let (text, html) = bodies(&data);
    assert!(text.contains("@bob can you look at the deploy? <b>now</b> & then"), "the text as written: {text}");
    let escaped = html.contains("deploy? &lt;b&gt;now&lt;/b&gt; &amp; then")
        || html.contains("deploy? &#60;b&#62;now&#60;/b&#62; &#38; then");
    assert!(escaped, "escaped: {html}");
    assert!(!html.contains("<b>now"), "{html}");
    assert!(html.contains("This message was sent by hearth."), "the shared layout: {html}");
    let permalink = format!("{}/w/acme/c/{ops}/m/{first}", app.state.public_url);
    assert!(text.contains(&permalink) && html.contains(&permalink), "a link to the message: {text}");

    // The link opens the message for its recipient.
    let browser = Browser::new(&app);
    browser.sign_in("bob").await;
    let page = browser.get(permalink.trim_start_matches(&app.state.public_url)).await;
    let page = match page.location {
        Some(to) => browser.get(&to).await,
        None => page,
    };
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("can you look at the deploy?"), "{}", page.body);

    // Headers: its own id, the conversation for threading, and one-click unsubscribe.
    let message_id = header(&data, "Message-ID").expect("a Message-ID");
    assert!(message_id.starts_with("<notification."), "{message_id}");
    let references = header(&data, "References").expect("References");
    assert_eq!(header(&data, "In-Reply-To").as_ref(), Some(&references));
    assert!(references.starts_with("<conversation."), "{references}");
    let unsubscribe = header(&data, "List-Unsubscribe").expect("List-Unsubscribe");
    assert!(unsubscribe.starts_with(&format!("<{}/unsubscribe/", app.state.public_url)), "{unsubscribe}");
    assert_eq!(header(&data, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert_eq!(outcome(&app, &bob, first).await, "mailed");

    // Another mention there later is another mail, threaded with the first.
    let second = say(&app, &admin, ops, "@bob and one more thing").await;
    let (to, data) = received(&mut inbox).await;
    assert_eq!(to, ["bob@example.com"]);
    assert_eq!(header(&data, "References").as_ref(), Some(&references), "the same conversation");
    assert_ne!(header(&data, "Message-ID").as_ref(), Some(&message_id));
    assert!(bodies(&data).0.contains("and one more thing"));
    assert_eq!(outcome(&app, &bob, second).await, "mailed");
    mail_jobs_done(&app, &admin).await;
    nothing_more(&mut inbox);
}

#[tokio::test]
async fn what_was_read_in_time_muted_seen_in_a_browser_or_not_wanted_is_not_mailed() {
    // Long enough for reading right after posting to come first.
    let app = spawn_app_with(|s| s.mail.notify_delay = Duration::from_secs(2)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;

    let read_in_time = say(&app, &admin, general, "@bob quick question").await;
    let (status, body) = app.post(&format!("/api/v1/channels/{general}/read"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(outcome(&app, &bob, read_in_time).await, "read");

    let random = create_channel(&app, &admin, "random", false).await;
    let (status, body) =
        app.post(&format!("/api/v1/channels/{random}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    assert!(status.is_success(), "{body}");
    let (status, body) = app.patch(&format!("/api/v1/channels/{random}"), &bob.token, json!({ "muted": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let muted = say(&app, &admin, random, "@bob in a muted channel").await;
    assert_eq!(outcome(&app, &bob, muted).await, "muted");

    let mut ws = app.ws(&bob.token, "").await;
    ws.until("hello", |_| true).await;
    let presence = format!("SELECT COALESCE(MAX(status), '') AS value FROM presence WHERE user_id = {}", bob.id);
    eventually("bob to be online", async || (app.sql_text(&presence) == "online").then_some(())).await;
    let seen = say(&app, &admin, general, "@bob while you are here").await;
    assert_eq!(outcome(&app, &bob, seen).await, "active");
    drop(ws);
    eventually("bob to be gone", async || app.sql_text(&presence).is_empty().then_some(())).await;

    let (status, body) =
        app.patch("/api/v1/me/preferences", &bob.token, json!({ "email_notifications": "never" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let unwanted = say(&app, &admin, general, "@bob with mail switched off").await;
    assert_eq!(outcome(&app, &bob, unwanted).await, "never");

    let (status, body) =
        app.patch("/api/v1/me/preferences", &bob.token, json!({ "email_notifications": "immediately" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    let deleted = say(&app, &admin, dm, "sorry, wrong person").await;
    let (status, _) = app.delete(&format!("/api/v1/messages/{deleted}"), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(outcome(&app, &bob, deleted).await, "deleted");

    mail_jobs_done(&app, &admin).await;
    let to_bob: Vec<_> =
        app.mails().into_iter().filter(|m| m.to == "bob@example.com" && !m.subject.contains("invited")).collect();
    assert!(to_bob.is_empty(), "no notification mail: {to_bob:?}");
}

#[tokio::test]
async fn what_is_missed_meanwhile_goes_in_one_mail_grouped_by_conversation() {
    let app = spawn_app_with(|s| s.mail.notify_delay = Duration::from_secs(2)).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let root = say(&app, &bob, general, "who has the release notes?").await;
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &carol.token, json!({ "user_ids": [bob.id] })).await;
    let dm = dm["id"].as_i64().unwrap();
    let (status, _) = app.post(&format!("/api/v1/channels/{general}/read"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);

    let mention = say(&app, &admin, general, "@bob the build is green").await;
    let in_thread = reply(&app, &carol, general, root, "I have them").await;
    let direct = say(&app, &carol, dm, "lunch?").await;
    for m in [mention, in_thread, direct] {
        assert_eq!(outcome(&app, &bob, m).await, "mailed");
    }
    mail_jobs_done(&app, &admin).await;
    let mails: Vec<_> =
        app.mails().into_iter().filter(|m| m.to == "bob@example.com" && !m.subject.contains("invited")).collect();
    assert_eq!(mails.len(), 1, "one mail for all three: {mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.subject, "3 new messages from admin and carol");
    for heading in ["#general", "Thread in #general", "Direct message from carol"] {
        assert!(mail.text.contains(heading) && mail.html.contains(heading), "{heading}: {}", mail.text);
    }
    let order: Vec<usize> =
        ["the build is green", "I have them", "lunch?"].iter().map(|t| mail.text.find(t).expect(t)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "in the order they came: {}", mail.text);
    assert!(
        app.mails().iter().all(|m| m.to != "admin@example.com" || m.subject.contains("invited")),
        "not to the author"
    );
}

#[tokio::test]
async fn digests_wait_for_their_hour_in_the_persons_time_zone() {
    let app = spawn_app_with(|s| s.mail.notify_delay = DELAY).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let body = json!({ "email_notifications": "daily", "digest_hour": 7, "time_zone": "Asia/Tokyo" });
    let (status, prefs) = app.patch("/api/v1/me/preferences", &bob.token, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{prefs}");
    assert_eq!(prefs, body);
    say(&app, &admin, general, "@bob for the digest").await;
    let job = eventually("the digest's job", async || {
        let (_, pending) = app.get("/api/v1/admin/jobs?state=pending", &admin.token).await;
        pending["jobs"].as_array().unwrap().iter().find(|j| j["kind"] == "notify").cloned()
    })
    .await;
    // 07:00 in Tokyo (no summer time) is 22:00 UTC.
    let run_at = job["run_at"].as_str().unwrap();
    assert!(run_at.contains("T22:00:00"), "due at the digest hour: {job}");
}

#[tokio::test]
async fn preferences_are_checked_before_anything_is_saved() {
    let app = spawn_app_with(|_| {}).await;
    let admin = app.admin_with_workspace().await;
    let (status, prefs) = app.get("/api/v1/me/preferences", &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    let defaults = json!({ "email_notifications": "immediately", "digest_hour": 9, "time_zone": "UTC" });
    assert_eq!(prefs, defaults);
    let wrong = [
        (json!({ "email_notifications": "weekly" }), "invalid_email_notifications"),
        (json!({ "email_notifications": "daily", "digest_hour": 24 }), "invalid_digest_hour"),
        (json!({ "digest_hour": -1 }), "invalid_digest_hour"),
        (json!({ "email_notifications": "never", "time_zone": "Mars/Olympus" }), "invalid_time_zone"),
        (json!({}), "nothing_to_change"),
    ];
    for (body, code) in wrong {
        let answer = app.patch("/api/v1/me/preferences", &admin.token, body.clone()).await;
        assert_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, code);
        let (_, now) = app.get("/api/v1/me/preferences", &admin.token).await;
        assert_eq!(now, defaults, "{body} changed nothing");
    }
    let (status, _) = app.patch("/api/v1/me/preferences", &admin.token, json!({ "digest": 3 })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown field is refused");
    let (status, _) = app.get("/api/v1/me/preferences", "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The settings page's form says what is wrong next to nothing saved.
    let browser = Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get("/settings").await;
    assert!(page.body.contains("Email notifications"), "{}", page.body);
    let csrf = page.csrf();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("email_notifications", "hourly"),
        ("digest_hour", "8"),
        ("time_zone", "Nowhere"),
    ];
    let page = browser.post("/settings/notifications", &form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("is not a time zone"), "{}", page.body);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("email_notifications", "hourly"),
        ("digest_hour", "8"),
        ("time_zone", "Europe/Berlin"),
    ];
    let page = browser.post("/settings/notifications", &form).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, now) = app.get("/api/v1/me/preferences", &admin.token).await;
    assert_eq!(now, json!({ "email_notifications": "hourly", "digest_hour": 8, "time_zone": "Europe/Berlin" }));
}

#[tokio::test]
async fn the_mails_unsubscribe_link_switches_notification_mail_off_in_one_click_and_only_that() {
    let app = spawn_app_with(|s| s.mail.notify_delay = DELAY).await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let m = say(&app, &admin, general, "@bob hello").await;
    assert_eq!(outcome(&app, &bob, m).await, "mailed");
    let link = app.link_in_mail("bob@example.com", "/unsubscribe/").await;
    let path = link.trim_start_matches(&app.state.public_url).to_owned();

    // Following the link (as mail scanners do) changes nothing.
    let page = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    let (_, prefs) = app.get("/api/v1/me/preferences", &bob.token).await;
    assert_eq!(prefs["email_notifications"], "immediately");

    // Tampered, or another kind of signed token: refused.
    let tampered = format!("{}x", path);
    let answer = app.client.post(app.url(&tampered)).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let session = format!("/unsubscribe/{}", bob.token);
    let answer = app.client.post(app.url(&session)).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::NOT_FOUND, "a session token is not an unsubscribe link");
    let (_, prefs) = app.get("/api/v1/me/preferences", &bob.token).await;
    assert_eq!(prefs["email_notifications"], "immediately");

    // A mail client's one-click POST: no cookie, no CSRF token.
    let answer = app
        .client
        .post(app.url(&path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let (_, prefs) = app.get("/api/v1/me/preferences", &bob.token).await;
    assert_eq!(prefs["email_notifications"], "never");
    let later = say(&app, &admin, general, "@bob are you there?").await;
    assert_eq!(outcome(&app, &bob, later).await, "never");
}

#[tokio::test]
async fn a_relay_that_is_down_holds_up_no_post_and_the_mail_goes_once_when_it_is_back_even_after_a_restart() {
    let port = closed_port();
    let mut app = spawn_app_with(|s| {
        s.mail.notify_delay = DELAY;
        s.job_retry_base = Duration::from_millis(200);
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    app.restart_with(|s| s.mail.smtp_url = relay_at(port)).await;
    let general = channel_id(&app, &admin, "general").await;
    let m = say(&app, &admin, general, "@bob the relay is down").await;
    assert_eq!(outcome(&app, &bob, m).await, "mailed", "decided, though not yet sent");
    eventually("a failed attempt at sending", async || {
        let (_, pending) = app.get("/api/v1/admin/jobs?state=pending", &admin.token).await;
        let failing =
            pending["jobs"].as_array().unwrap().iter().find(|j| j["kind"] == "mail" && !j["last_error"].is_null());
        failing.cloned()
    })
    .await;

    app.restart().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the relay's port is free");
    let mut inbox = smtp_sink_on(listener, Relay::Accepting);
    let (to, data) = received(&mut inbox).await;
    assert_eq!(to, ["bob@example.com"]);
    assert!(bodies(&data).0.contains("the relay is down"));
    mail_jobs_done(&app, &admin).await;
    nothing_more(&mut inbox);
}

#[tokio::test]
async fn two_nodes_mail_each_missed_mention_once() {
    if std::env::var("HEARTH_TEST_DATABASE_URL").is_err() {
        eprintln!("two nodes need PostgreSQL: this test runs in .ci/run");
        return;
    }
    let mut a = spawn_app_with(|s| s.mail.notify_delay = DELAY).await;
    let admin = a.admin_with_workspace().await;
    let mut people = Vec::new();
    for name in ["bob", "carol", "dave", "erin", "frank"] {
        people.push(a.join(&admin, "acme", name, "member").await);
    }
    let (port, mut inbox) = smtp_sink(Relay::Accepting).await;
    a.restart_with(|s| s.mail.smtp_url = relay_at(port)).await;
    let b = a.second_node().await;
    let general = channel_id(&a, &admin, "general").await;
    let mut posted = Vec::new();
    for (i, _) in people.iter().enumerate() {
        let node = if i % 2 == 0 { &a } else { &b };
        let names: Vec<String> = ["bob", "carol", "dave", "erin", "frank"].iter().map(|n| format!("@{n}")).collect();
        posted.push(say(node, &admin, general, &format!("round {i}: {}", names.join(" "))).await);
    }
    let mut got: Vec<String> = Vec::new();
    for person in &people {
        for m in &posted {
            assert_eq!(outcome(&a, person, *m).await, "mailed");
        }
    }
    mail_jobs_done(&a, &admin).await;
    while let Ok((to, _)) = inbox.try_recv() {
        got.extend(to);
    }
    got.sort();
    let mut expected: Vec<String> =
        ["bob", "carol", "dave", "erin", "frank"].iter().map(|n| format!("{n}@example.com")).collect();
    expected.sort();
    // Each person's mentions went out in one mail or a few, never the same one twice.
    let mut distinct = got.clone();
    distinct.dedup();
    assert_eq!(distinct, expected, "{got:?}");
    let mailed = a.sql_text("SELECT CAST(COUNT(*) AS TEXT) AS value FROM notifications WHERE outcome = 'mailed'");
    assert_eq!(mailed, "25");
    let jobs = a.sql_text("SELECT CAST(COUNT(*) AS TEXT) AS value FROM jobs WHERE kind = 'mail'");
    assert_eq!(jobs, got.len().to_string(), "one send per mail job");
    drop(b);
}
