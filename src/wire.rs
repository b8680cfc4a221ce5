//! The public JSON objects: what the API returns and what events carry. Built from rows by
//! explicit conversions, so a new column goes nowhere until someone decides it should.

use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::db::invitations::InvitationRow;
use crate::db::tokens::TokenRow;
use crate::db::users::UserRow;
use crate::db::workspaces::{MemberRow, WorkspaceRow};

/// A moment in UTC, written as RFC 3339 with microseconds and `Z`
/// (`2026-11-25T10:50:17.123456Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Time(pub NaiveDateTime);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let raw = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&raw)
            .map(|t| Time(t.naive_utc()))
            .map_err(serde::de::Error::custom)
    }
}

impl From<NaiveDateTime> for Time {
    fn from(t: NaiveDateTime) -> Time {
        Time(t)
    }
}

/// A person as every member of a shared workspace sees them (no email).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub deactivated: bool,
}

impl From<&UserRow> for User {
    fn from(row: &UserRow) -> User {
        let UserRow {
            id,
            username,
            display_name,
            deactivated_at,
            ..
        } = row;
        User {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            deactivated: deactivated_at.is_some(),
        }
    }
}

/// The signed-in person's own account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub is_server_admin: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

impl From<&UserRow> for Me {
    fn from(row: &UserRow) -> Me {
        let UserRow {
            id,
            username,
            email,
            display_name,
            password_hash: _,
            is_server_admin,
            deactivated_at: _,
            created_at,
            updated_at: _,
        } = row;
        Me {
            id: *id,
            username: username.clone(),
            display_name: display_name.clone(),
            email: email.clone(),
            is_server_admin: *is_server_admin,
            created_at: Time(*created_at),
        }
    }
}

/// A workspace, with the caller's role in it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Workspace {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The caller's role: owner, admin, member or guest.
    pub role: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
}

impl Workspace {
    pub fn new(ws: &WorkspaceRow, member: &MemberRow) -> Workspace {
        let WorkspaceRow {
            id,
            slug,
            name,
            created_by: _,
            created_at,
            updated_at: _,
        } = ws;
        Workspace {
            id: *id,
            slug: slug.clone(),
            name: name.clone(),
            role: member.role.clone(),
            created_at: Time(*created_at),
        }
    }
}

/// A workspace without anyone's role, as workspace events carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkspaceInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl From<&WorkspaceRow> for WorkspaceInfo {
    fn from(ws: &WorkspaceRow) -> WorkspaceInfo {
        WorkspaceInfo {
            id: ws.id,
            slug: ws.slug.clone(),
            name: ws.name.clone(),
        }
    }
}

/// A membership of a workspace.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub user: User,
    pub role: String,
    pub deactivated: bool,
    #[schema(value_type = String, format = DateTime)]
    pub joined_at: Time,
}

impl Member {
    pub fn new(member: &MemberRow, user: &UserRow) -> Member {
        let MemberRow {
            workspace_id: _,
            user_id: _,
            role,
            joined_at,
            deactivated_at,
        } = member;
        Member {
            user: User::from(user),
            role: role.clone(),
            deactivated: deactivated_at.is_some(),
            joined_at: Time(*joined_at),
        }
    }
}

/// A pending invitation, as workspace admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invitation {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub invited_by: i64,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Time,
}

impl From<&InvitationRow> for Invitation {
    fn from(row: &InvitationRow) -> Invitation {
        Invitation {
            id: row.id,
            email: row.email.clone(),
            role: row.role.clone(),
            invited_by: row.invited_by,
            created_at: Time(row.created_at),
            expires_at: Time(row.expires_at),
        }
    }
}

/// A personal access token as listed (never the token itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessToken {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Time,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Time>,
}

impl From<&TokenRow> for AccessToken {
    fn from(row: &TokenRow) -> AccessToken {
        let TokenRow {
            id,
            user_id: _,
            name,
            token_hash: _,
            created_at,
            last_used_at,
            revoked_at: _,
        } = row;
        AccessToken {
            id: *id,
            name: name.clone(),
            created_at: Time(*created_at),
            last_used_at: last_used_at.map(Time),
        }
    }
}
