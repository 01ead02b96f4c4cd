//! The phase-2 run end to end at library level, on real SQLite files, real git workspaces in
//! temporary folders and an injected clock: an unchanged selection calls no model, a scripted
//! agent (a local wiremock server speaking the Responses API) writes the memory through its
//! tools and stays confined to the memory folder, lost ownership commits nothing, failures are
//! recorded with their step, and success marks exactly the selection it consumed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use codex_memories::workspace::MemoryWorkspace;
use codex_memories::{
    ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError, OfflineConsolidator,
};
use codex_memories::{DIFF_FILE_NAME, MEMORY_FILE, ROLLOUT_SUMMARIES_DIR, SUMMARY_FILE};
use codex_memories::{Phase2Options, Phase2Outcome, run_phase2};
use codex_state::{Clock, JobStatus, ManualClock, MemoryStore, Phase2ClaimOutcome, ThreadId};
use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

mod phase2_support;
use phase2_support::*;

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_selection_succeeds_without_calling_the_model() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.thread("beta").await;
    let first = fixture.run(&OfflineConsolidator).await;
    assert_eq!(outcome_name(&first.outcome), "consolidated");
    let baseline = fixture.baseline();

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let second = fixture.run(&agent(&server)).await;

    assert_eq!(outcome_name(&second.outcome), "no_changes");
    assert_eq!(second.inputs, 2);
    assert_eq!(second.changed_files, Vec::<String>::new());
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    assert_eq!(fixture.baseline(), baseline);
    assert_eq!(fixture.phase2_job().await.status, JobStatus::Done);
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scripted_agent_writes_the_memory_through_its_tools() {
    let fixture = Fixture::new().await;
    let alpha = fixture.thread("alpha").await;
    let beta = fixture.thread("beta").await;
    let memory = "# Memory\n\n- alpha and beta were consolidated by the agent.\n";
    let summary = "v1\n- alpha\n- beta\n";
    let server = scripted_server(vec![
        tool_turn(&[(
            "call_1",
            "read_file",
            json!({ "path": DIFF_FILE_NAME, "start_line": null, "end_line": null }),
        )]),
        tool_turn(&[(
            "call_2",
            "write_file",
            json!({ "path": MEMORY_FILE, "content": memory }),
        )]),
        tool_turn(&[(
            "call_3",
            "write_file",
            json!({ "path": SUMMARY_FILE, "content": summary }),
        )]),
        final_turn("Consolidated two raw memories."),
    ])
    .await;

    let report = fixture.run(&agent(&server)).await;

    let Phase2Outcome::Consolidated {
        report: consolidation,
        baseline,
    } = &report.outcome
    else {
        panic!("expected a consolidation, got {:?}", report.outcome);
    };
    assert_eq!(
        consolidation,
        &ConsolidationReport::new("Consolidated two raw memories.")
            .with_turns(4)
            .with_usage(consolidation.usage)
            .with_files_changed(vec![MEMORY_FILE.to_string(), SUMMARY_FILE.to_string()])
    );
    assert_eq!(consolidation.usage.total_tokens, 4 * 110);
    let root = fixture.root();
    assert_eq!(
        std::fs::read_to_string(root.join(MEMORY_FILE)).unwrap(),
        memory
    );
    assert_eq!(
        std::fs::read_to_string(root.join(SUMMARY_FILE)).unwrap(),
        summary
    );
    assert!(!root.join(DIFF_FILE_NAME).exists());
    let (workspace, _) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    assert!(workspace.diff().unwrap().is_empty());
    assert_eq!(&workspace.baseline().unwrap().unwrap().commit, baseline);
    assert_eq!(commit_count(&root), 1);
    let job = fixture.phase2_job().await;
    assert_eq!(job.status, JobStatus::Done);
    assert_eq!(job.last_error, None);
    for id in [alpha, beta] {
        let row = fixture.store.stage1_output(id).await.unwrap().unwrap();
        assert!(row.selected_for_phase2, "{id} is marked selected");
        assert_eq!(
            row.selected_for_phase2_source_updated_at,
            Some(row.source_updated_at)
        );
    }

    // Every tool result went back to the model with the next request.
    let bodies = received_bodies(&server).await;
    assert_eq!(bodies.len(), 4);
    assert_eq!(tool_outputs(&bodies[0]), vec![]);
    let after_read = tool_outputs(&bodies[1]);
    assert_eq!(after_read.len(), 1);
    assert_eq!(after_read[0].0, "call_1");
    assert!(
        after_read[0].1.contains("raw_memories.md"),
        "the diff lists the synced inputs: {}",
        after_read[0].1
    );
    let last = tool_outputs(&bodies[3]);
    assert_eq!(
        last.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["call_1", "call_2", "call_3"]
    );
    assert_eq!(
        last[1].1,
        format!("wrote {} bytes to MEMORY.md", memory.len())
    );
    assert_eq!(
        last[2].1,
        format!("wrote {} bytes to memory_summary.md", summary.len())
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_agent_cannot_write_outside_the_memory_folder() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    let root = fixture.root();
    let outside = tempfile::tempdir().unwrap();
    let (workspace, _) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("escape")).unwrap();
    let git_config = std::fs::read(root.join(".git/config")).unwrap();
    let absolute = outside.path().join("x");
    let server = scripted_server(vec![
        tool_turn(&[
            (
                "abs",
                "write_file",
                json!({ "path": absolute.to_str().unwrap(), "content": "pwned" }),
            ),
            (
                "parent",
                "write_file",
                json!({ "path": "../x", "content": "pwned" }),
            ),
            (
                "git",
                "write_file",
                json!({ "path": ".git/config", "content": "pwned" }),
            ),
            (
                "link",
                "write_file",
                json!({ "path": "escape/x", "content": "pwned" }),
            ),
        ]),
        tool_turn(&[(
            "summary",
            "write_file",
            json!({ "path": SUMMARY_FILE, "content": "v1\n- alpha was consolidated\n" }),
        )]),
        final_turn("Done."),
    ])
    .await;

    let report = fixture.run(&agent(&server)).await;

    assert_eq!(outcome_name(&report.outcome), "consolidated");
    let bodies = received_bodies(&server).await;
    let refused = tool_outputs(&bodies[1]);
    assert_eq!(
        refused
            .iter()
            .map(|(id, _)| id.as_str())
            .collect::<Vec<_>>(),
        vec!["abs", "parent", "git", "link"]
    );
    for (id, output) in &refused {
        assert!(output.starts_with("error:"), "{id} was refused: {output}");
    }
    assert!(!absolute.exists());
    assert!(!fixture.dir.path().join("x").exists());
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert_eq!(std::fs::read(root.join(".git/config")).unwrap(), git_config);
    // The repository still opens as a usable baseline, now with the run's one commit.
    assert!(workspace.diff().unwrap().is_empty());
    assert_eq!(commit_count(&root), 1);
}

/// A consolidator that lets another worker take the job over, then either returns at once or
/// waits to be cancelled by the heartbeat.
struct Usurped {
    store: MemoryStore,
    clock: Arc<ManualClock>,
    wait_for_cancel: bool,
    dropped: Arc<AtomicBool>,
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[async_trait::async_trait]
impl Consolidator for Usurped {
    fn name(&self) -> &str {
        "usurped"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        let _flag = DropFlag(Arc::clone(&self.dropped));
        std::fs::write(job.memory_root.join(MEMORY_FILE), "uncommitted\n").unwrap();
        self.clock
            .advance(chrono::Duration::seconds(LEASE_SECONDS + 1));
        let taken = self
            .store
            .claim_phase2("thief", &options("thief").claim)
            .await
            .unwrap();
        assert!(matches!(taken, Phase2ClaimOutcome::Claimed(_)), "{taken:?}");
        if self.wait_for_cancel {
            // Only the heartbeat's renewal (every 10 ms) can end this run.
            std::future::pending::<()>().await;
        }
        Ok(ConsolidationReport::default())
    }
}

async fn lost_ownership_commits_nothing(wait_for_cancel: bool) {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    let before = fixture.baseline();
    let folder_before = snapshot(&fixture.root());
    let dropped = Arc::new(AtomicBool::new(false));
    let consolidator = Usurped {
        store: fixture.store.clone(),
        clock: Arc::clone(&fixture.clock),
        wait_for_cancel,
        dropped: Arc::clone(&dropped),
    };

    let report = tokio::time::timeout(Duration::from_secs(120), fixture.run(&consolidator))
        .await
        .expect("the heartbeat cancels a consolidation that lost its job");

    assert_eq!(outcome_name(&report.outcome), "lost_ownership");
    assert!(dropped.load(Ordering::SeqCst));
    let job = fixture.phase2_job().await;
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.worker_id.as_deref(), Some("thief"));
    // The unfinished edit was made in the staging copy, which is gone: the live folder (its
    // repository included) is byte for byte what it was.
    assert_eq!(snapshot(&fixture.root()), folder_before);
    assert_eq!(leftovers(&fixture.root()), Vec::<String>::new());
    assert_eq!(fixture.baseline(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn ownership_lost_before_the_consolidator_returns_resets_no_baseline() {
    lost_ownership_commits_nothing(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_heartbeat_cancels_a_consolidator_whose_job_was_taken_over() {
    lost_ownership_commits_nothing(true).await;
}

struct Failing;

#[async_trait::async_trait]
impl Consolidator for Failing {
    fn name(&self) -> &str {
        "failing"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        assert!(job.memory_root.join(DIFF_FILE_NAME).is_file());
        Err(ConsolidatorError::TurnLimit(3))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_consolidator_leaves_the_job_in_backoff_with_its_step() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    // A consolidated folder, then a second input for the failing run to work on.
    fixture.run(&OfflineConsolidator).await;
    fixture.thread("beta").await;
    let before = fixture.baseline();
    let folder_before = snapshot(&fixture.root());

    let report = fixture.run(&Failing).await;

    let Phase2Outcome::Failed { reason } = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome);
    };
    assert_eq!(
        reason,
        "failed_agent: the consolidation agent did not finish within 3 turns"
    );
    let job = fixture.phase2_job().await;
    assert_eq!(job.status, JobStatus::Error);
    assert_eq!(job.last_error.as_deref(), Some(reason.as_str()));
    let delay = Phase2Options::default().retry_delay_seconds;
    assert_eq!(job.retry_at, Some(T0 + delay));
    assert!(!fixture.root().join(DIFF_FILE_NAME).exists());
    assert_eq!(snapshot(&fixture.root()), folder_before);
    assert_eq!(leftovers(&fixture.root()), Vec::<String>::new());
    assert_eq!(fixture.baseline(), before);

    // The next run waits out the backoff.
    let again = fixture.run(&OfflineConsolidator).await;
    assert_eq!(outcome_name(&again.outcome), "skipped_backoff");
}

/// A consolidator during whose run a thread is re-extracted at a newer version.
struct Refreshing {
    fixture: Arc<Fixture>,
    refreshed: ThreadId,
    seen: Mutex<Vec<ThreadId>>,
}

#[async_trait::async_trait]
impl Consolidator for Refreshing {
    fn name(&self) -> &str {
        "refreshing"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        *self.seen.lock().unwrap() = job.inputs.iter().map(|input| input.thread_id).collect();
        self.fixture
            .extracted(self.refreshed, T0 - 60, "beta-refreshed")
            .await;
        OfflineConsolidator.consolidate(job).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn success_marks_the_consumed_snapshot_but_not_a_row_refreshed_mid_run() {
    let fixture = Arc::new(Fixture::new().await);
    let alpha = fixture.thread("alpha").await;
    let beta = fixture.thread("beta").await;
    let consolidator = Refreshing {
        fixture: Arc::clone(&fixture),
        refreshed: beta,
        seen: Mutex::new(Vec::new()),
    };

    let report = fixture.run(&consolidator).await;

    assert_eq!(outcome_name(&report.outcome), "consolidated");
    let mut expected_seen = vec![alpha, beta];
    expected_seen.sort();
    assert_eq!(*consolidator.seen.lock().unwrap(), expected_seen);
    let alpha_row = fixture.store.stage1_output(alpha).await.unwrap().unwrap();
    assert!(alpha_row.selected_for_phase2);
    assert_eq!(
        alpha_row.selected_for_phase2_source_updated_at,
        Some(T0 - 600)
    );
    let beta_row = fixture.store.stage1_output(beta).await.unwrap().unwrap();
    assert_eq!(beta_row.source_updated_at, T0 - 60);
    assert!(!beta_row.selected_for_phase2);
    assert_eq!(beta_row.selected_for_phase2_source_updated_at, None);

    // The refreshed version changes the inputs, so the next run has work to do.
    let next = fixture.run(&OfflineConsolidator).await;
    assert_eq!(outcome_name(&next.outcome), "consolidated");
    let beta_row = fixture.store.stage1_output(beta).await.unwrap().unwrap();
    assert!(beta_row.selected_for_phase2);
    assert_eq!(
        beta_row.selected_for_phase2_source_updated_at,
        Some(T0 - 60)
    );
}

/// A consolidator that writes to the memories DB many times while the heartbeat ticks.
struct StoreWriter {
    store: MemoryStore,
}

#[async_trait::async_trait]
impl Consolidator for StoreWriter {
    fn name(&self) -> &str {
        "store-writer"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        for _ in 0..200 {
            self.store.enqueue_phase2().await.unwrap();
        }
        OfflineConsolidator.consolidate(job).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consolidator_writing_to_the_store_does_not_deadlock_with_its_heartbeat() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    let consolidator = StoreWriter {
        store: fixture.store.clone(),
    };
    let mut options = options("worker-1");
    // A renewal at nearly every write: each one finds the write gate held by the consolidator.
    options.heartbeat = Duration::from_millis(1);

    let root = fixture.root();
    let run = run_phase2(
        &fixture.store,
        &root,
        &consolidator,
        &options,
        fixture.clock.now(),
    );
    let report = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the heartbeat never stops the consolidator from finishing")
        .unwrap();

    assert_eq!(outcome_name(&report.outcome), "consolidated");
    // Its enqueues came while it ran, so the job is left pending for the next run.
    assert_eq!(fixture.phase2_job().await.status, JobStatus::Pending);
}

/// A UUIDv7 thread id made at `unix_millis`, as the agent that started the session made it.
fn v7_thread_id_at(unix_millis: i64) -> ThreadId {
    format!(
        "{:08x}-{:04x}-7000-8000-000000000001",
        unix_millis >> 16,
        unix_millis & 0xffff
    )
    .parse()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn phase2_commits_at_the_injected_clock_and_names_summaries_by_the_session_time() {
    // The clock stands at T0 (2025-11-13T02:13:20Z); the session started a day before.
    let fixture = Fixture::new().await;
    let id = v7_thread_id_at((T0 - 86_400) * 1000);
    fixture.extracted(id, T0 - 600, "ledger").await;

    let report = fixture.run(&OfflineConsolidator).await;

    assert_eq!(outcome_name(&report.outcome), "consolidated");
    let root = fixture.root();
    let summaries: Vec<String> = std::fs::read_dir(root.join(ROLLOUT_SUMMARIES_DIR))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(
        summaries[0].starts_with("2025-11-12T02-13-20-") && summaries[0].ends_with("-ledger.md"),
        "the summary is named by the session's start: {summaries:?}"
    );
    let workspace = MemoryWorkspace::open_existing(&root).unwrap();
    assert_eq!(
        workspace.baseline().unwrap().unwrap().time_unix_seconds,
        T0,
        "the baseline commit is made at the injected clock's time, not the wall clock's"
    );
}
