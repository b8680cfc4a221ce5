//! `spawn_app()` and typed helpers: each test gets its own server on a random port, its own
//! data directory and its own database (a fresh SQLite file, or a fresh PostgreSQL database
//! made from a migrated template when `HEARTH_TEST_DATABASE_URL` is set).

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::prelude::*;
use diesel::{Connection, PgConnection, RunQueryDsl};
use hearth::app::AppState;
use hearth::config::{HashCost, Settings};
use hearth::startup::{Application, StopHandle};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub state: AppState,
    pub client: reqwest::Client,
    pub data_dir: tempfile::TempDir,
    /// The inbound SMTP listener's port, when `HEARTH_INBOUND_SMTP` is set.
    pub inbound_port: Option<u16>,
    handle: StopHandle,
    database: Option<TestDatabase>,
}

/// A user signed in through the API.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub token: String,
}

/// The S3-compatible server files are stored in, when `HEARTH_TEST_S3_URL` names one
/// (`http://127.0.0.1:9000/bucket`): its endpoint and bucket. Local storage otherwise.
fn test_bucket() -> Option<(String, String)> {
    let url = std::env::var("HEARTH_TEST_S3_URL").ok().filter(|u| !u.is_empty())?;
    let (endpoint, bucket) =
        url.trim_end_matches('/').rsplit_once('/').expect("HEARTH_TEST_S3_URL is http://host:port/bucket");
    Some((endpoint.to_owned(), bucket.to_owned()))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns an app after letting the test adjust its settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database = TestDatabase::create();
    let mut settings = Settings::defaults(data_dir.path());
    settings.http.bind = "127.0.0.1:0".into();
    settings.accounts.password_hash = HashCost::Test;
    settings.http.workers = Some(1);
    settings.database.pool_size = 4;
    settings.database.min_idle = Some(1);
    settings.log.filter = "warn".into();
    // Suites write far faster than people do; the tests of the limits set their own.
    settings.limits.writes_per_minute = 1_000_000;
    settings.limits.write_burst = 100_000;
    settings.limits.signups_per_hour = 1_000_000;
    if let Some(db) = &database {
        settings.database.url = Some(hearth::config::Secret::new(db.url.clone()));
    }
    if let Some((endpoint, bucket)) = test_bucket() {
        // Each app keeps its objects under a prefix of its own in the shared bucket.
        settings.storage_url =
            Some(format!("s3://{bucket}/{}", data_dir.path().file_name().unwrap().to_string_lossy()));
        settings.s3_endpoint = Some(endpoint);
    }
    adjust(&mut settings);
    let app = Application::build(settings).expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let inbound_port = app.inbound_port();
    let state = app.state().clone();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { address, state, client, data_dir, inbound_port, handle, database }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stopping begins at once; the database is dropped after the server lets go of it.
        drop(self.handle.stop());
        if let Some(db) = self.database.take() {
            db.drop_database();
        }
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Signs up through the API (the first account needs no invitation).
    pub async fn signup(&self, username: &str, invite_token: Option<&str>) -> TestUser {
        let email = format!("{username}@example.com");
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(
                    json!({ "email": email, "username": username, "password": PASSWORD, "invite_token": invite_token }),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "signup of {username}: {body}");
        TestUser { id: body["user"]["id"].as_i64().unwrap(), token: body["token"].as_str().unwrap().into() }
    }

    /// The server admin (the first account) and a workspace `acme` they own.
    pub async fn admin_with_workspace(&self) -> TestUser {
        let admin = self.signup("admin", None).await;
        let (status, body) =
            self.post("/api/v1/workspaces", &admin.token, json!({ "slug": "acme", "name": "Acme" })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        admin
    }

    /// Invites `username` to `ws` with `role` and signs them up through the emailed link.
    pub async fn join(&self, inviter: &TestUser, ws: &str, username: &str, role: &str) -> TestUser {
        let email = format!("{username}@example.com");
        let (status, body) = self
            .post(
                &format!("/api/v1/workspaces/{ws}/invitations"),
                &inviter.token,
                json!({ "email": email, "role": role }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let token = self.invitation_token(&email).await;
        self.signup(username, Some(&token)).await
    }

    /// Every mail written so far, oldest first. Mail goes out from the job worker, after the
    /// request that caused it has been answered: wait for it with `wait_for_mails`.
    pub fn mails(&self) -> Vec<Mail> {
        let dir = self.state.settings.mail_dir();
        let mut mails = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return mails;
        };
        // Files are named by the time they were written, and appear whole (renamed into place).
        let mut files: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect();
        files.sort();
        for path in files {
            {
                let raw = std::fs::read(&path).unwrap();
                let msg = mail_parser::MessageParser::default().parse(&raw).expect("a parsable mail");
                let to = msg.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_string();
                mails.push(Mail {
                    to,
                    subject: msg.subject().unwrap_or_default().to_string(),
                    text: msg.body_text(0).unwrap_or_default().to_string(),
                    html: msg.body_html(0).unwrap_or_default().to_string(),
                });
            }
        }
        mails
    }

    /// At least `n` mails, oldest first, waiting up to 10 s for them to be sent.
    pub async fn wait_for_mails(&self, n: usize) -> Vec<Mail> {
        eventually(&format!("{n} mails written"), async || Some(self.mails()).filter(|m| m.len() >= n)).await
    }

    /// The last link in mail to `to` that starts with `prefix` (after the public URL),
    /// waiting up to 10 s for such a mail. Where an earlier mail to `to` holds such a link
    /// too, wait for the later one with `wait_for_mails` first.
    pub async fn link_in_mail(&self, to: &str, prefix: &str) -> String {
        let start = format!("{}{}", self.state.public_url, prefix);
        eventually(&format!("a {prefix} link in mail to {to}"), async || {
            self.mails()
                .into_iter()
                .filter(|m| m.to == to)
                .flat_map(|m| m.text.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                .rfind(|w| w.starts_with(&start))
        })
        .await
    }

    pub async fn invitation_token(&self, email: &str) -> String {
        self.link_in_mail(email, "/invitations/").await.rsplit('/').next().unwrap().to_owned()
    }

    /// Runs SQL against the app's database (test setup only: moving clocks, say).
    pub fn sql(&self, statement: &str) {
        let mut conn = self.state.db.conn().expect("a connection");
        diesel::sql_query(statement).execute(&mut *conn).expect("setup SQL runs");
    }

    /// Reads one text value (`… AS value`) straight from the database, to check what is
    /// stored (a secret's hash, never the secret).
    pub fn sql_text(&self, query: &str) -> String {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let mut conn = self.state.db.conn().expect("a connection");
        diesel::sql_query(query).get_result::<Row>(&mut *conn).expect("the query reads one row").value
    }
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A PostgreSQL database of one test.
struct TestDatabase {
    maintenance_url: String,
    name: String,
    url: String,
}

static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// Swaps the database name at the end of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{name}{query}")
}

/// The name of the template for the migrations in this tree.
fn template_name() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hash = Sha256::new();
    for f in files {
        hash.update(f.to_string_lossy().as_bytes());
        hash.update(std::fs::read(&f).unwrap());
    }
    let digest = hash.finalize();
    format!("hearth_tpl_{}", digest.iter().take(6).map(|b| format!("{b:02x}")).collect::<String>())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

impl TestDatabase {
    fn create() -> Option<TestDatabase> {
        let maintenance_url = std::env::var("HEARTH_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let template = template_name();
        let mut conn = PgConnection::establish(&maintenance_url).expect("the maintenance database is reachable");
        // Test processes racing to build the template take turns.
        diesel::sql_query("SELECT pg_advisory_lock(4242)").execute(&mut conn).unwrap();
        let exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}') AS exists"
        ))
        .get_result::<Exists>(&mut conn)
        .unwrap()
        .exists;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {template}")).execute(&mut conn).unwrap();
            let db = hearth::db::Db::open(&hearth::db::DbOptions {
                url: with_database(&maintenance_url, &template),
                pool_size: 1,
                min_idle: Some(0),
                sqlite_sync: hearth::db::SqliteSync::Normal,
                write_queue: 1024,
                write_deadline: std::time::Duration::from_secs(2),
            })
            .unwrap();
            hearth::db::migrations::run(&mut db.conn().unwrap()).unwrap();
        }
        let name = format!("hearth_t_{}_{}", std::process::id(), NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut conn).unwrap();
        diesel::sql_query("SELECT pg_advisory_unlock(4242)").execute(&mut conn).unwrap();
        let url = with_database(&maintenance_url, &name);
        Some(TestDatabase { maintenance_url, name, url })
    }

    fn drop_database(self) {
        let _ = std::thread::spawn(move || {
            if let Ok(mut conn) = PgConnection::establish(&self.maintenance_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
            }
        })
        .join();
    }
}

/// Polls `check` until it gives a value; fails the test, saying `what`, after 10 s.
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Asserts an error response's status and code.
#[track_caller]
pub fn assert_error(response: &(StatusCode, Value), status: StatusCode, code: &str) {
    let (s, body) = response;
    assert_eq!(*s, status, "expected {status} {code}, got {s}: {body}");
    assert_eq!(body["error"]["code"], code, "expected {code}: {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "a message: {body}");
}

/// A WebSocket client of the live gateway.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

/// How a socket ended, or what it sent.
#[derive(Debug)]
pub enum WsEvent {
    Frame(Value),
    Closed(Option<u16>),
}

impl TestApp {
    /// Opens `/api/v1/ws` with a bearer token; `query` like `since=5&html=1`.
    pub async fn ws(&self, token: &str, query: &str) -> Ws {
        Ws::connect(&self.address, token, query).await
    }

    /// Starts another node on the same database (PostgreSQL), sharing nothing else.
    pub async fn second_node(&self) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = (*self.state.settings).clone();
        settings.data_dir = data_dir.path().to_owned();
        settings.http.public_url = None;
        let app = Application::build(settings).expect("the second node builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let inbound_port = app.inbound_port();
        let state = app.state().clone();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp { address, state, client: self.client.clone(), data_dir, inbound_port, handle, database: None }
    }

    /// Stops the server and starts it again on the same data directory and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Stops the server (and its workers) and waits until it has stopped.
    pub async fn stop(&mut self) {
        // A fresh client: the old one's idle connections would hold the graceful stop up.
        self.client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        self.handle.stop().await;
    }

    /// Stops the server and starts it again with some settings changed (a relay set, say).
    pub async fn restart_with(&mut self, adjust: impl FnOnce(&mut Settings)) {
        self.stop().await;
        let mut settings = (*self.state.settings).clone();
        adjust(&mut settings);
        self.start_with(settings).await;
    }

    /// Starts a stopped server again on the same data directory and database (on another port).
    pub async fn start(&mut self) {
        let settings = (*self.state.settings).clone();
        self.start_with(settings).await;
    }

    async fn start_with(&mut self, mut settings: Settings) {
        settings.http.public_url = None;
        let app = Application::build(settings).expect("the app builds again");
        self.address = format!("http://127.0.0.1:{}", app.port());
        self.inbound_port = app.inbound_port();
        self.state = app.state().clone();
        self.handle = app.handle();
        tokio::spawn(app.run_until_stopped());
    }
}

impl Ws {
    /// Opens `/api/v1/ws` on the server at `address` (`http://…`) with a bearer token.
    pub async fn connect(address: &str, token: &str, query: &str) -> Ws {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = format!("{}/api/v1/ws?{query}", address.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (stream, _) = tokio_tungstenite::connect_async(request).await.expect("the WebSocket opens");
        Ws { stream }
    }

    /// The next frame or the close, failing after 10 seconds.
    pub async fn next(&mut self) -> WsEvent {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let message = tokio::time::timeout(std::time::Duration::from_secs(10), self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("no frame within 10 s"));
            match message {
                Some(Ok(Message::Text(t))) => {
                    return WsEvent::Frame(serde_json::from_str(&t).expect("frames are JSON"));
                }
                Some(Ok(Message::Close(frame))) => return WsEvent::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return WsEvent::Closed(None),
            }
        }
    }

    /// The next frame; a close fails the test.
    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            WsEvent::Frame(f) => f,
            WsEvent::Closed(code) => panic!("the socket closed ({code:?}) where a frame was expected"),
        }
    }

    /// Frames up to and including the first of type `kind` whose `check` holds.
    pub async fn until(&mut self, kind: &str, check: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let f = match self.next().await {
                WsEvent::Frame(f) => f,
                WsEvent::Closed(code) => panic!("closed ({code:?}) while waiting for {kind}; saw {seen:?}"),
            };
            let done = f["type"] == kind && check(&f);
            seen.push(f);
            if done {
                return seen;
            }
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let WsEvent::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    pub async fn send(&mut self, frame: Value) {
        use futures_util::SinkExt;
        self.stream.send(tokio_tungstenite::tungstenite::Message::Text(frame.to_string().into())).await.expect("sent");
    }
}

/// Starts the real binary on the database of an in-process app (which prepared it), with a
/// data directory of its own and the environment given; answers the process, the address it
/// logged, and its data directory (removed when dropped).
pub async fn serve_binary(app: &TestApp, env: &[(&str, &str)]) -> (std::process::Child, String, tempfile::TempDir) {
    use std::io::BufRead;
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hearth"))
        .arg("serve")
        .env_clear()
        .env("HEARTH_BIND", "127.0.0.1:0")
        .env("HEARTH_DATA_DIR", data.path())
        .env("HEARTH_DATABASE_URL", app.state.settings.database_url())
        .env("HEARTH_LOG_FORMAT", "json")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("hearth starts");
    // The address it bound is in its log; the log is read on a thread until it ends.
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let address = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(line) = lines.recv().await {
            let entry: Value = serde_json::from_str(&line).unwrap_or_default();
            if entry["fields"]["message"] == "hearth is listening" {
                return entry["fields"]["url"].as_str().map(str::to_owned);
            }
        }
        None
    })
    .await
    .expect("hearth listens within 10 s")
    .expect("hearth logged its address");
    (child, address, data)
}
