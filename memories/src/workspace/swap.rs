//! Putting phase 2's staging folder in place of the live memory folder, and repairing what an
//! interrupted run left beside it. Both folders are siblings, so on one file system. On Linux the
//! two are exchanged in one atomic `renameat2(RENAME_EXCHANGE)`: at every instant the live path
//! holds either the old folder or the new one, never nothing. Where that is not available (other
//! systems, some network file systems) the swap takes two renames — live → retired, staging →
//! live — and a crash between them leaves no live folder but a retired one, which
//! [`recover_interrupted`] (called by `prepare` and at the start of every phase 2) renames back:
//! the run did not commit, so the folder is the one from before it.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::fsutil::unique_suffix;

use super::CORRUPT_PREFIX;
use super::error::WorkspaceError;

/// Infix of a staging folder: `<parent>/.<name>.phase2-staging-<unique>`.
pub(crate) const STAGING_INFIX: &str = ".phase2-staging-";
/// Infix of the folder a two-rename swap moves the live folder to:
/// `<parent>/.<name>.phase2-retired-<unique>`.
pub(crate) const RETIRED_INFIX: &str = ".phase2-retired-";

/// A sibling of `live` named `.<name><infix><unique>`.
pub(crate) fn sibling(live: &Path, infix: &str) -> Result<PathBuf, WorkspaceError> {
    let (Some(parent), Some(name)) = (live.parent(), live.file_name()) else {
        return Err(WorkspaceError::Write {
            path: live.to_path_buf(),
            source: io::Error::other("the memory folder has no parent folder to stage beside"),
        });
    };
    let mut sibling = OsString::from(".");
    sibling.push(name);
    sibling.push(infix);
    sibling.push(unique_suffix());
    Ok(parent.join(sibling))
}

/// The existing siblings of `live` whose names start with `.<name><infix>`, newest first.
fn siblings(live: &Path, infix: &str) -> Vec<PathBuf> {
    let (Some(parent), Some(name)) = (live.parent(), live.file_name()) else {
        return Vec::new();
    };
    let prefix = format!(".{}{infix}", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(&prefix))
        .map(|entry| {
            let changed = entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (changed, entry.path())
        })
        .collect();
    found.sort_by(|a, b| b.cmp(a));
    found.into_iter().map(|(_, path)| path).collect()
}

/// Whether a two-rename swap of `root` is half done (the live folder moved aside, the new one
/// not yet in place): a writer that finds no live folder waits instead of creating an empty one.
pub(crate) fn swap_in_progress(root: &Path) -> bool {
    !siblings(root, RETIRED_INFIX).is_empty()
}

/// Repairs what an interrupted phase 2 left beside `live`: a live folder missing after the
/// first of two renames gets the retired folder back (the newest, when several), and leftover
/// staging and retired folders are removed — after moving any `.git.corrupt-*` they hold (the
/// unusable repository of an old folder, kept for inspection) into the live folder. Returns the
/// leftovers removed. Best effort: a leftover that cannot be removed stays for the next run.
pub(crate) fn recover_interrupted(live: &Path) -> Vec<PathBuf> {
    let retired = siblings(live, RETIRED_INFIX);
    if std::fs::symlink_metadata(live).is_err()
        && let Some(newest) = retired.first()
        && std::fs::rename(newest, live).is_ok()
    {
        tracing::warn!(
            folder = %live.display(),
            "restored the memory folder an interrupted consolidation had moved aside"
        );
    }
    let mut removed = Vec::new();
    for leftover in siblings(live, STAGING_INFIX)
        .into_iter()
        .chain(siblings(live, RETIRED_INFIX))
    {
        keep_corrupt_repositories(&leftover, live);
        if std::fs::remove_dir_all(&leftover).is_ok() {
            removed.push(leftover);
        }
    }
    removed
}

/// Moves the `.git.corrupt-*` folders of `old` into `live` (a name already there is kept).
pub(crate) fn keep_corrupt_repositories(old: &Path, live: &Path) {
    let Ok(entries) = std::fs::read_dir(old) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(CORRUPT_PREFIX)
            && std::fs::symlink_metadata(live.join(&name)).is_err()
        {
            let _ = std::fs::rename(entry.path(), live.join(&name));
        }
    }
}

/// Puts `staging` in place of `live`; returns where the old folder now is (to be removed).
pub(crate) fn swap_in(staging: &Path, live: &Path) -> Result<PathBuf, WorkspaceError> {
    match exchange(staging, live) {
        Ok(()) => return Ok(staging.to_path_buf()),
        Err(error) if !exchange_unsupported(&error) => {
            return Err(WorkspaceError::Write {
                path: live.to_path_buf(),
                source: error,
            });
        }
        Err(_) => {}
    }
    let retired = sibling(live, RETIRED_INFIX)?;
    std::fs::rename(live, &retired).map_err(|source| WorkspaceError::Write {
        path: live.to_path_buf(),
        source,
    })?;
    if let Err(source) = std::fs::rename(staging, live) {
        // Put the old folder back rather than leave none.
        let _ = std::fs::rename(&retired, live);
        return Err(WorkspaceError::Write {
            path: live.to_path_buf(),
            source,
        });
    }
    Ok(retired)
}

/// Exchanges the two folders in one atomic step.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(staging: &Path, live: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, staging, CWD, live, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_staging: &Path, _live: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// Whether the exchange failed only because the system or file system cannot do it.
fn exchange_unsupported(error: &io::Error) -> bool {
    if error.kind() == io::ErrorKind::Unsupported {
        return true;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::io::Errno;
        let errno = error.raw_os_error().map(Errno::from_raw_os_error);
        matches!(errno, Some(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    false
}
