//! Replies by email: talking SMTP to hearth's inbound listener as a relay would, a reply
//! to a notification's address is posted in the thread as its sender; anything refused is
//! answered by a bounce-style mail, or at `RCPT` for addresses hearth did not sign.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::channels::create_channel;
use crate::helpers::{TestApp, TestUser, eventually, spawn_app_with};

const DOMAIN: &str = "reply.example.test";

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.mail.notify_delay = Duration::from_millis(200);
        s.mail.reply_domain = Some(DOMAIN.to_owned());
        s.mail.inbound_smtp = Some("127.0.0.1:0".to_owned());
    })
    .await
}

/// A team with bob in #ops, and a message there mentioning him.
async fn team(app: &TestApp) -> (TestUser, TestUser, i64, i64) {
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let ops = create_channel(app, &admin, "ops", false).await;
    let (status, body) =
        app.post(&format!("/api/v1/channels/{ops}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    assert!(status.is_success(), "{body}");
    let (status, m) = app
        .post(&format!("/api/v1/channels/{ops}/messages"), &admin.token, json!({ "text": "@bob can you look?" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    (admin, bob, ops, m["id"].as_i64().unwrap())
}

/// The reply address in bob's notification mail.
async fn reply_address(app: &TestApp) -> String {
    eventually("a notification with a reply address", async || {
        app.mails().into_iter().filter(|m| m.to == "bob@example.com").find_map(|m| {
            let start = m.text.find("reply+")?;
            let rest = &m.text[start..];
            let end = rest.find(DOMAIN)? + DOMAIN.len();
            Some(rest[..end].to_owned())
        })
    })
    .await
}

/// An SMTP client: the replies to each step, as `code text` lines (the last line of each).
struct Smtp {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Smtp {
    async fn connect(app: &TestApp) -> (Smtp, String) {
        let port = app.inbound_port.expect("the inbound listener runs");
        let (read, writer) = TcpStream::connect(("127.0.0.1", port)).await.unwrap().into_split();
        let mut smtp = Smtp { reader: BufReader::new(read), writer };
        let greeting = smtp.reply().await;
        (smtp, greeting)
    }

    async fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
                .await
                .expect("an answer within 10 s")
                .unwrap();
            assert!(n > 0, "the listener closed the connection");
            // `250-…` lines continue a reply; `250 …` ends it.
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }

    async fn command(&mut self, line: &str) -> String {
        self.writer.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        self.reply().await
    }

    /// One message: the answer to each `RCPT`, then to the end of the data (if any
    /// recipient was taken).
    async fn send(&mut self, from: &str, to: &[&str], data: &str) -> (Vec<String>, Option<String>) {
        assert!(self.command(&format!("MAIL FROM:<{from}>")).await.starts_with("250"));
        let mut rcpts = Vec::new();
        for t in to {
            rcpts.push(self.command(&format!("RCPT TO:<{t}>")).await);
        }
        if !rcpts.iter().any(|r| r.starts_with("250")) {
            assert!(self.command("RSET").await.starts_with("250"));
            return (rcpts, None);
        }
        assert!(self.command("DATA").await.starts_with("354"));
        let mut body = String::new();
        for line in data.replace("\r\n", "\n").split('\n') {
            if line.starts_with('.') {
                body.push('.');
            }
            body.push_str(line);
            body.push_str("\r\n");
        }
        body.push_str(".\r\n");
        self.writer.write_all(body.as_bytes()).await.unwrap();
        (rcpts, Some(self.reply().await))
    }
}

/// Sends one message in a session of its own; the answer to the end of its data.
async fn deliver(app: &TestApp, from: &str, to: &str, data: &str) -> String {
    let (mut smtp, greeting) = Smtp::connect(app).await;
    assert!(greeting.starts_with("220"), "{greeting}");
    assert!(smtp.command("EHLO relay.example.com").await.starts_with("250"));
    let (rcpts, end) = smtp.send(from, &[to], data).await;
    assert!(rcpts[0].starts_with("250"), "{rcpts:?}");
    smtp.command("QUIT").await;
    end.expect("the data was sent")
}

fn plain(from: &str, to: &str, id: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\nSubject: Re: admin mentioned you in #ops\nMessage-ID: <{id}@mail.example.com>\nDate: Thu, 3 Dec 2026 15:10:00 +0000\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}"
    )
}

async fn thread_texts(app: &TestApp, user: &TestUser, root: i64) -> Vec<(i64, String)> {
    let (status, thread) = app.get(&format!("/api/v1/messages/{root}/thread"), &user.token).await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    thread["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r: &Value| (r["user"]["id"].as_i64().unwrap(), r["text"].as_str().unwrap().to_owned()))
        .collect()
}

/// A reply address the server itself signs, for cases a notification does not give (an
/// expired one).
fn address(app: &TestApp, user: i64, channel: i64, root: Option<i64>, until_day: i64) -> String {
    let to = hearth::domain::replies::ReplyTo { user_id: user, channel_id: channel, thread_root_id: root, until_day };
    format!("reply+{}@{DOMAIN}", to.token(|p| app.state.keys.reply_address_mac(p)))
}

fn bounces_to(app: &TestApp, to: &str) -> Vec<String> {
    app.mails()
        .into_iter()
        .filter(|m| m.to == to && m.subject.starts_with("Your reply was not posted"))
        .map(|m| m.subject)
        .collect()
}

#[tokio::test]
async fn a_reply_to_a_notification_is_posted_in_the_thread_as_its_sender_once() {
    let app = app().await;
    let (admin, bob, _, mention) = team(&app).await;
    let to = reply_address(&app).await;
    let gmail =
        "Sure, on it.\n\nOn Thu, Dec 3, 2026 at 3:04 PM hearth <hearth@localhost>\nwrote:\n\n> @bob can you look?\n";
    let end = deliver(&app, "bob@example.com", &to, &plain("Bob <bob@example.com>", &to, "r1", gmail)).await;
    assert!(end.starts_with("250"), "{end}");
    assert_eq!(thread_texts(&app, &admin, mention).await, [(bob.id, "Sure, on it.".to_owned())]);

    // The relay delivering the same mail again posts nothing more.
    let end = deliver(&app, "bob@example.com", &to, &plain("bob@example.com", &to, "r1", gmail)).await;
    assert!(end.starts_with("250"), "{end}");
    assert_eq!(thread_texts(&app, &admin, mention).await.len(), 1);

    // An HTML-only reply (Outlook) is read as text, without the quoted notification.
    let html = format!(
        "From: bob@example.com\nTo: {to}\nSubject: RE: admin mentioned you in #ops\nMessage-ID: <r2@mail.example.com>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p {{margin:0}}</style></head><body><p>Done &amp; <b>deployed</b>.</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> hearth</div><p>@bob can you look?</p></body></html>"
    );
    let end = deliver(&app, "bob@example.com", &to, &html).await;
    assert!(end.starts_with("250"), "{end}");
    let texts = thread_texts(&app, &admin, mention).await;
    assert_eq!(texts.last().unwrap(), &(bob.id, "Done & deployed.".to_owned()), "{texts:?}");

    // Apple Mail's multipart answer: the plain part, without the phone's footer.
    let apple = format!(
        "From: bob@example.com\nTo: {to}\nSubject: Re: x\nMessage-ID: <r3@mail.example.com>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\nLooks good\n\nSent from my iPhone\n\n> On Dec 3, 2026, at 15:04, hearth <hearth@localhost> wrote:\n>\n> @bob can you look?\n--b1\nContent-Type: text/html; charset=utf-8\n\n<div>Looks good</div>\n--b1--\n"
    );
    let end = deliver(&app, "bob@example.com", &to, &apple).await;
    assert!(end.starts_with("250"), "{end}");
    assert_eq!(thread_texts(&app, &admin, mention).await.last().unwrap(), &(bob.id, "Looks good".to_owned()));

    // Attachments are shared as files of the reply; a picture the HTML shows inline is not.
    let with_files = format!(
        "From: bob@example.com\nTo: {to}\nSubject: Re: x\nMessage-ID: <r4@mail.example.com>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m1\"\n\n--m1\nContent-Type: multipart/related; boundary=\"r1\"\n\n--r1\nContent-Type: text/html; charset=utf-8\n\n<p>The notes, attached.</p><img src=\"cid:logo@x\">\n--r1\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--r1--\n--m1\nContent-Type: text/plain; name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\nContent-Transfer-Encoding: base64\n\ncmVsZWFzZSBub3Rlcw==\n--m1--\n"
    );
    let end = deliver(&app, "bob@example.com", &to, &with_files).await;
    assert!(end.starts_with("250"), "{end}");
    let (_, thread) = app.get(&format!("/api/v1/messages/{mention}/thread"), &admin.token).await;
    let last = thread["replies"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["text"], "The notes, attached.", "{last}");
    let files = last["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{last}");
    assert_eq!(files[0]["name"], "notes.txt");
    let url = files[0]["url"].as_str().unwrap();
    let got = app.client.get(app.url(url)).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.text().await.unwrap(), "release notes");
    assert!(bounces_to(&app, "bob@example.com").is_empty());
}

#[tokio::test]
async fn a_refused_reply_is_answered_with_the_reason_and_posts_nothing() {
    let app = app().await;
    let (admin, bob, ops, mention) = team(&app).await;
    let to = reply_address(&app).await;

    // From someone else (a forwarded notification): bob is told, never the sender.
    let end = deliver(&app, "mallory@example.com", &to, &plain("mallory@example.com", &to, "w1", "me too")).await;
    assert!(end.starts_with("250"), "{end}");

    // Nothing but quoted text.
    let quoted = "\n\nOn Thu, Dec 3, 2026 at 3:04 PM hearth wrote:\n> @bob can you look?\n-- \nBob";
    deliver(&app, "bob@example.com", &to, &plain("bob@example.com", &to, "e1", quoted)).await;
    // The relay's SPF verdict (on top) says the sender is forged; the pass further down
    // was written by the sender.
    let forged = format!(
        "Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=bob@example.com\nAuthentication-Results: mx.example.test; dkim=pass header.d=example.com\n{}",
        plain("bob@example.com", &to, "f1", "trust me")
    );
    deliver(&app, "bob@example.com", &to, &forged).await;
    // An address past its day.
    let today = chrono::Utc::now().timestamp().div_euclid(86_400);
    let expired = address(&app, bob.id, ops, Some(mention), today - 1);
    deliver(&app, "bob@example.com", &expired, &plain("bob@example.com", &expired, "x1", "late answer")).await;
    // Bob is removed from the channel.
    let (status, body) = app.delete(&format!("/api/v1/channels/{ops}/members/{}", bob.id), &admin.token).await;
    assert!(status.is_success(), "{body}");
    deliver(&app, "bob@example.com", &to, &plain("bob@example.com", &to, "m1", "still here?")).await;

    let mut bounces =
        eventually("five bounces to bob", async || Some(bounces_to(&app, "bob@example.com")).filter(|b| b.len() >= 5))
            .await;
    bounces.sort();
    assert_eq!(
        bounces,
        [
            "Your reply was not posted: it was sent from another address than yours",
            "Your reply was not posted: the reply address has expired",
            "Your reply was not posted: the sender's address could not be verified",
            "Your reply was not posted: there was no text to post",
            "Your reply was not posted: you are no longer in that conversation",
        ]
    );
    assert!(bounces_to(&app, "mallory@example.com").is_empty(), "refusals never go to the From");
    let mail = app.mails().into_iter().find(|m| m.subject.ends_with("has expired")).unwrap();
    assert!(mail.text.contains("Reply addresses work for 30 days"), "{}", mail.text);
    assert!(thread_texts(&app, &admin, mention).await.is_empty(), "nothing posted");

    // An automatic answer (an out-of-office) is never answered back.
    let ooo = format!("Auto-Submitted: auto-replied\n{}", plain("ooo@example.com", &to, "o1", "I am away"));
    let end = deliver(&app, "ooo@example.com", &to, &ooo).await;
    assert!(end.starts_with("250"), "{end}");
    let queued =
        app.sql_text("SELECT CAST(COUNT(*) AS TEXT) AS value FROM jobs WHERE payload LIKE '%ooo@example.com%'");
    assert_eq!(queued, "0", "no mail to an automatic sender");
}

#[tokio::test]
async fn addresses_hearth_did_not_sign_are_refused_while_the_relay_is_still_talking() {
    let app = app().await;
    let (_, bob, ops, mention) = team(&app).await;
    let to = reply_address(&app).await;
    let (mut smtp, _) = Smtp::connect(&app).await;
    smtp.command("EHLO relay.example.com").await;
    let tampered = to.replacen(&format!("reply+{}-", bob.id), &format!("reply+{}-", bob.id + 1), 1);
    assert_ne!(tampered, to);
    let made_up = format!("reply+1-{ops}-{mention}-99999-00000000000000000000@{DOMAIN}");
    let elsewhere = to.replace(DOMAIN, "elsewhere.example.com");
    let (rcpts, end) =
        smtp.send("bob@example.com", &[&tampered, &made_up, &elsewhere, &format!("bob@{DOMAIN}")], "x").await;
    assert!(rcpts.iter().all(|r| r.starts_with("550")), "{rcpts:?}");
    assert_eq!(end, None);
    let many: Vec<String> = (0..11).map(|_| to.clone()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (rcpts, end) = smtp.send("bob@example.com", &many, &plain("bob@example.com", &to, "n1", "many")).await;
    assert!(rcpts[..10].iter().all(|r| r.starts_with("250")), "{rcpts:?}");
    assert!(rcpts[10].starts_with("452"), "the eleventh: {rcpts:?}");
    assert!(end.unwrap().starts_with("250"));
    smtp.command("QUIT").await;
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_refused_and_posts_nothing() {
    let app = app().await;
    let (admin, _, _, mention) = team(&app).await;
    let to = reply_address(&app).await;
    let line = "x".repeat(998);
    let body = std::iter::repeat_n(line.as_str(), 21 * 1024).collect::<Vec<_>>().join("\n");
    assert!(body.len() > 20 << 20);
    let (mut smtp, _) = Smtp::connect(&app).await;
    smtp.command("EHLO relay.example.com").await;
    let (_, end) = smtp.send("bob@example.com", &[&to], &plain("bob@example.com", &to, "big", &body)).await;
    let end = end.unwrap();
    assert!(end.starts_with("552"), "{end}");
    // The session goes on: a message of a sensible size is taken.
    let (_, end) = smtp.send("bob@example.com", &[&to], &plain("bob@example.com", &to, "small", "short one")).await;
    assert!(end.unwrap().starts_with("250"));

    // A bare LF never ends the data, so nothing after it is read as a command.
    assert!(smtp.command("MAIL FROM:<bob@example.com>").await.starts_with("250"));
    assert!(smtp.command(&format!("RCPT TO:<{to}>")).await.starts_with("250"));
    assert!(smtp.command("DATA").await.starts_with("354"));
    let head = plain("bob@example.com", &to, "lf", "first part").replace('\n', "\r\n");
    let smuggled = format!("{head}\r\n\n.\nMAIL FROM:<x@example.com>\r\nsecond part\r\n.\r\n");
    smtp.writer.write_all(smuggled.as_bytes()).await.unwrap();
    assert!(smtp.reply().await.starts_with("250"));
    let texts = thread_texts(&app, &admin, mention).await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[0].1, "short one");
    assert!(texts[1].1.starts_with("first part") && texts[1].1.ends_with("second part"), "{texts:?}");

    // A line over 64 KiB ends the session.
    assert!(smtp.command("MAIL FROM:<bob@example.com>").await.starts_with("250"));
    assert!(smtp.command(&format!("RCPT TO:<{to}>")).await.starts_with("250"));
    assert!(smtp.command("DATA").await.starts_with("354"));
    smtp.writer.write_all(&vec![b'x'; 70 * 1024]).await.unwrap();
    smtp.writer.write_all(b"\r\n.\r\n").await.unwrap();
    assert!(smtp.reply().await.starts_with("500"));
    assert_eq!(thread_texts(&app, &admin, mention).await.len(), 2, "nothing more posted");
}

#[tokio::test]
async fn the_listener_is_off_by_default_and_needs_a_reply_domain() {
    let app = spawn_app_with(|_| {}).await;
    assert_eq!(app.inbound_port, None);
    let mut settings = (*app.state.settings).clone();
    settings.http.public_url = None;
    settings.mail.inbound_smtp = Some("127.0.0.1:0".to_owned());
    let refused = hearth::startup::Application::build(settings).err().expect("refused");
    assert!(refused.to_string().contains("HEARTH_REPLY_DOMAIN"), "{refused}");
}
