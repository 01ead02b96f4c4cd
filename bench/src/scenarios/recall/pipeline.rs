//! The whole pipeline over the recall home: index every session, extract each (all of them in
//! one run) with the offline provider or the model the command line names, consolidate with the
//! offline consolidator. A model is set up the way `codex-memories extract` sets one up:
//! [`resolve_provider`] over the flags (no settings file: the home is generated), then
//! [`prepare_provider`] (a chat server's context window), then [`build_client_gated`].

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, ensure};
use codex_memories::MEMORY_DIR_NAME;
use codex_memories::MemoriesConfig;
use codex_memories::OfflineConsolidator;
use codex_memories::RunBudget;
use codex_memories::provider::{
    ModelClient, ModelRole, OfflineClient, ProviderOverrides, build_client_gated, prepare_provider,
    resolve_provider,
};
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
    /// Sessions phase 1 stored a memory for.
    pub extracted: usize,
}

impl Built {
    /// Closes both databases.
    pub async fn close(self) {
        self.store.close().await;
        self.state.close().await;
    }
}

/// Index → extract (with `model`, else offline) → consolidate, checking that every session was
/// read and consolidated. Offline, every session must be extracted; a model may fail some (they
/// are counted and the first reason printed).
pub async fn run(home: &RecallHome, model: Option<&ProviderOverrides>) -> anyhow::Result<Built> {
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
    let budget = Arc::new(RunBudget::default());
    let (client, concurrency): (Arc<dyn ModelClient>, usize) = match model {
        None => (Arc::new(OfflineClient), CONCURRENCY),
        Some(overrides) => {
            let mut resolved = resolve_provider(
                overrides,
                &MemoriesConfig::default(),
                ModelRole::Extraction,
                |name| std::env::var(name).ok(),
            )?;
            let prepared = prepare_provider(&store, &mut resolved).await?;
            let client = build_client_gated(&resolved.config, budget.retry_gate(), || {
                Arc::new(OfflineClient)
            })?;
            eprintln!(
                "  phase 1 with {} ({}), context window {} from {}, {} at once",
                client.provider_name(),
                client.default_model(),
                prepared
                    .context_window
                    .map_or_else(|| "unknown".to_string(), |tokens| tokens.to_string()),
                prepared.context_window_source,
                resolved.concurrency
            );
            (client, resolved.concurrency)
        }
    };
    let started = std::time::Instant::now();
    let extract = run_extraction(
        &store,
        client,
        budget,
        &ExtractOptions::default()
            .with_scan(
                StartupScanParams::default()
                    .with_max_claims(claims)
                    .with_running_cap(claims)
                    .with_scan_limit(claims),
            )
            .with_concurrency(concurrency),
        &|_| {},
    )
    .await?;
    let processed = extract.succeeded + extract.no_output + extract.failed.len();
    ensure!(
        processed == home.sessions && (model.is_some() || extract.failed.is_empty()),
        "extracted {} (+{} without output, {} failed) of {} sessions; first failure: {:?}",
        extract.succeeded,
        extract.no_output,
        extract.failed.len(),
        home.sessions,
        extract.failed.first()
    );
    eprintln!(
        "  phase 1: {} memories, {} sessions without one, {} failed in {:.1} s{}",
        extract.succeeded,
        extract.no_output,
        extract.failed.len(),
        started.elapsed().as_secs_f64(),
        extract
            .failed
            .first()
            .map(|failure| format!("; first failure: {failure:?}"))
            .unwrap_or_default()
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
    Ok(Built {
        state,
        store,
        memory_root,
        extracted: extract.succeeded,
    })
}
