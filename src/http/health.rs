//! `/healthz` (the process answers) and `/readyz` (the database is reachable and migrated).

use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::error::AppError;

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db.ready().await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("ready"))
}
