//! Pages for signing in and up, password resets and the account settings.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::{
    MaybeUser, PageResult, PageUser, check_form_origin, html, html_status, layout_for, notice_for, redirect, safe_next,
};
use crate::app::{AppState, accounts, invitations, profiles, sessions, tokens};
use crate::error::AppError;
use crate::http::auth;
use crate::http::pages::workspaces::CsrfOnly;
use crate::views::pages::{
    AccountPage, Layout, LoginPage, NoticePage, PasswordResetPage, PasswordResetRequestPage, SignupPage, TokenView,
    VerifyPage,
};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    done: Option<String>,
    invite: Option<String>,
}

/// `/`: sign in, set up the server, or open the first workspace.
#[get("/")]
pub async fn index(state: web::Data<AppState>, user: MaybeUser) -> PageResult {
    let Some(auth) = user.0 else {
        return Ok(redirect(if accounts::first_run(&state).await? { "/signup" } else { "/login" }));
    };
    let workspaces = crate::app::workspaces::list(&state, &auth.actor).await?;
    if let Some(first) = workspaces.first() {
        return Ok(redirect(&format!("/w/{}", first.slug)));
    }
    let layout = layout_for(&state, &auth, "Welcome", None).await?;
    if layout.nav.as_ref().is_some_and(|n| n.can_create_workspace) {
        return Ok(redirect("/workspaces/new"));
    }
    html(&crate::views::pages::NoWorkspacePage { layout })
}

#[get("/login")]
pub async fn login_page(user: MaybeUser, query: web::Query<NextQuery>) -> PageResult {
    let next = safe_next(query.next.as_deref());
    if user.0.is_some() {
        return Ok(redirect(&next));
    }
    let mut layout = Layout::new("Sign in");
    layout.notice = notice_for(query.done.as_deref());
    html(&LoginPage { layout, next, login: String::new() })
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login(state: web::Data<AppState>, req: HttpRequest, form: web::Form<LoginForm>) -> PageResult {
    check_form_origin(&req, &state)?;
    let next = safe_next(form.next.as_deref());
    let ip = auth::client_ip(&req, &state);
    match accounts::login(&state, &form.login, &form.password, &ip, auth::user_agent(&req)).await {
        Ok((_, session)) => Ok(HttpResponse::SeeOther()
            .cookie(auth::session_cookie(&state, &session))
            .insert_header(("location", next))
            .finish()),
        Err(
            e @ (AppError::Unauthenticated(_)
            | AppError::Invalid(_)
            | AppError::Forbidden(_)
            | AppError::RateLimited { .. }),
        ) => {
            let mut layout = Layout::new("Sign in");
            layout.fail(&e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            html_status(status, &LoginPage { layout, next, login: form.login.clone() })
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/signup")]
pub async fn signup_page(state: web::Data<AppState>, query: web::Query<NextQuery>) -> PageResult {
    let first_account = accounts::first_run(&state).await?;
    let mut page = SignupPage {
        layout: Layout::new(if first_account { "Set up hearth" } else { "Sign up" }),
        first_account,
        invite_token: String::new(),
        workspace_name: String::new(),
        email: String::new(),
        username: String::new(),
        display_name: String::new(),
    };
    if let Some(token) = query.invite.as_deref().filter(|t| !t.is_empty()) {
        let preview = invitations::preview(&state, token).await?;
        page.invite_token = token.to_owned();
        page.workspace_name = preview.workspace_name;
        page.email = preview.email;
    }
    html(&page)
}

#[derive(Deserialize)]
pub struct SignupFormData {
    email: String,
    username: String,
    password: String,
    display_name: Option<String>,
    invite_token: Option<String>,
}

#[post("/signup")]
pub async fn signup(state: web::Data<AppState>, req: HttpRequest, form: web::Form<SignupFormData>) -> PageResult {
    check_form_origin(&req, &state)?;
    auth::limit_anonymous(&req, &state)?;
    let f = form.into_inner();
    let data = accounts::SignupForm {
        email: f.email.clone(),
        username: f.username.clone(),
        password: f.password,
        display_name: f.display_name.clone(),
        invite_token: f.invite_token.clone(),
    };
    match accounts::signup(&state, data, auth::user_agent(&req)).await {
        Ok(done) => {
            let to = match (done.workspace_slug, done.verification_sent) {
                (Some(s), _) => format!("/w/{s}"),
                (None, true) => "/verify?done=verify-sent".into(),
                (None, false) => "/".into(),
            };
            Ok(HttpResponse::SeeOther()
                .cookie(auth::session_cookie(&state, &done.session))
                .insert_header(("location", to))
                .finish())
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::Forbidden(_))) => {
            let first_account = accounts::first_run(&state).await?;
            let invite_token = f.invite_token.unwrap_or_default();
            let mut layout = Layout::new("Sign up");
            layout.fail(&e);
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            html_status(
                status,
                &SignupPage {
                    layout,
                    first_account,
                    invite_token,
                    workspace_name: String::new(),
                    email: f.email,
                    username: f.username,
                    display_name: f.display_name.unwrap_or_default(),
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf_token: String,
}

#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, user: MaybeUser, form: web::Form<CsrfForm>) -> PageResult {
    if let Some(auth) = user.0 {
        auth.check_form_csrf(&state, &form.csrf_token)?;
        sessions::logout(&state, &auth.actor).await?;
    }
    Ok(HttpResponse::SeeOther()
        .cookie(auth::expired_session_cookie())
        .insert_header(("location", "/login?done=signed-out"))
        .finish())
}

#[get("/password-reset")]
pub async fn password_reset_request_page() -> PageResult {
    html(&PasswordResetRequestPage { layout: Layout::new("Reset your password") })
}

#[derive(Deserialize)]
pub struct EmailForm {
    email: String,
}

#[post("/password-reset")]
pub async fn password_reset_request(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<EmailForm>,
) -> PageResult {
    check_form_origin(&req, &state)?;
    auth::limit_anonymous(&req, &state)?;
    match accounts::request_password_reset(&state, &form.email).await {
        Ok(()) => Ok(redirect("/login?done=reset-sent")),
        Err(e @ AppError::Invalid(_)) => {
            let mut layout = Layout::new("Reset your password");
            layout.fail(&e);
            html_status(StatusCode::UNPROCESSABLE_ENTITY, &PasswordResetRequestPage { layout })
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/password-reset/{token}")]
pub async fn password_reset_page(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    let user = accounts::check_password_reset(&state, &token).await?;
    html(&PasswordResetPage {
        layout: Layout::new("Choose a new password"),
        token: token.into_inner(),
        username: user.username,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
}

#[post("/password-reset/{token}")]
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> PageResult {
    check_form_origin(&req, &state)?;
    match accounts::confirm_password_reset(&state, &token, &form.password).await {
        Ok(_) => Ok(redirect("/login?done=reset")),
        Err(e @ AppError::Invalid(_)) => {
            let user = accounts::check_password_reset(&state, &token).await?;
            let mut layout = Layout::new("Choose a new password");
            layout.fail(&e);
            html_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordResetPage { layout, token: token.into_inner(), username: user.username },
            )
        }
        Err(e) => Err(e.into()),
    }
}

async fn account_page(
    state: &AppState,
    user: &PageUser,
    error: Option<&AppError>,
    notice: Option<String>,
    new_token: Option<String>,
) -> PageResult {
    let mut layout = layout_for(state, &user.0, "Your account", None).await?;
    if let Some(e) = error {
        layout.fail(e);
    }
    layout.notice = notice;
    let tokens = tokens::list(state, &user.0.actor)
        .await?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created_at: time_text(&t.created_at),
            last_used_at: t.last_used_at.as_ref().map(time_text),
        })
        .collect();
    let prefs = crate::app::notifications::get(state, &user.0.actor).await?;
    let u = &user.0.actor.user;
    let page = AccountPage {
        layout,
        username: u.username.clone(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        title: u.title.clone(),
        status: crate::wire::Status::of(u),
        avatar_url: crate::wire::avatar_url(u),
        status_choices: crate::domain::profiles::Lasts::CHOICES,
        tokens,
        new_token,
        email_choices: [
            ("immediately", "When I miss something (batched)"),
            ("hourly", "At most once an hour"),
            ("daily", "Once a day, as a digest"),
            ("never", "Never"),
        ],
        email_notifications: prefs.email_notifications,
        digest_hour: prefs.digest_hour,
        time_zone: prefs.time_zone,
    };
    html(&page)
}

fn time_text(t: &crate::wire::Time) -> String {
    t.0.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[get("/settings")]
pub async fn account(state: web::Data<AppState>, user: PageUser, query: web::Query<NextQuery>) -> PageResult {
    account_page(&state, &user, None, notice_for(query.done.as_deref()), None).await
}

/// Re-renders the account page with the error of a form, or lets other errors through.
pub(super) async fn account_error(state: &AppState, user: &PageUser, e: AppError) -> PageResult {
    match e {
        AppError::Invalid(_)
        | AppError::Forbidden(_)
        | AppError::Conflict(_)
        | AppError::NotFound(_)
        | AppError::Malformed(_)
        | AppError::TooLarge(_) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let mut res = account_page(state, user, Some(&e), None, None).await?;
            *res.status_mut() = status;
            Ok(res)
        }
        other => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf_token: String,
    display_name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    status_emoji: Option<String>,
    #[serde(default)]
    status_text: Option<String>,
    #[serde(default)]
    status_expires: Option<String>,
}

#[post("/settings/profile")]
pub async fn update_profile(state: web::Data<AppState>, user: PageUser, form: web::Form<ProfileForm>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let form = form.into_inner();
    let status = match (form.status_emoji, form.status_text) {
        (None, None) => None,
        (emoji, text) => {
            Some((emoji.unwrap_or_default(), text.unwrap_or_default(), form.status_expires.unwrap_or_default()))
        }
    };
    let patch = profiles::ProfilePatch { display_name: Some(form.display_name), title: form.title, status };
    match profiles::update(&state, &user.0.actor, patch).await {
        Ok(_) => Ok(redirect("/settings?done=saved")),
        Err(e) => account_error(&state, &user, e).await,
    }
}

/// A new picture from the profile form (multipart: its CSRF token, then the file).
#[post("/settings/avatar")]
pub async fn set_avatar(state: web::Data<AppState>, user: PageUser, form: actix_multipart::Multipart) -> PageResult {
    let read =
        crate::http::uploads::one_file(form, profiles::MAX_AVATAR_BYTES, |csrf| user.0.check_form_csrf(&state, csrf))
            .await;
    let done = match read {
        Ok(bytes) => profiles::set_avatar(&state, &user.0.actor, bytes).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => Ok(redirect("/settings?done=saved")),
        Err(e) => account_error(&state, &user, e).await,
    }
}

#[post("/settings/avatar/remove")]
pub async fn remove_avatar(state: web::Data<AppState>, user: PageUser, form: web::Form<CsrfOnly>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    profiles::remove_avatar(&state, &user.0.actor).await?;
    Ok(redirect("/settings?done=saved"))
}

#[derive(Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    csrf_token: String,
    current_password: String,
    new_password: String,
    /// The "sign out everywhere" box.
    sign_out_everywhere: Option<String>,
}

#[post("/settings/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: PageUser,
    form: web::Form<PasswordChangeForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    let everywhere = form.sign_out_everywhere.is_some();
    match accounts::change_password(&state, &user.0.actor, &form.current_password, &form.new_password, everywhere).await
    {
        Ok(()) if everywhere => Ok(redirect("/login")),
        Ok(()) => Ok(redirect("/settings?done=password")),
        Err(e) => account_error(&state, &user, e).await,
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf_token: String,
    name: String,
}

/// Creates a token and shows it once, on this response only.
#[post("/settings/tokens")]
pub async fn create_token(state: web::Data<AppState>, user: PageUser, form: web::Form<TokenForm>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    match tokens::create(&state, &user.0.actor, &form.name).await {
        Ok((_, token)) => {
            let mut res = account_page(&state, &user, None, None, Some(token)).await?;
            super::no_store(&mut res);
            Ok(res)
        }
        Err(e) => account_error(&state, &user, e).await,
    }
}

#[post("/settings/tokens/{id}/revoke")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    match tokens::revoke(&state, &user.0.actor, id.into_inner()).await {
        Ok(()) => Ok(redirect("/settings?done=revoked")),
        Err(e) => account_error(&state, &user, e).await,
    }
}

#[post("/settings/sign-out-everywhere")]
pub async fn sign_out_everywhere(state: web::Data<AppState>, user: PageUser, form: web::Form<CsrfForm>) -> PageResult {
    user.0.check_form_csrf(&state, &form.csrf_token)?;
    sessions::logout_everywhere(&state, &user.0.actor).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(auth::expired_session_cookie())
        .insert_header(("location", "/login?done=signed-out"))
        .finish())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// Where a sign-up through an open email domain lands: check your mail.
#[get("/verify")]
pub async fn verify_sent(query: web::Query<DoneQuery>) -> PageResult {
    let mut layout = Layout::new("Confirm your address");
    layout.notice = notice_for(query.done.as_deref());
    html(&NoticePage {
        layout,
        heading: "Confirm your address".into(),
        message: "We sent a link to your email address. Open it to join your workspace; it works once, for 24 hours."
            .into(),
        link: None,
    })
}

/// The mailed link: a button that confirms (a GET changes nothing).
#[get("/verify/{token}")]
pub async fn verify_page(token: web::Path<String>) -> PageResult {
    html(&VerifyPage { layout: Layout::new("Confirm your address"), token: token.into_inner() })
}

#[post("/verify/{token}")]
pub async fn verify(state: web::Data<AppState>, req: HttpRequest, token: web::Path<String>) -> PageResult {
    check_form_origin(&req, &state)?;
    let (_, workspace) = accounts::verify_email(&state, &token).await?;
    Ok(redirect(&workspace.map_or_else(|| "/".to_owned(), |s| format!("/w/{s}"))))
}
