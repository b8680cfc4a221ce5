//! Live delivery, one hub per node. The hub follows the event log and fans each event out,
//! as one shared frame, to the WebSocket connections whose user may see it (the same
//! visibility rule as replay). Each connection has a bounded queue; the hub never waits for
//! a slow client: a full queue closes that connection (4008) and nobody else slows down.
//! Ephemeral frames (typing, presence) never touch the log; on PostgreSQL they cross nodes
//! as `NOTIFY hearth_ephemeral`.

mod ephemeral;
mod frames;

pub use ephemeral::{Ephemeral, Target};
pub use frames::{event_frame, replay};

use ephemeral::{MAX_RELAYED, Relayed};

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use crate::db::events::EventRow;
use crate::db::{Backend, Db};
use crate::domain::channels::ChannelKind;
use crate::domain::events::{Viewer, visible_to};
use crate::domain::workspaces::Role;
use crate::error::AppError;
use crate::events::{self, Event, EventData, Follower};
use crate::workers::Workers;

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
}

impl Closing {
    pub fn code(self) -> u16 {
        match self {
            Closing::Revoked => 4001,
            Closing::Deactivated => 4003,
            Closing::TooSlow => 4008,
            Closing::Resync => 4009,
            Closing::GoingAway => 1001,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            Closing::Revoked => "session revoked",
            Closing::Deactivated => "account deactivated",
            Closing::TooSlow => "too slow: resume with since",
            Closing::Resync => "resync",
            Closing::GoingAway => "server shutting down",
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

/// How often a node refreshes its presence rows, and how old a row may get before it no
/// longer counts (its node is gone).
const PRESENCE_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);
const PRESENCE_EXPIRY: chrono::Duration = chrono::Duration::seconds(90);

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

enum Command {
    Register {
        who: Identity,
        reply: oneshot::Sender<Result<Connection, AppError>>,
    },
    Unregister {
        id: u64,
    },
    Typing {
        id: u64,
        channel_id: i64,
    },
    Presence {
        id: u64,
        status: &'static str,
    },
    Watch {
        id: u64,
        user_ids: Vec<i64>,
    },
    /// A person's status across nodes, worked out from the presence rows.
    Resolved {
        user_id: i64,
        generation: u64,
        status: &'static str,
    },
    /// Keep this node's presence rows alive; forget those of nodes that died.
    RefreshPresence,
    Remote(String),
}

/// The handle to this node's hub.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::UnboundedSender<Command>,
}

impl Hub {
    /// Starts the hub at the head of the log, its tasks registered with `workers` (they end
    /// on its stop signal); returns the handle and the sender that delivers ephemeral frames
    /// from other nodes (fed by the PostgreSQL listener).
    pub fn start(db: Db, queue: usize, workers: &Workers) -> Result<(Hub, mpsc::UnboundedSender<String>), AppError> {
        let head = {
            let mut conn = db.conn()?;
            events::head(&mut conn)?
        };
        let (commands, receiver) = mpsc::unbounded_channel();
        let (remote_tx, mut remote_rx) = mpsc::unbounded_channel::<String>();
        let forward = commands.clone();
        workers.spawn("hub-remote", |stop| async move {
            while let Some(Some(payload)) = stop.run_until_cancelled(remote_rx.recv()).await {
                if forward.send(Command::Remote(payload)).is_err() {
                    break;
                }
            }
        });
        let follower = Follower::new(&db, head);
        let node = rand::random::<u64>();
        let ticks = commands.clone();
        workers.spawn("hub-presence", |stop| async move {
            let mut every = tokio::time::interval(PRESENCE_REFRESH);
            while stop.run_until_cancelled(every.tick()).await.is_some() {
                if ticks.send(Command::RefreshPresence).is_err() {
                    break;
                }
            }
        });
        let state = State::new(db, queue, node, head, commands.clone());
        let (batches_tx, batches) = mpsc::channel::<Vec<EventRow>>(4);
        let (active, resume_at) = (state.active.clone(), state.resume_at.clone());
        workers.spawn("hub-reader", |stop| async move {
            stop.run_until_cancelled(read(follower, active, resume_at, batches_tx)).await;
        });
        workers.spawn("hub", |stop| run(state, receiver, batches, stop));
        Ok((Hub { commands }, remote_tx))
    }

    /// Registers a connection. Frames of events after the returned `head` are queued for it
    /// from now on.
    pub async fn register(&self, who: Identity) -> Result<Connection, AppError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Register { who, reply })
            .map_err(|_| AppError::unavailable("live delivery", "the hub has stopped"))?;
        answer.await.map_err(|_| AppError::unavailable("live delivery", "the hub has stopped"))?
    }

    pub fn unregister(&self, id: u64) {
        let _ = self.commands.send(Command::Unregister { id });
    }

    /// Someone is typing in a channel.
    pub fn typing(&self, id: u64, channel_id: i64) {
        let _ = self.commands.send(Command::Typing { id, channel_id });
    }

    /// A connection wants presence updates of these people (those who share a workspace
    /// with it); presence goes only to watchers, so a big workspace costs no more than the
    /// sidebars that show it.
    pub fn watch(&self, id: u64, user_ids: Vec<i64>) {
        let _ = self.commands.send(Command::Watch { id, user_ids });
    }

    /// Someone set their presence: `online` or `away`.
    pub fn presence(&self, id: u64, status: &'static str) {
        let _ = self.commands.send(Command::Presence { id, status });
    }
}

struct Conn {
    who: Identity,
    sender: mpsc::Sender<Frame>,
    closing: Arc<CloseSignal>,
    status: &'static str,
    watching: HashSet<i64>,
}

struct State {
    db: Db,
    /// The last event delivered: a connection registered now gets every later one.
    position: i64,
    queue: usize,
    node: u64,
    next_id: u64,
    conns: HashMap<u64, Conn>,
    /// The visibility context of every connected user, kept current as memberships change.
    viewers: HashMap<i64, Viewer>,
    slugs: HashMap<i64, String>,
    names: HashMap<i64, String>,
    /// The last status announced for each user from this node (unchanged ones are not
    /// sent again).
    announced: HashMap<i64, &'static str>,
    /// Each user's latest presence change, so that a late answer for an older one is dropped.
    generations: HashMap<i64, u64>,
    /// How many connections there are, for the reader (which rests when there are none).
    active: Arc<std::sync::atomic::AtomicUsize>,
    /// Where the reader resumes after resting (0: carry on).
    resume_at: Arc<std::sync::atomic::AtomicI64>,
    commands: mpsc::UnboundedSender<Command>,
}

/// The follower reads in its own task, so that no stream of commands can starve the hub.
/// With nobody connected it reads nothing: the first connection resumes it from the head.
async fn read(
    mut follower: Follower,
    active: Arc<std::sync::atomic::AtomicUsize>,
    resume_at: Arc<std::sync::atomic::AtomicI64>,
    batches: mpsc::Sender<Vec<EventRow>>,
) {
    loop {
        if active.load(std::sync::atomic::Ordering::Acquire) == 0 {
            follower.idle().await;
            continue;
        }
        let resume = resume_at.swap(0, std::sync::atomic::Ordering::AcqRel);
        if resume > 0 {
            follower.skip_to(resume);
        }
        match follower.next_batch(500).await {
            Ok(rows) => {
                if batches.send(rows).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live delivery could not read the event log");
                tokio::time::sleep(events::POLL_INTERVAL).await;
            }
        }
    }
}

async fn run(
    mut state: State,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut batches: mpsc::Receiver<Vec<EventRow>>,
    stop: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => {
                // Sockets are closed before the hub stops; any left are told to go, too.
                let ids: Vec<u64> = state.conns.keys().copied().collect();
                for id in ids {
                    state.close(id, Closing::GoingAway);
                }
                break;
            },
            command = commands.recv() => match command {
                Some(c) => state.handle(c).await,
                None => break,
            },
            Some(rows) = batches.recv() => {
                for row in rows {
                    // Rows read before an idle spell may trail the position a new
                    // connection was given; replay covers those.
                    let seq = row.seq;
                    if seq <= state.position {
                        continue;
                    }
                    state.deliver(row).await;
                    state.position = seq;
                }
            },
        }
    }
}

impl State {
    fn new(db: Db, queue: usize, node: u64, position: i64, commands: mpsc::UnboundedSender<Command>) -> State {
        State {
            active: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            resume_at: Arc::new(std::sync::atomic::AtomicI64::new(0)),
            generations: HashMap::new(),
            commands,
            db,
            position,
            queue,
            node,
            next_id: 1,
            conns: HashMap::new(),
            viewers: HashMap::new(),
            slugs: HashMap::new(),
            names: HashMap::new(),
            announced: HashMap::new(),
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Register { who, reply } => {
                let result = self.register(who, self.position).await;
                let _ = reply.send(result);
            }
            Command::Unregister { id } => self.unregister(id).await,
            Command::Typing { id, channel_id } => self.typing(id, channel_id).await,
            Command::Presence { id, status } => self.set_presence(id, status).await,
            Command::Watch { id, user_ids } => self.watch(id, user_ids).await,
            Command::Resolved { user_id, generation, status } => {
                if self.generations.get(&user_id) == Some(&generation) {
                    self.publish_presence(user_id, status);
                }
            }
            Command::RefreshPresence => {
                let (db, node) = (self.db.clone(), self.node as i64);
                tokio::spawn(async move {
                    let now = crate::db::now();
                    let _ = db
                        .write(move |tx| {
                            crate::db::presence::refresh(tx, node, now)?;
                            Ok(crate::db::presence::expire(tx, now - PRESENCE_EXPIRY)?)
                        })
                        .await;
                });
            }
            Command::Remote(payload) => self.remote(&payload),
        }
    }

    async fn register(&mut self, who: Identity, head: i64) -> Result<Connection, AppError> {
        let head = if self.conns.is_empty() {
            // The reader has been resting: everything up to the head is the replay's.
            let now = self.db.read(events::head).await?.max(head);
            self.position = now;
            self.resume_at.store(now, std::sync::atomic::Ordering::Release);
            self.names.clear();
            now
        } else {
            head
        };
        if !self.viewers.contains_key(&who.user_id) {
            self.reload_viewer(who.user_id).await?;
        }
        let first = !self.conns.values().any(|c| c.who.user_id == who.user_id);
        let (sender, frames) = mpsc::channel(self.queue);
        let closing = Arc::new(CloseSignal::default());
        let id = self.next_id;
        self.next_id += 1;
        self.conns
            .insert(id, Conn { who, sender, closing: closing.clone(), status: "online", watching: HashSet::new() });
        self.active.store(self.conns.len(), std::sync::atomic::Ordering::Release);
        if first {
            self.announce_presence(who.user_id, "online");
        }
        Ok(Connection { id, frames, head, closing })
    }

    async fn unregister(&mut self, id: u64) {
        self.forget(id);
    }

    /// Drops a connection; the last one of a user takes their viewer and presence with it.
    fn forget(&mut self, id: u64) -> Option<Conn> {
        let conn = self.conns.remove(&id)?;
        self.active.store(self.conns.len(), std::sync::atomic::Ordering::Release);
        let user = conn.who.user_id;
        if !self.conns.values().any(|c| c.who.user_id == user) {
            self.viewers.remove(&user);
            self.announce_presence(user, "offline");
        }
        Some(conn)
    }

    async fn reload_viewer(&mut self, user_id: i64) -> Result<(), AppError> {
        let viewer = self.db.read(move |conn| events::viewer(conn, user_id)).await?;
        self.viewers.insert(user_id, viewer);
        Ok(())
    }

    async fn slug(&mut self, workspace_id: i64) -> Option<String> {
        if let Some(s) = self.slugs.get(&workspace_id) {
            return Some(s.clone());
        }
        let found = self
            .db
            .read(move |conn| Ok(crate::db::workspaces::WorkspaceRow::find(conn, workspace_id)?.slug))
            .await
            .ok()?;
        self.slugs.insert(workspace_id, found.clone());
        Some(found)
    }

    /// Brings the viewers an event concerns up to date, then sends the event to everyone who
    /// may see it, then closes what it ends. Membership counts as it is now, as in replay: a
    /// new member of a channel hears of its creation, a removed one of nothing after.
    async fn deliver(&mut self, row: EventRow) {
        let event = match Event::from_row(row) {
            Ok(Some(event)) => event,
            // A kind from a newer node: nobody is shown what this node cannot vouch for.
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "live delivery skipped an event it could not read");
                return;
            }
        };
        let scope = event.scope();
        self.refresh(&event).await;
        let receivers: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, c)| self.viewers.get(&c.who.user_id).is_some_and(|v| visible_to(&scope, v)))
            .map(|(id, _)| *id)
            .collect();
        if !receivers.is_empty() {
            if let Err(e) = self.fan_out(&event, receivers).await {
                tracing::error!(error = %e, "live delivery could not frame an event");
            }
        }
        self.close_ended(&event);
    }

    /// Frames an event once (and once more with its partial, when anyone wants HTML) and
    /// queues it for each receiver.
    async fn fan_out(&mut self, event: &Event, receivers: Vec<u64>) -> Result<(), AppError> {
        let plain: Frame = event_frame(event, None)?.into();
        let wants_html = receivers.iter().any(|id| self.conns[id].who.html);
        let slug = match (wants_html, event.workspace_id) {
            (true, Some(ws)) => self.slug(ws).await,
            _ => None,
        };
        let html: Frame = match &slug {
            Some(slug) => event_frame(event, Some(slug))?.into(),
            None => plain.clone(),
        };
        for id in receivers {
            let frame = if self.conns[&id].who.html { html.clone() } else { plain.clone() };
            self.send(id, frame);
        }
        Ok(())
    }

    /// Queues a frame; a full queue closes the connection as too slow.
    fn send(&mut self, id: u64, frame: Frame) {
        let Some(conn) = self.conns.get(&id) else { return };
        match conn.sender.try_send(frame) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.close(id, Closing::TooSlow),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.forget(id);
            }
        }
    }

    /// Sends an ephemeral frame, skipping connections whose queue is full: a missed typing
    /// indicator is not worth closing anyone for.
    fn send_ephemeral(&self, id: u64, frame: &Frame) {
        if let Some(conn) = self.conns.get(&id) {
            let _ = conn.sender.try_send(frame.clone());
        }
    }

    /// Closes a connection: its queue is dropped, and its task sends the close code.
    fn close(&mut self, id: u64, why: Closing) {
        if let Some(conn) = self.forget(id) {
            conn.closing.close(why);
        }
    }

    fn close_user(&mut self, user_id: i64, why: Closing, only: impl Fn(&Identity) -> bool) {
        let ids: Vec<u64> =
            self.conns.iter().filter(|(_, c)| c.who.user_id == user_id && only(&c.who)).map(|(id, _)| *id).collect();
        for id in ids {
            self.close(id, why);
        }
    }

    /// Reloads the viewers whose memberships an event changes.
    async fn refresh(&mut self, event: &Event) {
        match &event.data {
            EventData::ChannelMemberAdded { .. }
            | EventData::ChannelMemberRemoved { .. }
            | EventData::WorkspaceMemberAdded { .. }
            | EventData::WorkspaceMemberUpdated { .. }
            | EventData::WorkspaceMemberDeactivated { .. }
            | EventData::WorkspaceCreated { .. } => {
                if let Some(u) = event.user_id.filter(|u| self.viewers.contains_key(u)) {
                    if let Err(e) = self.reload_viewer(u).await {
                        tracing::warn!(error = %e, "could not refresh a viewer");
                    }
                }
            }
            EventData::ChannelCreated { channel } => {
                let members: Vec<i64> = match &channel.dm_members {
                    // A direct message: its people are in it from the start.
                    Some(people) => people.iter().map(|u| u.id).collect(),
                    // A channel: its creator is its first member (#general's is the owner).
                    None => vec![channel.created_by],
                };
                for u in members {
                    if let Some(v) = self.viewers.get_mut(&u) {
                        v.channels.insert(channel.id);
                    }
                }
                // Everyone but guests may browse a public channel of their workspace.
                if channel.kind == ChannelKind::Public {
                    for v in self.viewers.values_mut() {
                        if v.workspaces.get(&channel.workspace_id).is_some_and(|r| *r != Role::Guest) {
                            v.browsable_channels.insert(channel.id);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// Closes the connections an event ends (deactivation, sign-out) and notes new names.
    fn close_ended(&mut self, event: &Event) {
        match &event.data {
            EventData::UserUpdated { user } => {
                if user.deactivated {
                    self.close_user(user.id, Closing::Deactivated, |_| true);
                }
                self.names.insert(user.id, user.display_name.clone());
            }
            EventData::SessionRevoked(revocation) => {
                let Some(u) = event.user_id else { return };
                let why = if revocation.deactivated { Closing::Deactivated } else { Closing::Revoked };
                self.close_user(u, why, |who| revocation.ends(who.session_id, who.token_id));
            }
            _ => {}
        }
    }

    async fn display_name(&mut self, user_id: i64) -> String {
        if let Some(n) = self.names.get(&user_id) {
            return n.clone();
        }
        let name = self
            .db
            .read(move |conn| Ok(crate::db::users::UserRow::find(conn, user_id)?.display_name))
            .await
            .unwrap_or_default();
        self.names.insert(user_id, name.clone());
        name
    }

    async fn typing(&mut self, id: u64, channel_id: i64) {
        let Some(user_id) = self.conns.get(&id).map(|c| c.who.user_id) else { return };
        let Some(viewer) = self.viewers.get(&user_id) else { return };
        if !viewer.channels.contains(&channel_id) {
            return;
        }
        let name = self.display_name(user_id).await;
        let frame = Ephemeral::Typing { channel_id, user_id, display_name: name };
        self.publish(Target::Channel(channel_id), user_id, frame);
    }

    async fn set_presence(&mut self, id: u64, status: &'static str) {
        let Some(conn) = self.conns.get_mut(&id) else { return };
        conn.status = status;
        let user = conn.who.user_id;
        let best = self.best_status(user);
        self.announce_presence(user, best);
    }

    /// A user's status on this node: online if any connection is, else away.
    fn best_status(&self, user_id: i64) -> &'static str {
        let mut statuses = self.conns.values().filter(|c| c.who.user_id == user_id).map(|c| c.status).peekable();
        if statuses.peek().is_none() {
            return "offline";
        }
        if statuses.any(|s| s == "online") { "online" } else { "away" }
    }

    /// Records a person's status on this node, then (once the row is written) announces
    /// their status across all nodes.
    fn announce_presence(&mut self, user_id: i64, status: &'static str) {
        let generation = self.generations.get(&user_id).map_or(1, |g| g + 1);
        self.generations.insert(user_id, generation);
        let (db, node, commands) = (self.db.clone(), self.node as i64, self.commands.clone());
        tokio::spawn(async move {
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
    /// workspaces, at most `MAX_WATCHED`. Answers with the statuses known now.
    async fn watch(&mut self, id: u64, mut user_ids: Vec<i64>) {
        let Some(user_id) = self.conns.get(&id).map(|c| c.who.user_id) else { return };
        let Some(viewer) = self.viewers.get(&user_id) else { return };
        user_ids.sort_unstable();
        user_ids.dedup();
        user_ids.truncate(MAX_WATCHED);
        let workspaces: Vec<i64> = viewer.workspaces.keys().copied().collect();
        let allowed = self
            .db
            .read(move |conn| Ok(crate::db::workspaces::MemberRow::active_among(conn, &workspaces, &user_ids)?))
            .await
            .unwrap_or_default();
        let since = crate::db::now() - PRESENCE_EXPIRY;
        let watched = allowed.clone();
        let rows = self
            .db
            .read(move |conn| Ok(crate::db::presence::statuses(conn, &watched, since)?))
            .await
            .unwrap_or_default();
        let statuses: Vec<(i64, &'static str)> = allowed
            .iter()
            .map(|u| (*u, best_of(rows.iter().filter(|(r, _)| r == u).map(|(_, s)| s.as_str()))))
            .filter(|(_, s)| *s != "offline")
            .collect();
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.watching = allowed.into_iter().collect();
        }
        for (user, status) in statuses {
            let frame: Frame = Ephemeral::presence(user, status).text().into();
            self.send_ephemeral(id, &frame);
        }
    }

    /// Delivers an ephemeral frame here, and on PostgreSQL to the other nodes too.
    fn publish(&self, target: Target, from: i64, frame: Ephemeral) {
        let text: Frame = frame.text().into();
        self.deliver_ephemeral(target, from, &text);
        if self.db.backend() == Backend::Postgres {
            let relayed = Relayed { node: self.node, target, from, frame };
            let Ok(payload) = serde_json::to_string(&relayed) else { return };
            if payload.len() <= MAX_RELAYED {
                let db = self.db.clone();
                tokio::task::spawn_blocking(move || {
                    if let Ok(mut conn) = db.conn() {
                        let _ = crate::db::notify(&mut conn, EPHEMERAL_CHANNEL, &payload);
                    }
                });
            }
        }
    }

    fn deliver_ephemeral(&self, target: Target, from: i64, frame: &Frame) {
        for (id, conn) in &self.conns {
            if conn.who.user_id == from {
                continue;
            }
            let Some(v) = self.viewers.get(&conn.who.user_id) else { continue };
            let reaches = match target {
                Target::Channel(c) => v.channels.contains(&c),
                Target::WatchersOf(u) => conn.watching.contains(&u),
            };
            if reaches {
                self.send_ephemeral(*id, frame);
            }
        }
    }

    /// An ephemeral frame from another node.
    fn remote(&self, payload: &str) {
        let Ok(relayed) = serde_json::from_str::<Relayed>(payload) else { return };
        if relayed.node == self.node {
            return;
        }
        let frame: Frame = relayed.frame.text().into();
        self.deliver_ephemeral(relayed.target, relayed.from, &frame);
    }
}
