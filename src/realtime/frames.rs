//! Event frames, the same for live delivery and replay.

use serde_json::{Value, json};

use crate::db::Conn;
use crate::db::events::EventRow;
use crate::db::workspaces::WorkspaceRow;
use crate::error::AppError;
use crate::events;
use crate::views::messages::{MessageView, fragment};
use crate::wire::{self, Time};

/// The most events a reconnecting client is replayed; past it, it must resync.
pub const MAX_REPLAY: usize = 10_000;

/// `{"seq", "type", "workspace_id", "channel_id", "data", "created_at"}`, and for message
/// events with `slug` given, `"html"`: the message partial, rendered once for everyone.
pub fn event_frame(row: &EventRow, data: &Value, slug: Option<&str>) -> String {
    let mut frame = json!({
        "seq": row.seq,
        "type": row.kind,
        "workspace_id": row.workspace_id,
        "channel_id": row.channel_id,
        "data": data,
        "created_at": Time(row.created_at),
    });
    if let Some(slug) = slug {
        if let Ok(message) = serde_json::from_value::<wire::Message>(data["message"].clone()) {
            frame["html"] = Value::String(fragment(&MessageView::new(&message, slug), false));
        }
        if let Ok(root) = serde_json::from_value::<wire::Message>(data["thread_root"].clone()) {
            frame["thread_root_html"] = Value::String(fragment(&MessageView::new(&root, slug), false));
        }
    }
    frame.to_string()
}

/// The frames a client missed: events after `since` up to `until` that `user_id` may see,
/// oldest first. A stale cursor, or a gap of more than `MAX_REPLAY` events, is `Gone`.
pub fn replay(conn: &mut Conn, user_id: i64, since: i64, until: i64, html: bool) -> Result<Vec<String>, AppError> {
    let newest = events::head(conn)?;
    events::check_cursor(conn, since, newest)?;
    if until - since > MAX_REPLAY as i64 * 4 {
        return Err(too_far());
    }
    let viewer = events::viewer(conn, user_id)?;
    let mut picked: Vec<(EventRow, Value)> = Vec::new();
    let mut cursor = since;
    let mut slugs: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    'read: while cursor < until {
        let rows = EventRow::after(conn, cursor, 500)?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if row.seq > until {
                break 'read;
            }
            cursor = row.seq;
            if !events::is_visible(&row, &viewer) {
                continue;
            }
            if picked.len() == MAX_REPLAY {
                return Err(too_far());
            }
            let data: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            picked.push((row, data));
        }
    }
    let mut payloads: Vec<&mut Value> = picked.iter_mut().map(|(_, d)| d).collect();
    events::scrub(conn, &mut payloads)?;
    let mut frames = Vec::new();
    for (row, data) in picked {
        let slug = match (html, row.workspace_id) {
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
        frames.push(event_frame(&row, &data, slug.as_deref()));
    }
    Ok(frames)
}

fn too_far() -> AppError {
    AppError::gone("resync_required", "Too much happened while you were away; reload and reconnect.")
}
