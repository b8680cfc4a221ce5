//! hearth's things as Slack's objects: channels, users and messages, with Slack's ids and
//! `ts`.

use serde_json::{Value, json};

use crate::db::users::UserRow;
use crate::domain::channels::ChannelKind;
use crate::domain::slack::{SlackId, message_ts};
use crate::domain::workspaces::Role;
use crate::wire;

/// A channel's Slack id: `D…` for a direct message, `G…` for a group one, `C…` otherwise.
pub fn channel_id(kind: ChannelKind, id: i64) -> String {
    match kind {
        ChannelKind::Direct => format!("D{id}"),
        ChannelKind::Group => format!("G{id}"),
        _ => SlackId::channel(id),
    }
}

/// A conversation object. `other` is the other person of a direct message.
pub fn channel(c: &wire::Channel, is_member: bool, num_members: Option<usize>, other: Option<i64>) -> Value {
    let created = c.created_at.0.and_utc().timestamp();
    let mut v = json!({
        "id": channel_id(c.kind, c.id),
        "created": created,
        "creator": SlackId::user(c.created_by),
        "is_channel": c.kind == ChannelKind::Public,
        "is_group": c.kind == ChannelKind::Private,
        "is_im": c.kind == ChannelKind::Direct,
        "is_mpim": c.kind == ChannelKind::Group,
        "is_private": c.kind != ChannelKind::Public,
        "is_archived": c.archived,
        "is_general": c.is_default,
        "is_shared": false,
        "is_ext_shared": false,
        "is_org_shared": false,
        "is_member": is_member,
        "context_team_id": SlackId::workspace(c.workspace_id),
    });
    if let Some(name) = &c.name {
        v["name"] = json!(name);
        v["name_normalized"] = json!(name);
        v["topic"] = json!({"value": c.topic, "creator": "", "last_set": 0});
        v["purpose"] = json!({"value": c.purpose, "creator": "", "last_set": 0});
        v["previous_names"] = json!([]);
    }
    if let Some(n) = num_members {
        v["num_members"] = json!(n);
    }
    if let Some(user) = other {
        v["user"] = json!(SlackId::user(user));
    }
    v
}

/// A user object; `bot_id` for a bot user.
pub fn user(u: &UserRow, workspace_id: i64, role: Option<Role>, bot_id: Option<i64>, with_email: bool) -> Value {
    let mut profile = json!({
        "real_name": u.display_name,
        "display_name": u.display_name,
        "real_name_normalized": u.display_name,
        "display_name_normalized": u.display_name,
        "title": u.title,
    });
    // Slack's profile fields for a status. (Pictures are served to people only, so no
    // `image_*` fields.)
    let status = wire::Status::of(u);
    profile["status_emoji"] =
        json!(status.as_ref().filter(|s| !s.emoji.is_empty()).map(|s| format!(":{}:", s.emoji)).unwrap_or_default());
    profile["status_text"] = json!(status.as_ref().map(|s| s.text.as_str()).unwrap_or_default());
    profile["status_expiration"] = json!(status.and_then(|s| s.expires_at).map_or(0, |t| t.0.and_utc().timestamp()));
    if with_email && !u.is_bot {
        profile["email"] = json!(u.email);
    }
    if let Some(bot) = bot_id {
        profile["bot_id"] = json!(SlackId::bot(bot));
    }
    json!({
        "id": SlackId::user(u.id),
        "team_id": SlackId::workspace(workspace_id),
        "name": u.username,
        "real_name": u.display_name,
        "deleted": u.deactivated_at.is_some(),
        "is_bot": u.is_bot,
        "is_app_user": false,
        "is_admin": matches!(role, Some(Role::Admin | Role::Owner)),
        "is_owner": role == Some(Role::Owner),
        "is_restricted": role == Some(Role::Guest),
        "updated": u.updated_at.and_utc().timestamp(),
        "profile": profile,
    })
}

/// A message object, as history and `chat.postMessage` answer it.
pub fn message(m: &wire::Message, root_ts: Option<&str>) -> Value {
    let ts = message_ts(m.created_at.0);
    let mut v = json!({
        "type": "message",
        "user": SlackId::user(m.user.id),
        "text": m.text,
        "ts": ts,
    });
    if let Some(bot) = &m.bot {
        v["subtype"] = json!("bot_message");
        v["username"] = json!(bot.name);
        match (bot.bot_id, bot.webhook_id) {
            (Some(id), _) => v["bot_id"] = json!(SlackId::bot(id)),
            (None, Some(id)) => v["bot_id"] = json!(SlackId::integration(id)),
            (None, None) => {}
        }
        if let Some(icon) = &bot.icon_emoji {
            v["icons"] = json!({"emoji": format!(":{icon}:")});
        } else if let Some(url) = &bot.icon_url {
            v["icons"] = json!({"image_48": url});
        }
    }
    if let Some(root) = root_ts {
        v["thread_ts"] = json!(root);
        if m.also_send_to_channel {
            v["subtype"] = json!("thread_broadcast");
        }
    } else if m.reply_count > 0 {
        v["thread_ts"] = json!(ts);
        v["reply_count"] = json!(m.reply_count);
        if let Some(at) = &m.last_reply_at {
            v["latest_reply"] = json!(message_ts(at.0));
        }
    }
    if let Some(edited) = &m.edited_at {
        v["edited"] = json!({"user": SlackId::user(m.user.id), "ts": message_ts(edited.0)});
    }
    if !m.reactions.is_empty() {
        let reactions: Vec<Value> = m
            .reactions
            .iter()
            .map(|r| {
                json!({
                    "name": r.emoji,
                    "count": r.count,
                    "users": r.user_ids.iter().map(|u| SlackId::user(*u)).collect::<Vec<_>>(),
                })
            })
            .collect();
        v["reactions"] = json!(reactions);
    }
    if m.pinned {
        v["pinned_to"] = json!([channel_of(m)]);
    }
    if let Some(key) = &m.client_msg_id {
        v["client_msg_id"] = json!(key);
    }
    if !m.files.is_empty() {
        let files: Vec<Value> = m.files.iter().map(|f| json!({"id": format!("F{}", f.id), "name": f.name})).collect();
        v["files"] = json!(files);
    }
    v
}

fn channel_of(m: &wire::Message) -> String {
    SlackId::channel(m.channel_id)
}
