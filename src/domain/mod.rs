//! The pure core: validated values, roles and permission rules, event kinds.
//! Nothing here does I/O or reads the clock; callers pass times in.

pub mod accounts;
pub mod channels;
pub mod codes;
pub mod events;
pub mod jobs;
pub mod messages;
pub mod workspaces;

pub use codes::Code;

/// A value a person supplied that does not meet its rules: a stable code and a sentence
/// saying what is wrong and what would be right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: Code,
    pub message: String,
}

impl Invalid {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Invalid { code, message: message.into() }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Invalid {}

/// Is `c` a character that has no place in a name shown to people?
pub(crate) fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Trims a free-text name and checks its length in characters.
pub(crate) fn parse_label(raw: &str, max_chars: usize, code: Code, what: &str) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(code, format!("{what} cannot be empty.")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(Invalid::new(code, format!("{what} can be at most {max_chars} characters long.")));
    }
    if trimmed.chars().any(is_unprintable) {
        return Err(Invalid::new(code, format!("{what} cannot contain control or invisible characters.")));
    }
    Ok(trimmed.to_owned())
}

/// An action the rules do not allow this person: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    pub code: Code,
    pub message: String,
}

impl Denied {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Denied { code, message: message.into() }
    }
}
