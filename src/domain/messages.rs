//! Message text: its limits, the mentions and channel links in it, and its rendering from
//! a `CommonMark` subset to sanitised, viewer-independent HTML.

use super::Code;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use super::Invalid;

/// The text of a message, within the size limit and not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<MessageText, Invalid> {
        let text = raw.trim_end();
        let text = text.trim_start_matches(['\n', '\r']);
        if text.trim().is_empty() {
            return Err(Invalid::new(Code::EmptyMessage, "A message needs some text."));
        }
        let chars = text.chars().count();
        if chars > max_chars {
            return Err(Invalid::new(
                Code::TextTooLong,
                format!("A message can be at most {max_chars} characters long; this one has {chars}."),
            ));
        }
        Ok(MessageText(text.to_owned()))
    }

    /// The text of a message that shares files: it may be empty.
    pub fn parse_beside_files(raw: &str, max_chars: usize) -> Result<MessageText, Invalid> {
        if raw.trim().is_empty() {
            return Ok(MessageText(String::new()));
        }
        MessageText::parse(raw, max_chars)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The broadcast mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Broadcast {
    Channel,
    Here,
    Everyone,
}

/// What a message's text refers to, before the names are looked up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    pub usernames: BTreeSet<String>,
    pub channels: BTreeSet<String>,
    pub broadcasts: BTreeSet<Broadcast>,
}

/// Names resolved at post time: which usernames and channel names exist (and may be
/// linked), so that the rendered HTML is the same for every viewer.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    pub users: HashMap<String, i64>,
    pub channels: HashMap<String, i64>,
    /// The workspace slug, for channel links.
    pub workspace: String,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
}

fn is_channel_char(c: char) -> bool {
    (c.is_alphanumeric() && !c.is_uppercase()) || matches!(c, '-' | '_')
}

/// A piece of plain text: literal text, or a reference found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Url(&'a str),
    User(&'a str),
    Channel(&'a str),
    Emoji(&'static str, &'a str),
}

/// Splits plain text into literal runs and references: URLs, `@user`, `#channel` and
/// `:emoji:`. A sigil counts only at the start or after a character that is not part of a
/// word, so `bob@example.com` mentions nobody.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    for span in finder.spans(text) {
        match span.kind() {
            Some(linkify::LinkKind::Url) => out.push(Piece::Url(span.as_str())),
            _ => words(span.as_str(), &mut out),
        }
    }
    out
}

fn words<'a>(text: &'a str, out: &mut Vec<Piece<'a>>) {
    let mut literal_start = 0;
    let mut i = 0;
    while i < text.len() {
        let c = text[i..].chars().next().unwrap_or(' ');
        let boundary = i == 0 || !text[..i].chars().next_back().is_some_and(|p| p.is_alphanumeric() || p == '_');
        let found = match c {
            '@' | '#' if boundary => {
                let rest = &text[i + 1..];
                let len = match c {
                    '@' => rest.find(|ch: char| !is_name_char(ch)).unwrap_or(rest.len()),
                    _ => rest.find(|ch: char| !is_channel_char(ch)).unwrap_or(rest.len()),
                };
                // A sentence may end right after a name: "thanks @bob."
                let name = rest[..len].trim_end_matches(['.', '-']);
                (!name.is_empty()).then(|| {
                    let piece = if c == '@' { Piece::User(name) } else { Piece::Channel(name) };
                    (piece, 1 + name.len())
                })
            }
            ':' => {
                let rest = &text[i + 1..];
                rest.find(':').and_then(|end| {
                    let code = &rest[..end];
                    let valid = !code.is_empty()
                        && code.len() <= 64
                        && code.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '+' | '-'));
                    valid
                        .then(|| emojis::get_by_shortcode(code))
                        .flatten()
                        .map(|e| (Piece::Emoji(e.as_str(), code), end + 2))
                })
            }
            _ => None,
        };
        match found {
            Some((piece, len)) => {
                if literal_start < i {
                    out.push(Piece::Text(&text[literal_start..i]));
                }
                out.push(piece);
                i += len;
                literal_start = i;
            }
            None => i += c.len_utf8(),
        }
    }
    if literal_start < text.len() {
        out.push(Piece::Text(&text[literal_start..]));
    }
}

fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH)
}

/// The usernames, channel names and broadcasts a text mentions (not those in code).
pub fn references(text: &MessageText) -> References {
    let mut refs = References::default();
    let mut in_code = 0usize;
    for event in parser(text.as_str()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            Event::Text(t) if in_code == 0 => {
                for piece in pieces(&t) {
                    match piece {
                        Piece::User("channel") => {
                            refs.broadcasts.insert(Broadcast::Channel);
                        }
                        Piece::User("here") => {
                            refs.broadcasts.insert(Broadcast::Here);
                        }
                        Piece::User("everyone") => {
                            refs.broadcasts.insert(Broadcast::Everyone);
                        }
                        Piece::User(name) => {
                            refs.usernames.insert(name.to_owned());
                        }
                        Piece::Channel(name) => {
                            refs.channels.insert(name.to_owned());
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    refs
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Appends `text` to `out` escaped for HTML text and attribute values.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Renders message text to HTML: emphasis, code, fenced code blocks, quotes, lists and
/// links; raw HTML shown as text; bare URLs linked; `:emoji:` replaced; resolved mentions and
/// channel links marked up. The result is sanitised, so whatever the input, only the
/// allowed tags, attributes and URL schemes remain.
pub fn render(text: &MessageText, names: &Resolved) -> String {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut in_code = 0usize;
    let mut in_link = 0usize;
    for event in parser(text.as_str()) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code += 1;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = in_code.saturating_sub(1);
                events.push(event);
            }
            Event::Start(Tag::Link { .. }) => {
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(event);
            }
            // Raw HTML is off: it shows as the text it is.
            Event::Html(h) | Event::InlineHtml(h) => events.push(Event::Text(h)),
            // Headings are not part of chat formatting: their text stays, emphasised.
            Event::Start(Tag::Heading { .. }) => {
                events.push(Event::Start(Tag::Paragraph));
                events.push(Event::Start(Tag::Strong));
            }
            Event::End(TagEnd::Heading(_)) => {
                events.push(Event::End(TagEnd::Strong));
                events.push(Event::End(TagEnd::Paragraph));
            }
            Event::Text(t) if in_code == 0 => {
                let mut html = String::new();
                for piece in pieces(&t) {
                    // Writing to a String cannot fail.
                    let _ = match piece {
                        Piece::Text(s) => write!(html, "{}", escape(s)),
                        Piece::Url(u) if in_link == 0 => {
                            let u = escape(u);
                            write!(html, r#"<a href="{u}">{u}</a>"#)
                        }
                        Piece::Url(u) => write!(html, "{}", escape(u)),
                        Piece::Emoji(e, code) => {
                            write!(html, r#"<span class="emoji" title=":{}:">{e}</span>"#, escape(code))
                        }
                        Piece::User(name) if matches!(name, "channel" | "here" | "everyone") => {
                            write!(html, r#"<span class="mention mention-broadcast">@{name}</span>"#)
                        }
                        Piece::User(name) => match names.users.get(name) {
                            Some(id) => {
                                write!(html, r#"<span class="mention" data-user-id="{id}">@{}</span>"#, escape(name))
                            }
                            None => write!(html, "{}", escape(&format!("@{name}"))),
                        },
                        Piece::Channel(name) => match names.channels.get(name) {
                            Some(id) if in_link == 0 => write!(
                                html,
                                r#"<a class="channel-link" href="/w/{}/c/{id}">#{}</a>"#,
                                escape(&names.workspace),
                                escape(name)
                            ),
                            _ => write!(html, "{}", escape(&format!("#{name}"))),
                        },
                    };
                }
                events.push(Event::InlineHtml(CowStr::from(html)));
            }
            other => events.push(other),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitize(&html)
}

/// The one allow-list every rendered message passes through.
fn sanitize(html: &str) -> String {
    use std::collections::{HashMap as Map, HashSet as Set};
    let tags: Set<&str> =
        ["p", "br", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span", "hr"].into();
    let mut tag_attributes: Map<&str, Set<&str>> = Map::new();
    tag_attributes.insert("a", ["href"].into());
    tag_attributes.insert("span", ["data-user-id", "title"].into());
    tag_attributes.insert("ol", ["start"].into());
    let mut classes: Map<&str, Set<&str>> = Map::new();
    classes.insert("span", ["mention", "mention-broadcast", "emoji"].into());
    classes.insert("a", ["channel-link"].into());
    classes.insert("code", ["language-rust", "language-js", "language-python", "language-sh", "language-json"].into());
    ammonia::Builder::new()
        .tags(tags)
        .tag_attributes(tag_attributes)
        .allowed_classes(classes)
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(html)
        .to_string()
}

pub use super::emoji::{emoji_glyph, parse_emoji};

mod inline;

pub use inline::{FORMATTING_HINT, render_topic};

/// The most different emoji one person may put on a message, and on a message in all:
/// every reaction event carries the whole message, so a flood of them costs every member.
pub const MAX_REACTIONS_PER_PERSON: usize = 50;
pub const MAX_EMOJI_PER_MESSAGE: usize = 200;

/// May someone add `emoji` to a message that has the emoji `on_message` (each once), of
/// which `mine` are theirs? Adding one they already have is no change, and always allowed.
pub fn may_add_reaction(emoji: &str, on_message: &[String], mine: &[String]) -> Result<(), Invalid> {
    if mine.iter().any(|e| e == emoji) {
        return Ok(());
    }
    if mine.len() >= MAX_REACTIONS_PER_PERSON {
        return Err(Invalid::new(
            Code::TooManyReactions,
            format!("You can react to a message with at most {MAX_REACTIONS_PER_PERSON} different emoji."),
        ));
    }
    if !on_message.iter().any(|e| e == emoji) && on_message.len() >= MAX_EMOJI_PER_MESSAGE {
        return Err(Invalid::new(
            Code::TooManyReactions,
            format!("A message can carry at most {MAX_EMOJI_PER_MESSAGE} different emoji."),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MessageText {
        MessageText::parse(s, 40_000).unwrap()
    }

    fn names() -> Resolved {
        Resolved {
            users: HashMap::from([("alice".to_owned(), 7)]),
            channels: HashMap::from([("general".to_owned(), 3)]),
            workspace: "acme".into(),
        }
    }

    #[test]
    fn blank_and_oversized_texts_are_refused() {
        assert_eq!(MessageText::parse("  \n\t ", 100).unwrap_err().code, Code::EmptyMessage);
        assert_eq!(MessageText::parse(&"x".repeat(101), 100).unwrap_err().code, Code::TextTooLong);
        assert_eq!(MessageText::parse("  indented\n\n", 100).unwrap().as_str(), "  indented");
    }

    #[test]
    fn references_skip_code_and_emails() {
        let refs = references(&text(
            "hi @alice and @bob.\nsee #general, mail bob@example.com `@carol` @here\n```\n@dave\n```",
        ));
        assert_eq!(refs.usernames, ["alice", "bob"].map(String::from).into());
        assert_eq!(refs.channels, ["general"].map(String::from).into());
        assert_eq!(refs.broadcasts, [Broadcast::Here].into());
    }

    #[test]
    fn markdown_mentions_links_and_emoji_render() {
        let html = render(
            &text("**bold** _it_ ~~old~~ `code` :tada: @alice @nobody #general #nowhere https://example.com/x?a=1&b=2"),
            &names(),
        );
        assert!(html.contains("<strong>bold</strong>"), "{html}");
        assert!(
            html.contains("<em>it</em>") && html.contains("<del>old</del>") && html.contains("<code>code</code>"),
            "{html}"
        );
        assert!(html.contains("🎉"), "{html}");
        assert!(html.contains(r#"<span class="mention" data-user-id="7">@alice</span>"#), "{html}");
        assert!(html.contains("@nobody") && !html.contains(r#"data-user-id="0""#), "{html}");
        assert!(
            html.contains(
                r#"<a class="channel-link" href="/w/acme/c/3" rel="noopener noreferrer nofollow">#general</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("#nowhere"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.com/x?a=1&amp;b=2" rel="noopener noreferrer nofollow">"#),
            "{html}"
        );
        assert!(render(&text(":not_an_emoji_at_all:"), &names()).contains(":not_an_emoji_at_all:"));
    }

    #[test]
    fn hostile_input_is_neutralised() {
        let cases = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<div onclick=\"alert(1)\">x",
            "<iframe src=//evil></iframe>",
            "![img](https://evil.example/x.png)",
            "<p style=\"x\" onmouseover=alert(1)>broken",
            "<scr<script>ipt>alert(1)</script>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
        ];
        for input in cases {
            let html = render(&text(input), &names());
            for tag in tags(&html) {
                let name: String =
                    tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
                assert!(
                    ["p", "a", "br", "em", "strong", "code", "pre", "span"].contains(&name.as_str()),
                    "{input:?} made <{tag}>"
                );
                let attrs = tag.to_lowercase();
                assert!(!attrs.contains(" on") && !attrs.contains("style="), "{input:?} made <{tag}>");
                assert!(!attrs.contains("javascript:") && !attrs.contains("data:"), "{input:?} made <{tag}>");
            }
        }
    }

    /// The insides of the tags of some HTML: `a href="…"`.
    fn tags(html: &str) -> Vec<&str> {
        html.split('<').skip(1).filter_map(|t| t.split('>').next()).collect()
    }

    #[test]
    fn deep_nesting_renders_without_trouble() {
        let quotes = format!("{}deep", "> ".repeat(5_000));
        let lists = format!("{}item", "- ".repeat(5_000));
        for input in [quotes, lists] {
            let html = render(&text(&input), &names());
            assert!(html.len() < input.len() * 20, "bounded output");
        }
    }

    #[test]
    fn reactions_are_capped_per_person_and_per_message() {
        let names = |n: usize, prefix: &str| (0..n).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>();
        let full_mine = names(MAX_REACTIONS_PER_PERSON, "e");
        assert!(may_add_reaction("new", &full_mine, &full_mine).is_err(), "50 of one's own");
        assert!(may_add_reaction("e3", &full_mine, &full_mine).is_ok(), "one already there is no change");
        let crowded = names(MAX_EMOJI_PER_MESSAGE, "e");
        assert!(may_add_reaction("new", &crowded, &[]).is_err(), "200 on the message");
        assert!(may_add_reaction("e7", &crowded, &[]).is_ok(), "joining an emoji already there adds none");
        assert!(may_add_reaction("new", &names(3, "e"), &[]).is_ok());
    }

    #[test]
    fn emoji_reactions_are_normalised_to_shortcodes() {
        assert_eq!(parse_emoji(":tada:").unwrap(), "tada");
        assert_eq!(parse_emoji("tada").unwrap(), "tada");
        assert_eq!(parse_emoji("🎉").unwrap(), "tada");
        assert_eq!(parse_emoji("not-an-emoji").unwrap_err().code, Code::InvalidEmoji);
    }

    #[test]
    fn fenced_code_keeps_its_text() {
        let html = render(&text("```\n<b>@alice</b> :tada:\n```"), &names());
        assert!(html.contains("<pre><code>&lt;b&gt;@alice&lt;/b&gt; :tada:"), "{html}");
    }
}
