//! Rollout file names: `rollout-YYYY-MM-DDTHH-MM-SS-<uuid>.jsonl[.zst]`. The timestamp is the
//! writer's local time (no zone), so it is kept as a naive date-time; the thread id comes from
//! the UUID. Files live under `sessions/YYYY/MM/DD/`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;

use crate::ThreadId;

const PREFIX: &str = "rollout-";
const PLAIN_SUFFIX: &str = ".jsonl";
const COMPRESSED_SUFFIX: &str = ".jsonl.zst";
const TIMESTAMP_FORMAT: &str = "%Y-%m-%dT%H-%M-%S";
/// `YYYY-MM-DDTHH-MM-SS` is 19 bytes.
const TIMESTAMP_LEN: usize = 19;

/// A parsed rollout file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RolloutFileName {
    /// When the session started, in the writer's local time.
    pub timestamp: NaiveDateTime,
    /// The session's thread id.
    pub thread_id: ThreadId,
    /// Whether the file is zstd-compressed (`.jsonl.zst`).
    pub compressed: bool,
}

/// A file name that is not a rollout file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is not a rollout file name ({reason}); expected rollout-YYYY-MM-DDTHH-MM-SS-<uuid>.jsonl[.zst]"
)]
pub struct FileNameError {
    /// The name that failed to parse.
    pub name: String,
    /// Which part was wrong.
    pub reason: &'static str,
}

impl RolloutFileName {
    /// A plain (`.jsonl`) name for `thread_id` started at `timestamp`.
    pub fn new(timestamp: NaiveDateTime, thread_id: ThreadId) -> Self {
        Self {
            timestamp,
            thread_id,
            compressed: false,
        }
    }

    /// The `YYYY/MM/DD` folder under `sessions/` this file belongs in.
    pub fn date_dir(&self) -> String {
        self.timestamp.format("%Y/%m/%d").to_string()
    }

    /// The same name without the `.zst` suffix.
    pub fn plain(&self) -> Self {
        Self {
            compressed: false,
            ..*self
        }
    }
}

impl FromStr for RolloutFileName {
    type Err = FileNameError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let error = |reason| FileNameError {
            name: name.to_string(),
            reason,
        };
        let rest = name
            .strip_prefix(PREFIX)
            .ok_or_else(|| error("missing `rollout-` prefix"))?;
        let (stem, compressed) = if let Some(stem) = rest.strip_suffix(COMPRESSED_SUFFIX) {
            (stem, true)
        } else if let Some(stem) = rest.strip_suffix(PLAIN_SUFFIX) {
            (stem, false)
        } else {
            return Err(error("extension is not .jsonl or .jsonl.zst"));
        };
        let (Some(timestamp_text), Some(id_text)) =
            (stem.get(..TIMESTAMP_LEN), stem.get(TIMESTAMP_LEN + 1..))
        else {
            return Err(error("too short"));
        };
        if stem.as_bytes().get(TIMESTAMP_LEN) != Some(&b'-') {
            return Err(error("no `-` between timestamp and id"));
        }
        let timestamp = NaiveDateTime::parse_from_str(timestamp_text, TIMESTAMP_FORMAT)
            .map_err(|_| error("bad timestamp"))?;
        let thread_id = id_text.parse().map_err(|_| error("bad thread id"))?;
        Ok(Self {
            timestamp,
            thread_id,
            compressed,
        })
    }
}

impl fmt::Display for RolloutFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suffix = if self.compressed {
            COMPRESSED_SUFFIX
        } else {
            PLAIN_SUFFIX
        };
        write!(
            f,
            "{PREFIX}{}-{}{suffix}",
            self.timestamp.format(TIMESTAMP_FORMAT),
            self.thread_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const REAL: &str = "rollout-2025-11-17T15-30-28-019a93b9-f380-7600-98ff-940e6b99603c.jsonl";

    #[test]
    fn parse_and_format_round_trip() {
        let parsed: RolloutFileName = REAL.parse().unwrap();
        assert_eq!(parsed.timestamp.to_string(), "2025-11-17 15:30:28");
        assert_eq!(
            parsed.thread_id.to_string(),
            "019a93b9-f380-7600-98ff-940e6b99603c"
        );
        assert!(!parsed.compressed);
        assert_eq!(parsed.to_string(), REAL);
        assert_eq!(parsed.date_dir(), "2025/11/17");
    }

    #[test]
    fn compressed_names_round_trip_and_have_a_plain_twin() {
        let name = format!("{REAL}.zst");
        let parsed: RolloutFileName = name.parse().unwrap();
        assert!(parsed.compressed);
        assert_eq!(parsed.to_string(), name);
        assert_eq!(parsed.plain().to_string(), REAL);
    }

    #[test]
    fn names_that_do_not_parse_say_why() {
        for (name, reason) in [
            ("notes.txt", "missing `rollout-` prefix"),
            (
                "rollout-2025-11-17T15-30-28-019a93b9.json",
                "extension is not .jsonl or .jsonl.zst",
            ),
            (
                "rollout-2025-13-17T15-30-28-019a93b9-f380-7600-98ff-940e6b99603c.jsonl",
                "bad timestamp",
            ),
            ("rollout-2025-11-17T15-30-28-nope.jsonl", "bad thread id"),
            ("rollout-2025.jsonl", "too short"),
        ] {
            let error = name.parse::<RolloutFileName>().unwrap_err();
            assert_eq!(error.reason, reason, "{name}");
            assert!(error.to_string().contains(name));
        }
    }
}
