//! The search syntax, as in Slack: words (all must match), `"exact phrases"`, `-excluded`,
//! `a OR b`, and filters — `from:@user` / `from:me`, `in:#channel` / `in:@user`, `to:me` /
//! `@me`, `has:file|link|reaction|pin`, `is:thread`, `before:` / `after:` / `on:` /
//! `during:` with dates (`2026-03-14`, `today`, `yesterday`, `2026-03`, `2026`, `march`).
//! Parsing is lenient: what is not a filter is a word, and nothing typed is an error except
//! a date that does not exist. It runs in one pass over the text, whatever its size.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::text;
use super::{Code, Invalid};

/// Clauses kept from one query; the rest is ignored, and the query says so.
pub const MAX_CLAUSES: usize = 50;

/// A query, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Text that must match: every group, each group by any of its alternatives (`OR`).
    pub must: Vec<Vec<Text>>,
    /// Text that must not match.
    pub must_not: Vec<Text>,
    /// Filters that must hold; several of one kind are alternatives (`from:a from:b`).
    pub filters: Vec<Filter>,
    /// Filters that must not hold (`-from:@bob`).
    pub excluded: Vec<Filter>,
    /// A partial word was left out because it is too short to search yet (one letter).
    pub incomplete: bool,
    /// Clauses past `MAX_CLAUSES` were ignored.
    pub truncated: bool,
}

/// Words or a phrase, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub text: String,
    /// A quoted phrase: its parts must be adjacent, in order, and whole.
    pub phrase: bool,
    /// The word (or a phrase's last word) is still being typed: its last part is a prefix.
    pub partial: bool,
}

/// A filter on where, by whom, when, or with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    From(Person),
    /// A channel by name, or the direct message with a person.
    In(Place),
    /// Messages that mention the searcher (or everyone in a channel of theirs).
    ToMe,
    Has(Has),
    /// Messages in threads: replies, and roots that have replies.
    IsThread,
    /// Written in `[from, to)`, UTC days; either end open.
    Written(Span),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Me,
    Username(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Channel(String),
    DirectMessageWith(Person),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Has {
    File,
    Link,
    Reaction,
    Pin,
}

/// Days `[from, to)`; `None` is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Query {
    /// Nothing to search by: no words, no filters.
    pub fn is_empty(&self) -> bool {
        self.must.is_empty() && self.must_not.is_empty() && self.filters.is_empty() && self.excluded.is_empty()
    }

    /// Every text clause, wanted or not.
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        self.must.iter().flatten()
    }

    /// Narrow enough to suggest messages for while it is typed: a finished word, a phrase,
    /// a filter, CJK, or a word begun with at least three letters. Two letters begin a good
    /// part of everything said; the results page still searches them, suggestions wait.
    pub fn narrow_enough_to_suggest(&self) -> bool {
        !self.filters.is_empty()
            || self.texts().any(|t| {
                !t.partial
                    || (t.phrase && text::pieces(&t.text, false).len() > 1)
                    || t.text.chars().any(text::is_cjk)
                    || t.text.chars().filter(|c| c.is_alphanumeric()).count() >= SUGGEST_PREFIX_CHARS
            })
    }
}

/// The shortest partial word suggestions search messages for.
pub const SUGGEST_PREFIX_CHARS: usize = 3;

/// Parses a query typed on `today` (UTC). With `typing`, the last word, if no space follows
/// it, is a prefix of what the person is still typing.
pub fn parse(raw: &str, today: NaiveDate, typing: bool) -> Result<Query, Invalid> {
    let mut query = Query::default();
    let mut scanner = Scanner { rest: raw };
    let mut join_next = false;
    let mut clauses = 0;
    while let Some(token) = scanner.next() {
        if clauses == MAX_CLAUSES {
            query.truncated = true;
            break;
        }
        let partial = typing && token.at_end;
        match token.body {
            Body::Or => {
                // `OR` between two pieces of text; anywhere else it means nothing.
                join_next = !query.must.is_empty() && !token.negated;
                continue;
            }
            Body::Filter(filter) => {
                let filter = filter.resolve(today)?;
                clauses += 1;
                if token.negated {
                    query.excluded.push(filter);
                } else {
                    query.filters.push(filter);
                }
            }
            Body::Text { text, phrase } => {
                if text::pieces(&text, false).is_empty() {
                    join_next = false;
                    continue;
                }
                // One letter still being typed matches nearly everything: wait for more.
                let plain = text.chars().all(|c| !text::is_cjk(c));
                if partial && !phrase && plain && text.chars().filter(|c| c.is_alphanumeric()).count() < 2 {
                    query.incomplete = true;
                    continue;
                }
                clauses += 1;
                let clause = Text { text, phrase, partial };
                if token.negated {
                    query.must_not.push(Text { partial: false, ..clause });
                } else if join_next {
                    if let Some(group) = query.must.last_mut() {
                        group.push(clause);
                    }
                } else {
                    query.must.push(vec![clause]);
                }
            }
        }
        join_next = false;
    }
    Ok(query)
}

struct Token {
    body: Body,
    negated: bool,
    /// Nothing (not even a space) follows it.
    at_end: bool,
}

enum Body {
    Or,
    Text { text: String, phrase: bool },
    Filter(RawFilter),
}

/// A filter before its value is checked (dates need `today`).
enum RawFilter {
    From(Person),
    In(Place),
    ToMe,
    Has(Has),
    IsThread,
    Before(String),
    After(String),
    On(String),
}

impl RawFilter {
    fn resolve(self, today: NaiveDate) -> Result<Filter, Invalid> {
        Ok(match self {
            RawFilter::From(p) => Filter::From(p),
            RawFilter::In(p) => Filter::In(p),
            RawFilter::ToMe => Filter::ToMe,
            RawFilter::Has(h) => Filter::Has(h),
            RawFilter::IsThread => Filter::IsThread,
            RawFilter::Before(d) => Filter::Written(Span { from: None, to: Some(day_span(&d, today)?.0) }),
            RawFilter::After(d) => Filter::Written(Span { from: Some(day_span(&d, today)?.1), to: None }),
            RawFilter::On(d) => {
                let (from, to) = day_span(&d, today)?;
                Filter::Written(Span { from: Some(from), to: Some(to) })
            }
        })
    }
}

struct Scanner<'a> {
    rest: &'a str,
}

impl Scanner<'_> {
    fn next(&mut self) -> Option<Token> {
        self.rest = self.rest.trim_start_matches(|c: char| c.is_whitespace() || c.is_control());
        if self.rest.is_empty() {
            return None;
        }
        let mut negated = false;
        if let Some(after) = self.rest.strip_prefix('-') {
            if after.starts_with(|c: char| !c.is_whitespace() && c != '-') {
                negated = true;
                self.rest = after;
            }
        }
        if let Some(after) = self.rest.strip_prefix('"') {
            let (inside, rest, closed) = match after.find('"') {
                Some(end) => (&after[..end], &after[end + 1..], true),
                None => (after, "", false),
            };
            self.rest = rest;
            return Some(Token {
                body: Body::Text { text: inside.to_owned(), phrase: true },
                negated,
                at_end: !closed && !inside.ends_with(char::is_whitespace),
            });
        }
        let end = self.rest.find(|c: char| c.is_whitespace() || c.is_control()).unwrap_or(self.rest.len());
        let word = &self.rest[..end];
        self.rest = &self.rest[end..];
        let at_end = self.rest.is_empty();
        let body = if word == "OR" { Body::Or } else { classify(word) };
        Some(Token { body, negated, at_end })
    }
}

/// The operators a filter starts with.
const OPERATORS: [&str; 9] = ["from", "in", "to", "has", "is", "before", "after", "on", "during"];

/// A word, or a filter if it is one (`from:@bob`); unknown operators stay words
/// (`https://…`, `12:30`).
fn classify(word: &str) -> Body {
    let text = || Body::Text { text: word.to_owned(), phrase: false };
    if word.eq_ignore_ascii_case("@me") {
        return Body::Filter(RawFilter::ToMe);
    }
    let Some((op, value)) = word.split_once(':') else { return text() };
    let value = value.trim_matches('"');
    if value.is_empty() && OPERATORS.contains(&op.to_ascii_lowercase().as_str()) {
        // An operator still waiting for its value means nothing yet.
        return Body::Text { text: String::new(), phrase: false };
    }
    let lower = value.to_lowercase();
    let person = |v: &str| match v.trim_start_matches('@') {
        "me" => Some(Person::Me),
        "" => None,
        name => Some(Person::Username(name.to_owned())),
    };
    let filter = match op.to_ascii_lowercase().as_str() {
        "from" => person(&lower).map(RawFilter::From),
        "in" => {
            if let Some(name) = lower.strip_prefix('@') {
                person(name).map(|p| RawFilter::In(Place::DirectMessageWith(p)))
            } else {
                let name = lower.trim_start_matches('#');
                (!name.is_empty()).then(|| RawFilter::In(Place::Channel(name.to_owned())))
            }
        }
        "to" => (person(&lower) == Some(Person::Me)).then_some(RawFilter::ToMe),
        "has" => match lower.as_str() {
            "file" | "files" => Some(RawFilter::Has(Has::File)),
            "link" | "links" => Some(RawFilter::Has(Has::Link)),
            "reaction" | "reactions" => Some(RawFilter::Has(Has::Reaction)),
            "pin" | "pins" | "pinned" => Some(RawFilter::Has(Has::Pin)),
            _ => None,
        },
        "is" => match lower.as_str() {
            "thread" => Some(RawFilter::IsThread),
            "pinned" => Some(RawFilter::Has(Has::Pin)),
            _ => None,
        },
        "before" if !lower.is_empty() => Some(RawFilter::Before(lower)),
        "after" if !lower.is_empty() => Some(RawFilter::After(lower)),
        "on" | "during" if !lower.is_empty() => Some(RawFilter::On(lower)),
        _ => None,
    };
    filter.map_or_else(text, Body::Filter)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The days a date value covers, `[first, after last)`: a day (`2026-03-14`, `today`,
/// `yesterday`), a month (`2026-03`, `march`, `mar`: the latest one not in the future) or
/// a year (`2026`).
fn day_span(value: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
    let bad = || {
        Invalid::new(
            Code::InvalidQuery,
            format!(
                "\"{value}\" is not a date: write 2026-03-14, today, yesterday, a month (2026-03, march) or a year (2026)."
            ),
        )
    };
    let next_day = |d: NaiveDate| d.checked_add_days(Days::new(1)).ok_or_else(bad);
    let month = |first: NaiveDate| Ok((first, first.checked_add_months(Months::new(1)).ok_or_else(bad)?));
    match value {
        "today" => return Ok((today, next_day(today)?)),
        "yesterday" => {
            let d = today.checked_sub_days(Days::new(1)).ok_or_else(bad)?;
            return Ok((d, today));
        }
        _ => {}
    }
    if value.len() >= 3 {
        if let Some(index) = MONTHS.iter().position(|m| m.starts_with(value)) {
            let number = u32::try_from(index + 1).map_err(|_| bad())?;
            let year = if number <= today.month() { today.year() } else { today.year() - 1 };
            return month(NaiveDate::from_ymd_opt(year, number, 1).ok_or_else(bad)?);
        }
    }
    let numbers: Vec<&str> = value.split('-').collect();
    if numbers.iter().any(|n| n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit())) {
        return Err(bad());
    }
    let year: i32 = numbers[0].parse().map_err(|_| bad())?;
    if numbers[0].len() != 4 {
        return Err(bad());
    }
    match numbers[1..] {
        [] => {
            let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
            Ok((first, NaiveDate::from_ymd_opt(year + 1, 1, 1).ok_or_else(bad)?))
        }
        [m] => month(NaiveDate::from_ymd_opt(year, m.parse().map_err(|_| bad())?, 1).ok_or_else(bad)?),
        [m, d] => {
            let day = NaiveDate::from_ymd_opt(year, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?)
                .ok_or_else(bad)?;
            Ok((day, next_day(day)?))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn q(raw: &str) -> Query {
        parse(raw, today(), false).unwrap()
    }

    fn word(text: &str) -> Text {
        Text { text: text.into(), phrase: false, partial: false }
    }

    #[test]
    fn words_phrases_exclusions_and_alternatives() {
        let query = q(r#"deploy "exact phrase" -flaky red OR blue"#);
        assert_eq!(
            query.must,
            vec![
                vec![word("deploy")],
                vec![Text { text: "exact phrase".into(), phrase: true, partial: false }],
                vec![word("red"), word("blue")],
            ]
        );
        assert_eq!(query.must_not, vec![word("flaky")]);
    }

    #[test]
    fn filters_of_every_kind() {
        let query =
            q("from:@alice from:me in:#ops in:@bob to:me @me has:link has:reaction is:thread is:pinned -from:carol");
        assert_eq!(
            query.filters,
            vec![
                Filter::From(Person::Username("alice".into())),
                Filter::From(Person::Me),
                Filter::In(Place::Channel("ops".into())),
                Filter::In(Place::DirectMessageWith(Person::Username("bob".into()))),
                Filter::ToMe,
                Filter::ToMe,
                Filter::Has(Has::Link),
                Filter::Has(Has::Reaction),
                Filter::IsThread,
                Filter::Has(Has::Pin),
            ]
        );
        assert_eq!(query.excluded, vec![Filter::From(Person::Username("carol".into()))]);
        assert!(query.must.is_empty());
    }

    #[test]
    fn dates_become_spans_of_days() {
        let span = |raw: &str| match q(raw).filters.as_slice() {
            [Filter::Written(s)] => (s.from, s.to),
            other => panic!("{raw}: {other:?}"),
        };
        let cases = [
            ("on:2026-03-14", (Some(day(2026, 3, 14)), Some(day(2026, 3, 15)))),
            ("before:2026-03-14", (None, Some(day(2026, 3, 14)))),
            ("after:2026-03-14", (Some(day(2026, 3, 15)), None)),
            ("on:today", (Some(day(2026, 12, 1)), Some(day(2026, 12, 2)))),
            ("on:yesterday", (Some(day(2026, 11, 30)), Some(day(2026, 12, 1)))),
            ("during:2026-02", (Some(day(2026, 2, 1)), Some(day(2026, 3, 1)))),
            ("during:march", (Some(day(2026, 3, 1)), Some(day(2026, 4, 1)))),
            ("during:dec", (Some(day(2026, 12, 1)), Some(day(2027, 1, 1)))),
            ("during:2025", (Some(day(2025, 1, 1)), Some(day(2026, 1, 1)))),
        ];
        for (raw, want) in cases {
            assert_eq!(span(raw), want, "{raw}");
        }
    }

    #[test]
    fn a_date_that_does_not_exist_is_an_error_that_says_so() {
        for raw in ["on:2026-02-30", "before:2026-13-01", "after:tomorrowish", "on:26-01-01", "during:2026-1-1-1"] {
            let err = parse(raw, today(), false).unwrap_err();
            assert_eq!(err.code, Code::InvalidQuery, "{raw}");
            assert!(err.message.contains("is not a date"), "{raw}: {}", err.message);
        }
    }

    #[test]
    fn what_is_not_a_filter_is_a_word() {
        let query = q("https://example.com/a has:everything 12:30 from: in:");
        let texts: Vec<&str> = query.texts().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["https://example.com/a", "has:everything", "12:30"]);
    }

    #[test]
    fn while_typing_the_last_word_is_partial_and_one_letter_waits() {
        let typing = parse("deploy pro", today(), true).unwrap();
        assert_eq!(typing.must[1], vec![Text { text: "pro".into(), phrase: false, partial: true }]);
        assert!(!typing.must[0][0].partial);
        let done = parse("deploy pro ", today(), true).unwrap();
        assert!(!done.must[1][0].partial, "a space ends the word");
        let one = parse("deploy p", today(), true).unwrap();
        assert!(one.incomplete && one.must.len() == 1);
        let open = parse(r#""deploy to pro"#, today(), true).unwrap();
        assert!(open.must[0][0].phrase && open.must[0][0].partial);
        assert!(!parse("p", today(), false).unwrap().incomplete, "a finished search takes one letter");
    }

    #[test]
    fn suggestions_wait_for_three_letters_unless_something_else_narrows() {
        let typed = |raw: &str| parse(raw, today(), true).unwrap().narrow_enough_to_suggest();
        for wait in ["d", "de", "\"de", "-de"] {
            assert!(!typed(wait), "{wait:?}");
        }
        for go in ["dep", "de ", "deploy de", "from:me de", "\"de pr", "東", "de-pr"] {
            assert!(typed(go), "{go:?}");
        }
    }

    #[test]
    fn nothing_but_operators_or_punctuation_is_empty() {
        for raw in ["", "   ", "OR", "- -- OR", "\"\"", "!!! ...", "\u{0}\u{7}"] {
            assert!(q(raw).is_empty(), "{raw:?}");
        }
        assert!(!q("-flaky").is_empty(), "only an exclusion is still a query");
    }

    #[test]
    fn hostile_input_ends_quickly_and_keeps_a_bounded_number_of_clauses() {
        let many = "word ".repeat(10_000);
        let query = q(&many);
        assert_eq!(query.must.len(), MAX_CLAUSES);
        assert!(query.truncated);
        let megabyte = "x".repeat(1 << 20);
        assert!(q(&megabyte).is_empty(), "a word longer than any indexed term matches nothing");
        let quotes = "\"".repeat(10_001);
        let _ = q(&quotes);
        let mixed = "東京 -\"ﻣﺮﺣﺒﺎ\" OR OR from:@ é\u{301} 🔥 in:#\u{0} ".repeat(1000);
        let _ = parse(&mixed, today(), true).unwrap();
    }
}
