//! A parsed query, with its filters resolved to ids, turned into a tantivy query and run:
//! the permission filter is always part of it, and hits come back as message ids.

use std::ops::Bound;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AutomatonWeight, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery, TermSetQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Order, Searcher, Term};

use super::analysis;
use super::index::{Fields, Generation, id};
use crate::domain::search::Text;
use crate::domain::search::text::{self, MAX_PREFIX_CHARS, Marks, PieceKind};

/// A condition on messages, its names already resolved to ids by the caller.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Written by one of these people (none: matches nothing).
    Authors(Vec<i64>),
    /// In one of these channels (none: matches nothing).
    Channels(Vec<i64>),
    /// Mentions this person, or everyone in one of these channels (theirs).
    MentionsOf { user_id: i64, channels: Vec<i64> },
    /// Carries a flag: `link`, `file`, `thread`.
    Flag(&'static str),
    /// One of these messages (none: matches nothing).
    Ids(Vec<i64>),
    /// Written in `[from, to)`, microseconds since the epoch.
    Written { from: Option<i64>, to: Option<i64> },
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Best matches first, recent ones lifted.
    Relevance,
    /// Newest first.
    Date,
}

/// One search, ready to run.
pub struct Plan<'a> {
    /// The channels the searcher may read: every hit is in one of them.
    pub readable: &'a [i64],
    pub must: &'a [Vec<Text>],
    pub must_not: &'a [Text],
    pub conditions: Vec<Condition>,
    pub excluded: Vec<Condition>,
    pub sort: Sort,
    /// Results to skip (relevance), or the id below which to continue (date).
    pub offset: usize,
    pub before_id: Option<i64>,
    pub limit: usize,
    /// Count every match (`Hits::total`); without, the total is the hits returned.
    pub counted: bool,
    /// Search the segments on two threads at once: for suggestions, where one person's
    /// next keystroke waits on the answer. Other searches keep to one thread, which serves
    /// more people at once on two cores.
    pub parallel: bool,
    /// Now, in microseconds, for recency.
    pub now_micros: i64,
}

/// What a search found.
#[derive(Debug, Clone)]
pub struct Hits {
    pub ids: Vec<i64>,
    pub total: usize,
}

/// What a query's text highlights.
pub fn marks(must: &[Vec<Text>]) -> Marks {
    let mut marks = Marks::default();
    for clause in must.iter().flatten() {
        let pieces = text::pieces(&clause.text, false);
        let last = pieces.len().saturating_sub(1);
        for (i, p) in pieces.iter().enumerate() {
            // A word matches words it begins; a phrase only whole words, but its last word
            // while it is still being typed.
            let prefix = p.kind == PieceKind::Part && (!clause.phrase || (clause.partial && i == last));
            if prefix {
                marks.prefix.push(p.text.clone());
            } else {
                marks.exact.push(p.text.clone());
            }
        }
        if pieces.len() > 1 {
            marks.exact.push(text::fold(clause.text.trim_matches(|c: char| !c.is_alphanumeric())));
        }
    }
    marks
}

/// Runs a plan against a generation of the index.
pub fn run(generation: &Generation, plan: &Plan<'_>) -> tantivy::Result<Hits> {
    if plan.readable.is_empty() || plan.limit == 0 {
        return Ok(Hits { ids: Vec::new(), total: 0 });
    }
    let f = &generation.fields;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, zero(ids_in(f.channel_id, plan.readable)))];
    for group in plan.must {
        let alternatives: Vec<Box<dyn Query>> = group.iter().filter_map(|t| text_query(f, t)).collect();
        match alternatives.len() {
            0 => {}
            1 => clauses.extend(alternatives.into_iter().map(|q| (Occur::Must, q))),
            _ => clauses.push((Occur::Must, any(alternatives))),
        }
    }
    for t in plan.must_not {
        if let Some(q) = exact_query(f, t) {
            clauses.push((Occur::MustNot, q));
        }
    }
    for c in &plan.conditions {
        clauses.push((Occur::Must, zero(condition(f, c))));
    }
    for c in &plan.excluded {
        clauses.push((Occur::MustNot, condition(f, c)));
    }
    if let Some(before) = plan.before_id {
        let upper = Bound::Excluded(Term::from_field_u64(f.msg_id, id(before)));
        clauses.push((Occur::Must, zero(Box::new(RangeQuery::new(Bound::Unbounded, upper)))));
    }
    let query = BooleanQuery::new(clauses);
    let searcher = generation.reader.searcher();
    let limit = plan.limit;
    let (found, total): (Vec<DocAddress>, usize) = if plan.sort == Sort::Date {
        let collector = TopDocs::with_limit(limit).order_by_fast_field::<u64>("msg_id", Order::Desc);
        let (top, total) = collect(&searcher, &query, collector, plan)?;
        (top.into_iter().map(|(_, a)| a).collect(), total)
    } else {
        let now = plan.now_micros;
        let collector =
            TopDocs::with_limit(limit).and_offset(plan.offset).tweak_score(move |segment: &tantivy::SegmentReader| {
                let ts = segment.fast_fields().i64("ts").ok().map(|c| values(c, 0));
                let ids = segment.fast_fields().u64("msg_id").ok().map(|c| values(c, 0));
                // Equal scores (the recency lift cannot tell messages minutes apart) rank
                // newest first, by id: the same order on every page, whatever segments the
                // index has merged in between.
                move |doc: tantivy::DocId, score: tantivy::Score| {
                    let age_days = ts.as_ref().map_or(0.0, |c| (now - c.get_val(doc)).max(0) as f32 / 86_400e6);
                    let id = ids.as_ref().map_or(0, |c| c.get_val(doc));
                    (score * (1.0 + 1.0 / (1.0 + age_days / 30.0)), id)
                }
            });
        let (top, total) = collect(&searcher, &query, collector, plan)?;
        (top.into_iter().map(|(_, a)| a).collect(), total)
    };
    Ok(Hits { ids: message_ids(&searcher, &found)?, total })
}

/// The top documents, and how many match in all (when `counted`; otherwise how many came).
fn collect<C, T>(searcher: &Searcher, query: &dyn Query, top: C, plan: &Plan<'_>) -> tantivy::Result<(Vec<T>, usize)>
where
    C: tantivy::collector::Collector<Fruit = Vec<T>>,
{
    if plan.counted {
        return searcher.search(query, &(top, Count));
    }
    let found = match parallel_executor().filter(|_| plan.parallel) {
        Some(executor) => {
            let scoring = tantivy::query::EnableScoring::enabled_from_searcher(searcher);
            searcher.search_with_executor(query, &top, executor, scoring)?
        }
        None => searcher.search(query, &top)?,
    };
    let n = found.len();
    Ok((found, n))
}

/// Two threads for searches that may use them (made once; none if they cannot be made).
fn parallel_executor() -> Option<&'static tantivy::Executor> {
    static EXECUTOR: std::sync::OnceLock<Option<tantivy::Executor>> = std::sync::OnceLock::new();
    EXECUTOR.get_or_init(|| tantivy::Executor::multi_thread(2, "hearth-search-").ok()).as_ref()
}

fn message_ids(searcher: &Searcher, found: &[DocAddress]) -> tantivy::Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(found.len());
    for address in found {
        let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("msg_id")?;
        if let Some(v) = column.first(address.doc_id) {
            ids.push(i64::try_from(v).unwrap_or(0));
        }
    }
    Ok(ids)
}

/// Messages whose `field` (a u64 fast field) holds one of `ids`, tested on each candidate the
/// rest of the query finds: for a broad set, cheaper than the union of every id's postings
/// (measured at 1M messages: about half the time for a common word). The permission filter
/// is one: the channels the searcher may read (all in the workspace searched, since channel
/// ids are unique across workspaces; hits are checked again against the database).
fn ids_in(field: Field, ids: &[i64]) -> Box<dyn Query> {
    if ids.is_empty() {
        return Box::new(EmptyQuery);
    }
    let ids = std::sync::Arc::new(IdSet::new(ids));
    Box::new(DocPredicateQuery::from(FunctionPredicate::from(move |segment: &tantivy::SegmentReader| {
        let of = values(segment.fast_fields().u64(segment.schema().get_field_name(field))?, 0);
        let ids = std::sync::Arc::clone(&ids);
        Ok(move |doc: tantivy::DocId| ids.contains(of.get_val(doc)))
    })))
}

/// A set of ids: a bitmap while the ids are small (as database ids are), a sorted
/// list past that.
enum IdSet {
    Bits(Vec<u64>),
    Sorted(Vec<u64>),
}

impl IdSet {
    /// The largest id kept as a bitmap (2 MiB of bits).
    const MAX_BIT: u64 = 1 << 24;

    fn new(ids: &[i64]) -> IdSet {
        let mut ids: Vec<u64> = ids.iter().map(|c| id(*c)).collect();
        ids.sort_unstable();
        match ids.last() {
            Some(&max) if max < Self::MAX_BIT => {
                let mut bits = vec![0u64; usize::try_from(max / 64 + 1).unwrap_or(0)];
                for v in ids {
                    if let Some(word) = usize::try_from(v / 64).ok().and_then(|w| bits.get_mut(w)) {
                        *word |= 1 << (v % 64);
                    }
                }
                IdSet::Bits(bits)
            }
            _ => IdSet::Sorted(ids),
        }
    }

    #[inline]
    fn contains(&self, v: u64) -> bool {
        match self {
            IdSet::Bits(bits) => {
                usize::try_from(v / 64).ok().and_then(|w| bits.get(w)).is_some_and(|word| word & (1 << (v % 64)) != 0)
            }
            IdSet::Sorted(ids) => ids.binary_search(&v).is_ok(),
        }
    }
}

/// A fast field's value for each document: read straight from its values when every document
/// has one (as every message has its ids and time), `default` for those without otherwise.
fn values<T>(column: tantivy::columnar::Column<T>, default: T) -> std::sync::Arc<dyn tantivy::columnar::ColumnValues<T>>
where
    T: PartialOrd + std::fmt::Debug + Send + Sync + Copy + 'static,
{
    if column.get_cardinality() == tantivy::columnar::Cardinality::Full {
        column.values
    } else {
        column.first_or_default_col(default)
    }
}

/// A clause that filters without adding to the score.
fn zero(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn any(alternatives: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(alternatives.into_iter().map(|q| (Occur::Should, q)).collect()))
}

fn all(required: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(required.into_iter().map(|q| (Occur::Must, q)).collect()))
}

fn id_set(field: Field, ids: &[i64]) -> Box<dyn Query> {
    if ids.is_empty() {
        return Box::new(EmptyQuery);
    }
    Box::new(TermSetQuery::new(ids.iter().map(|v| Term::from_field_u64(field, id(*v)))))
}

fn term(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, by))
}

fn condition(f: &Fields, c: &Condition) -> Box<dyn Query> {
    match c {
        // Narrowing a search to people or channels is usually selective: their postings
        // lead the intersection (the readable filter is broad: it is tested per candidate).
        Condition::Authors(ids) => id_set(f.author_id, ids),
        Condition::Channels(ids) => id_set(f.channel_id, ids),
        Condition::Ids(ids) => id_set(f.msg_id, ids),
        Condition::Flag(flag) => term(f.flags, flag),
        Condition::MentionsOf { user_id, channels } => any(vec![
            term(f.flags, &format!("mention:{user_id}")),
            all(vec![term(f.flags, "everyone"), id_set(f.channel_id, channels)]),
        ]),
        Condition::Written { from, to } => {
            let bound = |v: Option<i64>, inclusive: bool| match v {
                None => Bound::Unbounded,
                Some(v) if inclusive => Bound::Included(Term::from_field_i64(f.ts, v)),
                Some(v) => Bound::Excluded(Term::from_field_i64(f.ts, v)),
            };
            Box::new(RangeQuery::new(bound(*from, true), bound(*to, false)))
        }
    }
}

/// The pieces of a clause's text as `(position, folded)`, with the whole when it has several.
fn query_pieces(text: &str) -> (Vec<(usize, String, PieceKind)>, String) {
    let pieces: Vec<(usize, String, PieceKind)> =
        text::pieces(text, false).into_iter().map(|p| (p.position, p.text, p.kind)).collect();
    let whole = text::fold(text.trim_matches(|c: char| !c.is_alphanumeric()));
    (pieces, whole)
}

/// A phrase of pieces on `body`, positions kept (one piece: a term).
fn phrase(f: &Fields, pieces: &[(usize, String, PieceKind)]) -> Option<Box<dyn Query>> {
    match pieces {
        [] => None,
        [(_, one, _)] => Some(term(f.body, one)),
        _ => {
            let first = pieces[0].0;
            let terms = pieces.iter().map(|(p, t, _)| (p - first, Term::from_field_text(f.body, t))).collect();
            Some(Box::new(PhraseQuery::new_with_offset(terms)))
        }
    }
}

/// What a clause matches: words as typed or begun, their English forms, phrases whole.
fn text_query(f: &Fields, t: &Text) -> Option<Box<dyn Query>> {
    let (pieces, whole) = query_pieces(&t.text);
    let (last, rest) = pieces.split_last()?;
    if t.partial {
        let begun = prefix_query(f, &last.1, last.2);
        let typed = match phrase(f, rest) {
            Some(before) => all(vec![before, begun]),
            None => begun,
        };
        if rest.is_empty() || whole.chars().count() > MAX_PREFIX_CHARS {
            return Some(typed);
        }
        return Some(any(vec![typed, term(f.body_prefix, &whole)]));
    }
    if t.phrase || pieces.len() > 1 {
        let exact = phrase(f, &pieces)?;
        if pieces.len() > 1 && !t.phrase {
            return Some(any(vec![exact, term(f.body, &whole)]));
        }
        return Some(exact);
    }
    let word = &last.1;
    if last.2 == PieceKind::Cjk {
        let field = if word.chars().count() == 1 { f.body_prefix } else { f.body };
        return Some(term(field, word));
    }
    // The word itself ranks first, then words it begins, then its other English forms.
    let mut forms = vec![boost(term(f.body, word), 2.0)];
    if word.chars().count() <= MAX_PREFIX_CHARS {
        forms.push(term(f.body_prefix, word));
    } else {
        forms.push(Box::new(PrefixQuery { field: f.body, prefix: word.clone() }));
    }
    // A word that is its own stem finds its other forms by the prefix already (`deploy`
    // finds `deployed`); the stem is asked only for a longer form (`deploying`): of the
    // stem field, which holds the other forms, and of the body, which holds the stem itself.
    if let Some(stem) = analysis::stem(word) {
        forms.push(boost(term(f.body_stem, &stem), 0.5));
        forms.push(boost(term(f.body, &stem), 0.5));
    }
    Some(any(forms))
}

/// What an excluded clause matches: the words or the phrase exactly.
fn exact_query(f: &Fields, t: &Text) -> Option<Box<dyn Query>> {
    let (pieces, whole) = query_pieces(&t.text);
    let exact = phrase(f, &pieces)?;
    if pieces.len() > 1 && !t.phrase {
        return Some(any(vec![exact, term(f.body, &whole)]));
    }
    Some(exact)
}

/// A word begun: its indexed prefix, or for a long one, the dictionary's words that start so.
fn prefix_query(f: &Fields, begun: &str, kind: PieceKind) -> Box<dyn Query> {
    let chars = begun.chars().count();
    if kind == PieceKind::Cjk && chars > 1 {
        return term(f.body, begun);
    }
    if chars <= MAX_PREFIX_CHARS {
        term(f.body_prefix, begun)
    } else {
        Box::new(PrefixQuery { field: f.body, prefix: begun.to_owned() })
    }
}

/// Terms of a field that begin with `prefix`, walked in the term dictionary.
#[derive(Debug, Clone)]
struct PrefixQuery {
    field: Field,
    prefix: String,
}

impl Query for PrefixQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::new(self.field, StartsWith(self.prefix.as_bytes().to_vec()))))
    }
}

/// An automaton accepting the byte strings that start with its bytes.
#[derive(Debug, Clone)]
struct StartsWith(Vec<u8>);

impl tantivy_fst::Automaton for StartsWith {
    /// How many bytes of the prefix have matched; `None` once one did not.
    type State = Option<usize>;

    fn start(&self) -> Option<usize> {
        Some(0)
    }

    fn is_match(&self, state: &Option<usize>) -> bool {
        state.is_some_and(|n| n >= self.0.len())
    }

    fn can_match(&self, state: &Option<usize>) -> bool {
        state.is_some()
    }

    fn will_always_match(&self, state: &Option<usize>) -> bool {
        self.is_match(state)
    }

    fn accept(&self, state: &Option<usize>, byte: u8) -> Option<usize> {
        match *state {
            Some(n) if n >= self.0.len() => Some(n),
            Some(n) if self.0[n] == byte => Some(n + 1),
            _ => None,
        }
    }
}
