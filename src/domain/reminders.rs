//! What `/remind` takes: whom (`me`, `@user`, `#channel`), what, and when (`in 5 minutes`,
//! `at 3pm`, `tomorrow at 9:30`, `on 2027-01-15 at 10:00`, in UTC), or `list`, or
//! `cancel <n>`.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::{Code, Invalid};

/// The longest reminder text.
pub const MAX_WHAT: usize = 1000;
/// How far ahead a reminder may be set.
pub const MAX_AHEAD: Duration = Duration::days(366);

/// Who is reminded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Whom {
    Me,
    User(String),
    Channel(String),
}

/// What `/remind` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remind {
    Set { whom: Whom, what: String, due: NaiveDateTime },
    List,
    Cancel(i64),
}

fn invalid(message: impl Into<String>) -> Invalid {
    Invalid::new(Code::InvalidReminder, message)
}

const USAGE: &str = "Try `/remind me to stretch in 20 minutes`, `/remind @bob to call at 3pm`, `/remind #ops to deploy tomorrow at 9:00`, `/remind list` or `/remind cancel 3`.";

/// Reads `/remind`'s arguments as of `now` (UTC).
pub fn parse(args: &str, now: NaiveDateTime) -> Result<Remind, Invalid> {
    let args = args.trim();
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    match first.to_lowercase().as_str() {
        "" | "help" => return Err(invalid(USAGE)),
        "list" if rest.trim().is_empty() => return Ok(Remind::List),
        "cancel" | "delete" => {
            let n = rest
                .trim()
                .trim_start_matches('#')
                .parse::<i64>()
                .map_err(|_| invalid("Say which: `/remind cancel 3` (see `/remind list`)."))?;
            return Ok(Remind::Cancel(n));
        }
        _ => {}
    }
    let whom = match first {
        f if f.eq_ignore_ascii_case("me") => Whom::Me,
        f if f.starts_with('@') && f.len() > 1 => Whom::User(f[1..].to_lowercase()),
        f if f.starts_with('#') && f.len() > 1 => Whom::Channel(f[1..].to_lowercase()),
        _ => return Err(invalid(format!("Whom should it remind: me, @someone or #channel? {USAGE}"))),
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    // "… <what> <when>", or "<when> to <what>".
    let (what, due) = match when_at_end(&words, now)? {
        Some((cut, due)) => (words[..cut].join(" "), due),
        None => match words.iter().position(|w| w.eq_ignore_ascii_case("to")) {
            Some(to) => match when_of(&words[..to], now)? {
                Some(due) => (words[to + 1..].join(" "), due),
                None => return Err(invalid(format!("When? {USAGE}"))),
            },
            None => return Err(invalid(format!("When? {USAGE}"))),
        },
    };
    let what = what.strip_prefix("to ").unwrap_or(&what).trim().to_owned();
    let what = if what.eq_ignore_ascii_case("to") { String::new() } else { what };
    if what.is_empty() {
        return Err(invalid(format!("What should it say? {USAGE}")));
    }
    if what.chars().count() > MAX_WHAT {
        return Err(invalid(format!("A reminder can be at most {MAX_WHAT} characters.")));
    }
    if due <= now {
        return Err(invalid("That time has passed."));
    }
    if due - now > MAX_AHEAD {
        return Err(invalid("A reminder can be at most a year ahead."));
    }
    Ok(Remind::Set { whom, what, due })
}

/// The longest tail of `words` that is a time: where it starts, and the time.
fn when_at_end(words: &[&str], now: NaiveDateTime) -> Result<Option<(usize, NaiveDateTime)>, Invalid> {
    for start in (0..words.len()).rev().take(5) {
        if let Some(due) = when_of(&words[start..], now)? {
            // Prefer the longest: "tomorrow at 9" over "at 9".
            let mut best = (start, due);
            for longer in (0..start).rev().take(3) {
                if let Some(d) = when_of(&words[longer..], now)? {
                    best = (longer, d);
                }
            }
            return Ok(Some(best));
        }
    }
    Ok(None)
}

/// `words` as a whole as a time, if they are one.
fn when_of(words: &[&str], now: NaiveDateTime) -> Result<Option<NaiveDateTime>, Invalid> {
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let w: Vec<&str> = lower.iter().map(String::as_str).collect();
    Ok(match w.as_slice() {
        ["in", n, unit] => amount(n).and_then(|n| span(n, unit)).map(|d| now + d),
        ["tomorrow"] => Some(at_day(now.date() + Duration::days(1), nine())),
        ["tomorrow", "at", t] => time(t).map(|t| at_day(now.date() + Duration::days(1), t)),
        ["at", t] => time(t).map(|t| {
            let today = at_day(now.date(), t);
            if today > now { today } else { today + Duration::days(1) }
        }),
        ["on", d] => date(d)?.map(|d| at_day(d, nine())),
        ["on", d, "at", t] => match (date(d)?, time(t)) {
            (Some(d), Some(t)) => Some(at_day(d, t)),
            _ => None,
        },
        _ => None,
    })
}

fn nine() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default()
}

fn at_day(day: NaiveDate, t: NaiveTime) -> NaiveDateTime {
    day.and_time(t)
}

fn amount(word: &str) -> Option<i64> {
    match word {
        "a" | "an" | "one" => Some(1),
        _ => word.parse::<i64>().ok().filter(|n| (1..=100_000).contains(n)),
    }
}

fn span(n: i64, unit: &str) -> Option<Duration> {
    match unit.trim_end_matches('s') {
        "minute" | "min" | "m" => Some(Duration::minutes(n)),
        "hour" | "hr" | "h" => Some(Duration::hours(n)),
        "day" | "d" => Some(Duration::days(n)),
        "week" | "w" => Some(Duration::weeks(n)),
        "second" | "sec" => Some(Duration::seconds(n)),
        _ => None,
    }
}

/// `15:30`, `9`, `3pm`, `3:30pm`, `12am`.
fn time(word: &str) -> Option<NaiveTime> {
    let (digits, half) = match word.strip_suffix("pm") {
        Some(d) => (d, Some(12)),
        None => match word.strip_suffix("am") {
            Some(d) => (d, Some(0)),
            None => (word, None),
        },
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (digits.parse::<u32>().ok()?, 0),
    };
    let h = match half {
        Some(add) if (1..=12).contains(&h) => h % 12 + add,
        Some(_) => return None,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// `2027-01-15`; a word shaped like a date that is not one is refused.
fn date(word: &str) -> Result<Option<NaiveDate>, Invalid> {
    if word.len() != 10 || word.as_bytes().get(4) != Some(&b'-') {
        return Ok(None);
    }
    NaiveDate::parse_from_str(word, "%Y-%m-%d").map(Some).map_err(|_| invalid(format!("{word} is not a date.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(15, 0, 0).unwrap()
    }

    fn set(args: &str) -> (Whom, String, NaiveDateTime) {
        match parse(args, now()).unwrap() {
            Remind::Set { whom, what, due } => (whom, what, due),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whom_what_and_when_are_read() {
        let at = |h, m| NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(h, m, 0).unwrap();
        let tomorrow = |h, m| at(h, m) + Duration::days(1);
        assert_eq!(set("me to stretch in 20 minutes"), (Whom::Me, "stretch".into(), at(15, 20)));
        assert_eq!(
            set("@Bob to call the bank at 3:30pm"),
            (Whom::User("bob".into()), "call the bank".into(), at(15, 30))
        );
        assert_eq!(
            set("#ops to deploy tomorrow at 9:00"),
            (Whom::Channel("ops".into()), "deploy".into(), tomorrow(9, 0))
        );
        assert_eq!(set("me in 5 minutes to check the oven"), (Whom::Me, "check the oven".into(), at(15, 5)));
        assert_eq!(set("me in an hour to eat"), (Whom::Me, "eat".into(), at(16, 0)));
        assert_eq!(set("me water plants at 9").2, tomorrow(9, 0), "9:00 has passed today");
        assert_eq!(
            set("me renew on 2027-01-15").2,
            NaiveDate::from_ymd_opt(2027, 1, 15).unwrap().and_hms_opt(9, 0, 0).unwrap()
        );
        assert_eq!(parse("list", now()), Ok(Remind::List));
        assert_eq!(parse("cancel 3", now()), Ok(Remind::Cancel(3)));
    }

    #[test]
    fn what_cannot_be_read_is_refused() {
        for args in [
            "",
            "me to stretch",
            "everyone to stretch in 5 minutes",
            "me in 5 minutes",
            "me to x on 2020-01-01",
            "me to x on 2027-02-30",
            "me to x in 400 days",
            "cancel soon",
        ] {
            assert!(parse(args, now()).is_err(), "{args}");
        }
    }
}
