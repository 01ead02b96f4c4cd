//! `read`: a window of lines from one file of the memory folder, 1-based, bounded by a line
//! count and a byte budget so one call cannot flood a client's context. The page says where the
//! next one starts. The text is redacted before lines are picked (see
//! [`MemoryFolder::read_redacted`]); links are refused by the file service.

use std::path::Path;

use serde::Serialize;

use crate::memory_folder::limits::bounded_line;
pub use crate::memory_folder::limits::{MAX_READ_FILE_BYTES, MAX_READ_PAGE_BYTES};
use crate::memory_folder::{FolderPath, MemoryFolder};
use crate::memory_tools::MemoryToolError;

/// Lines per page when the caller does not say.
pub const DEFAULT_READ_LINES: usize = 200;
/// Most lines per page a caller may ask for.
pub const MAX_READ_LINES: usize = 2000;

/// A window of lines from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadPage {
    /// Path relative to the memory root, `/`-separated.
    pub path: String,
    /// Number of the first line in `lines` (1-based).
    pub start_line: usize,
    /// The lines, without their line endings; over-long lines are cut with a marker.
    pub lines: Vec<String>,
    /// Lines in the whole file.
    pub total_lines: usize,
    /// Pass back as `line_offset` for the next page; `None` when the page reaches the end.
    pub next_line_offset: Option<usize>,
}

/// Reads up to `max_lines` (default [`DEFAULT_READ_LINES`]) lines of `path` starting at the
/// 1-based `line_offset` (default 1). Invalid UTF-8 is shown as U+FFFD.
pub fn read(
    root: &Path,
    path: &str,
    line_offset: Option<usize>,
    max_lines: Option<usize>,
) -> Result<ReadPage, MemoryToolError> {
    let start_line = match line_offset {
        None => 1,
        Some(0) => {
            return Err(MemoryToolError::InvalidArgument {
                argument: "line_offset",
                reason: "lines are numbered from 1".to_string(),
            });
        }
        Some(n) => n,
    };
    let max_lines = match max_lines {
        None => DEFAULT_READ_LINES,
        Some(n) if n == 0 || n > MAX_READ_LINES => {
            return Err(MemoryToolError::InvalidArgument {
                argument: "max_lines",
                reason: format!("must be between 1 and {MAX_READ_LINES}"),
            });
        }
        Some(n) => n,
    };
    let file = FolderPath::parse(path)?;
    let folder = MemoryFolder::open(root)?;
    let text = folder.read_redacted(&file)?;
    let all: Vec<&str> = text.lines().collect();
    let total_lines = all.len();
    if start_line > total_lines.max(1) {
        return Err(MemoryToolError::LineOffsetPastEnd {
            path: path.to_string(),
            line_offset: start_line,
            total_lines,
        });
    }
    let mut lines = Vec::new();
    let mut page_bytes = 0;
    for line in all.iter().skip(start_line - 1).take(max_lines) {
        let line = bounded_line(line);
        // Always return at least one line, so a page always makes progress.
        if !lines.is_empty() && page_bytes + line.len() > MAX_READ_PAGE_BYTES {
            break;
        }
        page_bytes += line.len();
        lines.push(line);
    }
    let next = start_line + lines.len();
    Ok(ReadPage {
        path: file.to_string(),
        start_line,
        lines,
        total_lines,
        next_line_offset: (next <= total_lines).then_some(next),
    })
}
