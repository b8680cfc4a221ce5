//! Use cases: one function per action, shared by the web pages, the JSON API and every other
//! entry point. Each checks permissions, writes its rows and appends its event in one
//! transaction.

pub mod accounts;
pub mod admin;
pub mod channels;
pub mod invitations;
pub mod jobs;
pub mod messages;
pub mod sessions;
pub mod tokens;
pub mod workspaces;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::users::UserRow;
use crate::db::{Conn, Db};
use crate::error::AppError;
use crate::mail::Mailer;
use crate::security::{Keys, PasswordHasher};

/// Everything a use case may need, built once at start-up.
#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub keys: Keys,
    pub hasher: PasswordHasher,
    pub mailer: Mailer,
    /// The public base URL, without a trailing slash.
    pub public_url: String,
}

impl AppState {
    /// An absolute link to a page of this server.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// Who is acting: the signed-in user and the credential used.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserRow,
    /// The session, when signed in with a session (cookie or session token).
    pub session_id: Option<i64>,
    /// The personal access token, when signed in with one.
    pub token_id: Option<i64>,
}

impl Actor {
    pub fn id(&self) -> i64 {
        self.user.id
    }
}

/// On PostgreSQL, serialises transactions that check-then-insert across nodes (the first
/// account becoming server admin, say) with a transaction-scoped advisory lock. SQLite
/// transactions are already serialised by the writer lock.
pub(crate) fn serialize_with(conn: &mut Conn, key: i64) -> Result<(), AppError> {
    use diesel::RunQueryDsl;
    if let Conn::Postgresql(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(pg)?;
    }
    Ok(())
}
