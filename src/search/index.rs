//! The index on disk: its schema, the documents it holds, and its generations. Each
//! generation is a directory under `<data>/search/`; the file `CURRENT` names the one in use.
//! A rebuild makes a new generation beside the old one and then points `CURRENT` at it,
//! so searches are answered from the old index until the new one is complete.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::LogMergePolicy;
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use super::analysis;
use crate::wire;

/// The fields of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub msg_id: Field,
    pub workspace_id: Field,
    pub channel_id: Field,
    pub author_id: Field,
    pub thread_root: Field,
    /// Microseconds since the epoch (UTC), for dates and recency.
    pub ts: Field,
    /// Facts about the message that do not change without an edit: `link`, `file`,
    /// `reply`, `thread`, `everyone`, `mention:<user id>`.
    pub flags: Field,
    pub body: Field,
    pub body_prefix: Field,
    pub body_stem: Field,
}

impl Fields {
    /// The fields of an index's own schema, by name (an index of an older schema that lacks
    /// one is an error, and gets rebuilt).
    fn of(schema: &Schema) -> anyhow::Result<Fields> {
        let f = |name: &str| schema.get_field(name).with_context(|| format!("the search index has no field {name}"));
        Ok(Fields {
            msg_id: f("msg_id")?,
            workspace_id: f("workspace_id")?,
            channel_id: f("channel_id")?,
            author_id: f("author_id")?,
            thread_root: f("thread_root")?,
            ts: f("ts")?,
            flags: f("flags")?,
            body: f("body")?,
            body_prefix: f("body_prefix")?,
            body_stem: f("body_stem")?,
        })
    }
}

fn text_field(analyzer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(analyzer).set_index_option(record))
}

/// The schema, and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let ids = || INDEXED | FAST;
    let fields = Fields {
        msg_id: b.add_u64_field("msg_id", ids()),
        workspace_id: b.add_u64_field("workspace_id", ids()),
        channel_id: b.add_u64_field("channel_id", ids()),
        author_id: b.add_u64_field("author_id", ids()),
        thread_root: b.add_u64_field("thread_root", ids()),
        ts: b.add_i64_field("ts", FAST),
        flags: b.add_text_field("flags", STRING),
        body: b.add_text_field("body", text_field(analysis::WORDS, IndexRecordOption::WithFreqsAndPositions)),
        body_prefix: b.add_text_field("body_prefix", text_field(analysis::PREFIX, IndexRecordOption::WithFreqs)),
        body_stem: b.add_text_field("body_stem", text_field(analysis::STEM, IndexRecordOption::WithFreqs)),
    };
    (b.build(), fields)
}

/// What the index keeps about one message.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: i64,
    pub workspace_id: i64,
    pub channel_id: i64,
    pub author_id: i64,
    pub thread_root_id: Option<i64>,
    pub reply_count: i64,
    pub created_at: chrono::NaiveDateTime,
    pub text: String,
    /// The rendered HTML, read only for the facts it shows (links).
    pub html: String,
    pub mentioned_user_ids: Vec<i64>,
    pub mentions_everyone: bool,
    /// Names of the files it shares, searched like its words.
    pub file_names: Vec<String>,
}

impl Doc {
    /// A message as an event carries it, in the workspace the event belongs to.
    pub fn from_wire(m: &wire::Message, workspace_id: i64) -> Doc {
        Doc {
            id: m.id,
            workspace_id,
            channel_id: m.channel_id,
            author_id: m.user.id,
            thread_root_id: m.thread_root_id,
            reply_count: m.reply_count,
            created_at: m.created_at.0,
            text: m.text.clone(),
            html: m.html.clone(),
            mentioned_user_ids: m.mentioned_user_ids.clone(),
            mentions_everyone: m.mentions_everyone,
            file_names: m.files.iter().map(|f| f.name.clone()).collect(),
        }
    }

    fn flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        if self.html.contains("<a ") {
            flags.push("link".to_owned());
        }
        if self.thread_root_id.is_some() {
            flags.push("reply".to_owned());
        }
        if self.thread_root_id.is_some() || self.reply_count > 0 {
            flags.push("thread".to_owned());
        }
        if !self.file_names.is_empty() {
            flags.push("file".to_owned());
        }
        if self.mentions_everyone {
            flags.push("everyone".to_owned());
        }
        flags.extend(self.mentioned_user_ids.iter().map(|u| format!("mention:{u}")));
        flags
    }

    pub fn to_document(&self, f: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.msg_id, id(self.id));
        doc.add_u64(f.workspace_id, id(self.workspace_id));
        doc.add_u64(f.channel_id, id(self.channel_id));
        doc.add_u64(f.author_id, id(self.author_id));
        doc.add_u64(f.thread_root, self.thread_root_id.map_or(0, id));
        doc.add_i64(f.ts, self.created_at.and_utc().timestamp_micros());
        for flag in self.flags() {
            doc.add_text(f.flags, &flag);
        }
        doc.add_text(f.body, &self.text);
        doc.add_text(f.body_prefix, &self.text);
        doc.add_text(f.body_stem, &self.text);
        for name in &self.file_names {
            doc.add_text(f.body, name);
            doc.add_text(f.body_prefix, name);
        }
        doc
    }
}

/// Database ids are positive; the index stores them unsigned.
pub fn id(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The term that names one message, to delete or replace it.
pub fn msg_term(f: &Fields, message_id: i64) -> Term {
    Term::from_field_u64(f.msg_id, id(message_id))
}

/// What each commit records: how far into the event log the index is, and the analyzer
/// version it was made with.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stamp {
    pub seq: i64,
    pub version: u32,
}

/// One generation of the index, open for searching.
pub struct Generation {
    pub name: String,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
}

impl Generation {
    /// Where its commits say it is (none for an index never committed).
    pub fn stamp(&self) -> anyhow::Result<Option<Stamp>> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.as_deref().and_then(|p| serde_json::from_str(p).ok()))
    }

    /// A writer of `threads` indexing threads sharing a budget of `memory` bytes, with merges
    /// that also reclaim deleted messages.
    pub fn writer(&self, threads: usize, memory: usize) -> anyhow::Result<IndexWriter> {
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(memory / threads.max(1))
            .num_merge_threads(1)
            .build();
        let writer: IndexWriter = self.index.writer_with_options(options)?;
        let mut policy = LogMergePolicy::default();
        policy.set_del_docs_ratio_before_merge(0.2);
        writer.set_merge_policy(Box::new(policy));
        Ok(writer)
    }

    /// Commits what the writer holds, stamped, and makes it visible to searches.
    pub fn commit(&self, writer: &mut IndexWriter, stamp: Stamp) -> anyhow::Result<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&stamp)?);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}

/// The directory holding the generations.
pub struct Root {
    pub dir: PathBuf,
}

impl Root {
    pub fn new(data_dir: &Path) -> Root {
        Root { dir: data_dir.join("search") }
    }

    fn current_file(&self) -> PathBuf {
        self.dir.join("CURRENT")
    }

    /// The name of the generation in use, if any.
    pub fn current_name(&self) -> Option<String> {
        let name = std::fs::read_to_string(self.current_file()).ok()?;
        let name = name.trim();
        (!name.is_empty() && !name.contains(['/', '\\', '.'])).then(|| name.to_owned())
    }

    /// Opens the generation `CURRENT` names.
    pub fn open_current(&self) -> anyhow::Result<Option<Generation>> {
        let Some(name) = self.current_name() else { return Ok(None) };
        let path = self.dir.join(&name);
        if !path.is_dir() {
            return Ok(None);
        }
        let index =
            Index::open_in_dir(&path).with_context(|| format!("opening the search index {}", path.display()))?;
        Ok(Some(open(name, index)?))
    }

    /// Makes a new, empty generation beside the current one.
    pub fn create(&self) -> anyhow::Result<Generation> {
        let name = uuid::Uuid::new_v4().simple().to_string();
        let path = self.dir.join(&name);
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        let (schema, _) = schema();
        let index = Index::create(MmapDirectory::open(&path)?, schema, tantivy::IndexSettings::default())?;
        open(name, index)
    }

    /// Points `CURRENT` at a generation (written beside, synced, then renamed over).
    pub fn make_current(&self, name: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let temp = self.dir.join("CURRENT.new");
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(name.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, self.current_file())?;
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Deletes every generation but the current one and `keep`, except those a writer still
    /// holds (another process's). Files still mapped by searches stay readable until closed.
    pub fn remove_others(&self, keep: Option<&str>) {
        let current = self.current_name();
        let Ok(entries) = std::fs::read_dir(&self.dir) else { return };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if !path.is_dir() || Some(name.as_str()) == current.as_deref() || Some(name.as_str()) == keep {
                continue;
            }
            if path.join(".tantivy-writer.lock").exists() && !unlocked(&path) {
                continue;
            }
            if let Err(e) = std::fs::remove_dir_all(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not remove an old search index");
            }
        }
    }
}

/// Can a writer be had on this directory (so nobody is writing to it)?
fn unlocked(path: &Path) -> bool {
    let Ok(index) = Index::open_in_dir(path) else { return true };
    analysis::register(&index);
    index.writer::<TantivyDocument>(15_000_000).is_ok()
}

fn open(name: String, index: Index) -> anyhow::Result<Generation> {
    analysis::register(&index);
    let fields = Fields::of(&index.schema())?;
    let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
    Ok(Generation { name, index, reader, fields })
}
