//! Workspaces and their members: create, list, rename, change roles, deactivate.

use super::access::{self, Membership, no_such_workspace};
use super::{Actor, AppState, Paged};
use crate::config::WorkspaceCreation;
use crate::db;
use crate::db::invitations::InvitationRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, NewWorkspace, WorkspaceRow};
use crate::domain::Code;
use crate::domain::Paging;
use crate::domain::workspaces::{
    MemberChange, Role, WorkspaceName, WorkspaceSlug, may_administer, may_change_member, may_create_workspace,
    parse_signup_domains,
};
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::wire;

/// Creates a workspace; its creator is its owner.
pub async fn create(state: &AppState, actor: &Actor, slug: &str, name: &str) -> Result<wire::Workspace, AppError> {
    may_create(state, actor)?;
    create_as(state, actor, slug, name).await
}

/// May this person create a workspace on this server?
pub fn may_create(state: &AppState, actor: &Actor) -> Result<(), AppError> {
    let anyone_may = state.settings.accounts.workspace_creation == WorkspaceCreation::Anyone;
    Ok(may_create_workspace(actor.user.is_server_admin, anyone_may)?)
}

/// Creates a workspace owned by `actor`, whoever may create workspaces (the operator's CLI).
pub async fn create_as(state: &AppState, actor: &Actor, slug: &str, name: &str) -> Result<wire::Workspace, AppError> {
    let slug = WorkspaceSlug::parse(slug)?;
    let name = WorkspaceName::parse(name)?;
    let user = actor.user.clone();
    state
        .db
        .write(move |tx| {
            if WorkspaceRow::slug_taken(tx, slug.as_str())? {
                return Err(AppError::conflict(
                    Code::WorkspaceSlugTaken,
                    format!("The URL name \"{}\" is taken.", slug.as_str()),
                ));
            }
            let now = db::now();
            let workspace = NewWorkspace {
                slug: slug.as_str(),
                name: name.as_str(),
                created_by: user.id,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            let member = MemberRow {
                workspace_id: workspace.id,
                user_id: user.id,
                role: Role::Owner,
                joined_at: now,
                deactivated_at: None,
            }
            .insert(tx)?;
            let data = EventData::WorkspaceCreated {
                workspace: wire::WorkspaceInfo::from(&workspace),
                member: wire::Member::new(&member, &user),
            };
            events::append(tx, Scope::workspace(workspace.id).about(user.id), &data)?;
            super::channels::create_general(tx, workspace.id, &user)?;
            Ok(wire::Workspace::new(&workspace, &member))
        })
        .await
}

/// The workspaces the caller is an active member of.
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<wire::Workspace>, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            Ok(WorkspaceRow::list_for_member(conn, user_id)?.iter().map(|(w, m)| wire::Workspace::new(w, m)).collect())
        })
        .await
}

/// One workspace, through the caller's membership.
pub async fn get(state: &AppState, actor: &Actor, slug: &str) -> Result<wire::Workspace, AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .read(move |conn| {
            let (w, m) = WorkspaceRow::find_for_member(conn, &slug, user_id)?.ok_or_else(no_such_workspace)?;
            Ok(wire::Workspace::new(&w, &m))
        })
        .await
}

/// A change to a workspace's settings.
#[derive(Debug, Clone, Default)]
pub struct WorkspacePatch {
    pub name: Option<String>,
    /// Email domains whose people may sign up without an invitation; empty for none.
    pub signup_domains: Option<Vec<String>>,
    /// Whether members, not only admins, may add integrations.
    pub members_add_integrations: Option<bool>,
}

/// Renames a workspace or sets who may sign up into it (owners and admins).
pub async fn update(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    patch: WorkspacePatch,
) -> Result<wire::Workspace, AppError> {
    let name = patch.name.as_deref().map(WorkspaceName::parse).transpose()?;
    let domains = patch.signup_domains.as_deref().map(parse_signup_domains).transpose()?;
    if name.is_none() && domains.is_none() && patch.members_add_integrations.is_none() {
        return Err(AppError::invalid(
            Code::NothingToChange,
            "Give a name, signup_domains or members_add_integrations to change.",
        ));
    }
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, role, .. } = access::workspace(tx, &slug, user_id)?;
            may_administer(role, "change the workspace")?;
            let mut workspace = workspace;
            if let Some(name) = &name {
                workspace = WorkspaceRow::set_name(tx, workspace.id, name.as_str(), db::now())?;
            }
            if let Some(domains) = &domains {
                workspace = WorkspaceRow::set_signup_domains(tx, workspace.id, domains, db::now())?;
            }
            if let Some(allowed) = patch.members_add_integrations {
                workspace = WorkspaceRow::set_members_add_integrations(tx, workspace.id, allowed, db::now())?;
            }
            let member = MemberRow::find(tx, workspace.id, user_id)?.ok_or_else(no_such_workspace)?;
            let data = EventData::WorkspaceUpdated { workspace: wire::WorkspaceInfo::from(&workspace) };
            events::append(tx, Scope::workspace(workspace.id), &data)?;
            Ok(wire::Workspace::new(&workspace, &member))
        })
        .await
}

/// A page of the members of a workspace by username, deactivated ones included (marked).
pub async fn members(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    page: Paging,
) -> Result<Paged<wire::Member>, AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .read(move |conn| {
            let Membership { workspace, .. } = access::workspace(conn, &slug, user_id)?;
            let members = MemberRow::list_with_users(conn, workspace.id, page)?;
            Ok(Paged::cut(members.iter().map(|(m, u)| wire::Member::new(m, u)).collect(), page))
        })
        .await
}

/// A change to a membership: a new role, deactivation, or both.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    pub role: Option<String>,
    pub deactivated: Option<bool>,
}

/// Changes another member's role or deactivates/reactivates them. A deactivated member
/// loses access to the workspace at once: every request checks active membership.
pub async fn update_member(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    target_id: i64,
    patch: MemberPatch,
) -> Result<wire::Member, AppError> {
    let role = patch.role.as_deref().map(Role::parse).transpose()?;
    let mut changes = Vec::new();
    if let Some(r) = role {
        changes.push(MemberChange::SetRole(r));
    }
    match patch.deactivated {
        Some(true) => changes.push(MemberChange::Deactivate),
        Some(false) => changes.push(MemberChange::Reactivate),
        None => {}
    }
    if changes.is_empty() {
        return Err(AppError::invalid(Code::NothingToChange, "Give a role, or deactivated: true or false."));
    }
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, role: actor_role, .. } = access::workspace(tx, &slug, user_id)?;
            // Two owners demoting each other at once must not leave the workspace ownerless.
            db::lock(tx, db::Lock::Owners { workspace_id: workspace.id })?;
            let target = MemberRow::find(tx, workspace.id, target_id)?.ok_or_else(|| {
                AppError::not_found(Code::MemberNotFound, "That person is not a member of this workspace.")
            })?;
            let target_role = target.role;
            if role.is_some_and(|r| r != target_role) && UserRow::find(tx, target_id)?.is_bot {
                return Err(AppError::invalid(Code::InvalidRole, "A bot's role cannot change: it is always a member."));
            }
            let owners = MemberRow::count_active_owners(tx, workspace.id)? as usize;
            for change in &changes {
                may_change_member(actor_role, target_id == user_id, target_role, *change, owners)?;
            }
            let new_role = role.unwrap_or(target_role);
            let deactivated_at = match patch.deactivated {
                Some(true) => target.deactivated_at.or(Some(db::now())),
                Some(false) => None,
                None => target.deactivated_at,
            };
            let member = MemberRow::update(tx, workspace.id, target_id, new_role, deactivated_at)?;
            let user = UserRow::find(tx, target_id)?;
            if member.deactivated_at.is_some() {
                // A spare invitation must not undo the deactivation.
                InvitationRow::expire_for(tx, workspace.id, &user.email, db::now())?;
            }
            let wire_member = wire::Member::new(&member, &user);
            let data = if member.deactivated_at.is_some() && target.deactivated_at.is_none() {
                EventData::WorkspaceMemberDeactivated { member: wire_member.clone() }
            } else {
                EventData::WorkspaceMemberUpdated { member: wire_member.clone() }
            };
            events::append(tx, Scope::workspace(workspace.id).about(target_id), &data)?;
            Ok(wire_member)
        })
        .await
}
