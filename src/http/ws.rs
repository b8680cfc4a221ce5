//! `GET /api/v1/ws`: the WebSocket gateway. This module owns the sockets; the hub owns
//! who receives what. A connection registers with the hub first (so live frames after the
//! hub's position are buffered), sends `hello`, replays what the client missed from the
//! log up to that position, then forwards live frames.

use crate::domain::Code;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{CloseCode, CloseReason, Item, Message, MessageStream, Session};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::error::AppError;
use crate::http::auth;
use crate::realtime::{self, Closing, Connection, Hub, Identity};
use crate::workers::GoingAway;

/// How often the server pings.
const HEARTBEAT: Duration = Duration::from_secs(20);
/// Silence after which a connection is dead.
const DEAD_AFTER: Duration = Duration::from_secs(60);
/// Client frames (typing, presence, ping) accepted per second; more are ignored.
const CLIENT_FRAMES_PER_SECOND: u32 = 10;

/// Frames refused in a row (over the person's limit) before the connection is closed, 4029.
const REFUSALS_BEFORE_CLOSING: u32 = 20;
/// How long a close frame may wait behind frames a slow client has not read.
const CLOSE_GRACE: Duration = Duration::from_secs(60);
/// Frames longer than this go out as continuation parts that share the frame's one buffer:
/// the socket's outbound channel (32 messages in actix-ws) then holds parts of a frame or
/// two, never 32 whole frames of up to a megabyte each.
const PART_BYTES: usize = 16 * 1024;

#[derive(Deserialize)]
pub struct WsQuery {
    /// The last `seq` the client has; everything it may see after it is replayed.
    since: Option<i64>,
    /// Message events also carry the rendered partial (`html`).
    html: Option<String>,
}

/// Opens a live connection.
#[get("/api/v1/ws")]
pub async fn connect(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    hub: web::Data<Hub>,
    going_away: web::Data<GoingAway>,
    query: web::Query<WsQuery>,
) -> Result<HttpResponse, AppError> {
    if req.headers().get(header::AUTHORIZATION).is_none() && req.cookie(auth::SESSION_COOKIE).is_some() {
        // A browser's upgrade must come from one of this server's pages.
        let origin = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if origin != Some(state.public_url.as_str()) {
            return Err(AppError::forbidden(
                Code::OriginNotAllowed,
                "Live connections with the session cookie must come from this server's pages.",
            ));
        }
    }
    let authed = auth::authenticate(&req)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Sign in, or send \"Authorization: Bearer <token>\"."))?;
    if query.since.is_some_and(|s| s < 0) {
        return Err(AppError::malformed(Code::InvalidQuery, "since must be 0 or a seq the server sent."));
    }
    let html = matches!(query.html.as_deref(), Some("1" | "true"));
    let actor = &authed.actor;
    let who = Identity { user_id: actor.id(), session_id: actor.session_id(), token_id: actor.token_id(), html };
    let slot = state.limits.connect(actor.id()).ok_or_else(|| {
        AppError::rate_limited(
            5,
            format!(
                "You have {} live connections open, the most allowed; close one first.",
                state.settings.limits.ws_per_user
            ),
        )
    })?;
    let connection = hub.register(who).await?;
    let (response, session, stream) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => {
            hub.unregister(connection.id);
            return Err(AppError::malformed(Code::WebsocketRequired, format!("This route speaks WebSocket: {e}")));
        }
    };
    let (hub, going_away) = (hub.get_ref().clone(), going_away.get_ref().clone());
    actix_web::rt::spawn(async move {
        // The connection counts against its person's limit for as long as it lives.
        let _slot = slot;
        serve(state.into_inner(), hub, going_away, connection, session, stream, who, query.since).await;
    });
    Ok(response)
}

fn close_reason(why: Closing) -> CloseReason {
    let code = match why {
        Closing::GoingAway => CloseCode::Away,
        other => CloseCode::Other(other.code()),
    };
    CloseReason { code, description: Some(why.reason().into()) }
}

#[expect(clippy::too_many_arguments, reason = "one connection's parts, handed over once")]
async fn serve(
    state: Arc<AppState>,
    hub: Hub,
    going_away: GoingAway,
    mut conn: Connection,
    mut session: Session,
    mut stream: MessageStream,
    who: Identity,
    since: Option<i64>,
) {
    let id = conn.id;
    let outcome = tokio::select! {
        biased;
        // Shutting down: the socket closes with 1001, whatever it was doing.
        () = going_away.fired() => Ok(Some(Closing::GoingAway)),
        outcome = run(&state, &hub, &mut conn, &mut session, &mut stream, who, since) => outcome,
    };
    hub.unregister(id);
    let reason = match outcome {
        Ok(None) => None,
        Ok(Some(why)) => Some(close_reason(why)),
        Err(()) => return,
    };
    if let Some(r) = &reason {
        if r.code == CloseCode::Other(Closing::Resync.code()) {
            let _ = session.text(json!({ "type": "resync" }).to_string()).await;
        }
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, session.close(reason)).await;
}

/// Runs a connection until it ends: `Ok(Some(why))` when the server closes it with a code,
/// `Ok(None)` when the client left, `Err` when the socket failed.
async fn run(
    state: &AppState,
    hub: &Hub,
    conn: &mut Connection,
    session: &mut Session,
    stream: &mut MessageStream,
    who: Identity,
    since: Option<i64>,
) -> Result<Option<Closing>, ()> {
    let hello = json!({ "type": "hello", "seq": conn.head });
    session.text(hello.to_string()).await.map_err(|_| ())?;
    if let Some(since) = since {
        let (user, head, html) = (who.user_id, conn.head, who.html);
        let viewer = match state.db.read(move |c| realtime::replay_viewer(c, user, since, head)).await {
            Ok(viewer) => std::sync::Arc::new(viewer),
            Err(AppError::Gone(_)) => return Ok(Some(Closing::Resync)),
            Err(e) => {
                tracing::warn!(error = %e, "replay failed");
                return Err(());
            }
        };
        // A batch at a time, each sent before the next is read: a long replay never sits
        // in memory whole.
        let mut cursor = since;
        while cursor < head {
            let v = viewer.clone();
            let batch = state.db.read(move |c| realtime::replay_batch(c, &v, cursor, head, html)).await;
            let (frames, next) = match batch {
                Ok(found) => found,
                Err(AppError::Gone(_)) => return Ok(Some(Closing::Resync)),
                Err(e) => {
                    tracing::warn!(error = %e, "replay failed");
                    return Err(());
                }
            };
            for frame in frames {
                send(session, frame).await?;
            }
            if next <= cursor {
                break;
            }
            cursor = next;
        }
    }
    let signal = conn.closing.clone();
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    let mut last_heard = Instant::now();
    // Client frames are cheap to send and fan out to many: at most this many a second.
    let mut window = (Instant::now(), 0u32);
    let mut refused = 0u32;
    loop {
        tokio::select! {
            biased;
            why = signal.closed() => return Ok(Some(why)),
            frame = conn.frames.recv() => match frame {
                Some(frame) => {
                    tokio::select! {
                        biased;
                        why = signal.closed() => return Ok(Some(why)),
                        sent = send(session, frame) => sent?,
                    }
                }
                None => return Ok(Some(signal.closed().await)),
            },
            message = stream.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    last_heard = Instant::now();
                    if window.0.elapsed() >= Duration::from_secs(1) {
                        window = (Instant::now(), 0);
                    }
                    window.1 += 1;
                    if window.1 > CLIENT_FRAMES_PER_SECOND {
                        continue;
                    }
                    // Across all of the person's connections, too: past the limit each
                    // frame is answered with an error; a client that goes on is closed.
                    if !state.limits.frame(who.user_id) {
                        refused += 1;
                        if refused > REFUSALS_BEFORE_CLOSING {
                            return Ok(Some(Closing::TooManyFrames));
                        }
                        let error = json!({ "type": "error", "error": "rate_limited", "message": "Too many frames; slow down." });
                        session.text(error.to_string()).await.map_err(|_| ())?;
                        continue;
                    }
                    refused = 0;
                    if let Some(reply) = client_frame(hub, conn.id, &text) {
                        session.text(reply).await.map_err(|_| ())?;
                    }
                }
                Some(Ok(Message::Ping(bytes))) => {
                    last_heard = Instant::now();
                    session.pong(&bytes).await.map_err(|_| ())?;
                }
                Some(Ok(Message::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(None),
                Some(Ok(_)) => last_heard = Instant::now(),
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > DEAD_AFTER {
                    return Ok(None);
                }
                session.ping(b"").await.map_err(|_| ())?;
            }
        }
    }
}

/// A frame's text as bytes, without copying it.
struct TextBytes<T>(T);

impl<T: AsRef<str>> AsRef<[u8]> for TextBytes<T> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref().as_bytes()
    }
}

/// Sends one text frame: whole when short, else as continuation parts sliced from one shared
/// buffer (clients see one message either way).
async fn send<T>(session: &mut Session, frame: T) -> Result<(), ()>
where
    T: AsRef<str> + Send + 'static,
{
    let text = frame.as_ref();
    if text.len() <= PART_BYTES {
        return session.text(text.to_owned()).await.map_err(|_| ());
    }
    let bytes = Bytes::from_owner(TextBytes(frame));
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + PART_BYTES).min(bytes.len());
        let part = bytes.slice(start..end);
        let item = match (start, end == bytes.len()) {
            (0, _) => Item::FirstText(part),
            (_, true) => Item::Last(part),
            _ => Item::Continue(part),
        };
        session.continuation(item).await.map_err(|_| ())?;
        start = end;
    }
    Ok(())
}

/// Handles a frame from the client; returns a reply to send, if any.
fn client_frame(hub: &Hub, id: u64, text: &str) -> Option<String> {
    let frame: Value = serde_json::from_str(text).ok()?;
    match frame["type"].as_str()? {
        "ping" => Some(json!({ "type": "pong" }).to_string()),
        "typing" => {
            hub.typing(id, frame["channel_id"].as_i64()?);
            None
        }
        "presence_sub" => {
            let ids = frame["user_ids"].as_array()?.iter().filter_map(Value::as_i64).collect();
            hub.watch(id, ids);
            None
        }
        "presence" => {
            let status = match frame["status"].as_str()? {
                "away" => "away",
                _ => "online",
            };
            hub.presence(id, status);
            None
        }
        _ => Some(
            json!({ "type": "error", "error": "unknown_frame", "message": "Send ping, typing, presence or presence_sub frames." })
                .to_string(),
        ),
    }
}
