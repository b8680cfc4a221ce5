//! Outgoing webhooks' rules: which messages fire one (a channel, trigger words matched
//! against the first word), and the request body receivers get, in Slack's and
//! Mattermost's field names (`webhooks.md` §3).

use serde::Serialize;

use super::{Code, Invalid};

/// How a trigger word matches a message's first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerWhen {
    /// The first word is the trigger word.
    FirstWord,
    /// The first word begins with it (`deploy` fires on `deploy:`, `deploying`).
    StartsWith,
}

impl TriggerWhen {
    pub fn parse(raw: &str) -> Result<TriggerWhen, Invalid> {
        match raw.trim() {
            "" | "first_word" | "0" => Ok(TriggerWhen::FirstWord),
            "starts_with" | "1" => Ok(TriggerWhen::StartsWith),
            other => Err(Invalid::new(
                Code::InvalidTrigger,
                format!("trigger_when must be first_word or starts_with, not \"{other}\"."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerWhen::FirstWord => "first_word",
            TriggerWhen::StartsWith => "starts_with",
        }
    }
}

/// The most trigger words and callback URLs one hook has.
pub const MAX_TRIGGER_WORDS: usize = 20;
pub const MAX_CALLBACK_URLS: usize = 5;

/// Trigger words as given: trimmed, none empty or with spaces, at most `MAX_TRIGGER_WORDS`.
pub fn parse_trigger_words(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let words: Vec<String> = raw.iter().map(|w| w.trim().to_owned()).filter(|w| !w.is_empty()).collect();
    if words.len() > MAX_TRIGGER_WORDS {
        return Err(Invalid::new(Code::InvalidTrigger, format!("At most {MAX_TRIGGER_WORDS} trigger words.")));
    }
    if let Some(bad) = words.iter().find(|w| w.chars().any(char::is_whitespace) || w.chars().count() > 64) {
        return Err(Invalid::new(
            Code::InvalidTrigger,
            format!("\"{bad}\" is not a trigger word: one word, at most 64 characters."),
        ));
    }
    Ok(words)
}

/// The trigger word a message fires a hook with (`""` for a hook of one channel without
/// trigger words), or `None` when it does not fire. A hook with neither a channel nor
/// trigger words fires on nothing.
pub fn triggered(text: &str, words: &[String], when: TriggerWhen, has_channel: bool) -> Option<String> {
    if words.is_empty() {
        return has_channel.then(String::new);
    }
    let first = text.split_whitespace().next()?;
    words
        .iter()
        .find(|w| match when {
            TriggerWhen::FirstWord => first == w.as_str(),
            TriggerWhen::StartsWith => first.starts_with(w.as_str()),
        })
        .cloned()
}

/// What a receiver is told about a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Outgoing {
    pub token: String,
    pub team_id: String,
    pub team_domain: String,
    pub service_id: String,
    pub channel_id: String,
    pub channel_name: String,
    /// The message's Slack `ts` (`seconds.micros`).
    pub timestamp: String,
    /// Milliseconds since the epoch, as Mattermost's JSON carries it.
    pub timestamp_ms: i64,
    /// Set for a reply: the thread's root `ts`.
    pub thread_ts: Option<String>,
    pub user_id: String,
    pub user_name: String,
    pub post_id: String,
    pub text: String,
    pub trigger_word: String,
    /// Comma-separated ids of the files it shares.
    pub file_ids: String,
}

impl Outgoing {
    /// `application/x-www-form-urlencoded`, Slack's field order; `timestamp` as Slack's `ts`.
    pub fn form(&self) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", &self.token)
            .append_pair("team_id", &self.team_id)
            .append_pair("team_domain", &self.team_domain)
            .append_pair("service_id", &self.service_id)
            .append_pair("channel_id", &self.channel_id)
            .append_pair("channel_name", &self.channel_name);
        if let Some(ts) = &self.thread_ts {
            form.append_pair("thread_ts", ts);
        }
        form.append_pair("timestamp", &self.timestamp)
            .append_pair("user_id", &self.user_id)
            .append_pair("user_name", &self.user_name)
            .append_pair("post_id", &self.post_id)
            .append_pair("text", &self.text)
            .append_pair("trigger_word", &self.trigger_word)
            .append_pair("file_ids", &self.file_ids);
        form.finish()
    }

    /// `application/json`, Mattermost's fields; `timestamp` in milliseconds as it sends it.
    pub fn json(&self) -> String {
        let mut v = serde_json::json!({
            "token": self.token, "team_id": self.team_id, "team_domain": self.team_domain,
            "service_id": self.service_id, "channel_id": self.channel_id, "channel_name": self.channel_name,
            "timestamp": self.timestamp_ms, "user_id": self.user_id, "user_name": self.user_name,
            "post_id": self.post_id, "text": self.text, "trigger_word": self.trigger_word, "file_ids": self.file_ids,
        });
        if let Some(ts) = &self.thread_ts {
            v["thread_ts"] = serde_json::Value::String(ts.clone());
        }
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_words_match_the_first_word() {
        let words = vec!["deploy".to_owned(), "ci:".to_owned()];
        let cases = [
            ("deploy web", TriggerWhen::FirstWord, Some("deploy")),
            ("deploying web", TriggerWhen::FirstWord, None),
            ("deploying web", TriggerWhen::StartsWith, Some("deploy")),
            ("  ci: status", TriggerWhen::FirstWord, Some("ci:")),
            ("please deploy", TriggerWhen::StartsWith, None),
            ("Deploy web", TriggerWhen::FirstWord, None),
            ("", TriggerWhen::StartsWith, None),
        ];
        for (text, when, expected) in cases {
            assert_eq!(triggered(text, &words, when, false).as_deref(), expected, "{text}");
        }
        assert_eq!(triggered("anything", &[], TriggerWhen::FirstWord, true).as_deref(), Some(""));
        assert_eq!(triggered("anything", &[], TriggerWhen::FirstWord, false), None);
    }

    #[test]
    fn trigger_settings_are_checked() {
        assert_eq!(TriggerWhen::parse("1"), Ok(TriggerWhen::StartsWith));
        assert_eq!(TriggerWhen::parse("sometimes").unwrap_err().code, Code::InvalidTrigger);
        assert_eq!(parse_trigger_words(&[" go ".into(), String::new()]), Ok(vec!["go".to_owned()]));
        assert!(parse_trigger_words(&["two words".into()]).is_err());
        assert!(parse_trigger_words(&vec!["w".to_owned(); 21]).is_err());
    }

    #[test]
    fn bodies_carry_both_dialects_fields() {
        let o = Outgoing {
            token: "tok".into(),
            team_id: "T1".into(),
            team_domain: "acme".into(),
            service_id: "B2".into(),
            channel_id: "C3".into(),
            channel_name: "general".into(),
            timestamp: "1700000000.000042".into(),
            timestamp_ms: 1_700_000_000_000,
            thread_ts: None,
            user_id: "U4".into(),
            user_name: "bob".into(),
            post_id: "5".into(),
            text: "deploy web & api".into(),
            trigger_word: "deploy".into(),
            file_ids: String::new(),
        };
        assert_eq!(
            o.form(),
            "token=tok&team_id=T1&team_domain=acme&service_id=B2&channel_id=C3&channel_name=general&\
             timestamp=1700000000.000042&user_id=U4&user_name=bob&post_id=5&text=deploy+web+%26+api&\
             trigger_word=deploy&file_ids="
        );
        let json: serde_json::Value = serde_json::from_str(&o.json()).unwrap();
        assert_eq!(json["timestamp"], 1_700_000_000_000_i64);
        assert_eq!(json["text"], "deploy web & api");
    }
}
