//! The Integrations page of a workspace's settings: its incoming webhooks, made, changed
//! and removed with plain forms; a new webhook's URLs shown once, on the page the form
//! answers with (never in a redirect's address).

use actix_web::http::StatusCode;
use actix_web::{get, post, web};
use serde::Deserialize;

use super::{PageResult, PageUser, html, layout_for, notice_for, redirect};
use crate::app::{AppState, outgoing, webhooks, workspaces};
use crate::domain::workspaces::WorkspaceRights;
use crate::error::AppError;
use crate::views::pages::{
    ChannelChoice, DeliveryView, IntegrationsPage, OutgoingView, WebhookFailureView, WebhookView,
};
use crate::wire;

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// The page; `secret` holds a hook's name and URLs just made, `error` a form's refusal.
async fn page(
    state: &AppState,
    user: &PageUser,
    slug: &str,
    secret: Option<wire::IncomingWebhook>,
    error: Option<AppError>,
    notice: Option<String>,
) -> PageResult {
    let actor = &user.0.actor;
    let workspace = workspaces::get(state, actor, slug).await?;
    let mut layout =
        layout_for(state, &user.0, &format!("{}: integrations", workspace.name), Some(&workspace.slug)).await?;
    let channels: Vec<ChannelChoice> = layout
        .nav
        .as_ref()
        .map(|n| n.channels.iter().map(|c| ChannelChoice { id: c.id, label: format!("#{}", c.label) }).collect())
        .unwrap_or_default();
    let (hooks, denied) = match webhooks::list(state, actor, slug).await {
        Ok(hooks) => (hooks, None),
        Err(e @ AppError::Forbidden(_)) => (Vec::new(), Some(e)),
        Err(e) => return Err(e.into()),
    };
    let public_channels: Vec<ChannelChoice> = layout
        .nav
        .as_ref()
        .map(|n| {
            n.channels
                .iter()
                .filter(|c| !c.private)
                .map(|c| ChannelChoice { id: c.id, label: format!("#{}", c.label) })
                .collect()
        })
        .unwrap_or_default();
    let outgoing_hooks = if denied.is_none() { outgoing::list(state, actor, slug).await? } else { Vec::new() };
    let members = if hooks.is_empty() && outgoing_hooks.is_empty() {
        Vec::new()
    } else {
        workspaces::members(state, actor, slug, super::SHOWN).await?.items
    };
    let username =
        |id: i64| members.iter().find(|m| m.user.id == id).map_or_else(|| id.to_string(), |m| m.user.username.clone());
    let status =
        error.as_ref().or(denied.as_ref()).map(|e| StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN));
    layout.error = error.or(denied).map(|e| e.problem().message);
    layout.notice = notice;
    let hooks = hooks
        .into_iter()
        .map(|h| WebhookView {
            id: h.id,
            channel_label: channels
                .iter()
                .find(|c| c.id == h.channel_id)
                .map_or_else(|| "a channel you are not in".to_owned(), |c| c.label.clone()),
            name: h.name,
            channel_id: h.channel_id,
            icon_url: h.icon_url.unwrap_or_default(),
            channel_locked: h.channel_locked,
            disabled: h.disabled,
            created_by: username(h.created_by),
            last_used: h.last_used_at.map(|t| t.0.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            failures: h
                .recent_failures
                .into_iter()
                .map(|f| WebhookFailureView {
                    at: f.at.0.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    status: f.status.map(|s| s.to_string()).unwrap_or_default(),
                    detail: f.detail,
                })
                .collect(),
        })
        .collect();
    let outgoing = outgoing_hooks
        .into_iter()
        .map(|o| OutgoingView {
            id: o.id,
            channel_label: match o.channel_id {
                None => "any public channel".to_owned(),
                Some(id) => channels
                    .iter()
                    .find(|c| c.id == id)
                    .map_or_else(|| "a channel you are not in".to_owned(), |c| c.label.clone()),
            },
            name: o.name,
            trigger_words: o.trigger_words.join(", "),
            trigger_when: if o.trigger_when == "starts_with" {
                "begins with".to_owned()
            } else {
                "first word".to_owned()
            },
            callback_urls: o.callback_urls,
            content_type: o.content_type,
            token: o.token,
            disabled: o.disabled,
            created_by: username(o.created_by),
            deliveries: o
                .recent_deliveries
                .into_iter()
                .map(|d| DeliveryView {
                    at: d.at.0.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    ok: d.ok,
                    status: d.status.map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                    latency: d.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_default(),
                    detail: d.detail,
                })
                .collect(),
        })
        .collect();
    let secret_urls = secret.and_then(|h| Some((h.name, h.url?, h.slack_url?)));
    let mut res = html(&IntegrationsPage {
        layout,
        slug: workspace.slug,
        workspace_name: workspace.name,
        is_admin: WorkspaceRights::of(workspace.role).administer,
        members_add_integrations: workspace.members_add_integrations,
        hooks,
        outgoing,
        channels,
        public_channels,
        secret_urls,
    })?;
    // Hooks' URLs and tokens are secrets.
    super::no_store(&mut res);
    if let Some(status) = status {
        *res.status_mut() = status;
    }
    Ok(res)
}

/// A form's refusal shown on the page; other errors pass.
async fn refused(state: &AppState, user: &PageUser, slug: &str, e: AppError) -> PageResult {
    match e {
        AppError::Invalid(_) | AppError::Forbidden(_) | AppError::NotFound(_) | AppError::Conflict(_) => {
            page(state, user, slug, None, Some(e), None).await
        }
        other => Err(other.into()),
    }
}

#[get("/w/{ws}/settings/integrations")]
pub async fn integrations(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    query: web::Query<DoneQuery>,
) -> PageResult {
    page(&state, &user, &ws, None, None, notice_for(query.done.as_deref())).await
}

#[derive(Deserialize)]
pub struct HookForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
    channel_id: i64,
    #[serde(default)]
    icon_url: String,
    #[serde(default)]
    channel_locked: bool,
    /// For a change: `save`, `regenerate`, `enable`, `disable` or `delete`.
    #[serde(default)]
    action: String,
}

fn icon(raw: &str) -> Option<String> {
    Some(raw.trim().to_owned()).filter(|u| !u.is_empty())
}

#[post("/w/{ws}/settings/integrations")]
pub async fn create_hook(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<HookForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let new = webhooks::NewHook {
        channel_id: form.channel_id,
        name: form.name.clone(),
        icon_url: icon(&form.icon_url),
        channel_locked: form.channel_locked,
    };
    match webhooks::create(&state, &user.0.actor, &ws, new).await {
        Ok(hook) => page(&state, &user, &ws, Some(hook), None, Some("Webhook added.".into())).await,
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[post("/w/{ws}/settings/integrations/{id}")]
pub async fn change_hook(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<HookForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let changes = match form.action.as_str() {
        "delete" => {
            return match webhooks::delete(&state, actor, &ws, id).await {
                Ok(()) => Ok(redirect(&format!("/w/{ws}/settings/integrations?done=saved"))),
                Err(e) => refused(&state, &user, &ws, e).await,
            };
        }
        "regenerate" => webhooks::HookChanges { regenerate_secret: true, ..Default::default() },
        "enable" | "disable" => {
            webhooks::HookChanges { disabled: Some(form.action == "disable"), ..Default::default() }
        }
        _ => webhooks::HookChanges {
            name: Some(form.name.clone()),
            channel_id: Some(form.channel_id),
            icon_url: Some(icon(&form.icon_url)),
            channel_locked: Some(form.channel_locked),
            ..Default::default()
        },
    };
    let regenerated = changes.regenerate_secret;
    match webhooks::update(&state, actor, &ws, id, changes).await {
        Ok(hook) if regenerated => {
            page(&state, &user, &ws, Some(hook), None, Some("New URL made; the old one no longer works.".into())).await
        }
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings/integrations?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[derive(Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    members_add_integrations: bool,
}

#[post("/w/{ws}/settings/integrations/policy")]
pub async fn policy(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<PolicyForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let patch = workspaces::WorkspacePatch {
        members_add_integrations: Some(form.members_add_integrations),
        ..Default::default()
    };
    match workspaces::update(&state, &user.0.actor, &ws, patch).await {
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings/integrations?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[derive(Deserialize)]
pub struct OutgoingForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    /// Empty: any public channel.
    #[serde(default)]
    channel_id: String,
    #[serde(default)]
    trigger_words: String,
    #[serde(default)]
    trigger_when: String,
    #[serde(default)]
    callback_urls: String,
    #[serde(default)]
    content_type: String,
    /// For a change: `enable`, `disable`, `regenerate` or `delete`.
    #[serde(default)]
    action: String,
}

#[post("/w/{ws}/settings/integrations/outgoing")]
pub async fn create_outgoing(
    state: web::Data<AppState>,
    user: PageUser,
    ws: web::Path<String>,
    form: web::Form<OutgoingForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let channel_id = match form.channel_id.trim() {
        "" => None,
        raw => match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                let e = AppError::invalid(crate::domain::Code::InvalidRequest, "Pick a channel from the list.");
                return refused(&state, &user, &ws, e).await;
            }
        },
    };
    let spec = outgoing::HookSpec {
        name: Some(form.name.clone()),
        channel_id: Some(channel_id),
        trigger_words: Some(form.trigger_words.split([',', ' ']).map(str::to_owned).collect()),
        trigger_when: Some(form.trigger_when.clone()),
        callback_urls: Some(form.callback_urls.lines().map(str::to_owned).collect()),
        content_type: Some(form.content_type.clone()),
        ..Default::default()
    };
    match outgoing::create(&state, &user.0.actor, &ws, spec).await {
        Ok(_) => Ok(redirect(&format!("/w/{ws}/settings/integrations?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}

#[post("/w/{ws}/settings/integrations/outgoing/{id}")]
pub async fn change_outgoing(
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<(String, i64)>,
    form: web::Form<OutgoingForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let (ws, id) = path.into_inner();
    let actor = &user.0.actor;
    let result = match form.action.as_str() {
        "delete" => outgoing::delete(&state, actor, &ws, id).await,
        action => {
            let spec = outgoing::HookSpec {
                disabled: matches!(action, "enable" | "disable").then(|| action == "disable"),
                regenerate_token: action == "regenerate",
                ..Default::default()
            };
            outgoing::update(&state, actor, &ws, id, spec).await.map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(redirect(&format!("/w/{ws}/settings/integrations?done=saved"))),
        Err(e) => refused(&state, &user, &ws, e).await,
    }
}
