//! A lazy, deterministic walk of the memory folder shared by `list` and `search`: depth first,
//! each folder's entries sorted by name, a folder before its contents. `.git` and `.git.*`
//! (gix's temporary siblings) are never yielded nor entered, and symlinks are skipped rather
//! than followed, so a walk can neither leave the root nor loop.

use std::fs::DirEntry;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::confine::{display_relative, resolve_in_root};
use crate::memory_tools::MemoryToolError;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
}

/// One entry met by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Walked {
    /// Path relative to the memory root, `/`-separated.
    pub relative: String,
    /// Where it is on disk.
    pub absolute: PathBuf,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for folders).
    pub bytes: u64,
}

/// Whether the walk hides `name` (the git repository and gix's temporary files).
pub(crate) fn is_hidden(name: &str) -> bool {
    name == ".git" || name.starts_with(".git.")
}

/// Resolves `path` (empty or absent for the root) inside `root` and checks that it exists.
/// Returns the resolved location and its display path relative to the root.
pub(crate) fn resolve_existing(
    root: &Path,
    path: Option<&str>,
) -> Result<(PathBuf, String), MemoryToolError> {
    if !root.is_dir() {
        return Err(MemoryToolError::MissingRoot {
            root: root.to_path_buf(),
        });
    }
    let given = path.unwrap_or("");
    let resolved = resolve_in_root(root, given)?;
    if std::fs::symlink_metadata(&resolved).is_err() {
        return Err(MemoryToolError::NotFound {
            path: given.to_string(),
        });
    }
    let shown = display_relative(root, &resolved);
    Ok((resolved, shown))
}

/// The entries under `base` (a folder or a single file), lazily, in walk order. `base` itself
/// is yielded only when it is a file.
pub(crate) struct Walk {
    /// Entries still to visit, in reverse order (the next one on top).
    pending: Vec<Walked>,
}

impl Walk {
    /// Starts a walk at `base`, whose path relative to the root is `relative`.
    pub(crate) fn new(base: &Path, relative: &str) -> Result<Self, MemoryToolError> {
        let meta = std::fs::metadata(base).map_err(|error| MemoryToolError::io(relative, error))?;
        let mut walk = Self {
            pending: Vec::new(),
        };
        if meta.is_file() {
            walk.pending.push(Walked {
                relative: relative.to_string(),
                absolute: base.to_path_buf(),
                kind: EntryKind::File,
                bytes: meta.len(),
            });
        } else if meta.is_dir() {
            walk.push_children(base, relative)?;
        }
        Ok(walk)
    }

    fn push_children(&mut self, dir: &Path, relative: &str) -> Result<(), MemoryToolError> {
        let entries =
            std::fs::read_dir(dir).map_err(|error| MemoryToolError::io(relative, error))?;
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|error| MemoryToolError::io(relative, error))?;
            if let Some(child) = walked(&entry, relative)? {
                children.push(child);
            }
        }
        children.sort_by(|a, b| b.relative.cmp(&a.relative));
        self.pending.extend(children);
        Ok(())
    }
}

/// The entry for `entry`, or `None` when the walk hides or skips it.
fn walked(entry: &DirEntry, parent: &str) -> Result<Option<Walked>, MemoryToolError> {
    let name = entry.file_name().to_string_lossy().into_owned();
    if is_hidden(&name) {
        return Ok(None);
    }
    let relative = if parent.is_empty() {
        name
    } else {
        format!("{parent}/{name}")
    };
    // `DirEntry::metadata` does not follow symlinks, so a symlink shows up as one and is skipped.
    let meta = entry
        .metadata()
        .map_err(|error| MemoryToolError::io(relative.as_str(), error))?;
    let kind = if meta.is_dir() {
        EntryKind::Dir
    } else if meta.is_file() {
        EntryKind::File
    } else {
        return Ok(None);
    };
    Ok(Some(Walked {
        relative,
        absolute: entry.path(),
        kind,
        bytes: if kind == EntryKind::File {
            meta.len()
        } else {
            0
        },
    }))
}

impl Iterator for Walk {
    type Item = Result<Walked, MemoryToolError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.pending.pop()?;
        if next.kind == EntryKind::Dir
            && let Err(error) = self.push_children(&next.absolute, &next.relative)
        {
            return Some(Err(error));
        }
        Some(Ok(next))
    }
}
