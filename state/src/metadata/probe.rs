//! Classifies a raw rollout line by reading only its first bytes, so the bulk of a rollout
//! (response items, tool output events) is skipped without being parsed. Codex writes
//! `{"timestamp":"…","type":"<kind>","payload":{"type":"<inner>",…`; when a line has that shape
//! the two tags decide, and any other shape falls back to a real (borrowed) JSON parse. Lines of
//! which only the last one counts (turn contexts and settings for the model, token counts and
//! usage records for the tokens: one of each per turn) are told apart, so the scan can keep the
//! last one and parse only it.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::metadata::MODEL_KEY_FINDER;

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
    /// A line of which only the last one in the file counts.
    Latest(Latest),
}

/// The values the last line of their kind decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Latest {
    /// The model: `turn_context` and `event_msg/thread_settings_applied`.
    Model,
    /// The tokens used: `event_msg/token_count` and `token_usage_record`.
    Tokens,
}

/// Keys a line must hold for its value to count (a token count without usage info, or a turn
/// context without a model, leaves the previous value standing).
static TOKEN_COUNT_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""total_token_usage":{"#));
static TOKEN_RECORD_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""thread_token_usage":{"#));

impl Latest {
    /// Whether `line` holds the value (rather than leaving the previous one standing).
    pub(crate) fn is_named_in(self, line: &[u8]) -> bool {
        match self {
            Self::Model => MODEL_KEY_FINDER.find(line).is_some(),
            Self::Tokens => {
                TOKEN_COUNT_FINDER.find(line).is_some() || TOKEN_RECORD_FINDER.find(line).is_some()
            }
        }
    }
}

/// The envelope kind whose payload always feeds the thread index, and those of which the last
/// one counts.
const SESSION_META: &[u8] = b"session_meta";
const LATEST_KINDS: [(&[u8], Latest); 2] = [
    (b"turn_context", Latest::Model),
    (b"token_usage_record", Latest::Tokens),
];
/// `event_msg` payload kinds of which the last one counts.
const LATEST_EVENTS: [(&[u8], Latest); 2] = [
    (b"token_count", Latest::Tokens),
    (b"thread_settings_applied", Latest::Model),
];
/// Where a response item's role is written, after its inner tag.
const ROLE_KEY: &[u8] = br#""role":""#;
static ROLE_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(ROLE_KEY));

/// The lines the scan still wants beyond the ones it always reads: the sources of the user's
/// first words, in the order they win (a `user_message` event, Codex 0.169's completed
/// `UserMessage` item, a user `response_item`), each wanted only until a better one is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wants {
    /// `event_msg/user_message`.
    pub user_message_event: bool,
    /// `event_msg/item_completed` (only its `UserMessage` items are used).
    pub completed_user_message: bool,
    /// `response_item/message` with role `user`.
    pub response_user_message: bool,
}

#[cfg(test)]
impl Wants {
    /// Everything (a scan that has found nothing yet).
    pub const ALL: Wants = Wants {
        user_message_event: true,
        completed_user_message: true,
        response_user_message: true,
    };
}

/// Decides from the line's prefix whether it needs parsing. Never says `Skip` for a line that
/// could be one of the wanted kinds: anything not in the canonical layout is parsed.
pub(crate) fn classify(line: &[u8], wants: Wants) -> LineClass {
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
    if kind == SESSION_META {
        return LineClass::Parse;
    }
    if let Some((_, latest)) = LATEST_KINDS.iter().find(|(name, _)| *name == kind) {
        return LineClass::Latest(*latest);
    }
    if kind != b"event_msg" && kind != b"response_item" {
        return LineClass::Skip;
    }
    let rest = &after_type[kind.len() + 1..];
    let Some(rest) = rest
        .strip_prefix(b",")
        .and_then(|r| r.strip_prefix(PAYLOAD_TYPE_PREFIX))
    else {
        return LineClass::Parse;
    };
    let Some(inner) = quoted_tag(rest) else {
        return LineClass::Parse;
    };
    if kind == b"event_msg"
        && let Some((_, latest)) = LATEST_EVENTS.iter().find(|(name, _)| *name == inner)
    {
        return LineClass::Latest(*latest);
    }
    let wanted = if kind == b"event_msg" {
        (inner == b"user_message" && wants.user_message_event)
            || (inner == b"item_completed" && wants.completed_user_message)
    } else {
        inner == b"message" && wants.response_user_message && may_be_user_role(&rest[inner.len()..])
    };
    if wanted {
        LineClass::Parse
    } else {
        LineClass::Skip
    }
}

/// False only when the prefix shows a role other than `user`.
fn may_be_user_role(after_inner_tag: &[u8]) -> bool {
    let Some(at) = ROLE_FINDER.find(after_inner_tag) else {
        return true;
    };
    match quoted_tag(&after_inner_tag[at + ROLE_KEY.len()..]) {
        Some(role) => role == b"user",
        None => true,
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

    fn classify(line: &[u8]) -> LineClass {
        super::classify(line, Wants::ALL)
    }

    #[test]
    fn canonical_lines_are_classified_by_their_tags() {
        let cases: [(&str, LineClass); 8] = [
            (
                r#"{"timestamp":"2025-01-01T00:00:00Z","type":"response_item","payload":{"type":"reasoning"}}"#,
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
                LineClass::Latest(Latest::Tokens),
            ),
            (
                r#"{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}"#,
                LineClass::Parse,
            ),
            (
                r#"{"timestamp":"t","type":"turn_context","payload":{}}"#,
                LineClass::Latest(Latest::Model),
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
    fn codex_0_169_lines_are_classified_by_what_the_scan_still_wants() {
        let user_response = r#"{"timestamp":"t","ordinal":7,"type":"response_item","payload":{"type":"message","id":"msg_1","role":"user","content":[]}}"#;
        let developer = r#"{"timestamp":"t","ordinal":2,"type":"response_item","payload":{"type":"message","id":"msg_0","role":"developer","content":[]}}"#;
        let completed = r#"{"timestamp":"t","ordinal":8,"type":"event_msg","payload":{"type":"item_completed","thread_id":"x"}}"#;
        let settings = r#"{"timestamp":"t","ordinal":6,"type":"event_msg","payload":{"type":"thread_settings_applied"}}"#;
        let usage = r#"{"timestamp":"t","ordinal":10,"type":"token_usage_record","payload":{}}"#;
        let world = r#"{"timestamp":"t","ordinal":4,"type":"world_state","payload":{}}"#;
        let found = Wants {
            user_message_event: false,
            completed_user_message: false,
            response_user_message: false,
        };
        let cases = [
            (user_response, Wants::ALL, LineClass::Parse),
            (user_response, found, LineClass::Skip),
            (developer, Wants::ALL, LineClass::Skip),
            (completed, Wants::ALL, LineClass::Parse),
            (completed, found, LineClass::Skip),
            (settings, found, LineClass::Latest(Latest::Model)),
            (usage, found, LineClass::Latest(Latest::Tokens)),
            (world, Wants::ALL, LineClass::Skip),
        ];
        for (line, wants, expected) in cases {
            assert_eq!(super::classify(line.as_bytes(), wants), expected, "{line}");
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
