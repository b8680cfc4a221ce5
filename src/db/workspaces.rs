//! `workspaces` and `workspace_members`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::workspace_members::{self, dsl as m};
use super::schema::workspaces::{self, dsl as w};
use super::users::{self, UserRow};
use crate::domain::Paging;
use crate::domain::workspaces::Role;

/// A row of `workspaces`.
#[derive(Debug, Clone, Queryable)]
pub struct WorkspaceRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// `,example.com,example.org,`: people with these addresses may sign up without an
    /// invitation and join as members.
    pub signup_domains: String,
    /// Members, not only admins, may add integrations.
    pub members_add_integrations: bool,
}

pub const COLUMNS: (
    workspaces::id,
    workspaces::slug,
    workspaces::name,
    workspaces::created_by,
    workspaces::created_at,
    workspaces::updated_at,
    workspaces::signup_domains,
    workspaces::members_add_integrations,
) = (
    w::id,
    w::slug,
    w::name,
    w::created_by,
    w::created_at,
    w::updated_at,
    w::signup_domains,
    w::members_add_integrations,
);

#[derive(Insertable)]
#[diesel(table_name = workspaces)]
pub struct NewWorkspace<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewWorkspace<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<WorkspaceRow> {
        diesel::insert_into(w::workspaces).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl WorkspaceRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<WorkspaceRow> {
        w::workspaces.find(id).select(COLUMNS).first(conn)
    }

    pub fn slug_taken(conn: &mut Conn, slug: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(w::workspaces.filter(w::slug.eq(slug)))).get_result(conn)
    }

    /// Workspaces that let people with addresses at `domain` sign up without an invitation.
    pub fn open_to_domain(conn: &mut Conn, domain: &str) -> QueryResult<Vec<WorkspaceRow>> {
        w::workspaces.filter(w::signup_domains.like(format!("%,{domain},%"))).select(COLUMNS).load(conn)
    }

    pub fn set_members_add_integrations(
        conn: &mut Conn,
        id: i64,
        allowed: bool,
        at: NaiveDateTime,
    ) -> QueryResult<WorkspaceRow> {
        diesel::update(w::workspaces.find(id))
            .set((w::members_add_integrations.eq(allowed), w::updated_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn set_signup_domains(conn: &mut Conn, id: i64, domains: &str, at: NaiveDateTime) -> QueryResult<WorkspaceRow> {
        diesel::update(w::workspaces.find(id))
            .set((w::signup_domains.eq(domains), w::updated_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn set_name(conn: &mut Conn, id: i64, name: &str, at: NaiveDateTime) -> QueryResult<WorkspaceRow> {
        diesel::update(w::workspaces.find(id))
            .set((w::name.eq(name), w::updated_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// The workspace with this slug and the caller's active membership in it, if any.
    pub fn find_for_member(
        conn: &mut Conn,
        slug: &str,
        user_id: i64,
    ) -> QueryResult<Option<(WorkspaceRow, MemberRow)>> {
        w::workspaces
            .inner_join(m::workspace_members)
            .filter(w::slug.eq(slug))
            .filter(m::user_id.eq(user_id))
            .filter(m::deactivated_at.is_null())
            .select((COLUMNS, MEMBER_COLUMNS))
            .first(conn)
            .optional()
    }

    /// The workspaces where `user_id` is an active member, with the membership.
    pub fn list_for_member(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<(WorkspaceRow, MemberRow)>> {
        w::workspaces
            .inner_join(m::workspace_members)
            .filter(m::user_id.eq(user_id))
            .filter(m::deactivated_at.is_null())
            .order(w::name)
            .select((COLUMNS, MEMBER_COLUMNS))
            .load(conn)
    }
}

/// A row of `workspace_members`; the role is read into the domain's `Role` here, once.
#[derive(Debug, Clone, Queryable)]
pub struct MemberRow {
    pub workspace_id: i64,
    pub user_id: i64,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub joined_at: NaiveDateTime,
    pub deactivated_at: Option<NaiveDateTime>,
}

pub const MEMBER_COLUMNS: (
    workspace_members::workspace_id,
    workspace_members::user_id,
    workspace_members::role,
    workspace_members::joined_at,
    workspace_members::deactivated_at,
) = (m::workspace_id, m::user_id, m::role, m::joined_at, m::deactivated_at);

impl MemberRow {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<MemberRow> {
        diesel::insert_into(m::workspace_members)
            .values((
                m::workspace_id.eq(self.workspace_id),
                m::user_id.eq(self.user_id),
                m::role.eq(self.role.as_str()),
                m::joined_at.eq(self.joined_at),
                m::deactivated_at.eq(self.deactivated_at),
            ))
            .returning(MEMBER_COLUMNS)
            .get_result(conn)
    }

    /// Any membership, active or not.
    pub fn find(conn: &mut Conn, workspace_id: i64, user_id: i64) -> QueryResult<Option<MemberRow>> {
        m::workspace_members.find((workspace_id, user_id)).select(MEMBER_COLUMNS).first(conn).optional()
    }

    /// A membership, and whether its user is a bot.
    pub fn find_with_is_bot(
        conn: &mut Conn,
        workspace_id: i64,
        user_id: i64,
    ) -> QueryResult<Option<(MemberRow, bool)>> {
        m::workspace_members
            .inner_join(super::schema::users::table)
            .filter(m::workspace_id.eq(workspace_id))
            .filter(m::user_id.eq(user_id))
            .select((MEMBER_COLUMNS, super::schema::users::is_bot))
            .first(conn)
            .optional()
    }

    /// All memberships of a workspace with their users, active first, by username.
    /// A page of a workspace's members, by username.
    pub fn list_with_users(conn: &mut Conn, workspace_id: i64, page: Paging) -> QueryResult<Vec<(MemberRow, UserRow)>> {
        m::workspace_members
            .inner_join(super::schema::users::table)
            .filter(m::workspace_id.eq(workspace_id))
            .order(super::schema::users::username)
            .offset(page.offset)
            .limit(page.fetch())
            .select((MEMBER_COLUMNS, users::COLUMNS))
            .load(conn)
    }

    /// The active memberships of a user: what the event visibility rule starts from.
    pub fn list_active_for_user(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<MemberRow>> {
        m::workspace_members
            .filter(m::user_id.eq(user_id))
            .filter(m::deactivated_at.is_null())
            .select(MEMBER_COLUMNS)
            .load(conn)
    }

    /// Which of `user_ids` are active members of any of `workspace_ids`.
    pub fn active_among(conn: &mut Conn, workspace_ids: &[i64], user_ids: &[i64]) -> QueryResult<Vec<i64>> {
        m::workspace_members
            .filter(m::workspace_id.eq_any(workspace_ids))
            .filter(m::user_id.eq_any(user_ids))
            .filter(m::deactivated_at.is_null())
            .select(m::user_id)
            .distinct()
            .load(conn)
    }

    pub fn count_active_owners(conn: &mut Conn, workspace_id: i64) -> QueryResult<i64> {
        m::workspace_members
            .filter(m::workspace_id.eq(workspace_id))
            .filter(m::role.eq(Role::Owner.as_str()))
            .filter(m::deactivated_at.is_null())
            .count()
            .get_result(conn)
    }

    pub fn update(
        conn: &mut Conn,
        workspace_id: i64,
        user_id: i64,
        role: Role,
        deactivated_at: Option<NaiveDateTime>,
    ) -> QueryResult<MemberRow> {
        diesel::update(m::workspace_members.find((workspace_id, user_id)))
            .set((m::role.eq(role.as_str()), m::deactivated_at.eq(deactivated_at)))
            .returning(MEMBER_COLUMNS)
            .get_result(conn)
    }
}
