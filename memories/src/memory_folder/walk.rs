//! A lazy, deterministic walk of the memory folder: depth first, each folder's entries sorted by
//! name, a folder before its contents. Each folder is listed through the service (component by
//! component, links never followed), so `.git*` is never yielded nor entered and a link can
//! neither lead a walk outside the folder nor make it loop.

use super::{EntryInfo, EntryKind, FolderError, FolderPath, MemoryFolder, error::shown};

/// The entries under a path, in walk order (see [`MemoryFolder::walk`]).
pub struct Walk<'a> {
    folder: &'a MemoryFolder,
    /// Entries still to visit, in reverse order (the next one on top).
    pending: Vec<EntryInfo>,
}

impl<'a> Walk<'a> {
    /// Starts a walk at `path`; the path itself is yielded only when it is a file.
    pub(super) fn new(folder: &'a MemoryFolder, path: &FolderPath) -> Result<Self, FolderError> {
        let Some(entry) = folder.stat(path)? else {
            return Err(FolderError::NotFound { path: shown(path) });
        };
        let mut walk = Self {
            folder,
            pending: Vec::new(),
        };
        match entry.kind {
            EntryKind::File => walk.pending.push(entry),
            EntryKind::Dir => walk.push_children(path)?,
        }
        Ok(walk)
    }

    fn push_children(&mut self, path: &FolderPath) -> Result<(), FolderError> {
        let children = self.folder.list_dir(path)?;
        self.pending.extend(children.into_iter().rev());
        Ok(())
    }
}

impl Iterator for Walk<'_> {
    type Item = Result<EntryInfo, FolderError>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.pending.pop()?;
        if next.kind == EntryKind::Dir
            && let Err(error) = self.push_children(&next.path)
        {
            return Some(Err(error));
        }
        Some(Ok(next))
    }
}
