//! A person's profile beyond their name: a title, a custom status with an emoji and an
//! expiry, and the colour their initials are drawn on when they have no picture.

use chrono::{Duration, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::{Code, Invalid, is_unprintable, messages};

/// The longest title and status text.
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_STATUS_CHARS: usize = 100;

fn short_text(raw: &str, max: usize, code: Code, what: &str) -> Result<String, Invalid> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(Invalid::new(code, format!("{what} can be at most {max} characters long.")));
    }
    if text.chars().any(is_unprintable) {
        return Err(Invalid::new(code, format!("{what} cannot contain control or invisible characters.")));
    }
    Ok(text.to_owned())
}

/// A title: up to 100 printable characters; empty clears it.
pub fn parse_title(raw: &str) -> Result<String, Invalid> {
    short_text(raw, MAX_TITLE_CHARS, Code::InvalidTitle, "A title")
}

/// How long a custom status lasts, as people choose it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lasts {
    /// Until it is cleared.
    Always,
    /// As long as the status it replaces was to last (a form sent back unchanged).
    Keep,
    Minutes(i64),
    /// Until midnight where the person is.
    Today,
    /// Seven days.
    Week,
}

impl Lasts {
    /// The choices, as the API and the form name them.
    pub const CHOICES: [(&'static str, &'static str); 6] = [
        ("", "Don't clear"),
        ("30m", "30 minutes"),
        ("1h", "1 hour"),
        ("4h", "4 hours"),
        ("today", "Today"),
        ("week", "This week"),
    ];

    pub fn parse(raw: &str) -> Result<Lasts, Invalid> {
        match raw.trim() {
            "" | "never" => Ok(Lasts::Always),
            "keep" => Ok(Lasts::Keep),
            "30m" => Ok(Lasts::Minutes(30)),
            "1h" => Ok(Lasts::Minutes(60)),
            "4h" => Ok(Lasts::Minutes(240)),
            "today" => Ok(Lasts::Today),
            "week" => Ok(Lasts::Week),
            other => Err(Invalid::new(
                Code::InvalidStatus,
                format!("\"{other}\" is not a time a status can last: use 30m, 1h, 4h, today, week, never or keep."),
            )),
        }
    }

    /// When a status set at `now` (UTC) by someone in `zone` ends.
    pub fn until(self, now: NaiveDateTime, zone: Tz) -> Option<NaiveDateTime> {
        match self {
            Lasts::Always | Lasts::Keep => None,
            Lasts::Minutes(m) => Some(now + Duration::minutes(m)),
            Lasts::Week => Some(now + Duration::days(7)),
            Lasts::Today => {
                let local = zone.from_utc_datetime(&now).date_naive();
                let midnight = local.succ_opt()?.and_hms_opt(0, 0, 0)?;
                // A midnight skipped by a change of clocks ends the status at the next hour.
                let end = zone
                    .from_local_datetime(&midnight)
                    .earliest()
                    .or_else(|| zone.from_local_datetime(&(midnight + Duration::hours(1))).earliest())?;
                Some(end.naive_utc())
            }
        }
    }
}

/// A custom status as it is to be saved: both parts empty clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub emoji: String,
    pub text: String,
    pub expires_at: Option<NaiveDateTime>,
    /// Keep the expiry of the status it replaces.
    pub keep_expiry: bool,
}

impl StatusChange {
    pub fn parse(emoji: &str, text: &str, lasts: &str, now: NaiveDateTime, zone: Tz) -> Result<StatusChange, Invalid> {
        let emoji = match emoji.trim() {
            "" => String::new(),
            raw => messages::parse_emoji(raw).map_err(|e| Invalid::new(Code::InvalidStatus, e.message))?,
        };
        let text = short_text(text, MAX_STATUS_CHARS, Code::InvalidStatus, "A status")?;
        let lasts = Lasts::parse(lasts)?;
        if emoji.is_empty() && text.is_empty() {
            return Ok(StatusChange::cleared());
        }
        Ok(StatusChange { emoji, text, expires_at: lasts.until(now, zone), keep_expiry: lasts == Lasts::Keep })
    }

    pub fn cleared() -> StatusChange {
        StatusChange { emoji: String::new(), text: String::new(), expires_at: None, keep_expiry: false }
    }
}

/// The colour (one of eight) initials are drawn on, the same for a name everywhere.
pub fn initials_colour(name: &str) -> u8 {
    let sum = name.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    u8::try_from(sum % 8).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_status_lasts_as_chosen() {
        let now = at("2026-12-04 20:00");
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let s = StatusChange::parse(":palm_tree:", " On holiday ", "today", now, tokyo).unwrap();
        assert_eq!((s.emoji.as_str(), s.text.as_str()), ("palm_tree", "On holiday"));
        assert_eq!(s.expires_at, Some(at("2026-12-05 15:00")), "midnight in Tokyo is 15:00 UTC");
        assert_eq!(
            StatusChange::parse("", "Busy", "30m", now, Tz::UTC).unwrap().expires_at,
            Some(at("2026-12-04 20:30"))
        );
        assert_eq!(StatusChange::parse("", "Busy", "", now, Tz::UTC).unwrap().expires_at, None);
        assert!(StatusChange::parse("", "Busy", "keep", now, Tz::UTC).unwrap().keep_expiry);
        assert_eq!(StatusChange::parse(" ", "", "week", now, Tz::UTC).unwrap(), StatusChange::cleared());
        for (emoji, text, lasts) in
            [("nope", "", ""), ("", &"x".repeat(101), ""), ("", "ok", "tomorrow"), ("", "a\u{7}", "")]
        {
            assert!(StatusChange::parse(emoji, text, lasts, now, Tz::UTC).is_err(), "{emoji} {text} {lasts}");
        }
    }

    #[test]
    fn titles_and_colours() {
        assert_eq!(parse_title("  Site reliability ").unwrap(), "Site reliability");
        assert_eq!(parse_title("").unwrap(), "");
        assert!(parse_title(&"t".repeat(101)).is_err());
        assert_eq!(initials_colour("Alice"), initials_colour("Alice"));
        assert!((0..8).contains(&initials_colour("Bob")));
    }
}
