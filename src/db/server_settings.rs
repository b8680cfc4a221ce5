//! `server_settings`: values the whole cluster shares, such as the server secret.

use diesel::prelude::*;

use super::Conn;
use super::schema::server_settings::dsl as s;

/// Returns the value under `key`, inserting `make()` first if there is none. Every node
/// that starts together ends up with the same value: the first insert wins, the others
/// read it back.
pub fn get_or_insert(conn: &mut Conn, key: &str, make: impl FnOnce() -> String) -> QueryResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    let value = make();
    let insert = diesel::insert_into(s::server_settings).values((s::key.eq(key), s::value.eq(&value)));
    match insert.execute(conn) {
        Ok(_) => Ok(value),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            get(conn, key)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(e) => Err(e),
    }
}

pub fn get(conn: &mut Conn, key: &str) -> QueryResult<Option<String>> {
    s::server_settings.filter(s::key.eq(key)).select(s::value).first(conn).optional()
}

/// Stores `value` under `key`, replacing any earlier value.
pub fn set(conn: &mut Conn, key: &str, value: &str) -> QueryResult<usize> {
    let insert = diesel::insert_into(s::server_settings).values((s::key.eq(key), s::value.eq(value)));
    match conn {
        Conn::Postgresql(pg) => insert.on_conflict(s::key).do_update().set(s::value.eq(value)).execute(pg),
        Conn::Sqlite(lite) => insert.on_conflict(s::key).do_update().set(s::value.eq(value)).execute(lite),
    }
}
