//! The errors of the memory tools. Each names the path (as the client gave it), cursor or
//! argument involved, and reads well as-is in a tool result shown to a model or a person.

use std::path::PathBuf;

use crate::confine::PathRefused;

/// Why a memory tool call failed.
#[derive(Debug, thiserror::Error)]
pub enum MemoryToolError {
    /// The path is absolute, uses `..`, points into `.git` or leaves the root through a symlink.
    #[error(transparent)]
    Refused(#[from] PathRefused),
    /// The memory folder itself is missing.
    #[error(
        "the memory folder `{}` does not exist yet; memories are written by `codex-memories run`",
        root.display()
    )]
    MissingRoot {
        /// The memory root.
        root: PathBuf,
    },
    /// Nothing exists at the path.
    #[error("`{path}` does not exist in the memory folder")]
    NotFound {
        /// The path as given.
        path: String,
    },
    /// A file was expected.
    #[error("`{path}` is a folder, not a file; use `list` to see what it holds")]
    NotAFile {
        /// The path as given.
        path: String,
    },
    /// The file is larger than the tool reads.
    #[error("`{path}` is {bytes} bytes, more than the {limit_bytes} bytes this tool reads")]
    FileTooLarge {
        /// The path as given.
        path: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
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
    /// Reading or writing failed.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The path, relative to the root.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl MemoryToolError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
