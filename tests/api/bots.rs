//! Bot users: made by workspace admins, shown as bots, acting only through their token on
//! the Slack-compatible API, never signing in.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::channels::channel_id;
use crate::helpers::{TestApp, assert_error, spawn_app};
use crate::slack_api::slack;

/// Makes a bot in `acme` as `admin`: its id and token.
pub async fn make_bot(app: &TestApp, admin_token: &str, username: &str) -> (Value, String) {
    let (status, bot) = app
        .post(
            "/api/v1/workspaces/acme/bots",
            admin_token,
            json!({"username": username, "display_name": "Deploy Bot", "description": "Ships things"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let token = bot["token"].as_str().unwrap().to_owned();
    (bot, token)
}

#[tokio::test]
async fn admins_make_bots_whose_token_is_shown_once_and_stored_hashed() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let bots = "/api/v1/workspaces/acme/bots";

    let new = json!({"username": "deployer"});
    assert_error(&app.post(bots, &bob.token, new.clone()).await, StatusCode::FORBIDDEN, "not_workspace_admin");
    let (bot, token) = make_bot(&app, &admin.token, "deployer").await;
    assert!(token.starts_with("xoxb-") && token.len() > 40, "{token}");
    assert_eq!(bot["user"]["is_bot"], true);
    assert_eq!(bot["user"]["display_name"], "Deploy Bot");
    assert!(bot["bot_id"].as_str().unwrap().starts_with("BU"), "{bot}");
    assert_eq!(bot["signing_secret"].as_str().unwrap().len(), 32);
    let stored = app.sql_text(&format!("SELECT token_hash AS value FROM bots WHERE id = {}", bot["id"]));
    assert_eq!(stored.len(), 64, "a SHA-256, not the token");
    assert!(!stored.contains(&token[5..]));

    // Listed without its token; shown as a bot among the workspace's members.
    let (_, listed) = app.get(bots, &admin.token).await;
    assert_eq!(listed["bots"].as_array().unwrap().len(), 1);
    assert_eq!(listed["bots"][0]["token"], Value::Null);
    assert_eq!(listed["bots"][0]["has_token"], true);
    assert_error(&app.get(bots, &bob.token).await, StatusCode::FORBIDDEN, "not_workspace_admin");
    let (_, members) = app.get("/api/v1/workspaces/acme/members", &admin.token).await;
    let shown = members["members"].as_array().unwrap().iter().find(|m| m["user"]["username"] == "deployer").cloned();
    assert_eq!(shown.unwrap()["user"]["is_bot"], true);

    // What a bot must be.
    let cases = [
        (json!({"username": "Not Valid"}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_username"),
        (json!({"username": "deployer"}), StatusCode::CONFLICT, "username_taken"),
        (json!({"username": "bob"}), StatusCode::CONFLICT, "username_taken"),
        (
            json!({"username": "other", "description": "d".repeat(501)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_bot_description",
        ),
        (
            json!({"username": "other", "icon_url": "javascript:alert(1)"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_icon_url",
        ),
        (json!({"username": "other", "display_name": ""}), StatusCode::UNPROCESSABLE_ENTITY, "invalid_display_name"),
    ];
    for (body, status, code) in cases {
        assert_error(&app.post(bots, &admin.token, body.clone()).await, status, code);
    }
    let (status, unknown) = app.post(bots, &admin.token, json!({"username": "x1", "colour": "red"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unknown}");
    let (_, listed) = app.get(bots, &admin.token).await;
    assert_eq!(listed["bots"].as_array().unwrap().len(), 1, "nothing was made by the refusals");

    // A bot's role is not for changing.
    let path = format!("/api/v1/workspaces/acme/members/{}", bot["user"]["id"]);
    assert_error(
        &app.patch(&path, &admin.token, json!({"role": "admin"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    );
}

#[tokio::test]
async fn a_bot_token_is_renewed_revoked_and_dies_with_its_bot() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (bot, token) = make_bot(&app, &admin.token, "deployer").await;
    let path = format!("/api/v1/workspaces/acme/bots/{}", bot["id"]);
    assert_eq!(slack(&app, &token, "auth.test", json!({})).await["ok"], true);

    let (status, renewed) = app.patch(&path, &admin.token, json!({"regenerate_token": true})).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    let fresh = renewed["token"].as_str().unwrap().to_owned();
    assert_ne!(fresh, token);
    assert_eq!(slack(&app, &token, "auth.test", json!({})).await["error"], "invalid_auth", "the old token stopped");
    assert_eq!(slack(&app, &fresh, "auth.test", json!({})).await["ok"], true);

    let secret = renewed["signing_secret"].as_str().unwrap().to_owned();
    let (_, again) = app.patch(&path, &admin.token, json!({"regenerate_signing_secret": true})).await;
    assert_ne!(again["signing_secret"].as_str().unwrap(), secret);
    assert_eq!(again["token"], Value::Null, "a token is shown only when made");

    let (_, revoked) = app.patch(&path, &admin.token, json!({"revoke_token": true})).await;
    assert_eq!(revoked["has_token"], false);
    assert_eq!(slack(&app, &fresh, "auth.test", json!({})).await["error"], "invalid_auth");
    assert_error(
        &app.patch(&path, &admin.token, json!({"revoke_token": true, "regenerate_token": true})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    );

    let (_, renewed) = app.patch(&path, &admin.token, json!({"regenerate_token": true})).await;
    let last = renewed["token"].as_str().unwrap().to_owned();
    let (status, _) = app.delete(&path, &admin.token).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        slack(&app, &last, "auth.test", json!({})).await["error"],
        "invalid_auth",
        "a removed bot's token is dead"
    );
    assert_error(&app.get(&path, &admin.token).await, StatusCode::NOT_FOUND, "bot_not_found");
    assert_error(
        &app.get("/api/v1/workspaces/acme/bots/99999", &admin.token).await,
        StatusCode::NOT_FOUND,
        "bot_not_found",
    );
}

#[tokio::test]
async fn a_bot_never_reaches_the_web_ui_or_hearths_own_routes() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (_, token) = make_bot(&app, &admin.token, "deployer").await;
    let general = channel_id(&app, &admin, "general").await;

    for (method, path) in [
        (Method::GET, "/api/v1/me".to_owned()),
        (Method::GET, "/api/v1/workspaces/acme/members".to_owned()),
        (Method::GET, format!("/api/v1/channels/{general}/messages")),
        (Method::POST, "/api/v1/me/tokens".to_owned()),
        (Method::GET, "/api/v1/admin/jobs".to_owned()),
        (Method::GET, "/api/v1/events?since=0".to_owned()),
    ] {
        let (status, body) = app.call(method.clone(), &path, Some(&token), Some(json!({"name": "x"}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
    // No password to sign in with, whatever is tried.
    for password in ["", "password", "correct horse battery staple"] {
        let (status, body) = app
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"login": "deployer", "password": password})))
            .await;
        assert!(status.is_client_error() && body.get("token").is_none(), "{status} {body}");
    }
    // A page asked for with the token is a page for nobody.
    let res = app.client.get(app.url("/w/acme")).bearer_auth(&token).send().await.unwrap();
    assert_ne!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_apps_page_makes_bots_and_commands_and_shows_a_token_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let _bob = app.join(&admin, "acme", "bob", "member").await;
    let browser = crate::pages::Browser::new(&app);
    browser.sign_in("admin").await;
    let page = browser.get("/w/acme/settings/apps").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No bots yet") && page.body.contains("No commands of this workspace"), "empty states");
    let csrf = page.csrf();
    let made = browser
        .post("/w/acme/settings/apps/bots", &[("csrf_token", &csrf), ("username", "pager"), ("display_name", "Pager")])
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let start = made.body.find("xoxb-").expect("the token is shown");
    let token: String = made.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    assert_eq!(slack(&app, &token, "auth.test", json!({})).await["user"], "pager");
    // In a channel it is marked as a bot, and not counted among its people.
    let general = channel_id(&app, &admin, "general").await;
    slack(&app, &token, "conversations.join", json!({"channel": format!("C{general}")})).await;
    assert!(browser.get(&format!("/w/acme/c/{general}")).await.body.contains("2 members"), "admin and bob");
    let details = browser.get(&format!("/w/acme/c/{general}/details")).await;
    assert!(details.body.contains("@pager</span> <span class=\"badge\">BOT</span>"), "{}", details.body);
    let again = browser.get("/w/acme/settings/apps").await;
    assert!(again.body.contains("Pager") && !again.body.contains(&token), "listed, the token never again");
    let res = app.client.get(app.url("/w/acme/settings/apps")).bearer_auth(&admin.token).send().await.unwrap();
    assert_eq!(res.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));

    let bad = browser.post("/w/acme/settings/apps/bots", &[("csrf_token", &csrf), ("username", "Bad Name")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let command = browser
        .post(
            "/w/acme/settings/apps/commands",
            &[
                ("csrf_token", &csrf),
                ("name", "/deploy"),
                ("url", "https://ci.example.com/deploy"),
                ("method", "POST"),
                ("description", "Ship it"),
                ("usage_hint", "[service]"),
            ],
        )
        .await;
    assert_eq!(command.status, StatusCode::SEE_OTHER, "{}", command.body);
    assert!(browser.get("/w/acme/settings/apps").await.body.contains("/deploy"));
    let forged = browser.post("/w/acme/settings/apps/bots", &[("csrf_token", "x"), ("username", "evil")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let member = crate::pages::Browser::new(&app);
    member.sign_in("bob").await;
    assert_eq!(member.get("/w/acme/settings/apps").await.status, StatusCode::FORBIDDEN);
    let (_, listed) = app.get("/api/v1/workspaces/acme/bots", &admin.token).await;
    assert_eq!(listed["bots"].as_array().unwrap().len(), 1, "only the one bot was made");
}
