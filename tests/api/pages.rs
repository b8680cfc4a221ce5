//! The web UI through a cookie-keeping client, as a browser without JavaScript uses it.

use reqwest::StatusCode;
use reqwest::header::LOCATION;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// A browser: keeps cookies, does not follow redirects (so tests see them).
pub struct Browser<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token the page carries for its forms.
    pub fn csrf(&self) -> String {
        let marker = r#"<meta name="csrf-token" content=""#;
        let start = self.body.find(marker).expect("the page carries a CSRF token") + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        // Pages are asked for as a browser asks for them.
        let accept = [(reqwest::header::ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8".parse().unwrap())];
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(accept.into_iter().collect())
            .build()
            .unwrap();
        Browser { app, client }
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res.headers().get(LOCATION).map(|l| l.to_str().unwrap().to_owned());
        Page { status, location, body: res.text().await.unwrap() }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.client.get(self.app.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        Self::page(self.client.post(self.app.url(path)).form(form).send().await.unwrap()).await
    }

    /// Posts a multipart form, as a page's file form is sent.
    pub async fn post_multipart(&self, path: &str, form: reqwest::multipart::Form) -> Page {
        Self::page(self.client.post(self.app.url(path)).multipart(form).send().await.unwrap()).await
    }

    pub async fn sign_in(&self, login: &str) {
        let p = self.post("/login", &[("login", login), ("password", PASSWORD), ("next", "/")]).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    }
}

#[tokio::test]
async fn the_first_person_sets_up_the_server_and_a_workspace_in_the_browser() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/signup"));
    let setup = browser.get("/signup").await;
    assert!(setup.body.contains("Set up hearth"), "{}", setup.body);

    let p = browser
        .post(
            "/signup",
            &[
                ("email", "ada@example.com"),
                ("username", "ada"),
                ("password", PASSWORD),
                ("display_name", "Ada"),
                ("invite_token", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/workspaces/new"));

    let form = browser.get("/workspaces/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = form.csrf();
    let refused = browser.post("/workspaces/new", &[("slug", "acme"), ("name", "Acme")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "no CSRF token, no workspace");
    let bad = browser.post("/workspaces/new", &[("csrf_token", &csrf), ("slug", "Not OK"), ("name", "Acme")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("lowercase letters"), "the form says what is wrong");
    let made = browser.post("/workspaces/new", &[("csrf_token", &csrf), ("slug", "acme"), ("name", "Acme")]).await;
    assert_eq!(made.location.as_deref(), Some("/w/acme"));
    let home = browser.get("/w/acme").await;
    let general = home.location.expect("the workspace opens on a channel");
    let channel = browser.get(&general).await;
    assert_eq!(channel.status, StatusCode::OK);
    assert!(channel.body.contains("<h1>#general</h1>"));
    assert_eq!(browser.get("/").await.location.as_deref(), Some("/w/acme"));
    assert!(
        browser.get("/signup").await.body.contains("needs an invitation"),
        "after set-up, sign-up needs an invitation"
    );
}

#[tokio::test]
async fn an_invitation_link_brings_a_new_person_in_through_the_pages() {
    let app = spawn_app().await;
    app.admin_with_workspace().await;
    let admin = Browser::new(&app);
    admin.sign_in("admin").await;
    let members = admin.get("/w/acme/settings").await;
    let p = admin
        .post(
            "/w/acme/settings/invitations",
            &[("csrf_token", &members.csrf()), ("email", "bea@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/w/acme/settings?done=invited"));
    assert!(admin.get("/w/acme/settings?done=invited").await.body.contains("bea@example.com"), "listed as pending");
    let token = app.invitation_token("bea@example.com").await;

    let bea = Browser::new(&app);
    let landing = bea.get(&format!("/invitations/{token}")).await;
    assert!(landing.body.contains("Join Acme") && landing.body.contains("Create your account"), "{}", landing.body);
    let signup = bea.get(&format!("/signup?invite={token}")).await;
    assert!(signup.body.contains("bea@example.com"), "the address is filled in");
    let p = bea
        .post(
            "/signup",
            &[
                ("email", "bea@example.com"),
                ("username", "bea"),
                ("password", PASSWORD),
                ("display_name", ""),
                ("invite_token", &token),
            ],
        )
        .await;
    assert_eq!(p.location.as_deref(), Some("/w/acme"), "{}", p.body);
    let general = bea.get("/w/acme").await.location.expect("opens on #general");
    assert_eq!(bea.get(&general).await.status, StatusCode::OK);
    let used = Browser::new(&app).get(&format!("/invitations/{token}")).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.body.contains("already been used"));
    assert!(
        used.body.contains("<h1>This invitation has been used</h1>"),
        "the heading says what the text says: {}",
        used.body
    );
    assert!(!used.body.contains("expired"), "{}", used.body);
}

#[tokio::test]
async fn signing_in_shows_errors_redirects_safely_and_refuses_other_origins() {
    let app = spawn_app().await;
    app.signup("ada", None).await;
    let b = Browser::new(&app);
    let wrong = b.post("/login", &[("login", "ada"), ("password", "not the password"), ("next", "/")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("Wrong username, email or password"));
    assert!(wrong.body.contains(r#"value="ada""#), "the login is kept");

    for next in ["//evil.example/x", "/\t/evil.example", "/\\evil.example", "https://evil.example"] {
        let away = b.post("/login", &[("login", "ada"), ("password", PASSWORD), ("next", next)]).await;
        assert_eq!(away.location.as_deref(), Some("/"), "no redirect off the site for {next:?}");
    }
    let home = b.post("/login", &[("login", "ada"), ("password", PASSWORD), ("next", "/settings")]).await;
    assert_eq!(home.location.as_deref(), Some("/settings"));

    let res = b
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("login", "ada"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn pages_that_need_a_session_send_you_to_sign_in_and_back() {
    let app = spawn_app().await;
    app.signup("ada", None).await;
    let b = Browser::new(&app);
    assert_eq!(b.get("/settings").await.location.as_deref(), Some("/login?next=/settings"));
    let login = b.get("/login?next=/settings").await;
    assert!(login.body.contains(r#"name="next" value="/settings""#));
}

#[tokio::test]
async fn the_account_page_manages_profile_tokens_and_sessions() {
    let app = spawn_app().await;
    app.signup("ada", None).await;
    let b = Browser::new(&app);
    b.sign_in("ada").await;
    let page = b.get("/settings").await;
    let csrf = page.csrf();

    let p = b.post("/settings/profile", &[("csrf_token", &csrf), ("display_name", "<script>alert(1)</script>")]).await;
    assert_eq!(p.location.as_deref(), Some("/settings?done=saved"));
    let page = b.get("/settings?done=saved").await;
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "escaped");
    assert!(!page.body.contains("<script>alert(1)"), "never raw");
    assert!(page.body.contains("Saved."));

    let created = b.post("/settings/tokens", &[("csrf_token", &csrf), ("name", "deploy")]).await;
    assert_eq!(created.status, StatusCode::OK);
    let start = created.body.find("hpat_").expect("the new token is shown");
    let token: String =
        created.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    assert!(!b.get("/settings").await.body.contains(&token), "shown once");

    let weak = b
        .post("/settings/password", &[("csrf_token", &csrf), ("current_password", PASSWORD), ("new_password", "short")])
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("at least 8 characters"));

    let out = b.post("/settings/sign-out-everywhere", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/login?done=signed-out"));
    assert_eq!(b.get("/settings").await.location.as_deref(), Some("/login?next=/settings"));
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK, "tokens outlive sessions");
}

#[tokio::test]
async fn members_are_managed_from_the_members_page() {
    let app = spawn_app().await;
    let admin = app.admin_with_workspace().await;
    let bob = app.join(&admin, "acme", "bob", "member").await;
    let b = Browser::new(&app);
    b.sign_in("admin").await;
    let page = b.get("/w/acme/settings").await;
    assert!(page.body.contains("@bob") && page.body.contains("Deactivate"));
    let csrf = page.csrf();
    let p = b
        .post(&format!("/w/acme/settings/members/{}", bob.id), &[("csrf_token", &csrf), ("deactivated", "true")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(app.get("/api/v1/workspaces/acme", &bob.token).await.0, StatusCode::NOT_FOUND);
    let refused =
        b.post(&format!("/w/acme/settings/members/{}", admin.id), &[("csrf_token", &csrf), ("role", "member")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("at least one owner"));

    let bob_browser = Browser::new(&app);
    bob_browser.sign_in("bob").await;
    let not_found = bob_browser.get("/w/acme").await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    assert!(not_found.body.contains("not a member"));
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_the_pages() {
    let app = spawn_app().await;
    app.signup("ada", None).await;
    let b = Browser::new(&app);
    let p = b.post("/password-reset", &[("email", "ada@example.com")]).await;
    assert_eq!(p.location.as_deref(), Some("/login?done=reset-sent"));
    let link = app.link_in_mail("ada@example.com", "/password-reset/").await;
    let path = link.trim_start_matches(&app.state.public_url).to_owned();
    assert!(b.get(&path).await.body.contains("Choose a new password"));
    let p = b.post(&path, &[("password", "a fresh long passphrase")]).await;
    assert_eq!(p.location.as_deref(), Some("/login?done=reset"));
    assert_eq!(b.get(&path).await.status, StatusCode::GONE, "used up");
    let p = b.post("/login", &[("login", "ada"), ("password", "a fresh long passphrase"), ("next", "/")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn static_files_are_served_under_their_hash() {
    let app = spawn_app().await;
    let login = Browser::new(&app).get("/login").await;
    let marker = "<link rel=\"stylesheet\" href=\"";
    let start = login.body.find(marker).unwrap() + marker.len();
    let path: String = login.body[start..].chars().take_while(|c| *c != '"').collect();
    assert!(path.starts_with("/static/") && path.ends_with("/app.css"), "{path}");
    let res = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(res.text().await.unwrap().contains(".sidebar"));
    // A tab of an earlier release still gets today's file, but not to keep.
    let old = path.replace(path.split('/').nth(2).unwrap(), "0123456789ab");
    let res = app.client.get(app.url(&old)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-cache");
    assert_eq!(app.client.get(app.url("/static/x/nothing.js")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Installable: a manifest with the app's name, colour and icon.
    let marker = "<link rel=\"manifest\" href=\"";
    let start = login.body.find(marker).unwrap() + marker.len();
    let manifest: String = login.body[start..].chars().take_while(|c| *c != '"').collect();
    let res = app.client.get(app.url(&manifest)).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/manifest+json");
    let m: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (m["name"].as_str(), m["display"].as_str(), m["start_url"].as_str()),
        (Some("hearth"), Some("standalone"), Some("/"))
    );
    assert!(
        login.body.contains(&format!("<meta name=\"theme-color\" content=\"{}\">", m["theme_color"].as_str().unwrap()))
    );
    let icon = m["icons"][0]["src"].as_str().unwrap();
    let res = app.client.get(app.url(icon)).send().await.unwrap();
    assert_eq!((res.status(), res.headers()["content-type"].to_str().unwrap()), (StatusCode::OK, "image/svg+xml"));
}
