//! The errors of the memory tools: the file service's (a refused path, a missing file, a link,
//! a size cap) and the tools' own (cursors, arguments). Each names the path (as the client gave
//! it), cursor or argument involved, and reads well as-is in a tool result.

use crate::memory_folder::{FolderError, PathRefused};

/// Why a memory tool call failed.
#[derive(Debug, thiserror::Error)]
pub enum MemoryToolError {
    /// The file service refused or failed (see [`FolderError`]).
    #[error(transparent)]
    Folder(#[from] FolderError),
    /// `line_offset` points past the end of the file.
    #[error("`{path}` has {total_lines} lines; line_offset {line_offset} is past its end")]
    LineOffsetPastEnd {
        /// The path as given.
        path: String,
        /// The requested first line (1-based).
        line_offset: usize,
        /// Lines in the file.
        total_lines: usize,
    },
    /// The cursor was not produced by this tool, or is malformed.
    #[error(
        "bad cursor `{cursor}`: {reason}; pass back the next_cursor of a previous call unchanged"
    )]
    BadCursor {
        /// The cursor as given.
        cursor: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An argument is out of range or empty.
    #[error("invalid `{argument}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        argument: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Every candidate note file name already exists.
    #[error("cannot find a free note file name next to `{path}`")]
    NoteNameTaken {
        /// The first name tried, relative to the root.
        path: String,
    },
}

impl From<PathRefused> for MemoryToolError {
    fn from(refused: PathRefused) -> Self {
        Self::Folder(FolderError::Refused(refused))
    }
}
