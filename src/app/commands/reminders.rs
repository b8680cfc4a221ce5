//! `/remind`: one-off reminders, kept in `reminders` and delivered by a job at their time as
//! a message from hearth — by direct message to a person, or in a channel — listed and
//! cancelled with `/remind list` and `/remind cancel <n>`.

use super::{Outcome, Place, answer, channel_named, person};
use crate::app::messages::{self, PostForm};
use crate::app::{Actor, AppState, Credential, access, channels};
use crate::db::reminders::{NewReminder, ReminderRow};
use crate::db::users::UserRow;
use crate::db::workspaces::WorkspaceRow;
use crate::db::{self};
use crate::domain::Code;
use crate::domain::reminders::{Remind, Whom, parse};
use crate::error::AppError;
use crate::jobs::{self, Job};
use crate::wire;

/// Pending reminders one person may have in a workspace.
const MAX_PENDING: usize = 100;

fn when(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub(super) async fn remind(
    state: &AppState,
    actor: &Actor,
    workspace: &WorkspaceRow,
    place: Place,
    args: &str,
) -> Result<Outcome, AppError> {
    let asked = parse(args, db::now()).map_err(AppError::from)?;
    let (ws, user_id) = (workspace.id, actor.id());
    match asked {
        Remind::List => {
            let pending = state.db.read(move |conn| Ok(ReminderRow::pending_of(conn, ws, user_id)?)).await?;
            if pending.is_empty() {
                return Ok(answer(place, "You have no reminders set."));
            }
            let lines: Vec<String> =
                pending.iter().map(|r| format!("- **{}** “{}” — {}", r.id, r.what, when(r.due_at))).collect();
            Ok(answer(place, format!("Your reminders (`/remind cancel <n>` to cancel one):\n{}", lines.join("\n"))))
        }
        Remind::Cancel(id) => {
            let cancelled = state
                .db
                .write(move |tx| {
                    let mine =
                        ReminderRow::find(tx, id)?.is_some_and(|r| r.created_by == user_id && r.workspace_id == ws);
                    Ok(mine && ReminderRow::cancel(tx, id, db::now())?)
                })
                .await?;
            if !cancelled {
                return Err(AppError::not_found(Code::ReminderNotFound, format!("You have no pending reminder {id}.")));
            }
            Ok(answer(place, format!("Reminder {id} is cancelled.")))
        }
        Remind::Set { whom, what, due } => {
            let (for_user_id, channel_id, said) = match &whom {
                Whom::Me => (Some(user_id), None, "you".to_owned()),
                Whom::User(name) => {
                    let p = person(state, ws, name).await?;
                    (Some(p.id), None, format!("@{}", p.username))
                }
                Whom::Channel(name) => {
                    let id = channel_named(state, workspace, name).await?;
                    // Only somewhere one may post.
                    let may =
                        state.db.read(move |conn| Ok(access::channel(conn, user_id, id)?.access.may_post())).await?;
                    may?;
                    (None, Some(id), format!("#{name}"))
                }
            };
            let row = state
                .db
                .write(move |tx| {
                    if ReminderRow::pending_of(tx, ws, user_id)?.len() >= MAX_PENDING {
                        return Err(AppError::conflict(
                            Code::TooManyIntegrations,
                            format!("You can have at most {MAX_PENDING} reminders; cancel one first."),
                        ));
                    }
                    let row = NewReminder {
                        workspace_id: ws,
                        created_by: user_id,
                        for_user_id,
                        channel_id,
                        what: &what,
                        due_at: due,
                        created_at: db::now(),
                    }
                    .insert(tx)?;
                    jobs::enqueue_at(tx, &Job::Reminder { reminder_id: row.id }, due)?;
                    Ok(row)
                })
                .await?;
            Ok(answer(
                place,
                format!("I will remind {said} “{}” at {} (reminder {}).", row.what, when(row.due_at), row.id),
            ))
        }
    }
}

/// Delivers a due reminder (the job's work): once, unless it was cancelled or its people
/// or channel are gone.
pub async fn deliver(state: &AppState, reminder_id: i64) -> Result<(), AppError> {
    let found = state.db.read(move |conn| Ok(ReminderRow::find(conn, reminder_id)?)).await?;
    let Some(r) = found.filter(|r| r.delivered_at.is_none() && r.cancelled_at.is_none()) else { return Ok(()) };
    let (creator_id, ws) = (r.created_by, r.workspace_id);
    let (creator, slug) =
        state.db.read(move |conn| Ok((UserRow::find(conn, creator_id)?, WorkspaceRow::find(conn, ws)?.slug))).await?;
    let bot = |name: &str| wire::Bot { icon_emoji: Some("alarm_clock".to_owned()), ..wire::Bot::named(name) };
    // The same key on a retry returns the message already posted: delivered once, even
    // when recording the delivery failed after the post.
    let key = format!("hearth-reminder-{}", r.id);
    let creator_active = state
        .db
        .read(move |conn| {
            Ok(crate::db::workspaces::MemberRow::find(conn, ws, creator_id)?
                .is_some_and(|m| m.deactivated_at.is_none()))
        })
        .await?;
    let delivered = match (r.for_user_id, r.channel_id) {
        // Its creator has left the workspace: their reminders go with them.
        _ if !creator_active || creator.deactivated_at.is_some() => Ok(()),
        // In a channel, with its creator's rights.
        (_, Some(channel)) => {
            let actor = Actor { user: creator, credential: Credential::Reminder(r.id) };
            let text = format!("Reminder: {}", r.what);
            let form =
                PostForm { text, bot: Some(bot("Reminder")), client_msg_id: Some(key.clone()), ..PostForm::default() };
            messages::post(state, &actor, channel, form).await.map(|_| ())
        }
        // To a person, by direct message from hearth's own bot in the workspace.
        (Some(user), None) => {
            let hearth = state.db.write(move |tx| crate::app::bots::workspace_bot(tx, ws)).await?;
            let actor = Actor { user: hearth, credential: Credential::Reminder(r.id) };
            let by = if user == creator_id { String::new() } else { format!(" from @{}", creator.username) };
            match channels::open_dm(state, &actor, &slug, &[user]).await {
                Ok((dm, _)) => {
                    let form = PostForm {
                        text: format!("Reminder{by}: {}", r.what),
                        bot: Some(bot("hearth")),
                        client_msg_id: Some(key.clone()),
                        ..PostForm::default()
                    };
                    messages::post(state, &actor, dm.id, form).await.map(|_| ())
                }
                Err(e) => Err(e),
            }
        }
        (None, None) => Ok(()),
    };
    match delivered {
        Ok(()) => {}
        // The channel is gone, or closed to its creator, or the person left: nobody to tell
        // (or the key was taken for something else: not to be tried for ever).
        Err(e @ (AppError::NotFound(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            tracing::info!(reminder = reminder_id, error = %e, "a reminder had nobody to go to");
        }
        Err(e) => return Err(e),
    }
    state.db.write(move |tx| Ok(ReminderRow::deliver(tx, reminder_id, db::now())?)).await?;
    Ok(())
}
