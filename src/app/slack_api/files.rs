//! Slack's two-step upload onto hearth's file sharing: `files.getUploadURLExternal` gives
//! an upload URL for one file (its bytes are received by the transport, `http/slack.rs`),
//! and `files.completeUploadExternal` shares the uploaded files in a channel in one message.

use serde_json::{Value, json};

use super::chat::bot_in_channel;
use super::{Answer, Caller, app, channel_arg, object};
use crate::app::files::{self, Stored};
use crate::app::{AppState, messages};
use crate::db::slack_uploads::{NewUpload, UploadRow};
use crate::db::{self, Db};
use crate::domain::files::clean_name;
use crate::domain::slack::api::{ApiError, Args};
use crate::domain::slack::parse_id;
use crate::error::AppError;
use crate::jobs::{self, Job};
use crate::security;
use crate::wire;

/// How long an upload URL takes its bytes, and the file waits to be shared.
pub const UPLOAD_LIFETIME: chrono::Duration = chrono::Duration::hours(1);
/// Uploads one person may have waiting to be shared.
const MAX_PENDING: i64 = 20;

pub async fn get_upload_url(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let filename = clean_name(&args.required("filename", "invalid_arguments")?);
    if filename.is_empty() {
        return Err(ApiError::new("invalid_arguments", "`filename` must name the file."));
    }
    let max = i64::try_from(state.settings.limits.max_file_size).unwrap_or(i64::MAX);
    let length = args
        .number("length", 1..=i64::MAX)?
        .ok_or_else(|| ApiError::new("invalid_arguments", "`length` (the file's size in bytes) is required."))?;
    if length > max {
        return Err(ApiError::new(
            "file_too_large",
            format!("A file can be at most {} MB.", state.settings.limits.max_file_size.div_ceil(1 << 20)),
        ));
    }
    let token = security::random_alphanumeric(40);
    let hash = security::token_hash(&token);
    let (user_id, workspace_id) = (caller.actor.id(), caller.workspace.id);
    let row = state
        .db
        .write(move |tx| {
            if UploadRow::pending_of(tx, user_id)? >= MAX_PENDING {
                return Ok(Err(ApiError::new(
                    "too_many_uploads",
                    format!("At most {MAX_PENDING} uploads can wait to be shared; share or let some expire first."),
                )));
            }
            let now = db::now();
            let row = NewUpload {
                token_hash: &hash,
                user_id,
                workspace_id,
                filename: &filename,
                length,
                created_at: now,
                expires_at: now + UPLOAD_LIFETIME,
            }
            .insert(tx)?;
            Ok(Ok(row))
        })
        .await
        .map_err(app)??;
    Ok(object(json!({
        "upload_url": state.link(&format!("/api/slack/files/upload/{token}")),
        "file_id": format!("F{}", row.id),
    })))
}

/// The upload a URL's token names, while it may still be sent to.
pub async fn upload_for(state: &AppState, token: &str) -> Result<Option<UploadRow>, AppError> {
    let hash = security::token_hash(token);
    let found = state.db.read(move |conn| Ok(UploadRow::find_by_token_hash(conn, &hash)?)).await?;
    Ok(found.filter(|u| u.expires_at > db::now()))
}

/// Keeps what was stored for an upload; `false` when something was stored for it already
/// (the caller removes its copy).
pub async fn keep(state: &AppState, upload: &UploadRow, stored: &Stored) -> Result<bool, AppError> {
    let json = serde_json::to_string(stored).map_err(|e| AppError::Unexpected(e.into()))?;
    let id = upload.id;
    state.db.write(move |tx| Ok(UploadRow::set_stored(tx, id, &json)?)).await
}

pub async fn complete(state: &AppState, caller: &Caller, args: &Args) -> Answer {
    let listed = args
        .structured("files", "invalid_arguments")?
        .and_then(|v| v.as_array().cloned())
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::new("invalid_arguments", "`files` must list the uploads, as [{\"id\": \"F…\"}]."))?;
    if listed.len() > files::MAX_FILES_PER_MESSAGE {
        return Err(ApiError::new(
            "invalid_arguments",
            format!("A message can share at most {} files.", files::MAX_FILES_PER_MESSAGE),
        ));
    }
    let ids: Vec<(i64, Option<String>)> = listed
        .iter()
        .map(|f| {
            let id = f.get("id").and_then(Value::as_str).and_then(|id| parse_id(id, &['F']));
            let title = f.get("title").and_then(Value::as_str).map(str::to_owned);
            id.map(|id| (id, title))
                .ok_or_else(|| ApiError::new("file_not_found", "Each file needs the id F… it was given."))
        })
        .collect::<Result<_, _>>()?;
    let channel = args
        .text("channel_id")
        .or_else(|| args.text("channels").and_then(|c| c.split(',').next().map(|c| c.trim().to_owned())))
        .ok_or_else(|| ApiError::new("invalid_arguments", "hearth shares files in a channel: give `channel_id`."))?;
    let (c, lookup) = (caller.clone(), Args::from_pairs([("channel", channel.as_str())]));
    let channel_id = state.db.read(move |conn| channel_arg(conn, &c, &lookup, "channel")).await.map_err(app)??;
    bot_in_channel(state, caller, channel_id).await?;
    let thread_root_id = super::chat::thread_root(state, channel_id, args).await?;
    let mut ids = ids;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|(id, _)| seen.insert(*id));
    let (user_id, workspace_id) = (caller.actor.id(), caller.workspace.id);
    let wanted: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
    // Claimed before posting (taken out of the table in one transaction), so that no two
    // shares, and no clean-up of expired ones, can use the same stored objects.
    let claimed = state
        .db
        .write(move |tx| {
            let mut rows = Vec::new();
            for &id in &wanted {
                let row = UploadRow::find(tx, id)?.filter(|r| {
                    r.user_id == user_id
                        && r.workspace_id == workspace_id
                        && r.stored.is_some()
                        && r.expires_at > db::now()
                });
                let Some(row) = row else {
                    return Ok(Err(ApiError::new(
                        "file_not_found",
                        format!("F{id} was not uploaded, or is not yours to share."),
                    )));
                };
                UploadRow::delete(tx, id)?;
                rows.push(row);
            }
            Ok(Ok(rows))
        })
        .await
        .map_err(app)??;
    let mut stored: Vec<Stored> = Vec::new();
    for ((_, title), row) in ids.iter().zip(claimed) {
        let Some(mut file) = row.stored.as_deref().and_then(|s| serde_json::from_str::<Stored>(s).ok()) else {
            continue;
        };
        if let Some(title) = title.as_deref().map(clean_name).filter(|t| !t.is_empty()) {
            // Slack's title names the file as people see it; the extension stays.
            if !title.contains('.') {
                if let Some((_, ext)) = file.name.rsplit_once('.') {
                    file.name = format!("{title}.{ext}");
                }
            } else {
                file.name = title;
            }
        }
        stored.push(file);
    }
    let keys: Vec<String> = stored.iter().flat_map(Stored::keys).map(str::to_owned).collect();
    let bot = caller.bot.as_ref().map(|bot| wire::Bot {
        icon_url: bot.icon_url.clone(),
        bot_id: Some(bot.id),
        ..wire::Bot::named(&caller.actor.user.display_name)
    });
    let form = messages::PostForm {
        text: args.text("initial_comment").unwrap_or_default(),
        thread_root_id,
        files: stored,
        bot,
        ..messages::PostForm::default()
    };
    let posted = match messages::post(state, &caller.actor, channel_id, form).await {
        Ok(posted) => posted,
        Err(e) => {
            // Claimed and not shared: nothing else will ever use these objects.
            files::discard(state, &keys).await;
            return Err(app(e));
        }
    };
    let files: Vec<Value> = posted
        .message
        .files
        .iter()
        .map(|f| {
            json!({
                "id": format!("F{}", f.id),
                "name": f.name,
                "title": f.name,
                "mimetype": f.content_type,
                "size": f.size,
                "url_private": state.link(&f.url),
                "permalink": state.link(&format!("/w/{}/c/{}/m/{}", caller.workspace.slug, channel_id, posted.message.id)),
            })
        })
        .collect();
    Ok(object(json!({"files": files})))
}

/// Forgets uploads that expired unshared; their stored objects are removed by a job.
pub async fn prune(db: &Db) -> Result<usize, AppError> {
    db.write(move |tx| {
        let expired = UploadRow::expired(tx, db::now())?;
        let mut keys = Vec::new();
        for row in &expired {
            if let Some(stored) = row.stored.as_deref().and_then(|s| serde_json::from_str::<Stored>(s).ok()) {
                keys.extend(stored.keys().map(str::to_owned));
            }
            UploadRow::delete(tx, row.id)?;
        }
        if !keys.is_empty() {
            jobs::enqueue(tx, &Job::RemoveFiles { keys })?;
        }
        Ok(expired.len())
    })
    .await
}
