//! `/api/v1/workspaces…` and `/api/v1/invitations…`.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{AppState, invitations, workspaces};
use crate::error::AppError;
use crate::http::auth::ApiUser;
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
pub struct WorkspaceRequest {
    /// The URL name: 2–40 lowercase letters, digits and '-'.
    pub slug: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct WorkspaceList {
    pub workspaces: Vec<wire::Workspace>,
}

/// Create a workspace; the caller becomes its owner.
#[utoipa::path(tag = "workspaces", request_body = WorkspaceRequest,
    responses((status = 201, body = wire::Workspace), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces")]
pub async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<WorkspaceRequest>,
) -> Result<HttpResponse, AppError> {
    let ws = workspaces::create(&state, &user.0, &body.slug, &body.name).await?;
    Ok(HttpResponse::Created().json(ws))
}

/// The caller's workspaces.
#[utoipa::path(tag = "workspaces", responses((status = 200, body = WorkspaceList)))]
#[get("/api/v1/workspaces")]
pub async fn list(state: web::Data<AppState>, user: ApiUser) -> Result<web::Json<WorkspaceList>, AppError> {
    Ok(web::Json(WorkspaceList { workspaces: workspaces::list(&state, &user.0).await? }))
}

/// One workspace the caller belongs to.
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path, description = "workspace slug")),
    responses((status = 200, body = wire::Workspace), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}")]
pub async fn get(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<wire::Workspace>, AppError> {
    Ok(web::Json(workspaces::get(&state, &user.0, &ws).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspacePatch {
    pub name: Option<String>,
    /// Email domains whose people may sign up without an invitation and join as members;
    /// an empty list closes sign-up again.
    pub signup_domains: Option<Vec<String>>,
    /// Let members, not only admins, add integrations (incoming webhooks).
    pub members_add_integrations: Option<bool>,
}

/// Rename a workspace (owners and admins).
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path)), request_body = WorkspacePatch,
    responses((status = 200, body = wire::Workspace), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}")]
pub async fn update(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<WorkspacePatch>,
) -> Result<web::Json<wire::Workspace>, AppError> {
    let WorkspacePatch { name, signup_domains, members_add_integrations } = body.into_inner();
    let patch = workspaces::WorkspacePatch { name, signup_domains, members_add_integrations };
    Ok(web::Json(workspaces::update(&state, &user.0, &ws, patch).await?))
}

#[derive(Serialize, ToSchema)]
pub struct MemberList {
    pub members: Vec<wire::Member>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The members of a workspace.
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path), super::PageQuery), responses((status = 200, body = MemberList), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/members")]
pub async fn members(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    query: web::Query<super::PageQuery>,
) -> Result<web::Json<MemberList>, AppError> {
    let page = workspaces::members(&state, &user.0, &ws, query.paging()?).await?;
    Ok(web::Json(MemberList { members: page.items, next_cursor: page.next_cursor }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    /// owner, admin, member or guest.
    pub role: Option<String>,
    /// true deactivates, false reactivates.
    pub deactivated: Option<bool>,
}

/// Change a member's role, or deactivate or reactivate them.
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path), ("user_id" = i64, Path)), request_body = MemberPatch,
    responses((status = 200, body = wire::Member), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[patch("/api/v1/workspaces/{ws}/members/{user_id}")]
pub async fn update_member(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(String, i64)>,
    body: web::Json<MemberPatch>,
) -> Result<web::Json<wire::Member>, AppError> {
    let (ws, user_id) = path.into_inner();
    let MemberPatch { role, deactivated } = body.into_inner();
    let patch = workspaces::MemberPatch { role, deactivated };
    Ok(web::Json(workspaces::update_member(&state, &user.0, &ws, user_id, patch).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct InvitationRequest {
    pub email: String,
    /// admin, member or guest; member when absent.
    pub role: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    pub invitations: Vec<wire::Invitation>,
}

/// Invite someone by email (owners and admins). The link goes to that address only.
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path)), request_body = InvitationRequest,
    responses((status = 201, body = wire::Invitation), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/workspaces/{ws}/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
    body: web::Json<InvitationRequest>,
) -> Result<HttpResponse, AppError> {
    let role = body.role.as_deref().unwrap_or("member");
    let invitation = invitations::invite(&state, &user.0, &ws, &body.email, role).await?;
    Ok(HttpResponse::Created().json(invitation))
}

/// Pending invitations (owners and admins).
#[utoipa::path(tag = "workspaces", params(("ws" = String, Path)), responses((status = 200, body = InvitationList), (status = 403, body = ErrorBody)))]
#[get("/api/v1/workspaces/{ws}/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    user: ApiUser,
    ws: web::Path<String>,
) -> Result<web::Json<InvitationList>, AppError> {
    Ok(web::Json(InvitationList { invitations: invitations::list_pending(&state, &user.0, &ws).await? }))
}

/// Accept an invitation as the signed-in person (whose email must be the invited one).
#[utoipa::path(tag = "workspaces", params(("token" = String, Path)),
    responses((status = 200, body = wire::Workspace), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
#[post("/api/v1/invitations/{token}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    user: ApiUser,
    token: web::Path<String>,
) -> Result<web::Json<wire::Workspace>, AppError> {
    Ok(web::Json(invitations::accept(&state, &user.0, &token).await?))
}
