//! Builds the whole stage-one request for one rollout: read and keep items, type them as
//! entries, redact every entry's whole text, then cut long texts, frame each entry as a block
//! under the request's nonce, fit the budget and render the prompt. Redaction comes before every
//! cut, so no cut can split a secret into pieces the redactor would not recognise. Also reports
//! the sizes the input-size benchmark compares.

use std::path::Path;
use std::sync::Arc;

use codex_protocol::{Agent, RolloutError};

use crate::budget::estimate_request_tokens;
use crate::phase1::budget::{fit_blocks, stage_one_output_tokens, transcript_budget_tokens};
use crate::phase1::frame::Nonce;
use crate::phase1::prompt::{PromptError, StageOnePrompt, stage_one_request};
use crate::phase1::select::{KeptRollout, read_kept_items};
use crate::phase1::substance::has_substantive_request;
use crate::phase1::transcript::{Entry, StageOneTranscript, entries_of, render_blocks};
use crate::provider::ModelRequest;

/// Turns text into text with its secrets replaced (the redaction seam, so tests can watch it).
pub type Redactor<'a> = &'a (dyn Fn(&str) -> String + Sync);

/// A request ready to send, with the figures around it.
#[derive(Debug, Clone)]
pub struct StageOneInput {
    /// The request.
    pub request: ModelRequest,
    /// The session's working directory.
    pub cwd: String,
    /// Bytes of the fitted, redacted transcript.
    pub transcript_bytes: usize,
    /// Bytes of a plain JSON serialization of the same kept items (what a JSON dump would send).
    pub kept_items_json_bytes: usize,
    /// Blocks dropped from the middle to fit the budget.
    pub omitted_blocks: usize,
    /// Unreadable lines in the rollout (counted, not fatal).
    pub bad_line_count: u64,
    /// Whether a user message asks for anything; without one (only "hi", "thanks") the session
    /// has no output and no model is asked.
    pub substantive_request: bool,
}

/// Why the input for a rollout could not be built.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The rollout could not be read.
    #[error(transparent)]
    Rollout(#[from] RolloutError),
    /// A prompt template failed.
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// Builds the stage-one request for the Codex rollout at `path`.
pub fn build_stage_one_input(
    path: &Path,
    context_window: Option<u64>,
    model: Option<String>,
    redactor: Redactor<'_>,
) -> Result<StageOneInput, InputError> {
    build_session_input(path, Agent::Codex, context_window, model, redactor)
}

/// Builds the stage-one request for the session at `path`, written by `agent`.
pub fn build_session_input(
    path: &Path,
    agent: Agent,
    context_window: Option<u64>,
    model: Option<String>,
    redactor: Redactor<'_>,
) -> Result<StageOneInput, InputError> {
    let kept = read_kept_items(path, agent)?;
    Ok(stage_one_input_from(
        &kept,
        &path.display().to_string(),
        context_window,
        model,
        redactor,
    )?)
}

/// Builds the stage-one request for items already read; `rollout_label` names the session to
/// the model.
pub fn stage_one_input_from(
    kept: &KeptRollout,
    rollout_label: &str,
    context_window: Option<u64>,
    model: Option<String>,
    redactor: Redactor<'_>,
) -> Result<StageOneInput, PromptError> {
    let kept_items_json_bytes = kept
        .items
        .iter()
        .map(|item| serde_json::to_string(item).map_or(0, |json| json.len() + 1))
        .sum();
    let entries: Vec<Entry> = entries_of(&kept.items, &kept.cwd)
        .into_iter()
        .map(|mut entry| {
            entry.map_texts(redactor);
            entry.cut()
        })
        .collect();
    let substantive_request = has_substantive_request(&entries);
    let nonce = Nonce::choose(&entries);
    let blocks = render_blocks(&entries, &nonce);
    let cwd = redactor(&kept.cwd);
    let rollout_path = redactor(rollout_label);
    let typed = Arc::new(StageOneTranscript {
        cwd: cwd.clone(),
        entries,
    });
    // The prompt around the transcript, measured by rendering it empty: what the window holds
    // besides the transcript and the answer, so the whole request fits before it is sent.
    let frame = StageOnePrompt {
        rollout_path: &rollout_path,
        cwd: &cwd,
        transcript: "",
        nonce: &nonce,
        omitted_blocks: 0,
    };
    let frame_tokens = estimate_request_tokens(&stage_one_request(
        frame,
        Arc::clone(&typed),
        model.clone(),
    )?);
    let output_tokens = stage_one_output_tokens(context_window);
    let budget = transcript_budget_tokens(context_window, frame_tokens, output_tokens);
    let fitted = fit_blocks(&blocks, budget);
    let prompt = StageOnePrompt {
        transcript: &fitted.text,
        omitted_blocks: fitted.omitted_blocks,
        ..frame
    };
    let mut request = stage_one_request(prompt, typed, model)?;
    request.max_output_tokens = Some(output_tokens);
    Ok(StageOneInput {
        request,
        cwd,
        transcript_bytes: fitted.text.len(),
        kept_items_json_bytes,
        omitted_blocks: fitted.omitted_blocks,
        bad_line_count: kept.bad_line_count,
        substantive_request,
    })
}
