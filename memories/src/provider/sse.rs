//! Server-sent events, read off a streaming HTTP response: a small line parser (`event:` and
//! `data:` fields, comments, multi-line data, CRLF or LF line ends, events split across any
//! chunk boundary) and a reader that waits at most the idle timeout for each chunk. It knows
//! nothing of what the events mean; the providers interpret them. A line longer than
//! [`MAX_SSE_LINE_BYTES`] or not UTF-8 is a stream error, never a panic or unbounded memory.

use std::time::Duration;

use super::ProviderError;

/// The longest single SSE line accepted (a `response.completed` event repeats the whole answer,
/// so this is generous).
pub const MAX_SSE_LINE_BYTES: usize = 32 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SseEvent {
    /// The `event:` field, when the server named the event.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Incremental parser: feed it bytes as they arrive, take the complete events.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    event: Option<String>,
    data: String,
    has_data: bool,
}

impl SseParser {
    /// Consumes a chunk and returns the events it completed. Errors name what was wrong.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, String> {
        let mut events = Vec::new();
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|&byte| byte == b'\n') {
            let (head, tail) = rest.split_at(newline);
            self.extend_line(head)?;
            rest = &tail[1..];
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8(line).map_err(|_| "an event line is not UTF-8")?;
            if let Some(event) = self.take_line(&line) {
                events.push(event);
            }
        }
        self.extend_line(rest)?;
        Ok(events)
    }

    /// The stream ended: an event whose closing blank line never came is still dispatched
    /// (the SSE spec would drop it, but servers do omit the last blank line).
    pub fn finish(&mut self) -> Result<Option<SseEvent>, String> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            let line = String::from_utf8(line).map_err(|_| "an event line is not UTF-8")?;
            let line = line.strip_suffix('\r').unwrap_or(&line).to_string();
            if let Some(event) = self.take_line(&line) {
                return Ok(Some(event));
            }
        }
        Ok(self.dispatch())
    }

    fn extend_line(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.line.len() + bytes.len() > MAX_SSE_LINE_BYTES {
            return Err(format!(
                "an event line is longer than {MAX_SSE_LINE_BYTES} bytes"
            ));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Interprets one complete line; a blank line dispatches the pending event.
    fn take_line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            // `id` and `retry` matter only to reconnecting browsers; we never reconnect.
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
        })
    }
}

/// Reads the events of one streaming response, waiting at most `idle_timeout` for each chunk.
pub(crate) struct SseReader {
    response: reqwest::Response,
    parser: SseParser,
    pending: std::collections::VecDeque<SseEvent>,
    idle_timeout: Duration,
    url: String,
    ended: bool,
}

impl SseReader {
    /// Wraps a response whose status was already checked.
    pub fn new(response: reqwest::Response, idle_timeout: Duration, url: &str) -> Self {
        Self {
            response,
            parser: SseParser::default(),
            pending: std::collections::VecDeque::new(),
            idle_timeout,
            url: url.to_string(),
            ended: false,
        }
    }

    /// The next event, or `None` once the server closed the stream.
    pub async fn next_event(&mut self) -> Result<Option<SseEvent>, ProviderError> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            if self.ended {
                return Ok(None);
            }
            let chunk = tokio::time::timeout(self.idle_timeout, self.response.chunk())
                .await
                .map_err(|_| {
                    self.stream_error(format!(
                        "no data for {} s (idle timeout)",
                        self.idle_timeout.as_secs_f64()
                    ))
                })?
                .map_err(|error| self.stream_error(format!("reading the body failed: {error}")))?;
            match chunk {
                Some(bytes) => {
                    let events = self
                        .parser
                        .push(&bytes)
                        .map_err(|detail| self.stream_error(detail))?;
                    self.pending.extend(events);
                }
                None => {
                    self.ended = true;
                    let last = self
                        .parser
                        .finish()
                        .map_err(|detail| self.stream_error(detail))?;
                    self.pending.extend(last);
                }
            }
        }
    }

    /// A stream error for this response's endpoint.
    pub fn stream_error(&self, detail: impl Into<String>) -> ProviderError {
        ProviderError::Stream {
            url: self.url.clone(),
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn event(name: Option<&str>, data: &str) -> SseEvent {
        SseEvent {
            event: name.map(str::to_string),
            data: data.to_string(),
        }
    }

    #[test]
    fn events_split_across_chunks_are_reassembled() {
        let text = b"event: a\ndata: {\"x\":1}\n\nevent: b\r\ndata: two\r\n\r\n";
        for cut in 0..text.len() {
            let mut parser = SseParser::default();
            let mut events = parser.push(&text[..cut]).unwrap();
            events.extend(parser.push(&text[cut..]).unwrap());
            events.extend(parser.finish().unwrap());
            assert_eq!(
                events,
                vec![event(Some("a"), "{\"x\":1}"), event(Some("b"), "two")],
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn multi_line_data_joins_with_newlines_and_comments_are_skipped() {
        let mut parser = SseParser::default();
        let events = parser
            .push(b": keep-alive\ndata: one\ndata:two\ndata\n\n")
            .unwrap();
        assert_eq!(events, vec![event(None, "one\ntwo\n")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched() {
        let mut parser = SseParser::default();
        assert_eq!(parser.push(b"event: ping\n\n").unwrap(), vec![]);
        assert_eq!(parser.finish().unwrap(), None);
    }

    #[test]
    fn a_final_event_without_its_blank_line_is_still_dispatched() {
        let mut parser = SseParser::default();
        assert_eq!(parser.push(b"data: [DONE]").unwrap(), vec![]);
        assert_eq!(parser.finish().unwrap(), Some(event(None, "[DONE]")));
    }

    #[test]
    fn invalid_utf8_is_an_error_not_a_panic() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"data: \xff\xfe\n\n").is_err());
    }
}
