//! The memory folder as one confined file service, used by the consolidation agent's tools and
//! by the MCP server alike. Every path is checked by [`FolderPath`] and then resolved one
//! component at a time against an open directory handle (cap-std), never following a symbolic
//! link, so a link or a folder swapped in between a check and a use cannot lead outside the
//! folder or into `.git`. Writes replace files atomically (a temporary sibling, then a rename in
//! the same directory) and respect one set of size caps ([`limits`]). Notes are written under
//! the folder lock (`lock.rs`) that phase 2 takes while it swaps a consolidated folder in.

mod error;
pub mod limits;
pub(crate) mod lock;
mod path;
mod walk;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use cap_fs_ext::{DirExt as _, FollowSymlinks, OpenOptionsFollowExt as _};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use serde::Serialize;

pub use error::FolderError;
pub use path::{FolderPath, PathRefused, is_hidden_name};
pub use walk::Walk;

use crate::fsutil::unique_suffix;
use error::shown;
use limits::{MAX_READ_FILE_BYTES, MAX_WRITE_FILE_BYTES};
use lock::{FolderLock, LockMode};

/// Prefix of the temporary file a write goes through before it is renamed into place (hidden
/// from every listing, like the rest of `.git.*`).
const TEMP_FILE_PREFIX: &str = ".git.tmp-write-";

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
}

/// One file or folder of the memory folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInfo {
    /// Where it is, relative to the memory folder.
    pub path: FolderPath,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for folders).
    pub bytes: u64,
}

/// The memory folder, open.
#[derive(Debug)]
pub struct MemoryFolder {
    root: PathBuf,
    dir: Dir,
    /// Held for writers of the live folder; released on drop.
    _lock: Option<FolderLock>,
}

impl MemoryFolder {
    /// Opens the existing folder `root` for reading and writing.
    pub fn open(root: &Path) -> Result<Self, FolderError> {
        match Dir::open_ambient_dir(root, ambient_authority()) {
            Ok(dir) => Ok(Self {
                root: root.to_path_buf(),
                dir,
                _lock: None,
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Err(FolderError::MissingRoot {
                    root: root.to_path_buf(),
                })
            }
            Err(source) => Err(FolderError::Io {
                path: root.display().to_string(),
                source,
            }),
        }
    }

    /// Opens the live folder `root` (created when missing) under the shared folder lock, for a
    /// write that must land in the folder a concurrent phase 2 will keep: phase 2 swaps its
    /// consolidated copy in only under the exclusive lock, after carrying over such writes.
    pub fn open_live_for_writing(root: &Path) -> Result<Self, FolderError> {
        let (dir, lock) = lock::open_locked(root, LockMode::Shared, true)
            .map_err(|source| FolderError::Io {
                path: root.display().to_string(),
                source,
            })?
            .ok_or_else(|| FolderError::MissingRoot {
                root: root.to_path_buf(),
            })?;
        Ok(Self {
            root: root.to_path_buf(),
            dir,
            _lock: Some(lock),
        })
    }

    /// The folder's location.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What is at `path`: `None` when nothing is. A symbolic link is an error, never followed.
    pub fn stat(&self, path: &FolderPath) -> Result<Option<EntryInfo>, FolderError> {
        let Some((parents, name)) = path.split_last() else {
            return Ok(Some(EntryInfo {
                path: FolderPath::root(),
                kind: EntryKind::Dir,
                bytes: 0,
            }));
        };
        let parent = match self.descend(parents, path, false) {
            Ok(parent) => parent,
            Err(FolderError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        let metadata = match parent.symlink_metadata(name) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(FolderError::io(path, source)),
        };
        let file_type = metadata.file_type();
        if file_type.is_symlink() {
            return Err(FolderError::Symlink { path: shown(path) });
        }
        let (kind, bytes) = if file_type.is_dir() {
            (EntryKind::Dir, 0)
        } else if file_type.is_file() {
            (EntryKind::File, metadata.len())
        } else {
            return Err(FolderError::NotAFile { path: shown(path) });
        };
        Ok(Some(EntryInfo {
            path: path.clone(),
            kind,
            bytes,
        }))
    }

    /// The bytes of the file at `path` (at most [`MAX_READ_FILE_BYTES`]).
    pub fn read(&self, path: &FolderPath) -> Result<Vec<u8>, FolderError> {
        let Some((parents, name)) = path.split_last() else {
            return Err(FolderError::NotAFile { path: shown(path) });
        };
        let parent = self.descend(parents, path, false)?;
        let mut options = OpenOptions::new();
        options.read(true).follow(FollowSymlinks::No);
        let mut file = parent
            .open_with(name, &options)
            .map_err(|error| explain(&parent, name, path, path, error))?;
        let metadata = file
            .metadata()
            .map_err(|source| FolderError::io(path, source))?;
        if !metadata.is_file() {
            return Err(FolderError::NotAFile { path: shown(path) });
        }
        if metadata.len() > MAX_READ_FILE_BYTES {
            return Err(FolderError::FileTooLarge {
                path: shown(path),
                bytes: metadata.len(),
                limit_bytes: MAX_READ_FILE_BYTES,
            });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
        // `take` bounds a file that grew since its size was read.
        (&mut file)
            .take(MAX_READ_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|source| FolderError::io(path, source))?;
        Ok(bytes)
    }

    /// The text of the file at `path`, invalid UTF-8 shown as U+FFFD.
    pub fn read_text(&self, path: &FolderPath) -> Result<String, FolderError> {
        let bytes = self.read(path)?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        })
    }

    /// The text of the file at `path` as a model may see it: secrets replaced by
    /// `[REDACTED_SECRET]` (the whole file is redacted before any line is picked, so a secret
    /// spanning lines is caught too).
    pub fn read_redacted(&self, path: &FolderPath) -> Result<String, FolderError> {
        let text = self.read_text(path)?;
        Ok(crate::redact::redact(&text).text)
    }

    /// The files and folders directly in the folder at `path`, sorted by name; `.git*` and
    /// symbolic links are left out.
    pub fn list_dir(&self, path: &FolderPath) -> Result<Vec<EntryInfo>, FolderError> {
        let dir = self.descend(path.components(), path, false)?;
        let entries = dir
            .entries()
            .map_err(|source| FolderError::io(path, source))?;
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| FolderError::io(path, source))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if is_hidden_name(&name) {
                continue;
            }
            let file_type = match entry.file_type() {
                Ok(file_type) => file_type,
                // Deleted since the folder was listed.
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(FolderError::io(path.join(&name), source)),
            };
            let (kind, bytes) = if file_type.is_dir() {
                (EntryKind::Dir, 0)
            } else if file_type.is_file() {
                let bytes = entry.metadata().map_or(0, |metadata| metadata.len());
                (EntryKind::File, bytes)
            } else {
                continue;
            };
            found.push(EntryInfo {
                path: path.join(&name),
                kind,
                bytes,
            });
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(found)
    }

    /// Every file and folder under `path` (the file alone when it names one), depth first,
    /// names sorted, a folder before its contents.
    pub fn walk(&self, path: &FolderPath) -> Result<Walk<'_>, FolderError> {
        Walk::new(self, path)
    }

    /// Creates or replaces the file at `path` with `bytes` (at most [`MAX_WRITE_FILE_BYTES`]),
    /// creating missing folders on the way. The file appears whole or not at all.
    pub fn write(&self, path: &FolderPath, bytes: &[u8]) -> Result<(), FolderError> {
        let (parent, name) = self.prepare_write(path, bytes)?;
        let temporary = write_temporary(&parent, path, bytes)?;
        parent.rename(&temporary, &parent, name).map_err(|source| {
            let _ = parent.remove_file(&temporary);
            FolderError::io(path, source)
        })
    }

    /// Creates the file at `path` with `bytes`, failing with [`FolderError::Exists`] when any
    /// entry has that name: an existing file is never overwritten.
    pub fn create_new(&self, path: &FolderPath, bytes: &[u8]) -> Result<(), FolderError> {
        let (parent, name) = self.prepare_write(path, bytes)?;
        let temporary = write_temporary(&parent, path, bytes)?;
        // A hard link never replaces an existing name, so two writers cannot both win.
        let linked = parent.hard_link(&temporary, &parent, name);
        let _ = parent.remove_file(&temporary);
        match linked {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(FolderError::Exists { path: shown(path) })
            }
            Err(source) => Err(FolderError::io(path, source)),
        }
    }

    /// Creates the folder at `path` and every missing folder above it (never through a link).
    pub fn create_dir_all(&self, path: &FolderPath) -> Result<(), FolderError> {
        self.descend(path.components(), path, true).map(drop)
    }

    /// Deletes the file (or symbolic link) at `path`; folders are refused.
    pub fn remove_file(&self, path: &FolderPath) -> Result<(), FolderError> {
        let Some((parents, name)) = path.split_last() else {
            return Err(FolderError::NotAFile { path: shown(path) });
        };
        let parent = self.descend(parents, path, false)?;
        let metadata = parent
            .symlink_metadata(name)
            .map_err(|error| explain(&parent, name, path, path, error))?;
        if metadata.is_dir() {
            return Err(FolderError::NotAFile { path: shown(path) });
        }
        parent
            .remove_file(name)
            .map_err(|source| FolderError::io(path, source))
    }

    /// Checks a write of `bytes` to `path` and opens (creating) its parent folder.
    fn prepare_write<'p>(
        &self,
        path: &'p FolderPath,
        bytes: &[u8],
    ) -> Result<(Dir, &'p str), FolderError> {
        let Some((parents, name)) = path.split_last() else {
            return Err(FolderError::NotAFile { path: shown(path) });
        };
        if bytes.len() > MAX_WRITE_FILE_BYTES {
            return Err(FolderError::WriteTooLarge {
                path: shown(path),
                bytes: bytes.len(),
                limit_bytes: MAX_WRITE_FILE_BYTES,
            });
        }
        let parent = self.descend(parents, path, true)?;
        match parent.symlink_metadata(name) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(FolderError::Symlink { path: shown(path) });
            }
            Ok(metadata) if metadata.is_dir() => {
                return Err(FolderError::NotAFile { path: shown(path) });
            }
            _ => {}
        }
        Ok((parent, name))
    }

    /// Opens the folder `components` (each opened without following a link), creating missing
    /// ones when `create`. `asked` is the path the caller named, for messages.
    fn descend(
        &self,
        components: &[String],
        asked: &FolderPath,
        create: bool,
    ) -> Result<Dir, FolderError> {
        let mut dir = self
            .dir
            .try_clone()
            .map_err(|source| FolderError::io("", source))?;
        let mut walked = FolderPath::root();
        for name in components {
            walked = walked.join(name);
            let opened = match dir.open_dir_nofollow(name) {
                Err(error) if create && error.kind() == std::io::ErrorKind::NotFound => {
                    match dir.create_dir(name) {
                        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
                            return Err(FolderError::io(&walked, error));
                        }
                        _ => dir.open_dir_nofollow(name),
                    }
                }
                other => other,
            };
            dir = opened.map_err(|error| explain(&dir, name, &walked, asked, error))?;
        }
        Ok(dir)
    }
}

/// Turns a failed open of `name` in `dir` (at `walked`, on the way to `asked`) into the error a
/// client can act on: missing, a link, not a folder.
fn explain(
    dir: &Dir,
    name: &str,
    walked: &FolderPath,
    asked: &FolderPath,
    error: std::io::Error,
) -> FolderError {
    if error.kind() == std::io::ErrorKind::NotFound {
        return FolderError::NotFound { path: shown(asked) };
    }
    match dir.symlink_metadata(name) {
        Ok(metadata) if metadata.file_type().is_symlink() => FolderError::Symlink {
            path: shown(walked),
        },
        Ok(metadata) if walked != asked && !metadata.is_dir() => FolderError::NotAFolder {
            path: shown(walked),
        },
        _ => FolderError::io(walked, error),
    }
}

/// Writes `bytes` to a new temporary file in `dir`, synced; returns its name.
fn write_temporary(dir: &Dir, path: &FolderPath, bytes: &[u8]) -> Result<String, FolderError> {
    let name = format!("{TEMP_FILE_PREFIX}{}", unique_suffix());
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    let mut file = dir
        .open_with(&name, &options)
        .map_err(|source| FolderError::io(path, source))?;
    if let Err(source) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        let _ = dir.remove_file(&name);
        return Err(FolderError::io(path, source));
    }
    Ok(name)
}

#[cfg(test)]
mod tests;
