//! One whole run — index → prune → phase 1 → phase 2 — under one budget, as hosts and the CLI's
//! `run` use it. Each phase is idempotent and resumable, so a run killed anywhere loses nothing
//! committed; leases expire and the next run picks up. `generate_memories = false` skips the
//! model phases entirely.

use std::path::Path;
use std::sync::Arc;

use codex_state::{
    IndexOptions, IndexProgress, IndexReport, MemoryStore, StateError, StateRuntime,
};
use serde::Serialize;

use crate::budget::RunBudget;
use crate::consolidator::Consolidator;
use crate::phase1::run::{ExtractOptions, ExtractProgress, ExtractReport, run_extraction};
use crate::phase2::run::{Phase2Options, Phase2Report, run_phase2};
use crate::provider::ModelClient;

/// Stale outputs pruned per run at most.
pub const PRUNE_BATCH_ROWS: u32 = 512;

/// What a whole run does.
#[derive(Debug, Clone)]
pub struct PipelineOptions {
    /// Bring the thread index up to date first (off when the host keeps its own index).
    pub index: bool,
    /// How the index step behaves (e.g. whether it may remove many threads at once).
    pub index_options: IndexOptions,
    /// Run the model phases (`generate_memories`).
    pub generate: bool,
    /// Phase-1 settings.
    pub extract: ExtractOptions,
    /// Phase-2 settings.
    pub phase2: Phase2Options,
}

/// Progress of a whole run.
#[derive(Debug, Clone)]
pub enum PipelineProgress {
    /// Indexing.
    Index(IndexProgress),
    /// Extracting.
    Extract(ExtractProgress),
    /// Consolidation started.
    Consolidating,
}

/// What a whole run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PipelineReport {
    /// The index step, when it ran.
    pub index: Option<IndexReport>,
    /// Stale outputs pruned.
    pub pruned: u64,
    /// Phase 1, when it ran.
    pub extract: Option<ExtractReport>,
    /// Phase 2, when it ran.
    pub phase2: Option<Phase2Report>,
    /// Why model phases did not run, when they did not.
    pub skipped_generation: Option<String>,
}

/// Runs index → prune → phase 1 → phase 2.
#[allow(clippy::too_many_arguments)]
pub async fn run_pipeline(
    state: &StateRuntime,
    store: &MemoryStore,
    extract_client: Arc<dyn ModelClient>,
    consolidator: &dyn Consolidator,
    budget: Arc<RunBudget>,
    memory_root: &Path,
    options: &PipelineOptions,
    progress: &(dyn Fn(PipelineProgress) + Send + Sync),
) -> Result<PipelineReport, StateError> {
    let mut report = PipelineReport::default();
    if options.index {
        report.index = Some(
            state
                .index_sessions_with(&options.index_options, &|p| {
                    progress(PipelineProgress::Index(p))
                })
                .await?,
        );
    }
    report.pruned = store
        .prune_stale_outputs(options.phase2.max_unused_days, PRUNE_BATCH_ROWS)
        .await?;
    if !options.generate {
        report.skipped_generation = Some(
            "generate_memories = false in [memories]; no extraction or consolidation".to_string(),
        );
        return Ok(report);
    }
    report.extract = Some(
        run_extraction(
            store,
            extract_client,
            Arc::clone(&budget),
            &options.extract,
            &|p| progress(PipelineProgress::Extract(p)),
        )
        .await?,
    );
    progress(PipelineProgress::Consolidating);
    report.phase2 = Some(
        run_phase2(
            store,
            memory_root,
            consolidator,
            &options.phase2,
            state.clock().now(),
        )
        .await?,
    );
    Ok(report)
}
