//! Copying the live memory folder into phase 2's staging folder: every folder, file and link
//! the workspace scan sees (the top-level bookkeeping — `.git`, `.git.*`, the diff file — stays
//! behind), permissions kept, links copied as links, nested `.git` folders copied whole. For each
//! copied file it records the live file's `lstat` data, to tell at commit time what changed in the
//! live folder meanwhile, and the copy's, for the stat cache the staging diff trusts. Folders are
//! copied in parallel, as the scan reads them.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use gix::bstr::BString;
use gix::index::entry::Stat;

use super::error::WorkspaceError;
use super::scan::{FileMode, index_stat, read_folder};

/// One file copied into the staging folder.
#[derive(Debug, Clone)]
pub(crate) struct CopiedFile {
    /// Relative to the root, `/`-separated.
    pub path: BString,
    /// Regular, executable or symlink.
    pub mode: FileMode,
    /// The live file's `lstat` data when it was copied.
    pub live: Stat,
    /// The copy's `lstat` data.
    pub staged: Stat,
}

/// Copies `live` into the existing, empty folder `staging`; returns the copied files sorted by
/// path bytes.
pub(crate) fn copy_tree(live: &Path, staging: &Path) -> Result<Vec<CopiedFile>, WorkspaceError> {
    let copied = Mutex::new(Vec::new());
    let failure = Mutex::new(None);
    rayon::scope(|scope| {
        copy_folder(
            scope,
            (live.to_path_buf(), staging.to_path_buf()),
            BString::default(),
            &copied,
            &failure,
        );
    });
    if let Some(error) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    let mut copied = copied.into_inner().unwrap_or_else(PoisonError::into_inner);
    copied.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(copied)
}

/// Copies one folder's files and spawns a task per sub-folder; the first error wins.
fn copy_folder<'scope>(
    scope: &rayon::Scope<'scope>,
    (from, to): (PathBuf, PathBuf),
    prefix: BString,
    copied: &'scope Mutex<Vec<CopiedFile>>,
    failure: &'scope Mutex<Option<WorkspaceError>>,
) {
    let result = read_folder(&from, &prefix).and_then(|found| {
        let mut files = Vec::with_capacity(found.files.len());
        for file in found.files {
            let name = file_name(&file.path);
            let staged = copy_entry(&from.join(&name), &to.join(&name), file.mode)?;
            files.push(CopiedFile {
                path: file.path,
                mode: file.mode,
                live: file.stat,
                staged,
            });
        }
        for (nested_git, _) in &found.nested_git {
            let target = to.join(nested_git.file_name().unwrap_or_default());
            copy_whole(nested_git, &target)?;
        }
        let mut folders = Vec::with_capacity(found.folders.len());
        for (dir, path) in found.folders {
            let target = to.join(dir.file_name().unwrap_or_default());
            create_like(&dir, &target)?;
            folders.push(((dir, target), path));
        }
        Ok((files, folders))
    });
    match result {
        Ok((files, folders)) => {
            copied
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(files);
            for (dirs, path) in folders {
                scope.spawn(move |scope| copy_folder(scope, dirs, path, copied, failure));
            }
        }
        Err(error) => {
            failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(error);
        }
    }
}

/// The last component of a `/`-separated relative path, as a file name.
fn file_name(path: &BString) -> PathBuf {
    let last = path.rsplit(|byte| *byte == b'/').next().unwrap_or_default();
    match gix::path::from_byte_slice(last) {
        Ok(name) => name.to_path_buf(),
        Err(_) => PathBuf::from(String::from_utf8_lossy(last).into_owned()),
    }
}

/// Copies one file (content and permissions) or link; returns the copy's stat.
pub(crate) fn copy_entry(from: &Path, to: &Path, mode: FileMode) -> Result<Stat, WorkspaceError> {
    let write_error = |source| WorkspaceError::Write {
        path: to.to_path_buf(),
        source,
    };
    match mode {
        FileMode::Symlink => {
            let target = std::fs::read_link(from).map_err(|source| WorkspaceError::Read {
                path: from.to_path_buf(),
                source,
            })?;
            symlink(&target, to).map_err(write_error)?;
        }
        FileMode::Regular | FileMode::Executable => {
            std::fs::copy(from, to).map_err(write_error)?;
        }
    }
    let metadata = std::fs::symlink_metadata(to).map_err(|source| WorkspaceError::Read {
        path: to.to_path_buf(),
        source,
    })?;
    index_stat(to, &metadata)
}

/// Creates the folder `to` with the permissions of `from`.
fn create_like(from: &Path, to: &Path) -> Result<(), WorkspaceError> {
    let write_error = |source| WorkspaceError::Write {
        path: to.to_path_buf(),
        source,
    };
    std::fs::create_dir(to).map_err(write_error)?;
    if let Ok(metadata) = std::fs::metadata(from) {
        std::fs::set_permissions(to, metadata.permissions()).map_err(write_error)?;
    }
    Ok(())
}

/// Copies a folder and everything in it as it is (used for nested `.git` folders).
fn copy_whole(from: &Path, to: &Path) -> Result<(), WorkspaceError> {
    create_like(from, to)?;
    let entries = std::fs::read_dir(from).map_err(|source| WorkspaceError::Read {
        path: from.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| WorkspaceError::Read {
            path: from.to_path_buf(),
            source,
        })?;
        let (source_path, target) = (entry.path(), to.join(entry.file_name()));
        let file_type = entry.file_type().map_err(|source| WorkspaceError::Read {
            path: source_path.clone(),
            source,
        })?;
        if file_type.is_dir() {
            copy_whole(&source_path, &target)?;
        } else if file_type.is_symlink() {
            copy_entry(&source_path, &target, FileMode::Symlink)?;
        } else if file_type.is_file() {
            copy_entry(&source_path, &target, FileMode::Regular)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}
