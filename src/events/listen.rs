//! Cross-node wake-ups on PostgreSQL: one dedicated connection outside the pool LISTENs
//! and is drained every ~10 ms by a blocking thread (diesel cannot wait on a notification).

use std::time::Duration;

use diesel::prelude::*;
use diesel::{PgConnection, RunQueryDsl};

use super::NOTIFY_CHANNEL;
use crate::db::Db;
use crate::realtime::EPHEMERAL_CHANNEL;
use crate::workers::Workers;

const DRAIN_INTERVAL: Duration = Duration::from_millis(10);

/// Starts the listener thread, registered with `workers`: it ends on their stop signal.
/// After a lost connection it reconnects with back-off and wakes the followers so that they
/// re-read the log. Ephemeral frames from other nodes (`hearth_ephemeral`) are passed to
/// `ephemeral`.
pub fn spawn_pg_listener(
    workers: &Workers,
    db: Db,
    ephemeral: tokio::sync::mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    workers.spawn_thread("listen", move |stop| {
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            let mut conn = match listen(db.url()) {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for events; retrying");
                    // Rests in short steps, so that a stop is noticed soon.
                    let until = std::time::Instant::now() + backoff;
                    while !stop.is_cancelled() && std::time::Instant::now() < until {
                        std::thread::sleep(DRAIN_INTERVAL);
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            // Anything committed while we were not listening is found by this re-read.
            db.signal_append();
            while !stop.is_cancelled() {
                let mut woke = false;
                let mut failed = false;
                for n in conn.notifications_iter() {
                    match n {
                        Ok(n) if n.channel == EPHEMERAL_CHANNEL => {
                            let _ = ephemeral.send(n.payload);
                        }
                        Ok(_) => woke = true,
                        Err(e) => {
                            tracing::warn!(error = %e, "lost the LISTEN connection");
                            failed = true;
                            break;
                        }
                    }
                }
                if woke {
                    db.signal_append();
                }
                if failed {
                    break;
                }
                std::thread::sleep(DRAIN_INTERVAL);
            }
        }
    })
}

fn listen(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {NOTIFY_CHANNEL}")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {EPHEMERAL_CHANNEL}")).execute(&mut conn)?;
    Ok(conn)
}
