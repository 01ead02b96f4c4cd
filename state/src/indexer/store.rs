//! The indexer's writes: the stored (path, size, mtime) map read in one query, batched upserts
//! of parsed rows and failures, and removal of rows whose file is gone. Every write batch is one
//! `BEGIN IMMEDIATE` transaction, so a batch is either all in or not at all, and two indexers on
//! one home queue on the write lock (busy timeout) instead of failing mid-transaction.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sqlx::{Sqlite, Transaction};

use crate::indexer::FailedFile;
use crate::threads::{ThreadRow, bind_thread_columns};
use crate::{StateError, StateRuntime, StoredStat};

/// What the database remembers about one rollout file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredFile {
    /// The stat it had when it was read.
    pub stat: StoredStat,
    /// Set when the file is remembered as not indexable.
    pub failure: Option<String>,
    /// Whether a thread row is stored under this path (a failure may sit over it).
    pub is_thread: bool,
}

/// The outcome of parsing one file, ready to store.
pub(crate) type Parsed = Result<ThreadRow, FailedFile>;

/// Counts from one stored batch.
#[derive(Debug, Default)]
pub(crate) struct BatchCounts {
    pub added: u64,
    pub updated: u64,
    pub failed: Vec<FailedFile>,
}

/// The text key a path is stored under.
pub(crate) fn path_key(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

impl StateRuntime {
    /// Every indexed or failed file with the stat it had, keyed by path: two queries, no parsing.
    pub(crate) async fn load_stored_files(
        &self,
    ) -> Result<HashMap<String, StoredFile>, StateError> {
        let threads: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT rollout_path, file_size, file_mtime_ns, file_inode, file_ctime_ns FROM threads",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|source| self.query_error("load indexed files", source))?;
        let failures: Vec<(String, i64, i64, i64, i64, String)> = sqlx::query_as(
            "SELECT rollout_path, file_size, file_mtime_ns, file_inode, file_ctime_ns, reason \
             FROM index_failures",
        )
        .fetch_all(self.pool())
        .await
        .map_err(|source| self.query_error("load failed files", source))?;
        let mut stored = HashMap::with_capacity(threads.len() + failures.len());
        for (path, size, mtime_ns, inode, ctime_ns) in threads {
            let stat = stored_stat(size, mtime_ns, inode, ctime_ns);
            stored.insert(
                path,
                StoredFile {
                    stat,
                    failure: None,
                    is_thread: true,
                },
            );
        }
        // A failure is newer than a row left from before the file broke: it wins.
        for (path, size, mtime_ns, inode, ctime_ns, reason) in failures {
            let is_thread = stored.get(&path).is_some_and(|file| file.is_thread);
            let stat = stored_stat(size, mtime_ns, inode, ctime_ns);
            stored.insert(
                path,
                StoredFile {
                    stat,
                    failure: Some(reason),
                    is_thread,
                },
            );
        }
        Ok(stored)
    }

    /// Stores one batch of parse results in one transaction. `live_paths` are all rollout files
    /// of this walk: a thread already indexed from another live file is not moved.
    pub(crate) async fn store_batch(
        &self,
        batch: Vec<(crate::FileStat, Parsed)>,
        live_paths: &HashSet<String>,
    ) -> Result<BatchCounts, StateError> {
        let mut counts = BatchCounts::default();
        let mut tx = self.begin_immediate().await?;
        for (file, parsed) in batch {
            let key = path_key(&file.path);
            let outcome = match parsed {
                Ok(row) => self.store_row(&mut tx, &key, &row, live_paths).await?,
                Err(failed) => Err(failed),
            };
            match outcome {
                Ok(true) => counts.added += 1,
                Ok(false) => counts.updated += 1,
                Err(failed) => {
                    self.store_failure(&mut tx, &key, &file, &failed.reason)
                        .await?;
                    counts.failed.push(failed);
                }
            }
        }
        tx.commit()
            .await
            .map_err(|source| self.query_error("commit index batch", source))?;
        Ok(counts)
    }

    /// How many thread rows are stored under these paths.
    pub(crate) async fn count_threads_at(&self, paths: &[String]) -> Result<u64, StateError> {
        let mut count = 0;
        for path in paths {
            let (found,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM threads WHERE rollout_path = ?")
                    .bind(path)
                    .fetch_one(self.pool())
                    .await
                    .map_err(|source| self.query_error("count threads of gone files", source))?;
            count += u64::try_from(found).unwrap_or(0);
        }
        Ok(count)
    }

    /// Deletes the failures of files that are gone and, with `threads`, their thread rows too;
    /// returns how many threads went.
    pub(crate) async fn remove_missing(
        &self,
        paths: &[String],
        threads: bool,
    ) -> Result<u64, StateError> {
        let mut removed = 0;
        for chunk in paths.chunks(super::BATCH_ROWS) {
            let mut tx = self.begin_immediate().await?;
            for path in chunk {
                if threads {
                    removed += sqlx::query("DELETE FROM threads WHERE rollout_path = ?")
                        .bind(path)
                        .execute(&mut *tx)
                        .await
                        .map_err(|source| self.query_error("remove thread", source))?
                        .rows_affected();
                }
                sqlx::query("DELETE FROM index_failures WHERE rollout_path = ?")
                    .bind(path)
                    .execute(&mut *tx)
                    .await
                    .map_err(|source| self.query_error("remove failure", source))?;
            }
            tx.commit()
                .await
                .map_err(|source| self.query_error("commit removals", source))?;
        }
        Ok(removed)
    }

    async fn begin_immediate(&self) -> Result<Transaction<'static, Sqlite>, StateError> {
        self.pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| self.query_error("begin write transaction", source))
    }

    /// Upserts one row; `Ok(true)` when the thread is new, `Err` when another live file already
    /// holds this thread id.
    async fn store_row(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        key: &str,
        row: &ThreadRow,
        live_paths: &HashSet<String>,
    ) -> Result<Result<bool, FailedFile>, StateError> {
        let id = row.id.to_string();
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT rollout_path FROM threads WHERE id = ?")
                .bind(&id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(|source| self.query_error("look up thread", source))?;
        if let Some((existing_path,)) = &existing
            && existing_path != key
            && live_paths.contains(existing_path)
        {
            return Ok(Err(FailedFile {
                path: row.rollout_path.clone(),
                reason: format!("thread {id} is already indexed from {existing_path}"),
            }));
        }
        // The file may have held another thread before (a renamed or rewritten file).
        sqlx::query("DELETE FROM threads WHERE rollout_path = ? AND id <> ?")
            .bind(key)
            .bind(&id)
            .execute(&mut **tx)
            .await
            .map_err(|source| self.query_error("replace thread of a rewritten file", source))?;
        bind_thread_columns(sqlx::query(UPSERT_THREAD), row, key)
            .execute(&mut **tx)
            .await
            .map_err(|source| self.query_error("upsert thread", source))?;
        sqlx::query("DELETE FROM index_failures WHERE rollout_path = ?")
            .bind(key)
            .execute(&mut **tx)
            .await
            .map_err(|source| self.query_error("clear failure", source))?;
        Ok(Ok(existing.is_none()))
    }

    async fn store_failure(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        key: &str,
        file: &crate::FileStat,
        reason: &str,
    ) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO index_failures (rollout_path, file_size, file_mtime_ns, file_inode, \
             file_ctime_ns, reason) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (rollout_path) DO UPDATE SET file_size = excluded.file_size, \
             file_mtime_ns = excluded.file_mtime_ns, file_inode = excluded.file_inode, \
             file_ctime_ns = excluded.file_ctime_ns, reason = excluded.reason",
        )
        .bind(key)
        .bind(i64::try_from(file.size).unwrap_or(i64::MAX))
        .bind(file.mtime_ns)
        .bind(inode_column(file.inode))
        .bind(file.ctime_ns)
        .bind(reason)
        .execute(&mut **tx)
        .await
        .map_err(|source| self.query_error("record failed file", source))?;
        Ok(())
    }
}

fn stored_stat(size: i64, mtime_ns: i64, inode: i64, ctime_ns: i64) -> StoredStat {
    StoredStat {
        size: u64::try_from(size).unwrap_or(0),
        mtime_ns,
        // Stored as the same 64 bits (SQLite integers are signed).
        inode: inode.cast_unsigned(),
        ctime_ns,
    }
}

/// An inode number as SQLite stores it: the same 64 bits, signed.
pub(crate) fn inode_column(inode: u64) -> i64 {
    inode.cast_signed()
}

/// Inserts a thread or rewrites every column of it. The thread id is the key: a file that moved
/// (e.g. into `archived_sessions/`) updates its row in place. `polluted` is sticky: a thread
/// marked polluted stays so when its file changes. A forgotten thread's title, first message
/// and preview are written blank (`forgotten_threads`, migration 0003): its text never reaches a
/// page of the file, not even one the triggers would blank again.
const UPSERT_THREAD: &str = "INSERT INTO threads (id, rollout_path, created_at, updated_at, \
    source, model_provider, model, cwd, title, first_user_message, preview, tokens_used, \
    archived, git_sha, git_branch, git_origin_url, cli_version, memory_mode, file_size, \
    file_mtime_ns, file_inode, file_ctime_ns, agent) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
    CASE WHEN EXISTS (SELECT 1 FROM forgotten_threads WHERE thread_id = ?1) THEN '' ELSE ?9 END, \
    CASE WHEN EXISTS (SELECT 1 FROM forgotten_threads WHERE thread_id = ?1) THEN '' ELSE ?10 END, \
    CASE WHEN EXISTS (SELECT 1 FROM forgotten_threads WHERE thread_id = ?1) THEN '' ELSE ?11 END, \
    ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23) \
    ON CONFLICT (id) DO UPDATE SET rollout_path = excluded.rollout_path, \
    created_at = excluded.created_at, updated_at = excluded.updated_at, \
    source = excluded.source, model_provider = excluded.model_provider, \
    model = excluded.model, cwd = excluded.cwd, title = excluded.title, \
    first_user_message = excluded.first_user_message, preview = excluded.preview, \
    tokens_used = excluded.tokens_used, archived = excluded.archived, \
    git_sha = excluded.git_sha, git_branch = excluded.git_branch, \
    git_origin_url = excluded.git_origin_url, cli_version = excluded.cli_version, \
    memory_mode = CASE WHEN threads.memory_mode = 'polluted' THEN 'polluted' \
    ELSE excluded.memory_mode END, file_size = excluded.file_size, \
    file_mtime_ns = excluded.file_mtime_ns, file_inode = excluded.file_inode, \
    file_ctime_ns = excluded.file_ctime_ns, agent = excluded.agent";
