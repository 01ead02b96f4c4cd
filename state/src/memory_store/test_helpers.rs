//! Shared fixtures for the memory store's unit tests: a temporary sqlite home with both
//! databases, a manual clock, and threads inserted directly into the state DB.

use std::sync::Arc;

use chrono::Duration;
use tempfile::TempDir;

use super::*;
use crate::test_support::{insert_thread, thread_row};
use crate::{Homes, ManualClock, MemoryMode, ThreadId};

/// The fixtures' starting time (unix seconds).
pub(super) const T0: i64 = 1_763_000_000;

pub(super) struct Fixture {
    pub dir: TempDir,
    pub runtime: StateRuntime,
    pub store: MemoryStore,
    pub clock: Arc<ManualClock>,
}

impl Fixture {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::at_unix_seconds(T0));
        let runtime = StateRuntime::open_with_clock(
            Homes::under_codex_home(dir.path()),
            Arc::clone(&clock) as Arc<dyn Clock>,
        )
        .await
        .unwrap();
        let store = MemoryStore::open(&runtime).await.unwrap();
        Self {
            dir,
            runtime,
            store,
            clock,
        }
    }

    /// Adds an enabled thread whose version (updated_at) is `updated_at` unix seconds.
    pub async fn thread(&self, updated_at: i64) -> ThreadId {
        let id = ThreadId::new();
        self.set_thread(id, updated_at, MemoryMode::Enabled).await;
        id
    }

    /// Inserts or rewrites a thread (as a re-index would).
    pub async fn set_thread(&self, id: ThreadId, updated_at: i64, mode: MemoryMode) {
        let mut row = thread_row(id, updated_at * 1000);
        row.memory_mode = mode;
        insert_thread(&self.runtime, &row).await.unwrap();
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(Duration::seconds(seconds));
    }

    pub fn now(&self) -> i64 {
        self.clock.now_unix_seconds()
    }

    pub async fn claim(&self, thread_id: ThreadId, worker: &str) -> Stage1ClaimOutcome {
        self.store
            .claim_stage1(thread_id, worker, &Stage1ClaimParams::default())
            .await
            .unwrap()
    }

    pub async fn claimed(&self, thread_id: ThreadId, worker: &str) -> Stage1Claim {
        match self.claim(thread_id, worker).await {
            Stage1ClaimOutcome::Claimed(claim) => claim,
            other => panic!("expected a claim of {thread_id}, got {other:?}"),
        }
    }

    /// Claims and succeeds with an output named after `text`.
    pub async fn extract(&self, thread_id: ThreadId, text: &str) {
        let claim = self.claimed(thread_id, "extractor").await;
        assert!(
            self.store
                .stage1_succeeded(&claim, &output(text))
                .await
                .unwrap()
        );
    }

    pub async fn stage1_job(&self, thread_id: ThreadId) -> Option<JobRow> {
        self.store
            .job(JobKind::Stage1, &thread_id.to_string())
            .await
            .unwrap()
    }

    pub async fn phase2_job(&self) -> Option<JobRow> {
        self.store
            .job(JobKind::ConsolidateGlobal, PHASE2_JOB_KEY)
            .await
            .unwrap()
    }
}

pub(super) fn output(text: &str) -> Stage1OutputInput {
    Stage1OutputInput {
        raw_memory: format!("raw {text}"),
        rollout_summary: format!("summary {text}"),
        rollout_slug: Some(text.to_string()),
        producer: None,
    }
}
