//! Reading attachments and blocks from the JSON senders write: leniently (numbers for
//! strings, booleans in every spelling, unknown block types skipped) and bounded (texts
//! capped, fields and elements counted, rich text nested only so deep).

use std::fmt::Write as _;

use serde_json::Value;

use super::cards::{
    Attachment, Block, ContextPart, Field, Image, Inline, MAX_DEPTH, MAX_ELEMENTS, MAX_FIELDS, MAX_TEXT,
};
use super::{SlackId, boolean, parse_id};

/// `attachments` or `blocks` as sent: an array, or (from form bodies) a JSON string of one.
pub(super) fn array<'a>(value: &'a Value, parsed: &'a mut Option<Value>) -> Result<Option<&'a [Value]>, String> {
    match value {
        Value::Null => Ok(None),
        Value::Array(items) => Ok(Some(items)),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => {
            let v: Value = serde_json::from_str(s).map_err(|e| format!("is a string that is not JSON: {e}"))?;
            match parsed.insert(v) {
                Value::Array(items) => Ok(Some(items)),
                _ => Err("must be an array".to_owned()),
            }
        }
        _ => Err("must be an array".to_owned()),
    }
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// A string field: strings as they are, numbers and booleans written out, anything else
/// nothing; capped in length.
fn string(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => truncate(s, MAX_TEXT),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn nonempty(v: Option<&Value>) -> Option<String> {
    Some(string(v)).filter(|s| !s.trim().is_empty())
}

/// An address shown as a link: http(s) only.
fn url(v: Option<&Value>) -> Option<String> {
    let s = nonempty(v)?;
    let s = s.trim();
    let scheme = s.split_once(':')?.0.to_ascii_lowercase();
    (matches!(scheme.as_str(), "http" | "https") && s.len() <= 2000 && !s.contains(char::is_whitespace))
        .then(|| s.to_owned())
}

type Object = serde_json::Map<String, Value>;

pub(super) fn attachment(o: &Object) -> Attachment {
    // `mrkdwn_in` names the fields Slack formats; Mattermost formats all. Formatting them
    // all reads right for both.
    let md = |key: &str| nonempty(o.get(key)).map(Inline::Markdown);
    let all_fields: Vec<&Object> = o
        .get("fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let fields = all_fields
        .iter()
        .take(MAX_FIELDS)
        .map(|f| Field {
            title: string(f.get("title")),
            value: nonempty(f.get("value")).map(Inline::Markdown),
            short: f.get("short").and_then(boolean).unwrap_or(false),
        })
        .collect();
    let ts = match o.get("ts") {
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.to_string().split('.').next().and_then(|s| s.parse().ok())),
        Some(Value::String(s)) => s.split('.').next().and_then(|s| s.parse().ok()),
        _ => None,
    };
    Attachment {
        fallback: string(o.get("fallback")),
        color: nonempty(o.get("color")),
        pretext: md("pretext"),
        author_name: string(o.get("author_name")),
        author_link: url(o.get("author_link")),
        title: string(o.get("title")),
        title_link: url(o.get("title_link")),
        text: md("text"),
        fields,
        more_fields: all_fields.len().saturating_sub(MAX_FIELDS),
        image_url: url(o.get("image_url")),
        thumb_url: url(o.get("thumb_url")),
        footer: string(o.get("footer")),
        ts,
    }
}

/// A Block Kit text object.
fn text_object(v: Option<&Value>) -> Option<Inline> {
    let o = v?.as_object()?;
    let text = nonempty(o.get("text"))?;
    Some(match o.get("type").and_then(Value::as_str) {
        Some("plain_text") => Inline::Plain(text),
        _ => Inline::Markdown(text),
    })
}

fn image(o: &Object) -> Option<Image> {
    Some(Image { url: url(o.get("image_url"))?, alt: string(o.get("alt_text")), title: plain(o.get("title")) })
}

/// A plain text object's text, or a bare string.
fn plain(v: Option<&Value>) -> String {
    match v {
        Some(Value::Object(o)) => string(o.get("text")),
        other => string(other),
    }
}

/// A block, or `None` for a type hearth does not show (its message's `text` stands in).
pub(super) fn block(o: &Object) -> Option<Block> {
    match o.get("type").and_then(Value::as_str)? {
        "section" => {
            let fields: Vec<Inline> = o
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| f.iter().take(MAX_FIELDS).filter_map(|v| text_object(Some(v))).collect())
                .unwrap_or_default();
            let accessory = o.get("accessory").and_then(Value::as_object);
            let image = accessory.filter(|a| a.get("type").and_then(Value::as_str) == Some("image")).and_then(image);
            let text = text_object(o.get("text"));
            (text.is_some() || !fields.is_empty()).then_some(Block::Section { text, fields, image })
        }
        "header" => {
            Some(Block::Header(plain(o.get("text")))).filter(|b| !matches!(b, Block::Header(t) if t.is_empty()))
        }
        "divider" => Some(Block::Divider),
        "context" => {
            let parts: Vec<ContextPart> = o
                .get("elements")
                .and_then(Value::as_array)
                .map(|els| {
                    els.iter()
                        .take(MAX_ELEMENTS)
                        .filter_map(Value::as_object)
                        .filter_map(|e| match e.get("type").and_then(Value::as_str) {
                            Some("image") => image(e).map(ContextPart::Image),
                            _ => text_object(Some(&Value::Object(e.clone()))).map(ContextPart::Text),
                        })
                        .collect()
                })
                .unwrap_or_default();
            (!parts.is_empty()).then_some(Block::Context(parts))
        }
        "image" => image(o).map(Block::Image),
        "rich_text" => {
            let mut md = String::new();
            rich_elements(o.get("elements"), 0, &mut md);
            let md = md.trim_end().to_owned();
            (!md.is_empty()).then_some(Block::RichText(Inline::Markdown(md)))
        }
        _ => None,
    }
}

/// Rich text containers (`rich_text_section`, `_list`, `_quote`, `_preformatted`) written
/// as Slack `mrkdwn`, which is then translated like any other text.
fn rich_elements(v: Option<&Value>, depth: usize, out: &mut String) {
    let Some(elements) = v.and_then(Value::as_array) else {
        return;
    };
    if depth > MAX_DEPTH {
        return;
    }
    for e in elements.iter().take(MAX_ELEMENTS).filter_map(Value::as_object) {
        match e.get("type").and_then(Value::as_str) {
            Some("rich_text_section") => {
                rich_inline(e.get("elements"), out);
                out.push('\n');
            }
            Some("rich_text_preformatted") => {
                out.push_str("```");
                rich_inline(e.get("elements"), out);
                out.push_str("```\n");
            }
            Some("rich_text_quote") => {
                let mut inner = String::new();
                rich_inline(e.get("elements"), &mut inner);
                for line in inner.lines() {
                    out.push_str("> ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            Some("rich_text_list") => {
                let ordered = e.get("style").and_then(Value::as_str) == Some("ordered");
                let indent = e
                    .get("indent")
                    .and_then(Value::as_u64)
                    .map_or(0, |i| usize::try_from(i).unwrap_or(MAX_DEPTH).min(MAX_DEPTH));
                let items = e.get("elements").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                for (n, item) in items.iter().take(MAX_ELEMENTS).enumerate() {
                    out.push_str(&"   ".repeat(indent));
                    if ordered {
                        let _ = write!(out, "{}. ", n + 1);
                    } else {
                        out.push_str("- ");
                    }
                    let mut line = String::new();
                    rich_inline(item.get("elements"), &mut line);
                    out.push_str(line.trim_end());
                    out.push('\n');
                }
                out.push('\n');
            }
            _ => {}
        }
        if out.chars().count() > MAX_TEXT {
            return;
        }
    }
}

/// The inline elements of a rich text section, as `mrkdwn`.
fn rich_inline(v: Option<&Value>, out: &mut String) {
    let Some(elements) = v.and_then(Value::as_array) else {
        return;
    };
    for e in elements.iter().take(MAX_ELEMENTS).filter_map(Value::as_object) {
        let style = e.get("style").and_then(Value::as_object);
        let on = |k: &str| style.and_then(|s| s.get(k)).and_then(boolean).unwrap_or(false);
        let text = match e.get("type").and_then(Value::as_str) {
            Some("text") => escape_mrkdwn(&string(e.get("text"))),
            Some("link") => {
                let Some(href) = url(e.get("url")) else { continue };
                match nonempty(e.get("text")) {
                    Some(label) => format!("<{href}|{}>", escape_mrkdwn(&label).replace('|', "/")),
                    None => format!("<{href}>"),
                }
            }
            Some("user") => match e.get("user_id").and_then(Value::as_str) {
                Some(id) if parse_id(id, SlackId::USER_PREFIXES).is_some() => format!("<@{id}>"),
                _ => continue,
            },
            Some("channel") => match e.get("channel_id").and_then(Value::as_str) {
                Some(id) if parse_id(id, SlackId::CHANNEL_PREFIXES).is_some() => format!("<#{id}>"),
                _ => continue,
            },
            Some("broadcast") => match e.get("range").and_then(Value::as_str) {
                Some(r @ ("here" | "channel" | "everyone")) => format!("<!{r}>"),
                _ => continue,
            },
            Some("emoji") => match e.get("name").and_then(Value::as_str) {
                Some(name) if name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-')) => {
                    format!(":{name}:")
                }
                _ => continue,
            },
            _ => continue,
        };
        if text.is_empty() {
            continue;
        }
        let (lead, body, trail) = split_space(&text);
        out.push_str(lead);
        let marks: String = [("code", "`"), ("bold", "*"), ("italic", "_"), ("strike", "~")]
            .iter()
            .filter(|(k, _)| on(k))
            .map(|(_, m)| *m)
            .collect();
        out.push_str(&marks);
        out.push_str(body);
        out.extend(marks.chars().rev());
        out.push_str(trail);
    }
}

/// Emphasis marks must hug their text: leading and trailing spaces go outside them.
fn split_space(s: &str) -> (&str, &str, &str) {
    let body = s.trim();
    let lead = &s[..s.len() - s.trim_start().len()];
    let trail = &s[s.trim_end().len()..];
    if body.is_empty() { (s, "", "") } else { (lead, body, trail) }
}

/// Text from rich text elements is literal: Slack's escapes keep it from being read as
/// markup when it is translated.
fn escape_mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
