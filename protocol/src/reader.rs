//! `RolloutReader`: streams a rollout file (plain or `.zst`) and yields each readable line with
//! its number, collecting the unreadable ones as [`BadLine`]s instead of stopping. Only an I/O
//! failure (an unreadable file, a corrupt zstd frame) ends a read early, and that error names the
//! file and the line reached.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::line_reader::{LineReader, RawLine};
use crate::rollout_line::LineShapeError;
use crate::{RolloutFormat, RolloutLine};

/// How many bad lines are kept with their reasons; the rest are only counted.
pub const MAX_KEPT_BAD_LINES: usize = 1000;

/// Read buffer for rollout files, in bytes.
const READ_BUFFER_BYTES: usize = 256 * 1024;

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
    path: PathBuf,
    lines: LineReader<Box<dyn BufRead + Send>>,
    max_line_bytes: usize,
    bad_lines: Vec<BadLine>,
    bad_line_count: u64,
    format: Option<RolloutFormat>,
    finished: bool,
}

impl RolloutReader {
    /// Opens a rollout file; names ending in `.zst` are decompressed as they are read.
    pub fn open(path: &Path) -> Result<Self, RolloutError> {
        let open_error = |source| RolloutError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(open_error)?;
        let compressed = path.extension().is_some_and(|extension| extension == "zst");
        Self::from_reader(path, file, compressed).map_err(open_error)
    }

    /// Reads a rollout from any byte source; `path` is only used in messages.
    pub fn from_reader(
        path: &Path,
        reader: impl Read + Send + 'static,
        compressed: bool,
    ) -> io::Result<Self> {
        let buffered: Box<dyn BufRead + Send> = if compressed {
            let decoder = zstd::stream::read::Decoder::new(reader)?;
            Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, decoder))
        } else {
            Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, reader))
        };
        Ok(Self {
            path: path.to_path_buf(),
            lines: LineReader::new(buffered),
            max_line_bytes: crate::MAX_LINE_BYTES,
            bad_lines: Vec::new(),
            bad_line_count: 0,
            format: None,
            finished: false,
        })
    }

    /// Caps line length at `max_line_bytes` instead of [`crate::MAX_LINE_BYTES`].
    pub fn with_max_line_bytes(mut self, max_line_bytes: usize) -> Self {
        self.lines.set_max_line_bytes(max_line_bytes);
        self.max_line_bytes = max_line_bytes;
        self
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The layout of the first readable line, once one has been read.
    pub fn format(&self) -> Option<RolloutFormat> {
        self.format
    }

    /// The number of lines read so far, good and bad.
    pub fn lines_read(&self) -> u64 {
        self.lines.line_number()
    }

    /// The bad lines seen so far (at most [`MAX_KEPT_BAD_LINES`] are kept).
    pub fn bad_lines(&self) -> &[BadLine] {
        &self.bad_lines
    }

    /// How many bad lines were seen, including those not kept.
    pub fn bad_line_count(&self) -> u64 {
        self.bad_line_count
    }

    /// The next readable line and its number; bad lines are recorded and skipped.
    pub fn next_line(&mut self) -> Result<Option<(u64, RolloutLine)>, RolloutError> {
        if self.finished {
            return Ok(None);
        }
        loop {
            let next = match self.lines.next_line() {
                Ok(next) => next,
                Err(source) => {
                    self.finished = true;
                    return Err(RolloutError::Read {
                        path: self.path.clone(),
                        line_number: self.lines.line_number(),
                        source,
                    });
                }
            };
            let Some((line_number, raw)) = next else {
                self.finished = true;
                return Ok(None);
            };
            let parsed = match raw {
                RawLine::TooLong { bytes } => Err(BadLineReason::TooLong {
                    bytes,
                    limit: self.max_line_bytes,
                }),
                RawLine::Complete(bytes) => parse_line_bytes(bytes, false),
                RawLine::Unterminated(bytes) => parse_line_bytes(bytes, true),
            };
            match parsed {
                Ok(None) => continue,
                Ok(Some(line)) => {
                    self.format.get_or_insert(line.format);
                    return Ok(Some((line_number, line)));
                }
                Err(reason) => self.record_bad_line(line_number, reason),
            }
        }
    }

    fn record_bad_line(&mut self, line_number: u64, reason: BadLineReason) {
        self.bad_line_count += 1;
        if self.bad_lines.len() < MAX_KEPT_BAD_LINES {
            self.bad_lines.push(BadLine {
                line_number,
                reason,
            });
        }
    }
}

impl Iterator for RolloutReader {
    type Item = Result<(u64, RolloutLine), RolloutError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}

/// Parses one line's bytes; `Ok(None)` for a blank line.
fn parse_line_bytes(
    bytes: &[u8],
    is_final_unterminated: bool,
) -> Result<Option<RolloutLine>, BadLineReason> {
    let text = std::str::from_utf8(bytes).map_err(|error| BadLineReason::InvalidUtf8 {
        at_byte: error.valid_up_to(),
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    match RolloutLine::parse(text) {
        Ok(line) => Ok(Some(line)),
        Err(LineShapeError::InvalidJson(_)) if is_final_unterminated => {
            Err(BadLineReason::TruncatedFinalLine { bytes: bytes.len() })
        }
        Err(LineShapeError::InvalidJson(detail)) => Err(BadLineReason::InvalidJson { detail }),
        Err(LineShapeError::NotARolloutLine(detail)) => {
            Err(BadLineReason::NotARolloutLine { detail })
        }
    }
}
