//! Text shown on one line or beside the composer: a channel's topic rendered inline, and
//! the formatting the composer's hint names, both held to the message renderer.

use super::{MessageText, Resolved, render};

/// The formatting the composer's hint names: as typed, and the tag it becomes. A test keeps
/// the hint true to the renderer.
pub const FORMATTING_HINT: [(&str, &str); 4] =
    [("**bold**", "strong"), ("_italic_", "em"), ("~~strike~~", "del"), ("`code`", "code")];

/// A channel topic as HTML: emoji shortcodes replaced and links made, on one line; raw
/// HTML stays text. Empty for an empty topic.
pub fn render_topic(topic: &str, workspace: &str) -> String {
    // A topic is one line of text: what would begin a list, a quote or a heading is a
    // character like any other.
    let topic = topic.trim_start();
    let digits = topic.len() - topic.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let topic = if topic.starts_with(['-', '*', '+', '>', '#', '=', '`', '~']) {
        format!("\\{topic}")
    } else if digits > 0 && topic[digits..].starts_with(['.', ')']) {
        format!("{}\\{}", &topic[..digits], &topic[digits..])
    } else {
        topic.to_owned()
    };
    let Ok(text) = MessageText::parse(&topic, usize::MAX) else { return String::new() };
    let names = Resolved { workspace: workspace.to_owned(), ..Resolved::default() };
    let html = render(&text, &names);
    let html = html.trim();
    html.strip_prefix("<p>").and_then(|h| h.strip_suffix("</p>")).unwrap_or(html).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MessageText {
        MessageText::parse(s, 40_000).unwrap()
    }

    #[test]
    fn the_composer_hint_says_what_the_renderer_does() {
        for (typed, tag) in FORMATTING_HINT {
            let html = render(&text(typed), &Resolved::default());
            assert!(html.contains(&format!("<{tag}>")), "{typed} renders as <{tag}>: {html}");
        }
    }

    #[test]
    fn a_topic_shows_emoji_and_links_on_one_line() {
        let html = render_topic("Launch :rocket: see https://example.com/plan <b>now</b>", "acme");
        assert!(
            html.starts_with(
                "Launch <span class=\"emoji\" title=\":rocket:\">🚀</span> see <a href=\"https://example.com/plan\""
            ),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;now&lt;/b&gt;"), "raw HTML stays text: {html}");
        assert!(!html.contains("<p>"), "{html}");
        assert_eq!(render_topic("", "acme"), "");
        for (topic, shown) in [
            ("- not a list", "- not a list"),
            ("> no quote", "&gt; no quote"),
            ("1. first", "1. first"),
            ("# plain", "# plain"),
        ] {
            assert_eq!(render_topic(topic, "acme"), shown, "{topic}");
        }
    }
}
