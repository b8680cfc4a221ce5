//! Messages: post (idempotently), read history and threads, edit, delete, react, pin.

use crate::domain::Code;
use std::collections::HashMap;
use std::time::Duration;

use super::access::{self, ChannelContext};
use super::{Actor, AppState};
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::files::FileRow;
use crate::db::messages::{self as rows, MessageRow, NewMessage, ReactionRow};
use crate::db::users::UserRow;
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self, Conn, Tx};
use crate::domain::channels::ChannelKind;
use crate::domain::messages::{MessageText, References, Resolved, references, render};
use crate::domain::slack::cards::Cards;
use crate::domain::workspaces::may_browse_channels;
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::wire;

mod reading;

pub use super::reactions::{pin, pins, react};
pub use reading::{History, HistoryQuery, Thread, get, history, thread, with_rights};
pub(super) use reading::{history_in, thread_in};

/// Messages per history page by default, and at most.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// The longest idempotency key accepted.
const MAX_CLIENT_MSG_ID: usize = 64;
/// The most text a message's attachments and blocks may hold together (each text is
/// bounded too, and so is their number).
const MAX_CARDS_BYTES: usize = 256 * 1024;
/// The largest an integration's marker (name, icon, Mattermost `props`) may be stored.
const MAX_BOT_BYTES: usize = 64 * 1024;

fn message_not_found() -> AppError {
    AppError::not_found(Code::MessageNotFound, "No such message, or you cannot see it.")
}

/// Builds wire messages for rows, loading their authors and reactions in two queries.
pub fn views(conn: &mut Conn, messages: &[MessageRow]) -> Result<Vec<wire::Message>, AppError> {
    let ids: Vec<i64> = messages.iter().map(|m| m.id).collect();
    let mut author_ids: Vec<i64> = messages.iter().map(|m| m.user_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let authors: HashMap<i64, UserRow> =
        UserRow::find_many(conn, &author_ids)?.into_iter().map(|u| (u.id, u)).collect();
    let reactions = ReactionRow::for_messages(conn, &ids)?;
    let mentions = rows::mentions_of(conn, &ids)?;
    let files = FileRow::of_messages(conn, &ids)?;
    messages
        .iter()
        .map(|m| {
            let author = authors
                .get(&m.user_id)
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("message {} has no author", m.id)))?;
            let mine: Vec<&ReactionRow> = reactions.iter().filter(|r| r.message_id == m.id).collect();
            let theirs: Vec<Option<i64>> =
                mentions.iter().filter(|(message, _)| *message == m.id).map(|(_, user)| *user).collect();
            let mut message = wire::Message::new(m, author, &mine, &theirs);
            if m.deleted_at.is_none() {
                message.files = files.iter().filter(|f| f.message_id == Some(m.id)).map(wire::File::from).collect();
            }
            Ok(message)
        })
        .collect()
}

pub(super) fn view(conn: &mut Conn, message: &MessageRow) -> Result<wire::Message, AppError> {
    Ok(views(conn, std::slice::from_ref(message))?.remove(0))
}

/// Loads a message through the channel access of the caller.
pub(super) fn message_context(
    conn: &mut Conn,
    user_id: i64,
    message_id: i64,
) -> Result<(MessageRow, ChannelContext), AppError> {
    let message = MessageRow::find(conn, message_id)?.ok_or_else(message_not_found)?;
    let ctx = access::channel(conn, user_id, message.channel_id).map_err(|_| message_not_found())?;
    Ok((message, ctx))
}

/// A message someone may react to or pin: theirs to see, in a channel they may post in,
/// not deleted.
pub(super) fn live_message(
    conn: &mut Conn,
    user_id: i64,
    message_id: i64,
) -> Result<(MessageRow, ChannelContext), AppError> {
    let (message, ctx) = message_context(conn, user_id, message_id)?;
    ctx.access.may_interact()?;
    if message.deleted_at.is_some() {
        return Err(AppError::invalid(Code::MessageDeleted, "That message was deleted."));
    }
    Ok((message, ctx))
}

/// Appends a message event to the channel; it carries the message as `GET /messages/{id}`
/// returns it.
pub(super) fn message_event(tx: &mut Tx<'_>, channel: &ChannelRow, data: &EventData) -> Result<(), AppError> {
    events::append(tx, Scope::channel(channel.workspace_id, channel.id), data)?;
    Ok(())
}

/// Looks up the names a text refers to: active members of the workspace by username, and
/// channels that the author and everyone who can read the message may see (this one, and
/// public ones the author could browse or is in).
fn resolve(
    conn: &mut Conn,
    ctx: &ChannelContext,
    author_id: i64,
    text: &MessageText,
) -> Result<(Resolved, Vec<Option<i64>>), AppError> {
    let channel = &ctx.channel;
    let refs = references(text);
    let workspace = WorkspaceRow::find(conn, channel.workspace_id)?;
    let mut resolved = Resolved { workspace: workspace.slug, ..Resolved::default() };
    if !refs.usernames.is_empty() {
        let names: Vec<&String> = refs.usernames.iter().collect();
        let found = UserRow::active_members_named(conn, channel.workspace_id, &names)?;
        resolved.users = found.into_iter().map(|(id, name)| (name, id)).collect();
    }
    if !refs.channels.is_empty() {
        let names: Vec<String> = refs.channels.iter().cloned().collect();
        let browses = may_browse_channels(ctx.role);
        let joined: std::collections::HashSet<i64> =
            if browses { Default::default() } else { ChannelRow::ids_joined(conn, author_id)?.into_iter().collect() };
        for c in ChannelRow::find_by_names(conn, channel.workspace_id, &names)? {
            let author_sees = browses || joined.contains(&c.id);
            if c.id == channel.id || (c.kind == ChannelKind::Public && author_sees) {
                if let Some(name) = c.name {
                    resolved.channels.insert(name, c.id);
                }
            }
        }
    }
    let mut mentioned: Vec<Option<i64>> = resolved.users.values().map(|id| Some(*id)).collect();
    if !refs.broadcasts.is_empty() {
        mentioned.push(None);
    }
    Ok((resolved, mentioned))
}

/// What someone posts.
#[derive(Debug, Clone, Default)]
pub struct PostForm {
    pub text: String,
    pub thread_root_id: Option<i64>,
    pub also_send_to_channel: bool,
    pub client_msg_id: Option<String>,
    /// Files already in storage that the message shares (its text may then be empty).
    pub files: Vec<super::files::Stored>,
    /// For an integration's message: whom it shows as.
    pub bot: Option<wire::Bot>,
    /// For an integration's message: its attachments and blocks, texts already in hearth
    /// Markdown (its text may then be empty).
    pub cards: Cards,
}

/// A posted message, and whether this call created it (false: the same `client_msg_id`
/// was posted before, and that message is returned).
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: wire::Message,
    pub created: bool,
}

/// Posts a message, or a reply in a thread. Replying to a reply attaches to its root.
pub async fn post(state: &AppState, actor: &Actor, channel_id: i64, form: PostForm) -> Result<Posted, AppError> {
    let max_chars = state.settings.limits.max_message_chars;
    let text = if form.files.is_empty() && form.cards.is_empty() {
        MessageText::parse(&form.text, max_chars)?
    } else {
        MessageText::parse_beside_files(&form.text, max_chars)?
    };
    // Cards' texts name people and channels too: they are looked up with the text's.
    let cards_markdown = form.cards.markdown();
    if cards_markdown.len() > MAX_CARDS_BYTES {
        return Err(AppError::invalid(
            Code::TextTooLong,
            format!("A message's attachments and blocks can hold at most {MAX_CARDS_BYTES} bytes of text."),
        ));
    }
    let named = if cards_markdown.is_empty() {
        text.clone()
    } else {
        MessageText::parse_beside_files(&format!("{}\n{cards_markdown}", text.as_str()), usize::MAX)?
    };
    let key = form.client_msg_id.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
    if key.as_ref().is_some_and(|k| k.len() > MAX_CLIENT_MSG_ID) {
        return Err(AppError::invalid(
            Code::InvalidClientMsgId,
            format!("client_msg_id can be at most {MAX_CLIENT_MSG_ID} characters."),
        ));
    }
    let user_id = actor.id();
    // Names are looked up and the text rendered before the write transaction: they only
    // read, and the writer lock is held for as short a time as possible.
    // Most messages name nobody: they need no lookup at all.
    let (names, mentioned) = if references(&named) == References::default() {
        (Resolved::default(), Vec::new())
    } else {
        let source = named;
        state
            .db
            .read(move |conn| {
                let ctx = access::channel(conn, user_id, channel_id)?;
                resolve(conn, &ctx, user_id, &source)
            })
            .await?
    };
    let html = render_with_cards(&text, &form.cards, &names);
    // A message with only cards is found, and notified of, by what its cards say.
    let text = match text.as_str().is_empty() && !form.cards.is_empty() {
        true => MessageText::parse_beside_files(&form.cards.summary(), usize::MAX)?,
        false => text,
    };
    let bot = form.bot.as_ref().map(serde_json::to_string).transpose().map_err(|e| AppError::Unexpected(e.into()))?;
    if bot.as_ref().is_some_and(|b| b.len() > MAX_BOT_BYTES) {
        return Err(AppError::invalid(
            Code::TextTooLong,
            format!("An integration's name, icon and props can take at most {MAX_BOT_BYTES} bytes."),
        ));
    }
    let author = actor.user.clone();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            if let Some(key) = &key {
                if let Some(existing) = MessageRow::find_by_client_msg_id(tx, user_id, key)? {
                    if existing.channel_id != channel_id {
                        return Err(AppError::conflict(
                            Code::ClientMsgIdReused,
                            "That client_msg_id was already used for a message in another channel.",
                        ));
                    }
                    return Ok(Posted { message: view(tx, &existing)?, created: false });
                }
            }
            ctx.access.may_post()?;
            let root = match form.thread_root_id {
                Some(id) => {
                    let m = MessageRow::find(tx, id)?.filter(|m| m.channel_id == channel_id).ok_or_else(|| {
                        AppError::not_found(Code::ThreadNotFound, "The message to reply to is not in this channel.")
                    })?;
                    let root = match m.thread_root_id {
                        Some(root_id) => MessageRow::find(tx, root_id)?.ok_or_else(message_not_found)?,
                        None => m,
                    };
                    if root.deleted_at.is_some() {
                        return Err(AppError::invalid(
                            Code::ThreadRootDeleted,
                            "That message was deleted; its thread takes no new replies.",
                        ));
                    }
                    Some(root)
                }
                None => None,
            };
            // Each message of a channel is later than the one before, so that its Slack `ts`
            // names it alone and sorts as the channel does.
            // Posts to one channel take turns from here to commit, so that two on PostgreSQL
            // cannot read the same newest time (only posts take this lock: no cycle with
            // the log's, which every writer takes last).
            db::lock(tx, db::Lock::ChannelPost { channel_id })?;
            let now = MessageRow::next_created_at(tx, channel_id, db::now())?;
            let row = NewMessage {
                channel_id,
                user_id,
                text: text.as_str(),
                html: &html,
                thread_root_id: root.as_ref().map(|r| r.id),
                in_channel: root.is_none() || form.also_send_to_channel,
                client_msg_id: key.as_deref(),
                created_at: now,
                bot: bot.as_deref(),
            }
            .insert(tx)?;
            if !mentioned.is_empty() {
                rows::insert_mentions(tx, row.id, channel_id, &mentioned)?;
            }
            let root = match &root {
                Some(r) => {
                    let counted = MessageRow::count_reply(tx, r.id, now)?;
                    Some(view(tx, &counted)?)
                }
                None => None,
            };
            // Posting reads the channel up to one's own message (an integration's post is
            // news to its creator too).
            if form.bot.is_none() {
                ChannelMemberRow::set_last_read(tx, channel_id, user_id, row.id)?;
            }
            let mut message = wire::Message::new(&row, &author, &[], &mentioned);
            message.files = super::files::record(tx, &ctx.channel, &row, &form.files)?;
            message_event(
                tx,
                &ctx.channel,
                &EventData::MessageCreated { message: message.clone(), thread_root: root.map(Box::new) },
            )?;
            Ok(Posted { message, created: true })
        })
        .await
}

/// A message's HTML: its text, and its cards. Blocks are the body of a message that has
/// them (its text is then only the notification's fallback); attachments follow.
fn render_with_cards(text: &MessageText, cards: &Cards, names: &Resolved) -> String {
    if cards.is_empty() {
        return render(text, names);
    }
    let markdown =
        |md: &str| MessageText::parse_beside_files(md, usize::MAX).map(|t| render(&t, names)).unwrap_or_default();
    let body = if cards.blocks.is_empty() && !text.as_str().is_empty() { render(text, names) } else { String::new() };
    body + &cards.render(&markdown)
}

/// Edits one's own message; it is marked edited.
pub async fn edit(state: &AppState, actor: &Actor, message_id: i64, text: &str) -> Result<wire::Message, AppError> {
    let text = MessageText::parse(text, state.settings.limits.max_message_chars)?;
    let (user_id, is_bot) = (actor.id(), actor.user.is_bot);
    state
        .db
        .write(move |tx| {
            let (message, ctx) = message_context(tx, user_id, message_id)?;
            // A webhook's message is nobody's to edit; a bot's own are the bot's.
            ctx.access.may_edit_message(message.user_id == user_id && (message.bot.is_none() || is_bot))?;
            if message.deleted_at.is_some() {
                return Err(AppError::invalid(Code::MessageDeleted, "That message was deleted."));
            }
            let (names, mentioned) = resolve(tx, &ctx, user_id, &text)?;
            let html = render(&text, &names);
            let row = MessageRow::edit(tx, message_id, text.as_str(), &html, db::now())?;
            rows::delete_mentions(tx, message_id)?;
            if !mentioned.is_empty() {
                rows::insert_mentions(tx, message_id, row.channel_id, &mentioned)?;
            }
            let message = view(tx, &row)?;
            message_event(tx, &ctx.channel, &EventData::MessageEdited { message: message.clone() })?;
            Ok(message)
        })
        .await
}

/// Deletes a message, leaving a tombstone (author, or a channel admin).
pub async fn delete(state: &AppState, actor: &Actor, message_id: i64) -> Result<wire::Message, AppError> {
    let user_id = actor.id();
    let grace = state.settings.deleted_file_grace;
    state
        .db
        .write(move |tx| {
            let (message, ctx) = message_context(tx, user_id, message_id)?;
            ctx.access.may_delete_message(message.user_id == user_id)?;
            if message.deleted_at.is_some() {
                return Err(AppError::gone(Code::MessageDeleted, "That message was already deleted."));
            }
            tombstone(tx, &ctx.channel, message_id, grace)
        })
        .await
}

/// Leaves a message's tombstone and tells the channel: its mentions go, its files are no
/// longer served from this moment, and their objects are removed after `grace`.
fn tombstone(
    tx: &mut Tx<'_>,
    channel: &ChannelRow,
    message_id: i64,
    grace: Duration,
) -> Result<wire::Message, AppError> {
    let now = db::now();
    let row = MessageRow::tombstone(tx, message_id, now)?;
    rows::delete_mentions(tx, message_id)?;
    let files = FileRow::delete_of_message(tx, message_id, now)?;
    super::files::remove_later(tx, &files, grace)?;
    let message = view(tx, &row)?;
    message_event(tx, channel, &EventData::MessageDeleted { message: message.clone() })?;
    Ok(message)
}

/// After one of a message's files was deleted: the message as it now stands goes out as an
/// edit, or, when nothing is left of it (no text, no files), it is deleted.
pub(super) fn file_removed(
    tx: &mut Tx<'_>,
    channel: &ChannelRow,
    message: &MessageRow,
    emptied: bool,
    grace: Duration,
) -> Result<(), AppError> {
    if emptied {
        return tombstone(tx, channel, message.id, grace).map(drop);
    }
    let message = view(tx, message)?;
    message_event(tx, channel, &EventData::MessageEdited { message })
}
