//! Full-text search on tantivy: a per-node index under `<data>/search/`, kept by one
//! indexer that follows the event log (its cursor is the `seq` in each commit, so a crash
//! loses nothing), rebuilt from the database when it is missing, stale or of an older
//! analyzer, and queried with the permission filter always inside the query.

mod analysis;
mod index;
mod indexer;
mod query;

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwapOption;

pub use index::{Doc, Generation, Root};
pub use indexer::{Progress, rebuild, start};
pub use query::{Condition, Hits, Plan, Sort, marks};

/// The search index of this node: the generation searches read, swapped whole when a
/// rebuild completes. Clones share it.
#[derive(Clone)]
pub struct SearchIndex {
    current: Arc<ArcSwapOption<Generation>>,
    root: Arc<Root>,
}

impl SearchIndex {
    /// Opens the generation in use under the data directory, if there is one; the indexer
    /// makes one when there is not.
    pub fn open(data_dir: &Path) -> SearchIndex {
        let root = Root::new(data_dir);
        let current = match root.open_current() {
            Ok(found) => found.map(Arc::new),
            Err(e) => {
                tracing::warn!(error = %e, "the search index cannot be opened; it will be rebuilt");
                None
            }
        };
        SearchIndex { current: Arc::new(ArcSwapOption::new(current)), root: Arc::new(root) }
    }

    /// The generation to search, if one is ready.
    pub fn generation(&self) -> Option<Arc<Generation>> {
        self.current.load_full()
    }

    fn swap(&self, generation: Arc<Generation>) {
        self.current.store(Some(generation));
    }

    /// Runs a search on the generation in use (`None` while the first one is being built).
    pub fn search(&self, plan: &Plan<'_>) -> anyhow::Result<Option<Hits>> {
        let Some(generation) = self.generation() else { return Ok(None) };
        Ok(Some(query::run(&generation, plan)?))
    }
}
