//! Consolidators: what turns the phase-2 inputs into `MEMORY.md`, `memory_summary.md` and
//! `skills/`. A trait, because a host may run its own sub-agent. Built in: the `agent`
//! consolidator (a tool loop over a model provider, confined to the memory folder) and the
//! `offline` consolidator (deterministic, no model). The phase-2 run cancels a consolidator by
//! dropping its future when ownership of the job is lost.

mod agent;
mod offline;
mod offline_projects;
mod preference_scope;
mod prompt;
pub mod quality;
mod single_shot;
pub mod tools;

use std::path::PathBuf;

pub use agent::AgentConsolidator;
pub use offline::OfflineConsolidator;
pub use prompt::consolidation_prompt;
pub use quality::QualityRejection;
pub use single_shot::SingleShotConsolidator;

use crate::layout::{MEMORY_FILE, SUMMARY_FILE};
use crate::phase2::artifacts::ArtifactInput;
use crate::phase2::extensions::Note;
use crate::provider::{ProviderError, Usage};

/// Everything a consolidator gets for one run.
#[derive(Debug, Clone)]
pub struct ConsolidationJob {
    /// The memory folder; all work happens inside it.
    pub memory_root: PathBuf,
    /// The rendered consolidation prompt (`templates/memories/consolidation.md`).
    pub prompt: String,
    /// The selected inputs, in thread-id order (also on disk as `raw_memories.md`).
    pub inputs: Vec<ArtifactInput>,
    /// The ad hoc notes.
    pub notes: Vec<Note>,
}

/// What a consolidation did. A consolidator of your own makes one with
/// [`ConsolidationReport::new`] and the `with_*` setters (more fields may come).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ConsolidationReport {
    /// Model turns taken (0 offline).
    pub turns: u32,
    /// Tokens used (zero offline).
    pub usage: Usage,
    /// Files written or deleted, relative to the root.
    pub files_changed: Vec<String>,
    /// The agent's closing sentence, or the offline consolidator's note.
    pub summary: String,
}

impl ConsolidationReport {
    /// A report whose closing note is `summary` (no turns, no usage, no files changed yet).
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            ..Self::default()
        }
    }

    /// After `turns` model turns.
    pub fn with_turns(mut self, turns: u32) -> Self {
        self.turns = turns;
        self
    }

    /// Having used `usage` tokens.
    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    /// Having written or deleted `files_changed` (relative to the root).
    pub fn with_files_changed(mut self, files_changed: Vec<String>) -> Self {
        self.files_changed = files_changed;
        self
    }
}

/// Why a consolidation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsolidatorError {
    /// The model provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The agent used all its turns without finishing.
    #[error("the consolidation agent did not finish within {0} turns")]
    TurnLimit(u32),
    /// The agent used more tokens than allowed.
    #[error("the consolidation agent used {used} tokens, over its budget of {budget}")]
    TokenBudget {
        /// Tokens used.
        used: u64,
        /// The budget.
        budget: u64,
    },
    /// The inputs changed but the model answered without calling any tool.
    #[error(
        "the model made no tool calls; does the server support tools? try `--consolidator offline` (or `--consolidator single-shot`, which needs no tool calls)"
    )]
    NoToolCalls,
    /// The model called tools but changed no file, so nothing was consolidated.
    #[error(
        "the model made {tool_calls} tool calls but changed no file, so the memory was not updated; try `--consolidator offline` (or `--consolidator single-shot`)"
    )]
    NoFileChanged {
        /// Tool calls made.
        tool_calls: usize,
    },
    /// The model's answer could not be read as a consolidation.
    #[error("{0}")]
    Answer(String),
    /// What the model produced failed the quality gate.
    #[error(transparent)]
    Quality(#[from] QualityRejection),
    /// The agent stopped without producing a valid `memory_summary.md`.
    #[error("the consolidation finished without a valid memory_summary.md: {0}")]
    MissingSummary(String),
    /// A file of the memory folder could not be read or written.
    #[error("memory folder I/O at {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Turns phase-2 inputs into the consolidated memory files.
#[async_trait::async_trait]
pub trait Consolidator: Send + Sync {
    /// `agent`, `offline`, or a host's own name.
    fn name(&self) -> &str;

    /// Runs one consolidation inside `job.memory_root`.
    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError>;
}

/// Checks that `memory_summary.md` exists and starts with `v1`.
pub fn check_summary(root: &std::path::Path) -> Result<(), ConsolidatorError> {
    let path = root.join(SUMMARY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        ConsolidatorError::MissingSummary(format!("{}: {error}", path.display()))
    })?;
    if text.lines().next().map(str::trim) != Some("v1") {
        return Err(ConsolidatorError::MissingSummary(
            "its first line must be exactly `v1`".to_string(),
        ));
    }
    Ok(())
}

/// Checks what a model consolidation left: `memory_summary.md` present and passing the quality
/// gate (`v1`, real words), and `MEMORY.md`, when there is one, too (not empty, real words, no
/// bracket soup).
pub fn check_outputs(root: &std::path::Path) -> Result<(), ConsolidatorError> {
    check_summary(root)?;
    let summary = std::fs::read_to_string(root.join(SUMMARY_FILE)).unwrap_or_default();
    quality::check_summary_text(&summary)?;
    if let Ok(memory) = std::fs::read_to_string(root.join(MEMORY_FILE)) {
        quality::check_memory_text(&memory)?;
    }
    Ok(())
}
