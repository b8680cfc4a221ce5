//! The web UI as people use it, in headless Chromium (run with `HEARTH_E2E=1`, as `.ci/run`
//! does): actions where the message is, the composer, navigation by keyboard, the unread
//! line, the phone layout, dark mode, accessibility checked by axe-core, and the pages with
//! scripts turned off. Screenshots of the main views land in the test run's temporary dir.

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::browser::{Browser, click, enabled, script, type_in};
use crate::channels::{channel_id, create_channel};
use crate::helpers::{TestApp, TestUser, eventually, spawn_app};

const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";
const ARROW_UP: &str = "\u{E013}";
const ARROW_DOWN: &str = "\u{E015}";
const CONTROL: &str = "\u{E009}";
const ALT: &str = "\u{E00A}";
const RELEASE: &str = "\u{E000}";

async fn post(app: &TestApp, user: &TestUser, channel: i64, text: &str) -> Value {
    let (status, m) =
        app.post(&format!("/api/v1/channels/{channel}/messages"), &user.token, json!({ "text": text })).await;
    assert!(status.is_success(), "{m}");
    m
}

async fn message(app: &TestApp, user: &TestUser, id: i64) -> Value {
    app.get(&format!("/api/v1/messages/{id}"), &user.token).await.1
}

#[tokio::test]
async fn code_scrolls_inside_its_block_and_a_long_paste_is_refused_with_its_reason_never_cut() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    post(&app, &admin, general, &format!("```\n{}\n```", "x".repeat(300))).await;
    let browser = Browser::live(&app, "admin").await;
    browser.until("the code block", "return !!document.querySelector('.msg-text pre')").await;
    let widths = script(
        &browser,
        "const l = document.querySelector('[data-messages]'), p = document.querySelector('.msg-text pre');\
         return [l.scrollWidth, l.clientWidth, p.scrollWidth, p.clientWidth];",
    )
    .await;
    let w: Vec<i64> = serde_json::from_value(widths).unwrap();
    assert!(w[0] <= w[1], "the message pane does not widen: {w:?}");
    assert!(w[2] > w[3], "the code block scrolls inside itself: {w:?}");

    // 50,000 characters pasted: all kept, a counter says how far over, nothing is sent.
    script(
        &browser,
        "const a = document.querySelector('#composer'); a.focus(); a.value = 'y'.repeat(50000); a.dispatchEvent(new Event('input'));",
    )
    .await;
    browser
        .until("the counter", "return (document.querySelector('[data-counter]')?.textContent ?? '').includes('10,000 characters over the limit of 40,000')")
        .await;
    type_in(&browser, "#composer", ENTER).await;
    assert_eq!(script(&browser, "return document.querySelector('#composer').value.length").await, json!(50_000));
    assert_eq!(
        script(&browser, "return document.querySelector('#composer').getAttribute('aria-invalid')").await,
        json!("true")
    );
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "nothing was posted");
    browser.screenshot("composer-over-the-limit").await;

    // A reply the server refuses (its thread was deleted meanwhile) says why beside it.
    let root = post(&app, &admin, general, "a thread to reply to").await;
    browser.client.goto(&app.url(&format!("/w/acme/c/{general}/t/{}", root["id"]))).await.unwrap();
    browser
        .until("the live thread", "return document.body.dataset.live === '1' && !!document.querySelector('#reply')")
        .await;
    app.delete(&format!("/api/v1/messages/{}", root["id"]), &admin.token).await;
    browser
        .until("the root shown deleted", "return !!document.querySelector('.thread-pane article.msg.deleted')")
        .await;
    type_in(&browser, "#reply", &format!("too late{ENTER}")).await;
    browser
        .until(
            "the reason beside the message",
            "return (document.querySelector('.msg.failed .send-error')?.textContent ?? '').startsWith('Not sent: ')",
        )
        .await;
}

#[tokio::test]
async fn live_messages_are_grouped_with_a_day_divider_and_typing_stops_with_the_message() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::live(&app, "admin").await;
    browser.until("the empty channel", "return !!document.querySelector('.empty-state')").await;
    let mut bob_ws = app.ws(&bob.token, "").await;
    bob_ws.frame().await;
    bob_ws.send(json!({ "type": "typing", "channel_id": general })).await;
    browser
        .until("bob typing", "return document.querySelector('[data-typing]').textContent.includes('bob is typing')")
        .await;
    let first = post(&app, &bob, general, "first, live").await;
    // The message and the end of the typing line come together.
    browser
        .until(
            "bob's message, and no typing line",
            &format!(
                "const m = document.getElementById('m{}'); if (!m) return false;\
                 if (document.querySelector('[data-typing]').textContent !== '') throw new Error('the typing line lingers');\
                 return true;",
                first["id"]
            ),
        )
        .await;
    let second = post(&app, &bob, general, "second, right after").await;
    browser.until("the second message", &format!("return !!document.getElementById('m{}')", second["id"])).await;
    let layout = script(
        &browser,
        &format!(
            "const a = document.getElementById('m{}'), b = document.getElementById('m{}');\
             return [a.previousElementSibling?.className, a.classList.contains('continued'), b.classList.contains('continued'), !!b.querySelector('.msg-head'), !!b.querySelector('.msg-time-hover')];",
            first["id"], second["id"]
        ),
    )
    .await;
    assert_eq!(layout, json!(["day", false, true, false, true]), "a day divider, then one author line for both");
    // A follow-up line is about as tall as Slack's, and screen readers hear what arrived.
    let height = script(
        &browser,
        &format!("return document.getElementById('m{}').getBoundingClientRect().height", second["id"]),
    )
    .await;
    assert!(height.as_f64().unwrap() <= 30.0, "a follow-up line of about 28 px: {height}");
    browser
        .until(
            "the announcement",
            "return document.querySelector('[data-announce]').textContent === 'bob: second, right after'",
        )
        .await;
}

#[tokio::test]
async fn a_direct_message_added_live_shows_presence_and_pills_toggle_and_say_who_reacted() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let m = post(&app, &admin, general, "react to this").await;
    let browser = Browser::live(&app, "admin").await;
    let mut bob_ws = app.ws(&bob.token, "").await;
    bob_ws.frame().await;
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [admin.id] })).await;
    post(&app, &bob, dm["id"].as_i64().unwrap(), "hello there").await;
    browser
        .until(
            "the DM with bob's presence dot, online",
            &format!(
                "return !!document.querySelector('.sidebar .chan.dm .presence.online[data-presence=\"{}\"]')",
                bob.id
            ),
        )
        .await;

    app.post(&format!("/api/v1/messages/{}/reactions", m["id"]), &bob.token, json!({ "emoji": "tada" })).await;
    let pill = format!("#m{} a.reaction[data-emoji=tada]", m["id"]);
    browser.until("bob's reaction", &format!("return !!document.querySelector('{pill}')")).await;
    browser.hover(&pill).await;
    browser
        .until("who reacted", &format!("return document.querySelector('{pill}').title === 'bob reacted with :tada:'"))
        .await;
    click(&browser, &pill).await;
    eventually("my reaction added", async || {
        let r = &message(&app, &admin, m["id"].as_i64().unwrap()).await["reactions"][0];
        (r["count"] == 2).then_some(())
    })
    .await;
    browser
        .until("the pill counts two", &format!("return document.querySelector('{pill} .count').textContent === '2'"))
        .await;
    click(&browser, &pill).await;
    eventually("my reaction removed", async || {
        let r = &message(&app, &admin, m["id"].as_i64().unwrap()).await["reactions"][0];
        (r["count"] == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_toolbar_reacts_edits_in_place_and_deletes_with_a_few_seconds_to_undo() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let keep = post(&app, &admin, general, "a message to keep").await;
    let gone = post(&app, &admin, general, "a message to delete").await;
    let browser = Browser::live(&app, "admin").await;
    let (keep_id, gone_id) = (keep["id"].as_i64().unwrap(), gone["id"].as_i64().unwrap());

    // React from the toolbar.
    browser.hover(&format!("#m{keep_id}")).await;
    browser
        .until("the toolbar", &format!("return !!document.querySelector('#m{keep_id} .msg-actions[role=toolbar]')"))
        .await;
    browser.screenshot("message-toolbar").await;
    click(&browser, &format!("#m{keep_id} button[aria-label='React with :eyes:']")).await;
    browser
        .until("the reaction", &format!("return !!document.querySelector('#m{keep_id} a.reaction[data-emoji=eyes]')"))
        .await;

    // Edit in place: Up in the empty composer edits one's last message; Escape cancels.
    browser.hover(&format!("#m{keep_id}")).await;
    click(&browser, &format!("#m{keep_id} button[aria-label=Edit]")).await;
    browser.until("the edit box", &format!("return !!document.querySelector('#m{keep_id} .edit-box textarea')")).await;
    type_in(&browser, &format!("#m{keep_id} .edit-box textarea"), ESCAPE).await;
    browser.until("the edit cancelled", &format!("return !document.querySelector('#m{keep_id} .edit-box')")).await;
    click(&browser, "#composer").await;
    type_in(&browser, "#composer", ARROW_UP).await;
    browser
        .until(
            "the last message in edit",
            &format!("return !!document.querySelector('#m{gone_id} .edit-box textarea')"),
        )
        .await;
    type_in(&browser, &format!("#m{gone_id} .edit-box textarea"), ESCAPE).await;
    browser.hover(&format!("#m{keep_id}")).await;
    click(&browser, &format!("#m{keep_id} button[aria-label=Edit]")).await;
    browser.until("the edit box", &format!("return !!document.querySelector('#m{keep_id} .edit-box textarea')")).await;
    type_in(&browser, &format!("#m{keep_id} .edit-box textarea"), &format!(", edited{ENTER}")).await;
    browser
        .until("the edited message", &format!("return document.querySelector('#m{keep_id} .msg-text').textContent.includes('a message to keep, edited')"))
        .await;
    assert_eq!(message(&app, &admin, keep_id).await["text"], "a message to keep, edited");

    // Delete asks, then can be undone for a few seconds; undone, nothing is deleted.
    browser.hover(&format!("#m{gone_id}")).await;
    click(&browser, &format!("#m{gone_id} button[aria-label=Delete]")).await;
    browser.until("the confirmation", "return !!document.querySelector('dialog.confirm[open]')").await;
    browser.screenshot("delete-confirmation").await;
    click(&browser, "dialog.confirm button.danger").await;
    browser
        .until(
            "the message hidden and an undo",
            &format!(
                "return document.querySelector('#m{gone_id}').hidden && !!document.querySelector('.toast button')"
            ),
        )
        .await;
    click(&browser, ".toast button").await;
    browser.until("the message back", &format!("return !document.querySelector('#m{gone_id}').hidden")).await;
    assert_eq!(message(&app, &admin, gone_id).await["deleted"], false);
    // Not undone: deleted once the few seconds are over.
    browser.hover(&format!("#m{gone_id}")).await;
    click(&browser, &format!("#m{gone_id} button[aria-label=Delete]")).await;
    click(&browser, "dialog.confirm button.danger").await;
    browser.until("the tombstone", &format!("return !!document.querySelector('#m{gone_id}.deleted')")).await;
    assert_eq!(message(&app, &admin, gone_id).await["deleted"], true);
}

#[tokio::test]
async fn the_composer_picks_emoji_completes_mentions_and_keeps_drafts() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::live(&app, "admin").await;
    assert_eq!(
        script(&browser, "return document.activeElement?.id").await,
        json!("composer"),
        "the composer has the focus"
    );

    click(&browser, ".composer .emoji-button").await;
    browser.until("the picker", "return !!document.querySelector('.picker .picker-emoji')").await;
    browser.screenshot("emoji-picker").await;
    type_in(&browser, ".picker input[type=search]", "tada").await;
    browser.until("the results", "return [...document.querySelectorAll('.picker .picker-emoji')].find(b => b.offsetParent !== null)?.dataset.shortcode === 'tada'").await;
    type_in(&browser, ".picker input[type=search]", ENTER).await;
    browser.until("the emoji in the composer", "return document.querySelector('#composer').value.includes('🎉')").await;

    type_in(&browser, "#composer", " thanks @bo").await;
    browser
        .until(
            "the suggestion",
            "return [...document.querySelectorAll('.suggestions li')].some(l => l.textContent.startsWith('@bob'))",
        )
        .await;
    type_in(&browser, "#composer", ENTER).await;
    browser
        .until("the mention completed", "return document.querySelector('#composer').value.endsWith('thanks @bob ')")
        .await;

    // The draft survives a reload (and the picker's recent emoji come first next time).
    browser.client.refresh().await.unwrap();
    browser.until("the draft back", "return document.querySelector('#composer')?.value === '🎉 thanks @bob '").await;
    click(&browser, ".composer .emoji-button").await;
    browser.until("recent emoji first", "return [...document.querySelectorAll('.picker .picker-emoji')].find(b => b.offsetParent !== null)?.dataset.shortcode === 'tada'").await;
    type_in(&browser, ".picker input[type=search]", ESCAPE).await;
    type_in(&browser, "#composer", ENTER).await;
    eventually("the message posted", async || {
        let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
        (page["messages"][0]["text"] == "🎉 thanks @bob").then_some(())
    })
    .await;
    browser.client.refresh().await.unwrap();
    browser.until("the composer empty after sending", "return document.querySelector('#composer')?.value === ''").await;
}

#[tokio::test]
async fn the_keyboard_jumps_between_conversations_and_the_channel_opens_at_the_unread_line() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let random = create_channel(&app, &admin, "random", false).await;
    for i in 0..30 {
        post(&app, &admin, random, &format!("old news {i}")).await;
    }
    app.post(&format!("/api/v1/channels/{random}/read"), &admin.token, json!({})).await;
    app.post(&format!("/api/v1/channels/{random}/join"), &bob.token, json!({})).await;
    let first_new = post(&app, &bob, random, "this is where you left off").await;
    for i in 0..30 {
        post(&app, &bob, random, &format!("newer {i}")).await;
    }
    let browser = Browser::live(&app, "admin").await;

    // Ctrl+K, a few letters, Enter.
    type_in(&browser, "#composer", &format!("{CONTROL}k{RELEASE}")).await;
    browser.until("the switcher", "return !!document.querySelector('.switcher-dialog input')").await;
    type_in(&browser, ".switcher-dialog input", "rnd").await;
    browser
        .until(
            "random first",
            "return document.querySelector('.switcher-option[aria-selected=true]')?.textContent.includes('random')",
        )
        .await;
    browser.screenshot("quick-switcher").await;
    type_in(&browser, ".switcher-dialog input", ENTER).await;
    browser
        .until(
            "random, open at the unread line",
            &format!("return location.pathname === '/w/acme/c/{random}' && document.body.dataset.live === '1'"),
        )
        .await;
    let placed = script(
        &browser,
        &format!(
            "const l = document.querySelector('[data-messages]'), line = document.querySelector('.unread-line'), m = document.getElementById('m{}');\
             const box = l.getBoundingClientRect(), at = line.getBoundingClientRect();\
             return [line.nextElementSibling === m, at.top >= box.top && at.bottom <= box.bottom];",
            first_new["id"]
        ),
    )
    .await;
    assert_eq!(placed, json!([true, true]), "the line is in view, right before the first unread message");

    // Alt+Up goes to the conversation above; ? lists the shortcuts.
    type_in(&browser, "#composer", &format!("{ALT}{ARROW_UP}{RELEASE}")).await;
    browser.until("general", &format!("return location.pathname === '/w/acme/c/{general}'")).await;
    browser.until("live again", "return document.body.dataset.live === '1'").await;
    type_in(&browser, "#composer", &format!("{ALT}{ARROW_DOWN}{RELEASE}")).await;
    browser.until("random again", &format!("return location.pathname === '/w/acme/c/{random}'")).await;
    browser.until("live again", "return document.body.dataset.live === '1'").await;
    click(&browser, "h1").await;
    type_in(&browser, "body", "?").await;
    browser.until("the shortcuts", "return !!document.querySelector('dialog.shortcuts[open]')").await;
}

#[tokio::test]
async fn a_phone_opens_at_the_newest_message_with_the_composer_on_screen() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let mut newest = Value::Null;
    for i in 0..40 {
        newest =
            post(&app, &admin, general, &format!("message number {i}, long enough to wrap on a narrow phone screen"))
                .await;
    }
    let browser = Browser::start().await;
    browser.phone().await;
    browser.sign_in(&app, "admin").await;
    browser.until("the live channel", "return document.body.dataset.live === '1'").await;
    let shown = script(
        &browser,
        &format!(
            "const c = document.querySelector('#composer').getBoundingClientRect(), m = document.getElementById('m{}').getBoundingClientRect();\
             const side = document.querySelector('.sidebar').getBoundingClientRect();\
             return [innerWidth, c.bottom <= innerHeight && c.top > innerHeight / 2, m.bottom <= c.top + 1 && m.top >= 0, side.right <= 0];",
            newest["id"]
        ),
    )
    .await;
    assert_eq!(shown, json!([390, true, true, true]), "composer at the bottom, newest message above it, sidebar away");
    browser.screenshot("phone-channel-light").await;
    click(&browser, ".skip-nav").await;
    browser
        .until("the sidebar slides over", "return document.querySelector('.sidebar').getBoundingClientRect().left >= 0")
        .await;
    browser.screenshot("phone-sidebar").await;
    browser.color_scheme("dark").await;
    browser.client.goto(&app.url(&format!("/w/acme/c/{general}"))).await.unwrap();
    browser.until("the live channel", "return document.body.dataset.live === '1'").await;
    browser.screenshot("phone-channel-dark").await;
}

#[tokio::test]
async fn dark_mode_follows_the_system_and_can_be_chosen_and_the_main_pages_pass_axe() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let root = post(&app, &bob, general, "Welcome to **hearth**, @admin :wave: — see https://example.com").await;
    app.post(&format!("/api/v1/messages/{}/reactions", root["id"]), &admin.token, json!({ "emoji": "+1" })).await;
    app.post(
        &format!("/api/v1/channels/{general}/messages"),
        &admin.token,
        json!({ "text": "A reply in the thread", "thread_root_id": root["id"] }),
    )
    .await;
    post(&app, &admin, general, "```\nfn main() {}\n```").await;
    let browser = Browser::live(&app, "admin").await;
    let background = "return getComputedStyle(document.documentElement).backgroundColor";
    let light = script(&browser, background).await;
    browser.screenshot("desktop-channel-light").await;
    browser.color_scheme("dark").await;
    browser
        .until(
            "the dark theme",
            &format!("return getComputedStyle(document.documentElement).backgroundColor !== {light}"),
        )
        .await;
    browser.screenshot("desktop-channel-dark").await;
    // Chosen by hand, it stays chosen over the system's setting, across pages.
    click(&browser, ".theme-toggle").await;
    browser.until("light chosen", "return document.documentElement.dataset.theme === 'light'").await;
    browser.client.refresh().await.unwrap();
    browser.until("still light", &format!("return document.documentElement.dataset.theme === 'light' && getComputedStyle(document.documentElement).backgroundColor === {light}")).await;
    script(&browser, "localStorage.removeItem('hearth.theme')").await;

    let pages = [
        format!("/w/acme/c/{general}"),
        format!("/w/acme/c/{general}/t/{}", root["id"]),
        "/w/acme/search?q=hearth".to_owned(),
        "/w/acme/settings".to_owned(),
        "/settings".to_owned(),
        format!("/w/acme/m/{}", root["id"]),
    ];
    let mut found = Vec::new();
    for scheme in ["light", "dark"] {
        browser.color_scheme(scheme).await;
        for path in &pages {
            browser.client.goto(&app.url(path)).await.unwrap();
            browser.until("the page", "return document.readyState === 'complete'").await;
            found.extend(
                browser.accessibility_violations().await.into_iter().map(|v| format!("{path} ({scheme}): {v}")),
            );
        }
    }
    browser.client.goto(&app.url("/w/acme/search?q=hearth")).await.unwrap();
    browser.screenshot("desktop-search-dark").await;
    let signed_out = Browser::start().await;
    for path in ["/login", "/signup"] {
        signed_out.client.goto(&app.url(path)).await.unwrap();
        found.extend(signed_out.accessibility_violations().await.into_iter().map(|v| format!("{path}: {v}")));
    }
    assert!(found.is_empty(), "axe-core's serious and critical findings: {found:#?}");
}

#[tokio::test]
async fn posting_replying_reacting_and_editing_work_with_scripts_off() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::start_with(&["--blink-settings=scriptEnabled=false"]).await;
    browser.sign_in(&app, "admin").await;
    browser.until("the channel view", "return !!document.querySelector('.conversation')").await;
    assert_eq!(script(&browser, "return document.body.dataset.live ?? null").await, Value::Null, "no script ran");
    type_in(&browser, "#composer", "posted with scripts off").await;
    click(&browser, "form.composer button[type=submit]").await;
    browser.until("the message", "return document.body.textContent.includes('posted with scripts off')").await;
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    let id = page["messages"][0]["id"].as_i64().unwrap();

    // Reply: the thread link, the thread's form.
    browser.hover(&format!("#m{id}")).await;
    click(&browser, &format!("#m{id} .msg-actions a[href*='/t/']")).await;
    browser.until("the thread", "return !!document.querySelector('#reply')").await;
    type_in(&browser, "#reply", "a reply without scripts").await;
    click(&browser, ".thread-pane form.composer button[type=submit]").await;
    browser
        .until(
            "the reply",
            "return document.querySelector('.thread-pane').textContent.includes('a reply without scripts')",
        )
        .await;

    // React and edit on the message's own page.
    browser.client.goto(&app.url(&format!("/w/acme/m/{id}"))).await.unwrap();
    click(&browser, "form.quick-reactions button[value='+1']").await;
    browser.until("back in the channel", "return !!document.querySelector('.conversation')").await;
    browser.client.goto(&app.url(&format!("/w/acme/m/{id}"))).await.unwrap();
    let area = browser.client.find(Locator::Css("textarea[name=text]")).await.unwrap();
    area.clear().await.unwrap();
    area.send_keys("edited with scripts off").await.unwrap();
    click(&browser, "form[action$='/edit'] button[type=submit]").await;
    browser.until("the edit shown", "return document.body.textContent.includes('edited with scripts off')").await;
    let m = message(&app, &admin, id).await;
    assert_eq!(
        (m["text"].as_str(), m["reactions"][0]["emoji"].as_str(), m["reply_count"].as_i64()),
        (Some("edited with scripts off"), Some("+1"), Some(1))
    );
    browser.screenshot("no-javascript-channel").await;
}

#[tokio::test]
async fn a_forms_error_is_shown_beside_its_field_and_a_reply_sent_to_the_channel_unticks_the_box() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let root = post(&app, &admin, general, "a thread").await;
    let browser = Browser::live(&app, "admin").await;

    browser.client.goto(&app.url("/w/acme/channels/new")).await.unwrap();
    type_in(&browser, "#name", "bad/name").await;
    click(&browser, "main form button[type=submit]").await;
    browser
        .until(
            "the error beside the name",
            "const f = document.querySelector('#name'), e = f?.nextElementSibling;\
             return !!e && e.classList.contains('field-error') && e.textContent.includes('Channel names can only contain')\
               && f.getAttribute('aria-invalid') === 'true' && document.activeElement === f && !document.querySelector('main > .error');",
        )
        .await;
    browser.screenshot("form-error-beside-its-field").await;

    browser.client.goto(&app.url(&format!("/w/acme/c/{general}/t/{}", root["id"]))).await.unwrap();
    browser
        .until("the live thread", "return document.body.dataset.live === '1' && !!document.querySelector('#reply')")
        .await;
    click(&browser, ".thread-pane input[name=also_send_to_channel]").await;
    type_in(&browser, "#reply", &format!("also in the channel{ENTER}")).await;
    browser
        .until(
            "the reply in the channel, the box unticked",
            "return [...document.querySelectorAll('.conversation article.msg')].some(m => m.textContent.includes('also in the channel'))\
               && !document.querySelector('.thread-pane input[name=also_send_to_channel]').checked",
        )
        .await;
    // The time beside a follow-up message stays on one line.
    let follow = post(&app, &admin, general, "a follow-up").await;
    let css = format!("#m{}", follow["id"]);
    browser.until("the follow-up", &format!("return !!document.querySelector('{css}.continued')")).await;
    browser.hover(&css).await;
    let height = script(
        &browser,
        &format!("return document.querySelector('{css} .msg-time-hover').getBoundingClientRect().height"),
    )
    .await;
    assert!(height.as_f64().unwrap() < 22.0, "one line: {height}");
}
