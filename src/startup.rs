//! Builds the application from settings: opens the database, migrates it, loads the server
//! secret, binds the listener, starts the background workers, runs the server, and shuts
//! it all down in order.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::config::Settings;
use crate::db::{self, Backend, Db, DbOptions};
use crate::mail::Mailer;
use crate::security::{Keys, PasswordHasher};
use crate::workers::{GoingAway, Workers};

/// A built, bound server with its background workers started.
pub struct Application {
    port: u16,
    inbound_port: Option<u16>,
    server: Server,
    state: AppState,
    workers: Workers,
    going_away: GoingAway,
    /// Fired to begin shutting down.
    stop: CancellationToken,
    /// Set once shut down.
    done: Arc<tokio::sync::watch::Sender<bool>>,
}

/// Opens the database described by the settings and applies pending migrations.
pub fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::open(&DbOptions {
        url: settings.database_url(),
        pool_size: settings.database.pool_size,
        min_idle: settings.database.min_idle,
        sqlite_sync: settings.database.sqlite_sync,
        write_queue: settings.database.write_queue,
        write_deadline: settings.database.write_deadline,
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
    let mailer =
        Mailer::new(settings.mail.smtp_url.as_ref().map(|s| s.expose()), settings.mail_dir(), &settings.mail.from)?;
    let limits = crate::limits::Limits::new(
        settings.limits.writes_per_minute,
        settings.limits.write_burst,
        settings.limits.ws_per_user,
        settings.limits.signups_per_hour,
    );
    let search = crate::search::SearchIndex::open(&settings.data_dir);
    let files_url =
        settings.storage_url.clone().unwrap_or_else(|| format!("file://{}", settings.data_dir.join("files").display()));
    let storage = crate::storage::Storage::open(&files_url, settings.s3_endpoint.as_deref())?;
    let allow = crate::domain::outbound::AllowList::parse(&settings.outbound_allow.join(","))
        .map_err(|e| anyhow::anyhow!("HEARTH_OUTBOUND_ALLOW: {e}"))?;
    let outbound = crate::outbound::Outbound::new(allow)?;
    Ok(AppState {
        search,
        storage,
        outbound,
        limits: Arc::new(limits),
        hasher: PasswordHasher::new(settings.accounts.password_hash),
        settings: Arc::new(settings),
        db,
        keys,
        mailer,
        public_url: public_url.trim_end_matches('/').to_owned(),
    })
}

/// Prunes the event log, old done jobs and the integrations' week-old log entries hourly, starting a minute after start-up.
fn spawn_pruner(workers: &Workers, state: &AppState) {
    let (db, retention) = (state.db.clone(), state.settings.database.event_retention);
    workers.spawn("pruner", move |stop| async move {
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + Duration::from_secs(60), Duration::from_secs(3600));
        while stop.run_until_cancelled(tick.tick()).await.is_some() {
            let log = db.clone();
            match tokio::task::spawn_blocking(move || crate::events::prune(&log, retention)).await {
                Ok(Ok(Some(through))) => tracing::info!(through, "pruned the event log"),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "pruning the event log failed"),
                Err(e) => tracing::warn!(error = %e, "pruning the event log failed"),
            }
            match crate::jobs::prune(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(jobs = n, "pruned done jobs"),
                Err(e) => tracing::warn!(error = %e, "pruning done jobs failed"),
            }
            match crate::app::webhooks::prune_log(&db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(entries = n, "pruned the integrations' log"),
                Err(e) => tracing::warn!(error = %e, "pruning the integrations' log failed"),
            }
            if let Err(e) = crate::app::commands::custom::prune(&db).await {
                tracing::warn!(error = %e, "pruning expired response URLs failed");
            }
            if let Err(e) = crate::app::slack_api::files::prune(&db).await {
                tracing::warn!(error = %e, "pruning expired uploads failed");
            }
        }
    });
}

impl Application {
    /// Binds the listener (port 0 picks a free port), builds everything and starts the
    /// background workers.
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating the data directory {}", settings.data_dir.display()))?;
        let listener =
            TcpListener::bind(&settings.http.bind).with_context(|| format!("binding {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let public_url = settings.http.public_url.clone().unwrap_or_else(|| {
            let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
            format!("http://{addr}")
        });
        let http_workers = settings.http.workers;
        let inbound = match (&settings.mail.inbound_smtp, &settings.mail.reply_domain) {
            (Some(addr), Some(_)) => {
                let l = TcpListener::bind(addr).with_context(|| format!("binding HEARTH_INBOUND_SMTP {addr}"))?;
                l.set_nonblocking(true)?;
                Some(l)
            }
            (Some(_), None) => {
                anyhow::bail!("HEARTH_INBOUND_SMTP needs HEARTH_REPLY_DOMAIN: the domain replies are sent to")
            }
            (None, _) => None,
        };
        let inbound_port = inbound.as_ref().and_then(|l| l.local_addr().ok()).map(|a| a.port());
        let state = build_state(settings, public_url)?;
        let grace = state.settings.http.shutdown_grace;
        let workers = Workers::new();
        let (hub, remote) = crate::realtime::Hub::start(state.db.clone(), state.settings.limits.ws_queue, &workers)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if state.db.backend() == Backend::Postgres {
            crate::events::spawn_pg_listener(&workers, state.db.clone(), remote)?;
        }
        spawn_pruner(&workers, &state);
        crate::search::start(&workers, state.db.clone(), state.search.clone());
        let tools = crate::jobs::Tools {
            mailer: state.mailer.clone(),
            storage: state.storage.clone(),
            deliverer: crate::integrations::Deliveries::new(state.clone()),
        };
        crate::jobs::start(&workers, state.db.clone(), tools, state.settings.job_retry_base);
        crate::integrations::start(&workers, state.clone());
        crate::notify::start(&workers, state.clone());
        if let Some(listener) = inbound {
            crate::mail::inbound::start(&workers, state.clone(), listener);
        }
        let hub = web::Data::new(hub);
        let going_away = GoingAway::default();
        let data = web::Data::new(state.clone());
        let sockets = web::Data::new(going_away.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(hub.clone())
                .app_data(sockets.clone())
                .wrap(middleware::from_fn(crate::http::pages::errors::frame))
                .wrap(middleware::from_fn(crate::http::renew_session_cookie))
                .wrap(middleware::from_fn(crate::http::headers::security_headers))
                // Pages, styles, scripts and JSON go out compressed (brotli, zstd or gzip, as
                // the client accepts); shared files as they are stored.
                .wrap(middleware::from_fn(crate::http::headers::mark_incompressible))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(crate::http::headers::unmark_identity))
                .wrap(middleware::NormalizePath::trim())
                .configure(crate::http::routes)
        })
        // Signals are hearth's to handle, so that shutdown happens in its order (`run_until_stopped`).
        .disable_signals()
        // A streamed body (a file, a thumbnail) goes out as it is written, instead of its
        // last small segment waiting for the peer's delayed acknowledgement (Nagle).
        .tcp_nodelay(true)
        .shutdown_timeout(grace.as_secs_f64().ceil() as u64)
        .listen(listener)?;
        if let Some(n) = http_workers {
            server = server.workers(n);
        }
        let (done, _) = tokio::sync::watch::channel(false);
        Ok(Application {
            port,
            inbound_port,
            server: server.run(),
            state,
            workers,
            going_away,
            stop: CancellationToken::new(),
            done: Arc::new(done),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The inbound SMTP listener's port, when it runs.
    pub fn inbound_port(&self) -> Option<u16> {
        self.inbound_port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A handle that stops the server and its background work.
    pub fn handle(&self) -> StopHandle {
        StopHandle { stop: self.stop.clone(), done: self.done.subscribe() }
    }

    /// Serves until stopped (`StopHandle::stop`), then shuts down in order, within the
    /// grace period (`HEARTH_SHUTDOWN_GRACE`): stop accepting connections; close WebSockets
    /// with 1001 (going away); let in-flight requests finish; stop the workers, letting each
    /// finish the item in hand (the job worker its job).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application { server, workers, going_away, stop, done, state, .. } = self;
        let grace = state.settings.http.shutdown_grace;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let mut deadline = tokio::time::Instant::now() + grace;
        // The server future must be polled for the steps of its shutdown to happen.
        let served = tokio::select! {
            ended = &mut server => ended,
            () = stop.cancelled() => {
                tracing::info!("shutting down");
                deadline = tokio::time::Instant::now() + grace;
                let steps = async {
                    handle.pause().await;
                    going_away.fire();
                    handle.stop(true).await;
                };
                let (ended, ()) = tokio::join!(&mut server, steps);
                ended
            }
        };
        let late = workers.shutdown(deadline.saturating_duration_since(tokio::time::Instant::now())).await;
        if !late.is_empty() {
            tracing::warn!(workers = ?late, "stopped without waiting for these workers");
        }
        done.send_replace(true);
        served
    }
}

/// Stops a running application.
#[derive(Clone)]
pub struct StopHandle {
    stop: CancellationToken,
    done: tokio::sync::watch::Receiver<bool>,
}

impl StopHandle {
    /// Starts stopping now; the returned future completes when the application has stopped.
    pub fn stop(&self) -> impl std::future::Future<Output = ()> + use<> {
        self.stop.cancel();
        let mut done = self.done.clone();
        async move {
            let _ = done.wait_for(|stopped| *stopped).await;
        }
    }
}

/// Stops the application on SIGTERM or Ctrl-C (SIGINT); a second signal exits at once.
pub fn stop_on_signals(handle: StopHandle) -> std::io::Result<()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(not(unix))]
    let mut term = ();
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated(&mut term) => {}
        }
        tracing::info!("signal received; stopping (a second signal stops at once)");
        let stopped = handle.stop();
        // Each wait for a signal is a fresh future: one that has completed is never polled again.
        tokio::select! {
            () = stopped => {}
            _ = tokio::signal::ctrl_c() => std::process::exit(130),
            () = terminated(&mut term) => std::process::exit(143),
        }
    });
    Ok(())
}

/// The next SIGTERM (never, where there is none).
#[cfg(unix)]
async fn terminated(term: &mut tokio::signal::unix::Signal) {
    term.recv().await;
}

#[cfg(not(unix))]
async fn terminated(_: &mut ()) {
    std::future::pending::<()>().await;
}
