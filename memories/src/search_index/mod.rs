//! Ranked search over the memory folder: an FTS5 index (BM25, Porter stemming) of its entries in
//! the memories DB, kept in step with the files. [`sync_index`] compares each indexable file's
//! size and modification time with what the index recorded, re-reads only those that moved,
//! re-cuts only those whose content hash changed, and drops the entries of removed files, in one
//! transaction; [`ranked_search`] syncs, then asks the index. The folder is the truth: the index
//! is a cache that can be rebuilt from it at any time.

mod files;
mod parse;
mod sources;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use codex_state::{
    EntryHit, EntryKind, EntrySearch, FileUpdate, IndexUpdateReport, IndexedFile, MemoryStore,
    StateError,
};
use serde::Serialize;

use crate::redact::redact;
use crate::scope::{GLOBAL_SCOPE_NAME, ProjectKey, Scope};
use crate::stable_hash::fnv1a_64;

pub use files::{FoundFile, MAX_INDEXED_FILE_BYTES, indexable_files};
pub use parse::{FileRole, PROJECT_HEADER, entries_of, file_role};

/// A file modified this recently (ns) may change again within the same mtime tick; its stat is
/// not trusted next time (recorded as 0, so the next sync re-hashes it).
const RACY_WINDOW_NS: i64 = 2_000_000_000;
/// Hits returned when a caller does not say.
pub const DEFAULT_SEARCH_LIMIT: u32 = 10;
/// Most hits a caller may ask for.
pub const MAX_SEARCH_LIMIT: u32 = 500;

/// Why the index could not be brought in step or asked.
#[derive(Debug, thiserror::Error)]
pub enum SearchIndexError {
    /// A file or folder of the memory folder could not be read.
    #[error("cannot read {} for the search index: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index in the memories DB failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// The blocking reader task died.
    #[error("the search index reader stopped unexpectedly: {0}")]
    Worker(String),
}

/// Which entries a search may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchScope {
    /// Global entries and one project's.
    Project {
        /// The project's folder slug (see [`ProjectKey::slug`]).
        slug: String,
    },
    /// Global entries only.
    Global,
    /// Every project's entries and the global ones.
    All,
}

impl SearchScope {
    /// Global entries and the entries of `key`'s project.
    pub fn project(key: &ProjectKey) -> Self {
        Self::Project { slug: key.slug() }
    }

    /// What a session in a folder of `scope` may see.
    pub fn of_session(scope: &Scope) -> Self {
        match scope {
            Scope::Project(key) => Self::project(key),
            Scope::Global => Self::Global,
        }
    }

    /// The index scopes (`""` = global, else slugs) this allows; `None` = all.
    fn index_scopes(&self) -> Option<Vec<String>> {
        match self {
            Self::Project { slug } => Some(vec![String::new(), slug.clone()]),
            Self::Global => Some(vec![String::new()]),
            Self::All => None,
        }
    }
}

/// A ranked search request. Another crate makes one with [`RankedQuery::new`] and the `with_*`
/// setters (more options may come).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RankedQuery {
    /// The question, in plain words.
    pub text: String,
    /// Which scopes may answer.
    pub scope: SearchScope,
    /// Only these kinds; all when `None`.
    pub kinds: Option<Vec<EntryKind>>,
    /// Most hits (at most [`MAX_SEARCH_LIMIT`]).
    pub limit: u32,
}

impl RankedQuery {
    /// A search for `text` within `scope`, over every kind, for at most
    /// [`DEFAULT_SEARCH_LIMIT`] hits.
    pub fn new(text: impl Into<String>, scope: SearchScope) -> Self {
        Self {
            text: text.into(),
            scope,
            kinds: None,
            limit: DEFAULT_SEARCH_LIMIT,
        }
    }

    /// Only entries of `kinds`; `None` is every kind.
    #[must_use]
    pub fn with_kinds(mut self, kinds: Option<Vec<EntryKind>>) -> Self {
        self.kinds = kinds;
        self
    }

    /// At most `limit` hits (clamped to 1..=[`MAX_SEARCH_LIMIT`]).
    #[must_use]
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// One ranked hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedHit {
    /// The file, relative to the memory root.
    pub path: String,
    /// The entry's first line (1-based).
    pub line: i64,
    /// The project key, or `global`.
    pub project: String,
    /// The project's folder slug; `None` for global entries.
    pub project_slug: Option<String>,
    /// What kind of memory it is.
    pub kind: EntryKind,
    /// Its heading.
    pub title: String,
    /// A few words around the best match.
    pub snippet: String,
    /// The session it came from, when known.
    pub thread_id: Option<String>,
    /// BM25 score weighed by the entry's kind (lower is better).
    pub score: f64,
    /// The entry's whole text.
    #[serde(skip)]
    pub text: String,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct IndexSyncReport {
    /// Indexable files found in the folder.
    pub files_seen: usize,
    /// What the index update changed (all zero when nothing moved).
    pub update: IndexUpdateReport,
}

/// Brings the index of the memory folder `root` in step with its files.
pub async fn sync_index(
    store: &MemoryStore,
    root: &Path,
) -> Result<IndexSyncReport, SearchIndexError> {
    let root_text = root.display().to_string();
    let recorded_root = store.entry_index_root().await?;
    let known: HashMap<String, IndexedFile> = if recorded_root.as_deref() == Some(&root_text) {
        store
            .indexed_files()
            .await?
            .into_iter()
            .map(|file| (file.path.clone(), file))
            .collect()
    } else {
        HashMap::new()
    };
    let owned_root = root.to_path_buf();
    let (files_seen, updates, removed) =
        tokio::task::spawn_blocking(move || plan_updates(&owned_root, known))
            .await
            .map_err(|error| SearchIndexError::Worker(error.to_string()))??;
    let needs_write =
        recorded_root.as_deref() != Some(&root_text) || !updates.is_empty() || !removed.is_empty();
    let update = if needs_write {
        store
            .update_entry_index(&root_text, &updates, &removed)
            .await?
    } else {
        IndexUpdateReport::default()
    };
    Ok(IndexSyncReport { files_seen, update })
}

/// Reads what changed since `known` was recorded: the updates to write and the paths removed.
fn plan_updates(
    root: &Path,
    mut known: HashMap<String, IndexedFile>,
) -> Result<(usize, Vec<FileUpdate>, Vec<String>), SearchIndexError> {
    let found = indexable_files(root).map_err(|source| SearchIndexError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let now_ns = files::nanos_since_epoch(std::time::SystemTime::now());
    let mut updates = Vec::new();
    let mut removed = Vec::new();
    let mut summaries_read = HashMap::new();
    for file in &found {
        let previous = known.remove(&file.relative);
        if let Some(previous) = &previous
            && previous.size == file.size
            && previous.modified_ns == file.modified_ns
            && file.modified_ns != 0
        {
            continue;
        }
        let text = match std::fs::read(&file.absolute) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            // Removed since the listing: it is gone from the index below.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                if previous.is_some() {
                    removed.push(file.relative.clone());
                }
                continue;
            }
            Err(source) => {
                return Err(SearchIndexError::Io {
                    path: file.absolute.clone(),
                    source,
                });
            }
        };
        let content_hash = format!("{:016x}", fnv1a_64(text.as_bytes()));
        // A hand-edited file may hold a secret: the index, snippets and the read path get the
        // redacted text only.
        let text = redact(&text).text;
        let racy = now_ns.saturating_sub(file.modified_ns) < RACY_WINDOW_NS;
        let indexed = IndexedFile {
            path: file.relative.clone(),
            size: file.size,
            modified_ns: if racy { 0 } else { file.modified_ns },
            content_hash: content_hash.clone(),
        };
        let unchanged = previous.is_some_and(|previous| previous.content_hash == content_hash);
        let entries = (!unchanged).then(|| {
            let mut entries = entries_of(&file.relative, &file.role, &text);
            if matches!(file.role, FileRole::Memory { .. }) {
                sources::attribute_sessions(root, &mut entries, &mut summaries_read);
            }
            entries
        });
        updates.push(FileUpdate {
            file: indexed,
            entries,
        });
    }
    removed.extend(known.into_keys());
    removed.sort();
    Ok((found.len(), updates, removed))
}

/// Syncs the index of `root`, then returns the best entries for `query`, best first.
pub async fn ranked_search(
    store: &MemoryStore,
    root: &Path,
    query: &RankedQuery,
) -> Result<Vec<RankedHit>, SearchIndexError> {
    sync_index(store, root).await?;
    search_synced(store, query).await
}

/// The best entries for `query` from the index as it is (no sync).
pub async fn search_synced(
    store: &MemoryStore,
    query: &RankedQuery,
) -> Result<Vec<RankedHit>, SearchIndexError> {
    let hits = store
        .search_entries(&EntrySearch {
            text: query.text.clone(),
            scopes: query.scope.index_scopes(),
            kinds: query.kinds.clone(),
            limit: query.limit.clamp(1, MAX_SEARCH_LIMIT),
        })
        .await?;
    Ok(hits.into_iter().map(ranked_hit).collect())
}

fn ranked_hit(hit: EntryHit) -> RankedHit {
    let project_slug = (!hit.scope.is_empty()).then(|| hit.scope.clone());
    let project = match (&hit.project, &project_slug) {
        (Some(key), _) => key.clone(),
        (None, Some(slug)) => format!("{}/{slug}", crate::scope::PROJECTS_DIR),
        (None, None) => GLOBAL_SCOPE_NAME.to_string(),
    };
    RankedHit {
        path: hit.path,
        line: hit.line,
        project,
        project_slug,
        kind: hit.kind,
        title: hit.title,
        snippet: hit.snippet,
        thread_id: hit.thread_id,
        score: hit.score,
        text: hit.body,
    }
}

#[cfg(test)]
mod tests;
