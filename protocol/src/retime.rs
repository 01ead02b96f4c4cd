//! Moving a recorded session in time. A session's version and its idle and age windows come
//! from the timestamps inside it, so the demo and tests that replay example sessions shift those
//! timestamps to make the sessions look recent. Only JSON string values under the keys
//! `timestamp`, `startTime` and `lastUpdated` that parse as RFC 3339 are rewritten, in place, so
//! every other byte of the text is kept.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use memchr::memmem;

/// Keys whose RFC 3339 values are session times (Codex, Claude Code and Gemini CLI).
const TIME_KEYS: [&str; 3] = ["\"timestamp\":", "\"startTime\":", "\"lastUpdated\":"];

/// Every session time in `text`: (byte range of the value inside its quotes, the time).
fn session_times(text: &str) -> Vec<(std::ops::Range<usize>, DateTime<Utc>)> {
    let mut times = Vec::new();
    for key in TIME_KEYS {
        for at in memmem::find_iter(text.as_bytes(), key.as_bytes()) {
            let rest = &text[at + key.len()..];
            let quoted = rest.trim_start();
            let Some(value) = quoted.strip_prefix('"') else {
                continue;
            };
            let Some(end) = value.find('"') else {
                continue;
            };
            let Ok(time) = DateTime::parse_from_rfc3339(&value[..end]) else {
                continue;
            };
            let start = at + key.len() + (rest.len() - quoted.len()) + 1;
            times.push((start..start + end, time.with_timezone(&Utc)));
        }
    }
    times.sort_by_key(|(range, _)| range.start);
    times
}

/// The latest session time in `text`, if any.
pub fn latest_timestamp(text: &str) -> Option<DateTime<Utc>> {
    session_times(text).into_iter().map(|(_, time)| time).max()
}

/// `text` with every session time moved by `by` (written back in UTC with milliseconds).
pub fn shift_timestamps(text: &str, by: TimeDelta) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (range, time) in session_times(text) {
        out.push_str(&text[copied..range.start]);
        out.push_str(&(time + by).to_rfc3339_opts(SecondsFormat::Millis, true));
        copied = range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` moved in time so that its latest session time becomes `newest` (unchanged when it has
/// none).
pub fn rebase_timestamps(text: &str, newest: DateTime<Utc>) -> String {
    match latest_timestamp(text) {
        Some(latest) => shift_timestamps(text, newest - latest),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_session_time_moves_and_nothing_else_changes() {
        let text = concat!(
            r#"{"timestamp":"2026-05-04T09:12:03.000Z","type":"session_meta","payload":{"timestamp": "2026-05-04T09:12:00Z","note":"timestamp"}}"#,
            "\n",
            r#"{"$set":{"lastUpdated":"2026-05-04T10:00:00.500Z"},"text":"\"timestamp\":\"2020-01-01T00:00:00Z\""}"#,
            "\n",
        );
        let newest: DateTime<Utc> = "2026-12-05T10:00:00.500Z".parse().unwrap();
        assert_eq!(
            rebase_timestamps(text, newest),
            concat!(
                r#"{"timestamp":"2026-12-05T09:12:03.000Z","type":"session_meta","payload":{"timestamp": "2026-12-05T09:12:00.000Z","note":"timestamp"}}"#,
                "\n",
                r#"{"$set":{"lastUpdated":"2026-12-05T10:00:00.500Z"},"text":"\"timestamp\":\"2020-01-01T00:00:00Z\""}"#,
                "\n",
            )
        );
    }

    #[test]
    fn text_without_times_is_kept() {
        let text = "{\"id\":\"x\"}\n";
        assert_eq!(rebase_timestamps(text, Utc::now()), text);
    }
}
