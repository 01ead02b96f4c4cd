//! Reading the model's stage-one answer: strictly first (exactly `{raw_memory, rollout_summary,
//! rollout_slug}`), then leniently — code fences, an object embedded in prose, raw control
//! characters inside strings, the legacy keys `rawMemory` / `summary` — because local models
//! break JSON. Only an answer that holds both keys with an empty raw memory means "nothing worth
//! remembering"; a missing key, a cut-off object or a memory without its summary is an error, so
//! a bad answer never replaces (or deletes) a stored memory.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::phase1::cut::truncate_to_char_boundary;

/// Longest raw memory stored, in bytes.
pub const MAX_RAW_MEMORY_BYTES: usize = 16 * 1024;
/// Longest rollout summary stored, in bytes.
pub const MAX_ROLLOUT_SUMMARY_BYTES: usize = 32 * 1024;
/// Longest slug kept, in bytes (phase 2 shortens it further for file names).
pub const MAX_SLUG_BYTES: usize = 120;
/// How much of an unreadable answer is quoted in the error, in bytes.
const ERROR_EXCERPT_BYTES: usize = 200;

/// One session's extracted memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageOneOutput {
    /// The raw memory: what a future session should know.
    pub raw_memory: String,
    /// A longer summary of the session, kept as the memory's evidence.
    pub rollout_summary: String,
    /// A short name for the session's task, when the model gave one.
    pub rollout_slug: Option<String>,
}

/// What an answer said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParsedAnswer {
    /// A memory.
    Memory(StageOneOutput),
    /// Nothing worth remembering: both keys present, the raw memory empty.
    NoOutput,
}

/// An answer that could not be read as a stage-one output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the model's answer is not a stage-one memory ({reason}); it began: {excerpt:?}")]
pub struct AnswerError {
    /// What was wrong.
    pub reason: String,
    /// The start of the answer.
    pub excerpt: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictAnswer {
    raw_memory: String,
    rollout_summary: String,
    rollout_slug: Option<String>,
}

/// The strict JSON schema sent with the request (`additionalProperties: false`, all required).
pub fn stage_one_schema() -> Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "raw_memory": {"type": "string"},
            "rollout_summary": {"type": "string"},
            "rollout_slug": {"type": ["string", "null"]}
        },
        "required": ["raw_memory", "rollout_summary", "rollout_slug"],
        "additionalProperties": false
    })
}

/// Reads an answer: strict, then lenient; trims and caps the fields.
pub fn parse_answer(text: &str) -> Result<ParsedAnswer, AnswerError> {
    let error = |reason: String| AnswerError {
        reason,
        excerpt: truncate_to_char_boundary(text.trim(), ERROR_EXCERPT_BYTES).to_string(),
    };
    let (raw_memory, rollout_summary, slug) =
        match serde_json::from_str::<StrictAnswer>(text.trim()) {
            Ok(strict) => (
                strict.raw_memory,
                strict.rollout_summary,
                strict.rollout_slug,
            ),
            Err(_) => lenient(text).map_err(error)?,
        };
    let raw_memory = cap(raw_memory.trim(), MAX_RAW_MEMORY_BYTES);
    let rollout_summary = cap(rollout_summary.trim(), MAX_ROLLOUT_SUMMARY_BYTES);
    if raw_memory.is_empty() {
        return Ok(ParsedAnswer::NoOutput);
    }
    if rollout_summary.is_empty() {
        return Err(error(
            "it has a raw_memory but an empty rollout_summary; a memory needs its evidence"
                .to_string(),
        ));
    }
    let rollout_slug = slug
        .map(|slug| truncate_to_char_boundary(slug.trim(), MAX_SLUG_BYTES).to_string())
        .filter(|slug| !slug.is_empty());
    Ok(ParsedAnswer::Memory(StageOneOutput {
        raw_memory,
        rollout_summary,
        rollout_slug,
    }))
}

/// The three fields of the first object in `text` that carries a memory or summary key; the
/// error is the reason, for [`AnswerError`].
fn lenient(text: &str) -> Result<(String, String, Option<String>), String> {
    let found = candidate_objects(text);
    let Some(object) = found.objects.into_iter().find(|object| {
        field(object, RAW_MEMORY_KEYS).is_some() || field(object, SUMMARY_KEYS).is_some()
    }) else {
        return Err(if found.cut_off {
            "its JSON object is cut off before the end: the answer was truncated".to_string()
        } else {
            "no JSON object with raw_memory and rollout_summary".to_string()
        });
    };
    let required = |keys: &[&str]| {
        field(&object, keys)
            .map(Option::unwrap_or_default)
            .ok_or_else(|| format!("its JSON object lacks the required key `{}`", keys[0]))
    };
    let raw_memory = required(RAW_MEMORY_KEYS)?;
    let summary = required(SUMMARY_KEYS)?;
    let slug = field(&object, SLUG_KEYS).flatten();
    Ok((raw_memory, summary, slug))
}

const RAW_MEMORY_KEYS: &[&str] = &["raw_memory", "rawMemory", "memory"];
const SUMMARY_KEYS: &[&str] = &["rollout_summary", "rolloutSummary", "summary"];
const SLUG_KEYS: &[&str] = &["rollout_slug", "rolloutSlug", "slug"];

/// The value under the first of `keys` present: `None` when none is, `Some(None)` for `null`.
fn field(object: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<Option<String>> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(text) => Some(Some(text.clone())),
        Value::Null => Some(None),
        other => Some(Some(other.to_string())),
    })
}

/// The JSON objects found in an answer, and whether one was cut off by its end.
#[derive(Default)]
pub(crate) struct Candidates {
    pub(crate) objects: Vec<serde_json::Map<String, Value>>,
    pub(crate) cut_off: bool,
}

/// Every top-level JSON object in the text: the fenced blocks' first, then the whole text's, in
/// order. Raw control characters inside strings are escaped first (local models write them).
pub(crate) fn candidate_objects(text: &str) -> Candidates {
    let mut sources: Vec<&str> = fenced_blocks(text);
    sources.push(text);
    let mut found = Candidates::default();
    for source in sources {
        let Some(first) = source.find('{') else {
            continue;
        };
        let source = escape_controls_in_strings(&source[first..]);
        let mut start = 0;
        while let Some(offset) = source[start..].find('{') {
            let at = start + offset;
            let mut stream = serde_json::Deserializer::from_str(&source[at..]).into_iter::<Value>();
            match stream.next() {
                Some(Ok(Value::Object(object))) => {
                    found.objects.push(object);
                    start = at + stream.byte_offset().max(1);
                }
                Some(Err(error)) if error.is_eof() => {
                    found.cut_off = true;
                    start = at + 1;
                }
                _ => start = at + 1,
            }
        }
    }
    found
}

/// `text` with raw control characters inside JSON string literals escaped (`\n`, `\t`, …);
/// outside strings they are whitespace or errors either way. Borrowed when there are none.
fn escape_controls_in_strings(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b < 0x20) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string && !escaped && u32::from(c) < 0x20 {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                other => out.push_str(&format!("\\u{:04x}", u32::from(other))),
            }
            continue;
        }
        out.push(c);
        if escaped {
            escaped = false;
        } else if in_string && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_string = !in_string;
        }
    }
    Cow::Owned(out)
}

fn fenced_blocks(text: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after_fence = &rest[open + 3..];
        let body_start = after_fence.find('\n').map_or(0, |newline| newline + 1);
        let body = &after_fence[body_start..];
        let Some(close) = body.find("```") else {
            blocks.push(body);
            break;
        };
        blocks.push(&body[..close]);
        rest = &body[close + 3..];
    }
    blocks
}

fn cap(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    format!(
        "{}\n[… truncated]",
        truncate_to_char_boundary(text, max_bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn memory(raw: &str, summary: &str, slug: Option<&str>) -> ParsedAnswer {
        ParsedAnswer::Memory(StageOneOutput {
            raw_memory: raw.to_string(),
            rollout_summary: summary.to_string(),
            rollout_slug: slug.map(str::to_string),
        })
    }

    #[test]
    fn strict_json_is_read_and_trimmed() {
        let answer = r#"{"raw_memory":" use uv \n","rollout_summary":"added retries","rollout_slug":"retry-client"}"#;
        assert_eq!(
            parse_answer(answer).unwrap(),
            memory("use uv", "added retries", Some("retry-client"))
        );
    }

    #[test]
    fn fenced_json_with_prose_around_it_is_read() {
        let answer = "Here you go:\n```json\n{\"raw_memory\": \"m\", \"rollout_summary\": \"s\", \"rollout_slug\": null}\n```\nHope it helps";
        assert_eq!(parse_answer(answer).unwrap(), memory("m", "s", None));
    }

    #[test]
    fn an_object_embedded_in_prose_is_read() {
        let answer = "Sure! {\"raw_memory\": \"m\", \"rollout_summary\": \"s\"} that's all";
        assert_eq!(parse_answer(answer).unwrap(), memory("m", "s", None));
    }

    #[test]
    fn legacy_keys_are_accepted() {
        let answer = r#"{"rawMemory":"m","summary":"s","slug":"x"}"#;
        assert_eq!(parse_answer(answer).unwrap(), memory("m", "s", Some("x")));
    }

    #[test]
    fn keys_with_an_empty_raw_memory_mean_no_output() {
        let answer = r#"{"raw_memory":"","rollout_summary":"","rollout_slug":null}"#;
        assert_eq!(parse_answer(answer).unwrap(), ParsedAnswer::NoOutput);
        let answer = r#"{"raw_memory":"  ","rollout_summary":"something","rollout_slug":null}"#;
        assert_eq!(parse_answer(answer).unwrap(), ParsedAnswer::NoOutput);
    }

    #[test]
    fn an_answer_that_lacks_a_required_key_is_an_error_not_no_output() {
        let error = parse_answer(r#"{"rollout_summary":"fixed the test"}"#).unwrap_err();
        assert!(error.reason.contains("`raw_memory`"), "{error}");
        let error = parse_answer(r#"{"raw_memory":"- use uv"}"#).unwrap_err();
        assert!(error.reason.contains("`rollout_summary`"), "{error}");
        let error = parse_answer("Here it is: {\"memory\": \"- use uv\"}").unwrap_err();
        assert!(error.reason.contains("`rollout_summary`"), "{error}");
    }

    #[test]
    fn a_truncated_object_is_an_error_that_says_it_was_cut_off() {
        let error =
            parse_answer(r#"{"raw_memory":"- use uv","rollout_summary":"Fixed the"#).unwrap_err();
        assert!(error.reason.contains("cut off"), "{error}");
        let error =
            parse_answer("```json\n{\"raw_memory\": \"- x {y}\", \"rollout_summ").unwrap_err();
        assert!(error.reason.contains("cut off"), "{error}");
    }

    #[test]
    fn a_memory_without_its_summary_is_ambiguous_and_an_error() {
        let answer = r#"{"raw_memory":"- use uv","rollout_summary":" ","rollout_slug":null}"#;
        let error = parse_answer(answer).unwrap_err();
        assert!(error.reason.contains("empty rollout_summary"), "{error}");
    }

    #[test]
    fn keys_with_null_values_mean_no_output() {
        let answer = r#"{"raw_memory":null,"rollout_summary":null,"rollout_slug":null}"#;
        assert_eq!(parse_answer(answer).unwrap(), ParsedAnswer::NoOutput);
    }

    #[test]
    fn raw_control_characters_inside_strings_are_accepted() {
        let answer = "{\"raw_memory\": \"scope: /repo\n- use\tuv\", \"rollout_summary\": \"line one\nline two\", \"rollout_slug\": null}";
        assert!(answer.contains('\n') && answer.contains('\t'));
        assert_eq!(
            parse_answer(answer).unwrap(),
            memory("scope: /repo\n- use\tuv", "line one\nline two", None)
        );
        let fenced = format!("Sure:\n```json\n{answer}\n```");
        assert_eq!(
            parse_answer(&fenced).unwrap(),
            memory("scope: /repo\n- use\tuv", "line one\nline two", None)
        );
    }

    #[test]
    fn an_unrelated_object_before_the_answer_does_not_hide_it() {
        let answer =
            "I read {} and {\"a\": 1}, then: {\"raw_memory\": \"m\", \"rollout_summary\": \"s\"}";
        assert_eq!(parse_answer(answer).unwrap(), memory("m", "s", None));
    }

    #[test]
    fn garbage_is_an_error_quoting_the_start_of_the_answer() {
        let error = parse_answer("I cannot help with that.").unwrap_err();
        assert!(error.to_string().contains("I cannot help with that."));
    }

    #[test]
    fn oversized_fields_are_capped_on_a_char_boundary() {
        let big = "é".repeat(MAX_RAW_MEMORY_BYTES);
        let answer =
            serde_json::json!({"raw_memory": big, "rollout_summary": "s", "rollout_slug": null})
                .to_string();
        let ParsedAnswer::Memory(output) = parse_answer(&answer).unwrap() else {
            panic!("expected a memory");
        };
        assert!(output.raw_memory.len() <= MAX_RAW_MEMORY_BYTES + 20);
        assert!(output.raw_memory.ends_with("[… truncated]"));
    }
}
