//! Operator actions from the command line: they act with the server's authority, so no
//! invitation or workspace-creation rule applies, but every value is validated the same.

use super::accounts::issue_reset;
use super::{Actor, AppState, Credential, workspaces};
use crate::db::sessions::SessionRow;
use crate::db::tokens::TokenRow;
use crate::db::users::{NewUser, UserRow};
use crate::db::{self, Conn};
use crate::domain::Code;
use crate::domain::accounts::{DisplayName, Email, Login, Password, Username};
use crate::domain::events::Revocation;
use crate::error::AppError;
use crate::wire;

/// Creates an account directly.
pub async fn create_user(
    state: &AppState,
    email: &str,
    username: &str,
    password: &str,
    server_admin: bool,
) -> Result<UserRow, AppError> {
    let email = Email::parse(email)?;
    let username = Username::parse(username)?;
    let display_name = DisplayName::parse(username.as_str())?;
    let password = Password::parse_new(password, &[username.as_str(), email.as_str()])?;
    let hash = state.hasher.hash(password.expose()).await?;
    state
        .db
        .write(move |tx| {
            if UserRow::email_taken(tx, email.as_str())? {
                return Err(AppError::conflict(Code::EmailTaken, "An account with that email address already exists."));
            }
            if UserRow::username_taken(tx, username.as_str())? {
                return Err(AppError::conflict(Code::UsernameTaken, "That username is taken."));
            }
            let now = db::now();
            let first = UserRow::count(tx)? == 0;
            Ok(NewUser {
                username: username.as_str(),
                email: email.as_str(),
                display_name: display_name.as_str(),
                password_hash: &hash,
                is_server_admin: server_admin || first,
                is_bot: false,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?)
        })
        .await
}

/// Finds an account by username or email.
pub fn find_user(conn: &mut Conn, login: &str) -> Result<UserRow, AppError> {
    let found = match Login::parse(login)? {
        Login::Email(e) => UserRow::find_by_email(conn, e.as_str())?,
        Login::Username(u) => UserRow::find_by_username(conn, &u)?,
    };
    found.ok_or_else(|| AppError::not_found(Code::UserNotFound, format!("No account is named \"{login}\".")))
}

/// Creates a workspace owned by `owner`.
pub async fn create_workspace(
    state: &AppState,
    owner: &str,
    slug: &str,
    name: &str,
) -> Result<wire::Workspace, AppError> {
    let owner = owner.to_owned();
    let user = state.db.read(move |conn| find_user(conn, &owner)).await?;
    let actor = Actor { user, credential: Credential::Operator };
    workspaces::create_as(state, &actor, slug, name).await
}

/// A single-use password-reset link for an account, printed rather than mailed.
pub async fn reset_password_link(state: &AppState, login: &str) -> Result<String, AppError> {
    let login = login.to_owned();
    let (_, token) = state
        .db
        .write(move |tx| {
            let user = find_user(tx, &login)?;
            issue_reset(tx, &user)
        })
        .await?;
    Ok(state.link(&format!("/password-reset/{token}")))
}

pub async fn list_users(state: &AppState) -> Result<Vec<UserRow>, AppError> {
    state.db.read(|conn| Ok(UserRow::list(conn)?)).await
}

/// Disables an account everywhere: its sessions and tokens stop working at once.
pub async fn deactivate(state: &AppState, login: &str) -> Result<UserRow, AppError> {
    let login = login.to_owned();
    state
        .db
        .write(move |tx| {
            let user = find_user(tx, &login)?;
            let now = db::now();
            UserRow::set_deactivated(tx, user.id, Some(now))?;
            SessionRow::revoke_all(tx, user.id, None, now)?;
            TokenRow::revoke_all(tx, user.id, now)?;
            super::sessions::revoked(tx, user.id, Revocation::deactivation())?;
            let user = UserRow::find(tx, user.id)?;
            super::accounts::user_updated(tx, &user)?;
            Ok(user)
        })
        .await
}
