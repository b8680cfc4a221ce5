//! The one message partial (`templates/messages/_message.html`): the same HTML for every
//! viewer, used by page renders and, later, by live pushes. What differs per viewer (own
//! messages' actions, mention highlights) is switched on by a per-page style rule.

use askama::Template;

use crate::wire;

/// A reaction as the partial shows it.
#[derive(Debug, Clone)]
pub struct ReactionView {
    pub emoji: String,
    pub glyph: String,
    pub count: usize,
    /// Space-separated ids of who reacted.
    pub user_ids: String,
}

/// A shared file as the partial shows it: an image, a player, or a card.
#[derive(Debug, Clone)]
pub struct FileView {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub content_type: String,
    /// `image`, `audio`, `video`, or `file` (a card with a download link).
    pub kind: &'static str,
    /// `12 KB`, `3.4 MB`.
    pub size: String,
    /// What an image shows in the message: its thumbnail, or itself.
    pub preview_url: String,
    /// The image's size as shown (within 360 × 280), so the page keeps its place while it
    /// loads; zero when unknown.
    pub width: u32,
    pub height: u32,
}

impl FileView {
    pub fn new(f: &wire::File) -> FileView {
        let shown = f.width.zip(f.height).map(|(w, h)| fit(w, h, 360, 280));
        // A picture that could not be decoded (too large, broken) is a card.
        let kind = if crate::domain::files::is_image(&f.content_type) && shown.is_some() {
            "image"
        } else if f.content_type.starts_with("audio/") {
            "audio"
        } else if f.content_type.starts_with("video/") {
            "video"
        } else {
            "file"
        };
        FileView {
            id: f.id,
            name: f.name.clone(),
            url: f.url.clone(),
            content_type: f.content_type.clone(),
            kind,
            size: size(f.size),
            preview_url: f.thumbnail_url.clone().unwrap_or_else(|| f.url.clone()),
            width: shown.map_or(0, |s| s.0),
            height: shown.map_or(0, |s| s.1),
        }
    }
}

/// A `width` × `height` picture scaled down (never up) to fit in `max_w` × `max_h`.
fn fit(width: i32, height: i32, max_w: u32, max_h: u32) -> (u32, u32) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let scale = (f64::from(max_w) / w).min(f64::from(max_h) / h).min(1.0);
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "pixels, positive and small")]
    let scaled = ((w * scale).round().max(1.0) as u32, (h * scale).round().max(1.0) as u32);
    scaled
}

/// A size for people: bytes, KB, MB or GB (powers of 1024), one decimal under ten.
fn size(bytes: i64) -> String {
    let units = ["bytes", "KB", "MB", "GB"];
    #[expect(clippy::cast_precision_loss, reason = "a size shown to people")]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else if value < 10.0 {
        format!("{value:.1} {}", units[unit])
    } else {
        format!("{value:.0} {}", units[unit])
    }
}

/// Everything the partial needs about one message.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub id: i64,
    pub author_id: i64,
    /// Who a message reads as from: the person, or an integration posting for them. Messages
    /// in a row by one speaker are grouped under one author line.
    pub speaker: String,
    pub author_name: String,
    pub username: String,
    pub initial: String,
    /// The author's picture; without one, the initial on `colour` (one of eight).
    pub avatar_url: Option<String>,
    pub colour: u8,
    /// The author's custom status, shown beside their name.
    pub status: Option<wire::Status>,
    pub title: String,
    /// Posted by an integration: shown under its own name, marked, never as a person.
    pub bot: bool,
    pub html: String,
    pub created_iso: String,
    pub created_short: String,
    pub day: String,
    pub edited: bool,
    pub deleted: bool,
    pub pinned: bool,
    pub thread_root_id: Option<i64>,
    pub also_sent: bool,
    pub reply_count: i64,
    pub last_reply_iso: Option<String>,
    pub last_reply_short: String,
    pub reactions: Vec<ReactionView>,
    pub files: Vec<FileView>,
    pub permalink: String,
    pub thread_link: String,
    pub actions_link: String,
}

impl MessageView {
    /// The view of a wire message in workspace `ws`.
    pub fn new(m: &wire::Message, ws: &str) -> MessageView {
        let iso = |t: &wire::Time| t.0.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let short = |t: &wire::Time| t.0.format("%H:%M").to_string();
        let root = m.thread_root_id.unwrap_or(m.id);
        MessageView {
            id: m.id,
            author_id: m.user.id,
            speaker: m.bot.as_ref().map_or_else(|| m.user.id.to_string(), |b| format!("{}/{}", m.user.id, b.name)),
            author_name: m.bot.as_ref().map_or_else(|| m.user.display_name.clone(), |b| b.name.clone()),
            username: m.user.username.clone(),
            initial: initial(m),
            avatar_url: if m.bot.is_some() { None } else { m.user.avatar_url.clone() },
            colour: crate::domain::profiles::initials_colour(m.bot.as_ref().map_or(&m.user.display_name, |b| &b.name)),
            status: if m.bot.is_some() { None } else { m.user.status.clone() },
            title: if m.bot.is_some() { String::new() } else { m.user.title.clone() },
            bot: m.bot.is_some(),
            html: m.html.clone(),
            created_iso: iso(&m.created_at),
            created_short: short(&m.created_at),
            day: m.created_at.0.format("%A, %B %-d, %Y").to_string(),
            edited: m.edited_at.is_some(),
            deleted: m.deleted,
            pinned: m.pinned,
            thread_root_id: m.thread_root_id,
            also_sent: m.also_send_to_channel,
            reply_count: m.reply_count,
            last_reply_iso: m.last_reply_at.as_ref().map(iso),
            last_reply_short: m.last_reply_at.as_ref().map(short).unwrap_or_default(),
            reactions: m
                .reactions
                .iter()
                .map(|r| ReactionView {
                    emoji: r.emoji.clone(),
                    glyph: r.glyph.clone(),
                    count: r.count,
                    user_ids: r.user_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" "),
                })
                .collect(),
            files: m.files.iter().map(FileView::new).collect(),
            permalink: format!("/w/{ws}/c/{}/m/{}#m{}", m.channel_id, m.id, m.id),
            thread_link: format!("/w/{ws}/c/{}/t/{root}", m.channel_id),
            actions_link: format!("/w/{ws}/m/{}", m.id),
        }
    }
}

#[derive(Template)]
#[template(path = "messages/_message.html")]
struct Fragment<'a> {
    m: &'a MessageView,
    continued: bool,
}

/// Renders the partial. `continued` hides the author line under a previous message by the
/// same person.
pub fn fragment(m: &MessageView, continued: bool) -> String {
    Fragment { m, continued }.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "message partial failed");
        String::new()
    })
}

/// A message list ready for a page: day dividers, and consecutive messages by one author
/// within five minutes grouped under one author line.
#[derive(Debug, Clone)]
pub enum Row {
    Day(String),
    Message(String),
    /// Where the viewer's unread messages begin.
    Unread,
}

/// What the avatar shows: an integration's emoji, else the first letter of the name shown.
fn initial(m: &wire::Message) -> String {
    let emoji = m.bot.as_ref().and_then(|b| b.icon_emoji.as_deref()).and_then(crate::domain::messages::emoji_glyph);
    if let Some(glyph) = emoji {
        return glyph.to_owned();
    }
    let name = m.bot.as_ref().map_or(&m.user.display_name, |b| &b.name);
    name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_default()
}

/// Lays out messages given oldest first.
pub fn rows(messages: &[wire::Message], ws: &str) -> Vec<Row> {
    rows_marking_unread(messages, ws, None)
}

/// Lays out messages given oldest first, with a line where the unread ones begin: before
/// the first message after `read` (the viewer's read marker) that someone else wrote.
pub fn rows_marking_unread(messages: &[wire::Message], ws: &str, read: Option<(i64, i64)>) -> Vec<Row> {
    let first_unread = read.and_then(|(marker, viewer)| {
        messages
            .iter()
            .find(|m| crate::domain::channels::is_unread(m.id, m.user.id, m.bot.is_some(), m.deleted, marker, viewer))
            .map(|m| m.id)
    });
    let mut out = Vec::new();
    // The message above, and who it reads as from.
    let mut previous: Option<(&wire::Message, String)> = None;
    let mut day = String::new();
    for m in messages {
        let view = MessageView::new(m, ws);
        if view.day != day {
            day = view.day.clone();
            out.push(Row::Day(day.clone()));
            previous = None;
        }
        if Some(m.id) == first_unread {
            out.push(Row::Unread);
        }
        let continued = Some(m.id) != first_unread
            && previous.as_ref().is_some_and(|(p, speaker)| {
                *speaker == view.speaker
                    && !p.deleted
                    && (m.created_at.0 - p.created_at.0) < chrono::Duration::minutes(5)
            });
        out.push(Row::Message(fragment(&view, continued)));
        previous = Some((m, view.speaker));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(super::size(0), "0 bytes");
        assert_eq!(super::size(1023), "1023 bytes");
        assert_eq!(super::size(1536), "1.5 KB");
        assert_eq!(super::size(100 << 20), "100 MB");
    }
}
