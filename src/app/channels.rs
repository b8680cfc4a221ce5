//! Channels and direct messages: create, find, join and leave, manage members, archive,
//! read markers and notification settings.

use crate::domain::Code;
use std::collections::HashMap;

use super::access::{self, Membership};
pub use super::read_state::{mark_read, mark_unread, set_notify};
use super::{Actor, AppState, Paged};
use crate::db::channels::{ChannelChanges, ChannelMemberRow, ChannelRow, NewChannel};
use crate::db::users::UserRow;
use crate::db::workspaces::MemberRow;
use crate::db::{self, Conn, Tx};
use crate::domain::Paging;
use crate::domain::access::Rights;
use crate::domain::channels::{ChannelKind, ChannelName, MAX_GROUP_DM, dm_key, dm_members, parse_topic};
use crate::domain::workspaces::{may_browse_channels, may_create_channel};
use crate::error::AppError;
use crate::events::{self, EventData, Scope};
use crate::wire;

/// Everyone in a direct message (at most `MAX_GROUP_DM` people).
const DM_PEOPLE: Paging = Paging { offset: 0, limit: MAX_GROUP_DM as i64 };

/// Unread and mention counts are counted up to this, and shown as "99+" beyond 99.
pub const COUNT_CAP: i64 = 100;

/// The name of the channel every workspace starts with.
pub const GENERAL: &str = "general";

/// The wire channel with the caller's membership and, for direct messages, its people.
pub fn channel_view(
    conn: &mut Conn,
    channel: &ChannelRow,
    member: Option<&ChannelMemberRow>,
) -> Result<wire::Channel, AppError> {
    channel_view_counted(conn, channel, member, None)
}

/// `channel_view` with the unread and mention counts already known (the channel list
/// counts every channel in one query).
fn channel_view_counted(
    conn: &mut Conn,
    channel: &ChannelRow,
    member: Option<&ChannelMemberRow>,
    counts: Option<(i64, i64)>,
) -> Result<wire::Channel, AppError> {
    let mut view = wire::Channel::from(channel);
    if let Some(m) = member {
        let (unread, mentions) = match counts {
            Some(c) => c,
            None => (m.unread_count(conn, COUNT_CAP)?, m.mention_count(conn, COUNT_CAP)?),
        };
        view.membership = Some(wire::ChannelMembership {
            last_read_message_id: m.last_read_message_id,
            unread_count: unread,
            mention_count: mentions,
            notify_level: m.notify_level,
            muted: m.muted,
        });
    }
    if channel.kind.is_dm() {
        let people = ChannelMemberRow::list_with_users(conn, channel.id, DM_PEOPLE)?;
        view.dm_members = Some(people.iter().map(|(_, u)| wire::User::from(u)).collect());
    }
    Ok(view)
}

/// What a channel event says of the channel.
pub(super) enum ChannelChange {
    /// Created (by someone who then sees it whatever becomes of their membership).
    Created(Option<i64>),
    Updated,
    Archived,
    Unarchived,
    MemberAdded(wire::User),
    MemberRemoved(wire::User),
}

/// Appends a channel event carrying the channel (without anyone's membership); a member
/// event is about that member, who sees it even when no longer in the channel.
pub(super) fn channel_event(tx: &mut Tx<'_>, channel: &ChannelRow, change: ChannelChange) -> Result<(), AppError> {
    let mut view = wire::Channel::from(channel);
    if channel.kind.is_dm() {
        let people = ChannelMemberRow::list_with_users(tx, channel.id, DM_PEOPLE)?;
        view.dm_members = Some(people.iter().map(|(_, u)| wire::User::from(u)).collect());
    }
    let scope = Scope::channel(channel.workspace_id, channel.id);
    let (scope, data) = match change {
        ChannelChange::Created(by) => {
            let scope = by.map_or(scope, |u| scope.about(u));
            (scope, EventData::ChannelCreated { channel: view })
        }
        ChannelChange::Updated => (scope, EventData::ChannelUpdated { channel: view }),
        ChannelChange::Archived => (scope, EventData::ChannelArchived { channel: view }),
        ChannelChange::Unarchived => (scope, EventData::ChannelUnarchived { channel: view }),
        ChannelChange::MemberAdded(user) => {
            (scope.about(user.id), EventData::ChannelMemberAdded { channel: view, user })
        }
        ChannelChange::MemberRemoved(user) => {
            (scope.about(user.id), EventData::ChannelMemberRemoved { channel: view, user })
        }
    };
    events::append(tx, scope, &data)?;
    Ok(())
}

/// Creates the workspace's `#general`, the default channel everyone but guests is in.
pub fn create_general(tx: &mut Tx<'_>, workspace_id: i64, owner: &UserRow) -> Result<ChannelRow, AppError> {
    let now = db::now();
    let channel = NewChannel {
        workspace_id,
        kind: ChannelKind::Public.as_str(),
        name: Some(GENERAL),
        topic: "",
        purpose: "Announcements and talk for the whole workspace.",
        is_default: true,
        dm_key: None,
        created_by: owner.id,
        created_at: now,
        updated_at: now,
    }
    .insert(tx)?;
    ChannelMemberRow::new(channel.id, owner.id, now, 0).insert(tx)?;
    channel_event(tx, &channel, ChannelChange::Created(None))?;
    Ok(channel)
}

/// What a new channel needs.
#[derive(Debug, Clone, Default)]
pub struct NewChannelForm {
    pub name: String,
    pub private: bool,
    pub topic: Option<String>,
    pub purpose: Option<String>,
}

/// Creates a public or private channel; the creator is its first member.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    form: NewChannelForm,
) -> Result<wire::Channel, AppError> {
    let name = ChannelName::parse(&form.name)?;
    let topic = parse_topic(form.topic.as_deref().unwrap_or(""), "A topic")?;
    let purpose = parse_topic(form.purpose.as_deref().unwrap_or(""), "A purpose")?;
    let kind = if form.private { ChannelKind::Private } else { ChannelKind::Public };
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, role, .. } = access::workspace(tx, &slug, user_id)?;
            may_create_channel(role)?;
            if ChannelRow::name_taken(tx, workspace.id, name.as_str())? {
                return Err(AppError::conflict(
                    Code::ChannelNameTaken,
                    format!("A channel named #{} already exists.", name.as_str()),
                ));
            }
            let now = db::now();
            let channel = NewChannel {
                workspace_id: workspace.id,
                kind: kind.as_str(),
                name: Some(name.as_str()),
                topic: &topic,
                purpose: &purpose,
                is_default: false,
                dm_key: None,
                created_by: user_id,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            let member = ChannelMemberRow::new(channel.id, user_id, now, 0);
            member.insert(tx)?;
            let view = channel_view(tx, &channel, Some(&member))?;
            channel_event(tx, &channel, ChannelChange::Created(Some(user_id)))?;
            Ok(view)
        })
        .await
}

/// The channels and direct messages the caller is in, with unread and mention counts.
pub async fn list(state: &AppState, actor: &Actor, slug: &str) -> Result<Vec<wire::Channel>, AppError> {
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .read(move |conn| {
            let Membership { workspace, .. } = access::workspace(conn, &slug, user_id)?;
            let counts: HashMap<i64, (i64, i64)> = ChannelMemberRow::counts(conn, user_id, workspace.id, COUNT_CAP)?
                .into_iter()
                .map(|(c, unread, mentions)| (c, (unread, mentions)))
                .collect();
            let mut out = Vec::new();
            for (channel, member) in ChannelRow::list_joined(conn, workspace.id, user_id)? {
                let known = counts.get(&channel.id).copied();
                out.push(channel_view_counted(conn, &channel, Some(&member), known)?);
            }
            Ok(out)
        })
        .await
}

pub async fn get(state: &AppState, actor: &Actor, channel_id: i64) -> Result<wire::Channel, AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            channel_view(conn, &ctx.channel, ctx.member.as_ref())
        })
        .await
}

/// A change to a channel's name, topic or purpose.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub purpose: Option<String>,
}

/// Renames a channel (channel admins) or sets its topic or purpose (members). Values sent
/// back unchanged are left alone.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    patch: ChannelPatch,
) -> Result<wire::Channel, AppError> {
    let name = patch.name.as_deref().map(ChannelName::parse).transpose()?;
    let topic = patch.topic.as_deref().map(|t| parse_topic(t, "A topic")).transpose()?;
    let purpose = patch.purpose.as_deref().map(|p| parse_topic(p, "A purpose")).transpose()?;
    if name.is_none() && topic.is_none() && purpose.is_none() {
        return Err(AppError::invalid(Code::NothingToChange, "Give a name, topic or purpose to change."));
    }
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            // A value sent back unchanged is no change, so that a form holding every field
            // asks only for what it changes (and the API answers the same).
            let name = name.as_ref().filter(|n| ctx.channel.name.as_deref() != Some(n.as_str()));
            let topic = topic.as_ref().filter(|t| **t != ctx.channel.topic);
            let purpose = purpose.as_ref().filter(|p| **p != ctx.channel.purpose);
            if name.is_none() && topic.is_none() && purpose.is_none() {
                return channel_view(tx, &ctx.channel, ctx.member.as_ref());
            }
            if let Some(name) = name {
                ctx.access.may_rename()?;
                if ChannelRow::name_taken(tx, ctx.channel.workspace_id, name.as_str())? {
                    return Err(AppError::conflict(
                        Code::ChannelNameTaken,
                        format!("A channel named #{} already exists.", name.as_str()),
                    ));
                }
            }
            if topic.is_some() || purpose.is_some() {
                ctx.access.may_set_topic()?;
            }
            let changes = ChannelChanges {
                name: name.map(ChannelName::as_str),
                topic: topic.map(String::as_str),
                purpose: purpose.map(String::as_str),
                updated_at: Some(db::now()),
            };
            let channel = ChannelRow::update(tx, channel_id, &changes)?;
            let view = channel_view(tx, &channel, ctx.member.as_ref())?;
            channel_event(tx, &channel, ChannelChange::Updated)?;
            Ok(view)
        })
        .await
}

/// A page of the public channels of a workspace the caller is not in, with what the caller
/// may do in each (join, unless it is archived). Guests browse nothing.
pub async fn browse(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    page: Paging,
) -> Result<Paged<(wire::Channel, Rights)>, AppError> {
    let (user_id, slug, is_bot) = (actor.id(), slug.to_owned(), actor.user.is_bot);
    state
        .db
        .read(move |conn| {
            let Membership { workspace, role, .. } = access::workspace(conn, &slug, user_id)?;
            if !may_browse_channels(role) {
                return Ok(Paged { items: Vec::new(), next_cursor: None });
            }
            let found = ChannelRow::list_public_not_joined(conn, workspace.id, user_id, page)?;
            let items = found
                .iter()
                .map(|c| (wire::Channel::from(c), access::facts(c, user_id, role, false, is_bot).rights()))
                .collect();
            Ok(Paged::cut(items, page))
        })
        .await
}

/// Archives (read-only, still readable and searchable) or unarchives a channel.
pub async fn set_archived(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
    archived: bool,
) -> Result<wire::Channel, AppError> {
    let user_id = actor.id();
    state
        .db
        .write(move |tx| {
            let ctx = access::channel(tx, user_id, channel_id)?;
            ctx.access.may_archive()?;
            if ctx.access.archived == archived {
                return Err(AppError::conflict(
                    if archived { Code::AlreadyArchived } else { Code::NotArchived },
                    if archived { "The channel is already archived." } else { "The channel is not archived." },
                ));
            }
            let now = db::now();
            let channel = ChannelRow::set_archived(tx, channel_id, archived.then_some(now), now)?;
            let view = channel_view(tx, &channel, ctx.member.as_ref())?;
            let change = if archived { ChannelChange::Archived } else { ChannelChange::Unarchived };
            channel_event(tx, &channel, change)?;
            Ok(view)
        })
        .await
}

/// The one direct message for exactly this set of people, created on first use.
pub async fn open_dm(
    state: &AppState,
    actor: &Actor,
    slug: &str,
    user_ids: &[i64],
) -> Result<(wire::Channel, bool), AppError> {
    let members = dm_members(actor.id(), user_ids)?;
    let (user_id, slug) = (actor.id(), slug.to_owned());
    state
        .db
        .write(move |tx| {
            let Membership { workspace, .. } = access::workspace(tx, &slug, user_id)?;
            let key = dm_key(workspace.id, &members);
            if let Some(existing) = ChannelRow::find_by_dm_key(tx, &key)? {
                let member = ChannelMemberRow::find(tx, existing.id, user_id)?;
                return Ok((channel_view(tx, &existing, member.as_ref())?, false));
            }
            let mut people = Vec::new();
            for id in &members {
                MemberRow::find(tx, workspace.id, *id)?.filter(|m| m.deactivated_at.is_none()).ok_or_else(|| {
                    AppError::not_found(
                        Code::UserNotFound,
                        format!("User {id} is not an active member of this workspace."),
                    )
                })?;
                people.push(UserRow::find(tx, *id)?);
            }
            let now = db::now();
            let kind = if members.len() == 2 { ChannelKind::Direct } else { ChannelKind::Group };
            let channel = NewChannel {
                workspace_id: workspace.id,
                kind: kind.as_str(),
                name: None,
                topic: "",
                purpose: "",
                is_default: false,
                dm_key: Some(&key),
                created_by: user_id,
                created_at: now,
                updated_at: now,
            }
            .insert(tx)?;
            for person in &people {
                ChannelMemberRow::new(channel.id, person.id, now, 0).insert(tx)?;
            }
            let member = ChannelMemberRow::find(tx, channel.id, user_id)?;
            let view = channel_view(tx, &channel, member.as_ref())?;
            channel_event(tx, &channel, ChannelChange::Created(None))?;
            Ok((view, true))
        })
        .await
}

/// A channel with what the caller may do in it.
pub async fn with_access(
    state: &AppState,
    actor: &Actor,
    channel_id: i64,
) -> Result<(wire::Channel, Rights), AppError> {
    let user_id = actor.id();
    state
        .db
        .read(move |conn| {
            let ctx = access::channel(conn, user_id, channel_id)?;
            Ok((channel_view(conn, &ctx.channel, ctx.member.as_ref())?, ctx.rights))
        })
        .await
}
