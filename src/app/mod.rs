//! Use cases: one function per action, shared by the web pages, the JSON API and every other
//! entry point. Each checks permissions, writes its rows and appends its event in one
//! transaction.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod channels;
pub mod conversations;
pub mod invitations;
pub mod messages;
pub mod sessions;
pub mod tokens;
pub mod workspaces;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;
use crate::db::users::UserRow;
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
