//! Page cursors: an opaque-to-clients `<tool>:<offset>` string. The tool name makes a `list`
//! cursor unusable with `search`; the offset counts entries (or matches) already returned.
//! Cursors are stateless, so a folder that changes between pages may shift entries by a few.

use crate::memory_tools::MemoryToolError;

/// A position in one tool's result sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The tool that issued it (`list` or `search`).
    pub tool: &'static str,
    /// Results already returned.
    pub offset: usize,
}

impl Cursor {
    /// The cursor string handed to clients.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.tool, self.offset)
    }

    /// The offset in `cursor` (0 when absent), checking it was issued by `tool`.
    pub fn decode(tool: &'static str, cursor: Option<&str>) -> Result<usize, MemoryToolError> {
        let Some(cursor) = cursor else {
            return Ok(0);
        };
        let bad = |reason: String| MemoryToolError::BadCursor {
            cursor: cursor.to_string(),
            reason,
        };
        let Some((issuer, offset)) = cursor.split_once(':') else {
            return Err(bad("it has no `:`".to_string()));
        };
        if issuer != tool {
            return Err(bad(format!("it was not issued by `{tool}`")));
        }
        offset
            .parse::<usize>()
            .map_err(|_| bad("its offset is not a number".to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_cursor_round_trips_and_an_absent_one_starts_at_zero() {
        let cursor = Cursor {
            tool: "list",
            offset: 42,
        };
        assert_eq!(Cursor::decode("list", Some(&cursor.encode())).unwrap(), 42);
        assert_eq!(Cursor::decode("list", None).unwrap(), 0);
    }

    #[test]
    fn malformed_or_foreign_cursors_are_refused_with_the_cursor_named() {
        for (cursor, reason) in [
            ("42", "no `:`"),
            ("search:3", "not issued by `list`"),
            ("list:-1", "not a number"),
            ("list:", "not a number"),
        ] {
            let error = Cursor::decode("list", Some(cursor)).unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains(cursor) && message.contains(reason),
                "{message}"
            );
        }
    }
}
