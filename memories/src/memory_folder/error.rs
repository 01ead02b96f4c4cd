//! Why a file-service call failed. Each variant names the path as the client gave it (relative
//! to the memory folder) and reads well as-is in a tool result shown to a model or a person.

use std::path::PathBuf;

use super::path::PathRefused;

/// A failed memory-folder operation.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// The path is absolute, uses `..` or points into `.git`.
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
    /// A folder was expected on the way to the path.
    #[error("`{path}` is not a folder")]
    NotAFolder {
        /// The component that is not a folder.
        path: String,
    },
    /// The path, or a folder on the way to it, is a symbolic link.
    #[error(
        "`{path}` is a symbolic link; the memory tools never follow links, which could lead outside the memory folder"
    )]
    Symlink {
        /// The link, relative to the memory folder.
        path: String,
    },
    /// The file is larger than the service reads.
    #[error("`{path}` is {bytes} bytes, more than the {limit_bytes} bytes this tool reads")]
    FileTooLarge {
        /// The path as given.
        path: String,
        /// Its size.
        bytes: u64,
        /// The limit.
        limit_bytes: u64,
    },
    /// The content to write is larger than the service writes.
    #[error(
        "writing {bytes} bytes to `{path}` refused: a file written here holds at most {limit_bytes} bytes"
    )]
    WriteTooLarge {
        /// The path as given.
        path: String,
        /// The content's size.
        bytes: usize,
        /// The limit.
        limit_bytes: usize,
    },
    /// A file that is never overwritten exists already.
    #[error("`{path}` already exists and is never overwritten; choose another name")]
    Exists {
        /// The path as given.
        path: String,
    },
    /// Reading or writing failed.
    #[error("cannot access `{path}`: {source}")]
    Io {
        /// The path, relative to the memory folder.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl FolderError {
    /// An I/O error on `path`.
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        Self::Io {
            path: shown(path),
            source,
        }
    }
}

/// A relative path as shown in messages: `.` for the folder itself.
pub(crate) fn shown(path: impl std::fmt::Display) -> String {
    let text = path.to_string();
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}
