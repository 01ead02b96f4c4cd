//! `LineReader`: splits a byte stream into lines with a hard cap on line length, so a file of any
//! size, or a single enormous line, is read in bounded memory. An over-long line is skipped to its
//! newline and reported with its size; nothing about it is kept.

use std::io::{self, BufRead};

/// Longest line kept, in bytes (64 MiB). Longer lines are reported as too long and skipped.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// After a line longer than this, the buffer is shrunk back so one big line does not pin memory.
const RETAINED_BUFFER_BYTES: usize = 1024 * 1024;

/// One line of input, without its `\n`.
#[derive(Debug, PartialEq, Eq)]
pub enum RawLine<'a> {
    /// A line that ended with a newline.
    Complete(&'a [u8]),
    /// The final line of the input, which has no newline (possibly cut off mid-write).
    Unterminated(&'a [u8]),
    /// A line longer than the cap; only its size is known.
    TooLong {
        /// The line's size in bytes (without the newline).
        bytes: u64,
    },
}

/// Reads lines of at most `max_line_bytes` from a buffered reader.
pub struct LineReader<R> {
    inner: R,
    buffer: Vec<u8>,
    line_number: u64,
    max_line_bytes: usize,
}

impl<R: BufRead> LineReader<R> {
    /// Lines capped at [`MAX_LINE_BYTES`].
    pub fn new(inner: R) -> Self {
        Self::with_max_line_bytes(inner, MAX_LINE_BYTES)
    }

    /// Lines capped at `max_line_bytes`.
    pub fn with_max_line_bytes(inner: R, max_line_bytes: usize) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            line_number: 0,
            max_line_bytes,
        }
    }

    /// Changes the cap for the lines still to come.
    pub fn set_max_line_bytes(&mut self, max_line_bytes: usize) {
        self.max_line_bytes = max_line_bytes;
    }

    /// The number of the last line returned (1-based; 0 before the first).
    pub fn line_number(&self) -> u64 {
        self.line_number
    }

    /// The next line and its 1-based number, or `None` at the end of input.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, RawLine<'_>)>> {
        if self.buffer.capacity() > RETAINED_BUFFER_BYTES {
            self.buffer = Vec::new();
        }
        self.buffer.clear();
        let mut overflow_bytes: u64 = 0;
        let mut terminated = false;
        let mut saw_any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                break;
            }
            saw_any = true;
            let (chunk_len, consumed, found_newline) = match memchr_newline(available) {
                Some(position) => (position, position + 1, true),
                None => (available.len(), available.len(), false),
            };
            if overflow_bytes == 0 && self.buffer.len() + chunk_len <= self.max_line_bytes {
                self.buffer.extend_from_slice(&available[..chunk_len]);
            } else {
                if overflow_bytes == 0 {
                    overflow_bytes = self.buffer.len() as u64;
                    self.buffer = Vec::new();
                }
                overflow_bytes += chunk_len as u64;
            }
            self.inner.consume(consumed);
            if found_newline {
                terminated = true;
                break;
            }
        }
        if !saw_any {
            return Ok(None);
        }
        self.line_number += 1;
        let line = if overflow_bytes > 0 {
            RawLine::TooLong {
                bytes: overflow_bytes,
            }
        } else if terminated {
            RawLine::Complete(&self.buffer)
        } else {
            RawLine::Unterminated(&self.buffer)
        };
        Ok(Some((self.line_number, line)))
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn collect(input: &[u8], cap: usize) -> Vec<(u64, String)> {
        let mut reader =
            LineReader::with_max_line_bytes(io::BufReader::with_capacity(4, input), cap);
        let mut out = Vec::new();
        while let Some((number, line)) = reader.next_line().unwrap() {
            let text = match line {
                RawLine::Complete(bytes) => format!("complete:{}", String::from_utf8_lossy(bytes)),
                RawLine::Unterminated(bytes) => {
                    format!("unterminated:{}", String::from_utf8_lossy(bytes))
                }
                RawLine::TooLong { bytes } => format!("too_long:{bytes}"),
            };
            out.push((number, text));
        }
        out
    }

    #[test]
    fn splits_lines_across_small_buffers_and_marks_the_unterminated_tail() {
        assert_eq!(
            collect(b"ab\ncdefgh\n\nxyz", 100),
            vec![
                (1, "complete:ab".to_string()),
                (2, "complete:cdefgh".to_string()),
                (3, "complete:".to_string()),
                (4, "unterminated:xyz".to_string()),
            ]
        );
    }

    #[test]
    fn an_over_long_line_is_skipped_with_its_size_and_reading_goes_on() {
        assert_eq!(
            collect(b"ok\n0123456789\nafter\n", 5),
            vec![
                (1, "complete:ok".to_string()),
                (2, "too_long:10".to_string()),
                (3, "complete:after".to_string()),
            ]
        );
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert_eq!(collect(b"", 5), Vec::<(u64, String)>::new());
    }
}
