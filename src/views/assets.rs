//! Static files compiled into the binary and served under one content hash of them all,
//! `/static/<hash>/<name>`, so browsers may cache them forever, a new release is fetched at
//! once, and the scripts' relative imports (`./picker.js`) find their files (a tab left open
//! over an upgrade gets today's, uncached).

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The stylesheet.
pub const APP_CSS: &str = include_str!("../../static/app.css");
/// The script that makes pages live; every page works without it.
pub const APP_JS: &str = include_str!("../../static/app.js");

/// Every file by name, with its media type. `emoji.json` is made from the emoji table the
/// server renders with, so the picker offers exactly what messages show.
const FILES: [(&str, &str, &str); 10] = [
    ("theme.js", include_str!("../../static/theme.js"), "text/javascript; charset=utf-8"),
    ("app.css", APP_CSS, "text/css; charset=utf-8"),
    ("app.js", APP_JS, "text/javascript; charset=utf-8"),
    ("actions.js", include_str!("../../static/actions.js"), "text/javascript; charset=utf-8"),
    ("files.js", include_str!("../../static/files.js"), "text/javascript; charset=utf-8"),
    ("navigation.js", include_str!("../../static/navigation.js"), "text/javascript; charset=utf-8"),
    ("people.js", include_str!("../../static/people.js"), "text/javascript; charset=utf-8"),
    ("picker.js", include_str!("../../static/picker.js"), "text/javascript; charset=utf-8"),
    ("switcher.js", include_str!("../../static/switcher.js"), "text/javascript; charset=utf-8"),
    ("icons.svg", include_str!("../../static/icons.svg"), "image/svg+xml"),
];

fn emoji_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| crate::domain::emoji::emoji_catalogue().to_string())
}

/// The web app manifest: installable, with the app's colour and icon.
fn manifest() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        serde_json::json!({
            "name": "hearth",
            "short_name": "hearth",
            "description": "Team chat",
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOR,
            "icons": [{ "src": path("icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any maskable" }],
        })
        .to_string()
    })
}

/// The app's colour, for the browser's chrome and the installed app.
pub const THEME_COLOR: &str = "#3f0e40";

/// The app's icon: a flame on its colour.
const ICON: &str = concat!(
    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="96" fill="#3f0e40"/>"##,
    r##"<path d="M256 96c24 72 112 120 112 216a112 112 0 0 1-224 0c0-56 32-88 56-120 8 40 24 56 48 64-16-64 0-112 8-160z" fill="#f2a541"/>"##,
    r##"<path d="M256 280c16 24 48 40 48 80a48 48 0 0 1-96 0c0-24 16-40 24-56 8 16 16 20 24 24z" fill="#fff3d6"/></svg>"##
);

/// The style rule that marks a viewer's own messages, reactions and mentions (served per
/// person at `/viewer/<id>.css`; `{id}` is their id).
pub const VIEWER_CSS: &str = ".msg[data-author=\"{id}\"] .own{display:inline} \
     .mention[data-user-id=\"{id}\"]{background:var(--mention-me-bg);color:var(--mention-me-fg)} \
     .reaction[data-users~=\"{id}\"]{background:var(--reaction-mine-bg);border-color:var(--accent)}\n";

/// The viewer's style rule for the person `id`.
pub fn viewer_css(id: i64) -> String {
    VIEWER_CSS.replace("{id}", &id.to_string())
}

/// One hash over every file (and over this module, which makes the manifest, the icon and
/// the viewer's rule), so that any change moves them all.
pub fn hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let mut h = Sha256::new();
        for (name, content, _) in FILES {
            h.update(name.as_bytes());
            h.update(content.as_bytes());
        }
        h.update(include_str!("assets.rs").as_bytes());
        h.update(emoji_json().as_bytes());
        h.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
    })
}

/// `/static/<hash>/<name>`
pub fn path(name: &str) -> String {
    format!("/static/{}/{name}", hash())
}

/// `/static/<hash>/app.css`
pub fn css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| path("app.css"))
}

/// `/static/<hash>/app.js`
pub fn js_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| path("app.js"))
}

/// `/static/<hash>/icons.svg`, the sprite the page's icons come from.
pub fn sprite_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| path("icons.svg"))
}

/// Whether a hash names this release's files (which may then be cached forever).
pub fn is_current(hash_given: &str) -> bool {
    hash_given == hash()
}

/// A static file by name: its content and media type.
pub fn file(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "emoji.json" => Some((emoji_json(), "application/json")),
        "manifest.webmanifest" => Some((manifest(), "application/manifest+json")),
        "icon.svg" => Some((ICON, "image/svg+xml")),
        _ => FILES.iter().find(|(n, _, _)| *n == name).map(|(_, content, kind)| (*content, *kind)),
    }
}

/// The paths every page links to besides its stylesheet and script.
#[derive(Debug, Clone)]
pub struct PageAssets {
    /// The release's hash, for files served apart from `/static` (the viewer's rule).
    pub version: &'static str,
    pub sprite: &'static str,
    pub manifest: &'static str,
    pub icon: &'static str,
    pub theme_js: &'static str,
    pub theme_color: &'static str,
}

impl Default for PageAssets {
    fn default() -> Self {
        static PATHS: OnceLock<[String; 3]> = OnceLock::new();
        let [manifest, icon, theme_js] =
            PATHS.get_or_init(|| [path("manifest.webmanifest"), path("icon.svg"), path("theme.js")]);
        PageAssets { version: hash(), sprite: sprite_path(), manifest, icon, theme_js, theme_color: THEME_COLOR }
    }
}
