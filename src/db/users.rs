//! `users`: accounts, server-wide.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Conn;
use super::schema::users::{self, dsl as u};

/// A row of `users`. Its `Debug` output leaves out the password hash, so that no log line
/// or panic message ever carries one.
#[derive(Clone, Queryable)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_server_admin: bool,
    pub deactivated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A bot user: no password, never signs in, acts only through its bot token.
    pub is_bot: bool,
    /// What they do, shown on their profile.
    pub title: String,
    /// A custom status: an emoji's shortcode and a few words, until `status_expires_at`.
    pub status_emoji: String,
    pub status_text: String,
    pub status_expires_at: Option<NaiveDateTime>,
    /// The storage key of their picture (a 256-pixel square JPEG), if they gave one.
    pub avatar_key: Option<String>,
}

/// The columns of `UserRow`, in order (the multi-backend connection cannot derive them).
#[expect(clippy::type_complexity, reason = "one column per field of UserRow")]
pub const COLUMNS: (
    users::id,
    users::username,
    users::email,
    users::display_name,
    users::password_hash,
    users::is_server_admin,
    users::deactivated_at,
    users::created_at,
    users::updated_at,
    users::is_bot,
    users::title,
    users::status_emoji,
    users::status_text,
    users::status_expires_at,
    users::avatar_key,
) = (
    u::id,
    u::username,
    u::email,
    u::display_name,
    u::password_hash,
    u::is_server_admin,
    u::deactivated_at,
    u::created_at,
    u::updated_at,
    u::is_bot,
    u::title,
    u::status_emoji,
    u::status_text,
    u::status_expires_at,
    u::avatar_key,
);

/// A profile as it is to be saved.
#[derive(Debug)]
pub struct ProfileChange<'a> {
    pub title: &'a str,
    pub status_emoji: &'a str,
    pub status_text: &'a str,
    pub status_expires_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_server_admin: bool,
    pub is_bot: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewUser<'_> {
    pub fn insert(&self, conn: &mut Conn) -> QueryResult<UserRow> {
        diesel::insert_into(u::users).values(self).returning(COLUMNS).get_result(conn)
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let UserRow {
            id,
            username,
            email,
            display_name,
            password_hash: _,
            is_server_admin,
            deactivated_at,
            created_at,
            updated_at,
            is_bot,
            title,
            status_emoji,
            status_text,
            status_expires_at,
            avatar_key,
        } = self;
        f.debug_struct("UserRow")
            .field("id", id)
            .field("username", username)
            .field("email", email)
            .field("display_name", display_name)
            .field("password_hash", &"<redacted>")
            .field("is_server_admin", is_server_admin)
            .field("deactivated_at", deactivated_at)
            .field("created_at", created_at)
            .field("updated_at", updated_at)
            .field("is_bot", is_bot)
            .field("title", title)
            .field("status_emoji", status_emoji)
            .field("status_text", status_text)
            .field("status_expires_at", status_expires_at)
            .field("avatar_key", avatar_key)
            .finish()
    }
}

impl UserRow {
    pub fn find(conn: &mut Conn, id: i64) -> QueryResult<UserRow> {
        u::users.find(id).select(COLUMNS).first(conn)
    }

    pub fn find_optional(conn: &mut Conn, id: i64) -> QueryResult<Option<UserRow>> {
        u::users.find(id).select(COLUMNS).first(conn).optional()
    }

    /// The accounts with these ids (in no particular order).
    pub fn find_many(conn: &mut Conn, ids: &[i64]) -> QueryResult<Vec<UserRow>> {
        u::users.filter(u::id.eq_any(ids)).select(COLUMNS).load(conn)
    }

    /// `(id, username)` of the active members of a workspace with these usernames.
    pub fn active_members_named(
        conn: &mut Conn,
        workspace_id: i64,
        usernames: &[&String],
    ) -> QueryResult<Vec<(i64, String)>> {
        use super::schema::workspace_members::dsl as wm;
        u::users
            .inner_join(wm::workspace_members)
            .filter(wm::workspace_id.eq(workspace_id))
            .filter(wm::deactivated_at.is_null())
            .filter(u::username.eq_any(usernames))
            .select((u::id, u::username))
            .load(conn)
    }

    /// Is the username someone else's than `except`'s?
    pub fn username_taken_except(conn: &mut Conn, username: &str, except: Option<i64>) -> QueryResult<bool> {
        let query = u::users.filter(u::username.eq(username)).filter(u::id.ne(except.unwrap_or(0)));
        diesel::select(diesel::dsl::exists(query)).get_result(conn)
    }

    /// Gives an unverified account whose link ran out to whoever signs up with its address
    /// now: their name and password replace the old ones.
    pub fn take_over(
        conn: &mut Conn,
        id: i64,
        username: &str,
        display_name: &str,
        password_hash: &str,
        at: NaiveDateTime,
    ) -> QueryResult<UserRow> {
        diesel::update(u::users.find(id))
            .set((
                u::username.eq(username),
                u::display_name.eq(display_name),
                u::password_hash.eq(password_hash),
                u::created_at.eq(at),
                u::updated_at.eq(at),
            ))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn find_by_email(conn: &mut Conn, email: &str) -> QueryResult<Option<UserRow>> {
        u::users.filter(u::email.eq(email)).select(COLUMNS).first(conn).optional()
    }

    pub fn find_by_username(conn: &mut Conn, username: &str) -> QueryResult<Option<UserRow>> {
        u::users.filter(u::username.eq(username)).select(COLUMNS).first(conn).optional()
    }

    pub fn count(conn: &mut Conn) -> QueryResult<i64> {
        u::users.count().get_result(conn)
    }

    pub fn email_taken(conn: &mut Conn, email: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(u::users.filter(u::email.eq(email)))).get_result(conn)
    }

    pub fn username_taken(conn: &mut Conn, username: &str) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(u::users.filter(u::username.eq(username)))).get_result(conn)
    }

    pub fn list(conn: &mut Conn) -> QueryResult<Vec<UserRow>> {
        u::users.order(u::id).select(COLUMNS).load(conn)
    }

    pub fn set_display_name(conn: &mut Conn, id: i64, name: &str, at: NaiveDateTime) -> QueryResult<UserRow> {
        diesel::update(u::users.find(id))
            .set((u::display_name.eq(name), u::updated_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// Sets the profile beyond the name: title and custom status.
    pub fn set_profile(
        conn: &mut Conn,
        id: i64,
        profile: &ProfileChange<'_>,
        at: NaiveDateTime,
    ) -> QueryResult<UserRow> {
        diesel::update(u::users.find(id))
            .set((
                u::title.eq(profile.title),
                u::status_emoji.eq(profile.status_emoji),
                u::status_text.eq(profile.status_text),
                u::status_expires_at.eq(profile.status_expires_at),
                u::updated_at.eq(at),
            ))
            .returning(COLUMNS)
            .get_result(conn)
    }

    /// Sets (or with `None` takes away) the picture; answers the row as it is now.
    pub fn set_avatar(conn: &mut Conn, id: i64, key: Option<&str>, at: NaiveDateTime) -> QueryResult<UserRow> {
        diesel::update(u::users.find(id))
            .set((u::avatar_key.eq(key), u::updated_at.eq(at)))
            .returning(COLUMNS)
            .get_result(conn)
    }

    pub fn set_password_hash(conn: &mut Conn, id: i64, hash: &str, at: NaiveDateTime) -> QueryResult<usize> {
        diesel::update(u::users.find(id)).set((u::password_hash.eq(hash), u::updated_at.eq(at))).execute(conn)
    }

    pub fn set_deactivated(conn: &mut Conn, id: i64, at: Option<NaiveDateTime>) -> QueryResult<usize> {
        diesel::update(u::users.find(id)).set(u::deactivated_at.eq(at)).execute(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password_hash() {
        let now = chrono::NaiveDateTime::default();
        let user = UserRow {
            id: 1,
            username: "alice".into(),
            email: "alice@example.com".into(),
            display_name: "Alice".into(),
            password_hash: "$argon2id$v=19$secret-hash".into(),
            is_server_admin: false,
            deactivated_at: None,
            created_at: now,
            updated_at: now,
            is_bot: false,
            title: String::new(),
            status_emoji: String::new(),
            status_text: String::new(),
            status_expires_at: None,
            avatar_key: None,
        };
        let actor = crate::app::Actor { user, credential: crate::app::Credential::Session(2) };
        let shown = format!("{actor:?}");
        assert!(shown.contains("alice") && shown.contains("<redacted>"), "{shown}");
        assert!(!shown.contains("argon2id"), "{shown}");
    }
}
