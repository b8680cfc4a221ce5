//! People: email addresses, usernames, display names and passwords, each parsed once.

use super::Code;
use super::{Invalid, parse_label};

/// Names that mean something else in a message (`@here`) or in the product.
pub const RESERVED_USERNAMES: &[&str] = &[
    "here",
    "channel",
    "everyone",
    "all",
    "group",
    "hearth",
    "system",
    "bot",
    "slackbot",
    "me",
    "nobody",
    "null",
    "undefined",
];

/// An email address, lowercased. Comparison is by this lowercase form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Email, Invalid> {
        let email = raw.trim().to_lowercase();
        let bad = |why: &str| {
            Invalid::new(Code::InvalidEmail, format!("\"{}\" is not a valid email address: {why}.", raw.trim()))
        };
        if email.is_empty() {
            return Err(Invalid::new(Code::InvalidEmail, "An email address is required."));
        }
        if email.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                Code::InvalidEmail,
                format!("An email address can be at most {} characters long.", Self::MAX_LEN),
            ));
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(|| bad("it has no @"))?;
        if local.is_empty() || local.len() > 64 {
            return Err(bad("the part before @ must be 1 to 64 characters"));
        }
        if local.contains('@')
            || email.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '<' | '>' | '"' | ',' | ';' | '(' | ')' | '[' | ']' | '\\')
            })
        {
            return Err(bad("it contains characters an address cannot have"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(bad("dots cannot start, end or repeat in the part before @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(bad("the domain after @ is not valid"));
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// A username: 2–32 characters of lowercase letters, digits, `.`, `_` and `-`, starting with
/// a letter or digit, not a reserved word. Unique server-wide.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 2;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Username, Invalid> {
        let name = raw.trim();
        let code = Code::InvalidUsername;
        if name.len() < Self::MIN_LEN || name.len() > Self::MAX_LEN {
            return Err(Invalid::new(
                code,
                format!("A username must be {} to {} characters long.", Self::MIN_LEN, Self::MAX_LEN),
            ));
        }
        if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(Invalid::new(code, "A username can only contain lowercase letters, digits, '.', '_' and '-'."));
        }
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(Invalid::new(code, "A username must start with a letter or a digit."));
        }
        if RESERVED_USERNAMES.contains(&name) {
            return Err(Invalid::new(code, format!("\"{name}\" is reserved; choose another username.")));
        }
        Ok(Username(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown next to messages: 1–64 printable characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<DisplayName, Invalid> {
        parse_label(raw, Self::MAX_CHARS, Code::InvalidDisplayName, "A display name").map(DisplayName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8–128 characters, not a well-known one, not the username or email.
/// Kept only until it is hashed.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Passwords attackers try first; a longer list belongs in a breach-corpus check.
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "iloveyou",
    "sunshine1",
    "abcd1234",
    "letmein1",
    "welcome1",
    "admin123",
    "passw0rd",
    "00000000",
    "87654321",
    "football",
    "baseball",
    "trustno1",
];

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// Checks a password someone is choosing. `identities` are the username and email it
    /// must not equal.
    pub fn parse_new(raw: &str, identities: &[&str]) -> Result<Password, Invalid> {
        let code = Code::WeakPassword;
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(Invalid::new(
                code,
                format!("A password must be at least {} characters long.", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(Invalid::new(
                Code::InvalidPassword,
                format!("A password can be at most {} characters long.", Self::MAX_CHARS),
            ));
        }
        let lower = raw.to_lowercase();
        if raw.trim().is_empty() || lower.chars().all(|c| lower.starts_with(c)) {
            return Err(Invalid::new(code, "That password is too easy to guess: it repeats one character."));
        }
        if COMMON_PASSWORDS.contains(&lower.as_str()) {
            return Err(Invalid::new(code, "That password is among the most commonly used; choose another."));
        }
        if identities.iter().any(|id| !id.is_empty() && lower == id.to_lowercase()) {
            return Err(Invalid::new(code, "A password cannot be your username or email address."));
        }
        Ok(Password(raw.to_owned()))
    }

    /// A password someone is signing in with: only bounded, never judged.
    pub fn parse_attempt(raw: &str) -> Result<Password, Invalid> {
        if raw.is_empty() {
            return Err(Invalid::new(Code::InvalidPassword, "A password is required."));
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(
                Code::InvalidPassword,
                format!("A password can be at most {} characters long.", Self::MAX_CHARS),
            ));
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// What someone signs in with: a username or an email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Email(Email),
    Username(String),
}

impl Login {
    pub fn parse(raw: &str) -> Result<Login, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(Invalid::new(Code::InvalidLogin, "Enter your username or email address."));
        }
        if raw.len() > Email::MAX_LEN {
            return Err(Invalid::new(Code::InvalidLogin, "That username or email address is too long."));
        }
        if raw.contains('@') { Ok(Login::Email(Email::parse(raw)?)) } else { Ok(Login::Username(raw.to_lowercase())) }
    }

    /// The key failed attempts are counted under.
    pub fn throttle_key(&self) -> String {
        match self {
            Login::Email(e) => e.as_str().to_owned(),
            Login::Username(u) => u.clone(),
        }
    }
}

/// The name a person gives a personal access token: 1–64 characters.
pub fn parse_token_name(raw: &str) -> Result<String, Invalid> {
    parse_label(raw, 64, Code::InvalidTokenName, "A token name")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(Email::parse(" Alice@Example.COM ").unwrap().as_str(), "alice@example.com");
        for (bad, why) in [
            ("", "empty"),
            ("alice", "no @"),
            ("alice@", "no domain"),
            ("@example.com", "no local part"),
            ("alice@example", "domain without a dot"),
            ("al ice@example.com", "space"),
            ("alice@exa_mple.com", "underscore in domain"),
            ("alice@-example.com", "label starts with a hyphen"),
            ("a..b@example.com", "double dot"),
            ("<a>@example.com", "angle brackets"),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected: {why}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn usernames_follow_the_rules() {
        assert!(Username::parse("alice.b-c_9").is_ok());
        for (bad, why) in [
            ("a", "too short"),
            (&"a".repeat(33), "too long"),
            ("Alice", "uppercase"),
            ("al ice", "space"),
            ("_alice", "starts with punctuation"),
            ("here", "reserved"),
            ("channel", "reserved"),
            ("everyone", "reserved"),
            ("alicé", "non-ASCII"),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be rejected: {why}");
        }
    }

    #[test]
    fn passwords_must_be_long_and_uncommon() {
        assert!(Password::parse_new("correct horse battery", &["alice"]).is_ok());
        assert!(Password::parse_new("short", &[]).is_err());
        assert!(Password::parse_new(&"x".repeat(129), &[]).is_err());
        assert!(Password::parse_new("aaaaaaaaaa", &[]).is_err());
        assert!(Password::parse_new("Password123", &[]).is_err());
        assert!(Password::parse_new("alice-the-great", &["alice-the-great"]).is_err());
    }

    #[test]
    fn display_names_are_trimmed_and_printable() {
        assert_eq!(DisplayName::parse("  Alice  ").unwrap().as_str(), "Alice");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse("a\u{202e}b").is_err());
        assert!(DisplayName::parse(&"a".repeat(65)).is_err());
    }
}
