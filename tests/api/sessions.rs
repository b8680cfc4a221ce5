use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, assert_error, spawn_app};

async fn login(app: &TestApp, login: &str) -> serde_json::Value {
    let (status, body) =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": login, "password": PASSWORD }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn signing_out_ends_that_session_at_once() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let second = login(&app, "alice").await["token"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/v1/auth/logout", &alice.token, json!({})).await.0, StatusCode::NO_CONTENT);
    assert_error(&app.get("/api/v1/me", &alice.token).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(app.get("/api/v1/me", &second).await.0, StatusCode::OK, "other sessions go on");
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_but_not_access_tokens() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let second = login(&app, "alice").await["token"].as_str().unwrap().to_owned();
    let (_, pat) = app.post("/api/v1/me/tokens", &alice.token, json!({ "name": "ci" })).await;
    let pat = pat["token"].as_str().unwrap().to_owned();
    let (status, body) = app.post("/api/v1/auth/logout-all", &second, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["sessions_ended"], 2);
    assert_eq!(app.get("/api/v1/me", &alice.token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", &second).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::OK);
}

#[tokio::test]
async fn requests_without_credentials_or_with_a_malformed_header_get_401() {
    let app = spawn_app().await;
    assert_error(&app.call(Method::GET, "/api/v1/me", None, None).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    let res = app.client.get(app.url("/api/v1/me")).header("authorization", "Basic YWxpY2U6cHc=").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn tampered_and_unsigned_tokens_are_refused() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let parts: Vec<&str> = alice.token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT");
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["purpose"], "session");

    let mut forged_claims = claims.clone();
    forged_claims["sub"] = json!("999");
    let forged_body = URL_SAFE_NO_PAD.encode(forged_claims.to_string());
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let hs512_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#);
    let cases = [
        (format!("{}.{}.{}", parts[0], forged_body, parts[2]), "claims changed, signature kept"),
        (format!("{none_header}.{}.", parts[1]), "alg none"),
        (format!("{hs512_header}.{}.{}", parts[1], parts[2]), "another algorithm"),
        (format!("{}.{}.{}x", parts[0], parts[1], parts[2]), "signature changed"),
        ("not.a.jwt".to_owned(), "garbage"),
    ];
    for (token, why) in cases {
        assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::UNAUTHORIZED, "{why}");
    }
    assert_eq!(app.get("/api/v1/me", &alice.token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_deactivated_account_stops_working_at_once() {
    let app = spawn_app().await;
    let admin = app.signup("admin", None).await;
    let (_, pat) = app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "ci" })).await;
    let pat = pat["token"].as_str().unwrap().to_owned();
    hearth::app::admin::deactivate(&app.state, "admin").await.unwrap();
    assert_eq!(app.get("/api/v1/me", &admin.token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/v1/me", &pat).await.0, StatusCode::UNAUTHORIZED);
    let res = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "admin", "password": PASSWORD })))
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "account_deactivated");
}

fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).build().unwrap()
}

#[tokio::test]
async fn browsers_use_the_cookie_with_a_csrf_token_for_changes() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    let browser = cookie_client();
    let res = browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "login": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("hearth_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let body: serde_json::Value = res.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    let me = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK, "reads need no CSRF token");

    let patch = |csrf: Option<&str>, origin: Option<&str>| {
        let mut req = browser.patch(app.url("/api/v1/me")).json(&json!({ "display_name": "Changed" }));
        if let Some(t) = csrf {
            req = req.header("x-csrf-token", t);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req.send()
    };
    let res = patch(None, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"], "csrf_token_invalid");
    assert_eq!(patch(Some("forged"), None).await.unwrap().status(), StatusCode::FORBIDDEN, "wrong CSRF token");
    let res = patch(Some(&csrf), Some("https://evil.example")).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "another site's Origin");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"], "origin_not_allowed");
    assert_eq!(
        browser.get(app.url("/api/v1/me")).send().await.unwrap().json::<serde_json::Value>().await.unwrap()["display_name"],
        "alice"
    );

    let res = patch(Some(&csrf), Some(&app.address)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "own Origin with the token");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["display_name"], "Changed");
}

#[tokio::test]
async fn a_request_with_authorization_ignores_the_cookie() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    let browser = cookie_client();
    browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "login": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let res = browser.get(app.url("/api/v1/me")).bearer_auth("hpat_not-a-real-token").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_past_half_its_life_is_renewed() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    let browser = cookie_client();
    browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "login": "alice", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    // Ten days left of thirty.
    let soon = (chrono::Utc::now() + chrono::Duration::days(10)).naive_utc().format("%Y-%m-%d %H:%M:%S");
    app.sql(&format!("UPDATE sessions SET expires_at = '{soon}'"));
    let res = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers().get("set-cookie").expect("a renewed cookie").to_str().unwrap().to_owned();
    assert!(cookie.starts_with("hearth_session="));
    let res = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert!(res.headers().get("set-cookie").is_none(), "renewed once, not on every request");
}
