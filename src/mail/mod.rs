//! Outgoing mail through lettre: an SMTP relay when one is configured, otherwise `.eml`
//! files under `<data>/mail/` (the default, and what tests read). Mail is sent by the job
//! worker, never inside a request (`jobs::Job::Mail`).

pub mod inbound;

use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

/// A message ready to send: a subject, a plain-text body and an HTML body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Headers beyond the usual ones (stored jobs of older builds have none).
    #[serde(default)]
    pub headers: Headers,
}

/// The headers some mail carries: its own id, the conversation it belongs to (so that mail
/// clients thread notifications of one conversation), where replies go, and how to stop it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headers {
    /// `<…@…>`; made up when sending if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The `<…@…>` id of the conversation, sent as `In-Reply-To` and `References`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// The one-click unsubscribe URL (RFC 8058): `List-Unsubscribe` with
    /// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
    /// An automatic reply (`Auto-Submitted: auto-replied`, RFC 3834): mail systems do not
    /// answer it, so that two of them never reply to each other for ever.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
}

/// A header lettre has no type for.
#[derive(Clone)]
struct Raw<const N: usize>(String);

/// The names of the headers sent through `Raw`.
const RAW_NAMES: [&str; 3] = ["List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted"];

impl<const N: usize> lettre::message::header::Header for Raw<N> {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str(RAW_NAMES[N])
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Raw(s.to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// It can never be sent as it is: a malformed address, or the relay refused it for good
    /// (an SMTP 5xx reply).
    #[error("{0}")]
    Rejected(String),
    /// The relay or the mail directory could not take it now; trying later may work.
    #[error("{0}")]
    Unavailable(String),
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    File { dir: PathBuf, from: Mailbox },
}

impl Mailer {
    /// Builds the mailer from `HEARTH_SMTP_URL` (`smtp://`, `smtps://`), or the file
    /// transport in `dir`.
    pub fn new(smtp_url: Option<&str>, dir: PathBuf, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from.parse().map_err(|e| anyhow::anyhow!("HEARTH_MAIL_FROM \"{from}\": {e}"))?;
        match smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("HEARTH_SMTP_URL is not a valid SMTP URL: {e}"))?
                    .build();
                Ok(Mailer::Smtp { transport, from })
            }
            None => {
                std::fs::create_dir_all(&dir)?;
                Ok(Mailer::File { dir, from })
            }
        }
    }

    /// Sends one message.
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::File { from, .. } => from.clone(),
        };
        let to: Mailbox =
            mail.to.parse().map_err(|e| MailError::Rejected(format!("cannot send mail to \"{}\": {e}", mail.to)))?;
        let mut builder = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject.clone())
            // `<uuid@host>` unless given: mail clients tell messages apart by it.
            .message_id(mail.headers.message_id.clone());
        if let Some(thread) = &mail.headers.thread {
            builder = builder.in_reply_to(thread.clone()).references(thread.clone());
        }
        if let Some(reply_to) = &mail.headers.reply_to {
            let reply_to: Mailbox =
                reply_to.parse().map_err(|e| MailError::Rejected(format!("bad reply address \"{reply_to}\": {e}")))?;
            builder = builder.reply_to(reply_to);
        }
        if let Some(url) = &mail.headers.unsubscribe {
            builder =
                builder.header(Raw::<0>(format!("<{url}>"))).header(Raw::<1>("List-Unsubscribe=One-Click".to_owned()));
        }
        if mail.headers.automatic {
            builder = builder.header(Raw::<2>("auto-replied".to_owned()));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
            .map_err(|e| MailError::Rejected(format!("cannot build the message: {e}")))?;
        match self {
            Mailer::Smtp { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    MailError::Rejected(format!("the relay refused the message: {e}"))
                } else {
                    MailError::Unavailable(format!("the relay is unavailable: {e}"))
                }
            }),
            Mailer::File { dir, .. } => write_file(dir.clone(), message.formatted()).await,
        }
    }
}

/// Writes a message as `<time>-<uuid>.eml`, whole or not at all: written under a temporary
/// name, flushed, then renamed, so that whoever reads the directory (an operator, a test)
/// never sees half a message. The time first lists the files in the order they were sent.
async fn write_file(dir: PathBuf, bytes: Vec<u8>) -> Result<(), MailError> {
    let name = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"), uuid::Uuid::new_v4());
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        let partial = dir.join(format!(".{name}.partial"));
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&partial, dir.join(format!("{name}.eml")))
    })
    .await;
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(MailError::Unavailable(format!("cannot write to the mail directory: {e}"))),
        Err(e) => Err(MailError::Unavailable(format!("writing the mail file failed: {e}"))),
    }
}
