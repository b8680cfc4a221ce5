//! The Slack Web API's transport rules: a method's arguments however they came (query
//! string, form, JSON; booleans as `"1"`, nested values as JSON strings), its error
//! names, and its cursors.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{Code, boolean};

/// A method's arguments, by name. Later sources win: a JSON body over a form over the
/// query string, as Slack reads them.
#[derive(Debug, Clone, Default)]
pub struct Args(Map<String, Value>);

/// Why a call failed: Slack's error name, and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub error: &'static str,
    pub detail: String,
    /// Set with `ratelimited`: the seconds to wait.
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(error: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError { error, detail: detail.into(), retry_after_secs: None }
    }

    /// The Slack name of one of hearth's refusals.
    pub fn from_code(code: Code, status: u16, detail: String) -> ApiError {
        let error = match code {
            Code::ChannelNotFound | Code::WorkspaceNotFound => "channel_not_found",
            Code::NotInChannel => "not_in_channel",
            Code::ChannelArchived => "is_archived",
            Code::TextTooLong => "msg_too_long",
            Code::EmptyMessage => "no_text",
            Code::MessageNotFound | Code::MessageDeleted => "message_not_found",
            Code::ThreadNotFound | Code::ThreadRootDeleted => "thread_not_found",
            Code::NotAuthor => "cant_update_message",
            Code::UserNotFound | Code::MemberNotFound => "user_not_found",
            Code::AlreadyInChannel => "already_in_channel",
            Code::InvalidEmoji => "invalid_name",
            Code::TooManyReactions => "too_many_reactions",
            Code::RateLimited => "ratelimited",
            Code::NotAuthenticated => "invalid_auth",
            Code::AccountDeactivated => "account_inactive",
            Code::CannotJoin => "method_not_supported_for_channel_type",
            Code::InvalidCursor => "invalid_cursor",
            Code::ServiceUnavailable => "service_unavailable",
            Code::EmptyQuery => "no_query",
            Code::InvalidQuery | Code::InvalidRequest | Code::InvalidBody | Code::InvalidJson => "invalid_arguments",
            _ if status == 403 => "restricted_action",
            _ if status == 404 => "not_found",
            _ if status < 500 => "invalid_arguments",
            _ => "internal_error",
        };
        ApiError::new(error, detail)
    }
}

impl Args {
    /// Reads `name=value` pairs (a query string, a form body).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Args {
        let mut args = Args::default();
        args.extend_pairs(pairs);
        args
    }

    pub fn extend_pairs<'a>(&mut self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (k, v) in pairs {
            self.0.insert(k.to_owned(), Value::String(v.to_owned()));
        }
    }

    /// Adds a JSON body's fields; a body that is not an object is refused.
    pub fn extend_json(&mut self, body: Value) -> Result<(), ApiError> {
        match body {
            Value::Object(fields) => {
                self.0.extend(fields);
                Ok(())
            }
            _ => Err(ApiError::new("invalid_json", "A JSON body must be an object of arguments.")),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// An argument as it came.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A text argument; numbers are read as their digits. Empty is absent.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A text argument that must be there: else `error`.
    pub fn required(&self, name: &str, error: &'static str) -> Result<String, ApiError> {
        self.text(name).ok_or_else(|| ApiError::new(error, format!("The `{name}` argument is required.")))
    }

    /// A boolean argument (`true`, `"1"`, `0`…); absent is `default`.
    pub fn flag(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => {
                boolean(v).ok_or_else(|| ApiError::new("invalid_arguments", format!("`{name}` must be true or false.")))
            }
        }
    }

    /// A whole-number argument within `range`; absent is `None`.
    pub fn number(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, ApiError> {
        let bad = || {
            ApiError::new(
                "invalid_arguments",
                format!("`{name}` must be a whole number from {} to {}.", range.start(), range.end()),
            )
        };
        let n = match self.0.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
        };
        if range.contains(&n) { Ok(Some(n)) } else { Err(bad()) }
    }

    /// A structured argument (`blocks`, `attachments`): JSON as sent, or a JSON string
    /// (forms carry them so). `error` names a string that is not JSON.
    pub fn structured(&self, name: &str, error: &'static str) -> Result<Option<Value>, ApiError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s)
                .map(Some)
                .map_err(|e| ApiError::new(error, format!("`{name}` is not valid JSON: {e}."))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    /// The arguments as they came, for `api.test`'s echo.
    pub fn echo(&self) -> Map<String, Value> {
        self.0.iter().filter(|(k, _)| k.as_str() != "token").map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// The longest text of a block's text object, as Slack refuses longer ones.
pub const MAX_BLOCK_TEXT: usize = 3000;

/// Refuses blocks over Slack's limits as Slack does (`invalid_blocks`): a text object
/// longer than `MAX_BLOCK_TEXT` anywhere in them. (Incoming webhooks, more lenient as
/// Mattermost is, cut such texts instead.)
pub fn check_block_texts(blocks: &Value) -> Result<(), ApiError> {
    let mut stack = vec![blocks];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(o) => {
                let is_text_object = matches!(o.get("type").and_then(Value::as_str), Some("mrkdwn" | "plain_text"));
                if let (true, Some(Value::String(text))) = (is_text_object, o.get("text")) {
                    if text.chars().count() > MAX_BLOCK_TEXT {
                        return Err(ApiError::new(
                            "invalid_blocks",
                            format!("A block's text can be at most {MAX_BLOCK_TEXT} characters."),
                        ));
                    }
                }
                stack.extend(o.values());
            }
            _ => {}
        }
    }
    Ok(())
}

/// An opaque cursor for one position of a list: `kind` keeps one list's cursor from
/// being read by another.
pub fn cursor(kind: &str, position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{position}"))
}

/// A position read back from a cursor made by `cursor(kind, …)`; an empty cursor is the
/// start.
pub fn read_cursor(kind: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(None) };
    let invalid = || ApiError::new("invalid_cursor", "That cursor is not one this list gave out.");
    let decoded = URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).map_err(|_| invalid())?;
    let text = String::from_utf8(decoded).map_err(|_| invalid())?;
    let (k, n) = text.split_once(':').ok_or_else(invalid)?;
    if k != kind {
        return Err(invalid());
    }
    n.parse::<i64>().map(Some).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_are_read_however_they_came() {
        let mut args = Args::from_pairs([("channel", "C1"), ("limit", "5"), ("inclusive", "1"), ("empty", " ")]);
        args.extend_json(json!({"limit": 7, "blocks": [{"type": "divider"}], "as_text": "[1]"})).unwrap();
        assert_eq!(args.text("channel").as_deref(), Some("C1"));
        assert_eq!(args.text("empty"), None);
        assert_eq!(args.number("limit", 1..=1000), Ok(Some(7)), "JSON wins over the query string");
        assert_eq!(args.flag("inclusive", false), Ok(true));
        assert_eq!(args.flag("missing", true), Ok(true));
        assert_eq!(args.structured("blocks", "invalid_blocks").unwrap(), Some(json!([{"type": "divider"}])));
        assert_eq!(args.structured("as_text", "invalid_blocks").unwrap(), Some(json!([1])));
        assert!(args.extend_json(json!([1])).is_err());
        let bad = Args::from_pairs([("limit", "many"), ("inclusive", "maybe"), ("blocks", "[{")]);
        assert_eq!(bad.number("limit", 1..=1000).unwrap_err().error, "invalid_arguments");
        assert_eq!(bad.flag("inclusive", false).unwrap_err().error, "invalid_arguments");
        assert_eq!(bad.structured("blocks", "invalid_blocks").unwrap_err().error, "invalid_blocks");
        assert_eq!(
            Args::from_pairs([("limit", "0")]).number("limit", 1..=1000).unwrap_err().error,
            "invalid_arguments"
        );
        assert_eq!(bad.required("channel", "channel_not_found").unwrap_err().error, "channel_not_found");
    }

    #[test]
    fn block_texts_over_slacks_limit_are_refused() {
        let ok = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "a".repeat(3000)}}]);
        assert!(check_block_texts(&ok).is_ok());
        let deep = json!([{"type": "section", "fields": [{"type": "plain_text", "text": "a".repeat(3001)}]}]);
        assert_eq!(check_block_texts(&deep).unwrap_err().error, "invalid_blocks");
    }

    #[test]
    fn cursors_read_back_only_in_their_own_list() {
        let c = cursor("history", 42);
        assert_eq!(read_cursor("history", Some(&c)), Ok(Some(42)));
        assert_eq!(read_cursor("history", Some("")), Ok(None));
        assert_eq!(read_cursor("history", None), Ok(None));
        assert_eq!(read_cursor("users", Some(&c)).unwrap_err().error, "invalid_cursor");
        assert_eq!(read_cursor("history", Some("%%%")).unwrap_err().error, "invalid_cursor");
    }
}
