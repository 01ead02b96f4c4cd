//! The extraction run: claim finished sessions through the job store in batches as work frees
//! up, build each one's request, call the model with bounded concurrency under the run budget,
//! read the answer strictly then leniently, redact it again, and store it — or record a failure
//! a person can read, with backoff. Claims the budget stops before reaching are released, not
//! failed, and the run claims nothing after that.

use std::collections::BTreeMap;
use std::sync::Arc;

use codex_state::{
    MemoryStore, STAGE1_RETRY_DELAY_SECONDS, Stage1Claim, Stage1OutputInput, StartupScanParams,
    StartupSkips, StateError, ThreadId,
};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::budget::{RunBudget, estimate_request_tokens};
use crate::phase1::input::build_stage_one_input;
use crate::phase1::output::{ParsedAnswer, parse_answer};
use crate::provider::{ModelClient, ProviderError, Usage};
use crate::redact::redact;

/// Model requests in flight at once by default.
pub const DEFAULT_EXTRACTION_CONCURRENCY: usize = 8;
/// Claims held per request slot: while `concurrency` requests are in flight, as many more
/// claimed sessions are being read and rendered, ready to go out next.
const CLAIMS_IN_HAND_PER_REQUEST: usize = 2;

/// How one extraction run behaves.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Which threads to claim and how many.
    pub scan: StartupScanParams,
    /// Model requests in flight at once (as many more sessions are prepared meanwhile).
    pub concurrency: usize,
    /// The model; `None` uses the client's default.
    pub model: Option<String>,
    /// The claimer's id, recorded on each job.
    pub worker_id: String,
    /// Retry delay after a failure, in seconds.
    pub retry_delay_seconds: i64,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            scan: StartupScanParams::default(),
            concurrency: DEFAULT_EXTRACTION_CONCURRENCY,
            model: None,
            worker_id: format!("codex-memories-{}", std::process::id()),
            retry_delay_seconds: STAGE1_RETRY_DELAY_SECONDS,
        }
    }
}

/// How one thread's extraction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
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
    /// Another worker took the job over (lease expired); nothing was stored.
    LostOwnership,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone)]
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
    /// Why threads were not claimed.
    pub skipped: StartupSkips,
    /// Eligible threads examined by the scan.
    pub examined: u64,
    /// Set when the run stopped on its budget, with the limit hit.
    pub budget_stopped: Option<String>,
    /// Tokens used by this run's extraction requests.
    pub usage: Usage,
    /// Outcome per thread.
    pub outcomes: BTreeMap<String, ThreadOutcome>,
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
    let mut scan_params = options.scan;
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
    let mut stop_claiming = false;
    loop {
        // Claim in batches while work runs, topping the claims in hand back up once half of
        // them are done: leases start when the work is near, and the first request goes out
        // after one small batch rather than after claiming the whole run.
        if !stop_claiming && !scan.is_finished() && tasks.len() <= concurrency {
            let want = u32::try_from(claims_in_hand - tasks.len()).unwrap_or(u32::MAX);
            let claims = store
                .claim_stage1_batch(&mut scan, &options.worker_id, want)
                .await?;
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
                };
                let span =
                    tracing::info_span!("stage1", thread_id = %claim.thread_id, phase = "extract");
                tasks.spawn(
                    async move {
                        let result = job.run(&claim).await;
                        (claim.thread_id, result)
                    }
                    .instrument(span),
                );
            }
        }
        let Some(joined) = tasks.join_next().await else {
            break;
        };
        let (thread_id, result) = match joined {
            Ok(done) => done,
            Err(error) => {
                tracing::error!(%error, "an extraction task panicked");
                continue;
            }
        };
        let (outcome, usage) = result?;
        if let Some(usage) = usage {
            report.usage.add(usage);
        }
        match &outcome {
            ThreadOutcome::Succeeded => report.succeeded += 1,
            ThreadOutcome::NoOutput => report.no_output += 1,
            ThreadOutcome::Failed { reason } => report.failed.push(FailedThread {
                thread_id,
                reason: reason.clone(),
            }),
            ThreadOutcome::NotAttempted => report.not_attempted += 1,
            ThreadOutcome::LostOwnership => report.lost_ownership += 1,
        }
        if outcome == ThreadOutcome::NotAttempted || budget.is_exhausted() {
            stop_claiming = true;
        }
        report
            .outcomes
            .insert(thread_id.to_string(), outcome.clone());
        progress(ExtractProgress::Finished { thread_id, outcome });
    }
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
        input_tokens = report.usage.input_tokens,
        "extraction finished"
    );
    Ok(report)
}

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
        } = self;
        let path = claim.rollout_path.clone();
        let context_window = client.context_window();
        let built = tokio::task::spawn_blocking(move || {
            build_stage_one_input(&path, context_window, model, &|text: &str| {
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
        let estimate = estimate_request_tokens(&input.request);
        let slot = request_slots.acquire_owned().await;
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
                let reason = format!("model request failed: {error}");
                return fail(&store, claim, reason, retry_delay, None).await;
            }
        };
        let usage = response.usage.or(Some(Usage {
            input_tokens: estimate,
            ..Usage::default()
        }));
        let owned = match parse_answer(&response.text) {
            Ok(ParsedAnswer::Memory(memory)) => {
                let output = Stage1OutputInput {
                    raw_memory: redact(&memory.raw_memory).text,
                    rollout_summary: redact(&memory.rollout_summary).text,
                    rollout_slug: memory.rollout_slug.map(|slug| redact(&slug).text),
                };
                let owned = store.stage1_succeeded(claim, &output).await?;
                (owned, ThreadOutcome::Succeeded)
            }
            Ok(ParsedAnswer::NoOutput) => (
                store.stage1_succeeded_no_output(claim).await?,
                ThreadOutcome::NoOutput,
            ),
            Err(error) => return fail(&store, claim, error.to_string(), retry_delay, usage).await,
        };
        match owned {
            (true, outcome) => Ok((outcome, usage)),
            (false, _) => Ok((ThreadOutcome::LostOwnership, usage)),
        }
    }
}

async fn fail(
    store: &MemoryStore,
    claim: &Stage1Claim,
    reason: String,
    retry_delay: i64,
    usage: Option<Usage>,
) -> Result<(ThreadOutcome, Option<Usage>), StateError> {
    tracing::warn!(thread_id = %claim.thread_id, %reason, "stage-1 extraction failed");
    if store.stage1_failed(claim, &reason, retry_delay).await? {
        Ok((ThreadOutcome::Failed { reason }, usage))
    } else {
        Ok((ThreadOutcome::LostOwnership, usage))
    }
}
