//! Embedded migrations, one folder per backend with the same names.

use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::Conn;
use crate::error::AppError;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Key of the advisory lock nodes take while migrating, so that nodes starting together
/// do not race ("hearth" in ASCII).
const MIGRATION_LOCK: i64 = 0x6865_6172_7468;

fn failed(e: impl std::fmt::Display) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("migration failed: {e}"))
}

/// Applies pending migrations and returns the names of those applied.
pub fn run(conn: &mut Conn) -> Result<Vec<String>, AppError> {
    match conn {
        Conn::Sqlite(c) => {
            Ok(c.run_pending_migrations(SQLITE).map_err(failed)?.iter().map(|v| v.to_string()).collect())
        }
        Conn::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(c)?;
            let applied =
                c.run_pending_migrations(POSTGRES).map(|vs| vs.iter().map(|v| v.to_string()).collect()).map_err(failed);
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(c)?;
            applied
        }
    }
}

/// Are there migrations this binary knows that the database has not had?
pub fn pending(conn: &mut Conn) -> Result<bool, AppError> {
    let pending = match conn {
        Conn::Sqlite(c) => c.has_pending_migration(SQLITE),
        Conn::Postgresql(c) => c.has_pending_migration(POSTGRES),
    };
    pending.map_err(failed)
}
