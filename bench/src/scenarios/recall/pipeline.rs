//! The whole pipeline over the recall home, offline: index every session, extract each with the
//! offline provider (all of them in one run), consolidate with the offline consolidator.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use codex_memories::MEMORY_DIR_NAME;
use codex_memories::OfflineConsolidator;
use codex_memories::RunBudget;
use codex_memories::provider::{ModelClient, OfflineClient};
use codex_memories::{ExtractOptions, run_extraction};
use codex_memories::{Phase2Options, Phase2Outcome, run_phase2};
use codex_state::{Homes, MemoryStore, StartupScanParams, StateRuntime};

use crate::recall_home::RecallHome;

/// Extractions at once (the offline provider is CPU-bound; the machine is shared).
const CONCURRENCY: usize = 2;
/// Raw memories one consolidation takes at most (the configurable maximum).
const MAX_CONSOLIDATION_INPUTS: u32 = 4_096;

/// The databases and the memory folder after a run.
pub struct Built {
    /// The state DB.
    pub state: StateRuntime,
    /// The memories DB (its search index is brought in step by the probes).
    pub store: MemoryStore,
    /// The memory folder.
    pub memory_root: PathBuf,
}

impl Built {
    /// Closes both databases.
    pub async fn close(self) {
        self.store.close().await;
        self.state.close().await;
    }
}

/// Index → extract → consolidate, checking that every session was read and consolidated.
pub async fn run_offline(home: &RecallHome) -> anyhow::Result<Built> {
    let state = StateRuntime::open(Homes::under_codex_home(&home.codex_home))
        .await
        .context("cannot open the state DB")?;
    let index = state.index_sessions(&|_| {}).await?;
    ensure!(
        index.threads_added as usize == home.sessions,
        "indexed {} of {} sessions",
        index.threads_added,
        home.sessions
    );
    let store = MemoryStore::open(&state).await?;
    let claims = u32::try_from(home.sessions)?;
    let client: Arc<dyn ModelClient> = Arc::new(OfflineClient);
    let extract = run_extraction(
        &store,
        client,
        Arc::new(RunBudget::default()),
        &ExtractOptions::default()
            .with_scan(
                StartupScanParams::default()
                    .with_max_claims(claims)
                    .with_running_cap(claims)
                    .with_scan_limit(claims),
            )
            .with_concurrency(CONCURRENCY),
        &|_| {},
    )
    .await?;
    ensure!(
        extract.failed.is_empty() && extract.succeeded + extract.no_output == home.sessions,
        "extracted {} (+{} without output) of {} sessions; first failure: {:?}",
        extract.succeeded,
        extract.no_output,
        home.sessions,
        extract.failed.first()
    );
    let memory_root = home.codex_home.join(MEMORY_DIR_NAME);
    let phase2 = run_phase2(
        &store,
        &memory_root,
        &OfflineConsolidator,
        &Phase2Options::default().with_max_inputs(MAX_CONSOLIDATION_INPUTS),
        state.clock().now(),
    )
    .await?;
    ensure!(
        matches!(phase2.outcome, Phase2Outcome::Consolidated { .. }),
        "the consolidation did not run: {:?}",
        phase2.outcome
    );
    eprintln!(
        "  {} memories extracted ({} sessions without one), consolidated",
        extract.succeeded, extract.no_output
    );
    Ok(Built {
        state,
        store,
        memory_root,
    })
}
