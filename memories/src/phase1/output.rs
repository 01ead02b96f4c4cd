//! Reading the model's stage-one answer: strictly first (exactly `{raw_memory, rollout_summary,
//! rollout_slug}`), then leniently — code fences, an object embedded in prose, the legacy keys
//! `rawMemory` / `summary` — because local models break JSON. An answer whose raw memory or
//! summary is empty means "this session has nothing worth remembering".

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
    /// Nothing worth remembering.
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
    let answer = match serde_json::from_str::<StrictAnswer>(text.trim()) {
        Ok(strict) => (
            strict.raw_memory,
            strict.rollout_summary,
            strict.rollout_slug,
        ),
        Err(_) => lenient(text)?,
    };
    let (raw_memory, rollout_summary, slug) = answer;
    let raw_memory = cap(raw_memory.trim(), MAX_RAW_MEMORY_BYTES);
    let rollout_summary = cap(rollout_summary.trim(), MAX_ROLLOUT_SUMMARY_BYTES);
    if raw_memory.is_empty() || rollout_summary.is_empty() {
        return Ok(ParsedAnswer::NoOutput);
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

fn lenient(text: &str) -> Result<(String, String, Option<String>), AnswerError> {
    let error = |reason: &str| AnswerError {
        reason: reason.to_string(),
        excerpt: truncate_to_char_boundary(text.trim(), ERROR_EXCERPT_BYTES).to_string(),
    };
    let object = candidate_objects(text)
        .into_iter()
        .find(|object| {
            field(object, RAW_MEMORY_KEYS).is_some() || field(object, SUMMARY_KEYS).is_some()
        })
        .ok_or_else(|| error("no JSON object with raw_memory and rollout_summary"))?;
    let raw_memory = field(&object, RAW_MEMORY_KEYS).unwrap_or_default();
    let summary = field(&object, SUMMARY_KEYS).unwrap_or_default();
    let slug = field(&object, SLUG_KEYS);
    Ok((raw_memory, summary, slug))
}

const RAW_MEMORY_KEYS: &[&str] = &["raw_memory", "rawMemory", "memory"];
const SUMMARY_KEYS: &[&str] = &["rollout_summary", "rolloutSummary", "summary"];
const SLUG_KEYS: &[&str] = &["rollout_slug", "rolloutSlug", "slug"];

fn field(object: &serde_json::Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|key| match object.get(*key)? {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    })
}

/// Every JSON object found in the text: the fenced blocks first, then each `{` that starts a
/// parseable object, in order.
fn candidate_objects(text: &str) -> Vec<serde_json::Map<String, Value>> {
    let mut sources: Vec<&str> = fenced_blocks(text);
    sources.push(text);
    let mut objects = Vec::new();
    for source in sources {
        for (start, _) in source.match_indices('{') {
            let mut stream =
                serde_json::Deserializer::from_str(&source[start..]).into_iter::<Value>();
            if let Some(Ok(Value::Object(object))) = stream.next() {
                objects.push(object);
                break;
            }
        }
    }
    objects
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
    fn an_empty_memory_or_summary_means_no_output() {
        let answer = r#"{"raw_memory":"","rollout_summary":"","rollout_slug":null}"#;
        assert_eq!(parse_answer(answer).unwrap(), ParsedAnswer::NoOutput);
        let answer = r#"{"raw_memory":"  ","rollout_summary":"something","rollout_slug":null}"#;
        assert_eq!(parse_answer(answer).unwrap(), ParsedAnswer::NoOutput);
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
