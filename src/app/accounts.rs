//! Accounts: sign-up, sign-in, profile and password changes, password resets.

use crate::domain::Code;
use chrono::Duration;

use super::invitations::{self, InvitationCheck};
use super::sessions::{self, SessionToken};
use super::{Actor, AppState};
use crate::db::email_verifications::VerificationRow;
use crate::db::login_failures;
use crate::db::password_resets::{NewReset, ResetRow};
use crate::db::sessions::SessionRow;
use crate::db::tokens::TokenRow;
use crate::db::users::{NewUser, UserRow};
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self, Tx, workspaces::MemberRow};
use crate::domain::accounts::{DisplayName, Email, Login, Password, Username};
use crate::domain::events::Revocation;
use crate::domain::workspaces::Role;
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::jobs::{self, Job, LINK_PLACEHOLDER, LinkKind, SecretLink};
use crate::mail::Mail;
use crate::security;
use crate::views;
use crate::wire;

/// Failed sign-ins are counted over this window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// Failures per account within the window before sign-in is refused.
pub const THROTTLE_PER_ACCOUNT: i64 = 10;
/// Failures per client address within the window before sign-in is refused.
pub const THROTTLE_PER_ADDRESS: i64 = 100;
/// How long a password-reset link works.
pub const RESET_LIFETIME: Duration = Duration::hours(1);
/// Reset links one account may be sent per hour.
const RESETS_PER_HOUR: i64 = 3;

/// What a person fills in to sign up.
#[derive(Debug, Clone)]
pub struct SignupForm {
    pub email: String,
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub invite_token: Option<String>,
}

/// A new account, signed in, and the workspace an invitation brought it into.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub user: UserRow,
    pub session: SessionToken,
    pub workspace_slug: Option<String>,
    /// A link to verify the address was mailed: the open-domain workspaces are joined when
    /// it is used.
    pub verification_sent: bool,
}

/// Creates an account. The first account on an empty server becomes the server admin;
/// after that an invitation is needed, and it is accepted at once.
pub async fn signup(state: &AppState, form: SignupForm, user_agent: Option<String>) -> Result<SignedUp, AppError> {
    let email = Email::parse(&form.email)?;
    let username = Username::parse(&form.username)?;
    let display_name = match form.display_name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => DisplayName::parse(name)?,
        _ => DisplayName::parse(username.as_str())?,
    };
    let password = Password::parse_new(&form.password, &[username.as_str(), email.as_str()])?;
    let invite_hash = form.invite_token.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(security::token_hash);
    // Who may sign up is settled before the (deliberately slow) hashing, so that a flood of
    // sign-ups nobody may make never queues up behind the hasher; the transaction below
    // decides again, authoritatively.
    let (h, e) = (invite_hash.clone(), email.clone());
    state.db.read(move |conn| admission(conn, h.as_deref(), &e).map(|_| ())).await?;
    let password_hash = state.hasher.hash(password.expose()).await?;
    let verify_links = state.link("/verify/");

    let (user, session, workspace_slug, verification_sent) = state
        .db
        .write(move |tx| {
            db::lock(tx, db::Lock::Signup)?;
            // Admission first: without an invitation or an open domain the answer is the
            // same 403 whatever accounts exist, so sign-up cannot be used to probe them.
            let admitted = admission(tx, invite_hash.as_deref(), &email)?;
            let now = db::now();
            // An address someone signed up with but never proved, and whose link has run
            // out, goes to whoever proves it now.
            let stale = match UserRow::find_by_email(tx, email.as_str())? {
                Some(existing) if is_stale_unverified(tx, existing.id, now)? => Some(existing),
                Some(_) => {
                    return Err(AppError::conflict(
                        Code::EmailTaken,
                        "An account with that email address already exists; sign in instead.",
                    ));
                }
                None => None,
            };
            if UserRow::username_taken_except(tx, username.as_str(), stale.as_ref().map(|u| u.id))? {
                return Err(AppError::conflict(
                    Code::UsernameTaken,
                    format!("The username \"{}\" is taken.", username.as_str()),
                ));
            }
            let (first, invitation, open) = match admitted {
                Admission::First => (true, None, Vec::new()),
                Admission::Invited(check) => (false, Some(*check), Vec::new()),
                Admission::OpenDomain(open) => (false, None, open),
            };
            let user = match stale {
                Some(old) => {
                    let taken =
                        UserRow::take_over(tx, old.id, username.as_str(), display_name.as_str(), &password_hash, now)?;
                    SessionRow::revoke_all(tx, old.id, None, now)?;
                    TokenRow::revoke_all(tx, old.id, now)?;
                    sessions::revoked(tx, old.id, Revocation::everything())?;
                    taken
                }
                None => NewUser {
                    username: username.as_str(),
                    email: email.as_str(),
                    display_name: display_name.as_str(),
                    password_hash: &password_hash,
                    is_server_admin: first,
                    is_bot: false,
                    created_at: now,
                    updated_at: now,
                }
                .insert(tx)?,
            };
            let session = sessions::start(tx, user.id, user_agent.as_deref())?;
            let (slug, verification_sent) = match invitation {
                // The invitation was mailed to this address: that is proof enough.
                Some(InvitationCheck { invitation, workspace }) => {
                    invitations::join(tx, &invitation, &user)?;
                    VerificationRow::use_all(tx, user.id, now)?;
                    (Some(workspace.slug), false)
                }
                None if first => (None, false),
                // An open domain lets in only a proven address: the workspaces are joined
                // when the mailed link is used.
                None => {
                    ask_to_verify(tx, &user, &open, &verify_links, now)?;
                    (None, true)
                }
            };
            Ok((user, session, slug, verification_sent))
        })
        .await?;
    let session = sessions::sign_session(state, &session);
    Ok(SignedUp { user, session, workspace_slug, verification_sent })
}

/// How long a link to verify an address works.
pub const VERIFICATION_LIFETIME: Duration = Duration::hours(24);

/// Has this account been asked to verify its address, never done so, and let its last link
/// run out?
fn is_stale_unverified(tx: &mut db::Conn, user_id: i64, now: chrono::NaiveDateTime) -> Result<bool, AppError> {
    Ok(matches!(VerificationRow::standing(tx, user_id)?, Some((false, newest)) if newest <= now))
}

/// Stores a verification for `user` and enqueues its mail; the link's token is made when
/// the mail is sent.
fn ask_to_verify(
    tx: &mut Tx<'_>,
    user: &UserRow,
    open: &[WorkspaceRow],
    url_prefix: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let unused = security::token_hash(&security::random_token(""));
    let id = VerificationRow::insert(tx, user.id, &unused, now, now + VERIFICATION_LIFETIME)?;
    let names: Vec<&str> = open.iter().map(|w| w.name.as_str()).collect();
    let mail =
        views::mail::verify_email(&user.display_name, &names.join(", "), LINK_PLACEHOLDER, VERIFICATION_LIFETIME);
    let link = SecretLink { kind: LinkKind::EmailVerification, id, url_prefix: url_prefix.to_owned() };
    jobs::enqueue(tx, &Job::LinkMail { mail: Mail { to: user.email.clone(), ..mail }, link })?;
    Ok(())
}

/// Confirms an address from its mailed link: the account joins every workspace open to
/// its domain. Returns the account and the first of those workspaces.
pub async fn verify_email(state: &AppState, token: &str) -> Result<(UserRow, Option<String>), AppError> {
    let hash = security::token_hash(token.trim());
    state
        .db
        .write(move |tx| {
            let found = VerificationRow::find_by_hash(tx, &hash)?.ok_or_else(|| {
                AppError::not_found(Code::VerificationNotFound, "That confirmation link is not valid.")
            })?;
            if found.used_at.is_some() {
                return Err(AppError::gone(Code::VerificationUsed, "That address is already confirmed."));
            }
            let now = db::now();
            if found.expires_at <= now {
                return Err(AppError::gone(Code::VerificationExpired, "That link has expired; sign up again."));
            }
            VerificationRow::use_all(tx, found.user_id, now)?;
            let user = UserRow::find(tx, found.user_id)?;
            let email = Email::parse(&user.email)?;
            let open = WorkspaceRow::open_to_domain(tx, email.domain())?;
            for workspace in &open {
                invitations::add_to_workspace(tx, workspace.id, &user, Role::Member)?;
            }
            Ok((user, open.first().map(|w| w.slug.clone())))
        })
        .await
}

/// Why someone may sign up.
enum Admission {
    /// The server has no account yet: this one becomes the server admin.
    First,
    Invited(Box<InvitationCheck>),
    /// Workspaces open to the address's domain.
    OpenDomain(Vec<WorkspaceRow>),
}

/// May someone with this address (and invitation) sign up? An invitation is checked when
/// one is given; without one, a workspace open to the address's domain lets one in.
fn admission(conn: &mut db::Conn, invite_hash: Option<&str>, email: &Email) -> Result<Admission, AppError> {
    if let Some(hash) = invite_hash {
        return Ok(Admission::Invited(Box::new(invitations::check(conn, hash, email.as_str())?)));
    }
    if UserRow::count(conn)? == 0 {
        return Ok(Admission::First);
    }
    let open = WorkspaceRow::open_to_domain(conn, email.domain())?;
    if open.is_empty() {
        return Err(AppError::forbidden(
            Code::SignupRequiresInvitation,
            "Signing up needs an invitation; ask a workspace admin to invite you.",
        ));
    }
    Ok(Admission::OpenDomain(open))
}

/// Signs in with a username or email and a password. Attempts are counted per account and
/// per client address before the password is checked (a success clears the account's);
/// past the limits the answer is 429 with the seconds to wait.
pub async fn login(
    state: &AppState,
    login: &str,
    password: &str,
    client_ip: &str,
    user_agent: Option<String>,
) -> Result<(UserRow, SessionToken), AppError> {
    let login = Login::parse(login)?;
    let password = Password::parse_attempt(password)?;
    let ip = client_ip.to_owned();
    let now = db::now();

    // The attempt is counted before the password is checked, under a lock: parallel
    // guesses each take a place, and the one past the limit is refused before any hashing.
    let (i, k) = (ip.clone(), login.clone());
    let (key, user) = state
        .db
        .write(move |tx| {
            let user = match &k {
                Login::Email(e) => UserRow::find_by_email(tx, e.as_str())?,
                Login::Username(u) => UserRow::find_by_username(tx, u)?,
            };
            let key = throttle_key(&k, user.as_ref());
            db::lock(tx, db::Lock::SignIn)?;
            let ((by_key, oldest_key), (by_ip, oldest_ip)) =
                login_failures::recent(tx, &key, &i, now - THROTTLE_WINDOW)?;
            let oldest = if by_key >= THROTTLE_PER_ACCOUNT {
                oldest_key
            } else if by_ip >= THROTTLE_PER_ADDRESS {
                oldest_ip
            } else {
                None
            };
            if let Some(oldest) = oldest {
                let wait = u64::try_from((oldest + THROTTLE_WINDOW - now).num_seconds().max(1)).unwrap_or(1);
                return Err(AppError::rate_limited(
                    wait,
                    format!("Too many failed sign-ins; try again in {} minutes.", wait.div_ceil(60)),
                ));
            }
            login_failures::prune(tx, now - THROTTLE_WINDOW)?;
            login_failures::record(tx, &key, &i, now)?;
            Ok((key, user))
        })
        .await?;

    // A bot never signs in, whatever its row holds.
    let user = user.filter(|u| !u.is_bot);
    let verified = match &user {
        Some(user) => state.hasher.verify(password.expose(), &user.password_hash).await?,
        None => {
            state.hasher.verify_dummy(password.expose()).await;
            false
        }
    };
    // A failure stays counted; a success clears the account's count, this attempt's too.
    let Some(user) = user.filter(|_| verified) else {
        return Err(AppError::unauthenticated("Wrong username, email or password."));
    };
    if user.deactivated_at.is_some() {
        return Err(AppError::forbidden(Code::AccountDeactivated, "This account has been deactivated."));
    }
    let user_id = user.id;
    let session = state
        .db
        .write(move |tx| {
            login_failures::clear(tx, &key)?;
            sessions::start(tx, user_id, user_agent.as_deref())
        })
        .await?;
    Ok((user, sessions::sign_session(state, &session)))
}

/// Tells every workspace the person is in that their profile changed.
pub(super) fn user_updated(tx: &mut Tx<'_>, user: &UserRow) -> Result<(), AppError> {
    let data = EventData::UserUpdated { user: wire::User::from(user) };
    for membership in MemberRow::list_active_for_user(tx, user.id)? {
        events::append(tx, Scope::workspace(membership.workspace_id).about(user.id), &data)?;
    }
    Ok(())
}

/// Changes the password after checking the current one. Other sessions are signed out;
/// with `everywhere`, so are this one and every personal access token.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    current: &str,
    new: &str,
    everywhere: bool,
) -> Result<(), AppError> {
    let current = Password::parse_attempt(current)?;
    let new = Password::parse_new(new, &[&actor.user.username, &actor.user.email])?;
    if !state.hasher.verify(current.expose(), &actor.user.password_hash).await? {
        return Err(AppError::forbidden(Code::WrongPassword, "The current password is not correct."));
    }
    let hash = state.hasher.hash(new.expose()).await?;
    let (user_id, keep) = (actor.id(), actor.session_id());
    state
        .db
        .write(move |tx| {
            let now = db::now();
            UserRow::set_password_hash(tx, user_id, &hash, now)?;
            if everywhere {
                SessionRow::revoke_all(tx, user_id, None, now)?;
                TokenRow::revoke_all(tx, user_id, now)?;
                sessions::revoked(tx, user_id, Revocation::everything())?;
            } else {
                SessionRow::revoke_all(tx, user_id, keep, now)?;
                sessions::revoked(tx, user_id, Revocation::all_sessions_except(keep))?;
            }
            ResetRow::use_all(tx, user_id, now)?;
            Ok(())
        })
        .await
}

/// Emails a single-use reset link if an active account has this address. The answer is
/// the same either way, so that nobody learns which addresses have accounts. The mail is a
/// job enqueued with the reset, sent when the relay takes it.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AppError> {
    let email = Email::parse(email)?;
    let address = email.as_str().to_owned();
    let (links, signup) = (state.link("/password-reset/"), state.link("/signup"));
    state
        .db
        .write(move |tx| {
            // Whether or not the address has an account, a mail goes into the queue, so
            // that the answer and its timing say nothing; only the address's owner reads it.
            let user = UserRow::find_by_email(tx, &address)?.filter(|u| u.deactivated_at.is_none());
            let Some(user) = user else {
                let mail = views::mail::no_account(&address, &signup);
                jobs::enqueue(tx, &Job::Mail(Mail { to: address.clone(), ..mail }))?;
                return Ok(());
            };
            let since = db::now() - Duration::hours(1);
            if ResetRow::count_since(tx, user.id, since)? >= RESETS_PER_HOUR {
                return Ok(());
            }
            // The mail's job makes the link's token when it sends it.
            let (id, _) = issue_reset(tx, &user)?;
            let mail = views::mail::password_reset(&user.display_name, LINK_PLACEHOLDER, RESET_LIFETIME);
            let link = SecretLink { kind: LinkKind::PasswordReset, id, url_prefix: links.clone() };
            jobs::enqueue(tx, &Job::LinkMail { mail: Mail { to: user.email.clone(), ..mail }, link })?;
            Ok(())
        })
        .await
}

/// Stores a new single-use reset for `user`; returns its id and the token for its link.
pub fn issue_reset(tx: &mut db::Conn, user: &UserRow) -> Result<(i64, String), AppError> {
    let token = security::random_token("");
    let now = db::now();
    let id = NewReset {
        user_id: user.id,
        token_hash: &security::token_hash(&token),
        created_at: now,
        expires_at: now + RESET_LIFETIME,
    }
    .insert(tx)?;
    Ok((id, token))
}

/// Looks a reset link up without using it (for the page that asks for the new password).
pub async fn check_password_reset(state: &AppState, token: &str) -> Result<UserRow, AppError> {
    let hash = security::token_hash(token.trim());
    state
        .db
        .read(move |conn| {
            let reset = usable_reset(conn, &hash)?;
            Ok(UserRow::find(conn, reset.user_id)?)
        })
        .await
}

fn usable_reset(conn: &mut db::Conn, hash: &str) -> Result<ResetRow, AppError> {
    let reset = ResetRow::find_by_hash(conn, hash)?
        .ok_or_else(|| AppError::not_found(Code::ResetNotFound, "That password-reset link is not valid."))?;
    if reset.used_at.is_some() {
        return Err(AppError::gone(
            Code::ResetUsed,
            "That password-reset link has already been used; request a new one.",
        ));
    }
    if reset.expires_at <= db::now() {
        return Err(AppError::gone(Code::ResetExpired, "That password-reset link has expired; request a new one."));
    }
    Ok(reset)
}

/// Sets a new password through a reset link; the link, every session and every personal
/// access token end (whoever had the old password may have made one).
pub async fn confirm_password_reset(state: &AppState, token: &str, new_password: &str) -> Result<UserRow, AppError> {
    let hash = security::token_hash(token.trim());
    let user = check_password_reset(state, token).await?;
    let password = Password::parse_new(new_password, &[&user.username, &user.email])?;
    let password_hash = state.hasher.hash(password.expose()).await?;
    state
        .db
        .write(move |tx| {
            let reset = usable_reset(tx, &hash)?;
            let now = db::now();
            UserRow::set_password_hash(tx, reset.user_id, &password_hash, now)?;
            ResetRow::use_all(tx, reset.user_id, now)?;
            SessionRow::revoke_all(tx, reset.user_id, None, now)?;
            TokenRow::revoke_all(tx, reset.user_id, now)?;
            sessions::revoked(tx, reset.user_id, Revocation::everything())?;
            let user = UserRow::find(tx, reset.user_id)?;
            login_failures::clear(tx, &throttle_key(&Login::Username(user.username.clone()), Some(&user)))?;
            Ok(user)
        })
        .await
}

/// Failures count against the account whichever way it was named (username or email);
/// attempts on names without an account count against the name.
fn throttle_key(login: &Login, user: Option<&UserRow>) -> String {
    match user {
        Some(user) => format!("user:{}", user.id),
        None => login.throttle_key(),
    }
}

/// Is the server empty, so that the next sign-up makes the server admin?
pub async fn first_run(state: &AppState) -> Result<bool, AppError> {
    state.db.read(|conn| Ok(UserRow::count(conn)? == 0)).await
}
