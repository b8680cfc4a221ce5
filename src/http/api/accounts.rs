//! `/api/v1/auth/…` and `/api/v1/me…`: sign-up, sign-in, sign-out, profile, password,
//! personal access tokens.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::{AppState, accounts, notifications, profiles, sessions, tokens};
use crate::error::AppError;
use crate::http::auth::{self, ApiUser};
use crate::http::error::ErrorBody;
use crate::wire;

#[derive(Deserialize, ToSchema)]
pub struct SignupRequest {
    pub email: String,
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    /// The token from an invitation link; joins that workspace at once.
    pub invite_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionResponse {
    /// A session token for `Authorization: Bearer`; browsers also get it as a cookie.
    pub token: String,
    pub user: wire::Me,
    /// The CSRF token to send as `X-CSRF-Token` when using the cookie instead of the token.
    pub csrf_token: String,
    /// The workspace an invitation brought the new account into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// A sign-up through a workspace's open email domain: a link to confirm the address was
    /// mailed, and the workspace is joined when it is used (`POST /api/v1/auth/verify`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub email_verification_sent: bool,
}

/// Create an account (the first one on a server, or with an invitation).
#[utoipa::path(tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = SessionResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/auth/signup")]
pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignupRequest>,
) -> Result<HttpResponse, AppError> {
    auth::limit_anonymous(&req, &state)?;
    let SignupRequest { email, username, password, display_name, invite_token } = body.into_inner();
    let form = accounts::SignupForm { email, username, password, display_name, invite_token };
    let signed_up = accounts::signup(&state, form, auth::user_agent(&req)).await?;
    Ok(HttpResponse::Created().cookie(auth::session_cookie(&state, &signed_up.session)).json(SessionResponse {
        csrf_token: state.keys.csrf_token(signed_up.session.session_id),
        token: signed_up.session.token,
        user: wire::Me::from(&signed_up.user),
        workspace: signed_up.workspace_slug,
        email_verification_sent: signed_up.verification_sent,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyRequest {
    /// The token from the mailed link (`/verify/<token>`).
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Verified {
    pub user: wire::Me,
    /// The first workspace open to the address's domain, now joined.
    pub workspace: Option<String>,
}

/// Confirm an email address from its mailed link; the account joins the workspaces open to
/// its domain.
#[utoipa::path(tag = "accounts", request_body = VerifyRequest,
    responses((status = 200, body = Verified), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
#[post("/api/v1/auth/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    body: web::Json<VerifyRequest>,
) -> Result<web::Json<Verified>, AppError> {
    let (user, workspace) = accounts::verify_email(&state, &body.token).await?;
    Ok(web::Json(Verified { user: wire::Me::from(&user), workspace }))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Username or email address.
    pub login: String,
    pub password: String,
}

/// Sign in.
#[utoipa::path(tag = "accounts", request_body = LoginRequest,
    responses((status = 200, body = SessionResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/api/v1/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, AppError> {
    let ip = auth::client_ip(&req, &state);
    let (user, session) = accounts::login(&state, &body.login, &body.password, &ip, auth::user_agent(&req)).await?;
    Ok(HttpResponse::Ok().cookie(auth::session_cookie(&state, &session)).json(SessionResponse {
        csrf_token: state.keys.csrf_token(session.session_id),
        token: session.token,
        user: wire::Me::from(&user),
        workspace: None,
        email_verification_sent: false,
    }))
}

/// Sign out this session.
#[utoipa::path(tag = "accounts", responses((status = 204), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/logout")]
pub async fn logout(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    sessions::logout(&state, &user.0).await?;
    Ok(HttpResponse::NoContent().cookie(auth::expired_session_cookie()).finish())
}

#[derive(Serialize, ToSchema)]
pub struct LogoutAllResponse {
    /// How many sessions were ended.
    pub sessions_ended: usize,
}

/// Sign out every session of this account, this one included.
#[utoipa::path(tag = "accounts", responses((status = 200, body = LogoutAllResponse), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/logout-all")]
pub async fn logout_all(state: web::Data<AppState>, user: ApiUser) -> Result<HttpResponse, AppError> {
    let sessions_ended = sessions::logout_everywhere(&state, &user.0).await?;
    Ok(HttpResponse::Ok().cookie(auth::expired_session_cookie()).json(LogoutAllResponse { sessions_ended }))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    pub email: String,
}

/// Email a password-reset link. The answer is the same whether or not the address has an
/// account.
#[utoipa::path(tag = "accounts", request_body = PasswordResetRequest, responses((status = 202), (status = 422, body = ErrorBody)))]
#[post("/api/v1/auth/password-reset")]
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<PasswordResetRequest>,
) -> Result<HttpResponse, AppError> {
    auth::limit_anonymous(&req, &state)?;
    accounts::request_password_reset(&state, &body.email).await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub password: String,
}

/// Set a new password with the token from a reset link. Every session ends.
#[utoipa::path(tag = "accounts", request_body = PasswordResetConfirm,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/auth/password-reset/confirm")]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: web::Json<PasswordResetConfirm>,
) -> Result<HttpResponse, AppError> {
    accounts::confirm_password_reset(&state, &body.token, &body.password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(tag = "accounts", responses((status = 200, body = wire::Me), (status = 401, body = ErrorBody)))]
#[get("/api/v1/me")]
pub async fn me(user: ApiUser) -> web::Json<wire::Me> {
    web::Json(wire::Me::from(&user.0.user))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    pub display_name: Option<String>,
    /// What you do; empty clears it.
    pub title: Option<String>,
    /// A custom status; `{"emoji": "", "text": ""}` clears it.
    pub status: Option<StatusPatch>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPatch {
    /// A shortcode (`palm_tree`) or the emoji itself; empty for none.
    #[serde(default)]
    pub emoji: String,
    #[serde(default)]
    pub text: String,
    /// How long it lasts: `30m`, `1h`, `4h`, `today`, `week`, `keep` (as the status it
    /// replaces was to) or `never` (the default).
    #[serde(default)]
    pub expires: String,
}

/// Change your display name, title or custom status.
#[utoipa::path(tag = "accounts", request_body = MePatch, responses((status = 200, body = wire::Me), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<MePatch>,
) -> Result<web::Json<wire::Me>, AppError> {
    let body = body.into_inner();
    let patch = profiles::ProfilePatch {
        display_name: body.display_name,
        title: body.title,
        status: body.status.map(|s| (s.emoji, s.text, s.expires)),
    };
    let row = profiles::update(&state, &user.0, patch).await?;
    Ok(web::Json(wire::Me::from(&row)))
}

/// The form a new picture is sent in.
#[derive(ToSchema)]
#[allow(dead_code, reason = "describes the multipart form for the OpenAPI document")]
pub struct AvatarForm {
    /// A PNG, JPEG, GIF or WebP picture of at most 10 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Make a picture your avatar (multipart, field `file`: PNG, JPEG, GIF or WebP up to 10 MB);
/// it is cropped to its middle square and scaled to 256 pixels.
#[utoipa::path(tag = "accounts", request_body(content = AvatarForm, content_type = "multipart/form-data"),
    responses((status = 200, body = wire::Me), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[put("/api/v1/me/avatar")]
pub async fn set_avatar(
    state: web::Data<AppState>,
    user: ApiUser,
    form: actix_multipart::Multipart,
) -> Result<web::Json<wire::Me>, AppError> {
    let bytes = crate::http::uploads::one_file(form, profiles::MAX_AVATAR_BYTES, |_| Ok(())).await?;
    Ok(web::Json(wire::Me::from(&profiles::set_avatar(&state, &user.0, bytes).await?)))
}

/// Remove your avatar: your initials are shown instead.
#[utoipa::path(tag = "accounts", responses((status = 200, body = wire::Me)))]
#[delete("/api/v1/me/avatar")]
pub async fn remove_avatar(state: web::Data<AppState>, user: ApiUser) -> Result<web::Json<wire::Me>, AppError> {
    Ok(web::Json(wire::Me::from(&profiles::remove_avatar(&state, &user.0).await?)))
}

/// A person's picture, at the address their profile gives (its name changes with it, so it
/// is kept for good); for people who share a workspace with them.
#[get("/avatars/{id}/{name}")]
pub async fn avatar(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    use futures_util::TryStreamExt;
    let (id, name) = path.into_inner();
    let stored = profiles::avatar(&state, &user.0, id, &name).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, max-age=31536000, immutable"))
        .no_chunking(stored.size)
        .streaming(stored.bytes.map_err(|e| actix_web::error::ErrorServiceUnavailable(e.to_string()))))
}

/// Someone's profile (title, status, avatar, time zone), for people who share a workspace
/// with them.
#[utoipa::path(tag = "accounts", params(("id" = i64, Path)), responses((status = 200, body = wire::Profile), (status = 404, body = ErrorBody)))]
#[get("/api/v1/users/{id}")]
pub async fn profile(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<web::Json<wire::Profile>, AppError> {
    Ok(web::Json(profiles::profile(&state, &user.0, *id).await?))
}

/// Your email notification preferences.
#[utoipa::path(tag = "accounts", responses((status = 200, body = wire::NotificationPreferences)))]
#[get("/api/v1/me/preferences")]
pub async fn preferences(
    state: web::Data<AppState>,
    user: ApiUser,
) -> Result<web::Json<wire::NotificationPreferences>, AppError> {
    Ok(web::Json(notifications::get(&state, &user.0).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesPatch {
    /// `immediately`, `hourly`, `daily` or `never`.
    pub email_notifications: Option<String>,
    /// 0–23: when daily digests go out, in `time_zone`.
    pub digest_hour: Option<i64>,
    /// An IANA time zone name, such as `Europe/Berlin`.
    pub time_zone: Option<String>,
}

/// Change how you are mailed about what you miss; every value is checked before any is saved.
#[utoipa::path(tag = "accounts", request_body = PreferencesPatch,
    responses((status = 200, body = wire::NotificationPreferences), (status = 422, body = ErrorBody)))]
#[patch("/api/v1/me/preferences")]
pub async fn update_preferences(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PreferencesPatch>,
) -> Result<web::Json<wire::NotificationPreferences>, AppError> {
    let PreferencesPatch { email_notifications, digest_hour, time_zone } = body.into_inner();
    let change = notifications::PreferencesChange { email_notifications, digest_hour, time_zone };
    Ok(web::Json(notifications::set(&state, &user.0, change).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
    /// Also end this session and revoke every personal access token.
    #[serde(default)]
    pub sign_out_everywhere: bool,
}

/// Change the password; other sessions are signed out (with `sign_out_everywhere`, every
/// session and personal access token).
#[utoipa::path(tag = "accounts", request_body = PasswordChange, responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    accounts::change_password(&state, &user.0, &body.current_password, &body.new_password, body.sign_out_everywhere)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: wire::AccessToken,
    /// The token itself, shown this once.
    pub token: String,
}

/// Create a personal access token.
#[utoipa::path(tag = "tokens", request_body = TokenRequest, responses((status = 201, body = CreatedToken), (status = 422, body = ErrorBody)))]
#[post("/api/v1/me/tokens")]
pub async fn create_token(
    state: web::Data<AppState>,
    user: ApiUser,
    body: web::Json<TokenRequest>,
) -> Result<HttpResponse, AppError> {
    let (info, token) = tokens::create(&state, &user.0, &body.name).await?;
    Ok(HttpResponse::Created().json(CreatedToken { info, token }))
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<wire::AccessToken>,
}

/// List personal access tokens.
#[utoipa::path(tag = "tokens", responses((status = 200, body = TokenList)))]
#[get("/api/v1/me/tokens")]
pub async fn list_tokens(state: web::Data<AppState>, user: ApiUser) -> Result<web::Json<TokenList>, AppError> {
    Ok(web::Json(TokenList { tokens: tokens::list(&state, &user.0).await? }))
}

/// Revoke a personal access token.
#[utoipa::path(tag = "tokens", params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
#[delete("/api/v1/me/tokens/{id}")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    user: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    tokens::revoke(&state, &user.0, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
