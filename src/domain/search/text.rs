//! How text is cut into searchable terms, the same for what is indexed and what is asked:
//! chunks between spaces, cut into parts at punctuation, camelCase and letter–digit edges
//! (`getHTTPResponse` → get, http, response); a chunk of several parts is also kept whole
//! (`ci.example.com`), so both a piece and the whole are found; runs of CJK characters become
//! overlapping bigrams (`東京都` → 東京, 京都). Every term is lowercased and folded to plain
//! letters (`café` → cafe). Also: the prefixes that make partial words findable, and the
//! highlighting of a message's text for a query.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Terms longer than this (in bytes) are not indexed: nobody types them, and tantivy
/// drops terms past 65,530 bytes anyway.
pub const MAX_TERM_BYTES: usize = 64;
/// Partial words are indexed by their prefixes up to this many characters; longer partial
/// words are matched against the dictionary instead.
pub const MAX_PREFIX_CHARS: usize = 8;
/// The shortest prefix that is searched (a single Latin letter matches nearly everything).
pub const MIN_PREFIX_CHARS: usize = 2;

/// One term cut from a text: its folded form, where it sits in the text (byte offsets),
/// and its position in the sequence of parts (phrases match consecutive positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub from: usize,
    pub to: usize,
    pub position: usize,
    pub kind: PieceKind,
}

/// What a piece is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PieceKind {
    /// A part of a chunk: a word, a number, an identifier's piece.
    Part,
    /// A CJK bigram, or a lone CJK character.
    Cjk,
    /// A chunk of several parts, whole (`ci.example.com`, `getuserbyid`).
    Whole,
}

/// Is `c` written in a script without spaces between words (Han, kana, Hangul)?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3040..=0x30FF | 0x3100..=0x31FF | 0x3200..=0x32FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F | 0x20000..=0x2FA1F)
}

/// Lowercases and folds to plain letters: accents dropped (`é` → e), a few letters spelled
/// out (`ß` → ss, `æ` → ae, `ø` → o, `ł` → l).
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'ı' => out.push('i'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Lower,
    Upper,
    Digit,
    /// A letter without case (most scripts other than Latin, Greek, Cyrillic).
    Other,
    Cjk,
}

fn class(c: char) -> Option<Class> {
    if is_cjk(c) {
        Some(Class::Cjk)
    } else if c.is_numeric() {
        Some(Class::Digit)
    } else if c.is_uppercase() {
        Some(Class::Upper)
    } else if c.is_lowercase() {
        Some(Class::Lower)
    } else if c.is_alphanumeric() || is_combining_mark(c) {
        Some(Class::Other)
    } else {
        None
    }
}

/// The parts of one chunk (no whitespace in it) as byte ranges, with whether each is CJK.
fn parts(chunk: &str, base: usize) -> Vec<(usize, usize, bool)> {
    let chars: Vec<(usize, char)> = chunk.char_indices().collect();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev: Option<Class> = None;
    for (i, &(at, c)) in chars.iter().enumerate() {
        let Some(this) = class(c) else {
            if let Some(s) = start.take() {
                out.push((base + chars[s].0, base + at, prev == Some(Class::Cjk)));
            }
            prev = None;
            continue;
        };
        let next = chars.get(i + 1).and_then(|&(_, n)| class(n));
        let cut = match (prev, this) {
            // CJK against anything else, digits against letters, and camelCase: a capital
            // after a small letter starts a part…
            (Some(Class::Cjk), Class::Lower | Class::Upper | Class::Digit | Class::Other)
            | (Some(Class::Lower | Class::Upper | Class::Digit | Class::Other), Class::Cjk)
            | (Some(Class::Digit), Class::Lower | Class::Upper | Class::Other)
            | (Some(Class::Lower | Class::Upper | Class::Other), Class::Digit)
            | (Some(Class::Lower), Class::Upper) => true,
            // …and so does the last capital of a run followed by a small letter (HTTPResponse).
            (Some(Class::Upper), Class::Upper) => next == Some(Class::Lower),
            // Runs of one kind, and a combining mark with its letter, stay together.
            _ => false,
        };
        if cut {
            if let Some(s) = start {
                out.push((base + chars[s].0, base + at, prev == Some(Class::Cjk)));
            }
            start = Some(i);
        } else if start.is_none() {
            start = Some(i);
        }
        prev = Some(this);
    }
    if let Some(s) = start {
        out.push((base + chars[s].0, base + chunk.len(), prev == Some(Class::Cjk)));
    }
    out
}

/// Cuts a text into pieces. With `whole`, a chunk of several parts (not CJK) is also kept
/// as one piece, at the position of its first part: the index does this so that a whole
/// host name or identifier is found; a query does not (a compound asked for becomes a
/// phrase of its parts, or the whole term).
pub fn pieces(text: &str, whole: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut position = 0;
    let mut offset = 0;
    for chunk in text.split(|c: char| c.is_whitespace()) {
        let base = offset;
        offset += chunk.len() + text[offset + chunk.len()..].chars().next().map_or(0, char::len_utf8);
        if chunk.is_empty() {
            continue;
        }
        let found = parts(chunk, base);
        let first_position = position;
        let mut plain = 0;
        for &(from, to, cjk) in &found {
            let slice = &text[from..to];
            if cjk {
                let chars: Vec<(usize, char)> = slice.char_indices().collect();
                if chars.len() == 1 {
                    out.push(piece(slice, from, to, position, PieceKind::Cjk));
                    position += 1;
                }
                for pair in chars.windows(2) {
                    let end = pair[1].0 + pair[1].1.len_utf8();
                    out.push(piece(&slice[pair[0].0..end], from + pair[0].0, from + end, position, PieceKind::Cjk));
                    position += 1;
                }
            } else {
                let folded = fold(slice);
                if !folded.is_empty() && folded.len() <= MAX_TERM_BYTES {
                    out.push(Piece { text: folded, from, to, position, kind: PieceKind::Part });
                }
                plain += 1;
                position += 1;
            }
        }
        if whole && plain >= 2 && plain == found.len() {
            let (from, to) = (found[0].0, found[found.len() - 1].1);
            let folded = fold(&text[from..to]);
            if folded.len() <= MAX_TERM_BYTES {
                out.push(Piece { text: folded, from, to, position: first_position, kind: PieceKind::Whole });
            }
        }
    }
    out
}

fn piece(text: &str, from: usize, to: usize, position: usize, kind: PieceKind) -> Piece {
    Piece { text: text.to_lowercase(), from, to, position, kind }
}

/// The prefixes under which the index files each piece, so that partial words are found:
/// every prefix of 2 to 8 characters of a part (offsets covering just the prefix, for
/// highlighting); of a whole compound only those longer than its first part; each CJK
/// character alone. Prefixes carry no positions (they are never part of a phrase).
pub fn prefixes(text: &str) -> Vec<Piece> {
    let all = pieces(text, true);
    prefix_spans(text, &all)
        .into_iter()
        .map(|s| Piece {
            text: s.text(text, &all).to_owned(),
            from: s.from,
            to: s.to,
            position: s.position,
            kind: s.kind,
        })
        .collect()
}

/// One prefix, as a place in a piece's folded text (or, for a CJK character, in the text
/// itself), so that the index can take them one by one without a string each.
#[derive(Debug, Clone, Copy)]
pub struct PrefixSpan {
    /// The piece it is a prefix of; `None` for a CJK character of the text.
    piece: Option<usize>,
    /// Bytes of that piece's text (or the text) it covers.
    start: usize,
    len: usize,
    pub from: usize,
    pub to: usize,
    /// The position of the piece (0 for a CJK character).
    pub position: usize,
    pub kind: PieceKind,
}

impl PrefixSpan {
    /// The prefix itself: a slice of `all` (the text's pieces) or of `text`.
    pub fn text<'a>(&self, text: &'a str, all: &'a [Piece]) -> &'a str {
        match self.piece {
            Some(i) => &all[i].text[self.start..self.start + self.len],
            None => &text[self.start..self.start + self.len],
        }
    }
}

/// Where the prefixes of a text's pieces (`all`, from `pieces(text, true)`) are, in the
/// order `prefixes` gives them.
pub fn prefix_spans(text: &str, all: &[Piece]) -> Vec<PrefixSpan> {
    let mut out = Vec::new();
    for (i, p) in all.iter().enumerate() {
        match p.kind {
            PieceKind::Cjk => {}
            PieceKind::Part => push_prefixes(&mut out, i, p, text, MIN_PREFIX_CHARS),
            PieceKind::Whole => {
                // The whole's first part comes just before it.
                let first = all[..i]
                    .iter()
                    .rev()
                    .find(|q| q.kind == PieceKind::Part && q.from == p.from)
                    .map_or(0, |q| q.text.chars().count());
                push_prefixes(&mut out, i, p, text, first + 1);
            }
        }
    }
    for (from, c) in text.char_indices().filter(|&(_, c)| is_cjk(c)) {
        let len = c.len_utf8();
        out.push(PrefixSpan { piece: None, start: from, len, from, to: from + len, position: 0, kind: PieceKind::Cjk });
    }
    out
}

fn push_prefixes(out: &mut Vec<PrefixSpan>, index: usize, p: &Piece, text: &str, from_chars: usize) {
    let original = &text[p.from..p.to];
    let span = |len: usize, to: usize| PrefixSpan {
        piece: Some(index),
        start: 0,
        len,
        from: p.from,
        to,
        position: p.position,
        kind: p.kind,
    };
    if original.is_ascii() {
        // One byte a character, folded or not.
        for n in from_chars.max(MIN_PREFIX_CHARS)..=MAX_PREFIX_CHARS.min(p.text.len()) {
            out.push(span(n, p.from + n));
        }
        return;
    }
    let folded_ends: Vec<usize> = p.text.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    let original_ends: Vec<usize> = original.char_indices().map(|(i, c)| i + c.len_utf8()).collect();
    for n in from_chars.max(MIN_PREFIX_CHARS)..=MAX_PREFIX_CHARS.min(folded_ends.len()) {
        // Folding keeps one character for one in nearly every case; where it does not, the
        // highlight covers the whole piece.
        let to = if folded_ends.len() == original_ends.len() { p.from + original_ends[n - 1] } else { p.to };
        out.push(span(folded_ends[n - 1], to));
    }
}

/// What a query asks to be shown highlighted: terms matched whole, and prefixes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub exact: Vec<String>,
    pub prefix: Vec<String>,
}

/// The byte ranges of `text` that the marks match, in order, not overlapping.
pub fn matches(text: &str, marks: &Marks) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    for p in pieces(text, true) {
        if marks.exact.contains(&p.text) {
            ranges.push((p.from, p.to));
        } else if let Some(n) =
            marks.prefix.iter().filter(|t| p.text.starts_with(t.as_str())).map(|t| t.chars().count()).max()
        {
            let original = &text[p.from..p.to];
            let to = if p.text.chars().count() == original.chars().count() {
                original.char_indices().nth(n).map_or(p.to, |(i, _)| p.from + i)
            } else {
                p.to
            };
            ranges.push((p.from, to));
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (from, to) in ranges {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// A snippet of `text` around its first match, at most about `max_chars` characters, as
/// HTML: the text escaped, matches in `<mark>`, and `…` where it was cut.
pub fn highlight(text: &str, marks: &Marks, max_chars: usize) -> String {
    let found = matches(text, marks);
    let first = found.first().map_or(0, |r| r.0);
    // Start a little before the first match, at a character boundary.
    let lead = max_chars / 4;
    let start_char = text[..first].chars().count().saturating_sub(lead);
    let start = if start_char == 0 { 0 } else { text.char_indices().nth(start_char).map_or(0, |(i, _)| i) };
    let end = text[start..].char_indices().nth(max_chars).map_or(text.len(), |(i, _)| start + i);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in &found {
        if to <= start || from >= end {
            continue;
        }
        let (from, to) = (from.max(start), to.min(end));
        escape_into(&mut out, &text[at..from]);
        out.push_str("<mark>");
        escape_into(&mut out, &text[from..to]);
        out.push_str("</mark>");
        at = to;
    }
    escape_into(&mut out, &text[at..end]);
    if end < text.len() {
        out.push('…');
    }
    out
}

/// Escapes a stretch of a snippet; line breaks become spaces (a snippet is one line).
fn escape_into(out: &mut String, text: &str) {
    for line in text.split(['\n', '\r', '\t']).enumerate() {
        if line.0 > 0 {
            out.push(' ');
        }
        super::escape_into(out, line.1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        pieces(text, true).into_iter().map(|p| p.text).collect()
    }

    #[test]
    fn compounds_give_their_parts_and_themselves() {
        let cases: &[(&str, &[&str], &str)] = &[
            ("getUserById", &["get", "user", "by", "id", "getuserbyid"], "camelCase"),
            ("getHTTPResponse", &["get", "http", "response", "gethttpresponse"], "a capital run"),
            ("snake_case_name", &["snake", "case", "name", "snake_case_name"], "snake_case"),
            ("foo::bar", &["foo", "bar", "foo::bar"], "a Rust path"),
            ("ci.example.com", &["ci", "example", "com", "ci.example.com"], "a host"),
            ("ann@example.org", &["ann", "example", "org", "ann@example.org"], "an address"),
            ("(deploy),", &["deploy"], "edge punctuation only"),
            ("ipv6", &["ipv", "6", "ipv6"], "letters then digits"),
            ("12345", &["12345"], "a number"),
        ];
        for (text, want, why) in cases {
            assert_eq!(terms(text), *want, "{why}");
        }
    }

    #[test]
    fn a_url_is_found_by_every_part_and_whole() {
        let t = terms("see https://ci.example.com/job/deploy-prod/42 now");
        for part in ["see", "https", "ci", "example", "com", "job", "deploy", "prod", "42", "now"] {
            assert!(t.contains(&part.to_owned()), "{part} in {t:?}");
        }
        assert!(t.contains(&"https://ci.example.com/job/deploy-prod/42".to_owned()));
    }

    #[test]
    fn accents_fold_and_case_goes() {
        assert_eq!(terms("Café Straße ÉLAN"), ["cafe", "strasse", "elan"]);
    }

    #[test]
    fn cjk_becomes_bigrams_and_a_lone_character_a_unigram() {
        assert_eq!(terms("東京都に行きます"), ["東京", "京都", "都に", "に行", "行き", "きま", "ます"]);
        assert_eq!(terms("東"), ["東"]);
        assert_eq!(terms("iPhone東京"), ["i", "phone", "東京"]);
        let korean = terms("안녕하세요");
        assert_eq!(korean[0], "안녕");
    }

    #[test]
    fn positions_follow_the_parts_and_a_whole_sits_with_its_first_part() {
        let p = pieces("deploy ci.example.com now", true);
        let at: Vec<(&str, usize)> = p.iter().map(|p| (p.text.as_str(), p.position)).collect();
        assert_eq!(at, [("deploy", 0), ("ci", 1), ("example", 2), ("com", 3), ("ci.example.com", 1), ("now", 4)]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Über café";
        for p in pieces(text, true) {
            assert_eq!(fold(&text[p.from..p.to]), p.text);
        }
    }

    #[test]
    fn prefixes_run_from_two_to_eight_characters() {
        let texts: Vec<String> = prefixes("deployment").into_iter().map(|p| p.text).collect();
        assert_eq!(texts, ["de", "dep", "depl", "deplo", "deploy", "deploym", "deployme"]);
        let host: Vec<String> = prefixes("ci.example").into_iter().map(|p| p.text).collect();
        assert!(host.contains(&"ci.ex".to_owned()) && !host.contains(&"c".to_owned()));
        let cjk: Vec<String> = prefixes("東京都").into_iter().map(|p| p.text).collect();
        assert_eq!(cjk, ["東", "京", "都"]);
    }

    #[test]
    fn highlighting_escapes_and_marks_words_and_prefixes() {
        let marks = Marks { exact: vec!["deploy".into()], prefix: vec!["prod".into()] };
        let html = highlight("<b>deploy</b> to production & more", &marks, 150);
        assert_eq!(html, "&lt;b&gt;<mark>deploy</mark>&lt;/b&gt; to <mark>prod</mark>uction &amp; more");
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_match() {
        let text = format!("{} needle {}", "hay ".repeat(200), "hay ".repeat(200));
        let marks = Marks { exact: vec!["needle".into()], prefix: vec![] };
        let html = highlight(&text, &marks, 100);
        assert!(html.starts_with('…') && html.ends_with('…') && html.contains("<mark>needle</mark>"));
        assert!(html.chars().count() < 130);
    }

    #[test]
    fn hostile_text_is_cut_in_linear_time_without_panicking() {
        let long = "a".repeat(1_000_000);
        assert!(pieces(&long, true).is_empty(), "a term over 64 bytes is not indexed");
        let mixed = "x\u{0}y\u{7}é\u{301}東\u{200b}🔥".repeat(10_000);
        let _ = pieces(&mixed, true);
        let _ = prefixes(&mixed);
        let _ = highlight(&mixed, &Marks { exact: vec!["x".into()], prefix: vec!["y".into()] }, 150);
    }
}
