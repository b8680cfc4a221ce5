//! Builds the application from settings: opens the database, migrates it, loads the server
//! secret, binds the listener, starts the background followers, and runs the server.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;

use crate::app::AppState;
use crate::config::Settings;
use crate::db::{self, Backend, Db, DbOptions};
use crate::mail::Mailer;
use crate::security::{Keys, PasswordHasher};

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    stop: Arc<AtomicBool>,
}

/// Opens the database described by the settings and applies pending migrations.
pub fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::open(&DbOptions {
        url: settings.database_url(),
        pool_size: settings.db_pool_size,
        min_idle: settings.db_min_idle,
        sqlite_sync: settings.sqlite_sync,
    })
    .context("opening the database")?;
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let applied = db::migrations::run(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(db)
}

/// The server secret: from the settings, or generated into the database on first start so
/// that every node shares it.
pub fn load_keys(settings: &Settings, db: &Db) -> anyhow::Result<Keys> {
    if let Some(secret) = &settings.secret_key {
        return Ok(Keys::new(secret.expose()));
    }
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let secret = db::server_settings::get_or_insert(&mut conn, "secret_key", Keys::generate_secret)?;
    Ok(Keys::new(&secret))
}

/// Builds the shared state (no listener).
pub fn build_state(settings: Settings, public_url: String) -> anyhow::Result<AppState> {
    let db = open_database(&settings)?;
    let keys = load_keys(&settings, &db)?;
    let mailer = Mailer::new(settings.smtp_url.as_ref().map(|s| s.expose()), settings.mail_dir(), &settings.mail_from)?;
    Ok(AppState {
        hasher: PasswordHasher::new(settings.password_hash),
        settings: Arc::new(settings),
        db,
        keys,
        mailer,
        public_url: public_url.trim_end_matches('/').to_owned(),
    })
}

/// Prunes the event log hourly, starting a minute after start-up.
fn spawn_pruner(state: &AppState) {
    let (db, retention) = (state.db.clone(), state.settings.event_retention);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::now() + std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(3600),
        );
        loop {
            tick.tick().await;
            let db = db.clone();
            match tokio::task::spawn_blocking(move || crate::events::prune(&db, retention)).await {
                Ok(Ok(Some(through))) => tracing::info!(through, "pruned the event log"),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "pruning the event log failed"),
                Err(e) => tracing::warn!(error = %e, "pruning the event log failed"),
            }
        }
    });
}

impl Application {
    /// Binds the listener (port 0 picks a free port) and builds everything.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;
        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let public_url = settings.public_url.clone().unwrap_or_else(|| {
            let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
            format!("http://{addr}")
        });
        let workers = settings.workers;
        let state = build_state(settings, public_url)?;
        let stop = Arc::new(AtomicBool::new(false));
        let (hub, remote) = crate::realtime::Hub::start(state.db.clone(), state.settings.ws_queue)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if state.db.backend() == Backend::Postgres {
            crate::events::spawn_pg_listener(state.db.clone(), stop.clone(), remote)?;
        }
        let hub = web::Data::new(hub);
        spawn_pruner(&state);
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(hub.clone())
                .wrap(middleware::from_fn(crate::http::renew_session_cookie))
                .wrap(middleware::NormalizePath::trim())
                .configure(crate::http::routes)
        })
        .listen(listener)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        Ok(Application { port, server: server.run(), state, stop })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server (and the background work tied to it).
    pub fn handle(&self) -> StopHandle {
        StopHandle { server: self.server.handle(), stop: self.stop.clone() }
    }

    /// Serves until stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.stop.store(true, Ordering::Relaxed);
        result
    }
}

/// Stops a running application.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    stop: Arc<AtomicBool>,
}

impl StopHandle {
    /// Starts stopping now; the returned future completes when the server has stopped.
    pub fn stop(&self) -> impl std::future::Future<Output = ()> + use<> {
        self.stop.store(true, Ordering::Relaxed);
        self.server.stop(false)
    }
}
