//! Walking the memory folder: every regular file, executable file and symlink below the root,
//! with the `lstat` data the index keeps, sorted by path bytes (git's index order). Symlinks are
//! recorded as links and never followed; directories named `.git` and temporary files of writes
//! in progress (`.git.tmp-*`) at any depth, and the workspace's own bookkeeping at the top level
//! (`.git.corrupt-*`, `.git.tmp-*`, the diff file) are not memory and are skipped. Other file
//! types (sockets, FIFOs) are skipped too.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use gix::bstr::{BString, ByteSlice, ByteVec};
use gix::index::entry::Stat;

use super::error::WorkspaceError;
use super::{CORRUPT_PREFIX, DIFF_FILE_NAME, STAGING_PREFIX};

/// What a path in the workspace is, as git records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileMode {
    /// A regular file (`100644`).
    Regular,
    /// A regular file with the owner's executable bit (`100755`).
    Executable,
    /// A symbolic link (`120000`); its content is the link target.
    Symlink,
}

impl FileMode {
    /// The mode as git prints it, e.g. `100755`.
    pub fn octal(self) -> &'static str {
        match self {
            FileMode::Regular => "100644",
            FileMode::Executable => "100755",
            FileMode::Symlink => "120000",
        }
    }

    pub(crate) fn tree_kind(self) -> gix::objs::tree::EntryKind {
        use gix::objs::tree::EntryKind;
        match self {
            FileMode::Regular => EntryKind::Blob,
            FileMode::Executable => EntryKind::BlobExecutable,
            FileMode::Symlink => EntryKind::Link,
        }
    }

    pub(crate) fn index_mode(self) -> gix::index::entry::Mode {
        use gix::index::entry::Mode;
        match self {
            FileMode::Regular => Mode::FILE,
            FileMode::Executable => Mode::FILE_EXECUTABLE,
            FileMode::Symlink => Mode::SYMLINK,
        }
    }

    /// The file mode of a tree entry; `None` for trees and submodule commits.
    pub(crate) fn from_tree_mode(mode: gix::objs::tree::EntryMode) -> Option<Self> {
        use gix::objs::tree::EntryKind;
        match mode.kind() {
            EntryKind::Blob => Some(FileMode::Regular),
            EntryKind::BlobExecutable => Some(FileMode::Executable),
            EntryKind::Link => Some(FileMode::Symlink),
            EntryKind::Tree | EntryKind::Commit => None,
        }
    }

    pub(crate) fn from_metadata(metadata: &std::fs::Metadata) -> Option<Self> {
        let file_type = metadata.file_type();
        if file_type.is_symlink() {
            Some(FileMode::Symlink)
        } else if file_type.is_file() {
            Some(if is_executable(metadata) {
                FileMode::Executable
            } else {
                FileMode::Regular
            })
        } else {
            None
        }
    }
}

/// One file of the worktree.
#[derive(Debug, Clone)]
pub(crate) struct WorktreeFile {
    /// Relative to the root, `/`-separated.
    pub path: BString,
    /// Regular, executable or symlink.
    pub mode: FileMode,
    /// The `lstat` data as the index stores it.
    pub stat: Stat,
}

/// Whether the owner may execute the file (git's rule); never on platforms without the bit.
fn is_executable(metadata: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.permissions().mode() & 0o100 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = metadata;
        false
    }
}

/// The stat data the index keeps, from an `lstat` result (git truncates to 32 bits, so do we).
#[cfg(unix)]
pub(crate) fn index_stat(
    _path: &Path,
    metadata: &std::fs::Metadata,
) -> Result<Stat, WorkspaceError> {
    use gix::index::entry::stat::Time;
    use std::os::unix::fs::MetadataExt;
    Ok(Stat {
        mtime: Time {
            secs: metadata.mtime() as u32,
            nsecs: metadata.mtime_nsec() as u32,
        },
        ctime: Time {
            secs: metadata.ctime() as u32,
            nsecs: metadata.ctime_nsec() as u32,
        },
        dev: metadata.dev() as u32,
        ino: metadata.ino() as u32,
        uid: metadata.uid(),
        gid: metadata.gid(),
        size: metadata.size() as u32,
    })
}

/// The stat data the index keeps, read the way gix reads it on this platform.
#[cfg(not(unix))]
pub(crate) fn index_stat(
    path: &Path,
    _metadata: &std::fs::Metadata,
) -> Result<Stat, WorkspaceError> {
    let metadata = gix::index::fs::Metadata::from_path_no_follow(path).map_err(|source| {
        WorkspaceError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    // A clock before 1970 gives a zero stat, which only costs a re-hash later.
    Ok(Stat::from_fs(&metadata).unwrap_or_default())
}

/// Whether a top-level name is the workspace's own bookkeeping rather than memory.
pub(crate) fn is_excluded_top_level(name: &[u8]) -> bool {
    name == b".git"
        || name == DIFF_FILE_NAME.as_bytes()
        || name.starts_with(CORRUPT_PREFIX.as_bytes())
        || name.starts_with(STAGING_PREFIX.as_bytes())
}

/// Whether a name below the top level is skipped: a nested `.git`, or the temporary file of a
/// write in progress (`.git.tmp-*`, see `memory_folder`).
pub(crate) fn is_excluded_nested(name: &[u8]) -> bool {
    name == b".git" || name.starts_with(STAGING_PREFIX.as_bytes())
}

/// Whether a `/`-separated relative path lies in something `scan` skips, so a baseline that
/// somehow tracks such a path (a commit made by another tool) does not report it as deleted.
pub(crate) fn is_excluded_path(path: &[u8]) -> bool {
    let mut components = path.split(|byte| *byte == b'/');
    let first = components.next().unwrap_or_default();
    is_excluded_top_level(first) || components.any(is_excluded_nested)
}

/// Every file below `root`, sorted by path bytes. Folders are read in parallel: the time goes
/// into one `lstat` per file, and the kernel serves those from several threads at once.
pub(crate) fn scan(root: &Path) -> Result<Vec<WorktreeFile>, WorkspaceError> {
    let files = Mutex::new(Vec::new());
    let failure = Mutex::new(None);
    rayon::scope(|scope| {
        scan_folder(
            scope,
            root.to_path_buf(),
            BString::default(),
            &files,
            &failure,
        );
    });
    if let Some(error) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(error);
    }
    let mut files = files.into_inner().unwrap_or_else(PoisonError::into_inner);
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Reads one folder into `files` and spawns a task per sub-folder; the first error wins.
fn scan_folder<'scope>(
    scope: &rayon::Scope<'scope>,
    dir: PathBuf,
    prefix: BString,
    files: &'scope Mutex<Vec<WorktreeFile>>,
    failure: &'scope Mutex<Option<WorkspaceError>>,
) {
    match read_folder(&dir, &prefix) {
        Ok(found) => {
            files
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(found.files);
            for (dir, prefix) in found.folders {
                scope.spawn(move |scope| scan_folder(scope, dir, prefix, files, failure));
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

/// Sub-folders still to read: absolute path, and path relative to the root.
pub(crate) type PendingFolders = Vec<(PathBuf, BString)>;

/// What one folder holds, as the scan sees it.
pub(crate) struct FolderEntries {
    /// Its files, links and executables, with their `lstat` data.
    pub files: Vec<WorktreeFile>,
    /// Its sub-folders still to read.
    pub folders: PendingFolders,
    /// Nested `.git` folders it holds: not memory, skipped by the scan (a copy keeps them).
    pub nested_git: PendingFolders,
}

/// The entries of one folder (`prefix` is its path relative to the root).
pub(crate) fn read_folder(dir: &Path, prefix: &BString) -> Result<FolderEntries, WorkspaceError> {
    let mut found = FolderEntries {
        files: Vec::new(),
        folders: Vec::new(),
        nested_git: Vec::new(),
    };
    let entries = std::fs::read_dir(dir).map_err(|source| WorkspaceError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| WorkspaceError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name();
        let name_bytes: Cow<'_, [u8]> = match gix::path::os_str_into_bstr(&name) {
            Ok(bytes) => Cow::Borrowed(bytes.as_bytes()),
            Err(_) => Cow::Owned(name.to_string_lossy().into_owned().into_bytes()),
        };
        let mut path = prefix.clone();
        if !path.is_empty() {
            path.push_byte(b'/');
        }
        path.push_str(&name_bytes[..]);
        if prefix.is_empty() {
            if is_excluded_top_level(&name_bytes) {
                continue;
            }
        } else if is_excluded_nested(&name_bytes) {
            if &name_bytes[..] == b".git" {
                found.nested_git.push((entry.path(), path));
            }
            continue;
        }
        let full = entry.path();
        // `DirEntry::metadata` is an `lstat` relative to the open directory (no path walk).
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            // Deleted since the folder was listed: it is simply not there.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(WorkspaceError::Read { path: full, source }),
        };
        if metadata.is_dir() {
            found.folders.push((full, path));
            continue;
        }
        let Some(mode) = FileMode::from_metadata(&metadata) else {
            continue;
        };
        let stat = index_stat(&full, &metadata)?;
        found.files.push(WorktreeFile { path, mode, stat });
    }
    Ok(found)
}

/// The bytes git stores for `file`: the content of a file, the target of a symlink.
pub(crate) fn read_content(root: &Path, file: &WorktreeFile) -> Result<Vec<u8>, WorkspaceError> {
    let full = absolute(root, file.path.as_ref());
    let read = match file.mode {
        FileMode::Symlink => std::fs::read_link(&full).map(|target| {
            let target = target.into_os_string();
            match gix::path::os_str_into_bstr(&target) {
                Ok(bytes) => bytes.to_vec(),
                Err(_) => target.to_string_lossy().into_owned().into_bytes(),
            }
        }),
        FileMode::Regular | FileMode::Executable => std::fs::read(&full),
    };
    read.map_err(|source| WorkspaceError::Read { path: full, source })
}

/// `root` joined with a `/`-separated relative path.
pub(crate) fn absolute(root: &Path, path: &gix::bstr::BStr) -> PathBuf {
    match gix::path::from_bstr(path) {
        Ok(relative) => root.join(relative),
        Err(_) => root.join(path.to_str_lossy().as_ref()),
    }
}
