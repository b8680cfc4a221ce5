//! hearth: a self-hosted team chat server. See `docs/ARCHITECTURE.md` for the layers.

#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod app;
pub mod cli;
pub mod config;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod db;
// The pure core is held to clippy's pedantic set, less three lints that would only add
// noise there: every fallible parse says what fails in its error type, not in prose.
#[warn(clippy::pedantic)]
#[allow(clippy::missing_errors_doc, clippy::must_use_candidate, clippy::struct_excessive_bools)]
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod domain;
pub mod error;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod events;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod http;
pub mod integrations;
pub mod jobs;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod limits;
pub mod mail;
pub mod notify;
pub mod outbound;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod realtime;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod search;
pub mod security;
pub mod startup;
#[deny(clippy::unwrap_used, clippy::expect_used)]
pub mod storage;
pub mod views;
pub mod wire;
pub mod workers;
