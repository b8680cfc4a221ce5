//! A saturated writer: requests' writes wait for the SQLite writer in a bounded queue and
//! for a bounded time; past either they are answered 503 with Retry-After at once, and
//! nothing is written. (PostgreSQL has no single writer; its pool bounds the wait.)

use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::poll_immediate;
use hearth::db::Backend;
use reqwest::StatusCode;
use serde_json::json;

use crate::channels::channel_id;
use crate::helpers::spawn_app_with;

#[tokio::test]
async fn a_full_write_queue_and_a_long_wait_are_refused_at_once_with_503() {
    let app = spawn_app_with(|s| {
        s.database.write_queue = 1;
        s.database.write_deadline = Duration::from_millis(300);
    })
    .await;
    if app.state.db.backend() != Backend::Sqlite {
        eprintln!("the write queue is SQLite's");
        return;
    }
    let admin = app.admin_with_workspace().await;
    let general = channel_id(&app, &admin, "general").await;
    let post = |text: &'static str| {
        let app = &app;
        let token = admin.token.clone();
        async move { app.post(&format!("/api/v1/channels/{general}/messages"), &token, json!({ "text": text })).await }
    };

    // Something holds the writer (a long transaction) until told to let go.
    let (held, is_held) = tokio::sync::oneshot::channel::<()>();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (held, released) = (Mutex::new(Some(held)), Mutex::new(released));
    let db = app.state.db.clone();
    let holder = tokio::spawn(async move {
        db.write(move |_| {
            if let Some(held) = held.lock().unwrap().take() {
                let _ = held.send(());
            }
            let _ = released.lock().unwrap().recv();
            Ok(())
        })
        .await
    });
    is_held.await.unwrap();

    // One write waits in the queue's one place; the next request is refused at once.
    let mut waiter = Box::pin(app.state.db.write(|_| Ok(())));
    assert!(poll_immediate(&mut waiter).await.is_none(), "waiting for the writer");
    let res = app
        .client
        .post(app.url(&format!("/api/v1/channels/{general}/messages")))
        .bearer_auth(&admin.token)
        .json(&json!({ "text": "too much at once" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"], "overloaded");

    // The waiter gives up at the deadline; so does a request that waits as long.
    assert!(matches!(waiter.await, Err(hearth::error::AppError::Overloaded { .. })));
    let (status, body) = post("waited too long").await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("overloaded")));

    // Let go: writes go through again, and nothing refused was written.
    release.send(()).unwrap();
    holder.await.unwrap().unwrap();
    let (status, _) = post("now it fits").await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = app.get(&format!("/api/v1/channels/{general}/messages"), &admin.token).await;
    let texts: Vec<&str> = page["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["now it fits"]);
}
