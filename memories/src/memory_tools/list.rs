//! `list`: every file and folder under a path of the memory folder, recursively, in walk order
//! (depth first, names sorted, a folder before its contents), one page at a time. A path that
//! names a file lists that file alone. `.git` is hidden and links are skipped (see
//! [`crate::memory_folder::Walk`]).

use std::path::Path;

use serde::Serialize;

use crate::memory_folder::{FolderPath, MemoryFolder};
use crate::memory_tools::{Cursor, MemoryToolError, page_size};

pub use crate::memory_folder::EntryKind;

/// Entries per page when the caller does not say.
pub const DEFAULT_LIST_RESULTS: usize = 200;
/// Most entries per page a caller may ask for.
pub const MAX_LIST_RESULTS: usize = 1000;
/// The tool name carried in `list` cursors.
const LIST_CURSOR_TOOL: &str = "list";

/// One file or folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Path relative to the memory root, `/`-separated.
    pub path: String,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for folders).
    pub bytes: u64,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListPage {
    /// The entries, in walk order.
    pub entries: Vec<Entry>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Lists `path` (the whole folder when `None` or empty) under the memory `root`, starting at
/// `cursor`, at most `max_results` entries (default [`DEFAULT_LIST_RESULTS`]).
pub fn list(
    root: &Path,
    path: Option<&str>,
    cursor: Option<&str>,
    max_results: Option<usize>,
) -> Result<ListPage, MemoryToolError> {
    let offset = Cursor::decode(LIST_CURSOR_TOOL, cursor)?;
    let limit = page_size(max_results, DEFAULT_LIST_RESULTS, MAX_LIST_RESULTS)?;
    let base = FolderPath::parse(path.unwrap_or(""))?;
    let folder = MemoryFolder::open(root)?;
    let mut entries = Vec::new();
    let mut more = false;
    for walked in folder.walk(&base)?.skip(offset) {
        let walked = walked?;
        if entries.len() == limit {
            more = true;
            break;
        }
        entries.push(Entry {
            path: walked.path.to_string(),
            kind: walked.kind,
            bytes: walked.bytes,
        });
    }
    let next_cursor = more.then(|| {
        Cursor {
            tool: LIST_CURSOR_TOOL,
            offset: offset + entries.len(),
        }
        .encode()
    });
    Ok(ListPage {
        entries,
        next_cursor,
    })
}
