//! Bot users: made by a workspace's admins with a name, display name, description and
//! picture; a token (`xoxb-…`, stored hashed, shown once) that speaks the Slack-compatible
//! Web API; shown as bots everywhere; added to channels like people; never signing in.

use super::access::{self, Membership};
use super::{Actor, AppState, Credential};
use crate::db::bots::{BotChanges, BotRow, NewBot};
use crate::db::users::{NewUser, UserRow};
use crate::db::workspaces::MemberRow;
use crate::db::{self, Conn, Tx};
use crate::domain::Code;
use crate::domain::accounts::{DisplayName, Username};
use crate::domain::workspaces::{Role, may_administer};
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::outbound::{self, Response};
use crate::security;
use crate::wire;

/// What a bot's token starts with, as Slack's do: scanners recognise leaked ones.
pub const BOT_TOKEN_PREFIX: &str = "xoxb-";
/// Bots one workspace may have.
const MAX_BOTS: usize = 50;
/// The longest description.
const MAX_DESCRIPTION: usize = 500;
/// Slack's limit for picture addresses.
const MAX_ICON_URL: usize = 255;
/// How long a bot has to answer what hearth sends it, as Slack allows.
const BOT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// The longest request URL.
const MAX_REQUEST_URL: usize = 2000;
/// How stale `last_used_at` may get before a call writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

fn not_found(id: i64) -> AppError {
    AppError::not_found(Code::BotNotFound, format!("There is no bot {id} in this workspace."))
}

/// What a new bot is.
#[derive(Debug, Clone, Default)]
pub struct NewBotForm {
    pub username: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub icon_url: Option<String>,
}

/// What a change to a bot changes; `None` keeps a field.
#[derive(Debug, Clone, Default)]
pub struct BotForm {
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub icon_url: Option<Option<String>>,
    /// A new token; the old one stops working at once.
    pub regenerate_token: bool,
    /// No token at all until a new one is asked for.
    pub revoke_token: bool,
    /// A new signing secret for what hearth sends the bot.
    pub regenerate_signing_secret: bool,
    /// Where its event subscriptions go (checked with Slack's `url_verification` first),
    /// or `Some(None)` for none.
    pub request_url: Option<Option<String>>,
}

fn parse_description(raw: Option<&str>) -> Result<String, AppError> {
    let text = raw.unwrap_or_default().trim();
    if text.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::invalid(
            Code::InvalidBotDescription,
            format!("A bot's description can be at most {MAX_DESCRIPTION} characters."),
        ));
    }
    Ok(text.to_owned())
}

fn parse_icon(raw: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(url) = raw.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    let ok = url.len() <= MAX_ICON_URL
        && (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(char::is_whitespace);
    if !ok {
        return Err(AppError::invalid(
            Code::InvalidIconUrl,
            format!("A picture must be an http(s) address of at most {MAX_ICON_URL} characters."),
        ));
    }
    Ok(Some(url.to_owned()))
}

/// The workspace, for one of its admins.
fn administering(conn: &mut Conn, slug: &str, user_id: i64) -> Result<Membership, AppError> {
    let membership = access::workspace(conn, slug, user_id)?;
    may_administer(membership.role, "manage bots")?;
    Ok(membership)
}

fn managed_bot(conn: &mut Conn, slug: &str, user_id: i64, id: i64) -> Result<(Membership, BotRow, UserRow), AppError> {
    let membership = administering(conn, slug, user_id)?;
    // hearth's own bot of the workspace is nobody's to manage.
    let bot = BotRow::find(conn, id)?
        .filter(|b| b.workspace_id == membership.workspace.id && !b.system)
        .ok_or_else(|| not_found(id))?;
    let user = UserRow::find(conn, bot.user_id)?;
    if user.deactivated_at.is_some() {
        return Err(not_found(id));
    }
    Ok((membership, bot, user))
}

fn info(state: &AppState, bot: &BotRow, user: &UserRow, token: Option<String>) -> wire::BotUser {
    let secret = state.keys.bot_signing_secret(bot.id, bot.secret_generation);
    wire::BotUser::new(bot, user, token, secret)
}

/// Makes a bot: its user (no password), its membership, its token (in the answer only).
pub async fn create(state: &AppState, actor: &Actor, slug: &str, form: NewBotForm) -> Result<wire::BotUser, AppError> {
    let username = Username::parse(&form.username)?;
    let display_name = DisplayName::parse(form.display_name.as_deref().unwrap_or(username.as_str()))?;
    let description = parse_description(form.description.as_deref())?;
    let icon_url = parse_icon(form.icon_url.as_deref())?;
    let token = format!("{BOT_TOKEN_PREFIX}{}", security::random_alphanumeric(48));
    let hash = security::token_hash(&token);
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, .. } = administering(tx, &slug, user_id)?;
            if BotRow::of_workspace(tx, workspace.id)?.iter().filter(|(_, u)| u.deactivated_at.is_none()).count()
                >= MAX_BOTS
            {
                return Err(AppError::conflict(
                    Code::TooManyIntegrations,
                    format!("A workspace can have at most {MAX_BOTS} bots; remove one first."),
                ));
            }
            if UserRow::username_taken(tx, username.as_str())? {
                return Err(AppError::conflict(
                    Code::UsernameTaken,
                    format!("The username \"{}\" is taken.", username.as_str()),
                ));
            }
            let now = db::now();
            // A bot has no address and no password: it cannot sign in or reset one.
            let email = format!("{}@bots.invalid", username.as_str());
            let user = NewUser {
                username: username.as_str(),
                email: &email,
                display_name: display_name.as_str(),
                password_hash: "",
                is_server_admin: false,
                is_bot: true,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            let member = MemberRow {
                workspace_id: workspace.id,
                user_id: user.id,
                role: Role::Member,
                joined_at: now,
                deactivated_at: None,
            }
            .insert(tx)?;
            let data = EventData::WorkspaceMemberAdded { member: wire::Member::new(&member, &user) };
            events::append(tx, Scope::workspace(workspace.id).about(user.id), &data)?;
            let bot = NewBot {
                workspace_id: workspace.id,
                user_id: user.id,
                created_by: user_id,
                description: &description,
                icon_url: icon_url.as_deref(),
                token_hash: Some(&hash),
                system: false,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            Ok(info(&state2, &bot, &user, Some(token.clone())))
        })
        .await
}

/// The workspace's bots, oldest first (admins only).
pub async fn list(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::BotUser>, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let Membership { workspace, .. } = administering(conn, &slug, user_id)?;
            Ok(BotRow::of_workspace(conn, workspace.id)?
                .iter()
                .filter(|(_, u)| u.deactivated_at.is_none())
                .map(|(b, u)| info(&state2, b, u, None))
                .collect())
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<wire::BotUser, AppError> {
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .read(move |conn| {
            let (_, bot, user) = managed_bot(conn, &slug, user_id, id)?;
            Ok(info(&state2, &bot, &user, None))
        })
        .await
}

/// Changes a bot; a new token is in the answer only.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    id: i64,
    form: BotForm,
) -> Result<wire::BotUser, AppError> {
    if form.regenerate_token && form.revoke_token {
        return Err(AppError::invalid(Code::InvalidRequest, "Ask for a new token or for none, not both."));
    }
    let display_name = form.display_name.as_deref().map(DisplayName::parse).transpose()?;
    let description = form.description.as_deref().map(|d| parse_description(Some(d))).transpose()?;
    let icon_url = match &form.icon_url {
        Some(icon) => Some(parse_icon(icon.as_deref())?),
        None => None,
    };
    if let Some(Some(url)) = &form.request_url {
        verify_request_url(state, actor, slug, id, url).await?;
    }
    let token = form.regenerate_token.then(|| format!("{BOT_TOKEN_PREFIX}{}", security::random_alphanumeric(48)));
    let request_url = form.request_url.clone().map(|u| u.map(|u| u.trim().to_owned()));
    let hash = token.as_deref().map(security::token_hash);
    let (user_id, slug, state2) = (actor.id(), slug.to_owned(), state.clone());
    state
        .db
        .write(move |tx| {
            let (membership, bot, mut user) = managed_bot(tx, &slug, user_id, id)?;
            let now = db::now();
            if let Some(name) = &display_name {
                user = UserRow::set_display_name(tx, user.id, name.as_str(), now)?;
                let data = EventData::UserUpdated { user: wire::User::from(&user) };
                events::append(tx, Scope::workspace(membership.workspace.id).about(user.id), &data)?;
            }
            let token_hash = match (&hash, form.revoke_token) {
                (Some(h), _) => Some(Some(h.as_str())),
                (None, true) => Some(None),
                (None, false) => None,
            };
            let changes = BotChanges {
                description: description.as_deref(),
                icon_url: icon_url.as_ref().map(Option::as_deref),
                token_hash,
                secret_generation: form.regenerate_signing_secret.then_some(bot.secret_generation + 1),
                request_url: request_url.as_ref().map(Option::as_deref),
                updated_at: Some(now),
            };
            let bot = BotRow::update(tx, bot.id, &changes)?;
            Ok(info(&state2, &bot, &user, token.clone()))
        })
        .await
}

/// Removes a bot: its token stops working, it leaves the workspace; what it said stays.
pub async fn delete(state: &AppState, actor: &Actor, slug: &str, id: i64) -> Result<(), AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            let (membership, bot, user) = managed_bot(tx, &slug, user_id, id)?;
            BotRow::update(
                tx,
                bot.id,
                &BotChanges { token_hash: Some(None), updated_at: Some(db::now()), ..BotChanges::default() },
            )?;
            deactivate(tx, membership.workspace.id, &user)
        })
        .await
}

fn deactivate(tx: &mut Tx<'_>, workspace_id: i64, user: &UserRow) -> Result<(), AppError> {
    let now = db::now();
    UserRow::set_deactivated(tx, user.id, Some(now))?;
    let member = MemberRow::update(tx, workspace_id, user.id, Role::Member, Some(now))?;
    let data = EventData::WorkspaceMemberDeactivated { member: wire::Member::new(&member, user) };
    events::append(tx, Scope::workspace(workspace_id).about(user.id), &data)?;
    Ok(())
}

/// Authenticates a bot token: the bot's user, acting as the bot. A revoked token, or a
/// removed bot's, is not valid.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Actor, AppError> {
    let hash = security::token_hash(token);
    let found = state.db.read(move |conn| Ok(BotRow::find_by_token_hash(conn, &hash)?)).await?;
    let (bot, user) = found.ok_or_else(|| AppError::unauthenticated("That bot token is not valid."))?;
    if user.deactivated_at.is_some() {
        return Err(AppError::unauthenticated("That bot has been removed."));
    }
    let now = db::now();
    if bot.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY) {
        let id = bot.id;
        state.db.write(move |tx| Ok(BotRow::touch(tx, id, now)?)).await?;
    }
    Ok(Actor { user, credential: Credential::Bot(bot.id) })
}

/// Sends a signed JSON body (Slack's v0 signature) to a bot's URL through the guarded
/// outbound client.
pub async fn send_signed(
    state: &AppState,
    bot: &BotRow,
    url: &str,
    body: &serde_json::Value,
    extra: Vec<(String, String)>,
) -> Result<Response, outbound::Failure> {
    let bytes = body.to_string().into_bytes();
    let timestamp = chrono::Utc::now().timestamp();
    let secret = state.keys.bot_signing_secret(bot.id, bot.secret_generation);
    let mut headers = vec![
        ("x-slack-request-timestamp".to_owned(), timestamp.to_string()),
        ("x-slack-signature".to_owned(), security::slack_signature(&secret, timestamp, &bytes)),
    ];
    headers.extend(extra);
    let request = outbound::Request {
        url: url.to_owned(),
        content_type: "application/json".to_owned(),
        body: bytes,
        headers,
        timeout: BOT_TIMEOUT,
    };
    state.outbound.post(request).await
}

/// Checks a request URL as Slack does before subscribing a bot: a signed
/// `url_verification` whose `challenge` must come back (as JSON or as the whole body).
async fn verify_request_url(state: &AppState, actor: &Actor, slug: &str, id: i64, url: &str) -> Result<(), AppError> {
    let refused = |why: String| AppError::invalid(Code::InvalidRequestUrl, format!("The request URL {why}."));
    let trimmed = url.trim();
    if trimmed.len() > MAX_REQUEST_URL || !(trimmed.starts_with("https://") || trimmed.starts_with("http://")) {
        return Err(refused(format!("must be an http(s) address of at most {MAX_REQUEST_URL} characters")));
    }
    let (user_id, slug_owned) = (actor.id(), slug.to_owned());
    let bot = state.db.read(move |conn| Ok(managed_bot(conn, &slug_owned, user_id, id)?.1)).await?;
    let challenge = security::random_alphanumeric(48);
    let body = serde_json::json!({
        "token": state.keys.bot_verification_token(bot.id),
        "challenge": challenge,
        "type": "url_verification",
    });
    let res = send_signed(state, &bot, trimmed, &body, Vec::new())
        .await
        .map_err(|e| refused(format!("could not be reached: {e}")))?;
    if !(200..300).contains(&res.status) {
        return Err(refused(format!("answered {} to the url_verification request", res.status)));
    }
    let text = String::from_utf8_lossy(&res.body);
    let answered = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("challenge").and_then(serde_json::Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| text.trim().to_owned());
    if answered != challenge {
        return Err(refused("did not send the url_verification challenge back".to_owned()));
    }
    Ok(())
}

/// hearth's own bot in a workspace (`@hearth-<workspace id>`, shown as "hearth"), who
/// sends reminders by direct message: made the first time it is needed, with no token.
pub fn workspace_bot(tx: &mut Tx<'_>, workspace_id: i64) -> Result<UserRow, AppError> {
    db::lock(tx, db::Lock::WorkspaceBot { workspace_id })?;
    if let Some(user) = BotRow::system_of(tx, workspace_id)? {
        return Ok(user);
    }
    // Its username is only a name: it is found by its flag, so one taken is no matter.
    let mut username = format!("hearth-{workspace_id}");
    while UserRow::username_taken(tx, &username)? {
        username = format!("hearth-{workspace_id}-{}", security::random_alphanumeric(6).to_lowercase());
    }
    let now = db::now();
    let owner = crate::db::workspaces::WorkspaceRow::find(tx, workspace_id)?.created_by;
    let email = format!("{username}@bots.invalid");
    let user = NewUser {
        username: &username,
        email: &email,
        display_name: "hearth",
        password_hash: "",
        is_server_admin: false,
        is_bot: true,
        created_at: now,
        updated_at: now,
    }
    .insert(tx)?;
    MemberRow { workspace_id, user_id: user.id, role: Role::Member, joined_at: now, deactivated_at: None }
        .insert(tx)?;
    NewBot {
        workspace_id,
        user_id: user.id,
        created_by: owner,
        description: "hearth's own: sends reminders",
        icon_url: None,
        token_hash: None,
        system: true,
        created_at: now,
        updated_at: now,
    }
    .insert(tx)?;
    Ok(user)
}
