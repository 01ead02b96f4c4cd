//! The entry point a host calls when a session starts: [`start_memories`] runs the eligible
//! phase-1 and phase-2 work (index → prune → extract → consolidate, see [`crate::pipeline`]) in
//! the background under the host's own [`ModelClient`], [`Consolidator`] and clock (the one its
//! [`StateRuntime`] was opened with), within one [`RunBudget`], and returns at once with a
//! [`StartupHandle`]. The host's session never waits on it: the handle is awaited (or dropped)
//! whenever the host likes, and cancelling it gives unfinished claims back so the next start takes
//! them up. The CLI's `run` goes through the same function.

use std::path::PathBuf;
use std::sync::Arc;

use codex_state::{MemoryStore, StateError, StateRuntime};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::budget::RunBudget;
use crate::consolidator::Consolidator;
use crate::pipeline::{PipelineOptions, PipelineProgress, PipelineReport, run_pipeline};
use crate::provider::ModelClient;

/// Called with the progress of a startup run, from the background task.
pub type StartupProgress = Arc<dyn Fn(PipelineProgress) + Send + Sync>;

/// What a startup run works with: the host's seams and where the memory folder is. Build it with
/// [`StartupOptions::new`] and change the public fields you need.
#[non_exhaustive]
pub struct StartupOptions {
    /// Phase 1's model client (the host's own, or one from [`crate::provider`]).
    pub model_client: Arc<dyn ModelClient>,
    /// Phase 2's consolidator (the host's own, or one of ours such as [`crate::AgentConsolidator`]).
    pub consolidator: Arc<dyn Consolidator>,
    /// The memory folder (`<codex_home>/memories` by default, see [`crate::resolve_memory_root`]).
    pub memory_root: PathBuf,
    /// The budget both phases spend from; when phase 1 uses it up, phase 2 waits for the next
    /// start. Unlimited by default.
    pub budget: Arc<RunBudget>,
    /// What the run does (index first or not, claim limits, phase-2 settings) and its
    /// cancellation token.
    pub pipeline: PipelineOptions,
    /// Told how the run progresses; nothing by default.
    pub progress: Option<StartupProgress>,
}

impl StartupOptions {
    /// A run with the default [`PipelineOptions`] and an unlimited budget.
    pub fn new(
        model_client: Arc<dyn ModelClient>,
        consolidator: Arc<dyn Consolidator>,
        memory_root: impl Into<PathBuf>,
    ) -> Self {
        Self {
            model_client,
            consolidator,
            memory_root: memory_root.into(),
            budget: Arc::new(RunBudget::new(None, None)),
            pipeline: PipelineOptions::default(),
            progress: None,
        }
    }
}

/// Why a startup run produced no report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// A database step failed (the error names the file and what was being done).
    #[error(transparent)]
    State(#[from] StateError),
    /// The background task panicked or its runtime shut down before it finished; what it had
    /// claimed is given back when the leases run out.
    #[error("the memories startup task did not finish: {0}")]
    Task(String),
}

/// The running (or finished) background work of one [`start_memories`] call.
#[derive(Debug)]
pub struct StartupHandle {
    task: JoinHandle<Result<PipelineReport, StateError>>,
    cancel: CancellationToken,
}

impl StartupHandle {
    /// Asks the run to stop: extraction stops claiming and gives its unfinished claims back, a
    /// consolidation in progress is dropped (the memory folder is left as it was). Await
    /// [`StartupHandle::outcome`] to know when it has stopped.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Whether the background work has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// Waits for the run to end and returns what it did.
    pub async fn outcome(self) -> Result<PipelineReport, StartupError> {
        match self.task.await {
            Ok(report) => Ok(report?),
            Err(error) => Err(StartupError::Task(error.to_string())),
        }
    }
}

/// Starts the memories work of a session start in the background on the current Tokio runtime
/// and returns at once: it does no I/O on the caller's task. Time comes from the clock `state`
/// was opened with ([`StateRuntime::open_with_clock`]); `store` is the memories DB opened on
/// it ([`MemoryStore::open`]). Cancelling `options.pipeline.cancel` (or
/// [`StartupHandle::cancel`]) interrupts it.
///
/// Writes: the thread index and the memories DB under the sqlite home, and the memory folder
/// at `options.memory_root` (phase 2 only, through a staging copy swapped in whole). It reads
/// the Codex home's sessions and never writes them.
pub async fn start_memories(
    state: Arc<StateRuntime>,
    store: Arc<MemoryStore>,
    options: StartupOptions,
) -> StartupHandle {
    let cancel = options.pipeline.cancel.clone();
    let task = tokio::spawn(async move {
        let progress = options.progress.clone();
        run_pipeline(
            &state,
            &store,
            options.model_client,
            options.consolidator.as_ref(),
            options.budget,
            &options.memory_root,
            &options.pipeline,
            &|step| {
                if let Some(progress) = &progress {
                    progress(step);
                }
            },
        )
        .await
    });
    StartupHandle { task, cancel }
}
