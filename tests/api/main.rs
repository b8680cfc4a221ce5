//! hearth's black-box suite: one integration-test binary, one module per capability.

mod accounts;
mod architecture;
mod browser;
mod channels;
mod cli;
mod conversations;
mod events;
mod files;
mod health;
mod helpers;
mod invitations;
mod jobs;
mod live;
mod mail;
mod messages;
mod outgoing;
mod pages;
mod pictures;
mod schema;
mod search;
mod security;
mod sessions;
mod shutdown;
mod tokens;
mod webhooks;
mod workspaces;
