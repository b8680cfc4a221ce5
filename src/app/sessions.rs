//! Sessions: created at sign-in, checked on every request, renewed when half spent, revoked
//! at sign-out. Personal access tokens authenticate the same way.

use crate::domain::Code;
use chrono::{Duration, NaiveDateTime};

use super::{Actor, AppState, Credential};
use crate::db::sessions::{NewSession, SessionRow};
use crate::db::tokens::TokenRow;
use crate::db::{self, Conn};
use crate::domain::events::Revocation;
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::security::{self, Claims, PERSONAL_TOKEN_PREFIX, Purpose};

/// How long a session lasts without use.
pub const SESSION_LIFETIME: Duration = Duration::days(30);

/// A personal access token's `last_used_at` is refreshed at most this often.
const TOKEN_TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// A signed session token and when it expires.
#[derive(Debug, Clone)]
pub struct SessionToken {
    pub session_id: i64,
    pub token: String,
    pub expires_at: NaiveDateTime,
}

/// The result of authenticating a request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub actor: Actor,
    /// A fresh token when the session was renewed (browsers get it as a new cookie).
    pub renewed: Option<SessionToken>,
}

/// Inserts a session row for `user_id`; sign the token with `sign_session` after commit.
pub fn start(conn: &mut Conn, user_id: i64, user_agent: Option<&str>) -> Result<SessionRow, AppError> {
    let now = db::now();
    let ua = user_agent.map(|ua| ua.chars().take(256).collect::<String>());
    Ok(NewSession { user_id, created_at: now, expires_at: now + SESSION_LIFETIME, user_agent: ua.as_deref() }
        .insert(conn)?)
}

/// The JWT naming a session.
pub fn sign_session(state: &AppState, session: &SessionRow) -> SessionToken {
    let claims = Claims {
        sub: session.user_id.to_string(),
        sid: Some(session.id),
        purpose: String::new(),
        iat: session.created_at.and_utc().timestamp(),
        exp: session.expires_at.and_utc().timestamp(),
    };
    SessionToken {
        session_id: session.id,
        token: state.keys.sign(Purpose::Session, claims),
        expires_at: session.expires_at,
    }
}

fn signed_out() -> AppError {
    AppError::unauthenticated("Your session has ended; sign in again.")
}

/// Authenticates a bearer credential: a personal access token (`hpat_…`), a bot token
/// (`xoxb-…`) or a session token.
/// The session or token row is read on every request, so revocation and deactivation take
/// effect at once.
pub async fn authenticate(state: &AppState, credential: &str) -> Result<Authenticated, AppError> {
    if credential.starts_with(PERSONAL_TOKEN_PREFIX) {
        return authenticate_token(state, credential).await;
    }
    if credential.starts_with(super::bots::BOT_TOKEN_PREFIX) {
        return Ok(Authenticated { actor: super::bots::authenticate(state, credential).await?, renewed: None });
    }
    let claims = state.keys.verify(Purpose::Session, credential).ok_or_else(signed_out)?;
    let sid = claims.sid.ok_or_else(signed_out)?;
    let found = state.db.read(move |conn| Ok(SessionRow::find_with_user(conn, sid)?)).await?;
    let (session, user) = found.ok_or_else(signed_out)?;
    let now = db::now();
    if session.revoked_at.is_some() || session.expires_at <= now || claims.sub != session.user_id.to_string() {
        return Err(signed_out());
    }
    if user.deactivated_at.is_some() {
        return Err(AppError::unauthenticated("This account has been deactivated."));
    }
    let mut renewed = None;
    if session.expires_at - now < SESSION_LIFETIME / 2 {
        let expires_at = now + SESSION_LIFETIME;
        state.db.write(move |tx| Ok(SessionRow::extend(tx, sid, expires_at)?)).await?;
        renewed = Some(sign_session(state, &SessionRow { expires_at, ..session.clone() }));
    }
    Ok(Authenticated { actor: Actor { user, credential: Credential::Session(session.id) }, renewed })
}

async fn authenticate_token(state: &AppState, token: &str) -> Result<Authenticated, AppError> {
    let hash = security::token_hash(token);
    let found = state.db.read(move |conn| Ok(TokenRow::find_live_with_user(conn, &hash)?)).await?;
    let (row, user) = found.ok_or_else(|| AppError::unauthenticated("That access token is not valid."))?;
    if user.deactivated_at.is_some() {
        return Err(AppError::unauthenticated("This account has been deactivated."));
    }
    let now = db::now();
    if row.last_used_at.is_none_or(|t| now - t > TOKEN_TOUCH_INTERVAL) {
        let id = row.id;
        state.db.write(move |tx| Ok(TokenRow::touch(tx, id, now)?)).await?;
    }
    Ok(Authenticated { actor: Actor { user, credential: Credential::PersonalToken(row.id) }, renewed: None })
}

/// Signs out the current session.
pub async fn logout(state: &AppState, actor: &Actor) -> Result<(), AppError> {
    let sid = actor.session_id().ok_or_else(|| {
        AppError::invalid(
            Code::NotASession,
            "This request is authenticated by an access token; revoke the token instead.",
        )
    })?;
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            SessionRow::revoke(tx, sid, db::now())?;
            revoked(tx, user_id, Revocation::session(sid))
        })
        .await
}

/// Appends `session.revoked` (only its user sees it), so that live connections made with
/// the revoked credentials close at once.
pub fn revoked(tx: &mut crate::db::Tx<'_>, user_id: i64, which: Revocation) -> Result<(), AppError> {
    events::append(tx, Scope::person(user_id), &EventData::SessionRevoked(which))?;
    Ok(())
}

/// Signs out every session of the user, this one included. Access tokens stay.
pub async fn logout_everywhere(state: &AppState, actor: &Actor) -> Result<usize, AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ended = SessionRow::revoke_all(tx, user_id, None, db::now())?;
            revoked(tx, user_id, Revocation::all_sessions())?;
            Ok(ended)
        })
        .await
}
