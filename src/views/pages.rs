//! The page templates and what each shows. Handlers fill these; templates escape.

use askama::Template;

use super::assets;

/// What every page's frame needs.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub title: String,
    pub css: &'static str,
    /// The session's CSRF token, for forms and `<meta name="csrf-token">`.
    pub csrf: String,
    pub nav: Option<Nav>,
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl Layout {
    pub fn new(title: impl Into<String>) -> Layout {
        Layout { title: title.into(), css: assets::css_path(), ..Layout::default() }
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
}

#[derive(Debug, Clone, Default)]
pub struct NavWorkspace {
    pub slug: String,
    pub name: String,
    pub initial: String,
    pub is_admin: bool,
    pub current: bool,
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
    pub role: String,
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
    pub role: String,
    pub role_article: &'static str,
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
    pub role: String,
    pub deactivated: bool,
    /// The viewer may change this member.
    pub manageable: bool,
}

#[derive(Debug, Clone)]
pub struct InvitationView {
    pub email: String,
    pub role: String,
    pub expires_at: String,
}

#[derive(Template)]
#[template(path = "pages/members.html")]
pub struct MembersPage {
    pub layout: Layout,
    pub slug: String,
    pub workspace_name: String,
    pub is_admin: bool,
    pub is_owner: bool,
    pub members: Vec<MemberRowView>,
    pub invitations: Vec<InvitationView>,
    pub role_choices: Vec<&'static str>,
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
    pub tokens: Vec<TokenView>,
    pub new_token: Option<String>,
}
