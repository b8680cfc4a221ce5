use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app, spawn_app_with};

#[tokio::test]
async fn the_server_admin_creates_a_workspace_and_owns_it() {
    let app = spawn_app().await;
    let admin = app.signup("admin", None).await;
    let (status, ws) =
        app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "acme", "name": "Acme Corp" })).await;
    assert_eq!(status, StatusCode::CREATED, "{ws}");
    assert_eq!(ws["slug"], "acme");
    assert_eq!(ws["role"], "owner");
    let (_, list) = app.get("/api/v1/workspaces", &admin.token).await;
    assert_eq!(list["workspaces"].as_array().unwrap().len(), 1);
    let (status, got) = app.get("/api/v1/workspaces/acme", &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "Acme Corp");
}

#[tokio::test]
async fn workspace_names_are_validated_and_unique() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let cases = [
        (json!({ "slug": "a", "name": "X" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_workspace_slug", "too short"),
        (
            json!({ "slug": "Has Caps", "name": "X" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_workspace_slug",
            "caps and space",
        ),
        (json!({ "slug": "api", "name": "X" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_workspace_slug", "reserved"),
        (
            json!({ "slug": "ok-slug", "name": "  " }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_workspace_name",
            "blank name",
        ),
        (json!({ "slug": "acme", "name": "Again" }), StatusCode::CONFLICT, "workspace_slug_taken", "taken"),
    ];
    for (body, status, code, why) in cases {
        let res = app.post("/api/v1/workspaces", &admin.token, body).await;
        assert_eq!(res.0, status, "{why}: {}", res.1);
        assert_eq!(res.1["error"]["code"], code, "{why}");
    }
    assert_eq!(app.get("/api/v1/workspaces", &admin.token).await.1["workspaces"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_server_admins_create_workspaces_unless_anyone_may() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let res = app.post("/api/v1/workspaces", &bob.token, json!({ "slug": "bobs", "name": "Bob's" })).await;
    assert_error(&res, StatusCode::FORBIDDEN, "workspace_creation_restricted");

    let open = spawn_app_with(|s| s.accounts.workspace_creation = hearth::config::WorkspaceCreation::Anyone).await;
    let admin = open.admin_with_workspace().await;
    let bob = open.join(&admin, "acme", "bob", "member").await;
    let (status, ws) = open.post("/api/v1/workspaces", &bob.token, json!({ "slug": "bobs", "name": "Bob's" })).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(ws["role"], "owner");
}

#[tokio::test]
async fn a_person_belongs_to_several_workspaces_and_sees_only_those() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "beta", "name": "Beta" })).await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    assert_eq!(app.get("/api/v1/workspaces/beta", &bob.token).await.0, StatusCode::NOT_FOUND, "not a member of beta");
    assert_error(&app.get("/api/v1/workspaces/nope", &bob.token).await, StatusCode::NOT_FOUND, "workspace_not_found");
    app.post("/api/v1/workspaces/beta/invitations", &admin.token, json!({ "email": "bob@example.com" })).await;
    app.wait_for_mails(2).await;
    let token = app.invitation_token("bob@example.com").await;
    let (status, ws) = app.post(&format!("/api/v1/invitations/{token}/accept"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{ws}");
    let (_, list) = app.get("/api/v1/workspaces", &bob.token).await;
    let slugs: Vec<_> =
        list["workspaces"].as_array().unwrap().iter().map(|w| w["slug"].as_str().unwrap().to_owned()).collect();
    assert_eq!(slugs, ["acme", "beta"]);
}

#[tokio::test]
async fn owners_and_admins_rename_members_cannot() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    assert_error(
        &app.patch("/api/v1/workspaces/acme", &bob.token, json!({ "name": "Bob Inc" })).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    let (status, ws) = app.patch("/api/v1/workspaces/acme", &admin.token, json!({ "name": "Acme Inc" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ws["name"], "Acme Inc");
    assert_eq!(app.get("/api/v1/workspaces/acme", &bob.token).await.1["name"], "Acme Inc");
}

#[tokio::test]
async fn roles_change_by_the_rules_and_the_last_owner_stays() {
    let app = spawn_app().await;
    let owner = app.admin_with_workspace().await;
    let ada = app.join(&owner, "acme", "ada", "admin").await;
    let bob = app.join(&owner, "acme", "bob", "member").await;
    let member = |id: i64| format!("/api/v1/workspaces/acme/members/{id}");

    assert_error(
        &app.patch(&member(ada.id), &bob.token, json!({ "role": "guest" })).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    assert_error(
        &app.patch(&member(bob.id), &ada.token, json!({ "role": "admin" })).await,
        StatusCode::FORBIDDEN,
        "owner_required",
    );
    assert_error(
        &app.patch(&member(owner.id), &ada.token, json!({ "deactivated": true })).await,
        StatusCode::FORBIDDEN,
        "owner_required",
    );
    assert_error(
        &app.patch(&member(owner.id), &owner.token, json!({ "role": "member" })).await,
        StatusCode::FORBIDDEN,
        "last_owner",
    );
    assert_error(
        &app.patch(&member(bob.id), &owner.token, json!({ "role": "king" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_role",
    );
    assert_error(
        &app.patch(&member(bob.id), &owner.token, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nothing_to_change",
    );
    assert_error(
        &app.patch(&member(424242), &owner.token, json!({ "role": "guest" })).await,
        StatusCode::NOT_FOUND,
        "member_not_found",
    );

    let (status, m) = app.patch(&member(bob.id), &ada.token, json!({ "role": "guest" })).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["role"], "guest");
    let (status, _) = app.patch(&member(ada.id), &owner.token, json!({ "role": "owner" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, m) = app.patch(&member(owner.id), &owner.token, json!({ "role": "member" })).await;
    assert_eq!(status, StatusCode::OK, "another owner exists now: {m}");

    let (_, members) = app.get("/api/v1/workspaces/acme/members", &bob.token).await;
    let roles: Vec<(String, String)> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"]["username"].as_str().unwrap().into(), m["role"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        roles,
        [("ada".into(), "owner".into()), ("admin".into(), "member".into()), ("bob".into(), "guest".into())]
    );
    assert!(members["members"][0]["user"].get("email").is_none(), "members do not see each other's emails");
}

#[tokio::test]
async fn a_deactivated_member_loses_the_workspace_at_once_and_can_be_reactivated() {
    let app = spawn_app().await;
    let owner = app.admin_with_workspace().await;
    let bob = app.join(&owner, "acme", "bob", "member").await;
    let (_, pat) = app.post("/api/v1/me/tokens", &bob.token, json!({ "name": "script" })).await;
    let pat = pat["token"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/workspaces/acme/members/{}", bob.id);
    let (status, m) = app.patch(&path, &owner.token, json!({ "deactivated": true })).await;
    assert_eq!(status, StatusCode::OK, "{m}");
    assert_eq!(m["deactivated"], true);
    for token in [&bob.token, &pat] {
        assert_eq!(app.get("/api/v1/workspaces/acme", token).await.0, StatusCode::NOT_FOUND);
        assert_eq!(app.get("/api/v1/workspaces/acme/members", token).await.0, StatusCode::NOT_FOUND);
    }
    assert!(app.get("/api/v1/workspaces", &bob.token).await.1["workspaces"].as_array().unwrap().is_empty());
    let self_path = format!("/api/v1/workspaces/acme/members/{}", owner.id);
    assert_error(
        &app.patch(&self_path, &owner.token, json!({ "deactivated": true })).await,
        StatusCode::FORBIDDEN,
        "last_owner",
    );

    let (status, m) = app.patch(&path, &owner.token, json!({ "deactivated": false })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(m["deactivated"], false);
    assert_eq!(app.get("/api/v1/workspaces/acme", &bob.token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_workspace_open_to_an_email_domain_lets_its_people_sign_up() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let path = "/api/v1/workspaces/acme";
    assert_error(
        &app.patch(path, &bob.token, json!({ "signup_domains": ["example.org"] })).await,
        StatusCode::FORBIDDEN,
        "not_workspace_admin",
    );
    assert_error(
        &app.patch(path, &admin.token, json!({ "signup_domains": ["not a domain"] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_signup_domains",
    );
    let (status, ws) =
        app.patch(path, &admin.token, json!({ "signup_domains": ["Example.org", "@example.org"] })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ws["signup_domains"], json!(["example.org"]));

    let signup = |email: &'static str, username: &'static str| {
        app.call(
            reqwest::Method::POST,
            "/api/v1/auth/signup",
            None,
            Some(json!({ "email": email, "username": username, "password": crate::helpers::PASSWORD })),
        )
    };
    assert_error(&signup("mallory@example.com", "mallory").await, StatusCode::FORBIDDEN, "signup_requires_invitation");
    assert_error(&signup("eve@sub.example.org", "eve2").await, StatusCode::FORBIDDEN, "signup_requires_invitation");
    let (status, body) = signup("eve@example.org", "eve").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email_verification_sent"], true, "the address must be proven first: {body}");
    assert!(body.get("workspace").is_none(), "{body}");
    let token = body["token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/workspaces/acme", token).await.0, StatusCode::NOT_FOUND, "not in it yet");
    let link = app.link_in_mail("eve@example.org", "/verify/").await;
    let proof = link.rsplit('/').next().unwrap().to_owned();
    let verify = |t: String| app.call(reqwest::Method::POST, "/api/v1/auth/verify", None, Some(json!({ "token": t })));
    assert_error(&verify("not-a-token".into()).await, StatusCode::NOT_FOUND, "verification_not_found");
    let (status, verified) = verify(proof.clone()).await;
    assert_eq!((status, verified["workspace"].as_str()), (StatusCode::OK, Some("acme")), "{verified}");
    assert_error(&verify(proof).await, StatusCode::GONE, "verification_used");
    assert_eq!(app.get("/api/v1/workspaces/acme", token).await.1["role"], "member");
    let (_, channels) = app.get("/api/v1/workspaces/acme/channels", token).await;
    assert_eq!(channels["channels"][0]["name"], "general", "joined the default channels");

    app.patch(path, &admin.token, json!({ "signup_domains": [] })).await;
    assert_error(&signup("zed@example.org", "zed").await, StatusCode::FORBIDDEN, "signup_requires_invitation");
}
