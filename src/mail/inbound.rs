//! The inbound SMTP listener for replies by email (`HEARTH_INBOUND_SMTP`): the SMTP
//! conversation is `mailin`'s state machine, driven here over tokio. Only `reply+<token>@`
//! the reply domain is taken, and only with a token this server signed (anything else is
//! refused at `RCPT`, so forged addresses cost nothing and cause no mail); messages are
//! held to `HEARTH_INBOUND_MAX_SIZE`, ten recipients, and a rate of connections per client
//! address. A message is answered `250` only once its reply is posted or its refusal's
//! bounce is queued, so a relay retries whatever hearth could not take (`451`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mail_parser::MimeHeaders;
use mailin::{Action, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::app::AppState;
use crate::app::replies::{self, Attachment, Reply};
use crate::domain::replies::{ReplyTo, address_token, forged, html_to_text};
use crate::security::Keys;
use crate::workers::Workers;

/// Recipients one message may have.
const MAX_RECIPIENTS: usize = 10;
/// Connections one client address may open a minute (an MX relay in front sends them all).
const CONNECTIONS_PER_MINUTE: usize = 120;
/// Connections open at once from one client address.
const CONNECTIONS_PER_ADDRESS: usize = 16;
/// Connections open at once, from everyone.
const MAX_CONNECTIONS: usize = 64;
/// How long a client may stay silent.
const IDLE: Duration = Duration::from_secs(60);
/// How long one session may last, and how many messages it may send.
const SESSION: Duration = Duration::from_secs(600);
const MESSAGES_PER_SESSION: usize = 100;
/// The longest line taken (RFC 5321 allows 1,000 bytes; mail programs exceed it, so a good
/// margin); a longer one ends the session, so that no piece of a line is read as another.
const MAX_LINE: u64 = 64 * 1024;

/// Starts the listener on `listener` (bound by the caller, so that the port is known).
pub fn start(workers: &Workers, state: AppState, listener: std::net::TcpListener) {
    workers.spawn("inbound-smtp", move |stop| async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "the inbound SMTP listener cannot start");
                return;
            }
        };
        let gate = Arc::new(Gate::default());
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let Ok((socket, peer)) = accepted else { continue };
            let (state, gate, stop) = (state.clone(), gate.clone(), stop.clone());
            tokio::spawn(async move {
                let ip = peer.ip();
                match gate.enter(ip) {
                    Ok(_admitted) => serve(&state, socket, ip, &stop).await,
                    Err(why) => {
                        let mut socket = socket;
                        let _ = socket.write_all(format!("421 4.7.0 {why}; try again later\r\n").as_bytes()).await;
                    }
                }
            });
        }
    });
}

/// Who may connect now.
#[derive(Default)]
struct Gate {
    recent: Mutex<HashMap<IpAddr, Vec<Instant>>>,
    open: Mutex<HashMap<IpAddr, usize>>,
    total: AtomicUsize,
}

/// A connection let in; leaving (however the session ends, a panic included) frees its place.
struct Admitted {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.gate.total.fetch_sub(1, Ordering::AcqRel);
        let mut open = self.gate.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

impl Gate {
    fn enter(self: &Arc<Gate>, ip: IpAddr) -> Result<Admitted, &'static str> {
        let now = Instant::now();
        {
            let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            recent.retain(|_, times| {
                times.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
                !times.is_empty()
            });
            let times = recent.entry(ip).or_default();
            if times.len() >= CONNECTIONS_PER_MINUTE {
                return Err("too many connections from your address");
            }
            times.push(now);
        }
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = open.entry(ip).or_default();
        if *mine >= CONNECTIONS_PER_ADDRESS {
            return Err("too many connections from your address");
        }
        if self.total.load(Ordering::Acquire) >= MAX_CONNECTIONS {
            return Err("too many connections");
        }
        *mine += 1;
        self.total.fetch_add(1, Ordering::AcqRel);
        Ok(Admitted { gate: self.clone(), ip })
    }
}

/// A message received whole: the envelope's sender, the reply addresses it went to, and
/// its bytes.
struct Envelope {
    from: String,
    to: Vec<ReplyTo>,
    raw: Vec<u8>,
}

/// How a message's data ended.
enum Ended {
    /// Whole, for the connection to deliver.
    Message(Envelope),
    /// Refused with this answer. (`mailin` stays in its data state after a refusal at the
    /// end of the data, so the handler accepts and the connection answers this instead.)
    Refused(Response),
}

/// `mailin`'s handler: judges recipients, collects the data within the size limit, and
/// leaves how the message ended in `done` for the connection.
struct Receiver {
    domain: String,
    keys: Keys,
    max_size: u64,
    from: String,
    to: Vec<ReplyTo>,
    data: Vec<u8>,
    too_big: bool,
    /// Messages begun in this session.
    messages: usize,
    done: Arc<Mutex<Option<Ended>>>,
}

impl Handler for Receiver {
    fn mail(&mut self, _ip: IpAddr, _domain: &str, from: &str) -> Response {
        self.messages += 1;
        if self.messages > MESSAGES_PER_SESSION {
            return Response::custom(421, format!("4.7.0 At most {MESSAGES_PER_SESSION} messages a session"));
        }
        self.from = from.trim().to_owned();
        self.to.clear();
        self.data.clear();
        self.too_big = false;
        mailin::response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if self.to.len() >= MAX_RECIPIENTS {
            return Response::custom(452, format!("4.5.3 At most {MAX_RECIPIENTS} recipients a message"));
        }
        let Some(token) = address_token(to, &self.domain) else {
            return Response::custom(550, format!("5.1.1 No such mailbox: replies go to reply+...@{}", self.domain));
        };
        let Some(reply_to) = replies::read_token(&self.keys, token) else {
            return Response::custom(
                550,
                "5.1.1 This reply address is not valid: it was changed or made up".to_owned(),
            );
        };
        self.to.push(reply_to);
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.too_big || (self.data.len() + buf.len()) as u64 > self.max_size {
            self.too_big = true;
            self.data = Vec::new();
        } else {
            self.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let ended = if self.too_big {
            self.too_big = false;
            self.to.clear();
            Ended::Refused(Response::custom(
                552,
                format!("5.3.4 The message is too big: at most {} bytes", self.max_size),
            ))
        } else {
            Ended::Message(Envelope {
                from: self.from.clone(),
                to: std::mem::take(&mut self.to),
                raw: std::mem::take(&mut self.data),
            })
        };
        *self.done.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ended);
        mailin::response::OK
    }
}

/// One SMTP session.
async fn serve(state: &AppState, socket: TcpStream, ip: IpAddr, stop: &CancellationToken) {
    let Some(domain) = state.settings.mail.reply_domain.clone() else { return };
    let done = Arc::new(Mutex::new(None));
    let receiver = Receiver {
        domain: domain.clone(),
        keys: state.keys.clone(),
        max_size: state.settings.mail.inbound_max_size,
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
        too_big: false,
        messages: 0,
        done: done.clone(),
    };
    let mut session = SessionBuilder::new(domain).build(ip, receiver);
    let (read, mut write) = socket.into_split();
    let mut reader = BufReader::new(read);
    if write_response(&mut write, &session.greeting()).await.is_err() {
        return;
    }
    let mut line = Vec::new();
    let ends = tokio::time::Instant::now() + SESSION;
    loop {
        line.clear();
        let mut limited = (&mut reader).take(MAX_LINE);
        let read = tokio::select! {
            () = stop.cancelled() => {
                let _ = write.write_all(b"421 4.3.2 Shutting down; try again later\r\n").await;
                return;
            }
            () = tokio::time::sleep_until(ends) => {
                let _ = write.write_all(b"421 4.4.2 This session has lasted long enough; go on in another\r\n").await;
                return;
            }
            read = tokio::time::timeout(IDLE, limited.read_until(b'\n', &mut line)) => read,
        };
        match read {
            Ok(Ok(n)) if n > 0 => {}
            _ => return,
        }
        // Lines end with CRLF; a bare LF is part of a line (so `\n.\n` never ends the data).
        if !line.ends_with(b"\n") {
            let _ = write.write_all(b"500 5.5.2 Line too long\r\n").await;
            return;
        }
        let mut response = session.process(&line);
        let ended = done.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        match ended {
            Some(Ended::Message(envelope)) => {
                if let Err(e) = deliver(state, envelope).await {
                    tracing::warn!(error = %e, "a reply by email could not be taken now");
                    response =
                        Response::custom(451, "4.3.0 The message could not be taken now; try again later".to_owned());
                }
            }
            Some(Ended::Refused(refusal)) => response = refusal,
            None => {}
        }
        match response.action {
            Action::NoReply => {}
            Action::Close => {
                let _ = write_response(&mut write, &response).await;
                return;
            }
            Action::Reply | Action::UpgradeTls => {
                if write_response(&mut write, &response).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn write_response(write: &mut tokio::net::tcp::OwnedWriteHalf, response: &Response) -> std::io::Result<()> {
    write.write_all(&response.buffer()?).await
}

/// Posts (or refuses) a received message for each reply address it went to.
async fn deliver(state: &AppState, envelope: Envelope) -> Result<(), crate::error::AppError> {
    let reply = read(&envelope.raw, &envelope.from);
    for to in envelope.to {
        let outcome = replies::receive(state, to, &reply).await?;
        tracing::info!(user = to.user_id, channel = to.channel_id, ?outcome, "a reply by email");
    }
    Ok(())
}

/// What hearth reads of a message: its sender, ids, the relay's verdicts, and its text
/// (the plain-text part, else the HTML one read as text).
fn read(raw: &[u8], envelope_from: &str) -> Reply {
    let Some(message) = mail_parser::MessageParser::default().parse(raw) else {
        return Reply { automatic: envelope_from.is_empty(), ..Reply::default() };
    };
    let from = message.from().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().trim().to_owned();
    let texts = |name: &str| -> Vec<String> {
        message.header_values(name).filter_map(|v| v.as_text().map(str::to_owned)).collect()
    };
    // The relay that handed the mail over put its verdicts on top.
    let results = texts("Authentication-Results").into_iter().next();
    let spf = texts("Received-SPF").into_iter().next();
    let auto_submitted = texts("Auto-Submitted");
    let precedence = texts("Precedence");
    let sender = envelope_from.trim_matches(['<', '>']).to_ascii_lowercase();
    let automatic = sender.is_empty()
        || sender.starts_with("mailer-daemon@")
        || sender.starts_with("postmaster@")
        || auto_submitted.iter().any(|v| !v.trim().eq_ignore_ascii_case("no"))
        || precedence.iter().any(|v| ["bulk", "junk", "list"].contains(&v.trim().to_ascii_lowercase().as_str()));
    let html = message.html_part(0).and_then(|p| p.text_contents()).unwrap_or_default().to_ascii_lowercase();
    let attachments = message
        .attachments()
        .filter(|part| !part.is_message())
        // A picture the HTML shows inline (a signature's logo) is not an attachment.
        .filter(|part| part.content_id().is_none_or(|id| !html.contains(&format!("cid:{}", id.to_ascii_lowercase()))))
        .map(|part| Attachment {
            name: part.attachment_name().unwrap_or("attachment").to_owned(),
            bytes: part.contents().to_vec(),
        })
        .collect();
    let text = match message.text_part(0) {
        Some(part) if part.is_text_html() => html_to_text(part.text_contents().unwrap_or_default()),
        Some(part) => part.text_contents().unwrap_or_default().to_owned(),
        None => String::new(),
    };
    Reply {
        from,
        message_id: message.message_id().map(str::to_owned),
        subject: message.subject().unwrap_or_default().to_owned(),
        text,
        forged: forged(results.as_deref(), spf.as_deref()),
        automatic,
        attachments,
    }
}
