//! `commands` and `command_responses`: a workspace's custom slash commands, and the
//! `response_url`s their answers may come back through.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::command_responses::{self, dsl as r};
use super::schema::commands::{self, dsl as c};

/// A row of `commands`.
#[derive(Debug, Clone, Queryable)]
pub struct CommandRow {
    pub id: i64,
    pub workspace_id: i64,
    /// Typed as `/name`.
    pub name: String,
    pub url: String,
    /// `POST` or `GET`.
    pub method: String,
    pub description: String,
    pub usage_hint: String,
    /// Offered by the composer as one types.
    pub autocomplete: bool,
    pub secret_generation: i32,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

const COLUMNS: (
    commands::id,
    commands::workspace_id,
    commands::name,
    commands::url,
    commands::method,
    commands::description,
    commands::usage_hint,
    commands::autocomplete,
    commands::secret_generation,
    commands::created_by,
    commands::created_at,
    commands::updated_at,
) = (
    c::id,
    c::workspace_id,
    c::name,
    c::url,
    c::method,
    c::description,
    c::usage_hint,
    c::autocomplete,
    c::secret_generation,
    c::created_by,
    c::created_at,
    c::updated_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = commands)]
pub struct NewCommand<'a> {
    pub workspace_id: i64,
    pub name: &'a str,
    pub url: &'a str,
    pub method: &'a str,
    pub description: &'a str,
    pub usage_hint: &'a str,
    pub autocomplete: bool,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewCommand<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<CommandRow> {
        diesel::insert_into(c::commands).values(self).returning(COLUMNS).get_result(conn)
    }
}

/// What an update changes; `None` leaves a column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = commands)]
pub struct CommandChanges<'a> {
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
    pub method: Option<&'a str>,
    pub description: Option<&'a str>,
    pub usage_hint: Option<&'a str>,
    pub autocomplete: Option<bool>,
    pub secret_generation: Option<i32>,
    pub updated_at: Option<NaiveDateTime>,
}

impl CommandRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<CommandRow>> {
        c::commands.find(id).select(COLUMNS).first(conn).optional()
    }

    pub fn find_by_name(conn: &mut Conn, workspace_id: i64, name: &str) -> QueryResult<Option<CommandRow>> {
        c::commands
            .filter(c::workspace_id.eq(workspace_id))
            .filter(c::name.eq(name))
            .select(COLUMNS)
            .first(conn)
            .optional()
    }

    /// A workspace's commands, by name.
    pub fn of_workspace(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<CommandRow>> {
        c::commands.filter(c::workspace_id.eq(workspace_id)).order(c::name.asc()).select(COLUMNS).load(conn)
    }

    pub fn update(conn: &mut Conn, id: i64, changes: &CommandChanges<'_>) -> QueryResult<CommandRow> {
        diesel::update(c::commands.find(id)).set(changes).returning(COLUMNS).get_result(conn)
    }

    pub fn delete(conn: &mut Conn, id: i64) -> QueryResult<usize> {
        diesel::delete(r::command_responses.filter(r::command_id.eq(id))).execute(conn)?;
        diesel::delete(c::commands.find(id)).execute(conn)
    }
}

/// A row of `command_responses`.
#[derive(Debug, Clone, Queryable)]
pub struct ResponseRow {
    pub id: i64,
    pub token_hash: String,
    pub command_id: i64,
    pub user_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    pub uses: i32,
    pub last_message_id: Option<i64>,
    pub expires_at: NaiveDateTime,
}

const RESPONSE_COLUMNS: (
    command_responses::id,
    command_responses::token_hash,
    command_responses::command_id,
    command_responses::user_id,
    command_responses::channel_id,
    command_responses::thread_root_id,
    command_responses::uses,
    command_responses::last_message_id,
    command_responses::expires_at,
) = (
    r::id,
    r::token_hash,
    r::command_id,
    r::user_id,
    r::channel_id,
    r::thread_root_id,
    r::uses,
    r::last_message_id,
    r::expires_at,
);

#[derive(Debug, Insertable)]
#[diesel(table_name = command_responses)]
pub struct NewResponse<'a> {
    pub token_hash: &'a str,
    pub command_id: i64,
    pub user_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    pub expires_at: NaiveDateTime,
}

impl NewResponse<'_> {
    /// Inserts it; its id.
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<i64> {
        diesel::insert_into(r::command_responses).values(self).returning(r::id).get_result(conn)
    }
}

impl ResponseRow {
    pub fn find_by_token_hash(conn: &mut Conn, hash: &str) -> QueryResult<Option<ResponseRow>> {
        r::command_responses.filter(r::token_hash.eq(hash)).select(RESPONSE_COLUMNS).first(conn).optional()
    }

    /// Counts one use, if fewer than `max` were made: whether this one may go ahead.
    pub fn take_use(conn: &mut Conn, id: i64, max: i32) -> QueryResult<bool> {
        let taken = diesel::update(r::command_responses.filter(r::id.eq(id)).filter(r::uses.lt(max)))
            .set(r::uses.eq(r::uses + 1))
            .execute(conn)?;
        Ok(taken == 1)
    }

    pub fn set_last_message(conn: &mut Conn, id: i64, message_id: Option<i64>) -> QueryResult<usize> {
        diesel::update(r::command_responses.find(id)).set(r::last_message_id.eq(message_id)).execute(conn)
    }

    /// Forgets response URLs that expired before `before`.
    pub fn prune(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
        diesel::delete(r::command_responses.filter(r::expires_at.lt(before))).execute(conn)
    }
}
