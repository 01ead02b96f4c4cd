//! The memory workspace: `<codex_home>/memories` as a git repository whose single commit is the
//! baseline of the last successful phase 2. It owns preparing the repository (creating or
//! recovering it, never failing because `.git` is broken), the diff of the worktree against the
//! baseline (written nowhere but the diff file), and resetting the baseline to a fresh repository
//! so forgotten text leaves no object behind. It does not write memory files. Everything here is
//! blocking: async callers run it in `spawn_blocking`. See `docs/workspace.md`.

mod baseline;
mod copy;
mod diff;
mod error;
mod fresh;
mod render;
mod scan;
mod staging;
mod swap;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use baseline::BaselineInfo;
pub use diff::{ChangeKind, FileChange, WorkspaceDiff};
pub use error::WorkspaceError;
pub use scan::FileMode;
pub use staging::{CommitReport, StageReport, StagedWorkspace};
pub(crate) use swap::{RETIRED_INFIX, STAGING_INFIX, swap_in_progress};

/// The diff file phase 2 writes for the consolidator, at the top of the memory folder.
pub use crate::layout::DIFF_FILE_NAME;
/// The cap on the diff file, in bytes.
pub const MAX_DIFF_BYTES: usize = 4 * 1024 * 1024;
/// Lines of context around each change in the unified diff.
pub const UNIFIED_CONTEXT_LINES: usize = 3;
/// How many leading bytes are searched for a NUL to call a file binary (git's figure).
pub const BINARY_SNIFF_BYTES: usize = 8000;
/// Name and email of every baseline commit (never the user's git identity).
pub const SIGNATURE_NAME: &str = "codex-memories";
/// See [`SIGNATURE_NAME`].
pub const SIGNATURE_EMAIL: &str = "codex-memories@localhost";
/// Prefix of the folder an unusable `.git` is moved to, followed by the Unix time in seconds.
pub const CORRUPT_PREFIX: &str = ".git.corrupt-";
/// Prefix of the folders a baseline reset builds in and retires through.
/// (Public so `forget` can recognise one a crash left.)
pub const STAGING_PREFIX: &str = ".git.tmp-";

/// A memory folder with a usable baseline commit.
#[derive(Debug, Clone)]
pub struct MemoryWorkspace {
    root: PathBuf,
}

/// What `prepare` had to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrepareReport {
    /// A new repository and baseline commit were created.
    pub initialized: bool,
    /// Why the existing `.git` was unusable, when it was.
    pub recovered: Option<String>,
    /// Where the unusable `.git` was moved (`None` when it was removed or there was none).
    pub moved_aside: Option<PathBuf>,
}

impl MemoryWorkspace {
    /// Ensures `root` (created if missing) is a usable repository with a baseline commit. A
    /// missing, non-repository or broken `.git` (a file, garbage HEAD, missing objects, …) is
    /// moved aside to `.git.corrupt-<seconds>` (removed if it cannot be moved) and a baseline of
    /// the current files is committed at `now` (the caller's clock). First it repairs what an
    /// interrupted phase 2 left: a folder moved aside by a half-done swap is moved back,
    /// leftover staging copies removed.
    pub fn prepare(
        root: &Path,
        now: DateTime<Utc>,
    ) -> Result<(MemoryWorkspace, PrepareReport), WorkspaceError> {
        swap::recover_interrupted(root);
        std::fs::create_dir_all(root).map_err(|source| WorkspaceError::CreateRoot {
            path: root.to_path_buf(),
            source,
        })?;
        let workspace = MemoryWorkspace {
            root: root.to_path_buf(),
        };
        fresh::remove_staging_leftovers(root);
        let mut report = PrepareReport::default();
        match baseline::open_and_verify(root) {
            Ok(_) => return Ok((workspace, report)),
            Err(reason) => {
                if std::fs::symlink_metadata(baseline::git_dir(root)).is_ok() {
                    report.moved_aside = fresh::move_aside(root, &reason, now)?;
                    report.recovered = Some(reason);
                }
            }
        }
        fresh::write_fresh_baseline(root, now)?;
        report.initialized = true;
        Ok((workspace, report))
    }

    /// The workspace of `root` when it already holds a usable repository; `None` otherwise.
    /// Reads only: unlike [`MemoryWorkspace::prepare`] it creates and repairs nothing.
    pub fn open_existing(root: &Path) -> Option<MemoryWorkspace> {
        baseline::open(root).ok().map(|_| MemoryWorkspace {
            root: root.to_path_buf(),
        })
    }

    /// The workspace of `root` when its repository is usable *and* complete (every tree and
    /// blob of the baseline present, as [`MemoryWorkspace::prepare`] checks); `None` otherwise.
    /// Reads only.
    pub fn open_verified(root: &Path) -> Option<MemoryWorkspace> {
        baseline::open_and_verify(root)
            .ok()
            .map(|_| MemoryWorkspace {
                root: root.to_path_buf(),
            })
    }

    /// Repairs what an interrupted phase 2 left beside the folder `root` (see
    /// [`StagedWorkspace`]): the folder moved back when a half-done swap had moved it aside,
    /// leftover staging copies removed. Returns how many leftovers were removed.
    pub fn recover_interrupted(root: &Path) -> usize {
        swap::recover_interrupted(root).len()
    }

    /// The memory folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The changes between the baseline commit and the files now in the folder, excluding
    /// `.git`, the workspace's bookkeeping and the diff file. Writes no objects and no index.
    pub fn diff(&self) -> Result<WorkspaceDiff, WorkspaceError> {
        let baseline = self.open()?;
        diff::compute(&self.root, &baseline)
    }

    /// Replaces `.git` with a fresh repository holding one commit of the current files and an
    /// index matching them (so `git status` run by a person shows a clean tree). Objects of text
    /// deleted since the previous baseline are gone with the old `.git`. The commit is made at
    /// `now` (the caller's clock).
    pub fn reset_baseline(&self, now: DateTime<Utc>) -> Result<BaselineInfo, WorkspaceError> {
        fresh::write_fresh_baseline(&self.root, now)
    }

    /// The baseline commit, or `None` when the folder has no usable repository.
    pub fn baseline(&self) -> Result<Option<BaselineInfo>, WorkspaceError> {
        Ok(baseline::open(&self.root)
            .ok()
            .map(|baseline| baseline.info))
    }

    /// Writes the diff file for `diff` into the folder; returns its path.
    pub fn write_diff_file(&self, diff: &WorkspaceDiff) -> Result<PathBuf, WorkspaceError> {
        diff.write_diff_file(&self.root)
    }

    /// Removes the diff file if it exists.
    pub fn remove_diff_file(&self) -> Result<(), WorkspaceError> {
        let path = self.root.join(DIFF_FILE_NAME);
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(WorkspaceError::Write {
                    path,
                    source: error,
                })
            }
            _ => Ok(()),
        }
    }

    fn open(&self) -> Result<baseline::Baseline, WorkspaceError> {
        baseline::open(&self.root).map_err(|reason| WorkspaceError::NoBaseline {
            path: self.root.clone(),
            reason,
        })
    }
}
