//! The incremental session indexer: walks the rollout folders, skips files whose (size, mtime)
//! match what is stored (no file is opened for them), parses the rest in parallel on a blocking
//! thread pool, and stores results in batched `BEGIN IMMEDIATE` transactions while parsing goes
//! on. Rows whose file disappeared are removed — but never because a whole folder vanished or
//! cannot be read (`removal.rs`), and never more than a bounded share of the index in one run
//! unless the caller allows it. It never writes under the Codex home.

mod removal;
mod store;
mod walk;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::sources::{AgentSelection, SessionSource, session_sources};
use crate::threads::ThreadRow;
use crate::{ExtractError, FileStat, StateError, StateRuntime, TextFilter};
pub use removal::{
    HeldBackRemoval, MASS_REMOVAL_MAX_PERCENT, MASS_REMOVAL_MAX_THREADS, SessionCheck,
    UnreadableRoot, mass_removal_limit,
};
pub(crate) use store::inode_column;
use store::{Parsed, path_key};

/// Rows written per transaction, at most.
pub const BATCH_ROWS: usize = 500;
/// Rows written as soon as no parsed file is waiting, rather than when the batch is full: the
/// writes then overlap the parsing instead of following it. (Written after the last file, 226
/// rows — four statements each, every one a round trip to the database thread, each waking an
/// idle core — took 60–70 ms, a third of a first index of the bench's Claude Code and Gemini CLI
/// home.)
const EARLY_BATCH_ROWS: usize = 32;
/// Parsed results waiting to be stored, at most.
const PARSED_QUEUE_LEN: usize = 256;

/// A rollout file that could not be indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedFile {
    /// The file.
    pub path: PathBuf,
    /// Why it is not in the index.
    pub reason: String,
}

/// What one index run did. `files_seen = parsed + unchanged + skipped`; `failed` lists every
/// file not in the index — those that failed now and unchanged ones that failed before — plus
/// entries the walk could not read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct IndexReport {
    /// Rollout files found.
    pub files_seen: u64,
    /// Files read this run (new or changed).
    pub parsed: u64,
    /// Files whose size and mtime matched the index; not opened.
    pub unchanged: u64,
    /// Files passed over: `.zst` files with a plain twin, second copies of a thread.
    pub skipped: u64,
    /// Bytes of the files read this run.
    pub bytes_parsed: u64,
    /// Files not indexed, with the reason.
    pub failed: Vec<FailedFile>,
    /// Threads new to the index.
    pub threads_added: u64,
    /// Threads whose row was rewritten.
    pub updated: u64,
    /// Threads removed because their file is gone.
    pub removed: u64,
    /// Session folders that could not be read; the threads indexed from them are kept.
    pub unreadable_roots: Vec<UnreadableRoot>,
    /// Set when more threads' files were gone than one run may remove: none were removed.
    pub removal_held_back: Option<HeldBackRemoval>,
}

/// How an index run behaves. Start from [`IndexOptions::default`] and change what you need
/// with the `with_*` setters (more settings may come).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IndexOptions {
    /// Remove the rows of every thread whose file is gone, even more than
    /// [`mass_removal_limit`] of them, and those of a session folder that no longer exists.
    pub allow_mass_removal: bool,
    /// Whose sessions to read (default: every agent whose home exists). Threads of an agent left
    /// out by name are not touched.
    pub agents: AgentSelection,
}

impl IndexOptions {
    /// Removing the rows of every vanished thread, past the mass-removal limit too, when `allow_mass_removal`.
    pub fn with_allow_mass_removal(mut self, allow_mass_removal: bool) -> Self {
        self.allow_mass_removal = allow_mass_removal;
        self
    }

    /// Reading the sessions of `agents`.
    pub fn with_agents(mut self, agents: AgentSelection) -> Self {
        self.agents = agents;
        self
    }
}

/// Progress of the parsing phase, reported after each file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexProgress {
    /// Files to read this run.
    pub files_total: u64,
    /// Files read so far.
    pub files_done: u64,
    /// Bytes to read this run.
    pub bytes_total: u64,
    /// Bytes read so far.
    pub bytes_done: u64,
}

impl StateRuntime {
    /// Indexes `sessions/` and `archived_sessions/` under the Codex home with the default
    /// [`IndexOptions`]; see [`StateRuntime::index_sessions_with`].
    pub async fn index_sessions(
        &self,
        progress: &(dyn Fn(IndexProgress) + Send + Sync),
    ) -> Result<IndexReport, StateError> {
        self.index_sessions_with(&IndexOptions::default(), progress)
            .await
    }

    /// Indexes `sessions/` and `archived_sessions/` under the Codex home; see the module docs.
    /// `progress` is called before parsing starts and after every file parsed.
    pub async fn index_sessions_with(
        &self,
        options: &IndexOptions,
        progress: &(dyn Fn(IndexProgress) + Send + Sync),
    ) -> Result<IndexReport, StateError> {
        let (walked, left_out): (Vec<_>, Vec<_>) = session_sources(self.homes())
            .into_iter()
            .partition(|source| !options.agents.excludes_by_name(source.agent()));
        let sources = walked.clone();
        let walk = tokio::task::spawn_blocking(move || walk::walk_sessions(&sources))
            .await
            .map_err(|error| StateError::Worker(error.to_string()))?;
        let stored = self.load_stored_files().await?;
        let indexed_threads = stored.values().filter(|file| file.is_thread).count() as u64;
        let mut report = IndexReport {
            files_seen: walk.files.len() as u64 + walk.skipped,
            skipped: walk.skipped,
            ..IndexReport::default()
        };
        // Rows under a folder that could not be listed are kept: their files may still exist.
        // So are those of an agent left out by name: this run did not look at its sessions.
        let mut kept_dirs: Vec<PathBuf> = walk
            .failed
            .iter()
            .map(|failed| failed.path.clone())
            .chain(
                left_out
                    .iter()
                    .flat_map(|source| source.roots())
                    .map(|root| root.path),
            )
            .collect();
        report.unreadable_roots =
            removal::unreadable_roots(&walk.roots, &stored, options.allow_mass_removal);
        kept_dirs.extend(report.unreadable_roots.iter().map(|root| root.path.clone()));
        report.failed = walk.failed;
        let live_paths: HashSet<String> =
            walk.files.iter().map(|file| path_key(&file.path)).collect();
        let mut to_parse = Vec::new();
        for file in walk.files {
            match stored.get(&path_key(&file.path)) {
                Some(known) if file.same_file_as(&known.stat) => {
                    report.unchanged += 1;
                    if let Some(reason) = &known.failure {
                        report.failed.push(FailedFile {
                            path: file.path,
                            reason: reason.clone(),
                        });
                    }
                }
                _ => to_parse.push(file),
            }
        }
        self.parse_and_store(walked, to_parse, &live_paths, &mut report, progress)
            .await?;

        let missing: Vec<String> = stored
            .into_keys()
            .filter(|path| !live_paths.contains(path))
            .filter(|path| !kept_dirs.iter().any(|dir| Path::new(path).starts_with(dir)))
            .collect();
        // Rows of moved files were rewritten in place above; count only those still there.
        let gone = self.count_threads_at(&missing).await?;
        let limit = mass_removal_limit(indexed_threads);
        if gone > limit && !options.allow_mass_removal {
            report.removal_held_back = Some(HeldBackRemoval {
                threads: gone,
                indexed_threads,
                limit,
            });
            self.remove_missing(&missing, false).await?;
        } else {
            report.removed = self.remove_missing(&missing, true).await?;
        }
        report.failed.sort_by(|a, b| a.path.cmp(&b.path));
        removal::log_warnings(&report);
        Ok(report)
    }

    async fn parse_and_store(
        &self,
        sources: Vec<Arc<dyn SessionSource>>,
        mut files: Vec<FileStat>,
        live_paths: &HashSet<String>,
        report: &mut IndexReport,
        progress: &(dyn Fn(IndexProgress) + Send + Sync),
    ) -> Result<(), StateError> {
        let mut state = IndexProgress {
            files_total: files.len() as u64,
            files_done: 0,
            bytes_total: files.iter().map(|file| file.size).sum(),
            bytes_done: 0,
        };
        progress(state);
        if files.is_empty() {
            return Ok(());
        }
        // Biggest first, so one large file does not finish alone at the end.
        files.sort_by_key(|file| std::cmp::Reverse(file.size));
        let (sender, mut receiver) = mpsc::channel::<(FileStat, Parsed)>(PARSED_QUEUE_LEN);
        let filter = self.text_filter().cloned();
        let parser = tokio::task::spawn_blocking(move || {
            run_one_per_task(files, |file| {
                if sender.is_closed() {
                    return;
                }
                let source = sources.iter().find(|source| source.agent() == file.agent);
                let parsed = source
                    .map_or_else(
                        || Err(ExtractError::NoSource(file.agent)),
                        |source| source.index_session(&file),
                    )
                    .map(|row| filter_user_text(row, filter.as_ref()))
                    .map_err(|error| FailedFile {
                        path: file.path.clone(),
                        reason: error.to_string(),
                    });
                // A closed channel means the storing side failed; its error is returned there.
                let _ = sender.blocking_send((file, parsed));
            });
        });

        let mut batch = Vec::with_capacity(BATCH_ROWS);
        while let Some((file, parsed)) = receiver.recv().await {
            state.files_done += 1;
            state.bytes_done += file.size;
            report.parsed += 1;
            report.bytes_parsed += file.size;
            progress(state);
            batch.push((file, parsed));
            if batch.len() >= BATCH_ROWS || (batch.len() >= EARLY_BATCH_ROWS && receiver.is_empty())
            {
                self.store(std::mem::take(&mut batch), live_paths, report)
                    .await?;
            }
        }
        if !batch.is_empty() {
            self.store(batch, live_paths, report).await?;
        }
        parser
            .await
            .map_err(|error| StateError::Worker(error.to_string()))
    }

    async fn store(
        &self,
        batch: Vec<(FileStat, Parsed)>,
        live_paths: &HashSet<String>,
        report: &mut IndexReport,
    ) -> Result<(), StateError> {
        let counts = self.store_batch(batch, live_paths).await?;
        report.threads_added += counts.added;
        report.updated += counts.updated;
        report.failed.extend(counts.failed);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod removal_tests;

#[cfg(test)]
mod agents_tests;

/// Runs `work` on every item on the rayon pool, one item per task, so a thread that is free
/// always takes the next item. (Rayon's default split hands each thread a run of items it works
/// through in turn: the indexer's first run, of the biggest files, was left to one thread while
/// the other sat idle — 1.3 of 2 cores busy.)
fn run_one_per_task<T: Send>(items: Vec<T>, work: impl Fn(T) + Sync + Send) {
    items.into_par_iter().with_max_len(1).for_each(work);
}

/// Passes the stored user text of `row` through the runtime's filter (secret redaction).
fn filter_user_text(mut row: ThreadRow, filter: Option<&TextFilter>) -> ThreadRow {
    if let Some(TextFilter(filter)) = filter {
        row.title = filter(&row.title);
        row.first_user_message = filter(&row.first_user_message);
        row.preview = filter(&row.preview);
    }
    row
}
