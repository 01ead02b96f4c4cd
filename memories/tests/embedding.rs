//! Embedding codex-memories the way an agent host does, through crate-root names only (no
//! module paths): the host example (`examples/host.rs`, included here so this test runs the very
//! code the docs show) runs the whole pipeline — index, phase 1 with a scripted model client,
//! phase 2 with the host's consolidator — and the next session's instructions carry the memory.
//! Then: the entry point returns while the work is still running, and cancelling it gives the
//! claim back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use codex_memories::{
    Homes, ManualClock, MemoryStore, ModelClient, ModelRequest, ModelResponse, Phase2Outcome,
    ProviderError, StartupOptions, StateRuntime, start_memories,
};
use pretty_assertions::assert_eq;

#[allow(dead_code)]
#[path = "../examples/host.rs"]
mod host;

#[tokio::test]
async fn a_host_session_start_extracts_consolidates_and_the_next_session_gets_the_memory() {
    let home = tempfile::tempdir().unwrap();
    host::write_session(home.path()).unwrap();

    let run = host::host_session_start(home.path()).await.unwrap();

    let extract = run.report.extract.as_ref().unwrap();
    assert_eq!(
        (extract.claimed, extract.succeeded, extract.failed.len()),
        (1, 1, 0)
    );
    assert_eq!(run.model_requests, 1);
    let phase2 = run.report.phase2.as_ref().unwrap();
    assert!(
        matches!(phase2.outcome, Phase2Outcome::Consolidated { .. }),
        "{:?}",
        phase2.outcome
    );
    let summary = std::fs::read_to_string(
        home.path()
            .join("memories")
            .join(codex_memories::SUMMARY_FILE),
    )
    .unwrap();
    assert_eq!(
        summary,
        "v1\n- Run cargo test -p ledger before committing; the rounding test compares cents.\n"
    );
    // The rollout summary is named by the session's start (its id's time), and the memory
    // folder's baseline commit carries the host's clock, never the wall clock.
    let summaries: Vec<String> = std::fs::read_dir(home.path().join("memories/rollout_summaries"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(
        summaries[0].starts_with("2026-11-20T10-00-00-"),
        "{summaries:?}"
    );
    let instructions = run.next_instructions.unwrap();
    assert!(
        instructions.contains("<memory_summary>\nv1\n- Run cargo test -p ledger before committing"),
        "{instructions}"
    );

    // A second start finds nothing new: no model request, nothing claimed.
    let again = host::host_session_start(home.path()).await.unwrap();
    assert_eq!(again.report.extract.as_ref().unwrap().claimed, 0);
    assert_eq!(again.model_requests, 0);
}

/// A model that answers only when the test lets it.
struct GatedModel {
    asked: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl ModelClient for GatedModel {
    async fn complete(&self, _request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        self.asked.notify_one();
        self.release.notified().await;
        Err(ProviderError::Config(
            "released without an answer".to_string(),
        ))
    }

    fn provider_name(&self) -> &str {
        "gated"
    }

    fn default_model(&self) -> &str {
        "gated"
    }
}

#[tokio::test]
async fn the_entry_point_returns_while_the_work_runs_and_cancelling_gives_the_claim_back() {
    let home = tempfile::tempdir().unwrap();
    host::write_session(home.path()).unwrap();
    let clock = Arc::new(ManualClock::at_unix_seconds(1_795_348_800));
    let state = Arc::new(
        StateRuntime::open_with_clock(Homes::under_codex_home(home.path()), clock)
            .await
            .unwrap(),
    );
    let store = Arc::new(MemoryStore::open(&state).await.unwrap());
    let model = Arc::new(GatedModel {
        asked: tokio::sync::Notify::new(),
        release: tokio::sync::Notify::new(),
    });
    let options = StartupOptions::new(
        Arc::clone(&model) as Arc<dyn ModelClient>,
        Arc::new(host::ListingConsolidator),
        home.path().join("memories"),
    );

    let handle = start_memories(Arc::clone(&state), Arc::clone(&store), options).await;
    // The host's session goes on: the model is asked while the caller is free.
    model.asked.notified().await;
    assert!(!handle.is_finished());
    handle.cancel();
    let report = handle.outcome().await.unwrap();

    assert!(report.interrupted);
    let extract = report.extract.unwrap();
    assert_eq!((extract.claimed, extract.released_on_interrupt), (1, 1));
    assert!(
        report.phase2.is_none(),
        "phase 2 does not start after an interrupt"
    );
    assert!(
        !home
            .path()
            .join("memories")
            .join(codex_memories::SUMMARY_FILE)
            .exists()
    );
}

#[test]
fn docs_embedding_md_shows_each_example_exactly_as_the_tests_run_it() {
    let page = include_str!("../../docs/embedding.md");
    for (file, code) in [
        (
            "memories/examples/host.rs",
            include_str!("../examples/host.rs"),
        ),
        (
            "memories/examples/redact.rs",
            include_str!("../examples/redact.rs"),
        ),
        (
            "state/examples/job_queue.rs",
            include_str!("../../state/examples/job_queue.rs"),
        ),
        (
            "protocol/examples/read_rollout.rs",
            include_str!("../../protocol/examples/read_rollout.rs"),
        ),
    ] {
        assert!(
            page.contains(&format!("```rust\n{code}```")),
            "docs/embedding.md does not show {file} as it is; copy the file into the page"
        );
    }
}
