//! What integrations show beside a message's text: Slack's legacy attachments (a coloured
//! bar, pretext, author, title, text, fields, image, footer) and a subset of Block Kit
//! (`section`, `header`, `divider`, `context`, `image`, `rich_text`). Read leniently from
//! JSON, bounded in size, and rendered to HTML in which every text is escaped or rendered
//! through the message renderer's sanitiser, and every address is http(s).

use serde_json::Value;

mod html;

use html::{render_attachment, render_block};

use super::mrkdwn::{self, Names};
use super::{escape_into, read};

/// Attachments one message may carry (Slack's limit).
pub const MAX_ATTACHMENTS: usize = 100;
/// Blocks one message may carry (Slack's limit).
pub const MAX_BLOCKS: usize = 50;
/// Fields shown per attachment or section; more are counted, not shown.
pub(super) const MAX_FIELDS: usize = 20;
/// Elements read per context block, list or rich text section.
pub(super) const MAX_ELEMENTS: usize = 50;
/// Characters kept of any one text.
pub(super) const MAX_TEXT: usize = 3000;
/// How deep rich text lists and quotes nest before the rest is left out.
pub(super) const MAX_DEPTH: usize = 4;

/// A piece of text: Slack `mrkdwn` (hearth Markdown once translated) or plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Markdown(String),
    Plain(String),
}

impl Inline {
    fn as_str(&self) -> &str {
        match self {
            Inline::Markdown(s) | Inline::Plain(s) => s,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    pub title: String,
    pub value: Option<Inline>,
    pub short: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    pub fallback: String,
    pub color: Option<String>,
    pub pretext: Option<Inline>,
    pub author_name: String,
    pub author_link: Option<String>,
    pub title: String,
    pub title_link: Option<String>,
    pub text: Option<Inline>,
    pub fields: Vec<Field>,
    /// Fields beyond those kept.
    pub more_fields: usize,
    pub image_url: Option<String>,
    pub thumb_url: Option<String>,
    pub footer: String,
    /// Seconds since the epoch.
    pub ts: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Section {
        text: Option<Inline>,
        fields: Vec<Inline>,
        image: Option<Image>,
    },
    Header(String),
    Divider,
    Context(Vec<ContextPart>),
    Image(Image),
    /// Rich text, read as Markdown.
    RichText(Inline),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextPart {
    Text(Inline),
    Image(Image),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: String,
    pub alt: String,
    pub title: String,
}

/// The attachments and blocks of one message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cards {
    pub attachments: Vec<Attachment>,
    pub blocks: Vec<Block>,
}

/// Why attachments or blocks cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardsError {
    TooManyAttachments(usize),
    TooManyBlocks(usize),
    InvalidAttachments(String),
    InvalidBlocks(String),
}

impl Cards {
    /// Reads `attachments` and `blocks` (either may be `Null`).
    pub fn read(attachments: &Value, blocks: &Value) -> Result<Cards, CardsError> {
        let mut cards = Cards::default();
        let mut parsed = None;
        let items = read::array(attachments, &mut parsed)
            .map_err(|e| CardsError::InvalidAttachments(format!("attachments {e}")))?;
        if let Some(items) = items {
            if items.len() > MAX_ATTACHMENTS {
                return Err(CardsError::TooManyAttachments(items.len()));
            }
            cards.attachments = items.iter().filter_map(Value::as_object).map(read::attachment).collect();
        }
        let mut parsed = None;
        let items = read::array(blocks, &mut parsed).map_err(|e| CardsError::InvalidBlocks(format!("blocks {e}")))?;
        if let Some(items) = items {
            if items.len() > MAX_BLOCKS {
                return Err(CardsError::TooManyBlocks(items.len()));
            }
            for item in items {
                let obj = item
                    .as_object()
                    .ok_or_else(|| CardsError::InvalidBlocks("every block must be an object".into()))?;
                if let Some(block) = read::block(obj) {
                    cards.blocks.push(block);
                }
            }
        }
        Ok(cards)
    }

    pub fn is_empty(&self) -> bool {
        self.attachments.is_empty() && self.blocks.is_empty()
    }

    fn inlines(&self) -> Vec<&Inline> {
        let mut out = Vec::new();
        for a in &self.attachments {
            out.extend(a.pretext.iter().chain(&a.text).chain(a.fields.iter().filter_map(|f| f.value.as_ref())));
        }
        for b in &self.blocks {
            match b {
                Block::Section { text, fields, .. } => out.extend(text.iter().chain(fields)),
                Block::Context(parts) => out.extend(parts.iter().filter_map(|p| match p {
                    ContextPart::Text(t) => Some(t),
                    ContextPart::Image(_) => None,
                })),
                Block::RichText(t) => out.push(t),
                Block::Header(_) | Block::Divider | Block::Image(_) => {}
            }
        }
        out
    }

    fn inlines_mut(&mut self) -> Vec<&mut Inline> {
        let mut out = Vec::new();
        for a in &mut self.attachments {
            out.extend(
                a.pretext
                    .iter_mut()
                    .chain(a.text.iter_mut())
                    .chain(a.fields.iter_mut().filter_map(|f| f.value.as_mut())),
            );
        }
        for b in &mut self.blocks {
            match b {
                Block::Section { text, fields, .. } => out.extend(text.iter_mut().chain(fields.iter_mut())),
                Block::Context(parts) => out.extend(parts.iter_mut().filter_map(|p| match p {
                    ContextPart::Text(t) => Some(t),
                    ContextPart::Image(_) => None,
                })),
                Block::RichText(t) => out.push(t),
                Block::Header(_) | Block::Divider | Block::Image(_) => {}
            }
        }
        out
    }

    /// The user and channel ids the cards' texts refer to.
    pub fn referenced_ids(&self) -> (Vec<i64>, Vec<i64>) {
        let (mut users, mut channels) = (Vec::new(), Vec::new());
        for t in self.inlines() {
            if let Inline::Markdown(s) = t {
                let (u, c) = mrkdwn::referenced_ids(s);
                users.extend(u);
                channels.extend(c);
            }
        }
        (users, channels)
    }

    /// Turns every `mrkdwn` text into hearth Markdown.
    pub fn translate(&mut self, names: &Names) {
        for t in self.inlines_mut() {
            if let Inline::Markdown(s) = t {
                *s = mrkdwn::to_markdown(s, names);
            }
        }
    }

    /// Every Markdown text, for the mentions and channel links they make.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for t in self.inlines() {
            if let Inline::Markdown(s) = t {
                out.push_str(s);
                out.push('\n');
            }
        }
        out
    }

    /// What the cards say in a line or two, for a message that has no text of its own:
    /// the attachments' fallbacks (or titles), else the blocks' texts.
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for a in &self.attachments {
            let line = [a.fallback.as_str(), a.title.as_str(), a.pretext.as_ref().map_or("", Inline::as_str)]
                .into_iter()
                .find(|s| !s.trim().is_empty())
                .or_else(|| a.text.as_ref().map(Inline::as_str));
            parts.extend(line);
        }
        if parts.is_empty() {
            for b in &self.blocks {
                match b {
                    Block::Header(h) => parts.push(h),
                    Block::Section { text: Some(t), .. } | Block::RichText(t) => parts.push(t.as_str()),
                    _ => {}
                }
            }
        }
        let joined = parts.join("\n");
        read::truncate(&joined, MAX_TEXT)
    }

    /// The cards as HTML, texts in Markdown rendered by `markdown` (which sanitises). Blocks
    /// come first (they are the message's body), then attachments.
    pub fn render(&self, markdown: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        let inline = |out: &mut String, t: &Inline| match t {
            Inline::Markdown(s) => out.push_str(&markdown(s)),
            Inline::Plain(s) => {
                out.push_str("<p>");
                escape_into(out, s);
                out.push_str("</p>");
            }
        };
        if !self.blocks.is_empty() {
            out.push_str(r#"<div class="blocks">"#);
            for b in &self.blocks {
                render_block(&mut out, b, &inline);
            }
            out.push_str("</div>");
        }
        for a in &self.attachments {
            render_attachment(&mut out, a, &inline);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rendered(cards: &Cards) -> String {
        cards.render(&|md| format!("<p>{md}</p>"))
    }

    #[test]
    fn an_attachment_shows_every_part() {
        let a = json!([{
            "fallback": "Build 12 passed", "color": "#36a64f", "pretext": "CI says",
            "author_name": "ci", "author_link": "https://ci.example.com",
            "title": "Build <12>", "title_link": "https://ci.example.com/12",
            "text": "*all* green", "fields": [{"title": "Branch", "value": "main", "short": "1"},
                                              {"title": "Took", "value": 42, "short": false}],
            "image_url": "https://ci.example.com/chart.png", "footer": "hearth ci", "ts": "1700000000.123"
        }]);
        let cards = Cards::read(&a, &Value::Null).unwrap();
        let att = &cards.attachments[0];
        assert!(att.fields[0].short && !att.fields[1].short);
        assert_eq!(att.fields[1].value, Some(Inline::Markdown("42".into())));
        assert_eq!(att.ts, Some(1_700_000_000));
        let html = rendered(&cards);
        for part in [
            r##"class="attachment attachment-good" data-color="#36a64f""##,
            "<p>CI says</p>",
            r#"<a href="https://ci.example.com/12" rel="noopener noreferrer nofollow">Build &lt;12&gt;</a>"#,
            "<p>*all* green</p>",
            "Branch",
            r#"href="https://ci.example.com/chart.png""#,
            "hearth ci · <time datetime=\"2023-11-14T22:13:20Z\">",
        ] {
            assert!(html.contains(part), "{part} not in {html}");
        }
        assert_eq!(cards.summary(), "Build 12 passed");
    }

    #[test]
    fn hostile_values_are_escaped_or_dropped() {
        let a = json!([{"title": "<script>x</script>", "title_link": "javascript:alert(1)",
                        "color": "red;background:url(x)", "image_url": "data:text/html,<b>",
                        "author_name": "\"><img src=x>"}]);
        let html = rendered(&Cards::read(&a, &Value::Null).unwrap());
        assert!(!html.contains("<script") && !html.contains("<img") && !html.contains("javascript:"), "{html}");
        assert!(!html.contains("data-color") && !html.contains("data:text"), "{html}");
    }

    #[test]
    fn sizes_are_bounded() {
        let many: Vec<Value> = (0..101).map(|_| json!({"text": "x"})).collect();
        assert_eq!(Cards::read(&Value::Array(many), &Value::Null), Err(CardsError::TooManyAttachments(101)));
        let fields: Vec<Value> = (0..1000).map(|i| json!({"title": i, "value": "v"})).collect();
        let cards = Cards::read(&json!([{ "fields": fields }]), &Value::Null).unwrap();
        assert_eq!(
            (cards.attachments[0].fields.len(), cards.attachments[0].more_fields),
            (MAX_FIELDS, 1000 - MAX_FIELDS)
        );
        assert!(rendered(&cards).contains("and 980 more fields"));
        let blocks: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert_eq!(Cards::read(&Value::Null, &Value::Array(blocks)), Err(CardsError::TooManyBlocks(51)));
        let mut deep = json!({"type": "rich_text_section", "elements": [{"type": "text", "text": "deep"}]});
        for _ in 0..100 {
            deep = json!({"type": "rich_text_quote", "elements": [deep]});
        }
        let cards = Cards::read(&Value::Null, &json!([{"type": "rich_text", "elements": [deep]}])).unwrap();
        assert!(cards.blocks.is_empty(), "nothing readable within the depth: {cards:?}");
    }

    #[test]
    fn blocks_read_as_slack_sends_them() {
        let blocks = json!([
            {"type": "header", "text": {"type": "plain_text", "text": "Deploy <done>"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*web* is live"},
             "fields": [{"type": "mrkdwn", "text": "*Env*\nprod"}],
             "accessory": {"type": "image", "image_url": "https://e.com/a.png", "alt_text": "logo"}},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "by <@U7>"},
                                             {"type": "image", "image_url": "https://e.com/i.png", "alt_text": "ci"}]},
            {"type": "actions", "elements": [{"type": "button"}]},
            {"type": "rich_text", "elements": [
                {"type": "rich_text_section", "elements": [
                    {"type": "text", "text": "hi "}, {"type": "user", "user_id": "U7"},
                    {"type": "text", "text": " bold ", "style": {"bold": true}},
                    {"type": "link", "url": "https://e.com", "text": "site"}]},
                {"type": "rich_text_list", "style": "ordered", "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}]}]}
        ]);
        let cards = Cards::read(&Value::Null, &Value::String(blocks.to_string())).unwrap();
        assert_eq!(cards.blocks.len(), 5, "the actions block is skipped: {cards:?}");
        assert_eq!(cards.referenced_ids(), (vec![7, 7], vec![]));
        assert_eq!(
            cards.blocks[4],
            Block::RichText(Inline::Markdown("hi <@U7> *bold* <https://e.com|site>\n1. one".into()))
        );
        let html = rendered(&cards);
        assert!(html.contains("<strong>Deploy &lt;done&gt;</strong>"), "{html}");
        assert!(html.contains(r#"<hr class="block-divider">"#), "{html}");
        assert!(html.contains("🖼 logo"), "{html}");
    }

    #[test]
    fn unreadable_cards_are_refused() {
        assert!(matches!(Cards::read(&json!("{not json"), &Value::Null), Err(CardsError::InvalidAttachments(_))));
        assert!(matches!(Cards::read(&Value::Null, &json!({"type": "divider"})), Err(CardsError::InvalidBlocks(_))));
        assert!(matches!(Cards::read(&Value::Null, &json!([1])), Err(CardsError::InvalidBlocks(_))));
    }
}
