//! Outgoing mail through lettre: an SMTP relay when one is configured, otherwise `.eml`
//! files under `<data>/mail/` (the default, and what tests read).

use crate::domain::Code;
use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::AppError;

/// A message ready to send: a subject, a plain-text body and an HTML body.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    File { transport: AsyncFileTransport<Tokio1Executor>, from: Mailbox },
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
                Ok(Mailer::File { transport: AsyncFileTransport::new(dir), from })
            }
        }
    }

    /// Sends one message.
    pub async fn send(&self, mail: Mail) -> Result<(), AppError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::File { from, .. } => from.clone(),
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| AppError::invalid(Code::InvalidEmail, format!("Cannot send mail to \"{}\": {e}", mail.to)))?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| AppError::Unexpected(e.into()))?;
        let sent = match self {
            Mailer::Smtp { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Mailer::File { transport, .. } => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        sent.map_err(|e| AppError::unavailable("mail server", e))
    }
}
