//! `LineReader`: splits a byte stream into lines with a hard cap on line length, so a file of any
//! size, or a single enormous line, is read in bounded memory. An over-long line is skipped to its
//! newline and reported with its size; nothing about it is kept. A caller that can tell from a
//! line's first bytes that it does not need it can have it passed over without being copied
//! ([`LineReader::next_line_unless`]).

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

/// A line as [`LineReader::next_line_unless`] returns it: read, or passed over on its prefix.
#[derive(Debug, PartialEq, Eq)]
pub enum SniffedLine<'a> {
    /// The line was read.
    Read(RawLine<'a>),
    /// The line was passed over without being copied.
    Skipped {
        /// Whether it ended with a newline (false for a final line cut off mid-write).
        terminated: bool,
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

    /// The bytes of the last line [`next_line`](Self::next_line) returned as complete or
    /// unterminated; meaningless after any other outcome.
    pub fn last_line(&self) -> &[u8] {
        &self.buffer
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

impl<R: BufRead> LineReader<R> {
    /// Like [`next_line`](Self::next_line), but first shows `skip` the line's first
    /// `prefix_bytes` bytes (the whole line when it is shorter). When `skip` returns true the
    /// line is consumed without being copied and [`SniffedLine::Skipped`] is returned. When the
    /// buffered input does not yet hold that prefix, `skip` is not asked and the line is read
    /// normally.
    pub fn next_line_unless(
        &mut self,
        prefix_bytes: usize,
        mut skip: impl FnMut(&[u8]) -> bool,
    ) -> io::Result<Option<(u64, SniffedLine<'_>)>> {
        self.next_line_visit(prefix_bytes, |bytes, _| {
            skip(&bytes[..bytes.len().min(prefix_bytes)])
        })
    }

    /// Like [`next_line_unless`](Self::next_line_unless), but `visit` sees the whole line, in
    /// place in the read buffer, whenever the buffer holds all of it (`whole` is true); else, as
    /// there, its first `prefix_bytes` bytes at least. A caller that takes what it needs from
    /// the line in place returns true, and the line is consumed without ever being copied.
    pub fn next_line_visit(
        &mut self,
        prefix_bytes: usize,
        mut visit: impl FnMut(&[u8], bool) -> bool,
    ) -> io::Result<Option<(u64, SniffedLine<'_>)>> {
        let available = loop {
            match self.inner.fill_buf() {
                Ok(available) => break available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        };
        if available.is_empty() {
            return Ok(None);
        }
        let newline = memchr_newline(available);
        let visited = match newline {
            Some(line_len) if line_len <= self.max_line_bytes => {
                visit(&available[..line_len], true)
            }
            None if available.len() >= prefix_bytes => visit(available, false),
            _ => false,
        };
        if !visited {
            return Ok(self
                .next_line()?
                .map(|(number, line)| (number, SniffedLine::Read(line))));
        }
        let terminated = match newline {
            Some(position) => {
                self.inner.consume(position + 1);
                true
            }
            None => {
                let len = available.len();
                self.inner.consume(len);
                self.consume_rest_of_line()?
            }
        };
        self.line_number += 1;
        Ok(Some((
            self.line_number,
            SniffedLine::Skipped { terminated },
        )))
    }

    /// Consumes input up to and including the next newline (or to the end); true when a
    /// newline ended it.
    fn consume_rest_of_line(&mut self) -> io::Result<bool> {
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(false);
            }
            match memchr_newline(available) {
                Some(position) => {
                    self.inner.consume(position + 1);
                    return Ok(true);
                }
                None => {
                    let len = available.len();
                    self.inner.consume(len);
                }
            }
        }
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

    /// Reads with `next_line_unless`, skipping lines whose prefix starts with `s`.
    fn collect_skipping(input: &[u8], buffer: usize, prefix: usize) -> Vec<(u64, String)> {
        let mut reader = LineReader::new(io::BufReader::with_capacity(buffer, input));
        let mut out = Vec::new();
        while let Some((number, line)) = reader
            .next_line_unless(prefix, |first| first.starts_with(b"s"))
            .unwrap()
        {
            let text = match line {
                SniffedLine::Skipped { terminated: true } => "skipped".to_string(),
                SniffedLine::Skipped { terminated: false } => "skipped, unterminated".to_string(),
                SniffedLine::Read(RawLine::Complete(bytes)) => {
                    String::from_utf8_lossy(bytes).into_owned()
                }
                SniffedLine::Read(RawLine::Unterminated(bytes)) => {
                    format!("unterminated:{}", String::from_utf8_lossy(bytes))
                }
                SniffedLine::Read(RawLine::TooLong { bytes }) => format!("too_long:{bytes}"),
            };
            out.push((number, text));
        }
        out
    }

    #[test]
    fn lines_judged_by_their_prefix_are_skipped_with_their_numbers() {
        let input = b"keep1\nskip-me-a-long-line-crossing-buffers\nkeep2\nskip\nlast";
        let expected = vec![
            (1, "keep1".to_string()),
            (2, "skipped".to_string()),
            (3, "keep2".to_string()),
            (4, "skipped".to_string()),
            (5, "unterminated:last".to_string()),
        ];
        // A big buffer (whole lines visible) and a tiny one (prefixes split across refills).
        assert_eq!(collect_skipping(input, 1024, 2), expected);
        assert_eq!(collect_skipping(input, 4, 2), expected);
        // A prefix longer than the buffer is never fully visible: nothing is skipped, nothing lost.
        let originals = [
            "keep1",
            "skip-me-a-long-line-crossing-buffers",
            "keep2",
            "skip",
        ];
        let unskipped: Vec<(u64, String)> = originals
            .iter()
            .enumerate()
            .map(|(index, line)| (index as u64 + 1, line.to_string()))
            .chain([(5, "unterminated:last".to_string())])
            .collect();
        assert_eq!(collect_skipping(input, 3, 8), unskipped);
    }

    #[test]
    fn a_visitor_takes_whole_buffered_lines_in_place_and_only_prefixes_of_longer_ones() {
        let input = b"take whole\nlong line crossing the buffer\nleave\n";
        let mut reader = LineReader::new(io::BufReader::with_capacity(16, &input[..]));
        let mut seen = Vec::new();
        let mut read = Vec::new();
        while let Some((number, line)) = reader
            .next_line_visit(4, |bytes, whole| {
                seen.push((String::from_utf8_lossy(bytes).into_owned(), whole));
                whole && bytes.starts_with(b"take")
            })
            .unwrap()
        {
            if let SniffedLine::Read(RawLine::Complete(bytes)) = line {
                read.push((number, String::from_utf8_lossy(bytes).into_owned()));
            }
        }
        assert_eq!(
            seen,
            vec![
                ("take whole".to_string(), true),
                // Only the buffered part of a line longer than the buffer, never called whole.
                ("long ".to_string(), false),
                ("leave".to_string(), true),
            ]
        );
        assert_eq!(
            read,
            vec![
                (2, "long line crossing the buffer".to_string()),
                (3, "leave".to_string()),
            ]
        );
    }

    #[test]
    fn a_skipped_final_line_without_a_newline_says_so() {
        let input = b"keep\nskip-cut-off-mid-write";
        let expected = vec![
            (1, "keep".to_string()),
            (2, "skipped, unterminated".to_string()),
        ];
        assert_eq!(collect_skipping(input, 1024, 2), expected);
        assert_eq!(collect_skipping(input, 4, 2), expected);
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert_eq!(collect(b"", 5), Vec::<(u64, String)>::new());
    }
}
