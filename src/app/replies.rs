//! Replies by email: the reply address a notification carries (`reply+<token>@<domain>`,
//! signed, bound to the person and the conversation, 30 days), and what becomes of a reply
//! the inbound listener receives: posted as that person through the message use case, or
//! refused with a bounce-style reply saying why.

use super::{Actor, AppState, Credential, access, files, messages};
use crate::db::messages::MessageRow;
use crate::db::users::UserRow;
use crate::domain::Code;
use crate::domain::replies::{Refusal, ReplyTo, own_words};
use crate::error::AppError;
use crate::jobs::{self, Job};
use crate::mail::Headers;
use crate::security::Keys;

/// How long a reply address works, in days.
pub const REPLY_ADDRESS_DAYS: i64 = 30;

/// Today, as days since 1970-01-01 (UTC).
fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(86_400)
}

/// The reply address of a person's notification about a conversation: its thread when
/// `thread_root_id` is set, else the channel.
pub fn reply_address(keys: &Keys, domain: &str, user_id: i64, channel_id: i64, thread_root_id: Option<i64>) -> String {
    let to = ReplyTo { user_id, channel_id, thread_root_id, until_day: today() + REPLY_ADDRESS_DAYS };
    format!("reply+{}@{domain}", to.token(|p| keys.reply_address_mac(p)))
}

/// A reply address's token read back, if this server signed it (expired or not).
pub fn read_token(keys: &Keys, token: &str) -> Option<ReplyTo> {
    ReplyTo::parse(token, |p| keys.reply_address_mac(p))
}

/// A reply as the listener received it.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    /// The `From` header's address.
    pub from: String,
    pub message_id: Option<String>,
    pub subject: String,
    /// The text the person wrote, quoted text and HTML already dealt with by the listener
    /// (`domain::replies::html_to_text`); cut to their own words here.
    pub text: String,
    /// The receiving relay found the sender's address forged.
    pub forged: bool,
    /// An automatic message (an out-of-office, a bounce, a list): never answered.
    pub automatic: bool,
    /// Its attachments (not pictures shown inline in its HTML), shared as files.
    pub attachments: Vec<Attachment>,
}

/// A file attached to a reply.
#[derive(Debug, Clone, Default)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What became of a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Posted, as this message.
    Posted(i64),
    /// Refused; the sender was told why unless the mail was automatic.
    Refused(Refusal),
}

/// Posts a reply sent to a reply address, or refuses it and says so by mail. Refusals go
/// only to the address's owner, at the address hearth has for them (never to the mail's
/// `From`, which anyone can write), at most `BOUNCES_PER_HOUR` an hour. An error is for
/// the listener to answer "try again later".
pub async fn receive(state: &AppState, to: ReplyTo, reply: &Reply) -> Result<Outcome, AppError> {
    let user_id = to.user_id;
    let owner = state.db.read(move |conn| Ok(UserRow::find_many(conn, &[user_id])?)).await?.pop();
    let Some(owner) = owner.filter(|u| u.deactivated_at.is_none()) else {
        // No account to post as, and nobody to tell.
        return Ok(Outcome::Refused(Refusal::NotAMember));
    };
    let outcome = decide(state, to, &owner, reply).await?;
    if let Outcome::Refused(why) = outcome {
        if !reply.automatic && may_bounce(owner.id) {
            bounce(state, &owner.email, reply, why).await?;
        }
    }
    Ok(outcome)
}

/// Refusals mailed to one person an hour, by this node.
const BOUNCES_PER_HOUR: usize = 10;

/// Whether another refusal may be mailed to a person now (and counts it).
fn may_bounce(user_id: i64) -> bool {
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    static SENT: OnceLock<Mutex<std::collections::HashMap<i64, Vec<Instant>>>> = OnceLock::new();
    let mut sent = SENT.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let now = Instant::now();
    sent.retain(|_, times| {
        times.retain(|t| now.duration_since(*t) < Duration::from_secs(3600));
        !times.is_empty()
    });
    let times = sent.entry(user_id).or_default();
    if times.len() >= BOUNCES_PER_HOUR {
        return false;
    }
    times.push(now);
    true
}

async fn decide(state: &AppState, to: ReplyTo, user: &UserRow, reply: &Reply) -> Result<Outcome, AppError> {
    if !reply.from.eq_ignore_ascii_case(user.email.trim()) {
        return Ok(Outcome::Refused(Refusal::WrongSender));
    }
    if reply.forged {
        return Ok(Outcome::Refused(Refusal::Unauthenticated));
    }
    if to.expired(today()) {
        return Ok(Outcome::Refused(Refusal::Expired));
    }
    let (user_id, channel_id, root) = (user.id, to.channel_id, to.thread_root_id);
    let standing = state
        .db
        .read(move |conn| {
            let member = match access::channel(conn, user_id, channel_id) {
                Ok(ctx) => ctx.member.is_some(),
                Err(AppError::NotFound(_)) => false,
                Err(e) => return Err(e),
            };
            let root_gone = match root {
                Some(root) => MessageRow::find(conn, root)?.is_none_or(|m| m.deleted_at.is_some()),
                None => false,
            };
            Ok((member, root_gone))
        })
        .await?;
    match standing {
        (false, _) => return Ok(Outcome::Refused(Refusal::NotAMember)),
        (true, true) => return Ok(Outcome::Refused(Refusal::ThreadGone)),
        (true, false) => {}
    }
    let text = own_words(&reply.text);
    if text.trim().is_empty() && reply.attachments.is_empty() {
        return Ok(Outcome::Refused(Refusal::Empty));
    }
    if reply.attachments.len() > files::MAX_FILES_PER_MESSAGE {
        return Ok(Outcome::Refused(Refusal::TooManyFiles));
    }
    let actor = Actor { user: user.clone(), credential: Credential::Email };
    let stored = match store(state, &actor, channel_id, &reply.attachments).await {
        Ok(stored) => stored,
        Err(Err(e)) => return Err(e),
        Err(Ok(why)) => return Ok(Outcome::Refused(why)),
    };
    let keys: Vec<String> = stored.iter().flat_map(files::Stored::keys).map(str::to_owned).collect();
    // The same mail delivered twice (a relay retrying) is posted once in each conversation
    // it was sent to.
    let key = reply.message_id.as_deref().map(|id| {
        let seen = format!("{id} {channel_id} {}", root.unwrap_or(0));
        format!("email:{}", &crate::security::token_hash(&seen)[..40])
    });
    let form =
        messages::PostForm { text, thread_root_id: root, client_msg_id: key, files: stored, ..Default::default() };
    let posted = messages::post(state, &actor, channel_id, form).await;
    if !posted.as_ref().is_ok_and(|p| p.created) {
        files::discard(state, &keys).await;
    }
    match posted {
        Ok(posted) => Ok(Outcome::Posted(posted.message.id)),
        Err(e) if e.problem().code == Code::TextTooLong => Ok(Outcome::Refused(Refusal::TooLong)),
        Err(AppError::NotFound(_)) => Ok(Outcome::Refused(Refusal::NotAMember)),
        Err(AppError::Forbidden(_) | AppError::Conflict(_)) => Ok(Outcome::Refused(Refusal::NotAllowed)),
        Err(e) => Err(e),
    }
}

/// Stores a reply's attachments as files of the channel; what cannot be stored is a
/// refusal (`Err(Ok)`) or an error to retry (`Err(Err)`), and leaves nothing behind.
async fn store(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    attachments: &[Attachment],
) -> Result<Vec<files::Stored>, Result<Refusal, AppError>> {
    if attachments.is_empty() {
        return Ok(Vec::new());
    }
    let refused = |e: AppError| match e {
        AppError::NotFound(_) | AppError::Forbidden(_) => Ok(Refusal::NotAMember),
        AppError::TooLarge(_) => Ok(Refusal::FileTooLarge),
        other => Err(other),
    };
    let prefix = files::may_upload(state, actor, channel_id).await.map_err(refused)?;
    let max = state.settings.limits.max_file_size;
    let mut stored = Vec::new();
    for a in attachments {
        let name = crate::domain::files::clean_name(&a.name);
        let mut whole = files::Whole(Some(bytes::Bytes::from(a.bytes.clone())));
        match files::store_named(state, &prefix, name, &mut whole, max).await {
            Ok(file) => stored.push(file),
            Err(e) => {
                let keys: Vec<String> = stored.iter().flat_map(files::Stored::keys).map(str::to_owned).collect();
                files::discard(state, &keys).await;
                return Err(refused(e));
            }
        }
    }
    Ok(stored)
}

/// Tells the owner of a reply address why a reply to it was not posted, as an automatic reply (RFC 3834) that
/// mail clients thread with what they sent.
async fn bounce(state: &AppState, to: &str, reply: &Reply, why: Refusal) -> Result<(), AppError> {
    let mut mail = crate::views::mail::bounce(&reply.subject, why);
    mail.to = to.to_owned();
    mail.headers = Headers {
        thread: reply.message_id.as_ref().map(|id| format!("<{id}>")),
        automatic: true,
        ..Headers::default()
    };
    let job = Job::Mail(mail);
    state.db.write(move |tx| jobs::enqueue(tx, &job).map(|_| ())).await
}
