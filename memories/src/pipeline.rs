//! One whole run — index → prune → phase 1 → phase 2 — under one budget, as hosts and the CLI's
//! `run` use it. Each phase is idempotent and resumable, so a run killed anywhere loses nothing
//! committed; leases expire and the next run picks up. An interrupted run (its cancellation
//! token, e.g. Ctrl-C) gives its unfinished claims back at once instead. `generate_memories =
//! false` skips the model phases entirely, and a phase 1 that used up the run's budget skips
//! phase 2 (which would fail on it) with the reason.

use std::path::Path;
use std::sync::Arc;

use codex_state::{
    IndexOptions, IndexProgress, IndexReport, MemoryStore, StateError, StateRuntime,
};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::budget::RunBudget;
use crate::consolidator::Consolidator;
use crate::phase1::run::{ExtractOptions, ExtractProgress, ExtractReport, run_extraction};
use crate::phase2::run::{Phase2Options, Phase2Report, run_phase2};
use crate::provider::ModelClient;

/// Stale outputs pruned per run at most.
pub const PRUNE_BATCH_ROWS: u32 = 512;

/// What a whole run does. Start from [`PipelineOptions::default`] and change what you need with
/// the `with_*` setters (more settings may come).
#[derive(Debug, Clone)]
#[non_exhaustive]
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
    /// Cancelled to interrupt the run (Ctrl-C): extraction stops and gives its unfinished claims
    /// back, a consolidation in progress is dropped and its claim given back, and phase 2 does
    /// not start. It replaces `extract.cancel`.
    pub cancel: CancellationToken,
}

impl Default for PipelineOptions {
    /// Index first, generate memories, default phase-1 and phase-2 settings, a fresh token.
    fn default() -> Self {
        Self {
            index: true,
            index_options: IndexOptions::default(),
            generate: true,
            extract: ExtractOptions::default(),
            phase2: Phase2Options::default(),
            cancel: CancellationToken::new(),
        }
    }
}

impl PipelineOptions {
    /// Indexing first when `index`.
    pub fn with_index(mut self, index: bool) -> Self {
        self.index = index;
        self
    }

    /// Indexing as `index_options` says.
    pub fn with_index_options(mut self, index_options: IndexOptions) -> Self {
        self.index_options = index_options;
        self
    }

    /// Running the model phases when `generate`.
    pub fn with_generate(mut self, generate: bool) -> Self {
        self.generate = generate;
        self
    }

    /// With the phase-1 settings `extract`.
    pub fn with_extract(mut self, extract: ExtractOptions) -> Self {
        self.extract = extract;
        self
    }

    /// With the phase-2 settings `phase2`.
    pub fn with_phase2(mut self, phase2: Phase2Options) -> Self {
        self.phase2 = phase2;
        self
    }

    /// Interrupted when `cancel` is cancelled.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

/// Progress of a whole run.
#[derive(Debug, Clone)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// Why phase 2 did not run after phase 1, when it did not (budget used up, interrupted).
    pub skipped_phase2: Option<String>,
    /// Whether the run was interrupted; what it had claimed and not finished was given back.
    pub interrupted: bool,
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
    let cancel = options.cancel.clone();
    let mut extract_options = options.extract.clone();
    extract_options.cancel = cancel.clone();
    let extract = run_extraction(
        store,
        extract_client,
        Arc::clone(&budget),
        &extract_options,
        &|p| progress(PipelineProgress::Extract(p)),
    )
    .await?;
    let interrupted = extract.interrupted;
    report.extract = Some(extract);
    if interrupted || cancel.is_cancelled() {
        report.interrupted = true;
        report.skipped_phase2 = Some(INTERRUPTED.to_string());
        return Ok(report);
    }
    // A run-level failure (unreachable server, refused key, …) would fail phase 2 the same
    // way and put it into a backoff: stop here, as the report says.
    if let Some(stop) = report
        .extract
        .as_ref()
        .and_then(|extract| extract.stopped.as_ref())
    {
        report.skipped_phase2 = Some(format!("extraction stopped: {}", stop.reason));
        return Ok(report);
    }
    if budget.is_exhausted() || budget.remaining_requests() == Some(0) {
        let reason = format!(
            "extraction used up the run budget ({} request(s)); the next run consolidates",
            budget.requests()
        );
        tracing::info!("{reason}");
        report.skipped_phase2 = Some(reason);
        return Ok(report);
    }
    progress(PipelineProgress::Consolidating);
    let phase2 = run_phase2(
        store,
        memory_root,
        consolidator,
        &options.phase2,
        state.clock().now(),
    );
    tokio::select! {
        phase2 = phase2 => report.phase2 = Some(phase2?),
        () = cancel.cancelled() => {
            // The consolidation is dropped where it stood; its claim goes back so the next run
            // consolidates at once instead of waiting for the lease.
            let released = store.release_claims_of_worker(&options.phase2.worker_id).await?;
            tracing::info!(released, "consolidation interrupted; its claim was given back");
            report.interrupted = true;
            report.skipped_phase2 = Some(INTERRUPTED.to_string());
        }
    }
    Ok(report)
}

/// What an interrupted run says about phase 2.
const INTERRUPTED: &str =
    "interrupted: unfinished work was given back; the next run takes it up at once";
