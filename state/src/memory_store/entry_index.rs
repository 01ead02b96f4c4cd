//! The memory folder's search index, write side: which files it was built from (path, size,
//! mtime, content hash) and their entries, replaced file by file in one transaction. The index is
//! a cache of one memory root; syncing another root empties it first. What counts as an entry is
//! the memories crate's business: this module stores and deletes what it is given.

use serde::Serialize;
use sqlx::Row;

use super::MemoryStore;
use crate::StateError;

/// What kind of memory an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryKind {
    /// A `### …` entry of a consolidated `MEMORY.md` (global or a project's).
    Memory,
    /// A summary injected into sessions (`memory_summary.md`, a project's `summary.md`).
    Summary,
    /// One thread's raw memory (a block of `raw_memories.md`).
    RawMemory,
    /// One thread's rollout summary (`rollout_summaries/*.md`).
    RolloutSummary,
    /// An ad hoc note left by the user or an agent.
    Note,
    /// A skill (`skills/<name>/SKILL.md`).
    Skill,
}

impl EntryKind {
    /// Every kind, in a fixed order.
    pub const ALL: [Self; 6] = [
        Self::Memory,
        Self::Summary,
        Self::RawMemory,
        Self::RolloutSummary,
        Self::Note,
        Self::Skill,
    ];

    /// The stored name (`memory`, `summary`, `raw_memory`, `rollout_summary`, `note`, `skill`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Summary => "summary",
            Self::RawMemory => "raw_memory",
            Self::RolloutSummary => "rollout_summary",
            Self::Note => "note",
            Self::Skill => "skill",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// One indexed file as it was when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexedFile {
    /// Path relative to the memory root, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: i64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub modified_ns: i64,
    /// A hash of the content (any stable text; compared for equality only).
    pub content_hash: String,
}

/// One entry of a file, as stored in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexedEntry {
    /// The entry's first line in its file (1-based).
    pub line: i64,
    /// What it is.
    pub kind: EntryKind,
    /// `""` for a global entry, else its project's folder slug.
    pub scope: String,
    /// The project key, when known.
    pub project: Option<String>,
    /// The session it came from, when it names one.
    pub thread_id: Option<String>,
    /// Its heading (indexed with a higher weight than the text).
    pub title: String,
    /// Its text.
    pub body: String,
}

/// A file to (re)index: its current stat, and its entries when its content changed (`None`
/// when only the stat moved and the content hash is the same, so the entries stay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpdate {
    /// The file as just read.
    pub file: IndexedFile,
    /// Its entries, or `None` to keep the stored ones.
    pub entries: Option<Vec<IndexedEntry>>,
}

/// What one index update changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IndexUpdateReport {
    /// Whether the index described another root (or none) and was emptied first.
    pub reset: bool,
    /// Files whose entries were replaced.
    pub files_reindexed: usize,
    /// Files whose stat alone was refreshed.
    pub files_touched: usize,
    /// Files removed with their entries.
    pub files_removed: usize,
    /// Entries written.
    pub entries_written: usize,
}

impl MemoryStore {
    /// The memory root the index describes, when it describes one.
    pub async fn entry_index_root(&self) -> Result<Option<String>, StateError> {
        sqlx::query_scalar("SELECT root FROM memory_index_root WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| self.query_error("read the search index root", source))
    }

    /// Every indexed file with the stat and hash it was read at, by path.
    pub async fn indexed_files(&self) -> Result<Vec<IndexedFile>, StateError> {
        let rows = sqlx::query(
            "SELECT path, size, modified_ns, content_hash FROM memory_index_files ORDER BY path",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.query_error("read indexed files", source))?;
        rows.iter()
            .map(|row| {
                let get = |error: sqlx::Error| {
                    self.bad_row("memory_index_files row".to_string(), error.to_string())
                };
                Ok(IndexedFile {
                    path: row.try_get("path").map_err(get)?,
                    size: row.try_get("size").map_err(get)?,
                    modified_ns: row.try_get("modified_ns").map_err(get)?,
                    content_hash: row.try_get("content_hash").map_err(get)?,
                })
            })
            .collect()
    }

    /// Brings the index of `root` in step: `updates` replace (or re-stat) their files, `removed`
    /// paths go with their entries. One transaction, so a search never sees half a file. When
    /// the index describes another root, it is emptied first.
    pub async fn update_entry_index(
        &self,
        root: &str,
        updates: &[FileUpdate],
        removed: &[String],
    ) -> Result<IndexUpdateReport, StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "update the search index";
            let query_error = |source| self.query_error(OPERATION, source);
            // Two processes may sync at once from what each read of the folder. The write lock
            // is taken before the root is read, so one whole update lands after the other; a
            // file one of them read before a later change is stored with its older stat, which
            // the next sync sees as changed and reads again.
            let mut transaction = self.begin_immediate(OPERATION).await?;
            let recorded: Option<String> =
                sqlx::query_scalar("SELECT root FROM memory_index_root WHERE id = 1")
                    .fetch_optional(&mut *transaction)
                    .await
                    .map_err(query_error)?;
            let mut report = IndexUpdateReport::default();
            if recorded.as_deref() != Some(root) {
                report.reset = true;
                for statement in [
                    "DELETE FROM memory_index_entries",
                    "DELETE FROM memory_index_files",
                ] {
                    sqlx::query(statement)
                        .execute(&mut *transaction)
                        .await
                        .map_err(query_error)?;
                }
                sqlx::query(
                    "INSERT INTO memory_index_root (id, root) VALUES (1, ?1) \
                     ON CONFLICT (id) DO UPDATE SET root = excluded.root",
                )
                .bind(root)
                .execute(&mut *transaction)
                .await
                .map_err(query_error)?;
            }
            for path in removed {
                for statement in [
                    "DELETE FROM memory_index_entries WHERE path = ?",
                    "DELETE FROM memory_index_files WHERE path = ?",
                ] {
                    sqlx::query(statement)
                        .bind(path)
                        .execute(&mut *transaction)
                        .await
                        .map_err(query_error)?;
                }
                report.files_removed += 1;
            }
            let now = self.now();
            for update in updates {
                let file = &update.file;
                sqlx::query(
                    "INSERT INTO memory_index_files (path, size, modified_ns, content_hash, \
                                                     indexed_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (path) DO UPDATE SET size = excluded.size, \
                         modified_ns = excluded.modified_ns, \
                         content_hash = excluded.content_hash, indexed_at = excluded.indexed_at",
                )
                .bind(&file.path)
                .bind(file.size)
                .bind(file.modified_ns)
                .bind(&file.content_hash)
                .bind(now)
                .execute(&mut *transaction)
                .await
                .map_err(query_error)?;
                let Some(entries) = &update.entries else {
                    report.files_touched += 1;
                    continue;
                };
                sqlx::query("DELETE FROM memory_index_entries WHERE path = ?")
                    .bind(&file.path)
                    .execute(&mut *transaction)
                    .await
                    .map_err(query_error)?;
                for entry in entries {
                    sqlx::query(
                        "INSERT INTO memory_index_entries (path, line, kind, scope, project, \
                                                           thread_id, title, body) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )
                    .bind(&file.path)
                    .bind(entry.line)
                    .bind(entry.kind.as_str())
                    .bind(&entry.scope)
                    .bind(&entry.project)
                    .bind(&entry.thread_id)
                    .bind(&entry.title)
                    .bind(&entry.body)
                    .execute(&mut *transaction)
                    .await
                    .map_err(query_error)?;
                }
                report.files_reindexed += 1;
                report.entries_written += entries.len();
            }
            self.commit(transaction, OPERATION).await?;
            Ok(report)
        })
        .await
    }

    /// Empties the index (files, entries and the recorded root).
    pub async fn clear_entry_index(&self) -> Result<(), StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "clear the search index";
            let mut transaction = self.begin_immediate(OPERATION).await?;
            for statement in [
                "DELETE FROM memory_index_entries",
                "DELETE FROM memory_index_files",
                "DELETE FROM memory_index_root",
            ] {
                sqlx::query(statement)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|source| self.query_error(OPERATION, source))?;
            }
            self.commit(transaction, OPERATION).await
        })
        .await?;
        self.compact_entry_index().await
    }

    /// Merges the full-text index into one segment, which drops every token of deleted entries
    /// (an FTS5 delete only marks them until segments merge). Run after a forget or clear,
    /// before [`MemoryStore::scrub_deleted_text`], so no trace of a forgotten text stays.
    pub async fn compact_entry_index(&self) -> Result<(), StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "compact the search index";
            let (_gate, mut connection) = self.write_connection(OPERATION).await?;
            sqlx::query("INSERT INTO memory_index_fts (memory_index_fts) VALUES ('optimize')")
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error(OPERATION, source))?;
            Ok(())
        })
        .await
    }
}
