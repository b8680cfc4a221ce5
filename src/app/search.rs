//! Searching a workspace, and the suggestions shown while typing: the query parsed, its
//! names resolved to ids, the permission filter made from the caller's channels now, the
//! index asked, and every hit checked again against the database before it is shown.

use std::collections::HashMap;

use base64::Engine;
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use sha2::Digest;

use super::{AppState, access};
use crate::db::channels::ChannelRow;
use crate::db::messages::MessageRow;
use crate::db::{self, Conn};
use crate::domain::channels::dm_key;
use crate::domain::search::text::{self, Marks};
use crate::domain::search::{self as syntax, Filter, Has, Person, Place, Query, Span};
use crate::domain::workspaces::may_browse_channels;
use crate::domain::{Code, Invalid};
use crate::error::AppError;
use crate::search::{Condition, Plan, Sort};
use crate::wire;

/// The longest query taken, in characters.
pub const MAX_QUERY_CHARS: usize = 1000;
/// The most results a page holds.
pub const MAX_LIMIT: usize = 100;
/// Results by relevance are paged this deep at most (past it, narrow the query).
pub const MAX_DEPTH: usize = 1000;
/// Suggestions of each kind shown while typing.
const SUGGESTIONS: usize = 5;
/// Length of a snippet, in characters.
const SNIPPET_CHARS: usize = 200;
/// The most messages a `has:reaction` or `has:pin` filter considers (the newest).
const ID_SET_CAP: i64 = 10_000;

/// A message found, where it is, and its text with the matches marked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Found {
    pub message: wire::Message,
    pub channel: wire::Channel,
    /// A snippet of the text as HTML: escaped, matches in `<mark>`, `…` where cut.
    pub highlight: String,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Results {
    pub results: Vec<Found>,
    /// How many messages match in all.
    pub total: usize,
    /// Pass as `cursor` (with the same `q` and `sort`) for the next page.
    pub next_cursor: Option<String>,
    /// Things worth telling the searcher: words ignored, the index still being built.
    pub notes: Vec<String>,
}

/// What is suggested for a query being typed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    pub channels: Vec<wire::Channel>,
    pub people: Vec<wire::User>,
    pub messages: Vec<Found>,
    /// The last word is too short to search yet: keep typing.
    pub incomplete: bool,
}

/// Where the next page starts, tied to the query it belongs to.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    /// The query's fingerprint.
    f: String,
    /// Results to skip (relevance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<usize>,
    /// The id to continue below (date), and the total the first page counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    b: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<usize>,
}

fn fingerprint(q: &str, sort: Sort) -> String {
    let digest = sha2::Sha256::digest(format!("{q}\u{0}{sort:?}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn bad_cursor() -> AppError {
    AppError::malformed(Code::InvalidCursor, "cursor must be a next_cursor from this same search (same q and sort).")
}

impl Cursor {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(raw: &str, q: &str, sort: Sort) -> Result<Cursor, AppError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad_cursor())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad_cursor())?;
        if cursor.f != fingerprint(q, sort) {
            return Err(bad_cursor());
        }
        Ok(cursor)
    }
}

/// Reads `sort=`: `relevance` (the default) or `date`.
pub fn parse_sort(raw: Option<&str>) -> Result<Sort, AppError> {
    match raw.map(str::trim).unwrap_or("") {
        "" | "relevance" | "score" => Ok(Sort::Relevance),
        "date" | "newest" | "timestamp" => Ok(Sort::Date),
        other => {
            Err(AppError::malformed(Code::InvalidQuery, format!("sort must be relevance or date, not \"{other}\".")))
        }
    }
}

/// Reads `limit=`: 1 to 100, 20 when absent.
pub fn parse_limit(raw: Option<i64>) -> Result<usize, AppError> {
    match raw {
        None => Ok(20),
        Some(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(usize::try_from(n).unwrap_or(20)),
        Some(n) => {
            Err(AppError::malformed(Code::InvalidQuery, format!("limit must be between 1 and {MAX_LIMIT}, not {n}.")))
        }
    }
}

fn parse_query(q: &str, today: NaiveDate, typing: bool) -> Result<Query, AppError> {
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::malformed(
            Code::QueryTooLong,
            format!("A search can be at most {MAX_QUERY_CHARS} characters long."),
        ));
    }
    syntax::parse(q, today, typing).map_err(|Invalid { code, message }| AppError::malformed(code, message))
}

/// Searches a workspace as `user_id` may see it.
pub async fn search(
    state: &AppState,
    user_id: i64,
    slug: &str,
    q: &str,
    sort: Sort,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Results, AppError> {
    let (slug, q, cursor) = (slug.to_owned(), q.to_owned(), cursor.map(str::to_owned));
    let index = state.search.clone();
    state
        .db
        .read(move |conn| {
            let now = db::now();
            let query = parse_query(&q, now.date(), false)?;
            if query.is_empty() {
                return Err(AppError::malformed(
                    Code::EmptyQuery,
                    "Type something to search for: words, \"a phrase\", or a filter such as from:@alice or in:#general.",
                ));
            }
            let cursor = cursor.as_deref().filter(|c| !c.trim().is_empty()).map(|c| Cursor::decode(c, &q, sort)).transpose()?;
            let scope = Scope::load(conn, &slug, user_id)?;
            let (conditions, excluded) = scope.conditions(conn, &query)?;
            let mut notes = Vec::new();
            if query.truncated {
                notes.push(format!("Only the first {} words and filters were used.", syntax::query::MAX_CLAUSES));
            }
            let offset = cursor.as_ref().and_then(|c| c.o).unwrap_or(0);
            let before_id = cursor.as_ref().and_then(|c| c.b);
            if offset >= MAX_DEPTH {
                return Err(bad_cursor());
            }
            let plan = scope.plan(&query, conditions, excluded, sort, (offset, before_id, limit), now);
            let order = plan.sort;
            let Some(hits) = index.search(&plan).map_err(AppError::Unexpected)? else {
                notes.push("The search index is still being built; try again in a moment.".to_owned());
                return Ok(Results { results: Vec::new(), total: 0, next_cursor: None, notes });
            };
            let total = cursor.as_ref().and_then(|c| c.t).unwrap_or(hits.total);
            let results = scope.found(conn, &hits.ids, &crate::search::marks(&query.must))?;
            let full = hits.ids.len() == limit;
            let next = match (order == Sort::Date, hits.ids.last()) {
                (true, Some(&last)) if full => Some(Cursor { f: fingerprint(&q, sort), o: None, b: Some(last), t: Some(total) }),
                (false, _) if full && offset + limit < hits.total.min(MAX_DEPTH) => {
                    Some(Cursor { f: fingerprint(&q, sort), o: Some(offset + limit), b: None, t: None })
                }
                _ => None,
            };
            Ok(Results { results, total, next_cursor: next.map(|c| c.encode()), notes })
        })
        .await
}

/// Channels, people and messages for a query still being typed.
pub async fn suggest(state: &AppState, user_id: i64, slug: &str, q: &str) -> Result<Suggestions, AppError> {
    let (slug, q) = (slug.to_owned(), q.to_owned());
    let index = state.search.clone();
    state
        .db
        .read(move |conn| {
            let now = db::now();
            let scope = Scope::load(conn, &slug, user_id)?;
            let query = parse_query(&q, now.date(), true)?;
            let word = q.split_whitespace().last().unwrap_or("");
            let name = text::fold(word.trim_start_matches(['#', '@']));
            let mut out = Suggestions {
                channels: Vec::new(),
                people: Vec::new(),
                messages: Vec::new(),
                incomplete: query.incomplete,
            };
            let limit = i64::try_from(SUGGESTIONS).unwrap_or(5);
            if !name.is_empty() && !q.ends_with(char::is_whitespace) {
                if !word.starts_with('@') {
                    out.channels = db::search::channels_starting(conn, &scope.readable, &name, limit)?
                        .iter()
                        .map(wire::Channel::from)
                        .collect();
                }
                if !word.starts_with('#') {
                    out.people = db::search::members_starting(conn, scope.workspace_id, &name, limit)?
                        .iter()
                        .map(wire::User::from)
                        .collect();
                }
            }
            if !query.narrow_enough_to_suggest() {
                out.incomplete |= !query.is_empty();
                return Ok(out);
            }
            let (conditions, excluded) = scope.conditions(conn, &query)?;
            let mut plan = scope.plan(&query, conditions, excluded, Sort::Relevance, (0, None, SUGGESTIONS), now);
            plan.counted = false;
            plan.parallel = true;
            if let Some(hits) = index.search(&plan).map_err(AppError::Unexpected)? {
                out.messages = scope.found(conn, &hits.ids, &crate::search::marks(&query.must))?;
            }
            Ok(out)
        })
        .await
}

/// The caller in a workspace, as search sees them: the channels they may read now, and those
/// they are in.
struct Scope {
    user_id: i64,
    workspace_id: i64,
    readable: Vec<i64>,
    joined: Vec<i64>,
}

impl Scope {
    fn load(conn: &mut Conn, slug: &str, user_id: i64) -> Result<Scope, AppError> {
        let membership = access::workspace(conn, slug, user_id)?;
        let workspace_id = membership.workspace.id;
        let joined = ChannelRow::ids_joined_in(conn, user_id, &[workspace_id])?;
        let mut readable = joined.clone();
        // Public history is open to the workspace's members, guests excepted (as in Slack).
        if may_browse_channels(membership.role) {
            readable.extend(ChannelRow::ids_public_in(conn, &[workspace_id])?);
        }
        readable.sort_unstable();
        readable.dedup();
        Ok(Scope { user_id, workspace_id, readable, joined })
    }

    /// A search of this scope: the query, its conditions, the order, and the page as
    /// `(offset, before_id, limit)`.
    fn plan<'a>(
        &'a self,
        query: &'a Query,
        conditions: Vec<Condition>,
        excluded: Vec<Condition>,
        sort: Sort,
        (offset, before_id, limit): (usize, Option<i64>, usize),
        now: chrono::NaiveDateTime,
    ) -> Plan<'a> {
        Plan {
            readable: &self.readable,
            must: &query.must,
            must_not: &query.must_not,
            conditions,
            excluded,
            // Without words nothing ranks one message above another: newest first.
            sort: if query.must.is_empty() { Sort::Date } else { sort },
            offset,
            before_id,
            limit,
            counted: true,
            parallel: false,
            now_micros: now.and_utc().timestamp_micros(),
        }
    }

    /// The filters as conditions on ids: wanted, and excluded. Several of one kind (`from:`,
    /// `in:`) are alternatives; names that match nothing the caller may see match nothing.
    fn conditions(&self, conn: &mut Conn, query: &Query) -> Result<(Vec<Condition>, Vec<Condition>), AppError> {
        let mut wanted = Vec::new();
        let authors: Vec<&Person> =
            query.filters.iter().filter_map(|f| if let Filter::From(p) = f { Some(p) } else { None }).collect();
        if !authors.is_empty() {
            wanted.push(Condition::Authors(self.people(conn, &authors)?));
        }
        let places: Vec<&Place> =
            query.filters.iter().filter_map(|f| if let Filter::In(p) = f { Some(p) } else { None }).collect();
        if !places.is_empty() {
            wanted.push(Condition::Channels(self.places(conn, &places)?));
        }
        for filter in &query.filters {
            if !matches!(filter, Filter::From(_) | Filter::In(_)) {
                wanted.push(self.condition(conn, filter)?);
            }
        }
        let excluded = query.excluded.iter().map(|f| self.condition(conn, f)).collect::<Result<_, _>>()?;
        Ok((wanted, excluded))
    }

    fn condition(&self, conn: &mut Conn, filter: &Filter) -> Result<Condition, AppError> {
        Ok(match filter {
            Filter::From(p) => Condition::Authors(self.people(conn, &[p])?),
            Filter::In(p) => Condition::Channels(self.places(conn, &[p])?),
            Filter::ToMe => Condition::MentionsOf { user_id: self.user_id, channels: self.joined.clone() },
            Filter::Has(Has::Link) => Condition::Flag("link"),
            Filter::Has(Has::File) => Condition::Flag("file"),
            Filter::Has(Has::Reaction) => Condition::Ids(db::search::reacted_in(conn, &self.readable, ID_SET_CAP)?),
            Filter::Has(Has::Pin) => Condition::Ids(db::search::pinned_in(conn, &self.readable, ID_SET_CAP)?),
            Filter::IsThread => Condition::Flag("thread"),
            Filter::Written(Span { from, to }) => Condition::Written { from: from.map(micros), to: to.map(micros) },
        })
    }

    fn people(&self, conn: &mut Conn, people: &[&Person]) -> Result<Vec<i64>, AppError> {
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for p in people {
            match p {
                Person::Me => ids.push(self.user_id),
                Person::Username(name) => names.push(name.clone()),
            }
        }
        if !names.is_empty() {
            ids.extend(db::search::member_ids_named(conn, self.workspace_id, &names)?);
        }
        Ok(ids)
    }

    fn places(&self, conn: &mut Conn, places: &[&Place]) -> Result<Vec<i64>, AppError> {
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for p in places {
            match p {
                Place::Channel(name) => names.push(name.clone()),
                Place::DirectMessageWith(person) => {
                    for other in self.people(conn, &[person])? {
                        let mut members = vec![self.user_id, other];
                        members.sort_unstable();
                        members.dedup();
                        if let Some(dm) = ChannelRow::find_by_dm_key(conn, &dm_key(self.workspace_id, &members))? {
                            ids.push(dm.id);
                        }
                    }
                }
            }
        }
        if !names.is_empty() {
            ids.extend(db::search::channel_ids_named(conn, self.workspace_id, &names)?);
        }
        // A channel the caller may not read matches nothing, and says nothing of itself.
        ids.retain(|id| self.readable.binary_search(id).is_ok());
        Ok(ids)
    }

    /// The hits as results, in the index's order, each checked again: not deleted (since the
    /// last commit) and in a channel the caller may read now.
    fn found(&self, conn: &mut Conn, ids: &[i64], marks: &Marks) -> Result<Vec<Found>, AppError> {
        let rows: HashMap<i64, MessageRow> = MessageRow::find_many(conn, ids)?
            .into_iter()
            .filter(|m| m.deleted_at.is_none() && self.readable.binary_search(&m.channel_id).is_ok())
            .map(|m| (m.id, m))
            .collect();
        let ordered: Vec<MessageRow> = ids.iter().filter_map(|id| rows.get(id).cloned()).collect();
        let messages = super::messages::views(conn, &ordered)?;
        let mut channel_ids: Vec<i64> = messages.iter().map(|m| m.channel_id).collect();
        channel_ids.sort_unstable();
        channel_ids.dedup();
        let channels: HashMap<i64, wire::Channel> =
            ChannelRow::find_many(conn, &channel_ids)?.iter().map(|row| (row.id, wire::Channel::from(row))).collect();
        Ok(messages
            .into_iter()
            .filter_map(|message| {
                let channel = channels.get(&message.channel_id)?.clone();
                let highlight = text::highlight(&message.text, marks, SNIPPET_CHARS);
                Some(Found { message, channel, highlight })
            })
            .collect())
    }
}

fn micros(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}
