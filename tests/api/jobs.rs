//! Outbound work is a durable job: mail waits for a relay that is down, survives a restart,
//! goes out once, and what fails for good is kept for server admins (API and CLI).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::cli::{hearth, stdout};
use crate::helpers::{PASSWORD, TestApp, TestUser, assert_error, eventually, spawn_app_with};
use crate::mail::{Relay, closed_port, received, relay_at, smtp_sink, smtp_sink_on};

/// The jobs a server admin sees at `/api/v1/admin/jobs{query}`.
async fn jobs(app: &TestApp, admin: &TestUser, query: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/admin/jobs{query}"), &admin.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["jobs"].as_array().expect("a list of jobs").clone()
}

/// What the `jobs` table holds, read as it is stored.
fn stored_payloads(app: &TestApp) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        payload: String,
    }
    let mut conn = app.state.db.conn().expect("a connection");
    let rows: Vec<Stored> = diesel::sql_query("SELECT payload FROM jobs").load(&mut *conn).expect("jobs are readable");
    rows.into_iter().map(|r| r.payload).collect()
}

async fn invite(app: &TestApp, admin: &TestUser, email: &str) {
    let (status, body) = app.post("/api/v1/workspaces/acme/invitations", &admin.token, json!({ "email": email })).await;
    assert_eq!(status, StatusCode::CREATED, "the answer does not wait for the mail: {body}");
}

/// A signed-in account that is not a server admin (made directly: mail goes to the relay).
async fn someone(app: &TestApp) -> TestUser {
    let user = hearth::app::admin::create_user(&app.state, "eve@example.com", "eve", PASSWORD, false).await.unwrap();
    let (status, body) =
        app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "eve", "password": PASSWORD }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    TestUser { id: user.id, token: body["token"].as_str().unwrap().to_owned() }
}

#[tokio::test]
async fn mail_waits_for_a_relay_that_is_down_and_goes_out_once_it_is_up_even_across_a_restart() {
    let port = closed_port();
    let mut app = spawn_app_with(|s| {
        s.mail.smtp_url = relay_at(port);
        s.job_retry_base = std::time::Duration::from_millis(50);
    })
    .await;
    let admin = app.admin_with_workspace().await;
    invite(&app, &admin, "bob@example.com").await;
    let waiting = eventually("a second failed attempt", async || {
        jobs(&app, &admin, "?state=pending").await.into_iter().find(|j| j["attempts"].as_i64() >= Some(2))
    })
    .await;
    assert_eq!(waiting["kind"], "link_mail");
    assert!(waiting["summary"].as_str().unwrap().contains("bob@example.com"), "{waiting}");
    assert!(waiting["last_error"].as_str().unwrap().contains("relay is unavailable"), "{waiting}");
    assert!(waiting["attempts"].as_i64() < waiting["max_attempts"].as_i64(), "{waiting}");
    let stored = stored_payloads(&app);
    assert!(stored.iter().any(|p| p.contains("bob@example.com")), "{stored:?}");
    assert!(
        stored.iter().all(|p| p.split("/invitations/").skip(1).all(|after| after.starts_with('"'))),
        "a waiting mail holds no usable link, only where it goes: {stored:?}"
    );

    // hearth stops with the mail unsent; the relay comes up; hearth starts again.
    app.stop().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("the relay's port is free");
    let mut inbox = smtp_sink_on(listener, Relay::Accepting);
    app.start().await;
    let (to, data) = received(&mut inbox).await;
    assert_eq!(to, ["bob@example.com"]);
    assert!(data.contains("Subject: admin invited you to Acme on hearth"), "{data}");
    eventually("the job to be done", async || jobs(&app, &admin, "").await.is_empty().then_some(())).await;

    // Sent once: the next mail through the relay is the next invitation's, not bob's again.
    invite(&app, &admin, "carol@example.com").await;
    let (to, _) = received(&mut inbox).await;
    assert_eq!(to, ["carol@example.com"]);

    let id = waiting["id"].as_i64().unwrap();
    let res = app.post(&format!("/api/v1/admin/jobs/{id}/retry"), &admin.token, json!({})).await;
    assert_error(&res, StatusCode::CONFLICT, "job_not_failed");
}

#[tokio::test]
async fn a_mail_the_relay_refuses_is_kept_as_failed_for_server_admins_to_see_and_retry() {
    let (port, _inbox) = smtp_sink(Relay::Rejecting).await;
    let app = spawn_app_with(|s| s.mail.smtp_url = relay_at(port)).await;
    let admin = app.admin_with_workspace().await;
    invite(&app, &admin, "bob@example.com").await;
    let failed =
        eventually("the refused mail to fail", async || jobs(&app, &admin, "?state=failed").await.into_iter().next())
            .await;
    assert_eq!(failed["state"], "failed");
    assert_eq!(failed["attempts"], 1, "a refusal is not retried: {failed}");
    assert!(failed["last_error"].as_str().unwrap().contains("550"), "the relay's answer is kept: {failed}");
    assert!(failed["failed_at"].is_string(), "{failed}");
    assert!(jobs(&app, &admin, "?state=pending").await.is_empty(), "failed jobs are not pending");
    assert_eq!(jobs(&app, &admin, "").await.len(), 1, "both states by default");
    let id = failed["id"].as_i64().unwrap();

    let out = hearth(&app, &["admin", "jobs", "--failed"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = stdout(&out);
    let row = listing.lines().find(|l| l.trim_start().starts_with(&id.to_string())).unwrap_or_default();
    assert!(row.contains("failed") && row.contains("bob@example.com"), "{listing}");
    assert!(listing.contains("550"), "the last error is shown: {listing}");

    let (status, retried) = app.post(&format!("/api/v1/admin/jobs/{id}/retry"), &admin.token, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["attempts"], 0, "{retried}");
    assert!(retried["failed_at"].is_null(), "{retried}");
    // The relay still refuses: the retry is one more attempt that fails.
    eventually("the retried mail to fail again", async || {
        jobs(&app, &admin, "?state=failed").await.into_iter().find(|j| j["id"] == id && j["attempts"] == 1)
    })
    .await;

    let out = hearth(&app, &["admin", "jobs", "retry", &id.to_string()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains(&format!("job {id} will be tried again")), "{}", stdout(&out));
    let out = hearth(&app, &["admin", "jobs", "retry", "999999"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("There is no job 999999"), "{out:?}");
}

#[tokio::test]
async fn only_server_admins_see_and_retry_jobs_and_bad_requests_are_told_why() {
    let app = spawn_app_with(|s| s.mail.smtp_url = relay_at(closed_port())).await;
    let admin = app.admin_with_workspace().await;
    let eve = someone(&app).await;
    invite(&app, &admin, "bob@example.com").await;
    let id = jobs(&app, &admin, "").await[0]["id"].as_i64().unwrap();
    let retry = format!("/api/v1/admin/jobs/{id}/retry");

    let cases = [
        (app.get("/api/v1/admin/jobs", &eve.token).await, StatusCode::FORBIDDEN, "not_server_admin", "a member lists"),
        (app.post(&retry, &eve.token, json!({})).await, StatusCode::FORBIDDEN, "not_server_admin", "a member retries"),
        (
            app.call(Method::GET, "/api/v1/admin/jobs", None, None).await,
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "nobody signed in",
        ),
        (
            app.get("/api/v1/admin/jobs?state=lost", &admin.token).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "state",
        ),
        (app.get("/api/v1/admin/jobs?limit=0", &admin.token).await, StatusCode::BAD_REQUEST, "invalid_query", "limit"),
        (
            app.get("/api/v1/admin/jobs?cursor=x", &admin.token).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "cursor",
        ),
        (
            app.post("/api/v1/admin/jobs/999999/retry", &admin.token, json!({})).await,
            StatusCode::NOT_FOUND,
            "job_not_found",
            "an unknown job",
        ),
        (
            app.post("/api/v1/admin/jobs/first/retry", &admin.token, json!({})).await,
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "a job id that is not a number",
        ),
        (app.post(&retry, &admin.token, json!({})).await, StatusCode::CONFLICT, "job_not_failed", "a pending job"),
    ];
    for (res, status, code, why) in cases {
        assert_eq!(res.0, status, "{why}: {}", res.1);
        assert_error(&res, status, code);
    }
}

#[tokio::test]
async fn jobs_are_listed_newest_first_a_page_at_a_time() {
    let app = spawn_app_with(|s| s.mail.smtp_url = relay_at(closed_port())).await;
    let admin = app.admin_with_workspace().await;
    for who in ["a", "b", "c"] {
        invite(&app, &admin, &format!("{who}@example.com")).await;
    }
    let (_, first) = app.get("/api/v1/admin/jobs?limit=2", &admin.token).await;
    let summaries = |page: &Value| -> Vec<String> {
        page["jobs"].as_array().unwrap().iter().map(|j| j["summary"].as_str().unwrap().to_owned()).collect()
    };
    let seen = summaries(&first);
    assert_eq!(seen.len(), 2, "{first}");
    assert!(seen[0].contains("c@example.com") && seen[1].contains("b@example.com"), "{first}");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = app.get(&format!("/api/v1/admin/jobs?limit=2&cursor={cursor}"), &admin.token).await;
    let seen = summaries(&second);
    assert_eq!(seen.len(), 1, "{second}");
    assert!(seen[0].contains("a@example.com"), "{second}");
    assert!(second["next_cursor"].is_null(), "the last page: {second}");
}
