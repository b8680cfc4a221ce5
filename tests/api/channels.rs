use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, spawn_app};

/// The id of a channel by name among the caller's channels.
pub async fn channel_id(app: &TestApp, user: &TestUser, name: &str) -> i64 {
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &user.token).await;
    list["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("#{name} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

pub async fn create_channel(app: &TestApp, user: &TestUser, name: &str, private: bool) -> i64 {
    let (status, c) =
        app.post("/api/v1/workspaces/acme/channels", &user.token, json!({ "name": name, "private": private })).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

fn names(list: &Value) -> Vec<String> {
    list["channels"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_workspace_starts_with_general_and_members_join_it() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &bob.token).await;
    assert_eq!(names(&list), ["general"]);
    assert_eq!(list["channels"][0]["is_default"], true);
    assert_eq!(list["channels"][0]["membership"]["unread_count"], 0);
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &guest.token).await;
    assert!(names(&list).is_empty(), "guests join nothing by default");
    let general = channel_id(&app, &bob, "general").await;
    let (_, members) = app.get(&format!("/api/v1/channels/{general}/members"), &admin.token).await;
    let usernames: Vec<_> =
        members["members"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
    assert_eq!(usernames, ["admin", "bob"]);
}

#[tokio::test]
async fn channels_are_created_with_valid_unique_names() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let (status, c) = app
        .post(
            "/api/v1/workspaces/acme/channels",
            &admin.token,
            json!({ "name": "design", "topic": "Pixels", "purpose": "Make it nice" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (c["name"].as_str(), c["kind"].as_str(), c["topic"].as_str()),
        (Some("design"), Some("public"), Some("Pixels"))
    );
    // A name typed the way people type it is made into one, as in Slack.
    let (status, typed) =
        app.post("/api/v1/workspaces/acme/channels", &admin.token, json!({ "name": "Launch Team" })).await;
    assert_eq!((status, typed["name"].as_str()), (StatusCode::CREATED, Some("launch-team")));
    let cases = [
        (json!({ "name": "Design" }), StatusCode::CONFLICT, "channel_name_taken", "uppercase, made lowercase"),
        (json!({ "name": "what?" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel_name", "punctuation"),
        (json!({ "name": "" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel_name", "empty"),
        (json!({ "name": "x".repeat(81) }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel_name", "too long"),
        (
            json!({ "name": "ok", "topic": "t".repeat(251) }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_topic",
            "long topic",
        ),
        (json!({ "name": "design" }), StatusCode::CONFLICT, "channel_name_taken", "taken"),
        (
            json!({ "name": "general", "private": true }),
            StatusCode::CONFLICT,
            "channel_name_taken",
            "taken by #general",
        ),
    ];
    for (body, status, code, why) in cases {
        let res = app.post("/api/v1/workspaces/acme/channels", &admin.token, body).await;
        assert_eq!(res.0, status, "{why}: {}", res.1);
        assert_eq!(res.1["error"]["code"], code, "{why}");
    }
    assert_error(
        &app.post("/api/v1/workspaces/acme/channels", &guest.token, json!({ "name": "mine" })).await,
        StatusCode::FORBIDDEN,
        "guest_cannot_create",
    );
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &admin.token).await;
    assert_eq!(names(&list), ["design", "general", "launch-team"]);
}

#[tokio::test]
async fn public_channels_are_browsed_and_joined_private_ones_are_invisible() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let random = create_channel(&app, &admin, "random", false).await;
    let secret = create_channel(&app, &admin, "secret", true).await;

    let (_, browse) = app.get("/api/v1/workspaces/acme/channels?browse=true", &bob.token).await;
    assert_eq!(names(&browse), ["random"], "private channels are not listed");
    assert!(names(&app.get("/api/v1/workspaces/acme/channels?browse=true", &guest.token).await.1).is_empty());

    for path in [
        format!("/api/v1/channels/{secret}"),
        format!("/api/v1/channels/{secret}/messages"),
        format!("/api/v1/channels/{secret}/members"),
        format!("/api/v1/channels/{secret}/pins"),
    ] {
        assert_error(&app.get(&path, &bob.token).await, StatusCode::NOT_FOUND, "channel_not_found");
    }
    assert_error(
        &app.post(&format!("/api/v1/channels/{secret}/join"), &bob.token, json!({})).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{secret}/messages"), &bob.token, json!({ "text": "hi" })).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    assert_error(
        &app.get(&format!("/api/v1/channels/{random}"), &guest.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{random}/join"), &guest.token, json!({})).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );

    let (status, joined) = app.post(&format!("/api/v1/channels/{random}/join"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(joined["membership"].is_object());
    assert_eq!(names(&app.get("/api/v1/workspaces/acme/channels", &bob.token).await.1), ["general", "random"]);
    assert_eq!(
        app.post(&format!("/api/v1/channels/{random}/leave"), &bob.token, json!({})).await.0,
        StatusCode::NO_CONTENT
    );
    let general = channel_id(&app, &bob, "general").await;
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/leave"), &bob.token, json!({})).await,
        StatusCode::FORBIDDEN,
        "cannot_leave_default",
    );
}

#[tokio::test]
async fn members_add_people_and_channel_admins_remove_them() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let guest = app.join(&admin, "acme", "gus", "guest").await;
    let secret = create_channel(&app, &bob, "secret", true).await;

    let (status, added) =
        app.post(&format!("/api/v1/channels/{secret}/members"), &bob.token, json!({ "user_id": guest.id })).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        app.get(&format!("/api/v1/channels/{secret}"), &guest.token).await.0,
        StatusCode::OK,
        "the guest sees what they were added to"
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{secret}/members"), &guest.token, json!({ "user_id": carol.id })).await,
        StatusCode::FORBIDDEN,
        "guest_cannot_invite",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{secret}/members"), &bob.token, json!({ "user_id": guest.id })).await,
        StatusCode::CONFLICT,
        "already_in_channel",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{secret}/members"), &bob.token, json!({ "user_id": 999_999 })).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    app.post(&format!("/api/v1/channels/{secret}/members"), &bob.token, json!({ "user_id": carol.id })).await;

    assert_error(
        &app.delete(&format!("/api/v1/channels/{secret}/members/{}", guest.id), &carol.token).await,
        StatusCode::FORBIDDEN,
        "not_channel_admin",
    );
    assert_eq!(
        app.delete(&format!("/api/v1/channels/{secret}/members/{}", guest.id), &bob.token).await.0,
        StatusCode::NO_CONTENT,
        "the creator removes"
    );
    assert_error(
        &app.get(&format!("/api/v1/channels/{secret}"), &guest.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    // Workspace admins manage channels they are not in... only when they can see them.
    assert_error(
        &app.delete(&format!("/api/v1/channels/{secret}/members/{}", carol.id), &admin.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
}

#[tokio::test]
async fn topics_names_and_archiving_follow_the_rules() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let c = create_channel(&app, &bob, "plans", false).await;
    app.post(&format!("/api/v1/channels/{c}/join"), &carol.token, json!({})).await;
    let path = format!("/api/v1/channels/{c}");

    let (status, ch) = app.patch(&path, &carol.token, json!({ "topic": "Q3 plans" })).await;
    assert_eq!(status, StatusCode::OK, "any member sets the topic");
    assert_eq!(ch["topic"], "Q3 plans");
    assert_error(
        &app.patch(&path, &carol.token, json!({ "name": "carols" })).await,
        StatusCode::FORBIDDEN,
        "not_channel_admin",
    );
    assert_error(
        &app.patch(&path, &bob.token, json!({ "name": "general" })).await,
        StatusCode::CONFLICT,
        "channel_name_taken",
    );
    assert_error(&app.patch(&path, &bob.token, json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "nothing_to_change");
    let (status, ch) =
        app.patch(&path, &carol.token, json!({ "name": "plans", "topic": "Q4 plans", "purpose": "" })).await;
    assert_eq!(status, StatusCode::OK, "the unchanged name is no rename, as in the details form: {ch}");
    assert_eq!((ch["name"].as_str(), ch["topic"].as_str()), (Some("plans"), Some("Q4 plans")));
    assert_eq!(
        app.patch(&path, &bob.token, json!({ "name": "roadmap" })).await.1["name"],
        "roadmap",
        "the creator renames"
    );
    assert_eq!(
        app.patch(&path, &admin.token, json!({ "name": "roadmap-2026" })).await.0,
        StatusCode::OK,
        "workspace admins rename public channels"
    );

    assert_error(
        &app.post(&format!("{path}/archive"), &carol.token, json!({})).await,
        StatusCode::FORBIDDEN,
        "not_channel_admin",
    );
    let (status, archived) = app.post(&format!("{path}/archive"), &bob.token, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(archived["archived"], true);
    assert_error(
        &app.post(&format!("{path}/archive"), &bob.token, json!({})).await,
        StatusCode::CONFLICT,
        "already_archived",
    );
    assert_error(
        &app.post(&format!("{path}/messages"), &carol.token, json!({ "text": "anyone?" })).await,
        StatusCode::FORBIDDEN,
        "channel_archived",
    );
    assert_eq!(app.get(&format!("{path}/messages"), &carol.token).await.0, StatusCode::OK, "still readable");
    assert_eq!(app.post(&format!("{path}/unarchive"), &admin.token, json!({})).await.0, StatusCode::OK);
    assert_eq!(
        app.post(&format!("{path}/messages"), &carol.token, json!({ "text": "back" })).await.0,
        StatusCode::CREATED
    );

    let general = channel_id(&app, &admin, "general").await;
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/archive"), &admin.token, json!({})).await,
        StatusCode::FORBIDDEN,
        "cannot_archive_default",
    );
}

#[tokio::test]
async fn direct_messages_are_one_conversation_per_set_of_people() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let carol = app.join(&admin, "acme", "carol", "member").await;
    let (status, dm) = app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [carol.id] })).await;
    assert_eq!(status, StatusCode::CREATED, "{dm}");
    assert_eq!(dm["kind"], "dm");
    assert_eq!(dm["name"], Value::Null);
    let (status, again) =
        app.post("/api/v1/workspaces/acme/dms", &carol.token, json!({ "user_ids": [bob.id, bob.id] })).await;
    assert_eq!(status, StatusCode::OK, "the same pair finds the same conversation");
    assert_eq!(again["id"], dm["id"]);
    let dm_id = dm["id"].as_i64().unwrap();
    assert_error(
        &app.get(&format!("/api/v1/channels/{dm_id}/messages"), &admin.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );

    let (status, group) =
        app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [carol.id, admin.id] })).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(group["kind"], "group_dm");
    assert_eq!(group["dm_members"].as_array().unwrap().len(), 3);

    assert_error(
        &app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [bob.id] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_dm_members",
    );
    assert_error(
        &app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [] })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_dm_members",
    );
    let many: Vec<i64> = (1000..1008).collect();
    assert_error(
        &app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": many })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_dm_members",
    );
    assert_error(
        &app.post("/api/v1/workspaces/acme/dms", &bob.token, json!({ "user_ids": [424_242] })).await,
        StatusCode::NOT_FOUND,
        "user_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{dm_id}/leave"), &bob.token, json!({})).await,
        StatusCode::FORBIDDEN,
        "not_for_dms",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{dm_id}/members"), &bob.token, json!({ "user_id": admin.id })).await,
        StatusCode::FORBIDDEN,
        "not_for_dms",
    );
    let (_, list) = app.get("/api/v1/workspaces/acme/channels", &carol.token).await;
    assert_eq!(list["channels"].as_array().unwrap().len(), 3, "general, the DM and the group: {list}");
}

#[tokio::test]
async fn a_deactivated_workspace_member_loses_its_channels() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let general = channel_id(&app, &bob, "general").await;
    app.patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "deactivated": true }))
        .await;
    assert_error(
        &app.get(&format!("/api/v1/channels/{general}/messages"), &bob.token).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
    assert_error(
        &app.post(&format!("/api/v1/channels/{general}/messages"), &bob.token, json!({ "text": "still here?" })).await,
        StatusCode::NOT_FOUND,
        "channel_not_found",
    );
}

#[tokio::test]
async fn a_deactivated_member_stops_receiving_channel_events() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let (_, pat) = app.post("/api/v1/me/tokens", &bob.token, json!({ "name": "poller" })).await;
    let poller = pat["token"].as_str().unwrap().to_owned();
    let general = channel_id(&app, &bob, "general").await;
    let since = app.get("/api/v1/events?since=0&limit=200", &poller).await.1["next_since"].as_i64().unwrap();
    app.patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "deactivated": true }))
        .await;
    app.post(&format!("/api/v1/channels/{general}/messages"), &admin.token, json!({ "text": "after bob left" })).await;
    let (_, page) = app.get(&format!("/api/v1/events?since={since}"), &poller).await;
    let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["workspace.member_deactivated"], "{page}");
}
