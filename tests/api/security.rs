//! The holes a careful attacker looks for first, each closed and kept closed: who may
//! delete what in direct messages, archived channels that stay read-only, former members'
//! old messages, what a guest's `#name` reveals, mentions spoofed from text, and
//! credentials that outlive a password reset.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::channels::{channel_id, create_channel};
use crate::helpers::{assert_error, spawn_app};

async fn post(app: &crate::helpers::TestApp, token: &str, channel: i64, text: &str) -> Value {
    let (status, m) = app.post(&format!("/api/v1/channels/{channel}/messages"), token, json!({ "text": text })).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    m
}

#[tokio::test]
async fn in_a_direct_message_only_the_author_deletes_a_message() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    // bob opens a DM with carol; the workspace owner opens a group DM with both.
    let (_, dm) = app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [carol.id] })).await;
    let (_, group) =
        app.post("/api/v1/workspaces/acme/dms", &admin.token, json!({ "user_ids": [bob.id, carol.id] })).await;
    let from_carol = post(&app, &carol.token, dm["id"].as_i64().unwrap(), "mine").await;
    let in_group = post(&app, &carol.token, group["id"].as_i64().unwrap(), "also mine").await;

    let path = |m: &Value| format!("/api/v1/messages/{}", m["id"]);
    assert_error(&app.delete(&path(&from_carol), &bob.token).await, StatusCode::FORBIDDEN, "cannot_delete");
    assert_error(&app.delete(&path(&in_group), &admin.token).await, StatusCode::FORBIDDEN, "cannot_delete");
    let (_, still) = app.get(&path(&from_carol), &carol.token).await;
    assert_eq!(still["deleted"], false, "nothing changed");
    assert_eq!(app.delete(&path(&from_carol), &carol.token).await.0, StatusCode::OK, "the author may");
}

#[tokio::test]
async fn an_archived_channel_keeps_its_messages_and_its_members() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let c = create_channel(&app, &admin, "done", false).await;
    app.post(&format!("/api/v1/channels/{c}/members"), &admin.token, json!({ "user_id": bob.id })).await;
    let m = post(&app, &bob.token, c, "for the record").await;
    app.post(&format!("/api/v1/channels/{c}/archive"), &admin.token, json!({})).await;

    let delete = app.delete(&format!("/api/v1/messages/{}", m["id"]), &admin.token).await;
    assert_error(&delete, StatusCode::FORBIDDEN, "channel_archived");
    let own = app.delete(&format!("/api/v1/messages/{}", m["id"]), &bob.token).await;
    assert_error(&own, StatusCode::FORBIDDEN, "channel_archived");
    let remove = app.delete(&format!("/api/v1/channels/{c}/members/{}", bob.id), &admin.token).await;
    assert_error(&remove, StatusCode::FORBIDDEN, "channel_archived");
    let (_, members) = app.get(&format!("/api/v1/channels/{c}/members"), &admin.token).await;
    assert!(members.to_string().contains("\"bob\""), "bob is still in it: {members}");
}

#[tokio::test]
async fn someone_who_left_a_channel_cannot_edit_what_he_said_there() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let c = create_channel(&app, &admin, "town", false).await;
    app.post(&format!("/api/v1/channels/{c}/join"), &bob.token, json!({})).await;
    let m = post(&app, &bob.token, c, "first words").await;
    app.post(&format!("/api/v1/channels/{c}/leave"), &bob.token, json!({})).await;

    let edit = app.patch(&format!("/api/v1/messages/{}", m["id"]), &bob.token, json!({ "text": "rewritten" })).await;
    assert_error(&edit, StatusCode::FORBIDDEN, "not_in_channel");
    let (_, still) = app.get(&format!("/api/v1/messages/{}", m["id"]), &admin.token).await;
    assert_eq!(still["text"], "first words");
}

#[tokio::test]
async fn a_guest_names_only_the_channels_he_can_see() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let shared = create_channel(&app, &admin, "with-gus", false).await;
    app.post(&format!("/api/v1/channels/{shared}/members"), &admin.token, json!({ "user_id": guest.id })).await;
    create_channel(&app, &admin, "roadmap", false).await;

    let by_guest = post(&app, &guest.token, shared, "see #roadmap and #with-gus").await;
    let html = by_guest["html"].as_str().unwrap();
    assert!(!html.contains("roadmap\""), "a public channel the guest cannot see stays text: {html}");
    assert!(html.contains("#roadmap") && html.contains("channel-link"), "his own channel links: {html}");
    let by_member = post(&app, &admin.token, shared, "see #roadmap").await;
    assert!(by_member["html"].as_str().unwrap().contains("channel-link"), "members name it");
}

#[tokio::test]
async fn mentions_come_from_what_was_resolved_never_from_text() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    let spoof =
        post(&app, &admin.token, general, &format!("`data-user-id=\"{}\"` and mention-broadcast", bob.id)).await;
    assert_eq!(spoof["mentioned_user_ids"], json!([]));
    assert_eq!(spoof["mentions_everyone"], false);
    let real = post(&app, &admin.token, general, "@bob and @channel").await;
    assert_eq!(real["mentioned_user_ids"], json!([bob.id]));
    assert_eq!(real["mentions_everyone"], true);
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &bob.token).await;
    let listed = page["messages"].as_array().unwrap();
    assert_eq!(listed[0]["mentions_everyone"], true, "history says the same");
    assert_eq!(listed[1]["mentions_everyone"], false);
}

#[tokio::test]
async fn a_password_reset_ends_every_session_and_token() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (_, made) = app.post("/api/v1/me/tokens", &alice.token, json!({ "name": "ci" })).await;
    let pat = made["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::OK);

    app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({ "email": "alice@example.com" }))).await;
    let mail = app.wait_for_mails(1).await.remove(0);
    assert!(mail.text.contains("revokes your personal"), "the mail says so: {}", mail.text);
    let token = app.link_in_mail("alice@example.com", "/password-reset/").await.rsplit('/').next().unwrap().to_owned();
    let confirm = json!({ "token": token, "password": "a brand new passphrase" });
    let (status, _) = app.call(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(confirm)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    assert_eq!(app.get("/api/v1/me", &alice.token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::UNAUTHORIZED, "the personal token is revoked");
}

#[tokio::test]
async fn a_password_change_may_sign_out_everywhere() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (_, made) = app.post("/api/v1/me/tokens", &alice.token, json!({ "name": "ci" })).await;
    let pat = made["token"].as_str().unwrap().to_owned();
    let change = |new: &str, everywhere: bool| json!({ "current_password": crate::helpers::PASSWORD, "new_password": new, "sign_out_everywhere": everywhere });
    let (status, _) = app.post("/api/v1/me/password", &pat, change("the first new passphrase", false)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::OK, "without it, tokens stay");

    let (_, login) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": "alice", "password": "the first new passphrase" })),
        )
        .await;
    let session = login["token"].as_str().unwrap().to_owned();
    let body = json!({ "current_password": "the first new passphrase", "new_password": "the second passphrase", "sign_out_everywhere": true });
    assert_eq!(app.post("/api/v1/me/password", &session, body).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &session).await.0, StatusCode::UNAUTHORIZED, "this session too");
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::UNAUTHORIZED, "and the token");
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_under_the_sign_in_limit() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    let guess = || {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": "alice", "password": "a wrong guess!" })),
        )
    };
    let answers = futures_util::future::join_all((0..16).map(|_| guess())).await;
    let refused = answers.iter().filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS).count();
    let checked = answers.iter().filter(|(s, _)| *s == StatusCode::UNAUTHORIZED).count();
    assert_eq!((checked, refused), (10, 6), "ten guesses are checked, the rest refused: {answers:?}");
    // The right password is refused too while the limit holds.
    let right = json!({ "login": "alice", "password": crate::helpers::PASSWORD });
    let res = app.call(Method::POST, "/api/v1/auth/login", None, Some(right)).await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn sign_up_without_an_invitation_tells_nothing_about_existing_accounts() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    let attempt = |email: &str, username: &str| {
        let body = json!({ "email": email, "username": username, "password": "a long enough passphrase" });
        app.call(Method::POST, "/api/v1/auth/signup", None, Some(body))
    };
    for (email, username, why) in [
        ("alice@example.com", "someone", "an address that has an account"),
        ("someone@example.com", "alice", "a username that is taken"),
        ("newcomer@example.com", "newcomer", "nothing that exists"),
    ] {
        let res = attempt(email, username).await;
        assert_eq!(res.0, StatusCode::FORBIDDEN, "{why}: {res:?}");
        assert_eq!(res.1["error"]["code"], "signup_requires_invitation", "{why}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let b = crate::pages::Browser::new(&app);
    b.sign_in("admin").await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let api = app.client.get(app.url("/api/v1/me")).bearer_auth(&admin.token).send().await.unwrap();
    let missing = app.client.get(app.url("/no/such/route")).send().await.unwrap();
    for res in [&page, &api, &missing] {
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(h.contains_key("permissions-policy"));
        assert!(!h.contains_key("strict-transport-security"), "no HSTS over plain http");
    }
    // The viewer's own style rule is a stylesheet, not an inline block.
    let general = crate::channels::channel_id(&app, &admin, "general").await;
    let conversation = b.get(&format!("/w/acme/c/{general}")).await.body;
    let link = format!("/viewer/{}.css", admin.id);
    assert!(conversation.contains(&link) && !conversation.contains("<style"), "{conversation}");
    let css = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains(&format!("data-author=\"{}\"", admin.id)));
}

#[test]
fn no_template_has_inline_script_or_style() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut offending = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                // Mail is not served under the CSP; mail clients need inline styles.
                if !path.ends_with("emails") {
                    stack.push(path);
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let inline_script =
                text.match_indices("<script").any(|(at, _)| !text[at..].split('>').next().unwrap().contains("src="));
            let handler = [" onclick=", " onload=", " onsubmit=", " onchange=", " oninput=", " onerror="]
                .iter()
                .any(|h| text.contains(h));
            if text.contains("style=\"") || text.contains("<style") || inline_script || handler {
                offending.push(path.display().to_string());
            }
        }
    }
    assert!(offending.is_empty(), "the CSP allows none of these: {offending:?}");
}

#[tokio::test]
async fn one_person_puts_at_most_fifty_different_emoji_on_a_message() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let m = post(&app, &admin.token, general, "react to me").await;
    let path = format!("/api/v1/messages/{}/reactions", m["id"]);
    let names = "smile laughing blush smiley relaxed smirk heart_eyes kissing_heart kissing_closed_eyes flushed \
        relieved satisfied grin wink stuck_out_tongue_winking_eye stuck_out_tongue_closed_eyes grinning kissing \
        kissing_smiling_eyes stuck_out_tongue sleeping worried frowning anguished open_mouth grimacing confused \
        hushed expressionless unamused sweat_smile sweat disappointed_relieved weary pensive disappointed \
        confounded fearful cold_sweat persevere cry sob joy astonished scream tired_face angry rage triumph \
        sleepy yum mask sunglasses dizzy_face imp smiling_imp neutral_face no_mouth innocent alien";
    let mut added = 0;
    let mut refused = None;
    for emoji in names.split_whitespace() {
        let res = app.post(&path, &admin.token, json!({ "emoji": emoji })).await;
        match res.0 {
            StatusCode::OK => added = res.1["reactions"].as_array().unwrap().len(),
            _ if res.1["error"]["code"] == "invalid_emoji" => {}
            _ => {
                refused = Some(res);
                break;
            }
        }
    }
    assert_eq!(added, 50, "fifty different ones are taken (aliases count once)");
    assert_error(&refused.expect("the fifty-first is refused"), StatusCode::UNPROCESSABLE_ENTITY, "too_many_reactions");
    let (_, now) = app.get(&format!("/api/v1/messages/{}", m["id"]), &admin.token).await;
    assert_eq!(now["reactions"].as_array().unwrap().len(), 50, "nothing changed");
    let again = app.post(&path, &admin.token, json!({ "emoji": "smile" })).await;
    assert_eq!(again.0, StatusCode::OK, "one already there is no change, and fine");
}

#[tokio::test]
async fn writes_are_limited_per_person_however_many_credentials_they_use() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.limits.writes_per_minute = 60;
        s.limits.write_burst = 5;
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &admin, "general").await;
    // Spread over the session and a personal token: the limit is the person's.
    let (_, made) = app.post("/api/v1/me/tokens", &bob.token, json!({ "name": "script" })).await;
    let pat = made["token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/channels/{general}/messages");
    let mut answers = Vec::new();
    for n in 0..6 {
        let token = if n % 2 == 0 { &bob.token } else { &pat };
        answers.push(app.post(&path, token, json!({ "text": format!("flood {n}") })).await);
    }
    // The token's creation was bob's first write: four posts fit in the burst of five.
    let created = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).count();
    assert_eq!(created, 4, "{answers:?}");
    let refused = answers.iter().find(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS).expect("a refusal");
    assert_eq!(refused.1["error"]["code"], "rate_limited");
    let res = app.client.post(app.url(&path)).bearer_auth(&pat).json(&json!({ "text": "more" })).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(app.get(&path, &bob.token).await.0, StatusCode::OK, "reading is not limited");
    assert_eq!(post(&app, &admin.token, general, "others are not held up").await["text"], "others are not held up");
}

#[tokio::test]
async fn one_person_holds_a_bounded_number_of_live_connections() {
    let app = crate::helpers::spawn_app_with(|s| s.limits.ws_per_user = 2).await;
    let admin = app.admin_with_workspace().await;
    let mut first = app.ws(&admin.token, "").await;
    let _second = app.ws(&admin.token, "").await;
    let third = app.client.get(app.url("/api/v1/ws")).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS, "the third is refused before the upgrade");
    assert_eq!(first.frame().await["type"], "hello");
    drop(first);
    // A closed connection gives its place back (once the server has seen it go).
    let reopened = crate::helpers::eventually("a place to free up", async || {
        let res = app.client.get(app.url("/api/v1/ws")).bearer_auth(&admin.token).send().await.unwrap();
        (res.status() != StatusCode::TOO_MANY_REQUESTS).then_some(res.status())
    })
    .await;
    assert_ne!(reopened, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_ups_and_reset_requests_are_limited_per_address() {
    let app = crate::helpers::spawn_app_with(|s| s.limits.signups_per_hour = 6).await;
    app.signup("alice", None).await;
    // A third of the hour's allowance at once: the first sign-up took one of two.
    let reset =
        || app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({ "email": "x@example.com" })));
    assert_eq!(reset().await.0, StatusCode::ACCEPTED);
    let refused = reset().await;
    assert_error(&refused, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let body = json!({ "email": "eve@example.com", "username": "eve", "password": "a long enough passphrase" });
    let signup = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
    assert_error(&signup, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn an_address_nobody_proved_goes_to_whoever_proves_it_once_its_link_runs_out() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({ "signup_domains": ["acme.test"] })).await;
    let signup = |username: &str, password: &str| {
        let body = json!({ "email": "boss@acme.test", "username": username, "password": password });
        app.call(Method::POST, "/api/v1/auth/signup", None, Some(body))
    };
    // Someone types the boss's address: the account exists, unverified, in no workspace.
    let (status, squat) = signup("mallory", "mallory's passphrase").await;
    assert_eq!(status, StatusCode::CREATED, "{squat}");
    let squatter = squat["token"].as_str().unwrap().to_owned();
    let (_, workspaces) = app.get("/api/v1/workspaces", &squatter).await;
    assert_eq!(workspaces["workspaces"], json!([]), "the squatter is in no workspace: {workspaces}");
    let first_link = app.link_in_mail("boss@acme.test", "/verify/").await;
    // While the link may still be used, the address stays taken.
    assert_error(&signup("boss", "the boss's passphrase").await, StatusCode::CONFLICT, "email_taken");
    // Once it has run out, whoever proves the address may have it.
    app.sql("UPDATE email_verifications SET expires_at = '2000-01-01 00:00:00'");
    let (status, taken) = signup("boss", "the boss's passphrase").await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    assert_eq!(taken["user"]["username"], "boss");
    assert_eq!(app.get("/api/v1/me", &squatter).await.0, StatusCode::UNAUTHORIZED, "the squatter is out");
    let links = app.wait_for_mails(2).await;
    assert!(links.iter().all(|m| m.to == "boss@acme.test"));
    let second_link = app.link_in_mail("boss@acme.test", "/verify/").await;
    assert_ne!(first_link, second_link, "a fresh link for the new owner");
    let proof = second_link.rsplit('/').next().unwrap().to_owned();
    let (status, verified) = app.call(Method::POST, "/api/v1/auth/verify", None, Some(json!({ "token": proof }))).await;
    assert_eq!((status, verified["user"]["username"].as_str()), (StatusCode::OK, Some("boss")), "{verified}");
}

#[tokio::test]
async fn the_mailed_confirmation_link_opens_a_page_that_changes_nothing_until_confirmed() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({ "signup_domains": ["acme.test"] })).await;
    let body = json!({ "email": "dana@acme.test", "username": "dana", "password": "a long enough passphrase" });
    let (status, _) = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let link = app.link_in_mail("dana@acme.test", "/verify/").await;
    let path = link.trim_start_matches(&app.state.public_url).to_owned();
    let b = crate::pages::Browser::new(&app);
    let page = b.get(&path).await;
    assert!(page.body.contains("Confirm my address"), "{}", page.body);
    // Opening the link confirmed nothing: the form does.
    let confirmed = b.post(&path, &[]).await;
    assert_eq!(confirmed.location.as_deref(), Some("/w/acme"), "confirmed, into the open workspace");
    let again = b.post(&path, &[]).await;
    assert_eq!(again.status, StatusCode::GONE, "the link works once");
}

#[tokio::test]
async fn member_lists_and_pins_come_a_page_at_a_time() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    for name in ["bob", "carol", "dave", "erin"] {
        app.join(&admin, "acme", name, "member").await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/workspaces/acme/members?limit=2".to_owned();
    loop {
        let (status, page) = app.get(&path, &admin.token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let members = page["members"].as_array().unwrap();
        assert!(members.len() <= 2);
        seen.extend(members.iter().map(|m| m["user"]["username"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/workspaces/acme/members?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, ["admin", "bob", "carol", "dave", "erin"], "every member once, in order");

    let general = channel_id(&app, &admin, "general").await;
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/members?limit=3"), &admin.token).await;
    assert_eq!(page["members"].as_array().unwrap().len(), 3);
    assert!(page["next_cursor"].is_string());
    for n in 0..3 {
        let m = post(&app, &admin.token, general, &format!("pin {n}")).await;
        app.post(&format!("/api/v1/messages/{}/pin", m["id"]), &admin.token, json!({})).await;
    }
    let (_, pins) = app.get(&format!("/api/v1/channels/{general}/pins?limit=2"), &admin.token).await;
    assert_eq!(pins["messages"].as_array().unwrap().len(), 2);
    let next = pins["next_cursor"].as_str().unwrap();
    let (_, rest) = app.get(&format!("/api/v1/channels/{general}/pins?limit=2&cursor={next}"), &admin.token).await;
    assert_eq!(rest["messages"][0]["text"], "pin 0", "the oldest pin last");
    assert!(rest.get("next_cursor").is_none());
    let root = post(&app, &admin.token, general, "a thread").await;
    for n in 0..3 {
        let body = json!({ "text": format!("reply {n}"), "thread_root_id": root["id"] });
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, body).await;
    }
    let thread = format!("/api/v1/messages/{}/thread", root["id"]);
    let (_, first) = app.get(&format!("{thread}?limit=2"), &admin.token).await;
    assert_eq!(first["replies"].as_array().unwrap().len(), 2);
    let next = first["next_cursor"].as_str().unwrap();
    let (_, last) = app.get(&format!("{thread}?limit=2&cursor={next}"), &admin.token).await;
    assert_eq!(last["replies"][0]["text"], "reply 2");
    assert!(last.get("next_cursor").is_none(), "threads are no longer cut short: they page");
    for name in ["alpha", "beta", "gamma"] {
        app.post("/api/v1/workspaces/acme/channels", &admin.token, json!({ "name": name })).await;
    }
    let bob = app.join(&admin, "acme", "frank", "member").await;
    let (_, browse) = app.get("/api/v1/workspaces/acme/channels?browse=true&limit=2", &bob.token).await;
    let names: Vec<&str> = browse["channels"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["alpha", "beta"], "channels not yet joined, by name: {browse}");
    let next = browse["next_cursor"].as_str().unwrap();
    let (_, rest) =
        app.get(&format!("/api/v1/workspaces/acme/channels?browse=true&limit=2&cursor={next}"), &bob.token).await;
    assert_eq!(rest["channels"][0]["name"], "gamma");
    for bad in ["limit=0", "limit=201", "cursor=-5", "cursor=abc"] {
        let res = app.get(&format!("/api/v1/workspaces/acme/members?{bad}"), &admin.token).await;
        assert_error(&res, StatusCode::BAD_REQUEST, "invalid_query");
    }
}

#[tokio::test]
async fn a_personal_token_gets_half_its_persons_allowance() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.limits.writes_per_minute = 60;
        s.limits.write_burst = 8;
    })
    .await;
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let (_, made) = app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "script" })).await;
    let script = made["token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/channels/{general}/messages");
    let mut by_script = Vec::new();
    for n in 0..5 {
        by_script.push(app.post(&path, &script, json!({ "text": format!("from the script {n}") })).await.0);
    }
    assert_eq!(
        by_script,
        [StatusCode::CREATED; 4].into_iter().chain([StatusCode::TOO_MANY_REQUESTS]).collect::<Vec<_>>()
    );
    // The person still has the rest of theirs (8, less the token's creation and 4 posts).
    let (status, _) = app.post(&path, &admin.token, json!({ "text": "by hand" })).await;
    assert_eq!(status, StatusCode::CREATED, "the script has not used up its person");
}
