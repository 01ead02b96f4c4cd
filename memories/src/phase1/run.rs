//! The extraction run: claim finished sessions through the job store in batches as work frees
//! up, build each one's request (a session where the user asked for nothing is no output, with
//! no model call), call the model with bounded concurrency under the run budget, read the answer
//! strictly then leniently, pass it through the quality gate, redact it again, and store it — or
//! record a failure a person can read, with backoff. Claims the budget stops before reaching are released, not
//! failed, and the run claims nothing after that. One task's database error fails that task
//! only. Cancelling the run (Ctrl-C) stops the requests in flight and gives every unfinished
//! claim back, so the next run takes those sessions at once.
//! A run-level failure (a setting, an unreachable server, a missing endpoint, a refused key, an
//! unsupported format: see `ProviderError::run_level_hint`) stops the run after its first
//! occurrence: that session's claim and every later one are released, so no session is charged
//! a retry.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use codex_state::{
    MemoryStore, STAGE1_RETRY_DELAY_SECONDS, Stage1Claim, Stage1OutputInput, Stage1Producer,
    StartupScanParams, StartupSkips, StateError, ThreadId, new_worker_id,
};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::budget::{RunBudget, estimate_request_tokens};
use crate::phase1::input::build_session_input;
use crate::phase1::output::{ParsedAnswer, parse_answer};
use crate::phase1::quality::{self, Verdict};
use crate::provider::{ModelClient, ProviderError, Usage};
use crate::redact::redact;

/// Model requests in flight at once by default.
pub const DEFAULT_EXTRACTION_CONCURRENCY: usize = 8;
/// Claims held per request slot: while `concurrency` requests are in flight, as many more
/// claimed sessions are being read and rendered, ready to go out next.
const CLAIMS_IN_HAND_PER_REQUEST: usize = 2;

/// How one extraction run behaves. Start from [`ExtractOptions::default`] and change what you
/// need with the `with_*` setters (more settings may come).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExtractOptions {
    /// Which threads to claim and how many.
    pub scan: StartupScanParams,
    /// Model requests in flight at once (as many more sessions are prepared meanwhile).
    pub concurrency: usize,
    /// The model; `None` uses the client's default.
    pub model: Option<String>,
    /// The claimer's id, recorded on each job; unique to the run by default
    /// ([`new_worker_id`]).
    pub worker_id: String,
    /// Retry delay after a failure, in seconds.
    pub retry_delay_seconds: i64,
    /// Cancelled to interrupt the run: no more claims, the requests in flight are dropped and
    /// every unfinished claim is given back (see [`ExtractReport::interrupted`]).
    pub cancel: CancellationToken,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            scan: StartupScanParams::default(),
            concurrency: DEFAULT_EXTRACTION_CONCURRENCY,
            model: None,
            worker_id: new_worker_id(),
            retry_delay_seconds: STAGE1_RETRY_DELAY_SECONDS,
            cancel: CancellationToken::new(),
        }
    }
}

impl ExtractOptions {
    /// Claiming what `scan` says.
    pub fn with_scan(mut self, scan: StartupScanParams) -> Self {
        self.scan = scan;
        self
    }

    /// With `concurrency` model requests in flight at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Asking `model` (`None`: the client's default).
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model = model;
        self
    }

    /// Claiming as `worker_id`.
    pub fn with_worker_id(mut self, worker_id: String) -> Self {
        self.worker_id = worker_id;
        self
    }

    /// Retrying a failed thread after `retry_delay_seconds`.
    pub fn with_retry_delay_seconds(mut self, retry_delay_seconds: i64) -> Self {
        self.retry_delay_seconds = retry_delay_seconds;
        self
    }

    /// Interrupted when `cancel` is cancelled.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }
}

/// How one thread's extraction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ThreadOutcome {
    /// A memory was stored.
    Succeeded,
    /// The session had nothing worth remembering.
    NoOutput,
    /// The extraction failed; retried after a backoff.
    Failed {
        /// Why, for people.
        reason: String,
    },
    /// The budget ran out before this thread was attempted; its claim was released.
    NotAttempted,
    /// The run stopped on a run-level failure before (or while) this thread was attempted; its
    /// claim was released with its retries intact.
    Released,
    /// Another worker took the job over (lease expired); nothing was stored.
    LostOwnership,
    /// The run was interrupted before this thread finished; its claim was given back.
    Interrupted,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ExtractProgress {
    /// More threads were claimed (the run claims in batches as work frees up).
    Claimed {
        /// Threads claimed so far in this run.
        total: usize,
    },
    /// One thread finished.
    Finished {
        /// The thread.
        thread_id: ThreadId,
        /// How it ended.
        outcome: ThreadOutcome,
    },
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct ExtractReport {
    /// Threads claimed.
    pub claimed: usize,
    /// Memories stored.
    pub succeeded: usize,
    /// Sessions with nothing worth remembering.
    pub no_output: usize,
    /// Failures, with reasons.
    pub failed: Vec<FailedThread>,
    /// Claims released because the budget ran out.
    pub not_attempted: usize,
    /// Jobs taken over by another worker mid-run.
    pub lost_ownership: usize,
    /// Whether the run was interrupted (cancelled); its unfinished claims were given back.
    pub interrupted: bool,
    /// Claims given back because the run was interrupted before they finished.
    pub released_on_interrupt: usize,
    /// Why threads were not claimed.
    pub skipped: StartupSkips,
    /// Eligible threads examined by the scan.
    pub examined: u64,
    /// Set when the run stopped on its budget, with the limit hit.
    pub budget_stopped: Option<String>,
    /// Set when the run stopped on a failure every request would share.
    pub stopped: Option<RunStop>,
    /// Claims released because the run stopped on such a failure.
    pub released: usize,
    /// Tokens used by this run's extraction requests.
    pub usage: Usage,
    /// Outcome per thread.
    pub outcomes: BTreeMap<String, ThreadOutcome>,
}

/// Why a run stopped early: the first run-level failure and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStop {
    /// The failure, with its cause.
    pub reason: String,
    /// What to do.
    pub hint: String,
}

/// A failed thread and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedThread {
    /// The thread.
    pub thread_id: ThreadId,
    /// Why.
    pub reason: String,
}

/// Claims eligible threads and extracts a memory from each. The run reserves from `budget`
/// itself, so `client` must not be a `BudgetedClient` over the same budget.
pub async fn run_extraction(
    store: &MemoryStore,
    client: Arc<dyn ModelClient>,
    budget: Arc<RunBudget>,
    options: &ExtractOptions,
    progress: &(dyn Fn(ExtractProgress) + Send + Sync),
) -> Result<ExtractReport, StateError> {
    let mut scan_params = options.scan.clone();
    if let Some(remaining) = budget.remaining_requests() {
        scan_params.max_claims = scan_params
            .max_claims
            .min(u32::try_from(remaining).unwrap_or(u32::MAX));
    }
    // The budget, not the config, decided how many threads this run may claim.
    let claims_capped_by_budget = scan_params.max_claims < options.scan.max_claims;
    let mut report = ExtractReport::default();
    if scan_params.max_claims == 0 {
        report.budget_stopped = Some("max_requests_per_run reached before extraction".to_string());
        return Ok(report);
    }
    let mut scan = store.start_stage1_scan(&scan_params).await?;
    let concurrency = options.concurrency.max(1);
    let claims_in_hand = concurrency * CLAIMS_IN_HAND_PER_REQUEST;
    let request_slots = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    // The claim each task works on, so a task that crashed or was cancelled can be finished.
    let mut in_flight: HashMap<tokio::task::Id, Stage1Claim> = HashMap::new();
    let mut stop_claiming = false;
    let mut claim_error = None;
    let cancel = &options.cancel;
    let run_stop = Arc::new(std::sync::OnceLock::new());
    loop {
        // Claim in batches while work runs, topping the claims in hand back up once half of
        // them are done: leases start when the work is near, and the first request goes out
        // after one small batch rather than after claiming the whole run.
        if !stop_claiming
            && !cancel.is_cancelled()
            && !scan.is_finished()
            && tasks.len() <= concurrency
        {
            let want = u32::try_from(claims_in_hand - tasks.len()).unwrap_or(u32::MAX);
            match store
                .claim_stage1_batch(&mut scan, &options.worker_id, want)
                .await
            {
                Ok(claims) => {
                    if !claims.is_empty() {
                        report.claimed += claims.len();
                        progress(ExtractProgress::Claimed {
                            total: report.claimed,
                        });
                    }
                    for claim in claims {
                        let job = ExtractJob {
                            store: store.clone(),
                            client: Arc::clone(&client),
                            budget: Arc::clone(&budget),
                            request_slots: Arc::clone(&request_slots),
                            model: options.model.clone(),
                            retry_delay: options.retry_delay_seconds,
                            run_stop: Arc::clone(&run_stop),
                        };
                        let span = tracing::info_span!("stage1", thread_id = %claim.thread_id, phase = "extract");
                        let task_claim = claim.clone();
                        let handle =
                            tasks.spawn(async move { job.run(&task_claim).await }.instrument(span));
                        in_flight.insert(handle.id(), claim);
                    }
                }
                // The sessions already claimed are still extracted and recorded; the error is
                // returned once they are.
                Err(error) => {
                    tracing::error!(%error, "claiming more sessions failed; finishing those in hand");
                    claim_error = Some(error);
                    stop_claiming = true;
                }
            }
        }
        let joined = tokio::select! {
            biased;
            () = cancel.cancelled() => break,
            joined = tasks.join_next_with_id() => joined,
        };
        let Some(joined) = joined else {
            break;
        };
        let Some((thread_id, outcome, usage)) =
            finished_task(store, &mut in_flight, joined, options.retry_delay_seconds).await
        else {
            continue;
        };
        if outcome == ThreadOutcome::NotAttempted
            || budget.is_exhausted()
            || run_stop.get().is_some()
        {
            stop_claiming = true;
        }
        report.record(thread_id, outcome, usage, progress);
    }
    if cancel.is_cancelled() {
        interrupt(
            store,
            &mut tasks,
            &mut in_flight,
            &mut report,
            options,
            progress,
        )
        .await;
    }
    if let Some(error) = claim_error {
        return Err(error);
    }
    report.stopped = run_stop.get().cloned();
    report.skipped = scan.skipped();
    report.examined = scan.examined();
    report.failed.sort_by_key(|failed| failed.thread_id);
    let claimed_up_to_budget =
        claims_capped_by_budget && report.claimed >= scan_params.max_claims as usize;
    if report.not_attempted > 0 || budget.is_exhausted() || claimed_up_to_budget {
        report.budget_stopped = Some(budget_reason(&budget));
    }
    tracing::info!(
        claimed = report.claimed,
        examined = report.examined,
        succeeded = report.succeeded,
        no_output = report.no_output,
        failed = report.failed.len(),
        not_attempted = report.not_attempted,
        interrupted = report.interrupted,
        released = report.released_on_interrupt,
        input_tokens = report.usage.input_tokens,
        "extraction finished"
    );
    Ok(report)
}

impl ExtractReport {
    /// Counts one finished thread and reports it to `progress`.
    fn record(
        &mut self,
        thread_id: ThreadId,
        outcome: ThreadOutcome,
        usage: Option<Usage>,
        progress: &(dyn Fn(ExtractProgress) + Send + Sync),
    ) {
        if let Some(usage) = usage {
            self.usage.add(usage);
        }
        match &outcome {
            ThreadOutcome::Succeeded => self.succeeded += 1,
            ThreadOutcome::NoOutput => self.no_output += 1,
            ThreadOutcome::Failed { reason } => self.failed.push(FailedThread {
                thread_id,
                reason: reason.clone(),
            }),
            ThreadOutcome::NotAttempted => self.not_attempted += 1,
            ThreadOutcome::Released => self.released += 1,
            ThreadOutcome::LostOwnership => self.lost_ownership += 1,
            ThreadOutcome::Interrupted => self.released_on_interrupt += 1,
        }
        self.outcomes.insert(thread_id.to_string(), outcome.clone());
        progress(ExtractProgress::Finished { thread_id, outcome });
    }
}

/// What one task's end means for its thread: its own outcome, or — when it returned a database
/// error or crashed — a failure recorded (as far as the database allows) for that thread alone.
/// `None` only for a task the run has no claim for (never spawned by it).
async fn finished_task(
    store: &MemoryStore,
    in_flight: &mut HashMap<tokio::task::Id, Stage1Claim>,
    joined: Result<(tokio::task::Id, TaskResult), JoinError>,
    retry_delay: i64,
) -> Option<(ThreadId, ThreadOutcome, Option<Usage>)> {
    let (id, failure) = match joined {
        Ok((id, Ok((outcome, usage)))) => {
            let claim = in_flight.remove(&id)?;
            return Some((claim.thread_id, outcome, usage));
        }
        Ok((id, Err(error))) => (
            id,
            format!("the memories database could not record this session: {error}"),
        ),
        Err(error) => (error.id(), format!("the extraction crashed: {error}")),
    };
    let claim = in_flight.remove(&id)?;
    tracing::error!(thread_id = %claim.thread_id, reason = %failure, "stage-1 extraction failed");
    // Best effort: the database that just failed may fail again; then the claim stays until its
    // lease expires, and the next run takes it over.
    let outcome = match store.stage1_failed(&claim, &failure, retry_delay).await {
        Ok(false) => ThreadOutcome::LostOwnership,
        Ok(true) => ThreadOutcome::Failed { reason: failure },
        Err(error) => {
            tracing::warn!(thread_id = %claim.thread_id, %error, "could not record the failure");
            ThreadOutcome::Failed { reason: failure }
        }
    };
    Some((claim.thread_id, outcome, None))
}

/// Stops the run: drops the requests in flight, records the tasks that finished before they
/// could be stopped, and gives every other claim back (`pending`, retries untouched).
async fn interrupt(
    store: &MemoryStore,
    tasks: &mut JoinSet<TaskResult>,
    in_flight: &mut HashMap<tokio::task::Id, Stage1Claim>,
    report: &mut ExtractReport,
    options: &ExtractOptions,
    progress: &(dyn Fn(ExtractProgress) + Send + Sync),
) {
    report.interrupted = true;
    tasks.abort_all();
    while let Some(joined) = tasks.join_next_with_id().await {
        // A task that finished before the abort reached it keeps its outcome; a cancelled one
        // keeps its claim in `in_flight`, given back below.
        if matches!(&joined, Err(error) if error.is_cancelled()) {
            continue;
        }
        if let Some((thread_id, outcome, usage)) =
            finished_task(store, in_flight, joined, options.retry_delay_seconds).await
        {
            report.record(thread_id, outcome, usage, progress);
        }
    }
    for (_, claim) in in_flight.drain() {
        let outcome = match store.release_stage1(&claim).await {
            Ok(true) => ThreadOutcome::Interrupted,
            Ok(false) => ThreadOutcome::LostOwnership,
            Err(error) => {
                tracing::warn!(thread_id = %claim.thread_id, %error, "could not give the claim back; it expires with its lease");
                ThreadOutcome::Failed {
                    reason: format!("interrupted, and the claim could not be given back: {error}"),
                }
            }
        };
        report.record(claim.thread_id, outcome, None, progress);
    }
    tracing::info!(
        released = report.released_on_interrupt,
        "extraction interrupted; unfinished claims given back"
    );
}

/// What an extraction task returns: its thread's outcome, or the database error that stopped it.
type TaskResult = Result<(ThreadOutcome, Option<Usage>), StateError>;

fn budget_reason(budget: &RunBudget) -> String {
    format!(
        "the run budget was reached after {} request(s)",
        budget.requests()
    )
}

/// What one extraction task shares with the run.
struct ExtractJob {
    store: MemoryStore,
    client: Arc<dyn ModelClient>,
    budget: Arc<RunBudget>,
    /// One permit per model request in flight.
    request_slots: Arc<Semaphore>,
    model: Option<String>,
    retry_delay: i64,
    /// Set by the first run-level failure; every later request is not sent.
    run_stop: Arc<std::sync::OnceLock<RunStop>>,
}

impl ExtractJob {
    /// Extracts one claimed thread and records the result in the store. Only the model request
    /// holds a request slot: the input is built before, and the answer stored after, so the
    /// slots stay busy with requests while other claims are read and finished.
    async fn run(self, claim: &Stage1Claim) -> Result<(ThreadOutcome, Option<Usage>), StateError> {
        let Self {
            store,
            client,
            budget,
            request_slots,
            model,
            retry_delay,
            run_stop,
        } = self;
        let producer = Stage1Producer::new(
            client.provider_name(),
            model.as_deref().unwrap_or(client.default_model()),
        );
        let path = claim.rollout_path.clone();
        let agent = claim.agent;
        let context_window = client.context_window();
        let built = tokio::task::spawn_blocking(move || {
            build_session_input(&path, agent, context_window, model, &|text: &str| {
                redact(text).text
            })
        })
        .await;
        let input = match built {
            Ok(Ok(input)) => input,
            Ok(Err(error)) => {
                let reason = format!("cannot read the rollout: {error}");
                return fail(&store, claim, reason, retry_delay, None).await;
            }
            Err(error) => {
                let reason = format!("reading the rollout crashed: {error}");
                return fail(&store, claim, reason, retry_delay, None).await;
            }
        };
        if !input.substantive_request {
            tracing::info!("no substantive user request: no output, no model call");
            return no_output(&store, claim, &producer, None).await;
        }
        let estimate = estimate_request_tokens(&input.request);
        let slot = request_slots.acquire_owned().await;
        if run_stop.get().is_some() {
            drop(slot);
            store.release_stage1(claim).await?;
            return Ok((ThreadOutcome::Released, None));
        }
        if budget.reserve(estimate).is_err() {
            drop(slot);
            store.release_stage1(claim).await?;
            return Ok((ThreadOutcome::NotAttempted, None));
        }
        let answered = client.complete(&input.request).await;
        let response = match answered {
            Ok(response) => {
                budget.settle(estimate, response.usage);
                drop(slot);
                response
            }
            Err(ProviderError::BudgetExhausted(_)) => {
                drop(slot);
                store.release_stage1(claim).await?;
                return Ok((ThreadOutcome::NotAttempted, None));
            }
            Err(error) => {
                budget.settle(estimate, None);
                drop(slot);
                if let Some(hint) = error.run_level_hint() {
                    let reason = redact(&format!("model request failed: {error}")).text;
                    if run_stop
                        .set(RunStop {
                            reason: reason.clone(),
                            hint,
                        })
                        .is_ok()
                    {
                        tracing::error!(thread_id = %claim.thread_id, "the run stops: {reason}");
                    }
                    store.release_stage1(claim).await?;
                    return Ok((ThreadOutcome::Released, None));
                }
                let reason = format!("model request failed: {error}");
                return fail(&store, claim, reason, retry_delay, None).await;
            }
        };
        let usage = response.usage.or(Some(Usage {
            input_tokens: estimate,
            ..Usage::default()
        }));
        let memory = match parse_answer(&response.text) {
            Ok(ParsedAnswer::Memory(memory)) => memory,
            Ok(ParsedAnswer::NoOutput) => return no_output(&store, claim, &producer, usage).await,
            Err(error) => return fail(&store, claim, error.to_string(), retry_delay, usage).await,
        };
        // The quality gate: junk is a failure (never stored), "nothing worth keeping" no output.
        match quality::check(&memory) {
            Ok(Verdict::Memory) => {}
            Ok(Verdict::NoSignal) => return no_output(&store, claim, &producer, usage).await,
            Err(error) => return fail(&store, claim, error.to_string(), retry_delay, usage).await,
        }
        let output = Stage1OutputInput::new(
            redact(&memory.raw_memory).text,
            redact(&memory.rollout_summary).text,
        )
        .with_rollout_slug(memory.rollout_slug.map(|slug| redact(&slug).text))
        .with_producer(Some(producer));
        if store.stage1_succeeded(claim, &output).await? {
            Ok((ThreadOutcome::Succeeded, usage))
        } else {
            Ok((ThreadOutcome::LostOwnership, usage))
        }
    }
}

/// Records that the session has nothing worth remembering (any older memory of it goes).
async fn no_output(
    store: &MemoryStore,
    claim: &Stage1Claim,
    producer: &Stage1Producer,
    usage: Option<Usage>,
) -> Result<(ThreadOutcome, Option<Usage>), StateError> {
    if store
        .stage1_succeeded_no_output(claim, Some(producer))
        .await?
    {
        Ok((ThreadOutcome::NoOutput, usage))
    } else {
        Ok((ThreadOutcome::LostOwnership, usage))
    }
}

async fn fail(
    store: &MemoryStore,
    claim: &Stage1Claim,
    reason: String,
    retry_delay: i64,
    usage: Option<Usage>,
) -> Result<(ThreadOutcome, Option<Usage>), StateError> {
    // A server's error body may quote the request: the reason is redacted before it is logged,
    // stored or reported.
    let reason = redact(&reason).text;
    tracing::warn!(thread_id = %claim.thread_id, %reason, "stage-1 extraction failed");
    if store.stage1_failed(claim, &reason, retry_delay).await? {
        Ok((ThreadOutcome::Failed { reason }, usage))
    } else {
        Ok((ThreadOutcome::LostOwnership, usage))
    }
}
