//! The page templates and what each shows. Handlers fill these; templates escape.

use askama::Template;

use super::assets;
use crate::domain::Code;

mod conversations;

pub use conversations::{
    ChannelBrowsePage, ChannelDetailsPage, ChannelFilesPage, ChannelLink, ChannelNewPage, ChannelPage, DmNewPage,
    MessageActionsPage, PersonView, PinsPage, RowView, SharedFileView, ThreadView,
};

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub css: &'static str,
    pub js: &'static str,
    /// An extra class on the app frame (`channel-view`).
    pub app_class: &'static str,
    /// The event-log position read before the page's data: live updates resume from it.
    pub seq: Option<i64>,
    /// The open workspace's slug, for the page script.
    pub ws: String,
    /// The signed-in person's id, for the per-page style rule that marks their own
    /// messages and mentions of them.
    pub viewer_id: Option<i64>,
    /// The session's CSRF token, for forms and `<meta name="csrf-token">`.
    pub csrf: String,
    pub nav: Option<Nav>,
    pub error: Option<String>,
    /// The form fields the error is about, by name, most likely first (space-separated):
    /// the page script shows the error beside the first one the page has.
    pub error_field: &'static str,
    pub notice: Option<String>,
    /// The query in the search box (on the results page).
    pub search: String,
    pub assets: assets::PageAssets,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Layout {
        Layout { title: title.into(), css: assets::css_path(), js: assets::js_path(), ..Layout::default() }
    }

    /// Shows a form's error, beside the field it is about when there is one.
    pub fn fail(&mut self, e: &crate::error::AppError) {
        let problem = e.problem();
        self.error = Some(problem.message);
        self.error_field = field_of(problem.code);
    }
}

/// Which form fields an error is about.
fn field_of(code: Code) -> &'static str {
    match code {
        Code::InvalidChannelName | Code::ChannelNameTaken | Code::InvalidWorkspaceName | Code::InvalidTokenName => {
            "name"
        }
        Code::InvalidWorkspaceSlug | Code::WorkspaceSlugTaken => "slug",
        Code::InvalidEmail | Code::EmailTaken => "email",
        Code::InvalidUsername | Code::UsernameTaken => "username",
        Code::InvalidDisplayName => "display_name",
        Code::WrongPassword => "current_password password",
        Code::InvalidPassword | Code::WeakPassword => "new_password password",
        Code::InvalidLogin => "login",
        Code::InvalidTopic => "topic purpose",
        Code::InvalidTimeZone => "time_zone",
        Code::InvalidTitle => "title",
        Code::InvalidStatus => "status_text status_emoji",
        Code::InvalidAvatar | Code::NoFile => "file",
        Code::InvalidDigestHour => "digest_hour",
        Code::TextTooLong | Code::EmptyMessage => "text",
        Code::InvalidInvitationRole | Code::InvalidRole => "role",
        _ => "",
    }
}

/// The sidebar: who is signed in, their workspaces and the current one.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub username: String,
    pub display_name: String,
    pub workspaces: Vec<NavWorkspace>,
    pub current: Option<NavWorkspace>,
    pub can_create_workspace: bool,
    pub channels: Vec<NavChannel>,
    pub dms: Vec<NavChannel>,
}

/// A channel or direct message in the sidebar.
#[derive(Debug, Clone, Default)]
pub struct NavChannel {
    pub id: i64,
    pub href: String,
    pub label: String,
    pub private: bool,
    pub active: bool,
    /// Has messages the viewer has not read.
    pub unread: bool,
    pub muted: bool,
    /// The badge: mentions in channels, unread messages in direct messages ("99+" past 99).
    pub mentions: String,
    /// The other person of a one-to-one direct message, for their presence; 0 otherwise.
    pub peer: i64,
}

#[derive(Debug, Clone, Default)]
pub struct NavWorkspace {
    pub slug: String,
    pub name: String,
    pub initial: String,
    pub is_admin: bool,
    pub current: bool,
}

/// An error page in the app's frame, for a signed-in person.
#[derive(Template)]
#[template(path = "pages/error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub href: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "pages/notice.html")]
pub struct NoticePage {
    pub layout: Layout,
    pub heading: String,
    pub message: String,
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "pages/verify.html")]
pub struct VerifyPage {
    pub layout: Layout,
    pub token: String,
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub next: String,
    pub login: String,
}

#[derive(Template)]
#[template(path = "pages/signup.html")]
pub struct SignupPage {
    pub layout: Layout,
    pub first_account: bool,
    pub invite_token: String,
    pub workspace_name: String,
    pub email: String,
    pub username: String,
    pub display_name: String,
}

#[derive(Template)]
#[template(path = "pages/password_reset_request.html")]
pub struct PasswordResetRequestPage {
    pub layout: Layout,
}

#[derive(Template)]
#[template(path = "pages/password_reset.html")]
pub struct PasswordResetPage {
    pub layout: Layout,
    pub token: String,
    pub username: String,
}

#[derive(Template)]
#[template(path = "pages/invitation.html")]
pub struct InvitationPage {
    pub layout: Layout,
    pub token: String,
    pub workspace_name: String,
    pub role: &'static str,
    pub email: String,
    pub has_account: bool,
    /// Username of the signed-in person, empty when nobody is.
    pub signed_in_as: String,
    pub email_matches: bool,
}

#[derive(Template)]
#[template(path = "pages/workspace_new.html")]
pub struct WorkspaceNewPage {
    pub layout: Layout,
    pub name: String,
    pub slug: String,
}

#[derive(Template)]
#[template(path = "pages/workspace.html")]
pub struct WorkspacePage {
    pub layout: Layout,
    pub slug: String,
    pub name: String,
    /// "an admin", "a member".
    pub role_with_article: String,
    pub is_admin: bool,
}

#[derive(Template)]
#[template(path = "pages/no_workspace.html")]
pub struct NoWorkspacePage {
    pub layout: Layout,
}

/// A row of the members table.
#[derive(Debug, Clone)]
pub struct MemberRowView {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: &'static str,
    pub deactivated: bool,
    /// A bot user (shown with a BOT marker; its role cannot change).
    pub is_bot: bool,
    /// The viewer may change this member.
    pub manageable: bool,
}

#[derive(Debug, Clone)]
pub struct InvitationView {
    pub email: String,
    pub role: &'static str,
    /// The day it expires (shown without JavaScript), and the moment (RFC 3339).
    pub expires_at: String,
    pub expires_iso: String,
}

#[derive(Template)]
#[template(path = "pages/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub slug: String,
    pub workspace_name: String,
    pub is_admin: bool,
    /// The roles the viewer may invite with.
    pub invitable_roles: Vec<&'static str>,
    pub members: Vec<MemberRowView>,
    pub invitations: Vec<InvitationView>,
    pub role_choices: Vec<&'static str>,
    /// The domains open to sign-up, comma-separated.
    pub signup_domains: String,
}

#[derive(Debug, Clone)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub title: String,
    pub status: Option<crate::wire::Status>,
    pub avatar_url: Option<String>,
    /// How long a status may last, as (value, label).
    pub status_choices: [(&'static str, &'static str); 6],
    pub tokens: Vec<TokenView>,
    pub new_token: Option<String>,
    /// The email notification choices, as (value, label).
    pub email_choices: [(&'static str, &'static str); 4],
    pub email_notifications: String,
    pub digest_hour: u32,
    pub time_zone: String,
}

#[derive(Template)]
#[template(path = "pages/unsubscribe.html")]
pub struct UnsubscribePage {
    pub layout: Layout,
    pub token: String,
    /// Shown after the mail was switched off.
    pub done: bool,
}

/// An incoming webhook as its page shows it.
#[derive(Debug, Clone)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    pub channel_id: i64,
    pub channel_label: String,
    pub icon_url: String,
    pub channel_locked: bool,
    pub disabled: bool,
    pub created_by: String,
    pub last_used: Option<String>,
    pub failures: Vec<WebhookFailureView>,
}

#[derive(Debug, Clone)]
pub struct WebhookFailureView {
    pub at: String,
    pub status: String,
    pub detail: String,
}

/// A channel a form may pick.
#[derive(Debug, Clone)]
pub struct ChannelChoice {
    pub id: i64,
    pub label: String,
}

/// An outgoing webhook as its page shows it.
#[derive(Debug, Clone)]
pub struct OutgoingView {
    pub id: i64,
    pub name: String,
    pub channel_label: String,
    pub trigger_words: String,
    pub trigger_when: String,
    pub callback_urls: Vec<String>,
    pub content_type: String,
    pub token: String,
    pub disabled: bool,
    pub created_by: String,
    pub deliveries: Vec<DeliveryView>,
}

/// One delivery on an outgoing webhook's page.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub at: String,
    pub ok: bool,
    pub status: String,
    pub latency: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "pages/apps.html")]
pub struct AppsPage {
    pub layout: Layout,
    pub slug: String,
    pub workspace_name: String,
    pub bots: Vec<crate::wire::BotUser>,
    pub commands: Vec<crate::wire::Command>,
    /// A bot's name and its new token, shown this once.
    pub new_token: Option<(String, String)>,
    pub base_url: String,
}

#[derive(Template)]
#[template(path = "pages/integrations.html")]
pub struct IntegrationsPage {
    pub layout: Layout,
    pub slug: String,
    pub workspace_name: String,
    pub is_admin: bool,
    pub members_add_integrations: bool,
    pub hooks: Vec<WebhookView>,
    pub outgoing: Vec<OutgoingView>,
    pub channels: Vec<ChannelChoice>,
    /// The public ones, which outgoing webhooks may listen to.
    pub public_channels: Vec<ChannelChoice>,
    /// Just made or renewed: the hook's name and its two URLs, shown this once.
    pub secret_urls: Option<(String, String, String)>,
}
