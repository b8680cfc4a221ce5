//! LISTEN on PostgreSQL: one dedicated connection outside the pool, drained by its owner
//! (diesel cannot wait on a notification, so the owner polls it every few milliseconds).

use diesel::prelude::*;
use diesel::{PgConnection, RunQueryDsl};

use super::events::NOTIFY_CHANNEL;

/// The channel that carries ephemeral frames (typing, presence) between nodes.
pub const EPHEMERAL_CHANNEL: &str = "hearth_ephemeral";

/// What a drain found.
#[derive(Debug, Default)]
pub struct Heard {
    /// Another node appended to the event log.
    pub appended: bool,
    /// Ephemeral frames from other nodes, as sent.
    pub ephemeral: Vec<String>,
}

/// A connection listening on the event log's and the ephemeral frames' channels.
pub struct Listener {
    conn: PgConnection,
}

impl Listener {
    /// Connects, giving up after a few seconds (libpq's `connect_timeout`, unless the URL
    /// sets one), so that a database that does not answer never holds a stop up.
    pub fn connect(url: &str) -> anyhow::Result<Listener> {
        let url = if url.contains("connect_timeout=") {
            url.to_owned()
        } else {
            format!("{url}{}connect_timeout=5", if url.contains('?') { '&' } else { '?' })
        };
        let mut conn = PgConnection::establish(&url)?;
        diesel::sql_query(format!("LISTEN {NOTIFY_CHANNEL}")).execute(&mut conn)?;
        diesel::sql_query(format!("LISTEN {EPHEMERAL_CHANNEL}")).execute(&mut conn)?;
        Ok(Listener { conn })
    }

    /// Everything notified since the last drain, without waiting. An error means the
    /// connection is lost: connect again.
    pub fn drain(&mut self) -> anyhow::Result<Heard> {
        let mut heard = Heard::default();
        for n in self.conn.notifications_iter() {
            let n = n?;
            if n.channel == EPHEMERAL_CHANNEL {
                heard.ephemeral.push(n.payload);
            } else {
                heard.appended = true;
            }
        }
        Ok(heard)
    }
}
