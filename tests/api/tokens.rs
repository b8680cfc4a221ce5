use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn personal_access_tokens_are_created_used_listed_and_revoked() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (status, created) = app.post("/api/v1/me/tokens", &alice.token, json!({ "name": "deploy bot" })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("hpat_") && token.len() >= 40, "{token}");

    let (status, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "alice");

    let (_, list) = app.get("/api/v1/me/tokens", &alice.token).await;
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0]["name"], "deploy bot");
    assert!(tokens[0].get("token").is_none(), "the secret is shown once only");
    assert!(!list.to_string().contains(&token));
    assert!(tokens[0]["last_used_at"].is_string(), "use is recorded");

    let id = created["id"].as_i64().unwrap();
    assert_eq!(app.delete(&format!("/api/v1/me/tokens/{id}"), &alice.token).await.0, StatusCode::NO_CONTENT);
    assert_error(&app.get("/api/v1/me", &token).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_error(
        &app.delete(&format!("/api/v1/me/tokens/{id}"), &alice.token).await,
        StatusCode::NOT_FOUND,
        "token_not_found",
    );
}

#[tokio::test]
async fn tokens_need_a_name_and_belong_to_their_owner() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    assert_error(
        &app.post("/api/v1/me/tokens", &admin.token, json!({ "name": " " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_token_name",
    );
    assert_error(
        &app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "x".repeat(65) })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_token_name",
    );
    let (_, created) = app.post("/api/v1/me/tokens", &admin.token, json!({ "name": "mine" })).await;
    let id = created["id"].as_i64().unwrap();
    assert_error(
        &app.delete(&format!("/api/v1/me/tokens/{id}"), &bob.token).await,
        StatusCode::NOT_FOUND,
        "token_not_found",
    );
    assert_eq!(app.get("/api/v1/me", created["token"].as_str().unwrap()).await.0, StatusCode::OK, "still works");
    assert!(app.get("/api/v1/me/tokens", &bob.token).await.1["tokens"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_database_holds_only_token_hashes() {
    let app = spawn_app().await;
    let alice = app.signup("alice", None).await;
    let (_, created) = app.post("/api/v1/me/tokens", &alice.token, json!({ "name": "ci" })).await;
    let token = created["token"].as_str().unwrap();
    // Read the raw row through the app's own database handle.
    let hashes: Vec<String> = {
        use diesel::prelude::*;
        use hearth::db::schema::api_tokens::dsl::*;
        let mut conn = app.state.db.conn().unwrap();
        api_tokens.select(token_hash).load(&mut *conn).unwrap()
    };
    assert_eq!(hashes, [hearth::security::token_hash(token)]);
    assert_ne!(hashes[0], token);
}
