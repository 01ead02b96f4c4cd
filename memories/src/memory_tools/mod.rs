//! The memory folder as a small read-mostly service for other agents: [`list`], [`read`] and
//! [`search`] over `<codex_home>/memories`, paginated with opaque cursors, and [`add_note`] /
//! [`add_ad_hoc_note`] to leave a note for the next consolidation. It knows nothing of MCP wire
//! formats: the results are plain serde structs that a server (the CLI's `mcp` command) turns
//! into messages. Every path goes through the confined file service
//! (`MemoryFolder`), opened afresh for each call so a folder swapped in
//! by phase 2 is seen at once; `.git` is never shown and links are never followed.

mod cursor;
mod error;
mod list;
mod notes;
mod read;
mod search;

pub use crate::memory_folder::limits::{LINE_CUT_MARKER, MAX_LINE_BYTES};
pub use cursor::Cursor;
pub use error::MemoryToolError;
pub use list::{DEFAULT_LIST_RESULTS, Entry, EntryKind, ListPage, MAX_LIST_RESULTS, list};
pub use notes::{
    MAX_NOTE_BODY_BYTES, MAX_NOTE_FILENAME_BYTES, MAX_NOTE_SLUG_BYTES, MAX_NOTE_TITLE_BYTES,
    NoteWritten, add_ad_hoc_note, add_note, note_slug,
};
pub use read::{
    DEFAULT_READ_LINES, MAX_READ_FILE_BYTES, MAX_READ_LINES, MAX_READ_PAGE_BYTES, ReadPage, read,
};
pub use search::{
    DEFAULT_SEARCH_RESULTS, MAX_CONTEXT_LINES, MAX_MATCH_WINDOW_LINES, MAX_SEARCH_FILE_BYTES,
    MAX_SEARCH_QUERIES, MAX_SEARCH_RESULTS, MatchMode, SearchMatch, SearchPage, SearchQuery,
    search,
};

/// Resolves the requested page size: `None` → `default`, `0` or more than `max` → an error.
fn page_size(
    requested: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, MemoryToolError> {
    match requested {
        None => Ok(default),
        Some(0) => Err(MemoryToolError::InvalidArgument {
            argument: "max_results",
            reason: "must be at least 1".to_string(),
        }),
        Some(n) if n > max => Err(MemoryToolError::InvalidArgument {
            argument: "max_results",
            reason: format!("must be at most {max}"),
        }),
        Some(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests;
