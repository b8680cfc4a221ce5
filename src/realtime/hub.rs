//! The hub: the handle, the commands it sends, and the one task that owns every connection.
//! The task takes commands and batches of the event log (read by its reader task) in turn;
//! this file holds registering and forgetting connections, delivering and fanning out each
//! event, and closing connections. Viewers, presence and ephemeral frames are in siblings.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::ephemeral::{Ephemeral, Target};
use super::{CloseSignal, Closing, Connection, Frame, Identity, ephemeral, event_frame, presence};
use crate::db::Db;
use crate::db::events::EventRow;
use crate::domain::events::{Viewer, visible_to};
use crate::error::AppError;
use crate::events::{self, Event, EventData, Follower};
use crate::workers::Workers;

pub(super) enum Command {
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
    /// A frame for one person's connections, on every node.
    ToPerson {
        user_id: i64,
        frame: Ephemeral,
    },
    /// Whom a connection may watch, and their statuses now, read off the hub's task.
    Watched {
        id: u64,
        generation: u64,
        allowed: Vec<i64>,
        statuses: Vec<(i64, &'static str)>,
    },
}

/// What clients ask of the hub (typing, presence, whom to watch). These go through a bounded
/// queue: when it is full they are dropped, as ephemeral things may be, and the hub is never
/// buried under them; registrations and the hub's own work use the other queue.
const CLIENT_QUEUE: usize = 4096;

/// The handle to this node's hub.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::UnboundedSender<Command>,
    client: mpsc::Sender<Command>,
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
        let (client, client_receiver) = mpsc::channel(CLIENT_QUEUE);
        let remote_tx = ephemeral::forward_remote(workers, commands.clone());
        let follower = Follower::new(&db, head);
        let node = rand::random::<u64>();
        presence::spawn_ticker(workers, commands.clone());
        let state = State::new(db, queue, node, head, commands.clone(), workers.clone());
        let (batches_tx, batches) = mpsc::channel::<Vec<EventRow>>(4);
        let (active, resume_at) = (state.active.clone(), state.resume_at.clone());
        workers.spawn("hub-reader", |stop| async move {
            stop.run_until_cancelled(read(follower, active, resume_at, batches_tx)).await;
        });
        workers.spawn("hub", |stop| run(state, receiver, client_receiver, batches, stop));
        Ok((Hub { commands, client }, remote_tx))
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
        let _ = self.client.try_send(Command::Typing { id, channel_id });
    }

    /// A connection wants presence updates of these people (those who share a workspace
    /// with it); presence goes only to watchers, so a big workspace costs no more than the
    /// sidebars that show it.
    pub fn watch(&self, id: u64, user_ids: Vec<i64>) {
        let _ = self.client.try_send(Command::Watch { id, user_ids });
    }

    /// Messages for one person alone (commands' answers): to their live connections here
    /// and, on PostgreSQL, on the other nodes.
    pub fn ephemeral(&self, user_id: i64, messages: &[crate::wire::EphemeralMessage]) {
        for message in messages {
            let frame = Ephemeral::Message { message: message.clone() };
            let _ = self.commands.send(Command::ToPerson { user_id, frame });
        }
    }

    /// Someone set their presence: `online` or `away`.
    pub fn presence(&self, id: u64, status: &'static str) {
        let _ = self.client.try_send(Command::Presence { id, status });
    }
}

pub(super) struct Conn {
    pub(super) who: Identity,
    pub(super) sender: mpsc::Sender<Frame>,
    closing: Arc<CloseSignal>,
    pub(super) status: &'static str,
    pub(super) watching: HashSet<i64>,
    /// Counts `presence_sub` requests, so that a late answer to an older one is dropped.
    pub(super) watch_generation: u64,
}

pub(super) struct State {
    pub(super) db: Db,
    /// Where the hub's short writes run, so that a stop waits for them.
    pub(super) workers: Workers,
    /// The last event delivered: a connection registered now gets every later one.
    position: i64,
    queue: usize,
    pub(super) node: u64,
    next_id: u64,
    pub(super) conns: HashMap<u64, Conn>,
    /// Each connected user's connections: an event is judged once per user, not once per
    /// connection, and one only its user may see goes straight to theirs.
    pub(super) by_user: HashMap<i64, Vec<u64>>,
    /// For the channels events have been delivered in: the connected users who are members,
    /// kept current as viewers change, so that a channel's event costs its audience only.
    pub(super) audiences: HashMap<i64, HashSet<i64>>,
    /// The visibility context of every connected user, kept current as memberships change.
    pub(super) viewers: HashMap<i64, Viewer>,
    pub(super) slugs: HashMap<i64, String>,
    pub(super) names: HashMap<i64, String>,
    /// The last status announced for each user from this node (unchanged ones are not
    /// sent again).
    pub(super) announced: HashMap<i64, &'static str>,
    /// Each user's latest presence change, so that a late answer for an older one is dropped.
    pub(super) generations: HashMap<i64, u64>,
    /// How many connections there are, for the reader (which rests when there are none).
    active: Arc<std::sync::atomic::AtomicUsize>,
    /// Where the reader resumes after resting (0: carry on).
    resume_at: Arc<std::sync::atomic::AtomicI64>,
    pub(super) commands: mpsc::UnboundedSender<Command>,
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
    mut client: mpsc::Receiver<Command>,
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
            Some(c) = client.recv() => state.handle(c).await,
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
    fn new(
        db: Db,
        queue: usize,
        node: u64,
        position: i64,
        commands: mpsc::UnboundedSender<Command>,
        workers: Workers,
    ) -> State {
        State {
            workers,
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
            by_user: HashMap::new(),
            audiences: HashMap::new(),
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
            Command::Resolved { user_id, generation, status } => self.resolved(user_id, generation, status),
            Command::RefreshPresence => self.refresh_presence(),
            Command::Remote(payload) => self.remote(&payload),
            Command::ToPerson { user_id, frame } => self.publish(Target::Person(user_id), user_id, frame),
            Command::Watched { id, generation, allowed, statuses } => self.watched(id, generation, allowed, statuses),
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
        let first = !self.by_user.contains_key(&who.user_id);
        let (sender, frames) = mpsc::channel(self.queue);
        let closing = Arc::new(CloseSignal::default());
        let id = self.next_id;
        self.next_id += 1;
        self.conns.insert(
            id,
            Conn {
                who,
                sender,
                closing: closing.clone(),
                status: "online",
                watching: HashSet::new(),
                watch_generation: 0,
            },
        );
        self.by_user.entry(who.user_id).or_default().push(id);
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
        let last = self.by_user.get_mut(&user).is_none_or(|ids| {
            ids.retain(|other| *other != id);
            ids.is_empty()
        });
        if last {
            self.by_user.remove(&user);
            self.set_viewer(user, None);
            self.announce_presence(user, "offline");
        }
        Some(conn)
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
        // An event only its user may see (a read marker, a revoked session) goes to theirs;
        // one in a channel to its members who are connected (and the person it is about);
        // any other is judged once per connected user. The rule is asked of each either way.
        let candidates: Vec<i64> = match (scope.kind.is_private(), scope.kind.is_channel_directory(), scope.channel_id)
        {
            (true, _, _) => scope.user_id.into_iter().collect(),
            (false, false, Some(channel)) => {
                let mut users: Vec<i64> = self.audience(channel).iter().copied().collect();
                users.extend(scope.user_id.filter(|u| !users.contains(u)));
                users
            }
            _ => self.by_user.keys().copied().collect(),
        };
        let receivers: Vec<u64> = candidates
            .into_iter()
            .filter(|user| self.viewers.get(user).is_some_and(|v| visible_to(&scope, v)))
            .flat_map(|user| self.user_conns(user).to_vec())
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

    /// Closes a connection: its queue is dropped, and its task sends the close code.
    fn close(&mut self, id: u64, why: Closing) {
        if let Some(conn) = self.forget(id) {
            conn.closing.close(why);
        }
    }

    /// A user's connections on this node.
    pub(super) fn user_conns(&self, user_id: i64) -> &[u64] {
        self.by_user.get(&user_id).map_or(&[], Vec::as_slice)
    }

    fn close_user(&mut self, user_id: i64, why: Closing, only: impl Fn(&Identity) -> bool) {
        let ids: Vec<u64> = self
            .user_conns(user_id)
            .iter()
            .copied()
            .filter(|id| self.conns.get(id).is_some_and(|c| only(&c.who)))
            .collect();
        for id in ids {
            self.close(id, why);
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
}
