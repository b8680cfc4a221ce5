//! Embedded migrations, one folder per backend with the same names.

use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::Conn;
use crate::error::AppError;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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
            // Nodes starting together take turns.
            super::locks::holding(c, super::Lock::Migrations, |c| {
                c.run_pending_migrations(POSTGRES).map(|vs| vs.iter().map(|v| v.to_string()).collect()).map_err(failed)
            })?
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
