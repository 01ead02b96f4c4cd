//! Finding session files: every selected source's folders are probed first, so a folder that is
//! gone, unreadable or a dangling link is told apart from an empty one; each source then walks
//! the folders that could be listed (see `sources/`). Only `stat` is called here; no file is
//! opened.

use std::path::Path;
use std::sync::Arc;

use crate::FileStat;
use crate::indexer::FailedFile;
use crate::sources::{SessionRoot, SessionSource};

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

/// Walks every source: its roots are probed, and those that could be listed walked.
pub(crate) fn walk_sessions(sources: &[Arc<dyn SessionSource>]) -> Walk {
    let mut walk = Walk::default();
    for source in sources {
        let mut listed = Vec::new();
        for root in source.roots() {
            let access = probe_root(&root.path);
            if access == RootAccess::Listed {
                listed.push(root.clone());
            }
            walk.roots.push((root, access));
        }
        let found = source.find_sessions(&listed);
        walk.files.extend(found.files);
        walk.skipped += found.skipped;
        walk.failed.extend(found.failed);
    }
    walk
}
