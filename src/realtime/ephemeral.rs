//! Frames that are never stored or replayed: typing and presence. They are delivered on
//! this node and, on PostgreSQL, carried to the other nodes by `NOTIFY hearth_ephemeral`.
//! This file holds the frames, the hub's delivery of them here and its relaying of them
//! to and from the other nodes.

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::hub::{Command, State};
use super::{EPHEMERAL_CHANNEL, Frame};
use crate::db::Backend;
use crate::workers::Workers;

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
    /// A message for one person alone (a command's answer), never stored.
    #[serde(rename = "message.ephemeral")]
    Message {
        message: crate::wire::EphemeralMessage,
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
    /// One person's own connections.
    Person(i64),
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

/// Starts the task that hands the hub the frames of other nodes; returns the sender the
/// PostgreSQL listener feeds.
pub(super) fn forward_remote(
    workers: &Workers,
    forward: mpsc::UnboundedSender<Command>,
) -> mpsc::UnboundedSender<String> {
    let (remote_tx, mut remote_rx) = mpsc::unbounded_channel::<String>();
    workers.spawn("hub-remote", |stop| async move {
        while let Some(Some(payload)) = stop.run_until_cancelled(remote_rx.recv()).await {
            if forward.send(Command::Remote(payload)).is_err() {
                break;
            }
        }
    });
    remote_tx
}

impl State {
    /// Someone is typing: the channel's other members are told, if the typist is one.
    pub(super) async fn typing(&mut self, id: u64, channel_id: i64) {
        let Some(user_id) = self.conns.get(&id).map(|c| c.who.user_id) else { return };
        let Some(viewer) = self.viewers.get(&user_id) else { return };
        if !viewer.channels.contains(&channel_id) {
            return;
        }
        let name = self.display_name(user_id).await;
        let frame = Ephemeral::Typing { channel_id, user_id, display_name: name };
        self.publish(Target::Channel(channel_id), user_id, frame);
    }

    /// Delivers an ephemeral frame here, and on PostgreSQL to the other nodes too.
    pub(super) fn publish(&self, target: Target, from: i64, frame: Ephemeral) {
        let text: Frame = frame.text().into();
        self.deliver_ephemeral(target, from, &text);
        if self.db.backend() == Backend::Postgres {
            let relayed = Relayed { node: self.node, target, from, frame };
            let Ok(payload) = serde_json::to_string(&relayed) else { return };
            if payload.len() <= MAX_RELAYED {
                let db = self.db.clone();
                self.workers.errand(async move {
                    let _ = tokio::task::spawn_blocking(move || {
                        if let Ok(mut conn) = db.conn() {
                            let _ = crate::db::notify(&mut conn, EPHEMERAL_CHANNEL, &payload);
                        }
                    })
                    .await;
                });
            }
        }
    }

    fn deliver_ephemeral(&self, target: Target, from: i64, frame: &Frame) {
        if let Target::Person(user_id) = target {
            for id in self.user_conns(user_id) {
                self.send_ephemeral(*id, frame);
            }
            return;
        }
        for (id, conn) in &self.conns {
            if conn.who.user_id == from {
                continue;
            }
            let Some(v) = self.viewers.get(&conn.who.user_id) else { continue };
            let reaches = match target {
                Target::Channel(c) => v.channels.contains(&c),
                Target::WatchersOf(u) => conn.watching.contains(&u),
                Target::Person(_) => false,
            };
            if reaches {
                self.send_ephemeral(*id, frame);
            }
        }
    }

    /// Sends an ephemeral frame, skipping connections whose queue is full: a missed typing
    /// indicator is not worth closing anyone for.
    pub(super) fn send_ephemeral(&self, id: u64, frame: &Frame) {
        if let Some(conn) = self.conns.get(&id) {
            let _ = conn.sender.try_send(frame.clone());
        }
    }

    /// An ephemeral frame from another node.
    pub(super) fn remote(&self, payload: &str) {
        let Ok(relayed) = serde_json::from_str::<Relayed>(payload) else { return };
        if relayed.node == self.node {
            return;
        }
        let frame: Frame = relayed.frame.text().into();
        self.deliver_ephemeral(relayed.target, relayed.from, &frame);
    }
}
