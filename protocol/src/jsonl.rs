//! `JsonlReader`: the bounded line reading every session format shares (Codex rollouts, Claude
//! Code transcripts, Gemini CLI chats). It opens a plain or `.zst` file, yields each non-blank
//! UTF-8 line with its number and whether a newline ended it, and keeps the lines it could not
//! read as [`BadLine`]s — invalid UTF-8, over-long, and whatever its caller reports (invalid
//! JSON, a final line cut off mid-write) — instead of stopping. Only an I/O failure ends a read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::line_reader::{LineReader, RawLine};
use crate::{BadLine, BadLineReason, MAX_KEPT_BAD_LINES, RolloutError};

/// Read buffer for session files, in bytes.
const READ_BUFFER_BYTES: usize = 256 * 1024;

/// One readable line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonlLine<'a> {
    /// 1-based line number.
    pub number: u64,
    /// The line's text, without its newline.
    pub text: &'a str,
    /// Whether a newline ended it (false for a final line cut off mid-write).
    pub terminated: bool,
}

/// Where a line is and how it ended, without borrowing its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePosition {
    /// 1-based line number.
    pub number: u64,
    /// Whether a newline ended it.
    pub terminated: bool,
    /// Its length in bytes.
    pub bytes: usize,
}

impl JsonlLine<'_> {
    /// The line's position, to report it after its text is gone.
    pub fn position(&self) -> LinePosition {
        LinePosition {
            number: self.number,
            terminated: self.terminated,
            bytes: self.text.len(),
        }
    }
}

/// Streams the lines of one JSONL file; see the module documentation.
pub struct JsonlReader {
    path: PathBuf,
    lines: LineReader<Box<dyn BufRead + Send>>,
    max_line_bytes: usize,
    bad_lines: Vec<BadLine>,
    bad_line_count: u64,
    finished: bool,
}

impl JsonlReader {
    /// Opens a file; names ending in `.zst` are decompressed as they are read.
    pub fn open(path: &Path) -> Result<Self, RolloutError> {
        let open_error = |source| RolloutError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(open_error)?;
        let compressed = path.extension().is_some_and(|extension| extension == "zst");
        Self::from_reader(path, file, compressed).map_err(open_error)
    }

    /// Reads from any byte source; `path` is only used in messages.
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
            finished: false,
        })
    }

    /// Caps line length at `max_line_bytes` instead of [`crate::MAX_LINE_BYTES`].
    pub fn set_max_line_bytes(&mut self, max_line_bytes: usize) {
        self.lines.set_max_line_bytes(max_line_bytes);
        self.max_line_bytes = max_line_bytes;
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// The next non-blank UTF-8 line; lines too long or not UTF-8 are recorded and skipped.
    pub fn next_text(&mut self) -> Result<Option<JsonlLine<'_>>, RolloutError> {
        if self.finished {
            return Ok(None);
        }
        // Each line is judged first and borrowed again only to be returned.
        let (number, terminated) = loop {
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
            let Some((number, raw)) = next else {
                self.finished = true;
                return Ok(None);
            };
            let (bytes, terminated) = match raw {
                RawLine::TooLong { bytes } => {
                    let reason = BadLineReason::TooLong {
                        bytes,
                        limit: self.max_line_bytes,
                    };
                    self.record_bad_line(number, reason);
                    continue;
                }
                RawLine::Complete(bytes) => (bytes, true),
                RawLine::Unterminated(bytes) => (bytes, false),
            };
            match std::str::from_utf8(bytes) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(_) => break (number, terminated),
                Err(error) => {
                    let reason = BadLineReason::InvalidUtf8 {
                        at_byte: error.valid_up_to(),
                    };
                    self.record_bad_line(number, reason);
                }
            }
        };
        let text = std::str::from_utf8(self.lines.last_line()).unwrap_or_default();
        Ok(Some(JsonlLine {
            number,
            text,
            terminated,
        }))
    }

    /// Records a line the caller could not read.
    pub fn record_bad_line(&mut self, line_number: u64, reason: BadLineReason) {
        self.bad_line_count += 1;
        if self.bad_lines.len() < MAX_KEPT_BAD_LINES {
            self.bad_lines.push(BadLine {
                line_number,
                reason,
            });
        }
    }

    /// Records a line whose JSON did not parse: a final line without its newline is a
    /// [`BadLineReason::TruncatedFinalLine`], any other an [`BadLineReason::InvalidJson`].
    pub fn record_invalid_json(&mut self, line: LinePosition, detail: String) {
        let reason = if line.terminated {
            BadLineReason::InvalidJson { detail }
        } else {
            BadLineReason::TruncatedFinalLine { bytes: line.bytes }
        };
        self.record_bad_line(line.number, reason);
    }
}
