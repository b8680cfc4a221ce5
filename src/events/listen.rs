//! Cross-node wake-ups on PostgreSQL: one dedicated connection outside the pool LISTENs
//! and is drained every ~10 ms by a blocking thread (diesel cannot wait on a notification).

use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;
use diesel::{PgConnection, RunQueryDsl};

use super::NOTIFY_CHANNEL;
use crate::db::Db;
use crate::realtime::EPHEMERAL_CHANNEL;

const DRAIN_INTERVAL: Duration = Duration::from_millis(10);

/// Starts the listener thread. It stops when `stop` is set, and after a lost connection it
/// reconnects with back-off and wakes the followers so that they re-read the log.
/// Ephemeral frames from other nodes (`hearth_ephemeral`) are passed to `ephemeral`.
pub fn spawn_pg_listener(
    db: Db,
    stop: Arc<std::sync::atomic::AtomicBool>,
    ephemeral: tokio::sync::mpsc::UnboundedSender<String>,
) -> std::io::Result<()> {
    use std::sync::atomic::Ordering;
    std::thread::Builder::new().name("hearth-listen".into()).spawn(move || {
        let mut backoff = Duration::from_millis(100);
        while !stop.load(Ordering::Relaxed) {
            let mut conn = match listen(db.url()) {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot LISTEN for events; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(100);
            // Anything committed while we were not listening is found by this re-read.
            db.signal_append();
            while !stop.load(Ordering::Relaxed) {
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
    })?;
    Ok(())
}

fn listen(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query(format!("LISTEN {NOTIFY_CHANNEL}")).execute(&mut conn)?;
    diesel::sql_query(format!("LISTEN {EPHEMERAL_CHANNEL}")).execute(&mut conn)?;
    Ok(conn)
}
