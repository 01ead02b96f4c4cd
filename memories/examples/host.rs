//! An agent host embedding codex-memories: it brings its own model client (here one that
//! answers from a script), its own consolidator and an in-memory clock, starts the memories work
//! at session start on a Codex home, waits for the outcome, and builds the next session's
//! instructions from the memory that was made. Only crate-root names of `codex_memories` are used.
//!
//! `cargo run -p codex-memories --example host` runs it on a temporary Codex home holding one
//! finished session; nothing outside that folder is read or written. `tests/embedding.rs` runs
//! the same code and checks what it returns.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use codex_memories::{
    ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError, ContextRequest, Homes,
    ManualClock, MemoryStore, ModelClient, ModelRequest, ModelResponse, PipelineReport,
    ProviderError, StartupOptions, StateRuntime, session_context, start_memories,
};

/// What the host's model answers to every phase-1 request: one raw memory as JSON.
const SCRIPTED_ANSWER: &str = r#"{"raw_memory":"scope: /home/dev/src/ledger\noutcome: success\n- Run cargo test -p ledger before committing; the rounding test compares cents.","rollout_summary":"Fixed the flaky ledger rounding test by comparing cents.","rollout_slug":"ledger-rounding"}"#;

/// The host's model client: answers every request from a script and counts them.
#[derive(Default)]
pub struct ScriptedModel {
    /// Requests answered.
    pub requests: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl ModelClient for ScriptedModel {
    async fn complete(&self, _request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        self.requests
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(ModelResponse::new(SCRIPTED_ANSWER))
    }

    fn provider_name(&self) -> &str {
        "host"
    }

    fn default_model(&self) -> &str {
        "host-model"
    }
}

/// The host's consolidator: a summary listing each raw memory's lessons, and MEMORY.md with
/// every raw memory in full.
pub struct ListingConsolidator;

#[async_trait::async_trait]
impl Consolidator for ListingConsolidator {
    fn name(&self) -> &str {
        "listing"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        let mut summary = String::from("v1\n");
        let mut memory = String::from("# Memory\n");
        for input in &job.inputs {
            for lesson in input
                .raw_memory
                .lines()
                .filter(|line| line.starts_with("- "))
            {
                summary.push_str(lesson);
                summary.push('\n');
            }
            memory.push_str(&format!("\n## {}\n{}\n", input.thread_id, input.raw_memory));
        }
        let write = |name: &str, text: &str| {
            let path = job.memory_root.join(name);
            std::fs::write(&path, text).map_err(|source| ConsolidatorError::Io { path, source })
        };
        write(codex_memories::SUMMARY_FILE, &summary)?;
        write(codex_memories::MEMORY_FILE, &memory)?;
        Ok(
            ConsolidationReport::new(format!("listed {} raw memories", job.inputs.len()))
                .with_files_changed(vec![
                    codex_memories::MEMORY_FILE.to_string(),
                    codex_memories::SUMMARY_FILE.to_string(),
                ]),
        )
    }
}

/// What one host session start produced.
pub struct HostRun {
    /// What the background work did.
    pub report: PipelineReport,
    /// Requests the host's model answered.
    pub model_requests: usize,
    /// The developer instructions the next session in the ledger project gets.
    pub next_instructions: Option<String>,
}

/// Writes one finished session (a day before the host's clock) into `codex_home/sessions`.
pub fn write_session(codex_home: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    // The UUIDv7 id the agent made when the session started, 2026-11-20T10:00:00Z: phase 2
    // names the session's rollout summary by this time.
    let id: codex_memories::ThreadId = "01a1f866-0d00-7a3c-9d2e-5b8f0c4e1a77".parse()?;
    let day = codex_home.join("sessions/2026/11/20");
    std::fs::create_dir_all(&day)?;
    let path = day.join(format!("rollout-2026-11-20T10-00-00-{id}.jsonl"));
    let lines = [
        format!(
            r#"{{"timestamp":"2026-11-20T10:00:00.000Z","type":"session_meta","payload":{{"id":"{id}","timestamp":"2026-11-20T10:00:00.000Z","cwd":"/home/dev/src/ledger","originator":"codex_cli_rs","cli_version":"0.58.0","source":"cli","model_provider":"openai"}}}}"#
        ),
        r#"{"timestamp":"2026-11-20T10:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"why is the ledger rounding test flaky?","images":[]}}"#.to_string(),
        r#"{"timestamp":"2026-11-20T10:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"why is the ledger rounding test flaky?"}]}}"#.to_string(),
        r#"{"timestamp":"2026-11-20T10:00:02.000Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"bash\",\"-lc\",\"cargo test -p ledger\"]}","call_id":"call_1"}}"#.to_string(),
        r#"{"timestamp":"2026-11-20T10:00:09.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"call_1","output":"test ledger::rounding ... ok"}}"#.to_string(),
        r#"{"timestamp":"2026-11-20T10:00:10.000Z","type":"event_msg","payload":{"type":"agent_message","message":"It compared floats; it compares cents now and passes."}}"#.to_string(),
    ];
    std::fs::write(&path, lines.join("\n") + "\n")?;
    Ok(path)
}

/// One session start of the host on `codex_home`, then the next session's instructions.
pub async fn host_session_start(codex_home: &Path) -> Result<HostRun, Box<dyn std::error::Error>> {
    // The host's clock: a day after the session, so it is idle and eligible.
    let clock = Arc::new(ManualClock::at_unix_seconds(1_795_348_800)); // 2026-11-21T12:00:00Z
    let homes = Homes::under_codex_home(codex_home);
    let state = Arc::new(StateRuntime::open_with_clock(homes, clock).await?);
    let store = Arc::new(MemoryStore::open(&state).await?);
    let model = Arc::new(ScriptedModel::default());
    let memory_root = codex_home.join("memories");

    let options = StartupOptions::new(
        Arc::clone(&model) as Arc<dyn ModelClient>,
        Arc::new(ListingConsolidator),
        &memory_root,
    );
    // Returns at once; the host's session goes on while the work runs in the background.
    let handle = start_memories(Arc::clone(&state), Arc::clone(&store), options).await;
    let report = handle.outcome().await?;

    // The next session, started in the same project, gets the memory in its instructions.
    let context = session_context(
        &store,
        &memory_root,
        &ContextRequest::default()
            .with_cwd(Some(PathBuf::from("/home/dev/src/ledger")))
            .with_query(Some("ledger rounding".to_string())),
    )
    .await?;
    store.close().await;
    state.close().await;
    Ok(HostRun {
        report,
        model_requests: model.requests.load(std::sync::atomic::Ordering::SeqCst),
        next_instructions: context.instructions,
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let home = tempfile::tempdir()?;
    write_session(home.path())?;
    let run = host_session_start(home.path()).await?;
    println!(
        "{} session(s) extracted with {} model request(s); phase 2: {:?}",
        run.report
            .extract
            .as_ref()
            .map_or(0, |extract| extract.succeeded),
        run.model_requests,
        run.report.phase2.as_ref().map(|phase2| &phase2.outcome),
    );
    println!(
        "the next session's instructions:\n{}",
        run.next_instructions.unwrap_or_default()
    );
    Ok(())
}
