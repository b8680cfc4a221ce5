//! Frames that are never stored or replayed: typing and presence. They are delivered on
//! this node and, on PostgreSQL, carried to the other nodes by `NOTIFY hearth_ephemeral`.

use serde::{Deserialize, Serialize};

/// A frame with no `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Ephemeral {
    Typing {
        channel_id: i64,
        user_id: i64,
        display_name: String,
    },
    /// `online`, `away` or `offline`.
    Presence {
        user_id: i64,
        status: String,
    },
}

impl Ephemeral {
    pub fn presence(user_id: i64, status: &str) -> Ephemeral {
        Ephemeral::Presence { user_id, status: status.to_owned() }
    }

    /// The frame as sent.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Who an ephemeral frame reaches: the members of a channel, or the connections watching a
/// person. Never the person it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Channel(i64),
    WatchersOf(i64),
}

/// An ephemeral frame on its way between nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relayed {
    /// The node it comes from (which has delivered it already).
    pub node: u64,
    pub target: Target,
    pub from: i64,
    pub frame: Ephemeral,
}

/// PostgreSQL refuses notifications of 8000 bytes or more; bigger frames stay on their node.
pub const MAX_RELAYED: usize = 7 * 1024;
