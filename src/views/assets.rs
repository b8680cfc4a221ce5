//! Static files compiled into the binary and served under a content hash, so browsers may
//! cache them forever and a new release is fetched at once.

use std::sync::OnceLock;

use sha2::{Digest, Sha256};

/// The stylesheet.
pub const APP_CSS: &str = include_str!("../../static/app.css");
/// The script that makes pages live; every page works without it.
pub const APP_JS: &str = include_str!("../../static/app.js");

fn short_hash(content: &str) -> String {
    Sha256::digest(content.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// `/static/<hash>/app.css`
pub fn css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| format!("/static/{}/app.css", short_hash(APP_CSS)))
}

/// `/static/<hash>/app.js`
pub fn js_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| format!("/static/{}/app.js", short_hash(APP_JS)))
}

/// A static file by name: its content and media type.
pub fn file(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "app.css" => Some((APP_CSS, "text/css; charset=utf-8")),
        "app.js" => Some((APP_JS, "text/javascript; charset=utf-8")),
        _ => None,
    }
}
