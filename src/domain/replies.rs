//! Replies by email: the signed reply address a notification carries, and what is kept of
//! a reply (its own words: quoted text, signatures and mobile footers cut, HTML read as
//! text), and what makes one refused.

/// What a reply address stands for: a person answering in a channel's conversation (in a
/// thread when `thread_root_id` is set), until a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTo {
    pub user_id: i64,
    pub channel_id: i64,
    pub thread_root_id: Option<i64>,
    /// The last day (days since 1970-01-01, UTC) the address works.
    pub until_day: i64,
}

impl ReplyTo {
    /// What is signed: `<user>-<channel>-<root or 0>-<day>`.
    pub fn payload(&self) -> String {
        format!("{}-{}-{}-{}", self.user_id, self.channel_id, self.thread_root_id.unwrap_or(0), self.until_day)
    }

    /// The token of the address (`<payload>-<mac>`), lowercase, so that relays that fold
    /// the local part's case do not break it; `mac` signs a payload.
    pub fn token(&self, mac: impl Fn(&str) -> String) -> String {
        let payload = self.payload();
        let signature = mac(&payload);
        format!("{payload}-{signature}")
    }

    /// Reads a token back, if it is well formed and `mac` signed it (expired or not).
    pub fn parse(token: &str, mac: impl Fn(&str) -> String) -> Option<ReplyTo> {
        let token = token.to_ascii_lowercase();
        let (payload, signature) = token.rsplit_once('-')?;
        if !same(signature.as_bytes(), mac(payload).as_bytes()) {
            return None;
        }
        let mut parts = payload.split('-').map(|p| p.parse::<i64>().ok());
        let (user_id, channel_id, root, until_day) = (parts.next()??, parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() || user_id <= 0 || channel_id <= 0 || root < 0 {
            return None;
        }
        Some(ReplyTo { user_id, channel_id, thread_root_id: (root > 0).then_some(root), until_day })
    }

    pub fn expired(&self, today: i64) -> bool {
        today > self.until_day
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token of `reply+<token>@<domain>`, the domain compared without case.
pub fn address_token<'a>(address: &'a str, domain: &str) -> Option<&'a str> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (local, host) = address.rsplit_once('@')?;
    if !host.eq_ignore_ascii_case(domain) {
        return None;
    }
    let token = local.strip_prefix("reply+").or_else(|| local.strip_prefix("REPLY+"))?;
    (!token.is_empty()).then_some(token)
}

/// Why a reply was not posted; each is told to its sender in a bounce-style reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The reply address is past its day.
    Expired,
    /// The mail is not from the address the notification went to.
    WrongSender,
    /// The receiving relay found the sender's address forged (SPF or DKIM failed).
    Unauthenticated,
    /// The person is no longer in the conversation, or has no account any more.
    NotAMember,
    /// The thread's first message was deleted.
    ThreadGone,
    /// Nothing is left once quoted text and signatures are cut.
    Empty,
    /// The text is longer than a message may be.
    TooLong,
    /// More attachments than a message may share.
    TooManyFiles,
    /// An attachment is larger than a shared file may be.
    FileTooLarge,
    /// The person may not post there now (an archived channel, say).
    NotAllowed,
}

impl Refusal {
    /// One line for the bounce's subject.
    pub fn summary(self) -> &'static str {
        match self {
            Refusal::Expired => "the reply address has expired",
            Refusal::WrongSender => "it was sent from another address than yours",
            Refusal::Unauthenticated => "the sender's address could not be verified",
            Refusal::NotAMember => "you are no longer in that conversation",
            Refusal::ThreadGone => "the thread was deleted",
            Refusal::Empty => "there was no text to post",
            Refusal::TooLong => "the text is too long for a message",
            Refusal::TooManyFiles => "it has more attachments than a message may share",
            Refusal::FileTooLarge => "an attachment is larger than a shared file may be",
            Refusal::NotAllowed => "you cannot post in that conversation now",
        }
    }

    /// What to do about it, for the bounce's body.
    pub fn advice(self) -> &'static str {
        match self {
            Refusal::Expired => {
                "Reply addresses work for 30 days. Open the conversation in hearth and answer there, or reply to a newer notification."
            }
            Refusal::WrongSender => {
                "Someone replied to one of your notifications from another address. Only you can answer your notifications by email, from your own address; nothing was posted."
            }
            Refusal::Unauthenticated => {
                "Your mail server's SPF or DKIM check failed at our end, so the mail may not be from you. Answer in hearth instead."
            }
            Refusal::NotAMember => {
                "You were removed from the channel or the workspace, or your account was deactivated."
            }
            Refusal::ThreadGone => "Its first message was deleted, so the thread cannot take replies any more.",
            Refusal::Empty => {
                "Write your answer above the quoted notification; quoted text, signatures and \"Sent from my phone\" lines are left out."
            }
            Refusal::TooLong => "Shorten your answer, or post it in hearth as a file.",
            Refusal::TooManyFiles => "Send at most 10 attachments in one reply, or share the files in hearth.",
            Refusal::FileTooLarge => "Share large files in hearth, where the limit is shown as you attach them.",
            Refusal::NotAllowed => "The channel may have been archived. Open it in hearth to see why.",
        }
    }
}

/// Whether the receiving relay's verdict says the sender's address is forged: SPF, DKIM or
/// DMARC failed and no DKIM signature passed. Only the topmost `Authentication-Results` and
/// `Received-SPF` count, the ones the relay that handed the mail to hearth added last:
/// those further down may have been written by the sender.
pub fn forged(authentication_results: Option<&str>, received_spf: Option<&str>) -> bool {
    let results = authentication_results.unwrap_or_default().to_ascii_lowercase();
    if results.contains("dkim=pass") {
        return false;
    }
    ["spf=fail", "dkim=fail", "dmarc=fail"].iter().any(|f| results.contains(f))
        || received_spf.is_some_and(|s| s.trim_start().to_ascii_lowercase().starts_with("fail"))
}

/// Lines that end what a person wrote on a phone.
const MOBILE_FOOTERS: &[&str] = &[
    "sent from my iphone",
    "sent from my ipad",
    "sent from my android",
    "sent from my samsung",
    "sent from my galaxy",
    "sent from my mobile",
    "sent from my phone",
    "sent from mail for windows",
    "sent from outlook",
    "sent from yahoo mail",
    "get outlook for ios",
    "get outlook for android",
];

/// What a person wrote in a reply: everything before the quoted notification (Gmail's and
/// Apple Mail's "On … wrote:", Outlook's "-----Original Message-----" or its "From: …
/// Sent: …" block), without `>` quoted lines, a signature after `-- `, or a mobile footer.
pub fn own_words(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let lower = t.to_ascii_lowercase();
        if *line == "-- " || t == "--" || t == "-----Original Message-----" || t.starts_with("-----Original") {
            break;
        }
        if MOBILE_FOOTERS.iter().any(|f| lower.starts_with(f)) {
            break;
        }
        if quote_header(&lines, i) {
            break;
        }
        if t.len() >= 10 && t.chars().all(|c| c == '_') {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    // Blank lines at either end, and runs of more than one, go.
    let mut out = String::new();
    let mut blank = 0;
    for line in kept.iter().skip_while(|l| l.is_empty()) {
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Whether line `i` starts the header of a quoted message: "On … wrote:" (over up to three
/// lines, as clients wrap it), or Outlook's "From: …" followed by "Sent:"/"Date:".
fn quote_header(lines: &[&str], i: usize) -> bool {
    let t = lines[i].trim();
    if t.starts_with("On ") {
        let joined: String = lines[i..lines.len().min(i + 3)].iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        if let Some(at) = joined.find("wrote:") {
            // The "wrote:" of this header, not of a later line's text.
            return joined[..at].len() < 300;
        }
        return false;
    }
    if t.starts_with("From: ") || t.starts_with("*From:*") {
        return lines[i + 1..lines.len().min(i + 4)].iter().any(|l| {
            let l = l.trim();
            l.starts_with("Sent: ") || l.starts_with("Date: ") || l.starts_with("*Sent:*")
        });
    }
    false
}

/// Where a quoted message starts in the HTML of common mail clients.
const HTML_QUOTE_STARTS: &[&str] = &[
    "<div class=\"gmail_quote",
    "<div class=\"gmail_extra",
    "<blockquote",
    "<div id=\"appendonsend",
    "<div id=\"divrplyfwdmsg",
    "<hr id=\"stopspelling",
    "<div class=\"moz-cite-prefix",
    "<div class=\"yahoo_quoted",
];

/// An HTML body read as text: the quoted message (by the markers of Gmail, Outlook, Apple
/// Mail, Thunderbird and Yahoo) cut, tags dropped, block ends as line breaks, entities read.
pub fn html_to_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let body_start = lower.find("<body").and_then(|b| lower[b..].find('>').map(|e| b + e + 1)).unwrap_or(0);
    let end = HTML_QUOTE_STARTS
        .iter()
        .filter_map(|m| lower[body_start..].find(m))
        .min()
        .map_or(html.len(), |e| body_start + e);
    let html = &html[body_start..end];
    let mut out = String::new();
    let mut rest = html;
    let mut skipping: Option<&str> = None;
    while let Some(lt) = rest.find('<') {
        if skipping.is_none() {
            push_text(&mut out, &rest[..lt]);
        }
        let Some(gt) = rest[lt..].find('>') else { break };
        let tag = rest[lt + 1..lt + gt].trim().to_ascii_lowercase();
        rest = &rest[lt + gt + 1..];
        let name: String = tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
        if let Some(skipped) = skipping {
            if tag.starts_with('/') && name == skipped {
                skipping = None;
            }
            continue;
        }
        match name.as_str() {
            "style" | "script" | "head" | "title" if !tag.starts_with('/') => {
                skipping = Some(match name.as_str() {
                    "style" => "style",
                    "script" => "script",
                    "head" => "head",
                    _ => "title",
                });
            }
            "br" => out.push('\n'),
            "p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol" | "table" | "pre"
                if !out.ends_with('\n') && !out.is_empty() =>
            {
                out.push('\n');
            }
            "li" if !tag.starts_with('/') => {
                if !out.ends_with('\n') && !out.is_empty() {
                    out.push('\n');
                }
                out.push_str("- ");
            }
            _ => {}
        }
    }
    if skipping.is_none() {
        push_text(&mut out, rest);
    }
    out.lines().map(str::trim).collect::<Vec<_>>().join("\n")
}

/// Text between tags, its whitespace collapsed as a browser would, entities read.
fn push_text(out: &mut String, raw: &str) {
    let mut collapsed = String::new();
    for word in raw.split_whitespace() {
        if !collapsed.is_empty() {
            collapsed.push(' ');
        }
        collapsed.push_str(word);
    }
    if collapsed.is_empty() {
        if raw.chars().any(char::is_whitespace) && !out.ends_with([' ', '\n']) && !out.is_empty() {
            out.push(' ');
        }
        return;
    }
    if raw.starts_with(char::is_whitespace) && !out.ends_with([' ', '\n']) && !out.is_empty() {
        out.push(' ');
    }
    out.push_str(&entities(&collapsed));
    if raw.ends_with(char::is_whitespace) {
        out.push(' ');
    }
}

/// Reads HTML character references: the common named ones and numeric ones.
fn entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // A reference is short: look for its `;` among the next few characters (not bytes:
        // the text may hold any).
        let window = rest.char_indices().nth(12).map_or(rest.len(), |(i, _)| i);
        let Some(semi) = rest[..window].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let c = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => name
                .strip_prefix("#x")
                .or_else(|| name.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        if let Some(c) = c {
            out.push(c);
            rest = &rest[semi + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(payload: &str) -> String {
        let sum: u64 = payload.bytes().enumerate().map(|(i, b)| (i as u64 + 1) * u64::from(b)).sum();
        format!("{sum:x}")
    }

    #[test]
    fn a_reply_token_reads_back_only_as_signed() {
        let to = ReplyTo { user_id: 12, channel_id: 345, thread_root_id: Some(6789), until_day: 20_800 };
        let token = to.token(mac);
        assert_eq!(ReplyTo::parse(&token, mac), Some(to));
        assert_eq!(ReplyTo::parse(&token.to_uppercase(), mac), Some(to), "case folded by a relay");
        let tampered = token.replacen("12-", "13-", 1);
        assert_eq!(ReplyTo::parse(&tampered, mac), None);
        assert_eq!(ReplyTo::parse("12-345-0-20800", mac), None, "unsigned");
        assert_eq!(ReplyTo::parse("", mac), None);
        let dm = ReplyTo { thread_root_id: None, ..to };
        assert_eq!(ReplyTo::parse(&dm.token(mac), mac), Some(dm));
        assert!(!to.expired(20_800) && to.expired(20_801));
        assert_eq!(address_token("<reply+abc@Reply.Example.com>", "reply.example.com"), Some("abc"));
        assert_eq!(address_token("reply+abc@elsewhere.com", "reply.example.com"), None);
        assert_eq!(address_token("bob@reply.example.com", "reply.example.com"), None);
    }

    #[test]
    fn a_gmail_reply_keeps_what_was_written_above_the_quote() {
        let gmail = "Sure, I'll take it.\r\n\r\nThanks!\r\n\r\nOn Thu, Dec 3, 2026 at 3:04 PM hearth <hearth@chat.example.com>\r\nwrote:\r\n\r\n> admin mentioned you in #ops\r\n> @bob can you look?\r\n";
        assert_eq!(own_words(gmail), "Sure, I'll take it.\n\nThanks!");
    }

    #[test]
    fn an_outlook_reply_ends_at_its_header_block_or_separator() {
        let outlook = "On it.\n\nBob\n\n________________________________\nFrom: hearth <hearth@chat.example.com>\nSent: Thursday, December 3, 2026 3:04 PM\nTo: bob@example.com\nSubject: admin mentioned you in #ops\n\n@bob can you look?";
        assert_eq!(own_words(outlook), "On it.\n\nBob");
        let old = "Done.\n-----Original Message-----\nFrom: hearth\n";
        assert_eq!(own_words(old), "Done.");
        let block = "Yes\n\nFrom: hearth <hearth@chat.example.com>\nDate: Thu, 3 Dec 2026\nSubject: x\n";
        assert_eq!(own_words(block), "Yes");
    }

    #[test]
    fn an_apple_mail_reply_loses_its_mobile_footer_and_signature() {
        let apple = "Looks good 👍\n\nSent from my iPhone\n\n> On Dec 3, 2026, at 15:04, hearth <hearth@chat.example.com> wrote:\n>\n> @bob can you look?";
        assert_eq!(own_words(apple), "Looks good 👍");
        let signed = "Will do\n-- \nBob Builder\nACME Corp";
        assert_eq!(own_words(signed), "Will do");
        let interleaved = "> can you look?\nyes\n> and deploy?\nafter lunch";
        assert_eq!(own_words(interleaved), "yes\nafter lunch");
        assert_eq!(own_words("> only quoted\n\nSent from my iPad"), "");
        assert_eq!(own_words("On second thought, no."), "On second thought, no.", "not a quote header");
    }

    #[test]
    fn html_is_read_as_text_without_the_quoted_message() {
        let gmail = r#"<div dir="ltr">Sure, <b>on it</b>&nbsp;&amp; done.<br>Second line</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Thu wrote:<br></div><blockquote>@bob can you look?</blockquote></div>"#;
        assert_eq!(own_words(&html_to_text(gmail)), "Sure, on it & done.\nSecond line");
        let outlook = "<html><head><style>p{margin:0}</style></head><body><p>Yes &lt;today&gt;</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> hearth</div></body></html>";
        assert_eq!(own_words(&html_to_text(outlook)), "Yes <today>");
        let apple = "<html><body><div>Fine by me&#33; &#x1F44D;</div><div><br><blockquote type=\"cite\">On Dec 3 wrote:</blockquote></div></body></html>";
        assert_eq!(own_words(&html_to_text(apple)), "Fine by me! 👍");
        assert_eq!(html_to_text("<ul><li>one</li><li>two</li></ul>"), "- one\n- two");
        assert_eq!(html_to_text("<p>A&日本語です &amp;c &#1234567890123; &</p>"), "A&日本語です &c &#1234567890123; &");
    }

    #[test]
    fn a_relays_failed_verdict_marks_a_forgery_unless_dkim_passed() {
        assert!(forged(Some("mx.example.com; spf=fail smtp.mailfrom=bob@example.com"), None));
        assert!(forged(Some("mx.example.com; dmarc=fail header.from=example.com"), None));
        assert!(!forged(Some("mx.example.com; spf=fail; dkim=pass header.d=example.com"), None));
        assert!(forged(None, Some("Fail (mx.example.com: domain does not designate 192.0.2.1)")));
        assert!(!forged(Some("mx.example.com; spf=pass"), Some("pass")));
        assert!(!forged(None, None), "no verdict is no forgery");
    }
}
