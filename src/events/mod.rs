//! The event log: append inside a write transaction, read `seq > cursor` through the
//! visibility rule, follow it per node or cluster-wide, and wake followers after commits.

mod data;
mod listen;

pub use data::EventData;
pub use listen::spawn_pg_listener;

use crate::domain::Code;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::Serialize;

use crate::db::channels::ChannelRow;
use crate::db::events::{EventRow, NewEventRow};
use crate::db::messages::MessageRow;
use crate::db::workspaces::MemberRow;
use crate::db::{self, Conn, Db, Tx};
use crate::domain::events::{EventKind, EventScope, Viewer, visible_to};
use crate::domain::workspaces::Role;
use crate::error::AppError;
use crate::wire::Time;

/// Where the log remembers how far it has been pruned.
const PRUNED_THROUGH: &str = "events_pruned_through";

pub use crate::db::events::NOTIFY_CHANNEL;

/// How often followers re-read the log when no wake-up came (NOTIFY is only a hint).
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Where an event belongs: its workspace and channel, and the person it is about or for
/// (the member a `*.member_*` event names, the owner of a private event; never merely the
/// actor). Together with the kind, this is all the visibility rule reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scope {
    pub workspace_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub user_id: Option<i64>,
}

impl Scope {
    /// Everyone in a channel (and, for directory kinds, everyone who may browse it).
    pub fn channel(workspace_id: i64, channel_id: i64) -> Scope {
        Scope { workspace_id: Some(workspace_id), channel_id: Some(channel_id), user_id: None }
    }

    /// Every active member of a workspace.
    pub fn workspace(workspace_id: i64) -> Scope {
        Scope { workspace_id: Some(workspace_id), ..Scope::default() }
    }

    /// One person only (private kinds), wherever they are.
    pub fn person(user_id: i64) -> Scope {
        Scope { user_id: Some(user_id), ..Scope::default() }
    }

    /// The same place, about this person (who sees it even when not, or no longer, in it).
    pub fn about(self, user_id: i64) -> Scope {
        Scope { user_id: Some(user_id), ..self }
    }
}

/// Appends an event. Call it as the last statement of the use case's transaction: on
/// PostgreSQL it takes the append lock, held until commit, and queues the NOTIFY that the
/// commit delivers.
pub fn append(tx: &mut Tx<'_>, scope: Scope, data: &EventData) -> Result<i64, AppError> {
    let payload = data.to_stored().map_err(|e| AppError::Unexpected(e.into()))?;
    db::events::lock_for_append(tx)?;
    let seq = NewEventRow {
        workspace_id: scope.workspace_id,
        channel_id: scope.channel_id,
        user_id: scope.user_id,
        kind: data.kind().as_str(),
        payload: &payload,
        created_at: db::now(),
    }
    .insert(tx)?;
    tx.appended = true;
    Ok(seq)
}

/// An event as clients receive it: `{"seq", "type", "workspace_id", "channel_id", "data",
/// "created_at"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub seq: i64,
    pub workspace_id: Option<i64>,
    pub channel_id: Option<i64>,
    /// The person the event is about or for (not on the wire: it only scopes delivery).
    #[serde(skip)]
    pub user_id: Option<i64>,
    /// `type` and `data`, side by side.
    #[serde(flatten)]
    pub data: EventData,
    pub created_at: Time,
}

/// The wire shape of `Event`, for the OpenAPI document (the real type flattens `EventData`,
/// which a schema cannot follow).
#[derive(utoipa::ToSchema)]
#[schema(as = Event)]
#[expect(dead_code, reason = "read by the OpenAPI derive only")]
struct EventSchema {
    seq: i64,
    /// The kind: `message.created`, `channel.updated`, `session.revoked`, …
    #[schema(rename = "type")]
    kind: String,
    workspace_id: Option<i64>,
    channel_id: Option<i64>,
    /// What the kind carries: `{"message": …}` for message events, `{"channel": …}` for
    /// channel events, and so on.
    #[schema(value_type = Object)]
    data: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
}

impl Event {
    /// Reads a stored event. An unknown kind (written by a newer node) is `None`: nobody is
    /// shown what this node cannot vouch for. A payload that does not fit its kind is a
    /// fault, reported as such.
    pub fn from_row(row: EventRow) -> Result<Option<Event>, AppError> {
        let EventRow { seq, workspace_id, channel_id, user_id, kind, payload, created_at } = row;
        let Some(kind) = EventKind::parse(&kind) else { return Ok(None) };
        let data = EventData::from_stored(kind, &payload).map_err(|e| {
            AppError::Unexpected(anyhow::anyhow!(
                "event {seq} ({}) has a payload that does not fit: {e}",
                kind.as_str()
            ))
        })?;
        Ok(Some(Event { seq, workspace_id, channel_id, user_id, data, created_at: Time(created_at) }))
    }

    /// What the visibility rule reads.
    pub fn scope(&self) -> EventScope {
        EventScope {
            kind: self.data.kind(),
            workspace_id: self.workspace_id,
            channel_id: self.channel_id,
            user_id: self.user_id,
        }
    }
}

fn scope_of(row: &EventRow) -> Option<EventScope> {
    Some(EventScope {
        kind: EventKind::parse(&row.kind)?,
        workspace_id: row.workspace_id,
        channel_id: row.channel_id,
        user_id: row.user_id,
    })
}

/// Loads what the visibility rule needs to know about `user_id`, as things stand now.
pub fn viewer(conn: &mut Conn, user_id: i64) -> Result<Viewer, AppError> {
    let workspaces: HashMap<i64, Role> =
        MemberRow::list_active_for_user(conn, user_id)?.into_iter().map(|m| (m.workspace_id, m.role)).collect();
    // Channels count only in workspaces the viewer is still an active member of.
    let active: Vec<i64> = workspaces.keys().copied().collect();
    let channels: HashSet<i64> = ChannelRow::ids_joined_in(conn, user_id, &active)?.into_iter().collect();
    let open_workspaces: Vec<i64> =
        workspaces.iter().filter(|(_, role)| **role != Role::Guest).map(|(id, _)| *id).collect();
    let browsable_channels: HashSet<i64> = ChannelRow::ids_public_in(conn, &open_workspaces)?.into_iter().collect();
    Ok(Viewer { user_id, workspaces, channels, browsable_channels })
}

/// Does this viewer see this stored event? Unknown kinds (from a newer node) are hidden.
/// Decided from the row's columns alone, so invisible payloads are never parsed.
pub fn is_visible(row: &EventRow, viewer: &Viewer) -> bool {
    scope_of(row).is_some_and(|scope| visible_to(&scope, viewer))
}

/// Brings the messages inside events up to date before they are replayed: a message
/// deleted since shows as deleted, an edited one with its new text. The log keeps what was
/// said when it was said, but replay never hands out words their author took back.
pub fn scrub(conn: &mut Conn, events: &mut [Event]) -> Result<(), AppError> {
    let ids: Vec<i64> = events.iter_mut().flat_map(|e| e.data.messages_mut()).map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let current: HashMap<i64, MessageRow> = MessageRow::find_many(conn, &ids)?.into_iter().map(|m| (m.id, m)).collect();
    for stored in events.iter_mut().flat_map(|e| e.data.messages_mut()) {
        let Some(now) = current.get(&stored.id) else { continue };
        if now.deleted_at.is_some() {
            stored.text.clear();
            stored.html.clear();
            stored.deleted = true;
            stored.mentioned_user_ids.clear();
            stored.mentions_everyone = false;
            stored.reactions.clear();
        } else if stored.text != now.text {
            stored.text.clone_from(&now.text);
            stored.html.clone_from(&now.html);
            stored.edited_at = now.edited_at.map(Time);
        }
    }
    Ok(())
}

/// Rows read per query while filtering.
pub const SCAN_BATCH: i64 = 500;

/// How many events after `since` and up to `until` the viewer may see, counting no further
/// than `cap + 1`; payloads are not read.
pub fn count_visible(conn: &mut Conn, viewer: &Viewer, since: i64, until: i64, cap: usize) -> Result<usize, AppError> {
    let (mut cursor, mut seen) = (since, 0);
    while cursor < until && seen <= cap {
        let rows = EventRow::scopes_after(conn, cursor, SCAN_BATCH)?;
        let exhausted = (rows.len() as i64) < SCAN_BATCH;
        for (seq, workspace_id, channel_id, user_id, kind) in rows {
            if seq > until {
                return Ok(seen);
            }
            cursor = seq;
            let visible = EventKind::parse(&kind)
                .is_some_and(|kind| visible_to(&EventScope { kind, workspace_id, channel_id, user_id }, viewer));
            seen += usize::from(visible);
        }
        if exhausted {
            break;
        }
    }
    Ok(seen)
}

/// What one scan of the log found for a viewer.
pub struct Scanned {
    /// The visible events, oldest first, brought up to date (`scrub`).
    pub events: Vec<Event>,
    /// The `seq` of the last row read: the scan resumes after it.
    pub cursor: i64,
}

/// The events after `since` and up to `until` that `viewer` may see, oldest first: at most
/// `want` of them, reading at most `scan` rows. Replay and the JSON endpoint both read the
/// log through this.
pub fn scan(
    conn: &mut Conn,
    viewer: &Viewer,
    since: i64,
    until: i64,
    want: usize,
    scan: i64,
) -> Result<Scanned, AppError> {
    let mut events = Vec::new();
    let (mut cursor, mut scanned) = (since, 0);
    'read: while cursor < until && scanned < scan && events.len() < want {
        let batch = SCAN_BATCH.min(scan - scanned);
        let rows = EventRow::after(conn, cursor, batch)?;
        let exhausted = (rows.len() as i64) < batch;
        for row in rows {
            if row.seq > until {
                break 'read;
            }
            cursor = row.seq;
            scanned += 1;
            if is_visible(&row, viewer) {
                match Event::from_row(row) {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => {}
                    // One unreadable row must not block every reader behind it forever;
                    // live delivery skips it the same way.
                    Err(e) => tracing::error!(error = %e, "skipped an event that cannot be read"),
                }
                if events.len() == want {
                    break 'read;
                }
            }
        }
        if exhausted {
            break;
        }
    }
    scrub(conn, &mut events)?;
    Ok(Scanned { events, cursor })
}

/// A page of the log as one viewer sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    #[schema(value_type = Vec<EventSchema>)]
    pub events: Vec<Event>,
    /// Pass as `since` to continue; it moves past events the viewer may not see, too.
    pub next_since: i64,
    /// More events are already stored after `next_since`.
    pub has_more: bool,
}

/// Rows one request may scan before it answers with what it has.
const SCAN_LIMIT: i64 = 10_000;

/// Events after `since` that `user_id` may see, oldest first, at most `limit`.
/// A `since` beyond the newest stored event (a restored database) is stale: the client must
/// resynchronise from fresh state.
pub fn page_for(conn: &mut Conn, user_id: i64, since: i64, limit: usize) -> Result<EventPage, AppError> {
    let newest = EventRow::max_seq(conn)?.unwrap_or(0);
    check_cursor(conn, since, newest)?;
    let viewer = viewer(conn, user_id)?;
    let Scanned { events, cursor } = scan(conn, &viewer, since, newest, limit, SCAN_LIMIT)?;
    // Pruning may have run between the check and the scan: check again, so that a page
    // never silently leaves out events that were pruned under it.
    check_not_pruned(conn, since)?;
    Ok(EventPage { events, has_more: cursor < newest, next_since: cursor })
}

/// A cursor is stale when events after it were pruned, or when it is ahead of the log (a
/// database restored from a backup): the client must reload state and start afresh.
pub fn check_cursor(conn: &mut Conn, since: i64, newest: i64) -> Result<(), AppError> {
    if since > newest {
        return Err(AppError::gone(
            Code::ResyncRequired,
            format!(
                "The event cursor {since} is ahead of the log (newest {newest}); reload state and start from the newest."
            ),
        ));
    }
    check_not_pruned(conn, since)
}

/// Has the log been pruned past `since` (0, "from the oldest kept", never is)?
pub fn check_not_pruned(conn: &mut Conn, since: i64) -> Result<(), AppError> {
    let pruned: i64 = db::server_settings::get(conn, PRUNED_THROUGH)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    // 0 means "from the oldest event kept", never stale.
    if since != 0 && since < pruned {
        return Err(AppError::gone(
            Code::ResyncRequired,
            format!("Events after {since} are no longer kept; reload state and start from the newest."),
        ));
    }
    Ok(())
}

/// Deletes events older than `retention`, but never the newest event (so a cursor can be
/// told from a restore) and never any that a cluster-wide follower has yet to handle.
/// Returns how far the log is now pruned. One node prunes at a time.
pub fn prune(db: &Db, retention: std::time::Duration) -> Result<Option<i64>, AppError> {
    db.write_blocking(|tx| {
        if !db::try_lock(tx, db::Lock::Prune)? {
            return Ok(None);
        }
        let Some(newest) = EventRow::max_seq(tx)? else {
            return Ok(None);
        };
        let below = match db::events::lowest_cursor(tx)? {
            Some(lowest) => newest.min(lowest + 1),
            None => newest,
        };
        let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(14));
        let pruned = db::events::prune(tx, db::now() - retention, below)?;
        if let Some(through) = pruned {
            db::server_settings::set(tx, PRUNED_THROUGH, &through.to_string())?;
        }
        Ok(pruned)
    })
}

/// The newest `seq`, read before a page's data so that a live connection resumes from it.
pub fn head(conn: &mut Conn) -> Result<i64, AppError> {
    Ok(EventRow::max_seq(conn)?.unwrap_or(0))
}

/// A per-node follower: keeps its cursor itself (in memory, or wherever its output lives)
/// and wakes on local commits, on PostgreSQL notifications and at least every second.
pub struct Follower {
    db: Db,
    cursor: i64,
    wake: tokio::sync::watch::Receiver<u64>,
}

impl Follower {
    pub fn new(db: &Db, cursor: i64) -> Follower {
        let mut wake = db.subscribe_appends();
        wake.mark_unchanged();
        Follower { db: db.clone(), cursor, wake }
    }

    pub fn cursor(&self) -> i64 {
        self.cursor
    }

    /// Moves the cursor (forward only).
    pub fn skip_to(&mut self, seq: i64) {
        self.cursor = self.cursor.max(seq);
    }

    /// Waits for the next wake-up, or a poll interval, without reading.
    pub async fn idle(&mut self) {
        let _ = tokio::time::timeout(POLL_INTERVAL, self.wake.changed()).await;
    }

    /// The next events after the cursor, oldest first, waiting until there are some.
    /// The cursor advances past what is returned.
    pub async fn next_batch(&mut self, limit: i64) -> Result<Vec<EventRow>, AppError> {
        loop {
            let since = self.cursor;
            let rows = self.db.read(move |conn| Ok(EventRow::after(conn, since, limit)?)).await?;
            if let Some(last) = rows.last() {
                self.cursor = last.seq;
                return Ok(rows);
            }
            // A wake-up that came during the read is kept by the watch, so none is lost.
            let _ = tokio::time::timeout(POLL_INTERVAL, self.wake.changed()).await;
        }
    }
}

/// Places a cluster-wide follower at the log's head if it has no cursor yet: a follower
/// added to a running server handles what happens from then on, not the retained past.
/// Returns its cursor.
pub fn place_cluster_follower(db: &Db, name: &str) -> Result<i64, AppError> {
    db.write_blocking(|tx| {
        let head = EventRow::max_seq(tx)?.unwrap_or(0);
        Ok(db::events::lock_cursor(tx, name, head, db::now())?)
    })
}

/// One step of a cluster-wide follower named `name`: in one transaction, lock its cursor
/// row, read up to `limit` events after it, let `handle` turn them into job rows, and
/// advance the cursor. Nodes that step together take turns; every event is handled by
/// exactly one committed step. Returns how many events were handled.
pub fn step_cluster_follower<F>(db: &Db, name: &str, limit: i64, handle: F) -> Result<usize, AppError>
where
    F: Fn(&mut Tx<'_>, &[EventRow]) -> Result<(), AppError>,
{
    db.write_blocking(|tx| {
        let now = db::now();
        let cursor = db::events::lock_cursor(tx, name, 0, now)?;
        let rows = EventRow::after(tx, cursor, limit)?;
        let Some(last) = rows.last() else {
            return Ok(0);
        };
        handle(tx, &rows)?;
        db::events::set_cursor(tx, name, last.seq, now)?;
        Ok(rows.len())
    })
}
