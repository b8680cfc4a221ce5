//! Slack's `mrkdwn` (and Mattermost's Markdown, which integrations send to the same URLs)
//! turned into hearth's message Markdown: `*bold*` becomes `**bold**`, `~strike~` becomes
//! `~~strike~~`, `<https://x|label>` a link, `<@U1>` and `<#C2>` names, `<!here>` a
//! broadcast, and `&amp;`-style entities their characters. Markdown that is already
//! hearth's (`**bold**`, `[a](b)`) passes through, so both dialects read right.

use std::collections::HashMap;

use super::{SlackId, parse_id};

/// The names an integration's `<@U…>` and `<#C…>` references stand for, looked up by the
/// caller: ids that are not found fall back to the label the sender gave, if any.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub users: HashMap<i64, String>,
    pub channels: HashMap<i64, String>,
}

/// The user and channel ids a text refers to, so that the caller can look their names up.
pub fn referenced_ids(text: &str) -> (Vec<i64>, Vec<i64>) {
    let (mut users, mut channels) = (Vec::new(), Vec::new());
    for span in segments(text) {
        if let Segment::Plain(plain) = span {
            let mut rest = plain;
            while let Some((_, inner, after)) = next_angle(rest) {
                match reference(inner) {
                    Reference::User(id, _) => users.push(id),
                    Reference::Channel(id, _) => channels.push(id),
                    _ => {}
                }
                rest = after;
            }
        }
    }
    users.sort_unstable();
    users.dedup();
    channels.sort_unstable();
    channels.dedup();
    (users, channels)
}

/// The text in hearth's Markdown.
pub fn to_markdown(text: &str, names: &Names) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for span in segments(text) {
        match span {
            Segment::Plain(plain) => plain_to_markdown(plain, names, &mut out),
            Segment::Code(code) => out.push_str(&decode_entities(code)),
            Segment::Fence(body) => {
                // Slack's fences may sit on one line with their code; Markdown's need lines.
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str("```\n");
                out.push_str(decode_entities(body).trim_matches('\n'));
                out.push_str("\n```\n");
            }
        }
    }
    out
}

/// Plain text that should show exactly as sent (`"mrkdwn": false`): Markdown's special
/// characters escaped, entities decoded.
pub fn literal(text: &str) -> String {
    let decoded = decode_entities(text);
    let mut out = String::with_capacity(decoded.len() + 8);
    for c in decoded.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '<' | '>' | '#' | '!' | '|' | '-' | '+' | '.') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A piece of the text: formatted text, an inline code span, or a fenced block.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    Plain(&'a str),
    Code(&'a str),
    Fence(&'a str),
}

/// Splits off code spans (kept with their backticks) and fenced blocks (their bodies),
/// which are not translated. An unclosed backtick is plain text.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while let Some(found) = text[i..].find('`') {
        let at = i + found;
        if text[at..].starts_with("```") {
            if let Some(end) = text[at + 3..].find("```") {
                if start < at {
                    out.push(Segment::Plain(&text[start..at]));
                }
                out.push(Segment::Fence(&text[at + 3..at + 3 + end]));
                i = at + 3 + end + 3;
                start = i;
                continue;
            }
        } else if let Some(end) = text[at + 1..].find(['`', '\n']).filter(|&e| text[at + 1 + e..].starts_with('`')) {
            if start < at {
                out.push(Segment::Plain(&text[start..at]));
            }
            out.push(Segment::Code(&text[at..=at + 1 + end]));
            i = at + end + 2;
            start = i;
            continue;
        }
        i = at + text[at..].chars().take_while(|&c| c == '`').count();
    }
    if start < text.len() {
        out.push(Segment::Plain(&text[start..]));
    }
    out
}

/// The next `<…>` of a text: what precedes it, what is inside, and what follows. A `<`
/// whose `>` comes after another `<` or a line break is text, and the search goes on from
/// there (one pass, however many of them a text holds).
fn next_angle(text: &str) -> Option<(&str, &str, &str)> {
    let mut from = 0;
    loop {
        let open = from + text[from..].find('<')?;
        let stop = open + 1 + text[open + 1..].find(['>', '<', '\n'])?;
        if text[stop..].starts_with('>') {
            return Some((&text[..open], &text[open + 1..stop], &text[stop + 1..]));
        }
        from = stop;
    }
}

/// What a `<…>` stands for.
#[derive(Debug, PartialEq, Eq)]
enum Reference<'a> {
    User(i64, Option<&'a str>),
    Channel(i64, Option<&'a str>),
    /// `<!here>`, `<!channel>`, `<!everyone>` (`<!all>` in Mattermost).
    Broadcast(&'static str),
    /// Any other `<!…|label>` (user groups, dates): its label.
    Special(Option<&'a str>),
    Link(&'a str, Option<&'a str>),
    /// Not a reference at all: shown as written.
    Text,
}

fn reference(inner: &str) -> Reference<'_> {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(l).filter(|l| !l.is_empty())),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return match parse_id(id, SlackId::USER_PREFIXES) {
            Some(n) => Reference::User(n, label),
            None => Reference::Text,
        };
    }
    if let Some(id) = target.strip_prefix('#') {
        return match parse_id(id, SlackId::CHANNEL_PREFIXES) {
            Some(n) => Reference::Channel(n, label),
            None => Reference::Text,
        };
    }
    if let Some(special) = target.strip_prefix('!') {
        return match special {
            "here" => Reference::Broadcast("here"),
            "channel" => Reference::Broadcast("channel"),
            "everyone" | "all" => Reference::Broadcast("everyone"),
            _ => Reference::Special(label),
        };
    }
    let scheme = target.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http" | "https" | "mailto") if !target.contains(char::is_whitespace) => Reference::Link(target, label),
        _ => Reference::Text,
    }
}

fn plain_to_markdown(text: &str, names: &Names, out: &mut String) {
    let mut rest = text;
    while let Some((before, inner, after)) = next_angle(rest) {
        emphasis(&decode_entities(before), out);
        match reference(inner) {
            Reference::User(id, label) => match (names.users.get(&id), label) {
                (Some(name), _) => push_mention(out, '@', name),
                (None, Some(label)) => out.push_str(&escape_label(label.trim_start_matches('@'))),
                (None, None) => out.push_str("@unknown"),
            },
            Reference::Channel(id, label) => match (names.channels.get(&id), label) {
                (Some(name), _) => push_mention(out, '#', name),
                (None, Some(label)) => {
                    out.push_str("\\#");
                    out.push_str(&escape_label(label.trim_start_matches('#')));
                }
                (None, None) => out.push_str("\\#unknown"),
            },
            Reference::Broadcast(which) => {
                out.push('@');
                out.push_str(which);
            }
            Reference::Special(label) => out.push_str(&escape_label(label.unwrap_or(""))),
            Reference::Link(url, label) => {
                let url = decode_entities(url);
                let label = label.map(decode_entities);
                out.push('[');
                out.push_str(&escape_label(label.as_deref().unwrap_or(&url)));
                out.push_str("](<");
                out.push_str(&url.replace(['<', '>'], ""));
                out.push_str(">)");
            }
            Reference::Text => {
                out.push_str("\\<");
                emphasis(&decode_entities(inner), out);
                out.push_str("\\>");
            }
        }
        rest = after;
    }
    emphasis(&decode_entities(rest), out);
}

/// A name as hearth's mention syntax, at a word boundary so that it is recognised.
fn push_mention(out: &mut String, sigil: char, name: &str) {
    if out.chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
        out.push(' ');
    }
    out.push(sigil);
    out.push_str(name);
}

/// A label inside `[…]`, or a name shown as text: Markdown's brackets and emphasis escaped.
fn escape_label(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        if matches!(c, '[' | ']' | '\\' | '*' | '_' | '`' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Slack's one-character emphasis marks made Markdown's: a lone `*` that opens or closes
/// bold becomes `**`, a lone `~` becomes `~~`. Runs of two or more (Markdown already) and
/// `_` (the same in both) are left alone.
fn emphasis(text: &str, out: &mut String) {
    let chars: Vec<char> = text.chars().collect();
    // One pass pairs lone marks line by line: an opener waits for the next mark of its
    // kind that can close it. Linear, however many marks a text holds.
    let mut doubled = vec![false; chars.len()];
    let mut open: [Option<usize>; 2] = [None, None];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            open = [None, None];
        }
        let slot = match c {
            '*' => 0,
            '~' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        if run == 1 {
            let before = i.checked_sub(1).map(|p| chars[p]);
            let after = chars.get(i + 1).copied();
            let opens = after.is_some_and(|a| !a.is_whitespace()) && before.is_none_or(|b| !b.is_alphanumeric());
            let closes = before.is_some_and(|b| !b.is_whitespace()) && after.is_none_or(|a| !a.is_alphanumeric());
            match open[slot] {
                Some(o) if closes => {
                    doubled[o] = true;
                    doubled[i] = true;
                    open[slot] = None;
                }
                _ if opens => open[slot] = Some(i),
                _ => {}
            }
        }
        i += run;
    }
    for (c, twice) in chars.iter().zip(doubled) {
        out.push(*c);
        if twice {
            out.push(*c);
        }
    }
}

/// `&amp;`, `&lt;` and `&gt;` (the three Slack escapes), and `&quot;`/`&#39;`, decoded.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// hearth's mentions in Slack's forms, for what Slack apps are sent: `@name` of one of
/// `people` as `<@U…>`, `@here`, `@channel` and `@everyone` as `<!here>` and the like, the
/// rest escaped as Slack escapes event text (`&`, `<`, `>`), so that nobody can write a
/// mention in Slack's form. Code spans and `@` inside words and addresses are left alone.
pub fn slack_mentions(text: &str, people: &[(String, i64)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    let mut previous: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '@' if !in_code && previous.is_none_or(|p| p.is_whitespace() || "([{\"'".contains(p)) => {
                let rest = &text[i + 1..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
                    .unwrap_or(rest.len());
                let name = rest[..len].trim_end_matches(['.', '-']);
                let slack = if matches!(name, "here" | "channel" | "everyone") {
                    Some(format!("<!{name}>"))
                } else {
                    people.iter().find(|(n, _)| n == name).map(|(_, id)| format!("<@{}>", super::SlackId::user(*id)))
                };
                match slack {
                    Some(s) if !name.is_empty() => {
                        out.push_str(&s);
                        for _ in 0..name.chars().count() {
                            chars.next();
                        }
                    }
                    _ => out.push(c),
                }
            }
            _ => out.push(c),
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hearths_mentions_go_out_in_slacks_form() {
        let people = [("bob".to_owned(), 7), ("ana.b".to_owned(), 9)];
        assert_eq!(slack_mentions("hi @bob and @ana.b.", &people), "hi <@U7> and <@U9>.");
        assert_eq!(slack_mentions("@here: deploy", &people), "<!here>: deploy");
        assert_eq!(slack_mentions("mail bob@bob.com or @nobody", &people), "mail bob@bob.com or @nobody");
        assert_eq!(slack_mentions("@", &people), "@");
        assert_eq!(slack_mentions("see https://medium.com/@bob/x", &people), "see https://medium.com/@bob/x");
        assert_eq!(slack_mentions("`@here` is code", &people), "`@here` is code");
        assert_eq!(slack_mentions("fake <@U1> & <!channel>", &people), "fake &lt;@U1&gt; &amp; &lt;!channel&gt;");
        assert_eq!(slack_mentions("(@bob) é@bob", &people), "(<@U7>) é@bob");
    }

    fn names() -> Names {
        Names {
            users: [(7, "bob".to_owned())].into_iter().collect(),
            channels: [(3, "deploys".to_owned())].into_iter().collect(),
        }
    }

    #[test]
    fn slack_markup_becomes_hearth_markdown() {
        let cases = [
            ("*bold* and _italic_ and ~gone~", "**bold** and _italic_ and ~~gone~~"),
            ("**already bold** and ~~struck~~", "**already bold** and ~~struck~~"),
            ("2 * 3 * 4 and a*b", "2 * 3 * 4 and a*b"),
            ("*one line\nnot bold*", "*one line\nnot bold*"),
            ("see <https://ci.example.com/b/1|build 1>", "see [build 1](<https://ci.example.com/b/1>)"),
            ("<https://example.com>", "[https://example.com](<https://example.com>)"),
            ("<mailto:a@example.com|mail me>", "[mail me](<mailto:a@example.com>)"),
            ("<https://x.example/?a=1&amp;b=2|a &amp; b>", "[a & b](<https://x.example/?a=1&b=2>)"),
            ("hi <@U7>, see <#C3|deploys>", "hi @bob, see #deploys"),
            ("hi <@U99|carol> in <#C98|secret>", "hi carol in \\#secret"),
            ("<!here> <!channel> <!everyone> <!all>", "@here @channel @everyone @everyone"),
            ("<!subteam^S1|@ops> <!date^1392734382^{date}|Feb 18>", "@ops Feb 18"),
            ("1 &lt; 2 &amp;&amp; 3 &gt; 2", "1 < 2 && 3 > 2"),
            ("<javascript:alert(1)|click>", "\\<javascript:alert(1)|click\\>"),
            ("`*not bold*` *bold*", "`*not bold*` **bold**"),
            ("```*code* <@U7>```", "```\n*code* <@U7>\n```\n"),
            ("a<@U7>", "a @bob"),
        ];
        for (slack, markdown) in cases {
            assert_eq!(to_markdown(slack, &names()), markdown, "{slack}");
        }
    }

    #[test]
    fn references_are_collected_outside_code() {
        let (users, channels) = referenced_ids("<@U7> <@W8|x> <@U7> <#C3> `<@U9>` <@nobody>");
        assert_eq!(users, [7, 8]);
        assert_eq!(channels, [3]);
    }

    #[test]
    fn literal_text_shows_as_sent() {
        assert_eq!(literal("*a* [b](c) &lt;d&gt;"), "\\*a\\* \\[b\\](c) \\<d\\>");
    }

    #[test]
    fn hostile_texts_take_linear_time() {
        // A million angle brackets or marks: one pass each, no deep recursion.
        let angles = "<".repeat(1_000_000) + ">";
        assert!(to_markdown(&angles, &names()).len() >= 1_000_000);
        let marks = "*a ".repeat(300_000);
        assert!(to_markdown(&marks, &names()).len() >= 900_000);
        assert_eq!(to_markdown("*a* *b* x*", &names()), "**a** **b** x*");
    }

    #[test]
    fn angles_that_are_not_references_stay_text() {
        assert_eq!(to_markdown("a < b > c", &names()), "a \\< b \\> c");
        assert_eq!(to_markdown("x <<https://e.com>", &names()), "x <[https://e.com](<https://e.com>)");
        assert_eq!(to_markdown("unclosed <https://e.com", &names()), "unclosed <https://e.com");
    }
}
