//! hearth: a self-hosted team chat server. See `docs/ARCHITECTURE.md` for the layers.

pub mod app;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod realtime;
pub mod security;
pub mod startup;
pub mod views;
pub mod wire;
pub mod workers;
