//! Outbound work for operators: server admins (and the command line, which acts with the
//! server's authority) list pending and failed jobs and retry failed ones.

use super::{Actor, AppState};
use crate::domain::Code;
use crate::domain::jobs::JobFilter;
use crate::error::AppError;
use crate::jobs::{self, JobInfo, JobPage};

/// Who is asking: a signed-in person, who must be a server admin, or the operator at the
/// command line.
#[derive(Debug, Clone, Copy)]
pub enum Operator<'a> {
    Person(&'a Actor),
    CommandLine,
}

fn allowed(who: Operator<'_>) -> Result<(), AppError> {
    match who {
        Operator::Person(actor) if !actor.user.is_server_admin => {
            Err(AppError::forbidden(Code::NotServerAdmin, "Only server admins can see and retry outbound jobs."))
        }
        _ => Ok(()),
    }
}

/// A page of jobs not yet done, newest first.
pub async fn list(
    state: &AppState,
    who: Operator<'_>,
    filter: JobFilter,
    cursor: Option<i64>,
    limit: usize,
) -> Result<JobPage, AppError> {
    allowed(who)?;
    state.db.read(move |conn| jobs::page(conn, filter, cursor, limit)).await
}

/// Gives a failed job a fresh set of attempts, starting now.
pub async fn retry(state: &AppState, who: Operator<'_>, id: i64) -> Result<JobInfo, AppError> {
    allowed(who)?;
    state.db.write(move |tx| jobs::retry(tx, id)).await
}
