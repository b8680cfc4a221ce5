//! People, search and history in headless Chromium (`HEARTH_E2E=1`): pictures and cards,
//! `:emoji:` completion, the search box leading to the highlighted message, and older
//! history loaded as one scrolls up without losing one's place.

use fantoccini::Locator;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::browser::{Browser, enabled, script};
use crate::channels::channel_id;
use crate::helpers::spawn_app;
use crate::pictures::png;

const ENTER: &str = "\u{E007}";

#[tokio::test]
async fn pictures_statuses_and_local_times_show_where_people_are_named() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    app.patch("/api/v1/me/preferences", &admin.token, json!({ "time_zone": "Asia/Tokyo" })).await;
    app.patch(
        "/api/v1/me",
        &admin.token,
        json!({ "title": "Site reliability", "status": { "emoji": "palm_tree", "text": "On holiday" } }),
    )
    .await;
    let form = Form::new().part("file", Part::bytes(png(400, 300)).file_name("me.png"));
    let res =
        app.client.put(app.url("/api/v1/me/avatar")).bearer_auth(&admin.token).multipart(form).send().await.unwrap();
    assert!(res.status().is_success());
    let (_, m) = app
        .post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "back on Monday" }))
        .await;

    let browser = Browser::live(&app, "bob").await;
    let article = format!("#m{}", m["id"]);
    browser
        .until(
            "the picture, loaded",
            &format!("const i = document.querySelector('{article} img.avatar'); return !!i && i.complete && i.naturalWidth === 256;"),
        )
        .await;
    assert_eq!(
        script(&browser, &format!("return document.querySelector('{article} .msg-status').title")).await,
        json!("On holiday")
    );
    browser.hover(&format!("{article} .msg-author")).await;
    browser
        .until("title and local time", &format!("return document.querySelector('{article} .msg-author').title.startsWith('Site reliability · ') && document.querySelector('{article} .msg-author').title.endsWith('local time')"))
        .await;
    browser.client.find(Locator::Css(&format!("{article} .msg-author"))).await.unwrap().click().await.unwrap();
    browser
        .until("the card", "const c = document.querySelector('.profile-card'); return !!c && c.textContent.includes('On holiday') && c.textContent.includes('(Asia/Tokyo)');")
        .await;
    browser.screenshot("profile-card").await;

    // :emoji: completes as typed.
    let composer = browser.client.find(Locator::Css("#composer")).await.unwrap();
    composer.send_keys("nice :tad").await.unwrap();
    browser
        .until(
            "the emoji suggestion",
            "return [...document.querySelectorAll('.suggestions li')].some(l => l.textContent.includes(':tada:'))",
        )
        .await;
    composer.send_keys(ENTER).await.unwrap();
    browser
        .until("the shortcode completed", "return document.querySelector('#composer').value === 'nice :tada: '")
        .await;
}

#[tokio::test]
async fn the_search_box_leads_to_the_message_highlighted_and_older_history_loads_in_place() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let path = format!("/api/v1/channels/{general}/messages");
    let (_, needle) = app.post(&path, &admin.token, json!({ "text": "the quarterly zeppelin budget" })).await;
    for i in 0..160 {
        app.post(&path, &admin.token, json!({ "text": format!("filler message {i}") })).await;
    }
    let browser = Browser::live(&app, "admin").await;

    // Older history: scrolled to the top, the next page comes in above, and what was at the
    // top stays where it was on the screen.
    let before = script(&browser, "return document.querySelectorAll('[data-messages] article.msg').length")
        .await
        .as_i64()
        .unwrap();
    let first = script(&browser, "return document.querySelector('[data-messages] article.msg').id").await;
    let first = first.as_str().unwrap().to_owned();
    script(&browser, "document.querySelector('[data-messages]').scrollTop = 0").await;
    browser
        .until(
            "older messages above",
            &format!("return document.querySelectorAll('[data-messages] article.msg').length > {before}"),
        )
        .await;
    let place = script(
        &browser,
        &format!("const l = document.querySelector('[data-messages]'), m = document.getElementById('{first}'); return m.getBoundingClientRect().top - l.getBoundingClientRect().top;"),
    )
    .await;
    assert!(place.as_f64().unwrap() > 0.0, "the old first message was pushed down, not jumped past: {place}");
    let ids: Vec<i64> = serde_json::from_value(
        script(
            &browser,
            "return [...document.querySelectorAll('[data-messages] article.msg')].map(a => Number(a.dataset.id))",
        )
        .await,
    )
    .unwrap();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "in order, none twice");

    // The search box: a few letters, the message among the suggestions, Enter on it.
    let search = browser.client.find(Locator::Css("[data-search]")).await.unwrap();
    search.send_keys("zeppel").await.unwrap();
    browser
        .until(
            "the message suggested",
            "return [...document.querySelectorAll('[data-suggest] a')].some(a => a.textContent.includes('zeppelin'))",
        )
        .await;
    let index = script(
        &browser,
        "return [...document.querySelectorAll('[data-suggest] a')].findIndex(a => a.textContent.includes('zeppelin'))",
    )
    .await;
    for _ in 0..=index.as_i64().unwrap() {
        search.send_keys("\u{E015}").await.unwrap();
    }
    search.send_keys(ENTER).await.unwrap();
    let target = format!("m{}", needle["id"]);
    browser
        .until(
            "the message, highlighted and in view",
            &format!(
                "const m = document.getElementById('{target}'); if (!m || document.body.dataset.live !== '1') return false;\
                 const r = m.getBoundingClientRect(), l = document.querySelector('[data-messages]').getBoundingClientRect();\
                 return (m.matches(':target') || m.classList.contains('focused')) && r.top >= l.top && r.bottom <= l.bottom;"
            ),
        )
        .await;
    browser.screenshot("search-to-message").await;
}

#[tokio::test]
async fn a_pending_invitation_shows_when_it_expires_as_a_date_and_a_time_and_the_browser_tells_its_time_zone() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (status, _) =
        app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "newcomer@example.com" })).await;
    assert!(status.is_success());
    // A browser in Berlin tells an account that has no time zone but the default its own.
    let browser = Browser::start().await;
    browser.cdp("Emulation.setTimezoneOverride", json!({ "timezoneId": "Europe/Berlin" })).await;
    browser.sign_in(&app, "admin").await;
    browser.until("the live connection", "return document.body.dataset.live === '1'").await;
    crate::helpers::eventually("the time zone told", async || {
        (app.get("/api/v1/me/preferences", &admin.token).await.1["time_zone"] == "Europe/Berlin").then_some(())
    })
    .await;
    browser.client.goto(&app.url("/w/acme/settings")).await.unwrap();
    browser.until("the members page", "return !!document.querySelector('time[data-format=datetime]')").await;
    let shown = script(
        &browser,
        "const t = document.querySelector('time[data-format=datetime]'), when = new Date(t.getAttribute('datetime'));\
         return [t.textContent, new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(when), String(when.getFullYear())];",
    )
    .await;
    let shown: Vec<String> = serde_json::from_value(shown).unwrap();
    assert_eq!(shown[0], shown[1], "the date and the time, in the reader's zone");
    assert!(shown[0].contains(&shown[2]) && shown[0] != "12:00 AM", "{shown:?}");
}
