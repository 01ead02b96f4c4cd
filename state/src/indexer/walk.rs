//! Finding rollout files: walks `sessions/` and `archived_sessions/` without following symlinks,
//! keeps `.jsonl` and `.jsonl.zst` files, drops a `.zst` whose plain twin exists and, when two
//! files carry the same thread id in their names, keeps one (live before archived, then the
//! smaller path). Only `stat` is called here; no file is opened. Each root is probed first, so
//! a folder that is gone, unreadable or a dangling link is told apart from an empty one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use codex_protocol::{RolloutFileName, ThreadId};
use walkdir::WalkDir;

use crate::FileStat;
use crate::indexer::FailedFile;

const PLAIN_SUFFIX: &str = ".jsonl";
const COMPRESSED_SUFFIX: &str = ".jsonl.zst";

/// One folder that holds rollout files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionRoot {
    /// The folder.
    pub path: PathBuf,
    /// Whether its files are archived sessions.
    pub archived: bool,
}

/// Whether a root could be listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RootAccess {
    /// Listed (possibly empty).
    Listed,
    /// Nothing is at the path; the OS error says so.
    Absent(String),
    /// Something is at the path but cannot be listed: why, with the OS error.
    Unreadable(String),
}

/// What a walk found.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// The rollout files to index, one per thread id (as far as names tell).
    pub files: Vec<FileStat>,
    /// Files passed over: `.zst` twins and second copies of a thread.
    pub skipped: u64,
    /// Entries that could not be listed or stat-ed.
    pub failed: Vec<FailedFile>,
    /// Every root with what probing it found.
    pub roots: Vec<(SessionRoot, RootAccess)>,
}

/// Tells a listable folder from one that is gone (nothing at the path) or cannot be read (no
/// permission, not a folder, a symbolic link whose target is gone — e.g. an unmounted volume).
pub(crate) fn probe_root(path: &Path) -> RootAccess {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return RootAccess::Absent(error.to_string());
        }
        Err(error) => return RootAccess::Unreadable(format!("cannot stat it: {error}")),
    };
    let metadata = if metadata.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(target) => target,
            Err(error) => {
                let target = std::fs::read_link(path)
                    .map_or_else(|_| "?".to_string(), |target| target.display().to_string());
                return RootAccess::Unreadable(format!(
                    "it is a symbolic link to {target}, which cannot be reached (an unmounted \
                     volume?): {error}"
                ));
            }
        }
    } else {
        metadata
    };
    if !metadata.is_dir() {
        return RootAccess::Unreadable("it is not a folder".to_string());
    }
    match std::fs::read_dir(path) {
        Ok(_) => RootAccess::Listed,
        Err(error) => RootAccess::Unreadable(format!("cannot list it: {error}")),
    }
}

/// Walks every root; only roots that probe as [`RootAccess::Listed`] are walked.
pub(crate) fn walk_rollouts(roots: &[SessionRoot]) -> Walk {
    let mut walk = Walk::default();
    for root in roots {
        let access = probe_root(&root.path);
        let listed = access == RootAccess::Listed;
        walk.roots.push((root.clone(), access));
        if !listed {
            continue;
        }
        let archived = root.archived;
        let root = root.path.as_path();
        for entry in WalkDir::new(root).follow_links(false) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error.path().unwrap_or(root).to_path_buf();
                    walk.failed.push(FailedFile {
                        path,
                        reason: format!("cannot list: {error}"),
                    });
                    continue;
                }
            };
            if !entry.file_type().is_file() || !is_rollout_name(entry.file_name()) {
                continue;
            }
            match entry.metadata() {
                Ok(metadata) => walk.files.push(FileStat::from_metadata(
                    entry.into_path(),
                    &metadata,
                    archived,
                )),
                Err(error) => walk.failed.push(FailedFile {
                    path: entry.into_path(),
                    reason: format!("cannot stat: {error}"),
                }),
            }
        }
    }
    let before = walk.files.len();
    walk.files = drop_zst_twins(std::mem::take(&mut walk.files));
    walk.files = keep_one_file_per_thread(std::mem::take(&mut walk.files));
    walk.skipped = (before - walk.files.len()) as u64;
    walk
}

fn is_rollout_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.ends_with(PLAIN_SUFFIX) || name.ends_with(COMPRESSED_SUFFIX)
}

/// `x.jsonl.zst` is passed over when `x.jsonl` sits beside it.
fn drop_zst_twins(files: Vec<FileStat>) -> Vec<FileStat> {
    let plain: HashSet<PathBuf> = files
        .iter()
        .filter(|file| !is_compressed(&file.path))
        .map(|file| file.path.clone())
        .collect();
    files
        .into_iter()
        .filter(|file| !is_compressed(&file.path) || !plain.contains(&file.path.with_extension("")))
        .collect()
}

fn is_compressed(path: &Path) -> bool {
    path.to_string_lossy().ends_with(COMPRESSED_SUFFIX)
}

/// One file per thread id from the names; unnamed files all stay (their id is only known once
/// read). A live copy wins over an archived one, then the smaller path, so every walk of the
/// same tree keeps the same file.
fn keep_one_file_per_thread(files: Vec<FileStat>) -> Vec<FileStat> {
    let mut chosen: HashMap<ThreadId, usize> = HashMap::new();
    let mut keep = vec![true; files.len()];
    for (index, file) in files.iter().enumerate() {
        let Some(id) = name_thread_id(&file.path) else {
            continue;
        };
        let Some(&previous) = chosen.get(&id) else {
            chosen.insert(id, index);
            continue;
        };
        let current_wins =
            (file.archived, &file.path) < (files[previous].archived, &files[previous].path);
        if current_wins {
            keep[previous] = false;
            chosen.insert(id, index);
        } else {
            keep[index] = false;
        }
    }
    files
        .into_iter()
        .zip(keep)
        .filter_map(|(file, keep)| keep.then_some(file))
        .collect()
}

fn name_thread_id(path: &Path) -> Option<ThreadId> {
    let name = path.file_name()?.to_str()?;
    name.parse::<RolloutFileName>()
        .ok()
        .map(|name| name.thread_id)
}
