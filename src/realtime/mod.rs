//! Live delivery, one hub per node. The hub follows the event log and fans each event out,
//! as one shared frame, to the WebSocket connections whose user may see it (the same
//! visibility rule as replay). Each connection has a bounded queue; the hub never waits for
//! a slow client: a full queue closes that connection (4008) and nobody else slows down.
//! Ephemeral frames (typing, presence) never touch the log; on PostgreSQL they cross nodes
//! as `NOTIFY hearth_ephemeral`.
//!
//! The hub's state is one `State`, owned by one task; its `impl` is split by concern:
//! `hub` (the loop, connections, fan-out, closing), `viewers` (who may see what),
//! `presence` (statuses across nodes) and `ephemeral` (typing and presence frames, here and
//! on the other nodes). This module holds what a connection sees of it.

mod ephemeral;
mod frames;
mod hub;
mod presence;
mod viewers;

pub use ephemeral::{Ephemeral, Target};
pub use frames::{event_frame, replay_batch, replay_viewer};
pub use hub::Hub;
pub use presence::{MAX_WATCHED, PRESENCE_EXPIRY};

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

/// A frame as sent: JSON text shared by every receiver.
pub type Frame = Arc<str>;

/// The PostgreSQL channel that carries ephemeral frames between nodes.
pub use crate::db::listen::EPHEMERAL_CHANNEL;

/// Why the server closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// 4001: the session or token was revoked.
    Revoked,
    /// 4003: the account was deactivated.
    Deactivated,
    /// 4008: the client fell behind; resume with `since`.
    TooSlow,
    /// 4009: the cursor is stale or the gap too long; reload and reconnect.
    Resync,
    /// 1001: the server is shutting down; reconnect (with `since`) in a moment.
    GoingAway,
    /// 4029: the client kept sending frames past its person's limit.
    TooManyFrames,
}

impl Closing {
    pub fn code(self) -> u16 {
        match self {
            Closing::Revoked => 4001,
            Closing::Deactivated => 4003,
            Closing::TooSlow => 4008,
            Closing::Resync => 4009,
            Closing::GoingAway => 1001,
            Closing::TooManyFrames => 4029,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Closing::Revoked => "session revoked",
            Closing::Deactivated => "account deactivated",
            Closing::TooSlow => "too slow: resume with since",
            Closing::Resync => "resync",
            Closing::GoingAway => "server shutting down",
            Closing::TooManyFrames => "too many frames",
        }
    }
}

/// Who a connection belongs to and how it wants its frames.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub user_id: i64,
    pub session_id: Option<i64>,
    pub token_id: Option<i64>,
    /// Message events carry the rendered partial.
    pub html: bool,
}

/// How the hub tells a connection's task to close, and why.
#[derive(Default)]
pub struct CloseSignal {
    reason: Mutex<Option<Closing>>,
    notify: tokio::sync::Notify,
}

impl CloseSignal {
    fn close(&self, why: Closing) {
        *self.reason.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
        self.notify.notify_one();
    }

    /// Waits until the hub closes the connection; returns why.
    pub async fn closed(&self) -> Closing {
        loop {
            if let Some(why) = *self.reason.lock().unwrap_or_else(|p| p.into_inner()) {
                return why;
            }
            self.notify.notified().await;
        }
    }
}

/// A registered connection: its queue of frames, the hub position it registered at, and
/// the signal by which the hub closes it.
pub struct Connection {
    pub id: u64,
    pub frames: mpsc::Receiver<Frame>,
    /// Every event up to this `seq` is the replay's to send; the queue holds only later ones.
    pub head: i64,
    pub closing: Arc<CloseSignal>,
}
