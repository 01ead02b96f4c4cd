//! The memory folder as a small read-mostly file service for other agents: [`list`], [`read`]
//! and [`search`] over `<codex_home>/memories`, paginated with opaque cursors, and [`add_note`]
//! to leave an ad hoc note for the next consolidation. It knows nothing of MCP wire formats: the
//! results are plain serde structs that a server (the CLI's `mcp` command) turns into messages.
//! Invariant: every client-supplied path goes through [`crate::confine::resolve_in_root`]; `.git`
//! is never shown, and symlinks are never followed while walking.

mod cursor;
mod error;
mod list;
mod notes;
mod read;
mod search;
mod walk;

pub use cursor::Cursor;
pub use error::MemoryToolError;
pub use list::{DEFAULT_LIST_RESULTS, Entry, EntryKind, ListPage, MAX_LIST_RESULTS, list};
pub use notes::{
    MAX_NOTE_BODY_BYTES, MAX_NOTE_SLUG_BYTES, MAX_NOTE_TITLE_BYTES, NoteWritten, add_note,
    note_slug,
};
pub use read::{
    DEFAULT_READ_LINES, MAX_READ_FILE_BYTES, MAX_READ_LINES, MAX_READ_PAGE_BYTES, ReadPage, read,
};
pub use search::{
    DEFAULT_SEARCH_RESULTS, MAX_CONTEXT_LINES, MAX_SEARCH_FILE_BYTES, MAX_SEARCH_QUERIES,
    MAX_SEARCH_RESULTS, MatchMode, SearchMatch, SearchPage, SearchQuery, search,
};

/// Longest line shown in a read page or a search match, in bytes; longer lines are cut on a
/// char boundary and end with [`LINE_CUT_MARKER`].
pub const MAX_LINE_BYTES: usize = 4 * 1024;
/// Appended to a line cut at [`MAX_LINE_BYTES`].
pub const LINE_CUT_MARKER: &str = " […line cut]";

/// `line`, cut to [`MAX_LINE_BYTES`] with a marker when longer.
fn bounded_line(line: &str) -> String {
    if line.len() <= MAX_LINE_BYTES {
        return line.to_string();
    }
    let cut = crate::phase1::cut::truncate_to_char_boundary(line, MAX_LINE_BYTES);
    format!("{cut}{LINE_CUT_MARKER}")
}

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
