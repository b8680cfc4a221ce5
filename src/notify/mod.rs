//! Email notifications, cluster-wide: a follower of the event log writes, in the
//! transaction that moves its cursor, one `notifications` row per person a new message
//! calls on (a mention, `@channel`/`@here`, a direct message, a reply in their thread) and
//! a `Job::Notify` for that person at the row's due time. The job decides, under a lock of
//! its own per person, what of that person's open rows is still missed (not read, not muted,
//! still a member, not active in a browser, mail wanted) and enqueues one mail for all of
//! it, grouped by conversation, in the transaction that marks the rows done: each row is
//! mailed at most once, by whichever node runs the job; the mail job itself is delivered at
//! least once, with the same `Message-ID` on every attempt.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};

use crate::app::notifications::preferences;
use crate::app::{AppState, access};
use crate::db::channels::{ChannelMemberRow, ChannelRow};
use crate::db::events::EventRow;
use crate::db::messages::MessageRow;
use crate::db::notifications::{NewNotification, NotificationRow, PreferencesRow};
use crate::db::users::UserRow;
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self, Lock, Tx};
use crate::domain::channels::ChannelKind;
use crate::domain::events::EventKind;
use crate::domain::notifications::{Posted, Preferences, Reason, Standing, recipients, verdict};
use crate::error::AppError;
use crate::events::EventData;
use crate::jobs::{self, Job};
use crate::mail::{Headers, Mail};
use crate::security::{Claims, Purpose};
use crate::views::mail::{Missed, MissedMessage, Notice, notification};
use crate::wire;

/// The follower's name in `follower_cursors`.
pub const FOLLOWER: &str = "notifications";

/// How long an unsubscribe link works.
const UNSUBSCRIBE_LINK_LIFETIME: Duration = Duration::days(365);

/// Longest text of one message in a mail, in characters; the link shows the rest.
const MAX_TEXT: usize = 2_000;

/// Starts the follower.
pub fn start(workers: &crate::workers::Workers, state: AppState) {
    let delay = Duration::from_std(state.settings.mail.notify_delay).unwrap_or(Duration::minutes(10));
    crate::integrations::follow(workers, state, "notifications", FOLLOWER, move |tx, rows| enqueue(tx, rows, delay));
}

/// One step's work: the rows and jobs for every new message's recipients.
fn enqueue(tx: &mut Tx<'_>, rows: &[EventRow], delay: Duration) -> Result<(), AppError> {
    // One job per person and due time in a step; more would find nothing left to do.
    let mut scheduled: HashSet<(i64, NaiveDateTime)> = HashSet::new();
    let mut jobs: Vec<(Job, NaiveDateTime)> = Vec::new();
    for row in rows {
        if row.kind != EventKind::MessageCreated.as_str() {
            continue;
        }
        let Ok(EventData::MessageCreated { message, .. }) =
            EventData::from_stored(EventKind::MessageCreated, &row.payload)
        else {
            continue;
        };
        if message.deleted {
            continue;
        }
        let Some(channel) = ChannelRow::find(tx, message.channel_id)? else { continue };
        let direct = matches!(channel.kind, ChannelKind::Direct | ChannelKind::Group);
        let thread_people = match message.thread_root_id {
            Some(root) => MessageRow::thread_people(tx, root)?,
            None => Vec::new(),
        };
        let people = if direct || message.mentions_everyone {
            ChannelMemberRow::people(tx, channel.id, None)?
        } else {
            let mut among: Vec<i64> = message.mentioned_user_ids.iter().chain(&thread_people).copied().collect();
            among.sort_unstable();
            among.dedup();
            if among.is_empty() {
                continue;
            }
            ChannelMemberRow::people(tx, channel.id, Some(&among))?
        };
        let posted = Posted {
            author_id: message.user.id,
            direct,
            mentioned: &message.mentioned_user_ids,
            everyone: message.mentions_everyone,
            thread_people: &thread_people,
        };
        let to = recipients(&posted, &people);
        if to.is_empty() {
            continue;
        }
        let ids: Vec<i64> = to.keys().copied().collect();
        let stored: HashMap<i64, PreferencesRow> =
            PreferencesRow::of_users(tx, &ids)?.into_iter().map(|r| (r.user_id, r)).collect();
        let at = message.created_at.0;
        let mut rows = Vec::with_capacity(to.len());
        for (user_id, reason) in to {
            let due_at = preferences(stored.get(&user_id)).due_at(at, delay);
            rows.push(NewNotification {
                user_id,
                message_id: message.id,
                channel_id: channel.id,
                thread_root_id: message.thread_root_id,
                reason: reason.as_str(),
                created_at: at,
                due_at,
            });
            if scheduled.insert((user_id, due_at)) {
                jobs.push((Job::Notify { user_id }, due_at));
            }
        }
        NewNotification::insert_many(tx, &rows)?;
    }
    jobs::enqueue_many_at(tx, &jobs)?;
    Ok(())
}

/// Carries out a person's `Job::Notify`: decides on their open notifications and enqueues
/// one mail for what they missed.
pub async fn deliver(state: &AppState, user_id: i64) -> Result<(), AppError> {
    let links = Links::new(state, user_id);
    // What falls due within half the delay goes in the same mail, unread that much at least.
    let grace = Duration::from_std(state.settings.mail.notify_delay / 2).unwrap_or(Duration::minutes(5));
    state.db.write_background(move |tx| decide(tx, &links, user_id, grace)).await
}

/// What a mail links to, made outside the transaction.
struct Links {
    public_url: String,
    host: String,
    settings: String,
    unsubscribe: String,
    keys: crate::security::Keys,
    /// Where replies by email go, when they can be sent.
    reply_domain: Option<String>,
}

impl Links {
    fn new(state: &AppState, user_id: i64) -> Links {
        let now = chrono::Utc::now();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: None,
            purpose: String::new(),
            iat: now.timestamp(),
            exp: (now + UNSUBSCRIBE_LINK_LIFETIME).timestamp(),
        };
        let token = state.keys.sign(Purpose::Unsubscribe, claims);
        let host = url::Url::parse(&state.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "hearth.localhost".to_owned());
        Links {
            public_url: state.public_url.clone(),
            host,
            settings: state.link("/settings#notifications"),
            unsubscribe: state.link(&format!("/unsubscribe/{token}")),
            keys: state.keys.clone(),
            reply_domain: state.settings.mail.reply_domain.clone(),
        }
    }

    /// The address a person replies at to answer in a conversation.
    fn reply(&self, user_id: i64, channel_id: i64, thread_root_id: Option<i64>) -> Option<String> {
        let domain = self.reply_domain.as_deref()?;
        Some(crate::app::replies::reply_address(&self.keys, domain, user_id, channel_id, thread_root_id))
    }

    fn page(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// A message that is still missed, with what its mail needs.
struct Due {
    row: NotificationRow,
    message: MessageRow,
    channel: ChannelRow,
}

fn decide(tx: &mut Tx<'_>, links: &Links, user_id: i64, grace: Duration) -> Result<(), AppError> {
    db::lock(tx, Lock::Notify { user_id })?;
    let now = db::now();
    let mut open = NotificationRow::open_of(tx, user_id)?;
    // Nothing has fallen due: the job of the row that falls due first will come.
    if !open.iter().any(|r| r.due_at <= now) {
        return Ok(());
    }
    // What falls due later than the grace waits for its own job.
    open.retain(|r| r.due_at <= now + grace);
    let user = UserRow::find(tx, user_id)?;
    let prefs = preferences(PreferencesRow::find(tx, user_id)?.as_ref());
    let active = db::presence::is_online(tx, user_id, now - crate::realtime::PRESENCE_EXPIRY)?;
    let mut skipped: BTreeMap<&'static str, Vec<i64>> = BTreeMap::new();
    let mut due = Vec::new();
    for row in open {
        let context = if user.deactivated_at.is_some() {
            None
        } else {
            match access::channel(tx, user_id, row.channel_id) {
                Ok(ctx) => ctx.member.map(|m| (ctx.channel, m)),
                Err(AppError::NotFound(_)) => None,
                Err(e) => return Err(e),
            }
        };
        let message = MessageRow::find(tx, row.message_id)?;
        let standing = context.as_ref().map(|(_, m)| Standing {
            level: m.notify_level,
            muted: m.muted,
            last_read_message_id: m.last_read_message_id,
        });
        let deleted = message.as_ref().is_none_or(|m| m.deleted_at.is_some());
        match (verdict(prefs.email, standing, row.message_id, deleted, active), message, context) {
            (Ok(()), Some(message), Some((channel, _))) => due.push(Due { row, message, channel }),
            (Err(skip), ..) => skipped.entry(skip.as_str()).or_default().push(row.id),
            _ => skipped.entry("left").or_default().push(row.id),
        }
    }
    for (outcome, ids) in skipped {
        NotificationRow::finish(tx, &ids, outcome, now)?;
    }
    if due.is_empty() {
        return Ok(());
    }
    let mail = compose(tx, links, &user, &prefs, &due, now)?;
    let ids: Vec<i64> = due.iter().map(|d| d.row.id).collect();
    NotificationRow::finish(tx, &ids, "mailed", now)?;
    jobs::enqueue(tx, &Job::Mail(mail))?;
    Ok(())
}

/// The name a message shows as: an integration's, else its author's.
fn author_name(tx: &mut Tx<'_>, names: &mut HashMap<i64, String>, m: &MessageRow) -> Result<String, AppError> {
    if let Some(bot) = m.bot.as_deref().and_then(|b| serde_json::from_str::<wire::Bot>(b).ok()) {
        return Ok(bot.name);
    }
    if let Some(name) = names.get(&m.user_id) {
        return Ok(name.clone());
    }
    let user = UserRow::find(tx, m.user_id)?;
    let name = if user.display_name.trim().is_empty() { user.username } else { user.display_name };
    names.insert(m.user_id, name.clone());
    Ok(name)
}

/// Where a message was: `#ops`, or a direct conversation.
fn place(channel: &ChannelRow) -> String {
    match (channel.kind, &channel.name) {
        (ChannelKind::Public | ChannelKind::Private, Some(name)) => format!("#{name}"),
        (ChannelKind::Group, _) => "a group conversation".to_owned(),
        _ => "a direct message".to_owned(),
    }
}

/// "Alice", "Alice and Bob", "Alice, Bob and 2 others".
fn names_of(names: &[String]) -> String {
    match names {
        [] => "someone".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        [a, b, rest @ ..] if rest.len() == 1 => format!("{a}, {b} and {}", rest[0]),
        [a, b, rest @ ..] => format!("{a}, {b} and {} others", rest.len()),
    }
}

/// The subject: who and where, for one message; how many and from whom otherwise.
fn subject(
    author: &str,
    reason: Reason,
    channel: &ChannelRow,
    count: usize,
    authors: &[String],
    one_place: bool,
) -> String {
    let place = place(channel);
    match (count, one_place) {
        (1, _) => match (reason, channel.kind) {
            (_, ChannelKind::Direct) => format!("{author} sent you a direct message"),
            (_, ChannelKind::Group) => format!("{author} sent you a message in a group conversation"),
            (Reason::Thread, _) => format!("{author} replied to a thread in {place}"),
            _ => format!("{author} mentioned you in {place}"),
        },
        (n, true) => format!("{n} new messages from {} in {place}", names_of(authors)),
        (n, false) => format!("{n} new messages from {}", names_of(authors)),
    }
}

fn compose(
    tx: &mut Tx<'_>,
    links: &Links,
    user: &UserRow,
    prefs: &Preferences,
    due: &[Due],
    now: NaiveDateTime,
) -> Result<Mail, AppError> {
    let mut names = HashMap::new();
    let mut slugs: HashMap<i64, WorkspaceRow> = HashMap::new();
    // Conversations in the order their first message came.
    let mut order: Vec<(i64, Option<i64>)> = Vec::new();
    let mut conversations: HashMap<(i64, Option<i64>), Missed> = HashMap::new();
    let mut authors: Vec<String> = Vec::new();
    for d in due {
        let ws_id = d.channel.workspace_id;
        if let std::collections::hash_map::Entry::Vacant(e) = slugs.entry(ws_id) {
            e.insert(WorkspaceRow::find(tx, ws_id)?);
        }
        let ws = &slugs[&ws_id].slug;
        let author = author_name(tx, &mut names, &d.message)?;
        if !authors.contains(&author) {
            authors.push(author.clone());
        }
        let key = (d.channel.id, d.message.thread_root_id);
        let conversation = conversations.entry(key).or_insert_with(|| {
            order.push(key);
            let (heading, path) = match d.message.thread_root_id {
                Some(root) => {
                    (format!("Thread in {}", place(&d.channel)), format!("/w/{ws}/c/{}/t/{root}", d.channel.id))
                }
                None if d.channel.kind == ChannelKind::Direct => {
                    (format!("Direct message from {author}"), format!("/w/{ws}/c/{}", d.channel.id))
                }
                None => (capitalised(&place(&d.channel)), format!("/w/{ws}/c/{}", d.channel.id)),
            };
            Missed { heading, link: links.page(&path), reply_to: None, messages: Vec::new() }
        });
        // A reply goes to the thread; to a channel message, it starts that message's thread;
        // in a direct conversation, it is a message there.
        let root = match (d.message.thread_root_id, d.channel.kind) {
            (Some(root), _) => Some(root),
            (None, ChannelKind::Direct | ChannelKind::Group) => None,
            (None, _) => Some(d.message.id),
        };
        conversation.reply_to = links.reply(user.id, d.channel.id, root);
        let mut text: String = d.message.text.chars().take(MAX_TEXT).collect();
        if text.len() < d.message.text.len() {
            text.push('…');
        }
        conversation.messages.push(MissedMessage {
            author,
            time: prefs.local_time(d.message.created_at, now),
            text,
            link: links.page(&format!("/w/{ws}/c/{}/m/{}", d.channel.id, d.message.id)),
        });
    }
    let first = &due[0];
    let workspace_names: Vec<&str> = slugs.values().map(|w| w.name.as_str()).collect();
    let workspace = if workspace_names.len() == 1 { workspace_names[0].to_owned() } else { "hearth".to_owned() };
    let subject =
        subject(&authors[0], Reason::parse(&first.row.reason), &first.channel, due.len(), &authors, order.len() == 1);
    let missed: Vec<Missed> = order.iter().filter_map(|k| conversations.remove(k)).collect();
    let name = if user.display_name.trim().is_empty() { &user.username } else { &user.display_name };
    let notice = Notice {
        subject,
        name,
        workspace: &workspace,
        settings_link: &links.settings,
        unsubscribe_link: &links.unsubscribe,
    };
    let mut mail = notification(notice, &missed);
    mail.to = user.email.clone();
    // One conversation: threaded with the person's earlier mail about it.
    let thread = (order.len() == 1).then(|| {
        let (channel, root) = order[0];
        format!("<conversation.{channel}.{}.{}@{}>", root.unwrap_or(0), user.id, links.host)
    });
    let reply_to = if missed.len() == 1 { missed[0].reply_to.clone() } else { None };
    mail.headers = Headers {
        message_id: Some(format!("<notification.{}.{}@{}>", first.row.id, user.id, links.host)),
        thread,
        reply_to,
        unsubscribe: Some(links.unsubscribe.clone()),
        automatic: false,
    };
    Ok(mail)
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authors_are_named_briefly() {
        let n = |v: &[&str]| names_of(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(n(&["Alice"]), "Alice");
        assert_eq!(n(&["Alice", "Bob"]), "Alice and Bob");
        assert_eq!(n(&["Alice", "Bob", "Carol"]), "Alice, Bob and Carol");
        assert_eq!(n(&["Alice", "Bob", "Carol", "Dan"]), "Alice, Bob and 2 others");
    }
}
