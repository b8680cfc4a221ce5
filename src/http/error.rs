//! `AppError` as an HTTP answer, and actix's own errors (bad JSON, bad paths, unknown
//! routes, oversized bodies) turned into `AppError` so that every error has one shape:
//! `{"error": {"code": "…", "message": "…"}}`.

use crate::domain::Code;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AppError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable: `username_taken`, `invalid_json`, …
    pub code: String,
    /// A sentence for people.
    pub message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Unexpected(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
        let problem = self.problem();
        let mut res = HttpResponse::build(self.status_code());
        if let AppError::RateLimited { retry_after_secs, .. } | AppError::Overloaded { retry_after_secs, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::Unauthenticated(_) = self {
            res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        res.json(ErrorBody { error: ErrorDetail { code: problem.code.as_str().to_owned(), message: problem.message } })
    }
}

/// Malformed or oversized JSON bodies.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        JsonPayloadError::ContentType => {
            AppError::unsupported_media_type("Send the body as JSON with Content-Type: application/json.")
        }
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            AppError::too_large(format!("The body is larger than the limit of {limit} bytes."))
        }
        JsonPayloadError::Deserialize(de) if de.is_data() => {
            AppError::malformed(Code::InvalidRequest, format!("The JSON body does not fit this request: {de}."))
        }
        JsonPayloadError::Deserialize(de) => {
            AppError::malformed(Code::InvalidJson, format!("The body is not valid JSON: {de}."))
        }
        other => AppError::malformed(Code::InvalidBody, format!("The body could not be read: {other}.")),
    };
    e.into()
}

/// The error as a browser asking for a page should see it (the error page), else as JSON.
fn answer(e: AppError, req: &HttpRequest) -> actix_web::Error {
    if crate::http::pages::errors::wants_html(req) {
        let page = crate::http::pages::errors::card(&e);
        return actix_web::error::InternalError::from_response(e, page).into();
    }
    e.into()
}

/// Malformed or oversized form bodies.
pub fn form_error(err: UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        UrlencodedError::ContentType => {
            AppError::unsupported_media_type("Send the form as application/x-www-form-urlencoded.")
        }
        UrlencodedError::Overflow { limit, .. } => {
            AppError::too_large(format!("The form is larger than the limit of {limit} bytes."))
        }
        other => AppError::malformed(Code::InvalidForm, format!("The form could not be read: {other}.")),
    };
    answer(e, req)
}

pub fn path_error(err: PathError, req: &HttpRequest) -> actix_web::Error {
    answer(AppError::malformed(Code::InvalidPath, format!("The URL path is not valid: {err}.")), req)
}

pub fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    answer(AppError::malformed(Code::InvalidQuery, format!("The query string is not valid: {err}.")), req)
}
