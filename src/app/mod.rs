//! Use cases: one function per action, shared by the web pages, the JSON API and every other
//! entry point. Each checks permissions, writes its rows and appends its event in one
//! transaction.

pub mod access;
pub mod accounts;
pub mod admin;
pub mod as_integration;
pub mod bots;
pub mod channel_members;
pub mod channels;
pub mod commands;
pub mod conversations;
pub mod files;
pub mod incoming;
pub mod invitations;
pub mod jobs;
pub mod messages;
pub mod notifications;
pub mod outgoing;
pub mod profiles;
pub mod reactions;
pub mod read_state;
pub mod replies;
pub mod search;
pub mod sessions;
pub mod slack_api;
pub mod tokens;
pub mod webhooks;
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
    /// Rate limits per person, shared by every route and connection of this node.
    pub limits: Arc<crate::limits::Limits>,
    /// The public base URL, without a trailing slash.
    pub public_url: String,
    /// This node's search index.
    pub search: crate::search::SearchIndex,
    /// Where shared files' bytes are kept.
    pub storage: crate::storage::Storage,
    /// The guarded client for everything sent on someone's behalf.
    pub outbound: crate::outbound::Outbound,
}

impl AppState {
    /// An absolute link to a page of this server.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

/// A page of a list, and the cursor of the next page when there is one.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// Cuts what was read (one more than a page) to the page.
    pub fn cut(mut items: Vec<T>, page: crate::domain::Paging) -> Paged<T> {
        let next_cursor = page.cut(&mut items);
        Paged { items, next_cursor }
    }
}

/// Who is acting: the account, and the credential it acts with.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: UserRow,
    pub credential: Credential,
}

/// How an actor proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in session (the browser's cookie, or the `token` a login returned).
    Session(i64),
    /// A personal access token (`hpat_…`).
    PersonalToken(i64),
    /// The operator at the server's command line.
    Operator,
    /// An incoming webhook (its id), posting for the member who made it.
    IncomingWebhook(i64),
    /// An outgoing webhook (its id), posting its receiver's reply for the member who made it.
    OutgoingWebhook(i64),
    /// A bot's token (the bot's id), acting as the bot's own user.
    Bot(i64),
    /// A custom slash command's answer (the command's id), posted for the person who ran it.
    Command(i64),
    /// A reminder (its id) being delivered.
    Reminder(i64),
    /// A reply by email to a notification, from the person's own address.
    Email,
}

/// What kind of principal an actor is, so that use cases can tell people from software.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A person, through any of their credentials.
    Person,
    /// A bot user acting with its bot token.
    Bot,
    /// An integration (an incoming webhook, a slash command's reply) acting for its creator.
    Integration,
}

impl Actor {
    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// The session acted with, if any.
    pub fn session_id(&self) -> Option<i64> {
        match self.credential {
            Credential::Session(id) => Some(id),
            _ => None,
        }
    }

    /// The personal access token acted with, if any.
    pub fn token_id(&self) -> Option<i64> {
        match self.credential {
            Credential::PersonalToken(id) => Some(id),
            _ => None,
        }
    }

    pub fn principal(&self) -> Principal {
        match self.credential {
            Credential::Session(_) | Credential::PersonalToken(_) | Credential::Operator | Credential::Email => {
                Principal::Person
            }
            Credential::IncomingWebhook(_)
            | Credential::OutgoingWebhook(_)
            | Credential::Command(_)
            | Credential::Reminder(_) => Principal::Integration,
            Credential::Bot(_) => Principal::Bot,
        }
    }
}
