//! `AppError`: every failure a request can meet, with its status, a stable machine-readable
//! code and a sentence for people. Mapped to HTTP once, in `http::error`.

use std::fmt;

pub use crate::domain::Code;

/// A stable error code (`channel_name_taken`) and a human sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub message: String,
}

/// What went wrong, by the kind of answer it deserves.
#[derive(Debug)]
pub enum AppError {
    /// 400: the request cannot be parsed.
    Malformed(Problem),
    /// 401: not signed in, or the session has ended.
    Unauthenticated(Problem),
    /// 403: signed in but not allowed.
    Forbidden(Problem),
    /// 404: not found, or not visible to the caller.
    NotFound(Problem),
    /// 409: conflicts with what exists.
    Conflict(Problem),
    /// 410: existed, but is used up or expired (invitations, reset links).
    Gone(Problem),
    /// 413: the body is over the transport limit.
    TooLarge(Problem),
    /// 415: wrong media type.
    UnsupportedMediaType(Problem),
    /// 422: parsed, but a value is invalid.
    Invalid(Problem),
    /// 429: slow down; retry after this many seconds.
    RateLimited { problem: Problem, retry_after_secs: u64 },
    /// 503: a backing service is down.
    Unavailable(Problem),
    /// 503: the server is saturated; retry after this many seconds.
    Overloaded { problem: Problem, retry_after_secs: u64 },
    /// 500: a bug or an unexpected failure; the cause goes to the log, never to the client.
    Unexpected(anyhow::Error),
}

fn problem(code: Code, message: impl Into<String>) -> Problem {
    Problem { code, message: message.into() }
}

impl AppError {
    pub fn malformed(code: Code, message: impl Into<String>) -> Self {
        AppError::Malformed(problem(code, message))
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        AppError::Unauthenticated(problem(Code::NotAuthenticated, message))
    }
    pub fn forbidden(code: Code, message: impl Into<String>) -> Self {
        AppError::Forbidden(problem(code, message))
    }
    pub fn not_found(code: Code, message: impl Into<String>) -> Self {
        AppError::NotFound(problem(code, message))
    }
    pub fn conflict(code: Code, message: impl Into<String>) -> Self {
        AppError::Conflict(problem(code, message))
    }
    pub fn gone(code: Code, message: impl Into<String>) -> Self {
        AppError::Gone(problem(code, message))
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        AppError::TooLarge(problem(Code::PayloadTooLarge, message))
    }
    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        AppError::UnsupportedMediaType(problem(Code::UnsupportedMediaType, message))
    }
    pub fn invalid(code: Code, message: impl Into<String>) -> Self {
        AppError::Invalid(problem(code, message))
    }
    pub fn rate_limited(retry_after_secs: u64, message: impl Into<String>) -> Self {
        AppError::RateLimited { problem: problem(Code::RateLimited, message), retry_after_secs }
    }
    /// A backing service failed; the cause is logged, the client hears only which service.
    pub fn unavailable(service: &str, cause: impl fmt::Display) -> Self {
        tracing::error!(service, error = %cause, "backing service unavailable");
        AppError::Unavailable(problem(
            Code::ServiceUnavailable,
            format!("The {service} is unavailable; try again shortly."),
        ))
    }

    /// Too much is waiting to be written: the request is refused at once, to be tried again
    /// shortly, rather than queued for seconds.
    pub fn overloaded(message: impl Into<String>) -> Self {
        AppError::Overloaded { problem: problem(Code::Overloaded, message), retry_after_secs: 1 }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Malformed(_) => 400,
            AppError::Unauthenticated(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Gone(_) => 410,
            AppError::TooLarge(_) => 413,
            AppError::UnsupportedMediaType(_) => 415,
            AppError::Invalid(_) => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable(_) | AppError::Overloaded { .. } => 503,
            AppError::Unexpected(_) => 500,
        }
    }

    /// The code and sentence a client sees. Unexpected errors say nothing internal.
    pub fn problem(&self) -> Problem {
        match self {
            AppError::Malformed(p)
            | AppError::Unauthenticated(p)
            | AppError::Forbidden(p)
            | AppError::NotFound(p)
            | AppError::Conflict(p)
            | AppError::Gone(p)
            | AppError::TooLarge(p)
            | AppError::UnsupportedMediaType(p)
            | AppError::Invalid(p)
            | AppError::Unavailable(p)
            | AppError::RateLimited { problem: p, .. }
            | AppError::Overloaded { problem: p, .. } => p.clone(),
            AppError::Unexpected(_) => problem(Code::InternalError, "Something went wrong on our side."),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Unexpected(e) => write!(f, "unexpected: {e:#}"),
            other => {
                let p = other.problem();
                write!(f, "{} {}: {}", other.status(), p.code, p.message)
            }
        }
    }
}

impl std::error::Error for AppError {}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Unexpected(e)
    }
}

impl From<crate::domain::Invalid> for AppError {
    fn from(e: crate::domain::Invalid) -> Self {
        AppError::Invalid(problem(e.code, e.message))
    }
}

impl From<crate::domain::Denied> for AppError {
    fn from(e: crate::domain::Denied) -> Self {
        AppError::Forbidden(problem(e.code, e.message))
    }
}
