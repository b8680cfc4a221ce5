//! Slack's wire formats, as integrations send them: the ids of Slack-facing surfaces, its
//! many spellings of booleans, `mrkdwn`, and the attachments and blocks of a message.

pub mod api;
pub mod cards;
pub mod mrkdwn;
pub mod outgoing;
pub mod payload;
mod read;

use super::is_unprintable;
use super::messages::{emoji_glyph, escape_into};
use super::{Code, Invalid};

/// Slack-style ids for hearth's own: a letter for the kind of thing, then its database id
/// (`T4` workspace 4, `C12` channel 12, `U7` user 7, `B3` integration 3).
pub struct SlackId;

impl SlackId {
    pub const USER_PREFIXES: &'static [char] = &['U', 'W'];
    pub const CHANNEL_PREFIXES: &'static [char] = &['C', 'G', 'D'];

    pub fn workspace(id: i64) -> String {
        format!("T{id}")
    }

    pub fn channel(id: i64) -> String {
        format!("C{id}")
    }

    pub fn user(id: i64) -> String {
        format!("U{id}")
    }

    pub fn integration(id: i64) -> String {
        format!("B{id}")
    }

    /// A bot user's `bot_id`: `BU…`, apart from the webhooks' `B…` so that no bot takes
    /// a webhook's message for its own.
    pub fn bot(id: i64) -> String {
        format!("BU{id}")
    }
}

/// The database id in a Slack-style id with one of `prefixes` (`U7` → 7).
pub fn parse_id(raw: &str, prefixes: &[char]) -> Option<i64> {
    let mut chars = raw.chars();
    let first = chars.next()?;
    if !prefixes.contains(&first) {
        return None;
    }
    let digits = chars.as_str();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n: &i64| n > 0)
}

/// A message named the way Slack names them: by its `ts`, or by hearth's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageRef {
    Id(i64),
    /// `seconds.micros` of when it was posted (UTC).
    At(chrono::NaiveDateTime),
}

/// A message's Slack `ts`: when it was posted, as `seconds.micros`.
pub fn message_ts(created_at: chrono::NaiveDateTime) -> String {
    let utc = created_at.and_utc();
    format!("{}.{:06}", utc.timestamp(), utc.timestamp_subsec_micros())
}

/// Reads a `ts` (`1700000000.000042`) or a plain message id (`42`).
pub fn parse_ts(raw: &str) -> Option<MessageRef> {
    let raw = raw.trim();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match raw.split_once('.') {
        None if digits(raw) => raw.parse().ok().filter(|&n: &i64| n > 0).map(MessageRef::Id),
        Some((secs, micros)) if digits(secs) && digits(micros) && micros.len() == 6 => {
            let at = chrono::DateTime::from_timestamp(secs.parse().ok()?, micros.parse::<u32>().ok()? * 1000)?;
            Some(MessageRef::At(at.naive_utc()))
        }
        _ => None,
    }
}

/// A boolean as Slack clients send it: `true`, `"true"`, `"1"`, `1` and their opposites.
/// Anything else is `None`.
pub fn boolean(value: &serde_json::Value) -> Option<bool> {
    use serde_json::Value;
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_read_back() {
        assert_eq!(parse_id(&SlackId::user(7), SlackId::USER_PREFIXES), Some(7));
        assert_eq!(parse_id("C12", SlackId::CHANNEL_PREFIXES), Some(12));
        for bad in ["", "U", "C12", "U0", "U-1", "U1x", "u7", "U99999999999999999999"] {
            assert_eq!(parse_id(bad, SlackId::USER_PREFIXES), None, "{bad}");
        }
    }

    #[test]
    fn a_ts_reads_back() {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 42_000).unwrap().naive_utc();
        assert_eq!(message_ts(at), "1700000000.000042");
        assert_eq!(parse_ts("1700000000.000042"), Some(MessageRef::At(at)));
        assert_eq!(parse_ts("42"), Some(MessageRef::Id(42)));
        for bad in ["", "0", "-1", "1.2", "1700000000.0000420", "x.000001", "1e3"] {
            assert_eq!(parse_ts(bad), None, "{bad}");
        }
    }

    #[test]
    fn booleans_in_every_spelling() {
        for yes in [json!(true), json!("true"), json!("1"), json!(1), json!("TRUE")] {
            assert_eq!(boolean(&yes), Some(true), "{yes}");
        }
        for no in [json!(false), json!("false"), json!("0"), json!(0), json!("")] {
            assert_eq!(boolean(&no), Some(false), "{no}");
        }
        for neither in [json!(null), json!(2), json!("maybe"), json!([])] {
            assert_eq!(boolean(&neither), None, "{neither}");
        }
    }
}
