//! The pure core: validated values, roles and permission rules, event kinds.
//! Nothing here does I/O or reads the clock; callers pass times in.

pub mod access;
pub mod accounts;
pub mod channels;
pub mod codes;
pub mod commands;
pub mod emoji;
pub mod events;
pub mod files;
pub mod images;
pub mod jobs;
pub mod messages;
pub mod notifications;
pub mod outbound;
pub mod profiles;
pub mod reminders;
pub mod replies;
pub mod search;
pub mod slack;
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

/// A window onto a list: `limit` items after `offset`. The cursor clients see is opaque
/// (today the offset, written out); API.md caps pages at 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
}

impl Paging {
    pub const MAX: i64 = 200;

    /// The first `limit` items.
    pub fn first(limit: i64) -> Paging {
        Paging { offset: 0, limit: limit.clamp(1, Self::MAX) }
    }

    /// From `?cursor=` and a page size already checked.
    pub fn parse(cursor: Option<&str>, limit: i64) -> Result<Paging, Invalid> {
        let offset = match cursor.map(str::trim).filter(|c| !c.is_empty()) {
            None => 0,
            Some(raw) => raw.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| {
                Invalid::new(Code::InvalidQuery, "cursor must be a next_cursor from an earlier page.")
            })?,
        };
        Ok(Paging { offset, limit: limit.clamp(1, Self::MAX) })
    }

    /// How many rows to read: one more than a page, to know whether another follows.
    pub fn fetch(self) -> i64 {
        self.limit + 1
    }

    /// Cuts what was read to the page; returns the cursor of the next page, if any.
    pub fn cut<T>(self, items: &mut Vec<T>) -> Option<String> {
        let more = i64::try_from(items.len()).unwrap_or(i64::MAX) > self.limit;
        items.truncate(usize::try_from(self.limit).unwrap_or(0));
        more.then(|| (self.offset + self.limit).to_string())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_reads_one_more_to_know_whether_another_follows() {
        let page = Paging::parse(Some("40"), 20).unwrap();
        assert_eq!((page.offset, page.fetch()), (40, 21));
        let mut full: Vec<i32> = (0..21).collect();
        assert_eq!(page.cut(&mut full).as_deref(), Some("60"));
        assert_eq!(full.len(), 20);
        let mut last: Vec<i32> = (0..7).collect();
        assert_eq!(page.cut(&mut last), None);
        assert!(Paging::parse(Some("-1"), 20).is_err());
        assert!(Paging::parse(Some("abc"), 20).is_err());
        assert_eq!(Paging::parse(None, 500).unwrap().limit, Paging::MAX);
    }
}
