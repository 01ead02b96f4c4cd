//! When the indexer may forget a thread. A session folder that vanished (moved, unmounted, a
//! dangling link) or cannot be read (no permission) is not an empty folder: the threads indexed
//! from it are kept and the folder is reported. A folder that never held an indexed thread and
//! does not exist (a home without `archived_sessions/`) is normal and says nothing. And one run
//! never removes more than [`mass_removal_limit`] threads whose files are gone unless the caller
//! allows it — an emptied mount point looks like a folder whose sessions were all deleted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::indexer::IndexReport;
use crate::indexer::store::StoredFile;
use crate::indexer::walk::{RootAccess, probe_root};
use crate::sources::{SessionRoot, session_sources};
use crate::{StateError, StateRuntime};
use codex_protocol::Agent;

/// One run removes at most this share of the indexed threads, in percent…
pub const MASS_REMOVAL_MAX_PERCENT: u64 = 25;
/// …and at most this many threads.
pub const MASS_REMOVAL_MAX_THREADS: u64 = 50;

/// A session folder that could not be read; the threads indexed from it are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableRoot {
    /// The agent whose sessions it holds.
    pub agent: Agent,
    /// The folder.
    pub path: PathBuf,
    /// Why it cannot be read, with the OS error.
    pub reason: String,
    /// Threads indexed from it, kept in the index.
    pub kept_threads: u64,
}

/// More threads' files were gone than one run may remove; none of them were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HeldBackRemoval {
    /// Threads whose files are gone, kept.
    pub threads: u64,
    /// Threads indexed before the run.
    pub indexed_threads: u64,
    /// The most one run removes without `allow_mass_removal`.
    pub limit: u64,
}

impl UnreadableRoot {
    /// One line for a person: the folder, the OS error, what was kept.
    pub fn message(&self) -> String {
        format!(
            "cannot read the session folder {}: {}; its {} indexed session(s) and their memories \
             are kept until it is back",
            self.path.display(),
            self.reason,
            self.kept_threads
        )
    }
}

impl HeldBackRemoval {
    /// One line for a person: what was held back and how to let it through.
    pub fn message(&self) -> String {
        format!(
            "the rollout files of {} of {} indexed session(s) are gone — more than one index run \
             removes ({}); their rows and memories are kept. If you deleted them on purpose, run \
             `codex-memories index --allow-mass-removal`",
            self.threads, self.indexed_threads, self.limit
        )
    }
}

/// The most threads one run removes without `allow_mass_removal`: 25 % of the indexed threads,
/// at most 50.
pub fn mass_removal_limit(indexed_threads: u64) -> u64 {
    (indexed_threads * MASS_REMOVAL_MAX_PERCENT / 100).min(MASS_REMOVAL_MAX_THREADS)
}

/// The roots whose threads must be kept: every unreadable root, and every absent root that
/// still has indexed threads (unless `allow_absent_removal`: the caller says they are gone).
pub(crate) fn unreadable_roots(
    roots: &[(SessionRoot, RootAccess)],
    stored: &HashMap<String, StoredFile>,
    allow_absent_removal: bool,
) -> Vec<UnreadableRoot> {
    roots
        .iter()
        .filter_map(|(root, access)| {
            let kept_threads = || {
                stored
                    .iter()
                    .filter(|(path, file)| {
                        file.is_thread && Path::new(path).starts_with(&root.path)
                    })
                    .count() as u64
            };
            match access {
                RootAccess::Listed => None,
                RootAccess::Absent(reason) => {
                    let kept_threads = kept_threads();
                    (kept_threads > 0 && !allow_absent_removal).then(|| UnreadableRoot {
                        agent: root.agent,
                        path: root.path.clone(),
                        reason: reason.clone(),
                        kept_threads,
                    })
                }
                RootAccess::Unreadable(reason) => Some(UnreadableRoot {
                    agent: root.agent,
                    path: root.path.clone(),
                    reason: reason.clone(),
                    kept_threads: kept_threads(),
                }),
            }
        })
        .collect()
}

/// Records the run's warnings in the logs.
pub(crate) fn log_warnings(report: &IndexReport) {
    for root in &report.unreadable_roots {
        tracing::warn!(path = %root.path.display(), "{}", root.message());
    }
    if let Some(held_back) = &report.removal_held_back {
        tracing::warn!("{}", held_back.message());
    }
}

/// The health of the session folders as the index sees them now, for `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionCheck {
    /// Threads in the index.
    pub indexed_threads: u64,
    /// Folders that cannot be read now, with the threads indexed from them.
    pub unreadable_roots: Vec<UnreadableRoot>,
    /// Indexed threads (under readable folders) whose rollout file is gone.
    pub missing_files: u64,
    /// Whether the next index run would keep them (more than [`mass_removal_limit`]).
    pub removal_would_be_held_back: bool,
}

impl StateRuntime {
    /// Probes every session folder and stats every indexed rollout file: which folders cannot be
    /// read and how many indexed files are gone. Reads only.
    pub async fn check_sessions(&self) -> Result<SessionCheck, StateError> {
        let paths: Vec<(String,)> = sqlx::query_as("SELECT rollout_path FROM threads")
            .fetch_all(self.pool())
            .await
            .map_err(|source| self.query_error("list indexed files", source))?;
        let roots: Vec<SessionRoot> = session_sources(self.homes())
            .iter()
            .flat_map(|source| source.roots())
            .collect();
        tokio::task::spawn_blocking(move || check(&roots, paths))
            .await
            .map_err(|error| StateError::Worker(error.to_string()))
    }
}

fn check(roots: &[SessionRoot], paths: Vec<(String,)>) -> SessionCheck {
    let stored: HashMap<String, StoredFile> = paths
        .into_iter()
        .map(|(path,)| {
            let file = StoredFile {
                stat: crate::StoredStat::default(),
                failure: None,
                is_thread: true,
            };
            (path, file)
        })
        .collect();
    let probed: Vec<(SessionRoot, RootAccess)> = roots
        .iter()
        .map(|root| (root.clone(), probe_root(&root.path)))
        .collect();
    let unreadable_roots = unreadable_roots(&probed, &stored, false);
    let missing_files = stored
        .keys()
        .filter(|path| {
            !unreadable_roots
                .iter()
                .any(|root| Path::new(path).starts_with(&root.path))
        })
        .filter(|path| {
            matches!(std::fs::symlink_metadata(path),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound)
        })
        .count() as u64;
    let indexed_threads = stored.len() as u64;
    SessionCheck {
        indexed_threads,
        unreadable_roots,
        missing_files,
        removal_would_be_held_back: missing_files > mass_removal_limit(indexed_threads),
    }
}
