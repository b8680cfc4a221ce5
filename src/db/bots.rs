//! `bots`: a workspace's bot users, their tokens (as hashes) and event subscriptions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::bots::{self, dsl as b};
use super::schema::users::dsl as u;
use super::users::{COLUMNS as USER_COLUMNS, UserRow};

/// A row of `bots`.
#[derive(Debug, Clone, Queryable)]
pub struct BotRow {
    pub id: i64,
    pub workspace_id: i64,
    /// The bot's user: its name, display name and memberships.
    pub user_id: i64,
    pub created_by: i64,
    pub description: String,
    pub icon_url: Option<String>,
    /// `None` once the token is revoked.
    pub token_hash: Option<String>,
    /// Which signing secret its event deliveries carry.
    pub secret_generation: i32,
    /// Where its event subscriptions are delivered, once verified.
    pub request_url: Option<String>,
    /// hearth's own bot of the workspace: never managed, never given a token.
    pub system: bool,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[expect(clippy::type_complexity, reason = "one column per field of BotRow")]
const COLUMNS: (
    bots::id,
    bots::workspace_id,
    bots::user_id,
    bots::created_by,
    bots::description,
    bots::icon_url,
    bots::token_hash,
    bots::secret_generation,
    bots::request_url,
    bots::system,
    bots::last_used_at,
    bots::created_at,
    bots::updated_at,
) = (
    b::id,
    b::workspace_id,
    b::user_id,
    b::created_by,
    b::description,
    b::icon_url,
    b::token_hash,
    b::secret_generation,
    b::request_url,
    b::system,
    b::last_used_at,
    b::created_at,
    b::updated_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = bots)]
pub struct NewBot<'a> {
    pub workspace_id: i64,
    pub user_id: i64,
    pub created_by: i64,
    pub description: &'a str,
    pub icon_url: Option<&'a str>,
    pub token_hash: Option<&'a str>,
    pub system: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewBot<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<BotRow> {
        diesel::insert_into(b::bots).values(self).returning(COLUMNS).get_result(conn)
    }
}

/// What an update changes; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = bots)]
pub struct BotChanges<'a> {
    pub description: Option<&'a str>,
    pub icon_url: Option<Option<&'a str>>,
    pub token_hash: Option<Option<&'a str>>,
    pub secret_generation: Option<i32>,
    pub request_url: Option<Option<&'a str>>,
    pub updated_at: Option<NaiveDateTime>,
}

impl BotRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<BotRow>> {
        b::bots.find(id).select(COLUMNS).first(conn).optional()
    }

    pub fn find_by_user(conn: &mut Conn, user_id: i64) -> QueryResult<Option<BotRow>> {
        b::bots.filter(b::user_id.eq(user_id)).select(COLUMNS).first(conn).optional()
    }

    /// The bot a live token belongs to, with its user.
    pub fn find_by_token_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<(BotRow, UserRow)>> {
        b::bots
            .inner_join(u::users.on(u::id.eq(b::user_id)))
            .filter(b::token_hash.eq(hash))
            .select((COLUMNS, USER_COLUMNS))
            .first(conn)
            .optional()
    }

    /// A workspace's own bot's user, if it has been made.
    pub fn system_of(conn: &mut Conn, workspace_id: i64) -> QueryResult<Option<UserRow>> {
        b::bots
            .inner_join(u::users.on(u::id.eq(b::user_id)))
            .filter(b::workspace_id.eq(workspace_id))
            .filter(b::system.eq(true))
            .select(USER_COLUMNS)
            .first(conn)
            .optional()
    }

    /// A workspace's bots (not its own) with their users, oldest first.
    pub fn of_workspace(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<(BotRow, UserRow)>> {
        b::bots
            .inner_join(u::users.on(u::id.eq(b::user_id)))
            .filter(b::workspace_id.eq(workspace_id))
            .filter(b::system.eq(false))
            .order(b::id.asc())
            .select((COLUMNS, USER_COLUMNS))
            .load(conn)
    }

    /// The bots among some users: `(user id, bot id)`.
    pub fn ids_of_users(conn: &mut Conn, user_ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
        b::bots.filter(b::user_id.eq_any(user_ids)).select((b::user_id, b::id)).load(conn)
    }

    pub fn update(conn: &mut Conn, id: i64, changes: &BotChanges<'_>) -> QueryResult<BotRow> {
        diesel::update(b::bots.find(id)).set(changes).returning(COLUMNS).get_result(conn)
    }

    pub fn touch(conn: &mut Conn, id: i64, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(b::bots.find(id)).set(b::last_used_at.eq(at)).execute(conn)
    }

    pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
        diesel::delete(b::bots.find(id)).execute(conn)
    }
}
