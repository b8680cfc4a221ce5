//! Cross-node wake-ups on PostgreSQL: a blocking thread drains the node's LISTEN
//! connection (`db::listen`) every ~10 ms, wakes the followers when another node appended,
//! and hands ephemeral frames to the hub.

use std::time::Duration;

use crate::db::Db;
use crate::db::listen::Listener;
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
            let mut listener = match Listener::connect(db.url()) {
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
                match listener.drain() {
                    Ok(heard) => {
                        for frame in heard.ephemeral {
                            let _ = ephemeral.send(frame);
                        }
                        if heard.appended {
                            db.signal_append();
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the LISTEN connection");
                        break;
                    }
                }
                std::thread::sleep(DRAIN_INTERVAL);
            }
        }
    })
}
