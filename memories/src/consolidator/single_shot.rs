//! The `single-shot` consolidator, for chat models that cannot call tools: one request carrying
//! the current `MEMORY.md` and `memory_summary.md` and the diff file (all redacted, cut to fit),
//! answered with `{"memory_md": …, "memory_summary": …}`. The answer is read strictly, then
//! leniently (code fences, JSON in prose, raw newlines in strings); redacted; and must pass the
//! quality gate before either file is written. Anything else fails the consolidation, leaving
//! the folder as it was.

use std::sync::Arc;

use askama::Template;
use serde_json::{Value, json};

use crate::consolidator::prompt::MAX_SUMMARY_LINES;
use crate::consolidator::quality::{check_memory_text, check_summary_text};
use crate::consolidator::{ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError};
use crate::layout::{DIFF_FILE_NAME, MEMORY_FILE, SUMMARY_FILE};
use crate::memory_folder::{FolderError, FolderPath, MemoryFolder};
use crate::phase1::cut::{cut_middle, truncate_to_char_boundary};
use crate::phase1::output::candidate_objects;
use crate::provider::{InputItem, ModelClient, ModelRequest, OutputSchema, Role};
use crate::redact::redact;

/// The input budget when the client does not know its context window, in bytes.
pub const DEFAULT_SINGLE_SHOT_INPUT_BYTES: usize = 24 * 1024;
/// Bytes per token assumed when sizing the input from a context window (code-heavy text).
const BYTES_PER_TOKEN: u64 = 3;
/// Share of the context window given to the input; the rest is the answer's.
const INPUT_SHARE_PERCENT: u64 = 50;
/// How much of an unreadable answer is quoted in the error, in bytes.
const ERROR_EXCERPT_BYTES: usize = 200;
/// The answer's keys.
const MEMORY_KEY: &str = "memory_md";
const SUMMARY_KEY: &str = "memory_summary";

#[derive(Template)]
#[template(path = "memories/consolidation_single_shot.md", escape = "none")]
struct SingleShotPrompt {
    max_summary_lines: usize,
}

/// Consolidation in one model request, without tools.
pub struct SingleShotConsolidator {
    client: Arc<dyn ModelClient>,
    model: Option<String>,
}

impl SingleShotConsolidator {
    /// A single-shot consolidator over `client`, using `model` (or the client's default).
    pub fn new(client: Arc<dyn ModelClient>, model: Option<String>) -> Self {
        Self { client, model }
    }

    /// The input budget: half the client's context window when known, else
    /// [`DEFAULT_SINGLE_SHOT_INPUT_BYTES`].
    fn input_budget_bytes(&self) -> usize {
        self.client
            .context_window()
            .map(|tokens| tokens * BYTES_PER_TOKEN * INPUT_SHARE_PERCENT / 100)
            .and_then(|bytes| usize::try_from(bytes).ok())
            .unwrap_or(DEFAULT_SINGLE_SHOT_INPUT_BYTES)
    }
}

/// The strict JSON schema of the answer.
pub fn single_shot_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            MEMORY_KEY: {"type": "string"},
            SUMMARY_KEY: {"type": "string"}
        },
        "required": [MEMORY_KEY, SUMMARY_KEY],
        "additionalProperties": false
    })
}

#[async_trait::async_trait]
impl Consolidator for SingleShotConsolidator {
    fn name(&self) -> &str {
        "single-shot"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        let root = job.memory_root.clone();
        let budget = self.input_budget_bytes();
        let input = tokio::task::spawn_blocking(move || render_input(&root, budget))
            .await
            .map_err(|error| io_error(&job.memory_root, error.to_string()))??;
        let instructions = SingleShotPrompt {
            max_summary_lines: MAX_SUMMARY_LINES,
        }
        .render()
        .map_err(|error| ConsolidatorError::Answer(format!("cannot render the prompt: {error}")))?;
        let request = ModelRequest {
            model: self.model.clone(),
            instructions,
            input: vec![InputItem::Message {
                role: Role::User,
                text: input,
            }],
            output_schema: Some(OutputSchema {
                name: "memory_consolidation".to_string(),
                schema: single_shot_schema(),
            }),
            ..ModelRequest::default()
        };
        let response = self.client.complete(&request).await?;
        let (memory, summary) = parse_answer(&response.text)?;
        let memory = redact(memory.trim());
        let summary = redact(summary.trim());
        let memory_text = format!("{}\n", memory.text);
        let summary_text = format!("{}\n", summary.text);
        check_summary_text(&summary_text)?;
        check_memory_text(&memory_text)?;
        let root = job.memory_root.clone();
        let files_changed = tokio::task::spawn_blocking(move || {
            write_outputs(
                &root,
                &[(MEMORY_FILE, memory_text), (SUMMARY_FILE, summary_text)],
            )
        })
        .await
        .map_err(|error| io_error(&job.memory_root, error.to_string()))??;
        Ok(ConsolidationReport {
            turns: 1,
            usage: response.usage.unwrap_or_default(),
            files_changed,
            summary: format!(
                "single-shot consolidation ({} secrets redacted)",
                memory.findings.len() + summary.findings.len()
            ),
        })
    }
}

/// The request's input: the current files and the diff file, redacted, the diff cut in the
/// middle to fit `budget_bytes`.
fn render_input(root: &std::path::Path, budget_bytes: usize) -> Result<String, ConsolidatorError> {
    let folder = MemoryFolder::open(root).map_err(|error| io_error(root, error.to_string()))?;
    let read = |name: &str| -> Result<String, ConsolidatorError> {
        let path = FolderPath::parse(name).map_err(|error| io_error(root, error.to_string()))?;
        match folder.read_redacted(&path) {
            Ok(text) => Ok(text),
            Err(FolderError::NotFound { .. }) => Ok(String::new()),
            Err(error) => Err(io_error(root, error.to_string())),
        }
    };
    let memory = read(MEMORY_FILE)?;
    let summary = read(SUMMARY_FILE)?;
    let diff = read(DIFF_FILE_NAME)?;
    let fixed = memory.len() + summary.len();
    let diff_budget = budget_bytes.saturating_sub(fixed).max(budget_bytes / 4);
    let diff = cut_middle(&diff, diff_budget, |line| {
        line.starts_with("diff --git") || line.starts_with("+## Thread")
    });
    Ok(format!(
        "# Current {MEMORY_FILE}\n\n````markdown\n{memory}````\n\n# Current {SUMMARY_FILE}\n\n````markdown\n{summary}````\n\n# What changed since the last consolidation ({DIFF_FILE_NAME})\n\n{diff}\n"
    ))
}

/// The two files of an answer: strict JSON first, then the first object in the text that holds
/// both keys.
fn parse_answer(text: &str) -> Result<(String, String), ConsolidatorError> {
    let pick = |object: &serde_json::Map<String, Value>| -> Option<(String, String)> {
        let memory = object.get(MEMORY_KEY)?.as_str()?.to_string();
        let summary = object.get(SUMMARY_KEY)?.as_str()?.to_string();
        Some((memory, summary))
    };
    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(text.trim())
        && let Some(files) = pick(&object)
    {
        return Ok(files);
    }
    let found = candidate_objects(text);
    if let Some(files) = found.objects.iter().find_map(pick) {
        return Ok(files);
    }
    let reason = if found.cut_off {
        "its JSON object is cut off before the end: the answer was truncated"
    } else {
        "no JSON object with memory_md and memory_summary"
    };
    Err(ConsolidatorError::Answer(format!(
        "the model's answer is not a consolidation ({reason}); it began: {:?}",
        truncate_to_char_boundary(text.trim(), ERROR_EXCERPT_BYTES)
    )))
}

/// Writes the files whose content changed; returns their names.
fn write_outputs(
    root: &std::path::Path,
    files: &[(&str, String)],
) -> Result<Vec<String>, ConsolidatorError> {
    let folder = MemoryFolder::open(root).map_err(|error| io_error(root, error.to_string()))?;
    let mut changed = Vec::new();
    for (name, text) in files {
        let path = FolderPath::parse(name).map_err(|error| io_error(root, error.to_string()))?;
        let unchanged = folder
            .read(&path)
            .is_ok_and(|existing| existing == text.as_bytes());
        if !unchanged {
            folder
                .write(&path, text.as_bytes())
                .map_err(|error| io_error(root, error.to_string()))?;
            changed.push((*name).to_string());
        }
    }
    Ok(changed)
}

fn io_error(root: &std::path::Path, detail: String) -> ConsolidatorError {
    ConsolidatorError::Io {
        path: root.to_path_buf(),
        source: std::io::Error::other(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn strict_fenced_and_prose_wrapped_answers_are_read() {
        let strict = r##"{"memory_md": "# M\n- uses uv", "memory_summary": "v1\n- uv"}"##;
        assert_eq!(
            parse_answer(strict).unwrap(),
            ("# M\n- uses uv".to_string(), "v1\n- uv".to_string())
        );
        let fenced = "Sure:\n```json\n{\"memory_md\": \"# M\", \"memory_summary\": \"v1\nx\"}\n```";
        assert_eq!(
            parse_answer(fenced).unwrap(),
            ("# M".to_string(), "v1\nx".to_string())
        );
    }

    #[test]
    fn an_answer_without_both_keys_or_cut_off_is_an_error_naming_why() {
        let missing = parse_answer(r##"{"memory_md": "# M"}"##)
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("no JSON object with memory_md"),
            "{missing}"
        );
        let cut = parse_answer(r##"{"memory_md": "# M", "memory_su"##)
            .unwrap_err()
            .to_string();
        assert!(cut.contains("truncated"), "{cut}");
    }
}
