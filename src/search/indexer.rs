//! The indexer: one per node, a follower of the event log. It owns the index writer, turns
//! message events into documents (an edit replaces, a deletion removes), and commits at
//! most every quarter second with the `seq` it reached, so a restart resumes where the last
//! commit left off. A missing, stale or outdated index is rebuilt from the database while
//! the old one keeps answering.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tantivy::IndexWriter;
use tokio_util::sync::CancellationToken;

use super::SearchIndex;
use super::analysis;
use super::index::{Doc, Generation, Root, Stamp, msg_term};
use crate::db::events::EventRow;
use crate::db::{self, Db};
use crate::events::{self, Event, EventData, Follower};
use crate::workers::Workers;

/// Commits are at least this far apart; what arrives meanwhile goes into the next.
const COMMIT_WINDOW: Duration = Duration::from_millis(250);
/// Log rows read per step.
const BATCH: i64 = 1000;
/// The live writer's memory budget (tantivy's smallest is 15 MB).
const LIVE_MEMORY: usize = 32 << 20;
/// A rebuild's memory budget, shared by its indexing threads.
const REBUILD_MEMORY: usize = 256 << 20;
/// A rebuild indexes on two threads while the database is read on a third (the live
/// writer's one thread keeps up with any posting rate).
const REBUILD_THREADS: usize = 2;
/// Messages read from the database per query while rebuilding.
const REBUILD_BATCH: i64 = 2000;
/// Without message events, the cursor is still committed after this many rows, so that a
/// restart does not re-read a long stretch of other events.
const STAMP_EVERY: i64 = 10_000;

/// Reports a rebuild's progress: messages done, of about how many.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// Starts the indexer of this node.
pub fn start(workers: &Workers, db: Db, index: SearchIndex) {
    workers.spawn("search-indexer", move |stop| async move {
        while !stop.is_cancelled() {
            match follow(&db, &index, &stop).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "the search indexer failed; starting again in 5 s");
                    let _ = stop.run_until_cancelled(tokio::time::sleep(Duration::from_secs(5))).await;
                }
            }
        }
    });
}

/// The generation being written, its writer, and how far it is.
struct Live {
    generation: Arc<Generation>,
    writer: Arc<Mutex<IndexWriter>>,
    stamp: Stamp,
}

async fn follow(db: &Db, index: &SearchIndex, stop: &CancellationToken) -> anyhow::Result<()> {
    let Some(mut live) = ready(db, index, stop).await? else { return Ok(()) };
    let mut follower = Follower::new(db, live.stamp.seq);
    let mut committed = live.stamp.seq;
    loop {
        // `hearth reindex` in another process made a new generation current: take it up.
        if index.root.current_name().is_some_and(|name| name != live.generation.name) {
            drop(live);
            let Some(adopted) = ready(db, index, stop).await? else { return Ok(()) };
            live = adopted;
            follower = Follower::new(db, live.stamp.seq);
            committed = live.stamp.seq;
        }
        let rows = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            rows = follower.next_batch(BATCH) => rows?,
        };
        let Some(last) = rows.last().map(|r| r.seq) else { continue };
        let (generation, writer) = (live.generation.clone(), live.writer.clone());
        let force = last - committed >= STAMP_EVERY;
        let done = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let mut writer = writer.lock().unwrap_or_else(|p| p.into_inner());
            let changed = apply(&generation, &writer, rows);
            if changed || force {
                generation.commit(&mut writer, Stamp { seq: last, version: analysis::VERSION })?;
            }
            Ok(changed || force)
        })
        .await??;
        if done {
            committed = last;
            live.stamp.seq = last;
            let _ = stop.run_until_cancelled(tokio::time::sleep(COMMIT_WINDOW)).await;
        }
    }
}

/// The generation to write to: the current one if it is sound and up to date with the log's
/// retention, else a new one built from the database (and made current). `None` if stopped.
async fn ready(db: &Db, index: &SearchIndex, stop: &CancellationToken) -> anyhow::Result<Option<Live>> {
    if let Some(generation) = index.root.open_current().unwrap_or_else(|e| {
        tracing::warn!(error = format!("{e:#}"), "the search index cannot be opened; rebuilding it");
        None
    }) {
        let stamp = generation.stamp()?;
        let usable = match stamp {
            Some(s) if s.version == analysis::VERSION => {
                let seq = s.seq;
                match db
                    .read(move |c| {
                        let head = events::head(c)?;
                        events::check_cursor(c, seq, head)
                    })
                    .await
                {
                    Ok(()) => true,
                    Err(crate::error::AppError::Gone(_)) => {
                        tracing::info!(seq, "the search index is older than the kept event log; rebuilding it");
                        false
                    }
                    Err(e) => return Err(anyhow::anyhow!("{e}")),
                }
            }
            _ => {
                tracing::info!("the search index was made by another version; rebuilding it");
                false
            }
        };
        if let (true, Some(stamp)) = (usable, stamp) {
            let writer = generation.writer(1, LIVE_MEMORY)?;
            let generation = Arc::new(generation);
            index.swap(generation.clone());
            index.root.remove_others(None);
            return Ok(Some(Live { generation, writer: Arc::new(Mutex::new(writer)), stamp }));
        }
        // The outdated generation keeps answering (if it was in use) until the new one is done.
        if index.generation().is_none() {
            index.swap(Arc::new(generation));
        }
    }
    let (db2, root, stop2) = (db.clone(), index.root.clone(), stop.clone());
    let built = tokio::task::spawn_blocking(move || rebuild(&db2, &root, &|_, _| {}, &stop2)).await??;
    let Some(built) = built else { return Ok(None) };
    tracing::info!(messages = built.messages, seconds = built.took.as_secs_f64(), "built the search index");
    index.root.make_current(&built.generation.name)?;
    let writer = built.generation.writer(1, LIVE_MEMORY)?;
    let stamp = built.generation.stamp()?.context("a rebuilt index has its stamp")?;
    let generation = Arc::new(built.generation);
    index.swap(generation.clone());
    index.root.remove_others(None);
    Ok(Some(Live { generation, writer: Arc::new(Mutex::new(writer)), stamp }))
}

/// Applies log rows to the writer; returns whether any touched the index.
fn apply(generation: &Generation, writer: &IndexWriter, rows: Vec<EventRow>) -> bool {
    let f = &generation.fields;
    let mut changed = false;
    for row in rows {
        let event = match Event::from_row(row) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(error = %e, "the search indexer skipped an event that cannot be read");
                continue;
            }
        };
        let workspace_id = event.workspace_id.unwrap_or(0);
        let mut replace = |m: &crate::wire::Message| {
            writer.delete_term(msg_term(f, m.id));
            if !m.deleted {
                let _ = writer.add_document(Doc::from_wire(m, workspace_id).to_document(f));
            }
            changed = true;
        };
        match &event.data {
            EventData::MessageCreated { message, thread_root } => {
                replace(message);
                // The root is a thread now (or has one more reply).
                if let Some(root) = thread_root {
                    replace(root);
                }
            }
            EventData::MessageEdited { message } | EventData::MessageDeleted { message } => replace(message),
            _ => {}
        }
    }
    changed
}

/// What a rebuild made.
pub struct Built {
    pub generation: Generation,
    pub messages: u64,
    pub took: Duration,
}

/// Builds a new generation from the database: the log's head is read first, then every
/// message, and the commit is stamped with that head, so the indexer catches up from there
/// (replaying an event is harmless: it replaces the document). The new generation is not
/// made current. `None` if stopped first.
pub fn rebuild(
    db: &Db,
    root: &Root,
    progress: Progress<'_>,
    stop: &CancellationToken,
) -> anyhow::Result<Option<Built>> {
    let started = Instant::now();
    let mut conn = db.conn().map_err(|e| anyhow::anyhow!("{e}"))?;
    let head = events::head(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
    let total = u64::try_from(db::search::count_messages(&mut conn)?).unwrap_or(0);
    let generation = root.create()?;
    let mut writer = generation.writer(REBUILD_THREADS, REBUILD_MEMORY)?;
    let f = generation.fields;
    let (mut after, mut done) = (0, 0u64);
    loop {
        if stop.is_cancelled() {
            return Ok(None);
        }
        let rows = db::search::messages_after(&mut conn, after, REBUILD_BATCH)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut mentions: std::collections::HashMap<i64, (Vec<i64>, bool)> = std::collections::HashMap::new();
        for (message, user) in db::messages::mentions_of(&mut conn, &ids)? {
            let entry = mentions.entry(message).or_default();
            match user {
                Some(u) => entry.0.push(u),
                None => entry.1 = true,
            }
        }
        let mut file_names: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for (message, name) in db::files::FileRow::names_of_messages(&mut conn, &ids)? {
            file_names.entry(message).or_default().push(name);
        }
        for row in rows {
            let (mentioned_user_ids, mentions_everyone) = mentions.remove(&row.id).unwrap_or_default();
            let doc = Doc {
                id: row.id,
                workspace_id: row.workspace_id,
                channel_id: row.channel_id,
                author_id: row.user_id,
                thread_root_id: row.thread_root_id,
                reply_count: row.reply_count,
                created_at: row.created_at,
                text: row.text,
                html: row.html,
                mentioned_user_ids,
                mentions_everyone,
                file_names: file_names.remove(&row.id).unwrap_or_default(),
            };
            writer.add_document(doc.to_document(&f))?;
            done += 1;
        }
        progress(done, total.max(done));
    }
    generation.commit(&mut writer, Stamp { seq: head, version: analysis::VERSION })?;
    writer.wait_merging_threads()?;
    Ok(Some(Built { generation, messages: done, took: started.elapsed() }))
}
