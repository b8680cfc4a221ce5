//! The live web UI in headless Chromium (Debian's chromium and chromium-driver). These run
//! when `HEARTH_E2E=1`, as `.ci/run` sets; plain `cargo test` skips them.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::channels::channel_id;
use crate::helpers::{PASSWORD, TestApp, spawn_app};

pub(crate) fn enabled() -> bool {
    if std::env::var("HEARTH_E2E").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("browser tests run with HEARTH_E2E=1 (.ci/run)");
    false
}

/// Chromium driven through chromedriver, in its own process group so that nothing outlives
/// the test.
pub(crate) struct Browser {
    pub(crate) client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        Browser::start_with(&[]).await
    }

    /// A browser with extra Chromium flags (`--blink-settings=scriptEnabled=false`).
    pub(crate) async fn start_with(extra: &[&str]) -> Browser {
        let mut driver = Command::new("chromedriver")
            .args(["--port=0", "--log-level=WARNING"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver runs (apt-get install chromium-driver)");
        let stdout = driver.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line.split("started successfully on port ").nth(1) {
                    let _ = tx.send(port.trim().trim_end_matches('.').to_owned());
                }
            }
        });
        let port = rx.recv_timeout(Duration::from_secs(10)).expect("chromedriver says its port");
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--window-size=1280,800",
            // A microphone that plays a tone, granted without asking.
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), json!({ "binary": "/usr/bin/chromium", "args": args }));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a browser session");
        Browser { client, driver, _profile: profile }
    }

    pub(crate) async fn sign_in(&self, app: &TestApp, login: &str) {
        let c = &self.client;
        c.goto(&app.url("/login")).await.unwrap();
        c.find(Locator::Css("#login")).await.unwrap().send_keys(login).await.unwrap();
        c.find(Locator::Css("#password")).await.unwrap().send_keys(PASSWORD).await.unwrap();
        c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
    }

    /// A browser signed in as `login`, its page live (connected over the WebSocket).
    pub(crate) async fn live(app: &TestApp, login: &str) -> Browser {
        let browser = Browser::start().await;
        browser.sign_in(app, login).await;
        browser.until("the live connection", "return document.body.dataset.live === '1'").await;
        browser
    }

    /// Waits (at most 10 s) until a script returns true.
    pub(crate) async fn until(&self, what: &str, script: &str) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.client.execute(script, vec![]).await.unwrap();
            if v == json!(true) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }
}

/// A DevTools command through chromedriver (`Emulation.setDeviceMetricsOverride`, …).
#[derive(Debug)]
struct Cdp(&'static str, serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

impl Browser {
    /// Runs a DevTools command in this browser.
    pub(crate) async fn cdp(&self, cmd: &'static str, params: serde_json::Value) {
        self.client.issue_cmd(Cdp(cmd, params)).await.unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    /// A phone: 390 × 844 CSS pixels, touch, at three device pixels per pixel.
    pub(crate) async fn phone(&self) {
        let metrics = json!({ "width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics).await;
        self.cdp("Emulation.setTouchEmulationEnabled", json!({ "enabled": true, "maxTouchPoints": 5 })).await;
    }

    /// The system's colour scheme as the page sees it: `light` or `dark`.
    pub(crate) async fn color_scheme(&self, scheme: &str) {
        let features = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
        self.cdp("Emulation.setEmulatedMedia", features).await;
    }

    /// axe-core's serious and critical violations on the page as it is (WCAG 2.1 A and AA),
    /// as `rule: what (where)` lines. axe-core comes from npm (`tests/e2e-assets`), injected
    /// by the test, never shipped.
    pub(crate) async fn accessibility_violations(&self) -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e-assets/node_modules/axe-core/axe.min.js");
        let axe = std::fs::read_to_string(path).expect("axe-core is installed (npm ci --prefix tests/e2e-assets)");
        self.client.execute(&axe, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })\
                   .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')\
                     .map(v => `${v.id}: ${v.help} (${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')})`)))\
                   .catch(e => done([`axe failed: ${e}`]));",
                vec![],
            )
            .await
            .unwrap();
        serde_json::from_value(found).unwrap()
    }

    /// Points at an element with the mouse (scrolled into view first).
    pub(crate) async fn hover(&self, css: &str) {
        use fantoccini::actions::{InputSource, MouseActions, PointerAction};
        let el = self.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
        self.client
            .execute("arguments[0].scrollIntoView({ block: 'center' })", vec![serde_json::to_value(&el).unwrap()])
            .await
            .unwrap();
        let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: el,
            duration: None,
            x: 0.0,
            y: 0.0,
        });
        self.client.perform_actions(mouse).await.unwrap();
    }
}

/// Types keys into the element a selector finds.
pub(crate) async fn type_in(browser: &Browser, css: &str, keys: &str) {
    let el = browser.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.send_keys(keys).await.unwrap();
}

/// Clicks the element a selector finds.
pub(crate) async fn click(browser: &Browser, css: &str) {
    let el = browser.client.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}"));
    el.click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// What a script returns in the page.
pub(crate) async fn script(browser: &Browser, js: &str) -> serde_json::Value {
    browser.client.execute(js, vec![]).await.unwrap()
}

impl Drop for Browser {
    fn drop(&mut self) {
        // SAFETY: killpg only sends a signal to the driver's own process group.
        #[allow(unsafe_code, reason = "libc has no safe killpg")]
        unsafe {
            libc::killpg(self.driver.id() as i32, libc::SIGKILL);
        }
        let _ = self.driver.wait();
    }
}

#[tokio::test]
async fn messages_appear_live_and_post_without_a_reload() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::start().await;
    browser.sign_in(&app, "admin").await;
    browser.until("the channel view", "return !!document.querySelector('.conversation')").await;
    browser.until("the live connection", "return document.body.dataset.live === '1'").await;
    browser.client.execute("window.__sameDocument = true", vec![]).await.unwrap();

    // Someone else posts: it appears without a reload.
    app.post(&format!("/api/v1/channels/{general}/messages"), &bob.token, json!({ "text": "hello from **bob**" }))
        .await;
    browser
        .until("bob's message", "return [...document.querySelectorAll('article.msg')].some(m => m.innerHTML.includes('<strong>bob</strong>'))")
        .await;

    // Typing shows, then the composer posts optimistically and the event reconciles it.
    let mut bob_ws = app.ws(&bob.token, "").await;
    bob_ws.frame().await;
    bob_ws.send(json!({ "type": "typing", "channel_id": general })).await;
    browser
        .until(
            "the typing line",
            "return document.querySelector('[data-typing]').textContent.includes('bob is typing')",
        )
        .await;
    let composer = browser.client.find(Locator::Css("#composer")).await.unwrap();
    composer.send_keys("sent from the browser").await.unwrap();
    composer.send_keys("\u{E007}").await.unwrap();
    browser
        .until(
            "the posted message, reconciled",
            "const ms = [...document.querySelectorAll('article.msg')].filter(m => m.textContent.includes('sent from the browser'));\
             return ms.length === 1 && !ms[0].classList.contains('pending') && !!ms[0].dataset.id && !!ms[0].querySelector('.msg-head, .msg-time-hover');",
        )
        .await;
    let still_same = browser.client.execute("return window.__sameDocument === true", vec![]).await.unwrap();
    assert_eq!(still_same, json!(true), "no page reload happened");
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    let count = page["messages"].as_array().unwrap().iter().filter(|m| m["text"] == "sent from the browser").count();
    assert_eq!(count, 1, "posted once");

    // A mention elsewhere raises the sidebar badge.
    let (_, other) = app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [admin.id] })).await;
    app.post(&format!("/api/v1/channels/{}/messages", other["id"]), &bob.token, json!({ "text": "psst @admin" })).await;
    browser
        .until("a new direct message in the sidebar", "return !!document.querySelector('.sidebar .badge-count') || !!document.querySelector('.sidebar .chan.unread')")
        .await;
    browser.screenshot("live-channel").await;
}

#[tokio::test]
async fn the_pages_work_without_javascript() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::start().await;
    // Turn scripts off for this session through the DevTools protocol is not needed: the
    // form works the same; post through it and follow the redirect.
    browser.sign_in(&app, "admin").await;
    browser.until("the channel view", "return !!document.querySelector('.conversation')").await;
    let form = browser.client.form(Locator::Css("form.composer")).await.unwrap();
    form.set_by_name("text", "posted by the plain form").await.unwrap();
    browser.client.execute("document.querySelector('form.composer').submit()", vec![]).await.unwrap();
    browser
        .until(
            "the message after the redirect",
            "return document.body.textContent.includes('posted by the plain form')",
        )
        .await;
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(page["messages"][0]["text"], "posted by the plain form");
}

#[tokio::test]
async fn an_attached_picture_uploads_with_progress_and_its_thumbnail_appears_live_elsewhere() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.join(&admin, "acme", "bob", "member").await;
    let (sender, watcher) = (Browser::live(&app, "admin").await, Browser::live(&app, "bob").await);
    sender
        .until(
            "the attach button, with the plain form hidden",
            "return !!document.querySelector('.attach-button') && document.querySelector('form.attach').hidden",
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whiteboard.png");
    std::fs::write(&path, crate::pictures::picture(1600, 1200, image::ImageFormat::Png)).unwrap();
    let picker = sender.client.find(Locator::Css("input[type=file][data-attach]")).await.unwrap();
    picker.send_keys(&path.display().to_string()).await.unwrap();
    sender
        .until("the file in the tray", "return [...document.querySelectorAll('[data-uploads] .upload')].some(u => u.textContent.includes('whiteboard.png'))")
        .await;
    // A file put in by mistake is taken out again with its ×.
    let mistake = dir.path().join("mistake.txt");
    std::fs::write(&mistake, "not this one").unwrap();
    let picker = sender.client.find(Locator::Css("input[type=file][data-attach]")).await.unwrap();
    picker.send_keys(&mistake.display().to_string()).await.unwrap();
    sender
        .until("two files in the tray", "return document.querySelectorAll('[data-uploads] .upload').length === 2")
        .await;
    sender
        .client
        .find(Locator::Css("[data-uploads] .upload:last-child .upload-cancel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sender
        .until("one file left in the tray", "return document.querySelectorAll('[data-uploads] .upload').length === 1")
        .await;
    let composer = sender.client.find(Locator::Css("#composer")).await.unwrap();
    composer.send_keys("the plan").await.unwrap();
    composer.send_keys("\u{E007}").await.unwrap();
    let shown = "const m = [...document.querySelectorAll('article.msg')].find(m => m.textContent.includes('the plan'));\
                 const img = m && m.querySelector('img[src$=\"/whiteboard.png/thumbnail\"]');\
                 return !!img && img.getAttribute('width') === '360' && img.complete && img.naturalWidth === 720;";
    watcher.until("the thumbnail, live in another browser", shown).await;
    sender.until("the thumbnail in the sender's own view", shown).await;
    sender.until("the tray emptied", "return document.querySelector('[data-uploads]').hidden").await;
    watcher.screenshot("live-thumbnail").await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    let names: Vec<&str> =
        history["messages"][0]["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["whiteboard.png"], "the file taken out was not sent");
}

#[tokio::test]
async fn a_voice_message_is_recorded_sent_and_played_inline() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::live(&app, "admin").await;
    let record = browser.client.find(Locator::Css("button.record")).await.unwrap();
    record.click().await.unwrap();
    browser
        .until("recording, with the time shown", "const b = document.querySelector('button.record'); return b.classList.contains('recording') && b.textContent.includes('0:0')")
        .await;
    record.click().await.unwrap();
    browser
        .until("the recording in the tray", "return [...document.querySelectorAll('[data-uploads] .upload')].some(u => /voice-message-.*\\.weba/.test(u.textContent))")
        .await;
    let composer = browser.client.find(Locator::Css("#composer")).await.unwrap();
    composer.send_keys("\u{E007}").await.unwrap();
    browser
        .until(
            "the voice message, playable",
            "return !!document.querySelector('article.msg li.file-audio audio[src*=\"voice-message-\"]')",
        )
        .await;
    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    let file = &history["messages"][0]["files"][0];
    assert_eq!(file["content_type"], "audio/webm", "{file}");
    assert!(file["size"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn the_search_box_suggests_as_you_type_and_ctrl_g_focuses_it() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, posted) = app
        .post(
            &format!("/api/v1/channels/{general}/messages"),
            &admin.token,
            json!({ "text": "the deployment went out" }),
        )
        .await;
    let browser = Browser::live(&app, "admin").await;
    // The message is in the index once the results page finds it.
    let (_, found) = app.get("/api/v1/workspaces/acme/search?q=deployment", &admin.token).await;
    assert_eq!(found["results"][0]["message"]["id"], posted["id"], "indexed before the test types");

    let body = browser.client.find(Locator::Css("body")).await.unwrap();
    body.send_keys("\u{E009}g").await.unwrap();
    browser
        .until(
            "Ctrl+G focusing the search box",
            "return document.activeElement === document.querySelector('[data-search]')",
        )
        .await;
    let box_ = browser.client.find(Locator::Css("[data-search]")).await.unwrap();
    box_.send_keys("gen").await.unwrap();
    browser
        .until("#general suggested", "const p = document.querySelector('[data-suggest]'); return !p.hidden && p.textContent.includes('#general')")
        .await;
    box_.clear().await.unwrap();
    box_.send_keys("deploym").await.unwrap();
    browser
        .until(
            "the message suggested, its prefix marked",
            "const p = document.querySelector('[data-suggest]'); return !p.hidden && [...p.querySelectorAll('a')].some(a => a.querySelector('mark') && a.textContent.includes('went out'))",
        )
        .await;
    box_.send_keys("\u{E015}").await.unwrap(); // arrow down: the first suggestion
    box_.send_keys("\u{E007}").await.unwrap();
    browser
        .until(
            "the message opened in its conversation",
            &format!("return location.pathname === '/w/acme/c/{general}/m/{}'", posted["id"]),
        )
        .await;
}

#[tokio::test]
async fn slash_commands_complete_as_typed_and_answer_only_their_caller() {
    if !enabled() {
        return;
    }
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let browser = Browser::live(&app, "admin").await;
    browser.until("the channel view", "return !!document.querySelector('.conversation')").await;
    let composer = browser.client.find(Locator::Css("#composer")).await.unwrap();

    // Commands are offered with their usage as one types, and Enter takes the one chosen.
    composer.send_keys("/hel").await.unwrap();
    browser
        .until("/help offered", "const s = document.querySelector('.suggestions'); return !!s && !s.hidden && s.textContent.includes('/help')")
        .await;
    composer.send_keys("\u{E007}").await.unwrap();
    browser.until("the command completed", "return document.querySelector('#composer').value === '/help '").await;
    composer.send_keys("\u{E007}").await.unwrap();
    browser
        .until(
            "the answer shown to its caller alone",
            "return [...document.querySelectorAll('.msg.ephemeral')].some(e => e.textContent.includes('Only visible to you') && e.textContent.includes('/remind'))",
        )
        .await;
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert!(
        page["messages"].as_array().unwrap().iter().all(|m| !m["text"].as_str().unwrap().contains("/remind")),
        "never stored"
    );

    // People after @, picked with Tab.
    composer.send_keys("thanks @adm").await.unwrap();
    browser
        .until(
            "@admin offered",
            "const s = document.querySelector('.suggestions'); return !s.hidden && s.textContent.includes('@admin')",
        )
        .await;
    composer.send_keys("\u{E004}").await.unwrap();
    browser.until("the name completed", "return document.querySelector('#composer').value === 'thanks @admin '").await;
    browser.screenshot("slash-commands").await;
}
