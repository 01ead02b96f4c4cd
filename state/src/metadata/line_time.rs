//! The timestamp a rollout line starts with (`{"timestamp":"2026-…Z",…`), read from its first
//! bytes without parsing the line and kept inline (no allocation per line). The thread's version
//! is the time of its last complete line, so this runs on every line, skipped or not.

use chrono::DateTime;

/// What every current rollout line starts with.
const LEADING_KEY: &[u8] = br#"{"timestamp":""#;
/// Longest timestamp kept, in bytes (RFC 3339 with nanoseconds and an offset is 35).
const MAX_TIMESTAMP_BYTES: usize = 40;

/// A line's leading timestamp, if it has one, as written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LineTime {
    bytes: [u8; MAX_TIMESTAMP_BYTES],
    len: u8,
}

impl Default for LineTime {
    fn default() -> Self {
        Self {
            bytes: [0; MAX_TIMESTAMP_BYTES],
            len: 0,
        }
    }
}

impl LineTime {
    /// The timestamp `line` starts with; empty when it starts otherwise.
    pub fn leading(line: &[u8]) -> Self {
        let mut time = Self::default();
        let Some(rest) = line.strip_prefix(LEADING_KEY) else {
            return time;
        };
        let window = &rest[..rest.len().min(MAX_TIMESTAMP_BYTES + 1)];
        let Some(end) = memchr::memchr(b'"', window) else {
            return time;
        };
        if end <= MAX_TIMESTAMP_BYTES {
            time.bytes[..end].copy_from_slice(&window[..end]);
            time.len = end as u8;
        }
        time
    }

    /// The time `text` (a timestamp as written) stands for; empty when it is too long.
    pub fn from_text(text: &str) -> Self {
        let mut time = Self::default();
        if text.len() <= MAX_TIMESTAMP_BYTES {
            time.bytes[..text.len()].copy_from_slice(text.as_bytes());
            time.len = text.len() as u8;
        }
        time
    }

    /// Whether a time was found.
    pub fn is_known(&self) -> bool {
        self.len > 0
    }

    /// Takes `other`'s time when it has one (a line without a time keeps the previous one).
    pub fn replace_with(&mut self, other: &Self) {
        if other.len > 0 {
            *self = *other;
        }
    }

    /// Milliseconds since the epoch; `None` when there is no time or it is not RFC 3339.
    pub fn millis(&self) -> Option<i64> {
        let text = std::str::from_utf8(&self.bytes[..usize::from(self.len)]).ok()?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|time| time.timestamp_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_leading_timestamp_is_read_from_the_first_bytes_only() {
        let line = br#"{"timestamp":"2026-12-06T17:32:54.367Z","ordinal":0,"type":"x"}"#;
        assert_eq!(LineTime::leading(line).millis(), Some(1_796_578_374_367));
        // Cut inside the value (a prefix): nothing is guessed.
        assert_eq!(LineTime::leading(&line[..20]).millis(), None);
        assert_eq!(
            LineTime::leading(br#"{"type":"x","timestamp":"2026-12-06T17:32:54Z"}"#).millis(),
            None
        );
        assert_eq!(
            LineTime::leading(br#"{"timestamp":"yesterday"}"#).millis(),
            None
        );
    }

    #[test]
    fn a_line_without_a_time_keeps_the_previous_one() {
        let mut last = LineTime::leading(br#"{"timestamp":"2026-01-01T00:00:00Z"}"#);
        last.replace_with(&LineTime::leading(br#"{"record_type":"state"}"#));
        assert_eq!(last.millis(), Some(1_767_225_600_000));
    }
}
