//! Workspaces: slugs, names, roles and who may do what to whom.

use super::Code;
use super::{Denied, Invalid, parse_label};

/// Slugs that would read as a product path or a command.
pub const RESERVED_SLUGS: &[&str] = &[
    "api",
    "admin",
    "app",
    "assets",
    "files",
    "healthz",
    "hooks",
    "invitations",
    "login",
    "logout",
    "metrics",
    "new",
    "password-reset",
    "readyz",
    "search",
    "services",
    "settings",
    "signup",
    "static",
    "w",
    "www",
    "hearth",
];

/// A workspace's address (`/w/<slug>`): 2–40 lowercase letters, digits and hyphens, not
/// starting or ending with a hyphen, not reserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkspaceSlug(String);

impl WorkspaceSlug {
    pub fn parse(raw: &str) -> Result<WorkspaceSlug, Invalid> {
        let slug = raw.trim();
        let code = Code::InvalidWorkspaceSlug;
        if slug.len() < 2 || slug.len() > 40 {
            return Err(Invalid::new(code, "A workspace URL name must be 2 to 40 characters long."));
        }
        if !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(Invalid::new(code, "A workspace URL name can only contain lowercase letters, digits and '-'."));
        }
        if slug.starts_with('-') || slug.ends_with('-') {
            return Err(Invalid::new(code, "A workspace URL name cannot start or end with '-'."));
        }
        if RESERVED_SLUGS.contains(&slug) {
            return Err(Invalid::new(code, format!("\"{slug}\" is reserved; choose another URL name.")));
        }
        Ok(WorkspaceSlug(slug.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A workspace's display name: 1–80 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceName(String);

impl WorkspaceName {
    pub fn parse(raw: &str) -> Result<WorkspaceName, Invalid> {
        parse_label(raw, 80, Code::InvalidWorkspaceName, "A workspace name").map(WorkspaceName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The email domains whose people may sign up without an invitation, stored as
/// `,a.example,b.example,` (empty for none). At most 20; each a valid domain.
pub fn parse_signup_domains(raw: &[String]) -> Result<String, Invalid> {
    if raw.len() > 20 {
        return Err(Invalid::new(Code::InvalidSignupDomains, "List at most 20 email domains."));
    }
    let mut domains = Vec::new();
    for d in raw {
        let domain = d.trim().trim_start_matches('@').to_lowercase();
        let email = super::accounts::Email::parse(&format!("someone@{domain}")).map_err(|_| {
            Invalid::new(Code::InvalidSignupDomains, format!("\"{}\" is not an email domain.", d.trim()))
        })?;
        domains.push(email.domain().to_owned());
    }
    domains.sort();
    domains.dedup();
    Ok(if domains.is_empty() { String::new() } else { format!(",{},", domains.join(",")) })
}

/// The stored list as domains.
pub fn signup_domains(stored: &str) -> Vec<String> {
    stored.split(',').filter(|d| !d.is_empty()).map(str::to_owned).collect()
}

/// A member's role in a workspace, most powerful first. On the wire and in the database it
/// is its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
    Guest,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Guest];

    pub fn parse(raw: &str) -> Result<Role, Invalid> {
        match raw.trim() {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            "guest" => Ok(Role::Guest),
            other => Err(Invalid::new(
                Code::InvalidRole,
                format!("\"{other}\" is not a role; use owner, admin, member or guest."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Guest => "guest",
        }
    }

    /// "an admin", "a member": for sentences.
    pub fn with_article(self) -> String {
        match self {
            Role::Owner | Role::Admin => format!("an {}", self.as_str()),
            Role::Member | Role::Guest => format!("a {}", self.as_str()),
        }
    }

    /// Owners and admins run the workspace.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

/// A stored role (the database holds the names `as_str` writes).
impl TryFrom<String> for Role {
    type Error = Invalid;

    fn try_from(stored: String) -> Result<Role, Invalid> {
        Role::parse(&stored)
    }
}

/// Creating channels: everyone but guests.
pub fn may_create_channel(actor: Role) -> Result<(), Denied> {
    match actor {
        Role::Guest => Err(Denied::new(Code::GuestCannotCreate, "Guests cannot create channels.")),
        _ => Ok(()),
    }
}

/// Browsing the public channels and being put in the default ones: everyone but guests,
/// who see only the channels they were added to.
pub fn may_browse_channels(actor: Role) -> bool {
    actor != Role::Guest
}

/// Running the workspace (its settings, its pending invitations): owners and admins.
/// `what` finishes the sentence "Only workspace owners and admins can …".
pub fn may_administer(actor: Role, what: &str) -> Result<(), Denied> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(Denied::new(Code::NotWorkspaceAdmin, format!("Only workspace owners and admins can {what}.")))
    }
}

/// Adding integrations (incoming webhooks now; commands and bots later), or changing one:
/// owners and admins any; members their own, where the workspace lets members add them;
/// guests never.
pub fn may_manage_integration(actor: Role, members_may: bool, is_own: bool) -> Result<(), Denied> {
    match actor {
        Role::Owner | Role::Admin => Ok(()),
        Role::Member if members_may && is_own => Ok(()),
        Role::Member if members_may => Err(Denied::new(
            Code::NotWorkspaceAdmin,
            "Only its creator and workspace admins can change this integration.",
        )),
        _ => Err(Denied::new(
            Code::NotWorkspaceAdmin,
            "Only workspace owners and admins can add integrations here (an admin can let members add them).",
        )),
    }
}

/// What a member may do in the workspace as a whole, answered once for pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkspaceRights {
    pub create_channel: bool,
    pub browse_channels: bool,
    /// Invite people, see pending invitations, change the settings.
    pub administer: bool,
}

impl WorkspaceRights {
    pub fn of(actor: Role) -> WorkspaceRights {
        WorkspaceRights {
            create_channel: may_create_channel(actor).is_ok(),
            browse_channels: may_browse_channels(actor),
            administer: may_administer(actor, "do that").is_ok(),
        }
    }
}

/// Creating a workspace: server admins, or anyone when the server allows it.
pub fn may_create_workspace(is_server_admin: bool, anyone_may: bool) -> Result<(), Denied> {
    if is_server_admin || anyone_may {
        Ok(())
    } else {
        Err(Denied::new(Code::WorkspaceCreationRestricted, "Only server admins can create workspaces on this server."))
    }
}

/// The roles `actor` may invite people with.
pub fn invitable_roles(actor: Role) -> Vec<Role> {
    Role::ALL.into_iter().filter(|r| may_invite(actor, *r).is_ok()).collect()
}

/// May `actor` invite someone with role `role`? Admins invite members and guests; only
/// owners make admins; owners are made by promotion, never by invitation.
pub fn may_invite(actor: Role, role: Role) -> Result<(), Denied> {
    if !actor.is_admin() {
        return Err(Denied::new(Code::NotWorkspaceAdmin, "Only workspace owners and admins can invite people."));
    }
    match role {
        Role::Owner => {
            Err(Denied::new(Code::InvalidInvitationRole, "Invite as admin, member or guest, then make them an owner."))
        }
        Role::Admin if actor != Role::Owner => {
            Err(Denied::new(Code::OwnerRequired, "Only workspace owners can invite admins."))
        }
        _ => Ok(()),
    }
}

/// A change one member makes to another's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    SetRole(Role),
    Deactivate,
    Reactivate,
}

/// May `actor` make `change` to a member whose role is `target`? Admins manage members and
/// guests; owners manage everyone. `active_owners` counts the workspace's active owners, so
/// that a workspace never loses its last one.
pub fn may_change_member(
    actor: Role,
    actor_is_target: bool,
    target: Role,
    change: MemberChange,
    active_owners: usize,
) -> Result<(), Denied> {
    if !actor.is_admin() {
        return Err(Denied::new(Code::NotWorkspaceAdmin, "Only workspace owners and admins can manage members."));
    }
    let touches_admins = target.is_admin() || matches!(change, MemberChange::SetRole(r) if r.is_admin());
    if touches_admins && actor != Role::Owner {
        return Err(Denied::new(Code::OwnerRequired, "Only workspace owners can change owners and admins."));
    }
    let loses_owner = target == Role::Owner
        && match change {
            MemberChange::SetRole(r) => r != Role::Owner,
            MemberChange::Deactivate => true,
            MemberChange::Reactivate => false,
        };
    if loses_owner && active_owners <= 1 {
        return Err(Denied::new(
            Code::LastOwner,
            "A workspace needs at least one owner; make someone else an owner first.",
        ));
    }
    if actor_is_target && change == MemberChange::Deactivate {
        return Err(Denied::new(Code::CannotDeactivateSelf, "You cannot deactivate yourself; ask another owner."));
    }
    Ok(())
}

/// Roles `actor` may give: owners any, admins member or guest, others none.
pub fn assignable_roles(actor: Role) -> Vec<Role> {
    match actor {
        Role::Owner => Role::ALL.to_vec(),
        Role::Admin => vec![Role::Member, Role::Guest],
        Role::Member | Role::Guest => Vec::new(),
    }
}

/// May `actor` manage (change role, deactivate) another member whose role is `target`?
/// The same rule as `may_change_member`, asked before any particular change.
pub fn may_manage(actor: Role, actor_is_target: bool, target: Role) -> bool {
    actor.is_admin() && !actor_is_target && (actor == Role::Owner || !target.is_admin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_invites_whom_and_who_creates_workspaces() {
        assert_eq!(invitable_roles(Role::Owner), [Role::Admin, Role::Member, Role::Guest]);
        assert_eq!(invitable_roles(Role::Admin), [Role::Member, Role::Guest]);
        assert!(invitable_roles(Role::Member).is_empty());
        assert!(may_create_workspace(true, false).is_ok());
        assert!(may_create_workspace(false, true).is_ok());
        assert_eq!(may_create_workspace(false, false).unwrap_err().code, Code::WorkspaceCreationRestricted);
    }

    #[test]
    fn workspace_wide_rights_by_role() {
        let cases = [
            (Role::Owner, WorkspaceRights { create_channel: true, browse_channels: true, administer: true }),
            (Role::Admin, WorkspaceRights { create_channel: true, browse_channels: true, administer: true }),
            (Role::Member, WorkspaceRights { create_channel: true, browse_channels: true, administer: false }),
            (Role::Guest, WorkspaceRights { create_channel: false, browse_channels: false, administer: false }),
        ];
        for (role, expected) in cases {
            assert_eq!(WorkspaceRights::of(role), expected, "{role:?}");
        }
    }

    #[test]
    fn integrations_are_for_admins_and_allowed_members() {
        let cases = [
            (Role::Owner, false, false, true),
            (Role::Admin, false, false, true),
            (Role::Member, false, true, false),
            (Role::Member, true, true, true),
            (Role::Member, true, false, false),
            (Role::Guest, true, true, false),
        ];
        for (role, members_may, own, allowed) in cases {
            assert_eq!(may_manage_integration(role, members_may, own).is_ok(), allowed, "{role:?} {members_may} {own}");
        }
    }

    #[test]
    fn slugs_follow_the_rules() {
        assert!(WorkspaceSlug::parse("acme-2").is_ok());
        for bad in ["a", "-acme", "acme-", "Acme", "ac me", "api", "static", &"a".repeat(41)] {
            assert!(WorkspaceSlug::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_owners_touch_admins_and_the_last_owner_stays() {
        use MemberChange::*;
        assert!(may_change_member(Role::Admin, false, Role::Member, SetRole(Role::Guest), 1).is_ok());
        assert!(may_change_member(Role::Admin, false, Role::Member, SetRole(Role::Admin), 1).is_err());
        assert!(may_change_member(Role::Admin, false, Role::Owner, Deactivate, 2).is_err());
        assert!(may_change_member(Role::Member, false, Role::Guest, Deactivate, 1).is_err());
        assert!(may_change_member(Role::Owner, true, Role::Owner, SetRole(Role::Member), 1).is_err());
        assert!(may_change_member(Role::Owner, true, Role::Owner, SetRole(Role::Member), 2).is_ok());
        assert!(may_change_member(Role::Owner, true, Role::Owner, Deactivate, 2).is_err());
    }

    #[test]
    fn invitations_never_make_owners() {
        assert!(may_invite(Role::Owner, Role::Admin).is_ok());
        assert!(may_invite(Role::Admin, Role::Admin).is_err());
        assert!(may_invite(Role::Admin, Role::Guest).is_ok());
        assert!(may_invite(Role::Owner, Role::Owner).is_err());
        assert!(may_invite(Role::Member, Role::Member).is_err());
    }
}
