use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn unknown_routes_get_a_json_404() {
    let app = spawn_app().await;
    assert_error(&app.call(Method::GET, "/api/v1/nothing-here", None, None).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn malformed_bodies_get_clear_errors_and_change_nothing() {
    let app = spawn_app().await;
    let send = |body: &'static str, content_type: &'static str| {
        app.client.post(app.url("/api/v1/auth/signup")).header("content-type", content_type).body(body).send()
    };
    let cases = [
        (send("{not json", "application/json").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_json", "syntax error"),
        (
            send(r#"{"email": "a@example.com"}"#, "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "missing fields",
        ),
        (
            send(r#"{"email": 5, "username": "x", "password": "y"}"#, "application/json").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "wrong type",
        ),
        (
            send("email=a", "text/plain").await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "not JSON",
        ),
    ];
    for (res, status, code, why) in cases {
        assert_eq!(res.status(), status, "{why}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{why}: {body}");
    }
    // Nothing was created: the first real sign-up still becomes the server admin.
    let admin = app.signup("first", None).await;
    let (_, me) = app.get("/api/v1/me", &admin.token).await;
    assert_eq!(me["is_server_admin"], true);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(hearth::http::BODY_LIMIT + 1);
    let res = app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": huge, "password": "p" }))).await;
    assert_error(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn the_longest_message_fits_its_routes_and_no_more() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let general = crate::channels::channel_id(&app, &admin, "general").await;
    let max = app.state.settings.limits.max_message_chars;
    // Two bytes a character in JSON, six once percent-encoded in a form: both above the
    // limit of routes that carry no message text.
    let longest = "é".repeat(max);
    assert!(longest.len() > hearth::http::BODY_LIMIT);
    let (status, posted) =
        app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": longest })).await;
    assert_eq!(status, StatusCode::CREATED, "{}", &posted.to_string()[..200.min(posted.to_string().len())]);
    let id = posted["id"].as_i64().unwrap();
    let (status, _) = app.patch(&format!("/api/v1/messages/{id}"), &admin.token, json!({ "text": longest })).await;
    assert_eq!(status, StatusCode::OK, "the longest message can be edited in");

    let b = crate::pages::Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get(&format!("/w/acme/c/{general}")).await;
    let sent =
        b.post(&format!("/w/acme/c/{general}/messages"), &[("csrf_token", &page.csrf()), ("text", &longest)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "the form takes it too");

    let beyond = "x".repeat(hearth::http::body::text_body_limit(max) + 1);
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/channels/{general}/messages"),
            Some(&admin.token),
            Some(json!({ "text": beyond })),
        )
        .await;
    assert_error(&res, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let (_, history) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    assert_eq!(history["messages"].as_array().unwrap().len(), 2, "nothing stored from the refused body");
}

#[tokio::test]
async fn non_numeric_ids_in_paths_are_a_400() {
    let app = spawn_app().await;
    let admin = app.signup("admin", None).await;
    assert_error(&app.delete("/api/v1/me/tokens/abc", &admin.token).await, StatusCode::BAD_REQUEST, "invalid_path");
}

#[tokio::test]
async fn the_openapi_document_lists_the_api() {
    let app = spawn_app().await;
    let doc: serde_json::Value =
        app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/me/tokens",
        "/api/v1/workspaces/{ws}/invitations",
        "/api/v1/events",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
    assert!(doc["components"]["schemas"].get("SignupRequest").is_some());
    // Every operation declares the answers any route may give, so clients can rely on them.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            for status in ["400", "404", "422", "429", "500"] {
                assert!(responses.get(status).is_some(), "{method} {path} declares {status}");
            }
            if !path.starts_with("/api/v1/auth/") || path.ends_with("/logout") || path.ends_with("/logout-all") {
                assert!(responses.get("401").is_some(), "{method} {path} declares 401");
            }
        }
    }
    assert!(doc["paths"].get("/api/v1/auth/verify").is_some(), "verification is documented");
    let event = &doc["components"]["schemas"]["Event"]["properties"];
    for field in ["seq", "type", "workspace_id", "channel_id", "data", "created_at"] {
        assert!(event.get(field).is_some(), "events are documented with {field}: {event}");
    }
}
