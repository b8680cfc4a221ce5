//! Pages for workspaces: create one, open one, members and invitations, and the page an
//! invitation link opens.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;

use super::{MaybeUser, PageResult, PageUser, html, html_status, layout_for, notice_for, redirect};
use crate::app::{AppState, invitations, workspaces};
use crate::domain::workspaces::{Role, WorkspaceRights, assignable_roles, invitable_roles, may_manage};
use crate::error::AppError;
use crate::views::pages::{
    InvitationPage, InvitationView, Layout, MemberRowView, MembersPage, WorkspaceNewPage, WorkspacePage,
};

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

#[get("/workspaces/new")]
pub async fn new_page(state: web::Data<AppState>, user: PageUser) -> PageResult {
    let layout = layout_for(&state, &user.0, "Create a workspace", None).await?;
    html(&WorkspaceNewPage { layout, name: String::new(), slug: String::new() })
}

#[derive(Deserialize)]
pub struct NewWorkspaceForm {
    #[serde(default)]
    csrf_token: String,
    slug: String,
    name: String,
}

#[post("/workspaces/new")]
pub async fn create(state: web::Data<AppState>, user: PageUser, form: web::Form<NewWorkspaceForm>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    match workspaces::create(&state, &user.0.actor, &form.slug, &form.name).await {
        Ok(ws) => Ok(redirect(&format!("/w/{}", ws.slug))),
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let mut layout = layout_for(&state, &user.0, "Create a workspace", None).await?;
            layout.fail(&e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            html_status(status, &WorkspaceNewPage { layout, name: form.name.clone(), slug: form.slug.clone() })
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/w/{ws}")]
pub async fn home(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> PageResult {
    let workspace = workspaces::get(&state, &user.0.actor, &ws).await?;
    let mut layout = layout_for(&state, &user.0, &workspace.name, Some(&workspace.slug)).await?;
    let first = layout.nav.as_ref().and_then(|n| n.channels.first().or(n.dms.first())).map(|c| c.href.clone());
    if let (Some(href), None) = (first, query.done.as_deref()) {
        return Ok(redirect(&href));
    }
    layout.notice = notice_for(query.done.as_deref());
    let role = workspace.role;
    html(&WorkspacePage {
        layout,
        slug: workspace.slug,
        name: workspace.name,
        role_with_article: role.with_article(),
        is_admin: WorkspaceRights::of(role).administer,
    })
}

async fn members_page(
    state: &AppState,
    user: &PageUser,
    slug: &str,
    error: Option<&AppError>,
    notice: Option<String>,
) -> PageResult {
    let actor = &user.0.actor;
    let workspace = workspaces::get(state, actor, slug).await?;
    let role = workspace.role;
    let rights = WorkspaceRights::of(role);
    let members = workspaces::members(state, actor, slug, super::SHOWN).await?.items;
    let invitations = if rights.administer { invitations::list_pending(state, actor, slug).await? } else { Vec::new() };
    let mut layout = layout_for(state, &user.0, &format!("{}: members", workspace.name), Some(&workspace.slug)).await?;
    if let Some(e) = error {
        layout.fail(e);
    }
    layout.notice = notice;
    let page = MembersPage {
        layout,
        slug: workspace.slug.clone(),
        workspace_name: workspace.name.clone(),
        is_admin: rights.administer,
        invitable_roles: invitable_roles(role).into_iter().map(Role::as_str).collect(),
        members: members
            .into_iter()
            .map(|m| MemberRowView {
                manageable: may_manage(role, m.user.id == actor.id(), m.role) && !m.user.is_bot,
                is_bot: m.user.is_bot,
                user_id: m.user.id,
                username: m.user.username,
                display_name: m.user.display_name,
                role: m.role.as_str(),
                deactivated: m.deactivated,
            })
            .collect(),
        invitations: invitations
            .into_iter()
            .map(|i| InvitationView {
                email: i.email,
                role: i.role.as_str(),
                expires_at: i.expires_at.0.format("%Y-%m-%d").to_string(),
                expires_iso: i.expires_at.0.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
            .collect(),
        role_choices: assignable_roles(role).into_iter().map(Role::as_str).collect(),
        signup_domains: workspace.signup_domains.join(", "),
    };
    html(&page)
}

/// Re-renders the members page with a form's error, or lets other errors through.
async fn members_error(state: &AppState, user: &PageUser, slug: &str, e: AppError) -> PageResult {
    match e {
        AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict(_) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let mut res = members_page(state, user, slug, Some(&e), None).await?;
            *res.status_mut() = status;
            Ok(res)
        }
        other => Err(other.into()),
    }
}

#[get("/w/{ws}/settings")]
pub async fn members_settings(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> PageResult {
    members_page(&state, &user, &ws, None, notice_for(query.done.as_deref())).await
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    signup_domains: Option<String>,
}

#[post("/w/{ws}/settings")]
pub async fn rename(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<RenameForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let domains = form
        .signup_domains
        .as_deref()
        .map(|d| d.split([',', ' ', '\n']).filter(|s| !s.trim().is_empty()).map(str::to_owned).collect());
    let patch = workspaces::WorkspacePatch {
        name: Some(form.name.clone()),
        signup_domains: domains,
        members_add_integrations: None,
    };
    match workspaces::update(&state, &user.0.actor, &ws, patch).await {
        Ok(w) => Ok(redirect(&format!("/w/{}/settings?done=saved", w.slug))),
        Err(e) => members_error(&state, &user, &ws, e).await,
    }
}

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    csrf_token: String,
    email: String,
    role: String,
}

#[post("/w/{ws}/settings/invitations")]
pub async fn invite(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<InviteForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    match invitations::invite(&state, &user.0.actor, &ws, &form.email, &form.role).await {
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings?done=invited"))),
        Err(e) => members_error(&state, &user, &ws, e).await,
    }
}

#[derive(Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    csrf_token: String,
    role: Option<String>,
    deactivated: Option<bool>,
}

#[post("/w/{ws}/settings/members/{user_id}")]
pub async fn update_member(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<MemberForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, target) = path.into_inner();
    let patch = workspaces::MemberPatch { role: form.role.clone(), deactivated: form.deactivated };
    match workspaces::update_member(&state, &user.0.actor, &ws, target, patch).await {
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings?done=saved"))),
        Err(e) => members_error(&state, &user, &ws, e).await,
    }
}

/// The page an invitation link opens: accept, sign in or sign up.
#[get("/invitations/{token}")]
pub async fn invitation(state: web::Data<AppState>, user: MaybeUser, token: web::Path<String>) -> PageResult {
    let preview = invitations::preview(&state, &token).await?;
    let mut layout = Layout::new(format!("Join {}", preview.workspace_name));
    let (signed_in_as, email_matches) = match &user.0 {
        Some(auth) => {
            layout.csrf = auth.csrf_token(&state);
            (auth.actor.user.username.clone(), auth.actor.user.email == preview.email)
        }
        None => (String::new(), false),
    };
    html(&InvitationPage {
        layout,
        token: token.into_inner(),
        workspace_name: preview.workspace_name,
        role: preview.role.as_str(),
        email: preview.email,
        has_account: preview.has_account,
        signed_in_as,
        email_matches,
    })
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf_token: String,
}

#[post("/invitations/{token}/accept")]
pub async fn accept(
    state: web::Data<AppState>,
    user: PageUser,
    token: web::Path<String>,
    form: web::Form<CsrfOnly>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let ws = invitations::accept(&state, &user.0.actor, &token).await?;
    Ok(HttpResponse::SeeOther().insert_header(("location", format!("/w/{}", ws.slug))).finish())
}
