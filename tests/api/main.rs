//! hearth's black-box suite: one integration-test binary, one module per capability.

mod accounts;
mod cli;
mod events;
mod health;
mod helpers;
mod invitations;
mod pages;
mod schema;
mod sessions;
mod tokens;
mod workspaces;
