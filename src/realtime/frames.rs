//! Event frames, the same for live delivery and replay.

use crate::domain::Code;
use serde::Serialize;

use crate::db::Conn;
use crate::db::workspaces::WorkspaceRow;
use crate::domain::events::Viewer;
use crate::domain::messages::render_topic;
use crate::error::AppError;
use crate::events::{self, Event, EventData, Scanned};
use crate::views::messages::{MessageView, fragment};
use crate::wire;

/// The most events a reconnecting client is replayed; past it, it must resync.
pub const MAX_REPLAY: usize = 10_000;

/// An event as a frame: the event itself, and for `?html=1` clients the message partial of
/// its message (and of its thread's root), rendered once for everyone.
#[derive(Serialize)]
struct EventFrame<'a> {
    #[serde(flatten)]
    event: &'a Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread_root_html: Option<String>,
    /// A changed channel's topic as HTML (emoji, links).
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_html: Option<String>,
}

/// `{"seq", "type", "workspace_id", "channel_id", "data", "created_at"}`, and for message
/// events with `slug` given, `"html"`: the message partial, rendered once for everyone.
pub fn event_frame(event: &Event, slug: Option<&str>) -> Result<String, AppError> {
    let render = |m: &wire::Message, slug: &str| fragment(&MessageView::new(m, slug), false);
    let frame = EventFrame {
        event,
        html: slug.and_then(|s| Some(render(event.data.message()?, s))),
        thread_root_html: slug.and_then(|s| Some(render(event.data.thread_root()?, s))),
        topic_html: match (&event.data, slug) {
            (EventData::ChannelUpdated { channel }, Some(s)) => Some(render_topic(&channel.topic, s)),
            _ => None,
        },
    };
    serde_json::to_string(&frame).map_err(|e| AppError::Unexpected(e.into()))
}

/// Checks that a client may be replayed what it missed — events after `since` up to
/// `until` — and returns who it is as the visibility rule sees them. A stale cursor, or a
/// gap of more than `MAX_REPLAY` events it may see, is `Gone` (the client must resync).
pub fn replay_viewer(conn: &mut Conn, user_id: i64, since: i64, until: i64) -> Result<Viewer, AppError> {
    let newest = events::head(conn)?;
    events::check_cursor(conn, since, newest)?;
    if until - since > MAX_REPLAY as i64 * 4 {
        return Err(too_far());
    }
    let viewer = events::viewer(conn, user_id)?;
    if events::count_visible(conn, &viewer, since, until, MAX_REPLAY)? > MAX_REPLAY {
        return Err(too_far());
    }
    Ok(viewer)
}

/// Log rows read per replay batch: few, because one message event may carry 40,000
/// characters twice over (its text and its HTML), and each socket holds a batch.
const REPLAY_ROWS: i64 = 8;

/// One batch of a replay: the frames of the events after `cursor` up to `until` that the
/// viewer may see, from at most `REPLAY_ROWS` rows, and where the next batch starts.
/// A replay is sent a batch at a time, so it never holds more than one batch in memory.
pub fn replay_batch(
    conn: &mut Conn,
    viewer: &Viewer,
    cursor: i64,
    until: i64,
    html: bool,
) -> Result<(Vec<String>, i64), AppError> {
    let start = cursor;
    let Scanned { events, cursor } = events::scan(conn, viewer, cursor, until, usize::MAX, REPLAY_ROWS)?;
    // Pruned under the batch: the client must resync rather than miss what went.
    events::check_not_pruned(conn, start)?;
    let mut slugs: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    let mut frames = Vec::with_capacity(events.len());
    for event in &events {
        let slug = match (html, event.workspace_id) {
            (true, Some(ws)) => Some(match slugs.get(&ws) {
                Some(s) => s.clone(),
                None => {
                    let s = WorkspaceRow::find(conn, ws)?.slug;
                    slugs.insert(ws, s.clone());
                    s
                }
            }),
            _ => None,
        };
        frames.push(event_frame(event, slug.as_deref())?);
    }
    Ok((frames, cursor))
}

fn too_far() -> AppError {
    AppError::gone(Code::ResyncRequired, "Too much happened while you were away; reload and reconnect.")
}
