//! Presence: each connection's status, this node's rows in the `presence` table (kept alive
//! by a ticker, written under a per-person lock), the best status across nodes announced
//! once to the connections watching a person, and who may watch whom.

use tokio::sync::mpsc;

use super::hub::{Command, State};
use super::{Ephemeral, Frame, Target};
use crate::workers::Workers;

/// How often a node refreshes its presence rows, and how old a row may get before it no
/// longer counts (its node is gone).
const PRESENCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);
pub const PRESENCE_EXPIRY: chrono::Duration = chrono::Duration::seconds(90);

/// The best of several statuses: online, then away, then offline.
fn best_of<'a>(statuses: impl IntoIterator<Item = &'a str>) -> &'static str {
    let mut best = "offline";
    for s in statuses {
        match s {
            "online" => return "online",
            "away" => best = "away",
            _ => {}
        }
    }
    best
}

/// The most people one connection may watch the presence of.
pub const MAX_WATCHED: usize = 500;

/// Starts the ticker that has the hub refresh this node's presence rows.
pub(super) fn spawn_ticker(workers: &Workers, ticks: mpsc::UnboundedSender<Command>) {
    workers.spawn("hub-presence", |stop| async move {
        let mut every = tokio::time::interval(PRESENCE_REFRESH);
        while stop.run_until_cancelled(every.tick()).await.is_some() {
            if ticks.send(Command::RefreshPresence).is_err() {
                break;
            }
        }
    });
}

impl State {
    /// A connection's new status. One that changes nothing (the same status again, or one
    /// that leaves the person's best status on this node as it was) writes nothing.
    pub(super) async fn set_presence(&mut self, id: u64, status: &'static str) {
        let Some(conn) = self.conns.get(&id) else { return };
        if conn.status == status {
            return;
        }
        let user = conn.who.user_id;
        let before = self.best_status(user);
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.status = status;
        }
        let best = self.best_status(user);
        if best != before {
            self.announce_presence(user, best);
        }
    }

    /// A user's status on this node: online if any connection is, else away.
    fn best_status(&self, user_id: i64) -> &'static str {
        let mut statuses =
            self.user_conns(user_id).iter().filter_map(|id| self.conns.get(id)).map(|c| c.status).peekable();
        if statuses.peek().is_none() {
            return "offline";
        }
        if statuses.any(|s| s == "online") { "online" } else { "away" }
    }

    /// Records a person's status on this node, then (once the row is written) announces
    /// their status across all nodes.
    pub(super) fn announce_presence(&mut self, user_id: i64, status: &'static str) {
        let generation = self.generations.get(&user_id).map_or(1, |g| g + 1);
        self.generations.insert(user_id, generation);
        let (db, node, commands) = (self.db.clone(), self.node as i64, self.commands.clone());
        self.workers.errand(async move {
            let now = crate::db::now();
            let best = db
                .write(move |tx| {
                    crate::db::presence::lock_person(tx, user_id)?;
                    match status {
                        "offline" => crate::db::presence::clear(tx, user_id, node)?,
                        _ => crate::db::presence::set(tx, user_id, node, status, now)?,
                    };
                    let rows = crate::db::presence::statuses(tx, &[user_id], now - PRESENCE_EXPIRY)?;
                    Ok(best_of(rows.iter().map(|(_, s)| s.as_str())))
                })
                .await
                .unwrap_or(status);
            let _ = commands.send(Command::Resolved { user_id, generation, status: best });
        });
    }

    /// The answer to `announce_presence`: published unless a later change has overtaken it.
    pub(super) fn resolved(&mut self, user_id: i64, generation: u64, status: &'static str) {
        if self.generations.get(&user_id) == Some(&generation) {
            self.publish_presence(user_id, status);
        }
    }

    /// Keeps this node's presence rows alive and drops the expired rows of nodes that died.
    pub(super) fn refresh_presence(&self) {
        let (db, node) = (self.db.clone(), self.node as i64);
        self.workers.errand(async move {
            let now = crate::db::now();
            let _ = db
                .write(move |tx| {
                    crate::db::presence::refresh(tx, node, now)?;
                    Ok(crate::db::presence::expire(tx, now - PRESENCE_EXPIRY)?)
                })
                .await;
        });
    }

    /// Sends a status to the person's watchers, unless it is the one last sent.
    fn publish_presence(&mut self, user_id: i64, status: &'static str) {
        if self.announced.get(&user_id) == Some(&status) {
            return;
        }
        if status == "offline" {
            self.announced.remove(&user_id);
        } else {
            self.announced.insert(user_id, status);
        }
        self.publish(Target::WatchersOf(user_id), user_id, Ephemeral::presence(user_id, status));
    }

    /// Sets whose presence a connection watches: only people who share one of its user's
    /// workspaces, at most `MAX_WATCHED`, replacing the previous set. The reads run off the
    /// hub's task; `watched` takes the answer (the statuses known now).
    pub(super) async fn watch(&mut self, id: u64, mut user_ids: Vec<i64>) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        conn.watch_generation += 1;
        let (user_id, generation) = (conn.who.user_id, conn.watch_generation);
        let Some(viewer) = self.viewers.get(&user_id) else { return };
        user_ids.sort_unstable();
        user_ids.dedup();
        user_ids.truncate(MAX_WATCHED);
        let workspaces: Vec<i64> = viewer.workspaces.keys().copied().collect();
        let (db, commands) = (self.db.clone(), self.commands.clone());
        self.workers.errand(async move {
            let since = crate::db::now() - PRESENCE_EXPIRY;
            let found = db
                .read(move |conn| {
                    let allowed = crate::db::workspaces::MemberRow::active_among(conn, &workspaces, &user_ids)?;
                    let rows = crate::db::presence::statuses(conn, &allowed, since)?;
                    Ok((allowed, rows))
                })
                .await;
            let Ok((allowed, rows)) = found else { return };
            let statuses = allowed
                .iter()
                .map(|u| (*u, best_of(rows.iter().filter(|(r, _)| r == u).map(|(_, s)| s.as_str()))))
                .filter(|(_, s)| *s != "offline")
                .collect();
            let _ = commands.send(Command::Watched { id, generation, allowed, statuses });
        });
    }

    /// The answer to a connection's latest `presence_sub`: whom it watches from now on, and
    /// their statuses.
    pub(super) fn watched(&mut self, id: u64, generation: u64, allowed: Vec<i64>, statuses: Vec<(i64, &'static str)>) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        if conn.watch_generation != generation {
            return;
        }
        conn.watching = allowed.into_iter().collect();
        for (user, status) in statuses {
            let frame: Frame = Ephemeral::presence(user, status).text().into();
            self.send_ephemeral(id, &frame);
        }
    }
}
