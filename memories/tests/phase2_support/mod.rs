//! What the phase-2 integration tests share: a fixture of real SQLite files, a memory folder in a
//! temporary home and an injected clock; snapshots of a folder; and a scripted model (a local
//! wiremock server speaking the Responses API) for the agent consolidator. Included with
//! `mod phase2_support;`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test binary uses what it needs

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_memories::provider::{ApiKey, OpenAiClient, ProviderConfig, ProviderKind, RetryPolicy};
use codex_memories::workspace::MemoryWorkspace;
use codex_memories::{AgentConsolidator, Consolidator};
use codex_memories::{Phase2Options, Phase2Outcome, Phase2Report, run_phase2};
use codex_state::test_support::{insert_thread, thread_row};
use codex_state::{
    Clock, Homes, JobKind, ManualClock, MemoryStore, PHASE2_JOB_KEY, Phase2ClaimParams,
    Stage1ClaimOutcome, Stage1ClaimParams, Stage1OutputInput, StateRuntime, ThreadId,
};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[path = "../folder_snapshot/mod.rs"]
mod folder_snapshot;
#[allow(unused_imports)] // not every test binary compares folders
pub use folder_snapshot::{leftovers, snapshot};

#[path = "../mock_model/mod.rs"]
mod mock_model;
#[allow(unused_imports)] // not every test binary reads the bodies back
pub use mock_model::{received_bodies, sse};

/// The fixtures' starting time (unix seconds).
pub const T0: i64 = 1_763_000_000;
/// The lease of every claim in these tests.
pub const LEASE_SECONDS: i64 = 3600;

pub struct Fixture {
    pub dir: tempfile::TempDir,
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

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("memories")
    }

    /// Indexes a thread at version `updated_at` (unix seconds) and stores its stage-1 output.
    pub async fn extracted(&self, id: ThreadId, updated_at: i64, text: &str) {
        insert_thread(&self.runtime, &thread_row(id, updated_at * 1000))
            .await
            .unwrap();
        let claim = match self
            .store
            .claim_stage1(id, "extractor", &Stage1ClaimParams::default())
            .await
            .unwrap()
        {
            Stage1ClaimOutcome::Claimed(claim) => claim,
            other => panic!("expected a stage-1 claim of {id}, got {other:?}"),
        };
        let output = Stage1OutputInput::new(
            format!("raw memory {text}"),
            format!("rollout summary {text}"),
        )
        .with_rollout_slug(Some(text.to_string()));
        assert!(self.store.stage1_succeeded(&claim, &output).await.unwrap());
    }

    pub async fn thread(&self, text: &str) -> ThreadId {
        let id = ThreadId::new();
        self.extracted(id, T0 - 600, text).await;
        id
    }

    pub async fn run(&self, consolidator: &dyn Consolidator) -> Phase2Report {
        run_phase2(
            &self.store,
            &self.root(),
            consolidator,
            &options("worker-1"),
            self.clock.now(),
        )
        .await
        .unwrap()
    }

    pub async fn phase2_job(&self) -> codex_state::JobRow {
        self.store
            .job(JobKind::ConsolidateGlobal, PHASE2_JOB_KEY)
            .await
            .unwrap()
            .expect("the global job exists")
    }

    pub fn baseline(&self) -> String {
        let (workspace, _) = MemoryWorkspace::prepare(&self.root(), chrono::Utc::now()).unwrap();
        workspace.baseline().unwrap().expect("a baseline").commit
    }
}

pub fn options(worker: &str) -> Phase2Options {
    Phase2Options::default()
        .with_worker_id(worker.to_string())
        .with_claim(
            Phase2ClaimParams::default()
                .with_lease_seconds(LEASE_SECONDS)
                .with_cooldown_seconds(0),
        )
        .with_heartbeat(Duration::from_millis(10))
}

/// Commits reachable from HEAD of the workspace at `root`.
pub fn commit_count(root: &Path) -> usize {
    let repo = gix::open_opts(root, gix::open::Options::isolated()).unwrap();
    let head = repo.head_id().unwrap();
    head.ancestors().all().unwrap().count()
}

pub fn outcome_name(outcome: &Phase2Outcome) -> &'static str {
    match outcome {
        Phase2Outcome::SkippedRunning { .. } => "skipped_running",
        Phase2Outcome::SkippedBackoff { .. } => "skipped_backoff",
        Phase2Outcome::SkippedCooldown { .. } => "skipped_cooldown",
        Phase2Outcome::NoChanges => "no_changes",
        Phase2Outcome::Consolidated { .. } => "consolidated",
        Phase2Outcome::Failed { .. } => "failed",
        Phase2Outcome::LostOwnership => "lost_ownership",
        _ => "unknown",
    }
}

// ---------------------------------------------------------------------------------------------
// A scripted model: the Responses API's SSE answers, one per request, in order.

pub fn completed() -> Value {
    json!({ "type": "response.completed", "sequence_number": 99, "response": {
        "id": "resp_1", "status": "completed", "model": "gpt-test",
        "usage": { "input_tokens": 100, "input_tokens_details": { "cached_tokens": 0 },
                   "output_tokens": 10, "output_tokens_details": { "reasoning_tokens": 0 },
                   "total_tokens": 110 } } })
}

/// One turn calling tools: `(call_id, tool, arguments)`.
pub fn tool_turn(calls: &[(&str, &str, Value)]) -> String {
    let mut events: Vec<Value> = calls
        .iter()
        .enumerate()
        .map(|(index, (id, name, arguments))| {
            json!({ "type": "response.output_item.done", "output_index": index,
                    "item": { "id": format!("fc_{id}"), "type": "function_call",
                              "status": "completed", "call_id": id, "name": name,
                              "arguments": arguments.to_string() } })
        })
        .collect();
    events.push(completed());
    sse(&events)
}

/// One turn answering with a message and no tool call.
pub fn final_turn(text: &str) -> String {
    sse(&[
        json!({ "type": "response.output_item.done", "output_index": 0,
                "item": { "id": "msg_1", "type": "message", "status": "completed",
                          "role": "assistant",
                          "content": [{ "type": "output_text", "annotations": [], "text": text }] } }),
        completed(),
    ])
}

/// Answers the n-th request with the n-th scripted body (the last one repeats).
pub struct Script {
    turns: Vec<String>,
    served: AtomicUsize,
}

impl Respond for Script {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let turn = self.served.fetch_add(1, Ordering::SeqCst);
        let body = self.turns[turn.min(self.turns.len() - 1)].clone();
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_raw(body, "text/event-stream")
    }
}

pub async fn scripted_server(turns: Vec<String>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(Script {
            turns,
            served: AtomicUsize::new(0),
        })
        .mount(&server)
        .await;
    server
}

pub fn agent(server: &MockServer) -> AgentConsolidator {
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(format!("{}/v1", server.uri())))
        .with_model(Some("gpt-test".into()));
    let client = OpenAiClient::new(&config, ApiKey::new("sk-test-0123456789abcdef"))
        .unwrap()
        .with_retry_policy(RetryPolicy::fast());
    AgentConsolidator::new(Arc::new(client), None)
}

/// The `function_call_output` items of a request body, as `(call_id, output)`.
pub fn tool_outputs(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| {
            (
                item["call_id"].as_str().unwrap().to_string(),
                item["output"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
