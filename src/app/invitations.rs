//! Invitations: owners and admins invite by email with a role; the link is single-use and
//! expires; following it signs up or signs in and joins the workspace.

use crate::domain::Code;
use chrono::Duration;

use super::access::{self, Membership};
use super::{Actor, AppState};
use crate::db::invitations::{InvitationRow, NewInvitation};
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};
use crate::db::{self, Conn, Tx};
use crate::domain::accounts::Email;
use crate::domain::workspaces::{Role, may_administer, may_invite};
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::jobs::{self, Job, LINK_PLACEHOLDER, LinkKind, SecretLink};
use crate::mail::Mail;
use crate::security;
use crate::views;
use crate::wire;

/// How long an invitation link works.
pub const INVITATION_LIFETIME: Duration = Duration::days(7);

/// Invites `email` to the workspace with `role`. The link is mailed by a job enqueued with
/// the invitation, so the answer does not wait for the mail relay, and a relay that is down
/// delays the mail instead of losing it.
pub async fn invite(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    email: &str,
    role: &str,
) -> Result<wire::Invitation, AppError> {
    let email = Email::parse(email)?;
    let role = Role::parse(role)?;
    // The mail's job makes the link's token when it sends it; until then the invitation
    // holds the hash of a token nobody has.
    let hash = security::token_hash(&security::random_token(""));
    let url_prefix = state.link("/invitations/");
    let (user_id, inviter, slug) = (actor.id(), actor.user.display_name.clone(), slug.to_owned());
    let invitation = state
        .db
        .write(move |tx| {
            let Membership { workspace, role: actor_role, .. } = access::workspace(tx, &slug, user_id)?;
            may_invite(actor_role, role)?;
            if let Some(existing) = UserRow::find_by_email(tx, email.as_str())? {
                if MemberRow::find(tx, workspace.id, existing.id)?.is_some_and(|m| m.deactivated_at.is_none()) {
                    return Err(AppError::conflict(
                        Code::AlreadyMember,
                        format!("{} is already a member of this workspace.", email.as_str()),
                    ));
                }
            }
            let now = db::now();
            let invitation = NewInvitation {
                workspace_id: workspace.id,
                email: email.as_str(),
                role: role.as_str(),
                token_hash: &hash,
                invited_by: user_id,
                created_at: now,
                expires_at: now + INVITATION_LIFETIME,
            }
            .insert(tx)?;
            let mail = views::mail::invitation(&inviter, &workspace.name, LINK_PLACEHOLDER, INVITATION_LIFETIME);
            let link = SecretLink { kind: LinkKind::Invitation, id: invitation.id, url_prefix: url_prefix.clone() };
            jobs::enqueue(tx, &Job::LinkMail { mail: Mail { to: invitation.email.clone(), ..mail }, link })?;
            Ok(invitation)
        })
        .await?;
    Ok(wire::Invitation::from(&invitation))
}

/// Pending invitations of a workspace, for its owners and admins.
pub async fn list_pending(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::Invitation>, AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .read(move |conn| {
            let Membership { workspace, role, .. } = access::workspace(conn, &slug, user_id)?;
            may_administer(role, "see invitations")?;
            Ok(InvitationRow::list_pending(conn, workspace.id, db::now())?.iter().map(wire::Invitation::from).collect())
        })
        .await
}

/// A usable invitation and its workspace.
pub struct InvitationCheck {
    pub invitation: InvitationRow,
    pub workspace: WorkspaceRow,
}

/// Finds a usable invitation by the hash of its token. `email`, when given, must be the
/// invited address: the link is for that person only.
pub fn check(conn: &mut Conn, hash: &str, email: &str) -> Result<InvitationCheck, AppError> {
    let invitation = find_usable(conn, hash)?;
    if invitation.email != email {
        return Err(AppError::forbidden(
            Code::InvitationEmailMismatch,
            format!("This invitation is for {}; sign up or sign in with that address.", invitation.email),
        ));
    }
    let workspace = WorkspaceRow::find(conn, invitation.workspace_id)?;
    Ok(InvitationCheck { invitation, workspace })
}

fn find_usable(conn: &mut Conn, hash: &str) -> Result<InvitationRow, AppError> {
    let invitation = InvitationRow::find_by_hash(conn, hash)?
        .ok_or_else(|| AppError::not_found(Code::InvitationNotFound, "That invitation link is not valid."))?;
    if invitation.accepted_at.is_some() {
        return Err(AppError::gone(Code::InvitationUsed, "That invitation has already been used."));
    }
    if invitation.expires_at <= db::now() {
        return Err(AppError::gone(Code::InvitationExpired, "That invitation has expired; ask for a new one."));
    }
    Ok(invitation)
}

/// What the invitation page shows before someone accepts.
#[derive(Debug, Clone)]
pub struct InvitationPreview {
    pub email: String,
    pub role: Role,
    pub workspace_name: String,
    pub workspace_slug: String,
    pub has_account: bool,
}

pub async fn preview(state: &AppState, token: &str) -> Result<InvitationPreview, AppError> {
    let hash = security::token_hash(token.trim());
    state
        .db
        .read(move |conn| {
            let invitation = find_usable(conn, &hash)?;
            let workspace = WorkspaceRow::find(conn, invitation.workspace_id)?;
            let has_account = UserRow::email_taken(conn, &invitation.email)?;
            Ok(InvitationPreview {
                email: invitation.email,
                role: invitation.role,
                workspace_name: workspace.name,
                workspace_slug: workspace.slug,
                has_account,
            })
        })
        .await
}

/// Accepts an invitation as the signed-in person; returns the workspace joined.
pub async fn accept(state: &AppState, actor: &Actor, token: &str) -> Result<wire::Workspace, AppError> {
    let hash = security::token_hash(token.trim());
    let user = actor.user.clone();
    state
        .db
        .write(move |tx| {
            let InvitationCheck { invitation, workspace } = check(tx, &hash, &user.email)?;
            let member = join(tx, &invitation, &user)?;
            Ok(wire::Workspace::new(&workspace, &member))
        })
        .await
}

/// Uses the invitation and makes `user` an active member with the invited role (a
/// deactivated member is reactivated). Appends `workspace.member_added`.
pub fn join(tx: &mut Tx<'_>, invitation: &InvitationRow, user: &UserRow) -> Result<MemberRow, AppError> {
    let now = db::now();
    if InvitationRow::accept(tx, invitation.id, user.id, now)? == 0 {
        return Err(AppError::gone(Code::InvitationUsed, "That invitation has already been used."));
    }
    if MemberRow::find(tx, invitation.workspace_id, user.id)?.is_some_and(|m| m.deactivated_at.is_none()) {
        return Err(AppError::conflict(Code::AlreadyMember, "You are already a member of this workspace."));
    }
    add_to_workspace(tx, invitation.workspace_id, user, invitation.role)
}

/// Makes `user` an active member with `role` (a deactivated member is reactivated), puts
/// them in the default channels, and appends `workspace.member_added`.
pub fn add_to_workspace(tx: &mut Tx<'_>, workspace_id: i64, user: &UserRow, role: Role) -> Result<MemberRow, AppError> {
    let now = db::now();
    let member = match MemberRow::find(tx, workspace_id, user.id)? {
        Some(_) => MemberRow::update(tx, workspace_id, user.id, role, None)?,
        None => MemberRow { workspace_id, user_id: user.id, role, joined_at: now, deactivated_at: None }.insert(tx)?,
    };
    let data = EventData::WorkspaceMemberAdded { member: wire::Member::new(&member, user) };
    events::append(tx, Scope::workspace(member.workspace_id).about(user.id), &data)?;
    super::channel_members::join_defaults(tx, member.workspace_id, user, member.role)?;
    Ok(member)
}
