//! Phase 2 as a transaction over the memory folder. [`StagedWorkspace::begin`] copies the live
//! folder into a staging folder beside it (same file system); everything phase 2 changes — the
//! synced inputs, the diff file, the consolidator's edits, the new baseline — happens in the copy.
//! [`StagedWorkspace::commit`] then takes the live folder's lock exclusively, carries over the
//! notes written into the live folder since the copy (outside the new baseline, so they stay new
//! to the next consolidation), refuses when anything else there changed, and swaps the copy in
//! (see `swap`). Until that swap the live folder is never written: a failure, a lost claim, a
//! crash or `kill -9` leaves it byte for byte as it was, and the next run removes the leftover
//! copy. The staging diff trusts the live index as a stat cache carried over to the copies, so a
//! large unchanged folder is not hashed again.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use gix::bstr::{BStr, BString, ByteSlice};

use super::baseline::{BaselineInfo, git_dir, open, open_and_verify};
use super::copy::{CopiedFile, copy_entry, copy_tree};
use super::diff::{STAT_OPTIONS, compute, compute_with};
use super::error::WorkspaceError;
use super::fresh::write_fresh_baseline;
use super::scan::{WorktreeFile, scan};
use super::swap::{
    STAGING_INFIX, keep_corrupt_repositories, recover_interrupted, sibling, swap_in,
};
use super::{CORRUPT_PREFIX, DIFF_FILE_NAME, WorkspaceDiff};
use crate::memory_folder::lock::{LockMode, open_locked};
use crate::phase2::extensions::in_notes_zone;

/// What the staging diff is taken against.
enum StagingBase {
    /// The live folder's baseline commit; `stat_cache` holds the live index's entries that were
    /// still valid when copied, with the copies' stat data.
    Live { stat_cache: Box<gix::index::State> },
    /// The live folder had no usable baseline; the copy got its own of the files as copied.
    /// `recovered` says why the live `.git` was unusable, when there was one.
    Own { recovered: Option<String> },
}

/// A consolidation in progress on a staging copy of the memory folder.
pub struct StagedWorkspace {
    live: PathBuf,
    dir: PathBuf,
    copied: Vec<CopiedFile>,
    base: StagingBase,
    /// The caller's time when the run began: the time of every baseline commit it makes and of
    /// the `.git.corrupt-<seconds>` name it keeps an unusable repository under.
    now: DateTime<Utc>,
    /// Committed or discarded: the staging folder is no longer this value's to remove.
    finished: bool,
}

/// What beginning a staged consolidation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageReport {
    /// Files copied into the staging folder.
    pub files_copied: usize,
    /// Why the live `.git` was unusable, when it was (the copy got a fresh baseline; the old
    /// repository is kept as `.git.corrupt-<seconds>` when the consolidation commits).
    pub recovered: Option<String>,
    /// Leftover staging folders of interrupted runs that were removed.
    pub leftovers_removed: usize,
}

/// What a commit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitReport {
    /// The new baseline.
    pub baseline: BaselineInfo,
    /// Notes written into the live folder during the run, carried into the new folder (not part
    /// of the new baseline, so the next consolidation sees them as new).
    pub notes_carried: Vec<String>,
}

impl StagedWorkspace {
    /// Repairs what an interrupted run left, then copies the live folder `root` (created when
    /// missing) into a new staging folder beside it. `now` is the caller's clock: the time of the
    /// baseline commits the run makes.
    pub fn begin(
        root: &Path,
        now: DateTime<Utc>,
    ) -> Result<(StagedWorkspace, StageReport), WorkspaceError> {
        let mut report = StageReport {
            leftovers_removed: recover_interrupted(root).len(),
            ..StageReport::default()
        };
        std::fs::create_dir_all(root).map_err(|source| WorkspaceError::CreateRoot {
            path: root.to_path_buf(),
            source,
        })?;
        // A linked memory folder is staged beside the folder it points to.
        let live = root.canonicalize().map_err(|source| WorkspaceError::Read {
            path: root.to_path_buf(),
            source,
        })?;
        if live != root {
            report.leftovers_removed += recover_interrupted(&live).len();
        }
        if is_mount_point(&live) {
            return Err(WorkspaceError::MountPoint { path: live });
        }
        let dir = sibling(&live, STAGING_INFIX)?;
        std::fs::create_dir(&dir).map_err(|source| WorkspaceError::Write {
            path: dir.clone(),
            source,
        })?;
        let mut staged = StagedWorkspace {
            live,
            dir,
            copied: Vec::new(),
            base: StagingBase::Own { recovered: None },
            now,
            finished: false,
        };
        if let Ok(metadata) = std::fs::metadata(&staged.live) {
            let _ = std::fs::set_permissions(&staged.dir, metadata.permissions());
        }
        staged.copied = copy_tree(&staged.live, &staged.dir)?;
        report.files_copied = staged.copied.len();
        staged.base = match open_and_verify(&staged.live) {
            Ok(baseline) => StagingBase::Live {
                stat_cache: Box::new(carried_stat_cache(&baseline.repo, &staged.copied)),
            },
            Err(reason) => {
                write_fresh_baseline(&staged.dir, now)?;
                let had_git = std::fs::symlink_metadata(git_dir(&staged.live)).is_ok();
                report.recovered = had_git.then_some(reason.clone());
                StagingBase::Own {
                    recovered: had_git.then_some(reason),
                }
            }
        };
        Ok((staged, report))
    }

    /// The staging folder: where phase 2 syncs its inputs and the consolidator works.
    pub fn root(&self) -> &Path {
        &self.dir
    }

    /// The live memory folder the copy will replace.
    pub fn live_root(&self) -> &Path {
        &self.live
    }

    /// The changes in the staging folder since the baseline.
    pub fn diff(&self) -> Result<WorkspaceDiff, WorkspaceError> {
        match &self.base {
            StagingBase::Live { stat_cache } => {
                let baseline = open(&self.live).map_err(|reason| WorkspaceError::NoBaseline {
                    path: self.live.clone(),
                    reason,
                })?;
                compute_with(&self.dir, &baseline, Some(stat_cache))
            }
            StagingBase::Own { .. } => {
                let baseline = open(&self.dir).map_err(|reason| WorkspaceError::NoBaseline {
                    path: self.dir.clone(),
                    reason,
                })?;
                compute(&self.dir, &baseline)
            }
        }
    }

    /// Writes the diff file (redacted, capped) into the staging folder.
    pub fn write_diff_file(&self, diff: &WorkspaceDiff) -> Result<PathBuf, WorkspaceError> {
        diff.write_diff_file(&self.dir)
    }

    /// Resets the staging folder's baseline to its files and swaps it in for the live folder
    /// (see the module doc). Fails with [`WorkspaceError::ChangedDuringRun`], leaving the live
    /// folder as it is, when something other than a note changed there since the copy.
    pub fn commit(mut self) -> Result<CommitReport, WorkspaceError> {
        remove_if_present(&self.dir.join(DIFF_FILE_NAME))?;
        let baseline = write_fresh_baseline(&self.dir, self.now)?;
        // Writers of the live folder (notes) hold this lock shared; while it is held here, none
        // is half done and none can start until the new folder is in place.
        let Some(locked) =
            open_locked(&self.live, LockMode::Exclusive, false).map_err(|source| {
                WorkspaceError::Read {
                    path: self.live.clone(),
                    source,
                }
            })?
        else {
            return Err(WorkspaceError::ChangedDuringRun {
                path: self.live.clone(),
                changed: vec!["the memory folder itself was removed".to_string()],
            });
        };
        let notes_carried = self.carry_over_notes()?;
        let old = swap_in(&self.dir, &self.live)?;
        self.finished = true;
        drop(locked);
        keep_corrupt_repositories(&old, &self.live);
        if let StagingBase::Own {
            recovered: Some(reason),
        } = &self.base
        {
            keep_unusable_repository(&old, &self.live, reason, self.now);
        }
        if let Err(error) = std::fs::remove_dir_all(&old) {
            tracing::warn!(folder = %old.display(), %error, "cannot remove the replaced memory folder; the next consolidation will");
        }
        Ok(CommitReport {
            baseline,
            notes_carried,
        })
    }

    /// Removes the staging folder, leaving the live folder untouched.
    pub fn discard(mut self) {
        self.remove_staging();
    }

    /// Compares the live folder with what was copied: notes added, changed or deleted there are
    /// carried into the staging folder; any other change is an error naming the paths.
    fn carry_over_notes(&self) -> Result<Vec<String>, WorkspaceError> {
        let now = scan(&self.live)?;
        let mut carried = Vec::new();
        let mut conflicts = Vec::new();
        for (path, live_file) in changes_since(&self.copied, &now) {
            let shown = path.to_str_lossy().into_owned();
            let target = super::scan::absolute(&self.dir, path.as_ref());
            if !in_notes_zone(&shown) {
                // The same change on both sides (say, the ad hoc instructions seeded by a note
                // writer and by this run alike) is no conflict.
                if !self.staged_alike(path, live_file, &target) {
                    conflicts.push(shown);
                }
                continue;
            }
            match live_file {
                Some(file) => copy_note(&self.live, file, &target)?,
                None => remove_if_present(&target)?,
            }
            carried.push(shown);
        }
        if !conflicts.is_empty() {
            return Err(WorkspaceError::ChangedDuringRun {
                path: self.live.clone(),
                changed: conflicts,
            });
        }
        Ok(carried)
    }

    /// Whether the staging folder holds at `target` what the live folder holds at `path` now
    /// (both absent, or the same kind of entry with the same bytes).
    fn staged_alike(
        &self,
        path: &BString,
        live_file: Option<&WorktreeFile>,
        target: &Path,
    ) -> bool {
        let staged = std::fs::symlink_metadata(target).ok();
        let Some(live_file) = live_file else {
            return staged.is_none();
        };
        let Some(staged) = staged else {
            return false;
        };
        if super::scan::FileMode::from_metadata(&staged) != Some(live_file.mode) {
            return false;
        }
        let staged_file = WorktreeFile {
            path: path.clone(),
            mode: live_file.mode,
            stat: live_file.stat,
        };
        match (
            super::scan::read_content(&self.live, live_file),
            super::scan::read_content(&self.dir, &staged_file),
        ) {
            (Ok(live), Ok(staged)) => live == staged,
            _ => false,
        }
    }

    fn remove_staging(&mut self) {
        if !self.finished {
            self.finished = true;
            if let Err(error) = std::fs::remove_dir_all(&self.dir) {
                tracing::warn!(folder = %self.dir.display(), %error, "cannot remove the staging copy; the next consolidation will");
            }
        }
    }
}

impl Drop for StagedWorkspace {
    /// A consolidation dropped midway (cancelled, panicked) leaves no staging copy behind.
    fn drop(&mut self) {
        self.remove_staging();
    }
}

/// The live index's entries still valid for the files as they were copied, with the copies'
/// stat data: the staging diff then reads only files that differ from the baseline. A missing
/// or unreadable index gives an empty cache (every file is hashed).
fn carried_stat_cache(repo: &gix::Repository, copied: &[CopiedFile]) -> gix::index::State {
    let mut cache = gix::index::State::new(repo.object_hash());
    let Ok(index) = gix::index::File::at(
        repo.index_path(),
        repo.object_hash(),
        false,
        gix::index::decode::Options::default(),
    ) else {
        return cache;
    };
    for file in copied {
        let path: &BStr = file.path.as_ref();
        let Some(entry) = index.entry_by_path(path) else {
            continue;
        };
        let still_valid = entry.stage_raw() == 0
            && entry.mode == file.mode.index_mode()
            && entry.stat.matches(&file.live, STAT_OPTIONS)
            && !entry.stat.is_racy(index.timestamp(), STAT_OPTIONS);
        if still_valid {
            cache.dangerously_push_entry(
                file.staged,
                entry.id,
                gix::index::entry::Flags::empty(),
                entry.mode,
                path,
            );
        }
    }
    cache.sort_entries();
    // Written "now", after every copy: none of the copies is racy against it.
    cache
}

/// Paths that differ between the copy snapshot and the live folder now: `Some(file)` for an
/// added or changed file, `None` for a deleted one. Both lists are sorted by path.
fn changes_since<'a>(
    copied: &'a [CopiedFile],
    now: &'a [WorktreeFile],
) -> Vec<(&'a BString, Option<&'a WorktreeFile>)> {
    let mut changes = Vec::new();
    let (mut before, mut after) = (copied.iter().peekable(), now.iter().peekable());
    loop {
        match (before.peek(), after.peek()) {
            (None, None) => break,
            (Some(old), Some(new)) if old.path == new.path => {
                if old.mode != new.mode || !old.live.matches(&new.stat, STAT_OPTIONS) {
                    changes.push((&new.path, Some(*new)));
                }
                before.next();
                after.next();
            }
            (Some(old), Some(new)) if old.path < new.path => {
                changes.push((&old.path, None));
                before.next();
            }
            (Some(old), None) => {
                changes.push((&old.path, None));
                before.next();
            }
            (_, Some(new)) => {
                changes.push((&new.path, Some(*new)));
                after.next();
            }
        }
    }
    changes
}

/// Copies a note written into the live folder during the run over to the staging folder (a
/// link is carried as a link, never followed).
fn copy_note(live: &Path, file: &WorktreeFile, target: &Path) -> Result<(), WorkspaceError> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| WorkspaceError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    remove_if_present(target)?;
    let source = super::scan::absolute(live, file.path.as_ref());
    copy_entry(&source, target, file.mode).map(drop)
}

/// Moves the old folder's unusable `.git` into the live folder as `.git.corrupt-<seconds>`
/// (the seconds of `now`).
fn keep_unusable_repository(old: &Path, live: &Path, reason: &str, now: DateTime<Utc>) {
    let git = git_dir(old);
    if std::fs::symlink_metadata(&git).is_err() {
        return;
    }
    let seconds = now.timestamp();
    let target = live.join(format!("{CORRUPT_PREFIX}{seconds}"));
    if std::fs::symlink_metadata(&target).is_err() && std::fs::rename(&git, &target).is_ok() {
        tracing::warn!(%reason, kept = %target.display(), "the memory folder's unusable repository was replaced by a fresh baseline");
    }
}

/// Whether `folder` is on another file system than its parent (a mount point).
#[cfg(unix)]
fn is_mount_point(folder: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(parent) = folder.parent() else {
        return true;
    };
    match (std::fs::metadata(folder), std::fs::metadata(parent)) {
        (Ok(folder), Ok(parent)) => folder.dev() != parent.dev(),
        _ => false,
    }
}

/// Without device numbers, a mount point shows up as a failed swap instead.
#[cfg(not(unix))]
fn is_mount_point(_folder: &Path) -> bool {
    false
}

fn remove_if_present(path: &Path) -> Result<(), WorkspaceError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(WorkspaceError::Write {
            path: path.to_path_buf(),
            source: error,
        }),
        _ => Ok(()),
    }
}
