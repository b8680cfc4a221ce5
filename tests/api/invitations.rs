use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, spawn_app};

#[tokio::test]
async fn an_invitee_follows_the_emailed_link_signs_up_and_lands_in_the_workspace() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let (status, inv) = app
        .post(
            "/api/v1/workspaces/acme/invitations",
            &admin.token,
            json!({ "email": "Bob@Example.com", "role": "guest" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{inv}");
    assert_eq!(inv["email"], "bob@example.com");
    assert_eq!(inv["role"], "guest");
    assert!(inv.get("token").is_none(), "the link goes by mail only");

    let mails = app.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "bob@example.com");
    assert_eq!(mails[0].subject, "admin invited you to Acme on hearth");
    assert!(mails[0].html.contains("Accept the invitation"));
    let token = app.invitation_token("bob@example.com").await;

    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({ "email": "bob@example.com", "username": "bob", "password": PASSWORD, "invite_token": token })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["workspace"], "acme");
    assert_eq!(body["user"]["is_server_admin"], false);
    let bob_token = body["token"].as_str().unwrap();
    let (_, ws) = app.get("/api/v1/workspaces/acme", bob_token).await;
    assert_eq!(ws["role"], "guest");
    assert!(
        app.get("/api/v1/workspaces/acme/invitations", &admin.token).await.1["invitations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_invitation_is_single_use() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.join(&admin, "acme", "bob", "member").await;
    let token = app.invitation_token("bob@example.com").await;
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(
                json!({ "email": "bob2@example.com", "username": "bob2", "password": PASSWORD, "invite_token": token }),
            ),
        )
        .await;
    assert_error(&res, StatusCode::GONE, "invitation_used");
    let bob = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "bob", "password": PASSWORD })))
        .await
        .1;
    let res = app.post(&format!("/api/v1/invitations/{token}/accept"), bob["token"].as_str().unwrap(), json!({})).await;
    assert_error(&res, StatusCode::GONE, "invitation_used");
}

#[tokio::test]
async fn expired_unknown_and_misaddressed_invitations_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    let token = app.invitation_token("bob@example.com").await;
    let signup = |email: &'static str, token: String| {
        app.call(
            Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({ "email": email, "username": "bob", "password": PASSWORD, "invite_token": token })),
        )
    };
    assert_error(&signup("eve@example.com", token.clone()).await, StatusCode::FORBIDDEN, "invitation_email_mismatch");
    assert_error(&signup("bob@example.com", "made-up".into()).await, StatusCode::NOT_FOUND, "invitation_not_found");
    app.sql("UPDATE invitations SET expires_at = '2000-01-01 00:00:00'");
    assert_error(&signup("bob@example.com", token).await, StatusCode::GONE, "invitation_expired");
    let res =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "bob", "password": PASSWORD }))).await;
    assert_eq!(res.0, StatusCode::UNAUTHORIZED, "no account was created");
}

#[tokio::test]
async fn who_may_invite_whom() {
    let app = spawn_app().await;
    let owner = app.admin_with_workspace().await;
    let ada = app.join(&owner, "acme", "ada", "admin").await;
    let bob = app.join(&owner, "acme", "bob", "member").await;
    let invite = |token: String, email: &'static str, role: &'static str| {
        let app = &app;
        async move { app.post("/api/v1/workspaces/acme/invitations", &token, json!({ "email": email, "role": role })).await }
    };
    assert_error(
        &invite(bob.token.clone(), "c@example.com", "member").await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    assert_error(&invite(ada.token.clone(), "c@example.com", "admin").await, StatusCode::FORBIDDEN, "owner_required");
    assert_error(
        &invite(owner.token.clone(), "c@example.com", "owner").await,
        StatusCode::FORBIDDEN,
        "invalid_invitation_role",
    );
    assert_error(
        &invite(owner.token.clone(), "c@example.com", "emperor").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    );
    assert_error(
        &invite(owner.token.clone(), "not an email", "member").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_email",
    );
    assert_error(
        &invite(owner.token.clone(), "bob@example.com", "member").await,
        StatusCode::CONFLICT,
        "already_member",
    );
    assert_eq!(invite(ada.token.clone(), "c@example.com", "guest").await.0, StatusCode::CREATED);
    assert_error(
        &app.get("/api/v1/workspaces/acme/invitations", &bob.token).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    let (_, pending) = app.get("/api/v1/workspaces/acme/invitations", &ada.token).await;
    assert_eq!(pending["invitations"].as_array().unwrap().len(), 1);
    // Mail goes out in the order it was enqueued: once the last invitation's is written, any
    // of a refused one would have been too.
    let sent: Vec<_> = app.wait_for_mails(3).await.into_iter().map(|m| m.to).collect();
    assert_eq!(sent.len(), 3, "ada's, bob's and c's invitations: {sent:?}");
    assert!(!sent.contains(&"not an email".to_owned()));
    assert_eq!(sent.iter().filter(|t| *t == "c@example.com").count(), 1, "refused invitations send nothing");
}

#[tokio::test]
async fn an_existing_account_accepts_with_the_invited_address_only() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "beta", "name": "Beta" })).await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    app.post("/api/v1/workspaces/beta/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    app.wait_for_mails(3).await;
    let token = app.invitation_token("bob@example.com").await;
    let res = app.post(&format!("/api/v1/invitations/{token}/accept"), &carol.token, json!({})).await;
    assert_error(&res, StatusCode::FORBIDDEN, "invitation_email_mismatch");
    let (status, ws) = app.post(&format!("/api/v1/invitations/{token}/accept"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ws["slug"], "beta");
    assert_eq!(ws["role"], "member");
}

#[tokio::test]
async fn a_spare_invitation_does_not_undo_a_deactivation() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    let first = app.invitation_token("bob@example.com").await;
    app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    app.wait_for_mails(2).await;
    let spare = app.invitation_token("bob@example.com").await;
    let bob = app.signup("bob", Some(&first)).await;
    app.patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "deactivated": true }))
        .await;
    let res = app.post(&format!("/api/v1/invitations/{spare}/accept"), &bob.token, json!({})).await;
    assert_error(&res, StatusCode::GONE, "invitation_expired");
    assert_eq!(app.get("/api/v1/workspaces/acme", &bob.token).await.0, StatusCode::NOT_FOUND);
}
