//! The mail hearth sends, each as a plain-text and an HTML body.

use askama::Template;
use chrono::Duration;

use crate::mail::Mail;

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
struct InvitationText<'a> {
    inviter: &'a str,
    workspace: &'a str,
    link: &'a str,
    days: i64,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    inviter: &'a str,
    workspace: &'a str,
    link: &'a str,
    days: i64,
}

/// "Alice invited you to Acme". The recipient is filled in by the caller.
pub fn invitation(inviter: &str, workspace: &str, link: &str, lifetime: Duration) -> Mail {
    let days = lifetime.num_days();
    Mail {
        to: String::new(),
        subject: format!("{inviter} invited you to {workspace} on hearth"),
        text: render(InvitationText { inviter, workspace, link, days }),
        html: render(InvitationHtml { inviter, workspace, link, days }),
        ..Mail::default()
    }
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct ResetText<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

/// The single-use password-reset link.
pub fn password_reset(name: &str, link: &str, lifetime: Duration) -> Mail {
    let minutes = lifetime.num_minutes();
    Mail {
        to: String::new(),
        subject: "Reset your hearth password".into(),
        text: render(ResetText { name, link, minutes }),
        html: render(ResetHtml { name, link, minutes }),
        ..Mail::default()
    }
}

#[derive(Template)]
#[template(path = "emails/verify_email.txt")]
struct VerifyText<'a> {
    name: &'a str,
    workspaces: &'a str,
    link: &'a str,
    hours: i64,
}

#[derive(Template)]
#[template(path = "emails/verify_email.html")]
struct VerifyHtml<'a> {
    name: &'a str,
    workspaces: &'a str,
    link: &'a str,
    hours: i64,
}

/// "Confirm your address": a sign-up through an open email domain.
pub fn verify_email(name: &str, workspaces: &str, link: &str, lifetime: Duration) -> Mail {
    let hours = lifetime.num_hours();
    Mail {
        to: String::new(),
        subject: "Confirm your address on hearth".into(),
        text: render(VerifyText { name, workspaces, link, hours }),
        html: render(VerifyHtml { name, workspaces, link, hours }),
        ..Mail::default()
    }
}

#[derive(Template)]
#[template(path = "emails/no_account.txt")]
struct NoAccountText<'a> {
    address: &'a str,
    signup: &'a str,
}

#[derive(Template)]
#[template(path = "emails/no_account.html")]
struct NoAccountHtml<'a> {
    address: &'a str,
    signup: &'a str,
}

/// "Someone asked to reset a password, but this address has no account": what a reset
/// request for an address without an account sends, so that requests cannot tell them
/// apart.
pub fn no_account(address: &str, signup: &str) -> Mail {
    Mail {
        to: String::new(),
        subject: "No hearth account at this address".into(),
        text: render(NoAccountText { address, signup }),
        html: render(NoAccountHtml { address, signup }),
        ..Mail::default()
    }
}

/// One conversation of a notification mail: a channel, a direct conversation or a thread.
#[derive(Debug, Clone)]
pub struct Missed {
    /// `#ops`, `Direct message from Alice`, `Thread in #ops`.
    pub heading: String,
    pub link: String,
    /// The address to answer it at by email, when replies by email are on.
    pub reply_to: Option<String>,
    pub messages: Vec<MissedMessage>,
}

/// One message of a notification mail, its text as written (escaped in the HTML body).
#[derive(Debug, Clone)]
pub struct MissedMessage {
    pub author: String,
    pub time: String,
    pub text: String,
    pub link: String,
}

/// What goes around the conversations of a notification mail.
pub struct Notice<'a> {
    pub subject: String,
    pub name: &'a str,
    pub workspace: &'a str,
    pub settings_link: &'a str,
    pub unsubscribe_link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notification.txt")]
struct NotificationText<'a> {
    name: &'a str,
    workspace: &'a str,
    conversations: &'a [Missed],
    settings_link: &'a str,
    unsubscribe_link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/notification.html")]
struct NotificationHtml<'a> {
    subject: &'a str,
    name: &'a str,
    workspace: &'a str,
    conversations: &'a [Missed],
    settings_link: &'a str,
    unsubscribe_link: &'a str,
}

/// What someone missed, grouped by conversation ("Alice mentioned you in #ops"). The
/// recipient and headers are filled in by the caller.
pub fn notification(notice: Notice<'_>, conversations: &[Missed]) -> Mail {
    let Notice { subject, name, workspace, settings_link, unsubscribe_link } = notice;
    Mail {
        text: render(NotificationText { name, workspace, conversations, settings_link, unsubscribe_link }),
        html: render(NotificationHtml {
            subject: &subject,
            name,
            workspace,
            conversations,
            settings_link,
            unsubscribe_link,
        }),
        subject,
        ..Mail::default()
    }
}

#[derive(Template)]
#[template(path = "emails/bounce.txt")]
struct BounceText<'a> {
    subject: &'a str,
    summary: &'a str,
    advice: &'a str,
}

#[derive(Template)]
#[template(path = "emails/bounce.html")]
struct BounceHtml<'a> {
    subject: &'a str,
    summary: &'a str,
    advice: &'a str,
}

/// "Your reply was not posted": why, and what to do instead. The recipient and headers are
/// filled in by the caller.
pub fn bounce(replied_to: &str, why: crate::domain::replies::Refusal) -> Mail {
    let subject: String =
        replied_to.trim().trim_start_matches("Re: ").trim_start_matches("RE: ").chars().take(200).collect();
    let (summary, advice) = (why.summary(), why.advice());
    Mail {
        subject: format!("Your reply was not posted: {summary}"),
        text: render(BounceText { subject: &subject, summary, advice }),
        html: render(BounceHtml { subject: &subject, summary, advice }),
        ..Mail::default()
    }
}

fn render(t: impl Template) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "mail template failed");
        String::new()
    })
}
