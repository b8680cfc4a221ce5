//! Advisory locks on PostgreSQL, every key in one place. SQLite needs none: its writer lock
//! already serialises every write transaction, and it runs on one node.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::Conn;

/// What a lock serialises. Keys are ASCII words, shifted where a lock is per row, so that
/// no two kinds can collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Every append to the event log, until commit: `seq` order is then commit order, and a
    /// follower reading `seq > cursor` never skips a row that commits late.
    Append,
    /// One node at a time prunes the event log.
    Prune,
    /// Sign-ups, so that exactly one first account becomes the server admin.
    Signup,
    /// Sign-in attempts, counted and reserved one at a time so that parallel guesses cannot
    /// all slip under the limit.
    SignIn,
    /// Changes to a workspace's owners, so that the last owner cannot be removed twice over.
    Owners { workspace_id: i64 },
    /// One person's presence across nodes.
    Presence { user_id: i64 },
    /// Posts to one channel, so that each picks its time after the one before commits.
    ChannelPost { channel_id: i64 },
    /// The making of a workspace's own bot, so that two reminders due at once make one.
    WorkspaceBot { workspace_id: i64 },
    /// The mailing of one person's notifications, so that two of their jobs due at once
    /// send one mail.
    Notify { user_id: i64 },
    /// Migrations, while a node applies them (held for the session, not a transaction).
    Migrations,
}

impl Lock {
    fn key(self) -> i64 {
        match self {
            Lock::Append => 0x6576_656e_7473,                                         // "events"
            Lock::Prune => 0x0070_7275_6e65,                                          // "prune"
            Lock::Signup => 0x7369_676e_7570,                                         // "signup"
            Lock::SignIn => 0x7369_676e_696e,                                         // "signin"
            Lock::Owners { workspace_id } => (0x6f77_6e65_7273 << 16) ^ workspace_id, // "owners"
            Lock::Presence { user_id } => (0x7072_6573_6e63 << 16) ^ user_id,         // "presnc"
            Lock::WorkspaceBot { workspace_id } => (0x0077_7362_6f74 << 16) ^ workspace_id, // "wsbot"
            Lock::ChannelPost { channel_id } => (0x0070_6f73_7473 << 16) ^ channel_id, // "posts"
            Lock::Notify { user_id } => (0x6e6f_7469_6679 << 16) ^ user_id,           // "notify"
            Lock::Migrations => 0x6865_6172_7468,                                     // "hearth"
        }
    }
}

/// Takes a transaction-scoped lock, waiting for it; it is released at commit or rollback.
pub fn lock(conn: &mut Conn, lock: Lock) -> QueryResult<()> {
    if let Conn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)").bind::<BigInt, _>(lock.key()).execute(pg)?;
    }
    Ok(())
}

/// Takes a transaction-scoped lock if nobody holds it; false when somebody does.
pub fn try_lock(conn: &mut Conn, lock: Lock) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    match conn {
        Conn::Postgresql(pg) => Ok(diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<BigInt, _>(lock.key())
            .get_result::<Locked>(pg)?
            .locked),
        Conn::Sqlite(_) => Ok(true),
    }
}

/// Holds a session-level lock while `f` runs (migrations, which run outside a transaction).
pub fn holding<T>(
    pg: &mut diesel::PgConnection,
    lock: Lock,
    f: impl FnOnce(&mut diesel::PgConnection) -> T,
) -> QueryResult<T> {
    diesel::sql_query("SELECT pg_advisory_lock($1)").bind::<BigInt, _>(lock.key()).execute(pg)?;
    let value = f(pg);
    diesel::sql_query("SELECT pg_advisory_unlock($1)").bind::<BigInt, _>(lock.key()).execute(pg)?;
    Ok(value)
}

/// Queues a notification on PostgreSQL, delivered to listeners at commit (or at once outside
/// a transaction). Payloads must stay under PostgreSQL's 8000-byte limit.
pub fn notify(conn: &mut Conn, channel: &str, payload: &str) -> QueryResult<()> {
    if let Conn::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(channel)
            .bind::<diesel::sql_types::Text, _>(payload)
            .execute(pg)?;
    }
    Ok(())
}
