use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, spawn_app};

/// All events `user` can see after `since`, following pages to the end.
async fn drain(app: &TestApp, user: &TestUser, since: i64) -> (Vec<Value>, i64) {
    let mut events = Vec::new();
    let mut since = since;
    loop {
        let (status, page) = app.get(&format!("/api/v1/events?since={since}&limit=200"), &user.token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        since = page["next_since"].as_i64().unwrap();
        if !page["has_more"].as_bool().unwrap() {
            return (events, since);
        }
    }
}

fn kinds(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn workspace_events_reach_that_workspaces_members_only() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    app.post("/api/v1/workspaces", &admin.token, json!({ "slug": "beta", "name": "Beta" })).await;
    let carol = app.join(&admin, "beta", "carol", "member").await;
    app.patch("/api/v1/me", &bob.token, json!({ "display_name": "Bobby" })).await;

    let (seen_by_carol, _) = drain(&app, &carol, 0).await;
    let beta = seen_by_carol[0]["workspace_id"].clone();
    assert_eq!(seen_by_carol[0]["data"]["workspace"]["slug"], "beta");
    assert!(seen_by_carol.iter().all(|e| e["workspace_id"] == beta), "{seen_by_carol:?}");
    assert!(
        !seen_by_carol.iter().any(|e| e["data"].to_string().contains("Bobby")),
        "carol shares no workspace with bob"
    );

    let (seen_by_bob, _) = drain(&app, &bob, 0).await;
    assert_eq!(
        kinds(&seen_by_bob),
        ["workspace.created", "channel.created", "workspace.member_added", "channel.member_added", "user.updated"]
    );
    let updated = &seen_by_bob[4];
    assert_eq!(updated["data"]["user"]["display_name"], "Bobby");
    assert!(updated["data"]["user"].get("email").is_none(), "events carry no emails");
    assert!(updated["seq"].as_i64().unwrap() > seen_by_bob[3]["seq"].as_i64().unwrap());
    assert!(updated["created_at"].as_str().unwrap().ends_with('Z'));

    let (seen_by_admin, _) = drain(&app, &admin, 0).await;
    let per_workspace = ["workspace.created", "channel.created", "workspace.member_added", "channel.member_added"];
    let expected: Vec<&str> =
        per_workspace.iter().chain(per_workspace.iter()).copied().chain(["user.updated"]).collect();
    assert_eq!(kinds(&seen_by_admin), expected);
}

#[tokio::test]
async fn a_deactivated_member_sees_their_deactivation_and_nothing_after() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let (_, pat) = app.post("/api/v1/me/tokens", &bob.token, json!({ "name": "poller" })).await;
    let bob_poller = TestUser { token: pat["token"].as_str().unwrap().to_owned(), ..bob.clone() };
    let (_, cursor) = drain(&app, &bob_poller, 0).await;

    app.patch(&format!("/api/v1/workspaces/acme/members/{}", bob.id), &admin.token, json!({ "deactivated": true }))
        .await;
    app.patch("/api/v1/workspaces/acme", &admin.token, json!({ "name": "Acme after Bob" })).await;

    let (after, _) = drain(&app, &bob_poller, cursor).await;
    assert_eq!(kinds(&after), ["workspace.member_deactivated"]);
    let (admin_sees, _) = drain(&app, &admin, cursor).await;
    assert_eq!(kinds(&admin_sees), ["workspace.member_deactivated", "workspace.updated"]);
}

#[tokio::test]
async fn a_poller_that_stops_and_restarts_sees_every_event_exactly_once_in_order() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let mut writers = Vec::new();
    for i in 0..4 {
        writers.push(app.join(&admin, "acme", &format!("writer{i}"), "member").await);
    }
    let (_, start) = drain(&app, &admin, 0).await;

    const PER_WRITER: usize = 15;
    let app = Arc::new(app);
    let mut tasks = Vec::new();
    for (i, w) in writers.iter().enumerate() {
        let (app, token) = (app.clone(), w.token.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0..PER_WRITER {
                let (status, _) = app.patch("/api/v1/me", &token, json!({ "display_name": format!("w{i}-{n}") })).await;
                assert_eq!(status, StatusCode::OK);
            }
        }));
    }

    // A poller reading small pages while the writers write; it "crashes" halfway, keeping
    // only its cursor, and a new one resumes from it.
    let expected = writers.len() * PER_WRITER;
    let mut seen = Vec::<(i64, String)>::new();
    let mut cursor = start;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    for target in [expected / 2, expected] {
        let mut poller_cursor = cursor;
        while seen.len() < target {
            assert!(tokio::time::Instant::now() < deadline, "timed out: saw {} of {target}", seen.len());
            let (status, page) = app.get(&format!("/api/v1/events?since={poller_cursor}&limit=7"), &admin.token).await;
            assert_eq!(status, StatusCode::OK);
            for e in page["events"].as_array().unwrap() {
                seen.push((e["seq"].as_i64().unwrap(), e["data"]["user"]["display_name"].as_str().unwrap().to_owned()));
            }
            poller_cursor = page["next_since"].as_i64().unwrap();
            if !page["has_more"].as_bool().unwrap() && seen.len() < target {
                // A polling bot's interval: nothing new yet.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
        cursor = poller_cursor;
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(seen.len(), expected, "every event, no duplicates");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "in seq order");
    let names: HashSet<_> = seen.iter().map(|(_, n)| n.clone()).collect();
    for i in 0..writers.len() {
        for n in 0..PER_WRITER {
            assert!(names.contains(&format!("w{i}-{n}")), "w{i}-{n} was seen");
        }
    }
    // Each writer's own events arrive in the order they were written.
    for i in 0..writers.len() {
        let mine: Vec<_> =
            seen.iter().filter(|(_, n)| n.starts_with(&format!("w{i}-"))).map(|(_, n)| n.clone()).collect();
        let want: Vec<_> = (0..PER_WRITER).map(|n| format!("w{i}-{n}")).collect();
        assert_eq!(mine, want);
    }
}

#[tokio::test]
async fn bad_cursors_and_limits_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    for (query, code) in [
        ("since=-1", "invalid_query"),
        ("since=abc", "invalid_query"),
        ("limit=0", "invalid_query"),
        ("limit=201", "invalid_query"),
    ] {
        assert_error(&app.get(&format!("/api/v1/events?{query}"), &admin.token).await, StatusCode::BAD_REQUEST, code);
    }
    assert_error(&app.get("/api/v1/events?since=999999", &admin.token).await, StatusCode::GONE, "resync_required");
    assert_eq!(app.call(reqwest::Method::GET, "/api/v1/events", None, None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_in_process_follower_restarted_from_its_cursor_sees_every_event_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let start = drain(&app, &admin, 0).await.1;
    let mut follower = hearth::events::Follower::new(&app.state.db, start);
    let writer = {
        let (client, url, token) = (app.client.clone(), app.url("/api/v1/me"), admin.token.clone());
        tokio::spawn(async move {
            for n in 0..40 {
                let res = client
                    .patch(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "display_name": format!("n{n}") }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::OK);
            }
        })
    };
    let mut seqs = Vec::new();
    while seqs.len() < 20 {
        seqs.extend(follower.next_batch(3).await.unwrap().iter().map(|e| e.seq));
    }
    // The follower stops; a new one starts where it left off.
    let mut follower = hearth::events::Follower::new(&app.state.db, follower.cursor());
    while seqs.len() < 40 {
        seqs.extend(follower.next_batch(5).await.unwrap().iter().map(|e| e.seq));
    }
    writer.await.unwrap();
    assert_eq!(seqs.len(), 40);
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn cluster_followers_stepping_together_handle_every_event_exactly_once() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let total_before = drain(&app, &admin, 0).await.0.len();
    let handled = Arc::new(Mutex::new(Vec::<i64>::new()));
    let step = |db: hearth::db::Db, handled: Arc<Mutex<Vec<i64>>>| {
        tokio::task::spawn_blocking(move || {
            hearth::events::step_cluster_follower(&db, "test-follower", 4, |_, rows| {
                handled.lock().unwrap().extend(rows.iter().map(|r| r.seq));
                Ok(())
            })
            .unwrap()
        })
    };
    for n in 0..10 {
        app.patch("/api/v1/me", &bob.token, json!({ "display_name": format!("b{n}") })).await;
        // Two workers step at once, as two nodes would.
        let (a, b) = (step(app.state.db.clone(), handled.clone()), step(app.state.db.clone(), handled.clone()));
        a.await.unwrap();
        b.await.unwrap();
    }
    // Catch up to the end, then restart: a fresh worker continues from the stored cursor.
    while step(app.state.db.clone(), handled.clone()).await.unwrap() > 0 {}
    app.patch("/api/v1/me", &bob.token, json!({ "display_name": "after restart" })).await;
    while step(app.state.db.clone(), handled.clone()).await.unwrap() > 0 {}

    let handled = handled.lock().unwrap().clone();
    // The follower sees every event in the log, visible to anyone or not.
    assert_eq!(handled.len(), total_before + 11, "{handled:?}");
    assert!(handled.windows(2).all(|w| w[0] < w[1]), "once each, in order: {handled:?}");
}

#[tokio::test]
async fn pruning_keeps_the_newest_event_and_makes_older_cursors_stale() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    for n in 0..3 {
        app.patch("/api/v1/me", &admin.token, json!({ "display_name": format!("n{n}") })).await;
    }
    let (all, newest) = drain(&app, &admin, 0).await;
    assert_eq!(all.len(), 5, "workspace.created, #general's channel.created and three user.updated");
    let db = app.state.db.clone();
    let through = tokio::task::spawn_blocking(move || hearth::events::prune(&db, std::time::Duration::ZERO))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(through, Some(newest - 1), "everything but the newest");

    assert_error(&app.get("/api/v1/events?since=1", &admin.token).await, StatusCode::GONE, "resync_required");
    let (status, page) = app.get("/api/v1/events?since=0", &admin.token).await;
    assert_eq!(status, StatusCode::OK, "0 starts at the oldest event kept");
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let (status, page) = app.get(&format!("/api/v1/events?since={}", newest - 1), &admin.token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let (status, page) = app.get(&format!("/api/v1/events?since={newest}"), &admin.token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page["events"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn pruning_never_passes_a_cluster_follower() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let db = app.state.db.clone();
    // A follower that has handled only the first event.
    tokio::task::spawn_blocking(move || hearth::events::step_cluster_follower(&db, "slow", 1, |_, _| Ok(())))
        .await
        .unwrap()
        .unwrap();
    for n in 0..3 {
        app.patch("/api/v1/me", &admin.token, json!({ "display_name": format!("n{n}") })).await;
    }
    let (all, _) = drain(&app, &admin, 0).await;
    let first = all[0]["seq"].as_i64().unwrap();
    let db = app.state.db.clone();
    let through = tokio::task::spawn_blocking(move || hearth::events::prune(&db, std::time::Duration::ZERO))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(through, Some(first), "only what the follower has handled");
    let db = app.state.db.clone();
    let handled =
        tokio::task::spawn_blocking(move || hearth::events::step_cluster_follower(&db, "slow", 100, |_, _| Ok(())))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(handled, all.len() - 1, "the follower still finds everything after its cursor");
}
