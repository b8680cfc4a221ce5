//! The conversation pages: a channel with its thread pane, a message's own page, making,
//! browsing and managing channels and direct messages, pins and files.

use askama::Template;

use super::Layout;

/// A line of a message list: a day divider, or a rendered message partial.
#[derive(Debug, Clone)]
pub struct RowView {
    pub day: Option<String>,
    pub html: String,
    /// The line where unread messages begin.
    pub unread: bool,
}

impl From<crate::views::messages::Row> for RowView {
    fn from(row: crate::views::messages::Row) -> RowView {
        match row {
            crate::views::messages::Row::Day(d) => RowView { day: Some(d), html: String::new(), unread: false },
            crate::views::messages::Row::Message(html) => RowView { day: None, html, unread: false },
            crate::views::messages::Row::Unread => RowView { day: None, html: String::new(), unread: true },
        }
    }
}

/// An open thread beside the channel.
#[derive(Debug, Clone)]
pub struct ThreadView {
    pub root_id: i64,
    pub rows: Vec<RowView>,
    pub can_reply: bool,
    pub client_msg_id: String,
    /// The cursor of later replies, when the thread has more than the pane shows.
    pub more_cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/channel.html")]
pub struct ChannelPage {
    pub layout: Layout,
    pub ws: String,
    pub channel_id: i64,
    /// `#name`, or the people of a direct message.
    pub title: String,
    pub name: String,
    pub topic: String,
    /// The topic as HTML (emoji, links), sanitised.
    pub topic_html: String,
    pub is_dm: bool,
    /// What the viewer may do here (the same rules the API applies).
    pub rights: crate::domain::access::Rights,
    pub archived: bool,
    pub member_count: usize,
    pub rows: Vec<RowView>,
    /// Where the unread messages begin, when that is before the messages shown.
    pub unread_link: Option<String>,
    pub has_older: bool,
    pub has_newer: bool,
    pub oldest_id: i64,
    pub newest_id: i64,
    /// Showing the newest messages: viewing marks the channel read.
    pub at_newest: bool,
    pub client_msg_id: String,
    pub draft: String,
    pub max_chars: usize,
    /// The composer's formatting hint: as typed, and the tag it becomes.
    pub formatting: [(&'static str, &'static str); 4],
    pub thread: Option<ThreadView>,
    /// Answers for the viewer alone (a command's), shown once, never stored.
    pub ephemeral: Vec<crate::wire::EphemeralMessage>,
}

#[derive(Template)]
#[template(path = "pages/message_actions.html")]
pub struct MessageActionsPage {
    pub layout: Layout,
    pub ws: String,
    pub message_id: i64,
    pub channel_id: i64,
    pub preview: String,
    pub text: String,
    /// What the viewer may do to the message (the same rules the API applies).
    pub rights: crate::domain::access::MessageRights,
    pub pinned: bool,
    pub quick_reactions: Vec<(&'static str, &'static str)>,
    pub my_reactions: Vec<(String, String)>,
    pub thread_link: String,
}

#[derive(Template)]
#[template(path = "pages/channel_new.html")]
pub struct ChannelNewPage {
    pub layout: Layout,
    pub ws: String,
    pub name: String,
    pub purpose: String,
    pub private: bool,
}

#[derive(Debug, Clone)]
pub struct ChannelLink {
    pub id: i64,
    pub name: String,
    pub purpose: String,
    pub archived: bool,
    /// The viewer may join it (the same rule the API applies).
    pub can_join: bool,
}

#[derive(Template)]
#[template(path = "pages/channel_browse.html")]
pub struct ChannelBrowsePage {
    pub layout: Layout,
    pub ws: String,
    pub channels: Vec<ChannelLink>,
}

#[derive(Debug, Clone)]
pub struct PersonView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_bot: bool,
}

#[derive(Template)]
#[template(path = "pages/dm_new.html")]
pub struct DmNewPage {
    pub layout: Layout,
    pub ws: String,
    pub people: Vec<PersonView>,
}

#[derive(Template)]
#[template(path = "pages/channel_details.html")]
pub struct ChannelDetailsPage {
    pub layout: Layout,
    pub ws: String,
    pub channel_id: i64,
    pub title: String,
    pub name: String,
    pub topic: String,
    pub purpose: String,
    pub is_dm: bool,
    /// What the viewer may do here (the same rules the API applies).
    pub rights: crate::domain::access::Rights,
    pub archived: bool,
    pub notify_level: &'static str,
    pub muted: bool,
    pub members: Vec<PersonView>,
    pub addable: Vec<PersonView>,
}

/// One of a channel's files, as its file list shows it.
#[derive(Debug, Clone)]
pub struct SharedFileView {
    pub file: crate::views::messages::FileView,
    /// The message that shares it.
    pub message_link: String,
    pub shared_by: String,
    pub when: String,
    pub deletable: bool,
}

#[derive(Template)]
#[template(path = "pages/channel_files.html")]
pub struct ChannelFilesPage {
    pub layout: Layout,
    pub ws: String,
    pub channel_id: i64,
    pub title: String,
    pub files: Vec<SharedFileView>,
    /// `?cursor=` of the next page.
    pub next_cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/pins.html")]
pub struct PinsPage {
    pub layout: Layout,
    pub ws: String,
    pub channel_id: i64,
    pub title: String,
    pub rows: Vec<RowView>,
}
