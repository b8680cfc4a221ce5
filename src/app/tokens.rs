//! Personal access tokens: shown once at creation, stored as SHA-256, revocable.

use super::{Actor, AppState};
use crate::db;
use crate::db::tokens::{NewToken, TokenRow};
use crate::domain::Code;
use crate::domain::accounts::parse_token_name;
use crate::domain::events::Revocation;
use crate::error::AppError;
use crate::security::{self, PERSONAL_TOKEN_PREFIX};
use crate::wire;

/// Tokens one person may hold at once.
pub const MAX_TOKENS: usize = 50;

/// Creates a token; the secret is returned now and never again.
pub async fn create(state: &AppState, actor: &Actor, name: &str) -> Result<(wire::AccessToken, String), AppError> {
    let name = parse_token_name(name)?;
    let token = security::random_token(PERSONAL_TOKEN_PREFIX);
    let hash = security::token_hash(&token);
    let user_id = actor.id();
    let row = state
        .db
        .write(move |tx| {
            if TokenRow::list_live(tx, user_id)?.len() >= MAX_TOKENS {
                return Err(AppError::conflict(
                    Code::TooManyTokens,
                    format!("You can hold at most {MAX_TOKENS} tokens; revoke one first."),
                ));
            }
            Ok(NewToken { user_id, name: &name, token_hash: &hash, created_at: db::now() }.insert(tx)?)
        })
        .await?;
    Ok((wire::AccessToken::from(&row), token))
}

pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<wire::AccessToken>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| Ok(TokenRow::list_live(conn, user_id)?.iter().map(wire::AccessToken::from).collect()))
        .await
}

/// Revokes one of the caller's tokens; someone else's is not found.
pub async fn revoke(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let user_id = actor.id();
    let revoked = state
        .db
        .write(move |tx| {
            let revoked = TokenRow::revoke(tx, user_id, id, db::now())?;
            if revoked > 0 {
                super::sessions::revoked(tx, user_id, Revocation::token(id))?;
            }
            Ok(revoked)
        })
        .await?;
    if revoked == 0 {
        return Err(AppError::not_found(Code::TokenNotFound, "No such token."));
    }
    Ok(())
}
