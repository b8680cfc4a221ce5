//! The Apps page of a workspace's settings (admins): its bot users and custom slash
//! commands, made, changed and removed with plain forms. A new bot token is shown once, on
//! the page the form answers with, never cached.

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::{PageResult, PageUser, html, layout_for, no_store, notice_for, redirect};
use crate::app::commands::custom::{self, CommandForm};
use crate::app::{AppState, bots, workspaces};
use crate::error::AppError;
use crate::views::pages::AppsPage;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The page; `token` is a bot's new token (name, token), shown this once.
async fn page(
    state: &AppState,
    user: &PageUser,
    slug: &str,
    token: Option<(String, String)>,
    error: Option<AppError>,
    notice: Option<String>,
) -> PageResult {
    let actor = &user.0.actor;
    let workspace = workspaces::get(state, actor, slug).await?;
    let mut layout = layout_for(state, &user.0, &format!("{}: apps", workspace.name), Some(&workspace.slug)).await?;
    let (bot_list, commands, denied) =
        match (bots::list(state, actor, slug).await, custom::list(state, actor, slug).await) {
            (Ok(b), Ok(c)) => (b, c, None),
            (Err(e @ AppError::Forbidden(_)), _) | (_, Err(e @ AppError::Forbidden(_))) => {
                (Vec::new(), Vec::new(), Some(e))
            }
            (Err(e), _) | (_, Err(e)) => return Err(e.into()),
        };
    let status =
        error.as_ref().or(denied.as_ref()).map(|e| StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN));
    layout.error = error.or(denied).map(|e| e.problem().message);
    layout.notice = notice;
    let mut res = html(&AppsPage {
        layout,
        slug: workspace.slug,
        workspace_name: workspace.name,
        bots: bot_list,
        commands,
        new_token: token,
        base_url: state.public_url.clone(),
    })?;
    // Tokens and signing secrets are on it.
    no_store(&mut res);
    if let Some(status) = status {
        *res.status_mut() = status;
    }
    Ok(res)
}

async fn refused(state: &AppState, user: &PageUser, slug: &str, e: AppError) -> PageResult {
    match e {
        AppError::Invalid(_) | AppError::Forbidden(_) | AppError::NotFound(_) | AppError::Conflict(_) => {
            page(state, user, slug, None, Some(e), None).await
        }
        other => Err(other.into()),
    }
}

#[get("/w/{ws}/settings/apps")]
pub async fn apps(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> PageResult {
    page(&state, &user, &ws, None, None, notice_for(query.done.as_deref())).await
}

#[derive(Deserialize)]
pub struct BotFormFields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    request_url: String,
    /// For a change: `token`, `revoke`, `subscribe` or `delete`.
    #[serde(default)]
    action: String,
}

fn given(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|v| !v.is_empty())
}

#[post("/w/{ws}/settings/apps/bots")]
pub async fn create_bot(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<BotFormFields>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let new = bots::NewBotForm {
        username: form.username.clone(),
        display_name: given(&form.display_name),
        description: given(&form.description),
        icon_url: None,
    };
    match bots::create(&state, &user.0.actor, &ws, new).await {
        Ok(bot) => {
            let shown = bot.token.map(|t| (bot.user.display_name.clone(), t));
            page(&state, &user, &ws, shown, None, Some("Bot added.".into())).await
        }
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[post("/w/{ws}/settings/apps/bots/{id}")]
pub async fn change_bot(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<BotFormFields>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let change = match form.action.as_str() {
        "delete" => {
            return match bots::delete(&state, actor, &ws, id).await {
                Ok(()) => Ok(redirect(&format!("/w/{ws}/settings/apps?done=saved"))),
                Err(e) => refused(&state, &user, &ws, e).await,
            };
        }
        "token" => bots::BotForm { regenerate_token: true, ..Default::default() },
        "revoke" => bots::BotForm { revoke_token: true, ..Default::default() },
        "subscribe" => bots::BotForm { request_url: Some(given(&form.request_url)), ..Default::default() },
        _ => {
            return refused(
                &state,
                &user,
                &ws,
                AppError::invalid(crate::domain::Code::InvalidForm, "Choose what to do."),
            )
            .await;
        }
    };
    match bots::update(&state, actor, &ws, id, change).await {
        Ok(bot) => match bot.token {
            Some(token) => page(&state, &user, &ws, Some((bot.user.display_name, token)), None, None).await,
            None => Ok(redirect(&format!("/w/{ws}/settings/apps?done=saved"))),
        },
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[derive(Deserialize)]
pub struct CommandFields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    usage_hint: String,
    /// For a change: `regenerate` or `delete`.
    #[serde(default)]
    action: String,
}

#[post("/w/{ws}/settings/apps/commands")]
pub async fn create_command(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<CommandFields>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let new = CommandForm {
        name: Some(form.name.clone()),
        url: Some(form.url.clone()),
        method: given(&form.method),
        description: Some(form.description.clone()),
        usage_hint: Some(form.usage_hint.clone()),
        autocomplete: Some(true),
        regenerate_secret: false,
    };
    match custom::create(&state, &user.0.actor, &ws, new).await {
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings/apps?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[post("/w/{ws}/settings/apps/commands/{id}")]
pub async fn change_command(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<CommandFields>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let done = match form.action.as_str() {
        "delete" => custom::delete(&state, actor, &ws, id).await,
        "regenerate" => {
            custom::update(&state, actor, &ws, id, CommandForm { regenerate_secret: true, ..Default::default() })
                .await
                .map(|_| ())
        }
        _ => Err(AppError::invalid(crate::domain::Code::InvalidForm, "Choose what to do.")),
    };
    match done {
        Ok(()) => Ok(redirect(&format!("/w/{ws}/settings/apps?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}
