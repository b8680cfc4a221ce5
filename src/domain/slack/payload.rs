//! An incoming webhook's payload, as Slack's and Mattermost's senders write it: read from
//! its body (JSON, or a form with `payload=`), checked, and its fields made typed.

use serde_json::Value;

use super::cards::{Cards, CardsError};

/// The longest `username` override shown.
const MAX_USERNAME: usize = 80;
/// Slack's limit for `icon_url`.
const MAX_ICON_URL: usize = 255;

/// Where a payload's `channel` asks the message to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `#name` or a bare name.
    Name(String),
    /// `@username`: a direct message from the hook's creator.
    User(String),
    /// A channel id, `C12`.
    ChannelId(i64),
    /// A user id, `U7`: a direct message too.
    UserId(i64),
}

/// Mattermost's message priority.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Priority {
    pub priority: String,
    #[serde(default)]
    pub requested_ack: bool,
    #[serde(default)]
    pub persistent_notifications: bool,
}

/// A payload, read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incoming {
    /// The message text in Slack `mrkdwn` (or Markdown), possibly empty.
    pub text: String,
    /// `false`: show the text as it is, unformatted.
    pub mrkdwn: bool,
    pub username: Option<String>,
    pub icon_url: Option<String>,
    pub icon_emoji: Option<String>,
    pub channel: Option<Target>,
    /// The `ts` of the thread's root (hearth: its message id, or `seconds.micros`).
    pub thread_ts: Option<String>,
    pub cards: Cards,
    /// Mattermost's `props`, less the keys the server itself sets.
    pub props: Option<serde_json::Map<String, Value>>,
    /// Mattermost's `type` (`custom_…`).
    pub kind: Option<String>,
    pub priority: Option<Priority>,
}

/// Why a payload was refused: the Slack code to answer with, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    InvalidPayload(String),
    NoText,
    TooManyAttachments(usize),
    InvalidBlocks(String),
}

impl PayloadError {
    /// The plain-text code Slack answers with.
    pub fn code(&self) -> &'static str {
        match self {
            PayloadError::InvalidPayload(_) => "invalid_payload",
            PayloadError::NoText => "no_text",
            PayloadError::TooManyAttachments(_) => "too_many_attachments",
            PayloadError::InvalidBlocks(_) => "invalid_blocks",
        }
    }

    pub fn message(&self) -> String {
        match self {
            PayloadError::InvalidPayload(why) => format!("The payload cannot be read: {why}."),
            PayloadError::NoText => "The payload has no text, attachments or blocks to show.".to_owned(),
            PayloadError::TooManyAttachments(n) => {
                format!("A message can carry at most {} attachments; this one has {n}.", super::cards::MAX_ATTACHMENTS)
            }
            PayloadError::InvalidBlocks(why) => format!("The blocks cannot be read: {why}."),
        }
    }
}

/// Keys of Mattermost's `props` that only the server sets.
const RESERVED_PROPS: &[&str] = &[
    "from_webhook",
    "override_username",
    "override_icon_url",
    "override_icon_emoji",
    "webhook_display_name",
    "attachments",
    "from_bot",
    "from_plugin",
];

/// The JSON of a body: a form's `payload` field, or the whole body. Which one is told from
/// the body itself as much as from its declared type, as Slack and Mattermost do: senders
/// are sloppy about `Content-Type`.
pub fn body_json(content_type: &str, body: &[u8]) -> Result<Value, PayloadError> {
    let text = std::str::from_utf8(body).map_err(|_| PayloadError::InvalidPayload("it is not UTF-8".into()))?;
    let trimmed = text.trim_start();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded") || trimmed.starts_with("payload=");
    let json = if is_form && !trimmed.starts_with('{') {
        let payload = form_field(trimmed, "payload")
            .ok_or_else(|| PayloadError::InvalidPayload("a form body needs a payload field holding JSON".into()))?;
        serde_json::from_str(&payload)
    } else {
        serde_json::from_str(trimmed)
    };
    let value: Value = match json {
        Ok(v) => v,
        // Mattermost tolerates raw line breaks and tabs inside strings; so does hearth.
        Err(first) if is_form => return Err(invalid_json(&first)),
        Err(first) => serde_json::from_str(&escape_raw_controls(trimmed)).map_err(|_| invalid_json(&first))?,
    };
    if !value.is_object() {
        return Err(PayloadError::InvalidPayload("it must be a JSON object".into()));
    }
    Ok(value)
}

fn invalid_json(e: &serde_json::Error) -> PayloadError {
    PayloadError::InvalidPayload(format!("it is not valid JSON ({e})"))
}

/// One field of an `application/x-www-form-urlencoded` body, decoded.
fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_form(key)? == name).then(|| decode_form(value)).flatten()
    })
}

fn decode_form(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Raw line breaks and tabs inside JSON strings, escaped.
fn escape_raw_controls(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        match c {
            '\n' if in_string => out.push_str("\\n"),
            '\r' if in_string => out.push_str("\\r"),
            '\t' if in_string => out.push_str("\\t"),
            _ => {
                if in_string && !escaped && c == '"' {
                    in_string = false;
                } else if !in_string && c == '"' {
                    in_string = true;
                }
                escaped = in_string && !escaped && c == '\\';
                out.push(c);
            }
        }
    }
    out
}

fn text_of(v: Option<&Value>, what: &str) -> Result<Option<String>, PayloadError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(Value::Bool(b)) => Ok(Some(b.to_string())),
        Some(_) => Err(PayloadError::InvalidPayload(format!("{what} must be a string"))),
    }
}

fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl Incoming {
    /// The payload as hearth Markdown on its own (for an answer shown to one person): its
    /// text translated from `mrkdwn` (no names looked up), its cards as text after it.
    pub fn as_markdown(&self) -> String {
        let names = super::mrkdwn::Names::default();
        let text = if self.mrkdwn {
            super::mrkdwn::to_markdown(&self.text, &names)
        } else {
            super::mrkdwn::literal(&self.text)
        };
        let cards = self.cards.markdown();
        if cards.is_empty() { text } else { format!("{text}\n\n{cards}") }
    }

    /// Reads a payload object.
    pub fn read(value: &Value) -> Result<Incoming, PayloadError> {
        let o = value.as_object().ok_or_else(|| PayloadError::InvalidPayload("it must be a JSON object".into()))?;
        let cards = Cards::read(o.get("attachments").unwrap_or(&Value::Null), o.get("blocks").unwrap_or(&Value::Null))
            .map_err(|e| match e {
                CardsError::TooManyAttachments(n) => PayloadError::TooManyAttachments(n),
                CardsError::TooManyBlocks(n) => {
                    PayloadError::InvalidBlocks(format!("at most {} blocks, not {n}", super::cards::MAX_BLOCKS))
                }
                CardsError::InvalidAttachments(why) => PayloadError::InvalidPayload(why),
                CardsError::InvalidBlocks(why) => PayloadError::InvalidBlocks(why),
            })?;
        let text = text_of(o.get("text"), "text")?.unwrap_or_default();
        if text.trim().is_empty() && cards.is_empty() {
            return Err(PayloadError::NoText);
        }
        let username = nonblank(text_of(o.get("username"), "username")?)
            .map(|u| u.chars().filter(|c| !super::is_unprintable(*c)).take(MAX_USERNAME).collect());
        let icon_url = nonblank(text_of(o.get("icon_url"), "icon_url")?)
            .filter(|u| u.len() <= MAX_ICON_URL && (u.starts_with("https://") || u.starts_with("http://")));
        let icon_emoji = nonblank(text_of(o.get("icon_emoji"), "icon_emoji")?)
            .map(|e| e.trim_matches(':').to_owned())
            .filter(|e| super::emoji_glyph(e).is_some());
        let channel = nonblank(text_of(o.get("channel"), "channel")?).map(|c| target(&c));
        let thread_ts = nonblank(text_of(o.get("thread_ts"), "thread_ts")?);
        let mrkdwn = o.get("mrkdwn").and_then(super::boolean).unwrap_or(true);
        let props = match o.get("props") {
            None | Some(Value::Null) => None,
            Some(Value::Object(p)) => {
                let mut p = p.clone();
                p.retain(|k, _| !RESERVED_PROPS.contains(&k.as_str()));
                Some(p).filter(|p| !p.is_empty())
            }
            Some(_) => return Err(PayloadError::InvalidPayload("props must be an object".into())),
        };
        let kind = match nonblank(text_of(o.get("type"), "type")?) {
            Some(t) if t.starts_with("system_") => {
                return Err(PayloadError::InvalidPayload(format!("type cannot be a system type ({t})")));
            }
            Some(t) if t.starts_with("custom_") && t.len() <= 64 => Some(t),
            _ => None,
        };
        let priority = match o.get("priority") {
            None | Some(Value::Null) => None,
            Some(p) => {
                let p: Priority = serde_json::from_value(p.clone()).map_err(|_| {
                    PayloadError::InvalidPayload("priority must be an object with a priority field".into())
                })?;
                if !matches!(p.priority.as_str(), "" | "important" | "urgent") {
                    return Err(PayloadError::InvalidPayload("priority must be \"\", important or urgent".into()));
                }
                Some(p).filter(|p| !p.priority.is_empty())
            }
        };
        Ok(Incoming { text, mrkdwn, username, icon_url, icon_emoji, channel, thread_ts, cards, props, kind, priority })
    }
}

fn target(raw: &str) -> Target {
    if let Some(name) = raw.strip_prefix('@') {
        return Target::User(name.to_lowercase());
    }
    if let Some(id) = super::parse_id(raw, super::SlackId::CHANNEL_PREFIXES) {
        return Target::ChannelId(id);
    }
    if let Some(id) = super::parse_id(raw, super::SlackId::USER_PREFIXES) {
        return Target::UserId(id);
    }
    Target::Name(raw.trim_start_matches('#').to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(content_type: &str, body: &str) -> Result<Incoming, PayloadError> {
        Incoming::read(&body_json(content_type, body.as_bytes())?)
    }

    #[test]
    fn every_encoding_reads_the_same() {
        let json = r#"{"text":"Deploy *done* & dusted"}"#;
        let form = "payload=%7B%22text%22%3A%22Deploy+*done*+%26+dusted%22%7D";
        for (ct, body) in [
            ("application/json", json),
            ("application/json; charset=utf-8", json),
            ("", json),
            ("text/plain", json),
            ("application/x-www-form-urlencoded", form),
            ("", form),
            ("application/x-www-form-urlencoded", json),
        ] {
            assert_eq!(read(ct, body).unwrap().text, "Deploy *done* & dusted", "{ct}: {body}");
        }
        let sloppy = "{\"text\":\"line one\nline\ttwo\"}";
        assert_eq!(read("application/json", sloppy).unwrap().text, "line one\nline\ttwo");
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        for (ct, body, code) in [
            ("application/json", "{nope", "invalid_payload"),
            ("application/json", "[1,2]", "invalid_payload"),
            ("application/x-www-form-urlencoded", "text=hello", "invalid_payload"),
            ("application/x-www-form-urlencoded", "payload=not+json", "invalid_payload"),
            ("application/json", "{}", "no_text"),
            ("application/json", r#"{"text":"  "}"#, "no_text"),
            ("application/json", r#"{"text":{"a":1}}"#, "invalid_payload"),
            ("application/json", r#"{"text":"x","type":"system_join"}"#, "invalid_payload"),
            ("application/json", r#"{"text":"x","priority":{"requested_ack":true}}"#, "invalid_payload"),
            ("application/json", r#"{"text":"x","props":[1]}"#, "invalid_payload"),
            ("application/json", r#"{"text":"x","blocks":"[oops"}"#, "invalid_blocks"),
        ] {
            assert_eq!(read(ct, body).unwrap_err().code(), code, "{body}");
        }
        assert_eq!(body_json("application/json", &[0xff, 0xfe]).unwrap_err().code(), "invalid_payload");
    }

    #[test]
    fn overrides_and_targets() {
        let p = Incoming::read(&json!({
            "text": "hi", "username": "  CI\u{202e}bot ", "icon_emoji": ":ghost:", "icon_url": "javascript:x",
            "channel": "#Deploys", "thread_ts": "1700000000.000042", "mrkdwn": "0",
            "props": {"card": "**details**", "from_webhook": "false"}, "type": "custom_ci",
            "priority": {"priority": "urgent", "requested_ack": true}
        }))
        .unwrap();
        assert_eq!(p.username.as_deref(), Some("CIbot"));
        assert_eq!(p.icon_emoji.as_deref(), Some("ghost"));
        assert_eq!(p.icon_url, None, "only http(s) icons");
        assert_eq!(p.channel, Some(Target::Name("deploys".into())));
        assert!(!p.mrkdwn);
        assert_eq!(p.props.unwrap().keys().collect::<Vec<_>>(), ["card"], "reserved props are the server's");
        assert_eq!(p.kind.as_deref(), Some("custom_ci"));
        assert_eq!(p.priority.unwrap().priority, "urgent");
        for (raw, target) in [
            ("@Bob", Target::User("bob".into())),
            ("C12", Target::ChannelId(12)),
            ("U7", Target::UserId(7)),
            ("general", Target::Name("general".into())),
        ] {
            assert_eq!(Incoming::read(&json!({"text": "x", "channel": raw})).unwrap().channel, Some(target));
        }
    }
}
