//! `channels` and `channel_members`: conversations and who is in them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::channel_members::{self, dsl as cm};
use super::schema::channels::{self, dsl as c};
use super::schema::mentions::dsl as mn;
use super::schema::messages::dsl as m;
use super::users::{self, UserRow};
use crate::domain::Paging;
use crate::domain::channels::{ChannelKind, NotifyLevel};

/// A row of `channels`; the kind is read into the domain's `ChannelKind` here, once.
#[derive(Debug, Clone, Queryable)]
pub struct ChannelRow {
    pub id: i64,
    pub workspace_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: ChannelKind,
    pub name: Option<String>,
    pub topic: String,
    pub purpose: String,
    pub is_default: bool,
    pub dm_key: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub archived_at: Option<NaiveDateTime>,
}

pub const COLUMNS: (
    channels::id,
    channels::workspace_id,
    channels::kind,
    channels::name,
    channels::topic,
    channels::purpose,
    channels::is_default,
    channels::dm_key,
    channels::created_by,
    channels::created_at,
    channels::updated_at,
    channels::archived_at,
) = (
    c::id,
    c::workspace_id,
    c::kind,
    c::name,
    c::topic,
    c::purpose,
    c::is_default,
    c::dm_key,
    c::created_by,
    c::created_at,
    c::updated_at,
    c::archived_at,
);

#[derive(Insertable)]
#[diesel(table_name = channels)]
pub struct NewChannel<'a> {
    pub workspace_id: i64,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub topic: &'a str,
    pub purpose: &'a str,
    pub is_default: bool,
    pub dm_key: Option<&'a str>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewChannel<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<ChannelRow> {
        diesel::insert_into(c::channels).values(self).returning(COLUMNS).get_result(conn)
    }
}

/// A change to a channel's descriptive fields.
#[derive(AsChangeset, Default)]
#[diesel(table_name = channels)]
pub struct ChannelChanges<'a> {
    pub name: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub updated_at: Option<NaiveDateTime>,
}

impl ChannelRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<Option<ChannelRow>> {
        c::channels.find(id).select(COLUMNS).first(conn).optional()
    }

    /// The channels with these ids (in no particular order).
    pub fn find_many(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<ChannelRow>> {
        c::channels.filter(c::id.eq_any(ids)).select(COLUMNS).load(conn)
    }

    pub fn find_by_dm_key(conn: &mut Conn, key: &str) -> QueryResult<Option<ChannelRow>> {
        c::channels.filter(c::dm_key.eq(key)).select(COLUMNS).first(conn).optional()
    }

    pub fn name_taken(conn: &mut Conn, workspace_id: i64, name: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            c::channels.filter(c::workspace_id.eq(workspace_id)).filter(c::name.eq(name)),
        ))
        .get_result(conn)
    }

    /// Channels of a workspace by name (for `#channel` links).
    pub fn find_by_names(conn: &mut Conn, workspace_id: i64, names: &[String]) -> QueryResult<Vec<ChannelRow>> {
        c::channels.filter(c::workspace_id.eq(workspace_id)).filter(c::name.eq_any(names)).select(COLUMNS).load(conn)
    }

    /// Public channels of a workspace, by name.
    /// A page of a workspace's public channels that `user_id` is not in, by name.
    pub fn list_public_not_joined(
        conn: &mut Conn,
        workspace_id: i64,
        user_id: i64,
        page: Paging,
    ) -> QueryResult<Vec<ChannelRow>> {
        let joined = cm::channel_members.filter(cm::user_id.eq(user_id)).select(cm::channel_id);
        c::channels
            .filter(c::workspace_id.eq(workspace_id))
            .filter(c::kind.eq(ChannelKind::Public.as_str()))
            .filter(diesel::dsl::not(c::id.eq_any(joined)))
            .order((c::name, c::id))
            .offset(page.offset)
            .limit(page.fetch())
            .select(COLUMNS)
            .load(conn)
    }

    /// A page of the channels of some kinds a member may see in a workspace, by id, with
    /// whether they are in each: those they are in, and public ones when `public_open`.
    pub fn page_visible(
        conn: &mut Conn,
        workspace_id: i64,
        user_id: i64,
        kinds: &[&str],
        public_open: bool,
        with_archived: bool,
        page: Paging,
    ) -> QueryResult<Vec<(ChannelRow, bool)>> {
        let joined: Vec<i64> = cm::channel_members.filter(cm::user_id.eq(user_id)).select(cm::channel_id).load(conn)?;
        let public = if public_open { ChannelKind::Public.as_str() } else { "" };
        // Archived channels are listed when archived before this: always, or never.
        let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let archived_before = if with_archived { super::far_future() } else { epoch };
        let rows: Vec<ChannelRow> = c::channels
            .filter(c::workspace_id.eq(workspace_id))
            .filter(c::kind.eq_any(kinds))
            .filter(c::id.eq_any(&joined).or(c::kind.eq(public)))
            .filter(c::archived_at.is_null().or(c::archived_at.lt(archived_before)))
            .order(c::id)
            .offset(page.offset)
            .limit(page.fetch())
            .select(COLUMNS)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let member = joined.contains(&r.id);
                (r, member)
            })
            .collect())
    }

    /// The workspace's default channels, which new members join.
    pub fn list_default(conn: &mut Conn, workspace_id: i64) -> QueryResult<Vec<ChannelRow>> {
        c::channels
            .filter(c::workspace_id.eq(workspace_id))
            .filter(c::is_default.eq(true))
            .filter(c::archived_at.is_null())
            .select(COLUMNS)
            .load(conn)
    }

    /// The channels `user_id` is a member of in a workspace, with the membership.
    pub fn list_joined(
        conn: &mut Conn,
        workspace_id: i64,
        user_id: i64,
    ) -> QueryResult<Vec<(ChannelRow, ChannelMemberRow)>> {
        c::channels
            .inner_join(cm::channel_members)
            .filter(c::workspace_id.eq(workspace_id))
            .filter(cm::user_id.eq(user_id))
            .order((c::kind.desc(), c::name, c::id))
            .select((COLUMNS, MEMBER_COLUMNS))
            .load(conn)
    }

    pub fn update(conn: &mut Conn, id: i64, changes: &ChannelChanges<'_>) -> QueryResult<ChannelRow> {
        diesel::update(c::channels.find(id)).set(changes).returning(COLUMNS).get_result(conn)
    }

    pub fn set_archived(
        conn: &mut Conn,
        id: i64,
        at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> QueryResult<ChannelRow> {
        diesel::update(c::channels.find(id))
            .set((c::archived_at.eq(at), c::updated_at.eq(now)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// Ids of the channels a user is in, everywhere (for the event visibility rule).
    pub fn ids_joined(conn: &mut Conn, user_id: i64) -> QueryResult<Vec<i64>> {
        cm::channel_members.filter(cm::user_id.eq(user_id)).select(cm::channel_id).load(conn)
    }

    /// Ids of the channels a user is in within some workspaces.
    pub fn ids_joined_in(conn: &mut Conn, user_id: i64, workspace_ids: &[i64]) -> QueryResult<Vec<i64>> {
        cm::channel_members
            .inner_join(c::channels)
            .filter(cm::user_id.eq(user_id))
            .filter(c::workspace_id.eq_any(workspace_ids))
            .select(cm::channel_id)
            .load(conn)
    }

    /// Ids of the public channels of some workspaces.
    pub fn ids_public_in(conn: &mut Conn, workspace_ids: &[i64]) -> QueryResult<Vec<i64>> {
        c::channels
            .filter(c::workspace_id.eq_any(workspace_ids))
            .filter(c::kind.eq(ChannelKind::Public.as_str()))
            .select(c::id)
            .load(conn)
    }
}

/// A row of `channel_members`; the notification level is read into the domain's enum here.
#[derive(Debug, Clone, Queryable)]
pub struct ChannelMemberRow {
    pub channel_id: i64,
    pub user_id: i64,
    pub joined_at: NaiveDateTime,
    pub last_read_message_id: i64,
    #[diesel(deserialize_as = String)]
    pub notify_level: NotifyLevel,
    pub muted: bool,
}

pub const MEMBER_COLUMNS: (
    channel_members::channel_id,
    channel_members::user_id,
    channel_members::joined_at,
    channel_members::last_read_message_id,
    channel_members::notify_level,
    channel_members::muted,
) = (cm::channel_id, cm::user_id, cm::joined_at, cm::last_read_message_id, cm::notify_level, cm::muted);

impl ChannelMemberRow {
    /// A new membership that has read everything up to `last_read`.
    pub fn new(channel_id: i64, user_id: i64, joined_at: NaiveDateTime, last_read: i64) -> ChannelMemberRow {
        ChannelMemberRow {
            channel_id,
            user_id,
            joined_at,
            last_read_message_id: last_read,
            notify_level: NotifyLevel::All,
            muted: false,
        }
    }

    pub fn insert(&self, conn: &mut Conn) -> QueryResult<usize> {
        diesel::insert_into(cm::channel_members)
            .values((
                cm::channel_id.eq(self.channel_id),
                cm::user_id.eq(self.user_id),
                cm::joined_at.eq(self.joined_at),
                cm::last_read_message_id.eq(self.last_read_message_id),
                cm::notify_level.eq(self.notify_level.as_str()),
                cm::muted.eq(self.muted),
            ))
            .execute(conn)
    }

    pub fn find(conn: &mut Conn, channel_id: i64, user_id: i64) -> QueryResult<Option<ChannelMemberRow>> {
        cm::channel_members.find((channel_id, user_id)).select(MEMBER_COLUMNS).first(conn).optional()
    }

    pub fn delete(conn: &mut Conn, channel_id: i64, user_id: i64) -> QueryResult<usize> {
        diesel::delete(cm::channel_members.find((channel_id, user_id))).execute(conn)
    }

    /// A page of a channel's members, by username.
    pub fn list_with_users(
        conn: &mut Conn,
        channel_id: i64,
        page: Paging,
    ) -> QueryResult<Vec<(ChannelMemberRow, UserRow)>> {
        cm::channel_members
            .inner_join(super::schema::users::table)
            .filter(cm::channel_id.eq(channel_id))
            .order(super::schema::users::username)
            .offset(page.offset)
            .limit(page.fetch())
            .select((MEMBER_COLUMNS, users::COLUMNS))
            .load(conn)
    }

    /// How many people are in a channel.
    pub fn count(conn: &mut Conn, channel_id: i64) -> QueryResult<usize> {
        let n: i64 = cm::channel_members.filter(cm::channel_id.eq(channel_id)).count().get_result(conn)?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// The people of a channel: its members who are not bots.
    pub fn count_people(conn: &mut Conn, channel_id: i64) -> QueryResult<usize> {
        let n: i64 = cm::channel_members
            .inner_join(super::schema::users::table)
            .filter(cm::channel_id.eq(channel_id))
            .filter(super::schema::users::is_bot.eq(false))
            .count()
            .get_result(conn)?;
        Ok(usize::try_from(n).unwrap_or_default())
    }

    /// The channel's members who are people (not bots) with an account in use; of `among`
    /// only, when given.
    pub fn people(conn: &mut Conn, channel_id: i64, among: Option<&[i64]>) -> QueryResult<Vec<i64>> {
        use super::schema::users::dsl as u;
        let query = || {
            cm::channel_members
                .inner_join(super::schema::users::table)
                .filter(cm::channel_id.eq(channel_id))
                .filter(u::is_bot.eq(false))
                .filter(u::deactivated_at.is_null())
                .select(cm::user_id)
        };
        match among {
            None => query().load(conn),
            Some(ids) => {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    out.extend(query().filter(cm::user_id.eq_any(chunk)).load::<i64>(conn)?);
                }
                Ok(out)
            }
        }
    }

    pub fn user_ids(conn: &mut Conn, channel_id: i64) -> QueryResult<Vec<i64>> {
        cm::channel_members.filter(cm::channel_id.eq(channel_id)).select(cm::user_id).load(conn)
    }

    /// Moves the read marker forward to `message_id`; answers whether it moved (a marker
    /// already there or past it is left as it is).
    pub fn advance_last_read(conn: &mut Conn, channel_id: i64, user_id: i64, message_id: i64) -> QueryResult<bool> {
        let moved = diesel::update(cm::channel_members.find((channel_id, user_id)))
            .filter(cm::last_read_message_id.lt(message_id))
            .set(cm::last_read_message_id.eq(message_id))
            .execute(conn)?;
        Ok(moved > 0)
    }

    pub fn set_last_read(conn: &mut Conn, channel_id: i64, user_id: i64, message_id: i64) -> QueryResult<usize> {
        diesel::update(cm::channel_members.find((channel_id, user_id)))
            .set(cm::last_read_message_id.eq(message_id))
            .execute(conn)
    }

    pub fn set_notify(
        conn: &mut Conn,
        channel_id: i64,
        user_id: i64,
        level: NotifyLevel,
        muted: bool,
    ) -> QueryResult<ChannelMemberRow> {
        diesel::update(cm::channel_members.find((channel_id, user_id)))
            .set((cm::notify_level.eq(level.as_str()), cm::muted.eq(muted)))
            .returning(MEMBER_COLUMNS)
            .get_result(conn)
    }

    /// Unread and mention counts (each up to `cap`) of every channel `user_id` is in within a
    /// workspace, in one query: the sidebar's numbers.
    pub fn counts(conn: &mut Conn, user_id: i64, workspace_id: i64, cap: i64) -> QueryResult<Vec<(i64, i64, i64)>> {
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            channel_id: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            unread: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            mentions: i64,
        }
        let sql = format!(
            "SELECT cm.channel_id AS channel_id, \
               (SELECT COUNT(*) FROM (SELECT 1 AS one FROM messages m WHERE m.channel_id = cm.channel_id AND m.in_channel = TRUE \
                  AND m.id > cm.last_read_message_id AND (m.user_id <> cm.user_id OR m.bot IS NOT NULL) AND m.deleted_at IS NULL LIMIT {cap}) u) AS unread, \
               (SELECT COUNT(*) FROM (SELECT DISTINCT mn.message_id FROM mentions mn JOIN messages m ON m.id = mn.message_id \
                  WHERE mn.channel_id = cm.channel_id AND (mn.user_id = cm.user_id OR mn.user_id IS NULL) \
                  AND mn.message_id > cm.last_read_message_id AND (m.user_id <> cm.user_id OR m.bot IS NOT NULL) AND m.deleted_at IS NULL LIMIT {cap}) x) AS mentions \
             FROM channel_members cm JOIN channels c ON c.id = cm.channel_id \
             WHERE cm.user_id = {user_id} AND c.workspace_id = {workspace_id}"
        );
        let rows: Vec<Counts> = match conn {
            Conn::Postgresql(pg) => diesel::sql_query(sql).load(pg)?,
            Conn::Sqlite(lite) => diesel::sql_query(sql).load(lite)?,
        };
        Ok(rows.into_iter().map(|r| (r.channel_id, r.unread, r.mentions)).collect())
    }

    /// Messages in the channel after the read marker that others (or integrations) posted,
    /// counted up to `cap`.
    pub fn unread_count(&self, conn: &mut Conn, cap: i64) -> QueryResult<i64> {
        let ids: Vec<i64> = m::messages
            .filter(m::channel_id.eq(self.channel_id))
            .filter(m::in_channel.eq(true))
            .filter(m::id.gt(self.last_read_message_id))
            // An integration's message is news to its creator too (domain::channels::is_unread).
            .filter(m::user_id.ne(self.user_id).or(m::bot.is_not_null()))
            .filter(m::deleted_at.is_null())
            .select(m::id)
            .limit(cap)
            .load(conn)?;
        Ok(ids.len() as i64)
    }

    /// Mentions of this member (or of everyone in the channel) after the read marker.
    pub fn mention_count(&self, conn: &mut Conn, cap: i64) -> QueryResult<i64> {
        let ids: Vec<i64> = mn::mentions
            .inner_join(m::messages)
            .filter(mn::channel_id.eq(self.channel_id))
            .filter(mn::user_id.eq(self.user_id).or(mn::user_id.is_null()))
            .filter(mn::message_id.gt(self.last_read_message_id))
            .filter(m::user_id.ne(self.user_id).or(m::bot.is_not_null()))
            .filter(m::deleted_at.is_null())
            .select(mn::message_id)
            .distinct()
            .limit(cap)
            .load(conn)?;
        Ok(ids.len() as i64)
    }
}
