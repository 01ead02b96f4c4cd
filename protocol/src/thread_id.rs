//! `ThreadId`: the UUID that names one session (a "thread") everywhere — in file names, in
//! `session_meta`, and as the key of every database row. New ids are UUIDv7 so they sort by
//! creation time; any UUID version parses, and display is always lowercase hyphenated.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The id of one session (thread). Displays as a lowercase hyphenated UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ThreadId(Uuid);

/// A string that is not a UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a thread id (expected a UUID such as 019a93b9-f380-7600-98ff-940e6b99603c)"
)]
pub struct ThreadIdError {
    /// The text that failed to parse.
    pub input: String,
}

impl ThreadId {
    /// A fresh UUIDv7 id, ordered by creation time.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an existing UUID.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The underlying UUID.
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// Milliseconds since the Unix epoch embedded in a UUIDv7 id; `None` for other versions.
    pub fn v7_timestamp_millis(&self) -> Option<u64> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        Some(seconds * 1000 + u64::from(nanos / 1_000_000))
    }
}

impl Default for ThreadId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl FromStr for ThreadId {
    type Err = ThreadIdError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(input.trim())
            .map(Self)
            .map_err(|_| ThreadIdError {
                input: input.to_string(),
            })
    }
}

impl Serialize for ThreadId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ThreadId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn new_ids_are_v7_and_ordered_by_time() {
        let first = ThreadId::new();
        let second = ThreadId::new();
        assert_eq!(first.as_uuid().get_version_num(), 7);
        assert!(first.v7_timestamp_millis().is_some());
        assert!(first <= second);
    }

    #[test]
    fn parse_accepts_uppercase_and_displays_lowercase_hyphenated() {
        let id: ThreadId = "019A93B9-F380-7600-98FF-940E6B99603C".parse().unwrap();
        assert_eq!(id.to_string(), "019a93b9-f380-7600-98ff-940e6b99603c");
    }

    #[test]
    fn parse_rejects_non_uuid_with_the_input_in_the_message() {
        let error = "not-a-uuid".parse::<ThreadId>().unwrap_err();
        assert!(error.to_string().contains("not-a-uuid"));
    }

    #[test]
    fn serde_round_trip_is_a_plain_string() {
        let id: ThreadId = "019a93b9-f380-7600-98ff-940e6b99603c".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"019a93b9-f380-7600-98ff-940e6b99603c\"");
        assert_eq!(serde_json::from_str::<ThreadId>(&json).unwrap(), id);
    }

    #[test]
    fn v7_timestamp_matches_the_real_fixture_file_name() {
        // rollout-2025-11-17T15-30-28-019a93b9-...: the id's time is 2025-11-17T21:30:28Z (UTC).
        let id: ThreadId = "019a93b9-f380-7600-98ff-940e6b99603c".parse().unwrap();
        let millis = id.v7_timestamp_millis().unwrap();
        assert_eq!(millis / 1000, 1_763_415_028);
    }
}
