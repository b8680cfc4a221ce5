//! The search results page.

use askama::Template;

use super::pages::Layout;
use crate::app::search::Found;

/// One result as the page shows it.
#[derive(Debug, Clone)]
pub struct ResultView {
    /// The message in its channel (a reply: in its thread), highlighted there.
    pub href: String,
    pub channel_href: String,
    pub channel_label: String,
    pub author: String,
    pub at: String,
    pub at_text: String,
    pub in_thread: bool,
    /// Escaped text with `<mark>`s: safe to show as HTML.
    pub highlight: String,
}

impl ResultView {
    pub fn new(found: &Found, ws: &str, channel_label: String) -> ResultView {
        let m = &found.message;
        ResultView {
            href: format!("/w/{ws}/c/{}/m/{}#m{}", m.channel_id, m.id, m.id),
            channel_href: format!("/w/{ws}/c/{}", m.channel_id),
            channel_label,
            // An integration's message is shown as the integration, never as the member behind it.
            author: m.bot.as_ref().map_or_else(|| m.user.display_name.clone(), |b| format!("{} (app)", b.name)),
            at: m.created_at.0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
            at_text: m.created_at.0.format("%b %-d, %Y %H:%M").to_string(),
            in_thread: m.thread_root_id.is_some(),
            highlight: found.highlight.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    pub ws: String,
    pub q: String,
    pub by_date: bool,
    pub results: Vec<ResultView>,
    pub total: usize,
    pub notes: Vec<String>,
    /// The link to the next page, if there is one.
    pub more: Option<String>,
}
