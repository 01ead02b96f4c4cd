//! `RolloutReader`: streams a rollout file (plain or `.zst`) and yields each readable line with
//! its number, collecting the unreadable ones as [`BadLine`]s instead of stopping. Only an I/O
//! failure (an unreadable file, a corrupt zstd frame) ends a read early, and that error names the
//! file and the line reached.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::jsonl::JsonlReader;
use crate::rollout_line::LineShapeError;
use crate::{RolloutFormat, RolloutLine};

/// How many bad lines are kept with their reasons; the rest are only counted.
pub const MAX_KEPT_BAD_LINES: usize = 1000;

/// A line that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    /// 1-based line number.
    pub line_number: u64,
    /// Why it was skipped.
    pub reason: BadLineReason,
}

/// Why a line was skipped.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BadLineReason {
    /// The bytes are not UTF-8.
    InvalidUtf8 {
        /// Byte offset of the first invalid byte within the line.
        at_byte: usize,
    },
    /// The text is not JSON.
    InvalidJson {
        /// The parser's message.
        detail: String,
    },
    /// The last line has no newline and is not complete JSON (the writer was cut off).
    TruncatedFinalLine {
        /// The line's size in bytes.
        bytes: usize,
    },
    /// The line is longer than the reader's cap.
    TooLong {
        /// The line's size in bytes.
        bytes: u64,
        /// The cap in force.
        limit: usize,
    },
    /// JSON, but neither an envelope nor a legacy rollout line.
    NotARolloutLine {
        /// What was wrong.
        detail: String,
    },
}

impl fmt::Display for BadLineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUtf8 { at_byte } => write!(f, "invalid UTF-8 at byte {at_byte}"),
            Self::InvalidJson { detail } => write!(f, "invalid JSON: {detail}"),
            Self::TruncatedFinalLine { bytes } => write!(
                f,
                "truncated final line ({bytes} bytes, no newline, incomplete JSON)"
            ),
            Self::TooLong { bytes, limit } => {
                write!(f, "line too long ({bytes} bytes; the limit is {limit})")
            }
            Self::NotARolloutLine { detail } => write!(f, "not a rollout line: {detail}"),
        }
    }
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line_number, self.reason)
    }
}

/// A rollout that could not be opened or read to its end.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolloutError {
    /// The file could not be opened (or its zstd header read).
    #[error("cannot open rollout {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Reading stopped early, e.g. a corrupt zstd frame or an I/O error.
    #[error("cannot read rollout {} after line {line_number}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The last line read completely.
        line_number: u64,
        /// The cause.
        source: io::Error,
    },
}

/// Streams the lines of one rollout. See the module documentation.
pub struct RolloutReader {
    lines: JsonlReader,
    format: Option<RolloutFormat>,
}

impl RolloutReader {
    /// Opens a rollout file; names ending in `.zst` are decompressed as they are read.
    pub fn open(path: &Path) -> Result<Self, RolloutError> {
        Ok(Self {
            lines: JsonlReader::open(path)?,
            format: None,
        })
    }

    /// Reads a rollout from any byte source; `path` is only used in messages.
    pub fn from_reader(
        path: &Path,
        reader: impl Read + Send + 'static,
        compressed: bool,
    ) -> io::Result<Self> {
        Ok(Self {
            lines: JsonlReader::from_reader(path, reader, compressed)?,
            format: None,
        })
    }

    /// Caps line length at `max_line_bytes` instead of [`crate::MAX_LINE_BYTES`].
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.lines.set_max_line_bytes(max_line_bytes);
        self
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    /// The layout of the first readable line, once one has been read.
    pub fn format(&self) -> Option<RolloutFormat> {
        self.format
    }

    /// The number of lines read so far, good and bad.
    pub fn lines_read(&self) -> u64 {
        self.lines.lines_read()
    }

    /// The bad lines seen so far (at most [`MAX_KEPT_BAD_LINES`] are kept).
    pub fn bad_lines(&self) -> &[BadLine] {
        self.lines.bad_lines()
    }

    /// How many bad lines were seen, including those not kept.
    pub fn bad_line_count(&self) -> u64 {
        self.lines.bad_line_count()
    }

    /// The next readable line and its number; bad lines are recorded and skipped.
    pub fn next_line(&mut self) -> Result<Option<(u64, RolloutLine)>, RolloutError> {
        loop {
            let Some(line) = self.lines.next_text()? else {
                return Ok(None);
            };
            let (number, terminated) = (line.number, line.terminated);
            match RolloutLine::parse(line.text) {
                Ok(parsed) => {
                    self.format.get_or_insert(parsed.format);
                    return Ok(Some((number, parsed)));
                }
                Err(LineShapeError::InvalidJson(_)) if !terminated => {
                    let bytes = line.text.len();
                    self.lines
                        .record_bad_line(number, BadLineReason::TruncatedFinalLine { bytes });
                }
                Err(LineShapeError::InvalidJson(detail)) => {
                    self.lines
                        .record_bad_line(number, BadLineReason::InvalidJson { detail });
                }
                Err(LineShapeError::NotARolloutLine(detail)) => {
                    self.lines
                        .record_bad_line(number, BadLineReason::NotARolloutLine { detail });
                }
            }
        }
    }
}

impl Iterator for RolloutReader {
    type Item = Result<(u64, RolloutLine), RolloutError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}
