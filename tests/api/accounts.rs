use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, spawn_app};

#[tokio::test]
async fn the_first_account_is_the_server_admin_and_later_ones_need_an_invitation() {
    let app = spawn_app().await;
    let admin = app.signup("alice", None).await;
    let (status, me) = app.get("/api/v1/me", &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");
    assert_eq!(me["email"], "alice@example.com");
    assert_eq!(me["is_server_admin"], true);
    assert_eq!(me["display_name"], "alice", "the display name defaults to the username");
    assert!(me["created_at"].as_str().unwrap().ends_with('Z'));

    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({ "email": "bob@example.com", "username": "bob", "password": PASSWORD })),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "signup_requires_invitation");
    assert_error(
        &app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "bob", "password": PASSWORD })))
            .await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

#[tokio::test]
async fn sign_up_rejects_bad_input_and_writes_nothing() {
    let app = spawn_app().await;
    let long_password = "p".repeat(129);
    let cases = [
        (
            json!({ "email": "not-an-email", "username": "alice", "password": PASSWORD }),
            "invalid_email",
            "email without @",
        ),
        (
            json!({ "email": "alice@localhost", "username": "alice", "password": PASSWORD }),
            "invalid_email",
            "domain without a dot",
        ),
        (
            json!({ "email": "alice@example.com", "username": "A", "password": PASSWORD }),
            "invalid_username",
            "too short",
        ),
        (
            json!({ "email": "alice@example.com", "username": "Alice", "password": PASSWORD }),
            "invalid_username",
            "uppercase",
        ),
        (
            json!({ "email": "alice@example.com", "username": "al ice", "password": PASSWORD }),
            "invalid_username",
            "space",
        ),
        (
            json!({ "email": "alice@example.com", "username": "here", "password": PASSWORD }),
            "invalid_username",
            "reserved: here",
        ),
        (
            json!({ "email": "alice@example.com", "username": "channel", "password": PASSWORD }),
            "invalid_username",
            "reserved: channel",
        ),
        (
            json!({ "email": "alice@example.com", "username": "everyone", "password": PASSWORD }),
            "invalid_username",
            "reserved: everyone",
        ),
        (
            json!({ "email": "alice@example.com", "username": "x".repeat(33), "password": PASSWORD }),
            "invalid_username",
            "too long",
        ),
        (
            json!({ "email": "alice@example.com", "username": "alice", "password": "short" }),
            "weak_password",
            "short password",
        ),
        (
            json!({ "email": "alice@example.com", "username": "alice", "password": "password123" }),
            "weak_password",
            "common password",
        ),
        (
            json!({ "email": "alice@example.com", "username": "alice", "password": "alice@example.com" }),
            "weak_password",
            "password is the email",
        ),
        (
            json!({ "email": "alice@example.com", "username": "alice", "password": long_password }),
            "invalid_password",
            "over-long password",
        ),
        (
            json!({ "email": "alice@example.com", "username": "alice", "password": PASSWORD, "display_name": "\u{202e}evil" }),
            "invalid_display_name",
            "bidi override",
        ),
    ];
    for (body, code, why) in cases {
        let res = app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await;
        assert_eq!(res.0, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {}", res.1);
        assert_eq!(res.1["error"]["code"], code, "{why}");
    }
    // Nothing was written: alice can still be the first account.
    let alice = app.signup("alice", None).await;
    assert_eq!(app.get("/api/v1/me", &alice.token).await.1["is_server_admin"], true);
}

#[tokio::test]
async fn duplicate_emails_and_usernames_are_conflicts() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    // Two invitations to one address: the second can no longer make an account.
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    let first = app.invitation_token("bob@example.com").await;
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    app.wait_for_mails(2).await;
    let second = app.invitation_token("bob@example.com").await;
    assert_ne!(first, second);
    app.signup("bob", Some(&first)).await;
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "carol@example.com" })).await;
    let carol = app.invitation_token("carol@example.com").await;
    let cases = [
        (
            json!({ "email": "BOB@example.com", "username": "bobby", "password": PASSWORD, "invite_token": second }),
            "email_taken",
        ),
        (
            json!({ "email": "carol@example.com", "username": "admin", "password": PASSWORD, "invite_token": carol }),
            "username_taken",
        ),
    ];
    for (body, code) in cases {
        assert_error(
            &app.call(Method::POST, "/api/v1/auth/signup", None, Some(body)).await,
            StatusCode::CONFLICT,
            code,
        );
    }
    // The refused sign-ups used nothing up: carol's invitation still works.
    app.signup("carol", Some(&carol)).await;
}

#[tokio::test]
async fn sign_in_by_username_or_email_and_wrong_passwords_are_refused() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    for login in ["alice", "ALICE@example.com"] {
        let (status, body) = app
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": login, "password": PASSWORD })))
            .await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
        assert_eq!(body["user"]["username"], "alice");
        assert!(body["token"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": "alice", "password": "wrong password!" })),
        )
        .await;
    assert_error(&res, StatusCode::UNAUTHORIZED, "not_authenticated");
    let res = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "nobody", "password": PASSWORD })))
        .await;
    assert_error(&res, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test]
async fn repeated_failures_are_throttled_with_retry_after() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    for _ in 0..10 {
        let res = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "login": "alice", "password": "wrong password!" })),
            )
            .await;
        assert_eq!(res.0, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now, whichever name the account is given by.
    for login in ["alice", "alice@example.com"] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({ "login": login, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry > 0 && retry <= 15 * 60, "{retry}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited");
    }
}

#[tokio::test]
async fn display_names_change_and_bad_ones_are_refused() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (status, me) = app.patch("/api/v1/me", &alice.token, json!({ "display_name": "  Alice Liddell " })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["display_name"], "Alice Liddell");
    assert_error(
        &app.patch("/api/v1/me", &alice.token, json!({ "display_name": "   " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_display_name",
    );
    assert_error(
        &app.patch("/api/v1/me", &alice.token, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing_to_change",
    );
    assert_error(
        &app.patch("/api/v1/me", &alice.token, json!({ "email": "x@example.com" })).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    assert_eq!(app.get("/api/v1/me", &alice.token).await.1["display_name"], "Alice Liddell");
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (_, other) = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "alice", "password": PASSWORD })))
        .await;
    let other = other["token"].as_str().unwrap().to_owned();

    let res = app
        .post(
            "/api/v1/me/password",
            &alice.token,
            json!({ "current_password": "not it at all", "new_password": "a new long passphrase" }),
        )
        .await;
    assert_error(&res, StatusCode::FORBIDDEN, "wrong_password");
    let res = app
        .post("/api/v1/me/password", &alice.token, json!({ "current_password": PASSWORD, "new_password": "short" }))
        .await;
    assert_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "weak_password");
    assert_eq!(app.get("/api/v1/me", &other).await.0, StatusCode::OK, "failed changes end nothing");

    let res = app
        .post(
            "/api/v1/me/password",
            &alice.token,
            json!({ "current_password": PASSWORD, "new_password": "a new long passphrase" }),
        )
        .await;
    assert_eq!(res.0, StatusCode::NO_CONTENT, "{}", res.1);
    assert_eq!(app.get("/api/v1/me", &alice.token).await.0, StatusCode::OK, "this session stays");
    assert_eq!(app.get("/api/v1/me", &other).await.0, StatusCode::UNAUTHORIZED, "the other one ends");
    let login = |p: &'static str| {
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "alice", "password": p })))
    };
    assert_eq!(login(PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(login("a new long passphrase").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_single_use_emailed_link() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    // Unknown addresses get the same answer; their mail says there is no account.
    let res = app
        .call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({ "email": "nobody@example.com" })))
        .await;
    assert_eq!(res.0, StatusCode::ACCEPTED);
    let res = app
        .call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({ "email": "Alice@Example.com" })))
        .await;
    assert_eq!(res.0, StatusCode::ACCEPTED);
    // Mail goes out in the order it was caused.
    let mails = app.wait_for_mails(2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(
        (mails[0].to.as_str(), mails[0].subject.as_str()),
        ("nobody@example.com", "No hearth account at this address")
    );
    assert!(!mails[0].text.contains("/password-reset/"), "no link where there is no account");
    assert_eq!(mails[1].subject, "Reset your hearth password");
    assert!(mails[1].html.contains("Choose a new password"));
    let token = app.link_in_mail("alice@example.com", "/password-reset/").await.rsplit('/').next().unwrap().to_owned();

    let confirm = |token: String, password: &'static str| {
        app.call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({ "token": token, "password": password })),
        )
    };
    assert_error(&confirm(token.clone(), "short").await, StatusCode::UNPROCESSABLE_ENTITY, "weak_password");
    assert_error(
        &confirm("not-a-real-token".into(), "a brand new passphrase").await,
        StatusCode::NOT_FOUND,
        "reset_not_found",
    );
    assert_eq!(confirm(token.clone(), "a brand new passphrase").await.0, StatusCode::NO_CONTENT);
    assert_error(&confirm(token, "another new passphrase").await, StatusCode::GONE, "reset_used");

    assert_eq!(app.get("/api/v1/me", &alice.token).await.0, StatusCode::UNAUTHORIZED, "a reset ends every session");
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": "alice", "password": "a brand new passphrase" })),
        )
        .await;
    assert_eq!(res.0, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = spawn_app().await;
    app.signup("alice", None).await;
    app.call(Method::POST, "/api/v1/auth/password-reset", None, Some(json!({ "email": "alice@example.com" }))).await;
    let token = app.link_in_mail("alice@example.com", "/password-reset/").await.rsplit('/').next().unwrap().to_owned();
    app.sql("UPDATE password_resets SET expires_at = '2000-01-01 00:00:00'");
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({ "token": token, "password": "a brand new passphrase" })),
        )
        .await;
    assert_error(&res, StatusCode::GONE, "reset_expired");
    let res = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "alice", "password": PASSWORD })))
        .await;
    assert_eq!(res.0, StatusCode::OK, "the password is unchanged");
}
