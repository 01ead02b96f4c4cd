//! The time of a session file's last complete line that carries one, read from the end of the
//! file: Claude Code and Gemini CLI write the time deep inside a line (after the message), so
//! the forward scan, which skips most lines on their first bytes, cannot see it. A window at the
//! end is read and its complete lines parsed backwards (top-level fields only: `timestamp`, or a
//! `$set` patch's `lastUpdated`); the window grows until a time is found or the file is read.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::DateTime;
use serde::Deserialize;

/// The first window read from the end of a file, in bytes; it grows ×8 each time.
const TAIL_WINDOW_BYTES: u64 = 64 * 1024;
/// The largest window read, in bytes.
const MAX_TAIL_WINDOW_BYTES: u64 = 64 * 1024 * 1024;

/// The top-level time fields of a line.
#[derive(Deserialize)]
struct TimeProbe {
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default, rename = "lastUpdated")]
    last_updated: Option<String>,
    #[serde(default, rename = "$set")]
    set: Option<SetProbe>,
}

#[derive(Deserialize)]
struct SetProbe {
    #[serde(default, rename = "lastUpdated")]
    last_updated: Option<String>,
}

/// The time (unix ms) of the last complete line of `path` that has one; `None` when no line has
/// one or the file cannot be read.
pub(crate) fn last_line_time_ms(path: &Path) -> Option<i64> {
    let mut file = File::open(path).ok()?;
    let size = file.metadata().ok()?.len();
    let mut window = TAIL_WINDOW_BYTES;
    loop {
        let start = size.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).ok()?;
        let mut bytes = Vec::with_capacity(usize::try_from(size - start).ok()?);
        file.by_ref()
            .take(size - start)
            .read_to_end(&mut bytes)
            .ok()?;
        if let Some(time) = time_in_window(&bytes, start == 0) {
            return Some(time);
        }
        if start == 0 || window >= MAX_TAIL_WINDOW_BYTES {
            return None;
        }
        window *= 8;
    }
}

/// The time of the last complete line in `bytes` that has one. Unless the window starts the
/// file, its first (partial) line is not read. Lines are taken from the end, one newline search
/// each, and parsing stops at the first line that has a time.
fn time_in_window(bytes: &[u8], starts_file: bool) -> Option<i64> {
    // Only lines that end with a newline are complete.
    let mut end = memchr::memrchr(b'\n', bytes)?;
    loop {
        let start = memchr::memrchr(b'\n', &bytes[..end]).map(|at| at + 1);
        if start.is_none() && !starts_file {
            // The window's first line may begin before the window.
            return None;
        }
        let line_start = start.unwrap_or(0);
        if let Some(time) = line_time_ms(&bytes[line_start..end]) {
            return Some(time);
        }
        end = line_start.checked_sub(1)?;
    }
}

/// The top-level time of one line, if it has one.
fn line_time_ms(line: &[u8]) -> Option<i64> {
    let probe: TimeProbe = serde_json::from_slice(line).ok()?;
    let text = probe
        .timestamp
        .or(probe.last_updated)
        .or(probe.set.and_then(|set| set.last_updated))?;
    DateTime::parse_from_rfc3339(&text)
        .ok()
        .map(|time| time.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn time_of(text: &str) -> Option<i64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("session.jsonl");
        std::fs::write(&path, text).unwrap();
        last_line_time_ms(&path)
    }

    #[test]
    fn the_last_complete_line_with_a_top_level_time_dates_the_file() {
        let text = concat!(
            r#"{"type":"user","timestamp":"2026-12-06T17:46:41.000Z"}"#,
            "\n",
            r#"{"type":"assistant","message":{"timestamp":"2030-01-01T00:00:00Z"},"timestamp":"2026-12-06T17:46:42.000Z"}"#,
            "\n",
            r#"{"type":"cost-state","totalCostUSD":0.1}"#,
            "\n",
            r#"{"type":"user","timestamp":"2026-12-06T18:00:00.000Z","message":{"cont"#,
        );
        assert_eq!(time_of(text), Some(1_796_579_202_000));
    }

    #[test]
    fn a_gemini_patch_dates_the_file_with_its_last_updated() {
        let text = "{\"sessionId\":\"s\",\"startTime\":\"2026-12-06T17:47:00Z\",\"lastUpdated\":\"2026-12-06T17:47:00Z\"}\n{\"$set\":{\"lastUpdated\":\"2026-12-06T17:47:11.266Z\"}}\n";
        assert_eq!(time_of(text), Some(1_796_579_231_266));
    }

    #[test]
    fn a_time_far_before_a_huge_last_line_is_still_found() {
        let huge = format!("{{\"type\":\"x\",\"blob\":\"{}\"}}\n", "a".repeat(300_000));
        let text = format!("{{\"timestamp\":\"2026-12-06T17:00:00Z\"}}\n{huge}");
        assert_eq!(time_of(&text), Some(1_796_576_400_000));
        assert_eq!(time_of("no json\n"), None);
    }
}
