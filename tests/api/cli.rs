//! The `hearth` binary: settings and help, and the operator commands against a running app's database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

/// Runs the `hearth` binary against the test app's database and data directory.
pub(crate) fn hearth(app: &TestApp, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hearth"));
    cmd.args(args)
        .env_clear()
        .env("HEARTH_DATA_DIR", app.data_dir.path())
        .env("HEARTH_DATABASE_URL", app.state.settings.database_url())
        .env("HEARTH_PASSWORD_HASH", "test")
        .env("HEARTH_PUBLIC_URL", &app.address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("hearth runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn help_lists_every_setting_and_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_hearth")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = stdout(&out);
    for setting in [
        "HEARTH_BIND",
        "HEARTH_DATA_DIR",
        "HEARTH_PUBLIC_URL",
        "HEARTH_DATABASE_URL",
        "HEARTH_SECRET_KEY",
        "HEARTH_STORAGE_URL",
        "HEARTH_SMTP_URL",
        "HEARTH_OUTBOUND_ALLOW",
        "HEARTH_TRUSTED_PROXIES",
        "HEARTH_EVENT_RETENTION",
        "HEARTH_WS_QUEUE",
        "HEARTH_MAX_MESSAGE_CHARS",
        "HEARTH_SQLITE_SYNC",
        "HEARTH_PASSWORD_HASH",
        "HEARTH_LOG",
        "HEARTH_LOG_FORMAT",
        "HEARTH_JOB_RETRY_BASE",
        "HEARTH_SHUTDOWN_GRACE",
        "serve",
        "migrate",
        "admin",
    ] {
        assert!(help.contains(setting), "--help mentions {setting}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_hearth")).args(["admin", "--help"]).output().unwrap();
    let help = stdout(&out);
    for sub in ["create-user", "create-workspace", "reset-password", "list-users", "deactivate", "jobs"] {
        assert!(help.contains(sub), "admin --help mentions {sub}");
    }
}

#[test]
fn bad_settings_are_refused_with_a_clear_message() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_hearth")).args(["--sqlite-sync", "sometimes", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("HEARTH_SQLITE_SYNC must be normal or full"));
}

#[tokio::test]
async fn operators_manage_accounts_and_workspaces_from_the_command_line() {
    let app = spawn_app().await;
    let out = hearth(
        &app,
        &["admin", "create-user", "--email", "root@example.com", "--username", "root", "--password-stdin"],
        Some("a long root passphrase\n"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("server admin"), "the first account is the server admin");

    let out = hearth(&app, &["admin", "create-user", "--email", "bob@example.com", "--username", "bob"], None);
    assert!(out.status.success());
    let generated =
        stdout(&out).lines().find_map(|l| l.strip_prefix("password: ")).expect("a generated password").to_owned();

    let out = hearth(&app, &["admin", "create-user", "--email", "bad", "--username", "x"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid email"));

    let out = hearth(&app, &["admin", "create-workspace", "--slug", "ops", "--name", "Ops", "--owner", "bob"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (status, body) = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({ "login": "bob", "password": generated })))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bob = body["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/workspaces/ops", &bob).await.1["role"], "owner");

    let out = hearth(&app, &["admin", "list-users"], None);
    let listing = stdout(&out);
    assert!(listing.contains("root@example.com") && listing.contains("bob@example.com"), "{listing}");

    let out = hearth(&app, &["admin", "reset-password", "bob"], None);
    let link = stdout(&out).trim().to_owned();
    assert!(link.starts_with(&format!("{}/password-reset/", app.address)), "{link}");
    let token = link.rsplit('/').next().unwrap();
    let res = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({ "token": token, "password": "bob's new passphrase" })),
        )
        .await;
    assert_eq!(res.0, StatusCode::NO_CONTENT);

    let (_, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "login": "bob", "password": "bob's new passphrase" })),
        )
        .await;
    let bob = body["token"].as_str().unwrap().to_owned();
    let out = hearth(&app, &["admin", "deactivate", "bob"], None);
    assert!(out.status.success());
    assert_eq!(app.get("/api/v1/me", &bob).await.0, StatusCode::UNAUTHORIZED);
    let out = hearth(&app, &["admin", "deactivate", "nobody"], None);
    assert!(!out.status.success());
}
