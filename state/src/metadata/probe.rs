//! Classifies a raw rollout line by reading only its first bytes, so the bulk of a rollout
//! (response items, tool output events) is skipped without being parsed. Codex writes
//! `{"timestamp":"…","type":"<kind>","payload":{"type":"<inner>",…`; when a line has that shape
//! the two tags decide, and any other shape falls back to a real (borrowed) JSON parse.

use std::sync::LazyLock;

use memchr::memmem::Finder;

/// How far into a line the tags are looked for, in bytes.
pub(crate) const PREFIX_SCAN_BYTES: usize = 256;
const TYPE_KEY: &[u8] = br#""type":""#;
const PAYLOAD_KEY: &[u8] = br#""payload""#;
const PAYLOAD_TYPE_PREFIX: &[u8] = br#""payload":{"type":""#;
/// Searchers built once: building one per line costs more than the search itself.
static TYPE_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(TYPE_KEY));
static PAYLOAD_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(PAYLOAD_KEY));

/// What the first bytes of a line say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LineClass {
    /// A line the thread index never needs (a response item, an agent message, …).
    Skip,
    /// A line that may carry metadata, or whose shape is unusual: parse it.
    Parse,
}

/// Envelope kinds whose payload feeds the thread index.
const WANTED_KINDS: [&[u8]; 3] = [b"session_meta", b"turn_context", b"event_msg"];
/// `event_msg` payload kinds that feed the thread index.
const WANTED_EVENTS: [&[u8]; 2] = [b"user_message", b"token_count"];

/// Decides from the line's prefix whether it needs parsing. Never says `Skip` for a line that
/// could be one of the wanted kinds: anything not in the canonical layout is parsed.
pub(crate) fn classify(line: &[u8]) -> LineClass {
    let prefix = &line[..line.len().min(PREFIX_SCAN_BYTES)];
    let Some(type_at) = TYPE_FINDER.find(prefix) else {
        return LineClass::Parse;
    };
    // A `payload` key before the first `"type"` means that `"type"` may be the payload's own.
    if PAYLOAD_FINDER.find(&prefix[..type_at]).is_some() {
        return LineClass::Parse;
    }
    let after_type = &prefix[type_at + TYPE_KEY.len()..];
    let Some(kind) = quoted_tag(after_type) else {
        return LineClass::Parse;
    };
    if !WANTED_KINDS.contains(&kind) {
        return LineClass::Skip;
    }
    if kind != b"event_msg" {
        return LineClass::Parse;
    }
    let rest = &after_type[kind.len() + 1..];
    let Some(rest) = rest
        .strip_prefix(b",")
        .and_then(|r| r.strip_prefix(PAYLOAD_TYPE_PREFIX))
    else {
        return LineClass::Parse;
    };
    match quoted_tag(rest) {
        Some(event) if !WANTED_EVENTS.contains(&event) => LineClass::Skip,
        _ => LineClass::Parse,
    }
}

/// The bytes up to the closing quote, if it is within the prefix and nothing is escaped.
fn quoted_tag(bytes: &[u8]) -> Option<&[u8]> {
    let end = memchr::memchr2(b'"', b'\\', bytes)?;
    (bytes[end] == b'"').then(|| &bytes[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn canonical_lines_are_classified_by_their_tags() {
        let cases: [(&str, LineClass); 8] = [
            (
                r#"{"timestamp":"2025-01-01T00:00:00Z","type":"response_item","payload":{"type":"message"}}"#,
                LineClass::Skip,
            ),
            (
                r#"{"timestamp":"t","type":"event_msg","payload":{"type":"agent_message","message":"x"}}"#,
                LineClass::Skip,
            ),
            (
                r#"{"timestamp":"t","type":"event_msg","payload":{"type":"user_message","message":"x"}}"#,
                LineClass::Parse,
            ),
            (
                r#"{"timestamp":"t","type":"event_msg","payload":{"type":"token_count"}}"#,
                LineClass::Parse,
            ),
            (
                r#"{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}"#,
                LineClass::Parse,
            ),
            (
                r#"{"timestamp":"t","type":"turn_context","payload":{}}"#,
                LineClass::Parse,
            ),
            (
                r#"{"timestamp":"t","type":"compacted","payload":{}}"#,
                LineClass::Skip,
            ),
            (
                r#"{"id":"x","timestamp":"t","instructions":null}"#,
                LineClass::Parse,
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(classify(line.as_bytes()), expected, "{line}");
        }
    }

    #[test]
    fn unusual_layouts_are_parsed_not_skipped() {
        for line in [
            // Payload first: its inner "type" must not be taken for the envelope's.
            r#"{"payload":{"type":"message"},"type":"session_meta"}"#,
            // Spaces after the colon.
            r#"{"timestamp": "t", "type": "response_item", "payload": {}}"#,
            // An event whose inner tag is not where the fast path expects it.
            r#"{"timestamp":"t","type":"event_msg","payload":{"message":"x","type":"user_message"}}"#,
        ] {
            assert_eq!(classify(line.as_bytes()), LineClass::Parse, "{line}");
        }
    }
}
