//! The extraction run: claim finished sessions through the job store, build each one's request,
//! call the model with bounded concurrency under the run budget, read the answer strictly then
//! leniently, redact it again, and store it — or record a failure a person can read, with backoff.
//! Claims the budget stops before reaching are released, not failed.

use std::collections::BTreeMap;
use std::sync::Arc;

use codex_state::{
    MemoryStore, STAGE1_RETRY_DELAY_SECONDS, Stage1Claim, Stage1OutputInput, StartupScanParams,
    StartupSkips, StateError, ThreadId,
};
use serde::Serialize;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::budget::{RunBudget, estimate_request_tokens};
use crate::phase1::input::build_stage_one_input;
use crate::phase1::output::{ParsedAnswer, parse_answer};
use crate::provider::{ModelClient, ProviderError, Usage};
use crate::redact::redact;

/// Extractions running at once by default.
pub const DEFAULT_EXTRACTION_CONCURRENCY: usize = 8;

/// How one extraction run behaves.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Which threads to claim and how many.
    pub scan: StartupScanParams,
    /// Extractions running at once.
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
    /// Threads claimed and about to be extracted.
    Claimed {
        /// How many.
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
    let mut scan = options.scan;
    if let Some(remaining) = budget.remaining_requests() {
        scan.max_claims = scan
            .max_claims
            .min(u32::try_from(remaining).unwrap_or(u32::MAX));
    }
    // The budget, not the config, decided how many threads this run may claim.
    let claims_capped_by_budget = scan.max_claims < options.scan.max_claims;
    let mut report = ExtractReport::default();
    if scan.max_claims == 0 {
        report.budget_stopped = Some("max_requests_per_run reached before extraction".to_string());
        return Ok(report);
    }
    let claims = store
        .claim_stage1_startup(&scan, &options.worker_id)
        .await?;
    report.claimed = claims.claimed.len();
    report.skipped = claims.skipped;
    report.examined = claims.examined;
    progress(ExtractProgress::Claimed {
        total: claims.claimed.len(),
    });
    tracing::info!(
        claimed = report.claimed,
        examined = report.examined,
        "stage-1 claims taken"
    );

    let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for claim in claims.claimed {
        let store = store.clone();
        let client = Arc::clone(&client);
        let budget = Arc::clone(&budget);
        let semaphore = Arc::clone(&semaphore);
        let model = options.model.clone();
        let retry_delay = options.retry_delay_seconds;
        let span = tracing::info_span!("stage1", thread_id = %claim.thread_id, phase = "extract");
        tasks.spawn(
            async move {
                let _permit = semaphore.acquire_owned().await;
                let thread_id = claim.thread_id;
                let result = extract_one(&store, client, &budget, &claim, model, retry_delay).await;
                (thread_id, result)
            }
            .instrument(span),
        );
    }
    while let Some(joined) = tasks.join_next().await {
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
        report
            .outcomes
            .insert(thread_id.to_string(), outcome.clone());
        progress(ExtractProgress::Finished { thread_id, outcome });
    }
    report.failed.sort_by_key(|failed| failed.thread_id);
    let claimed_up_to_budget =
        claims_capped_by_budget && report.claimed >= scan.max_claims as usize;
    if report.not_attempted > 0 || budget.is_exhausted() || claimed_up_to_budget {
        report.budget_stopped = Some(budget_reason(&budget));
    }
    tracing::info!(
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

/// Extracts one claimed thread and records the result in the store.
async fn extract_one(
    store: &MemoryStore,
    client: Arc<dyn ModelClient>,
    budget: &RunBudget,
    claim: &Stage1Claim,
    model: Option<String>,
    retry_delay: i64,
) -> Result<(ThreadOutcome, Option<Usage>), StateError> {
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
            return fail(store, claim, reason, retry_delay, None).await;
        }
        Err(error) => {
            let reason = format!("reading the rollout crashed: {error}");
            return fail(store, claim, reason, retry_delay, None).await;
        }
    };
    let estimate = estimate_request_tokens(&input.request);
    if budget.reserve(estimate).is_err() {
        store.release_stage1(claim).await?;
        return Ok((ThreadOutcome::NotAttempted, None));
    }
    let response = match client.complete(&input.request).await {
        Ok(response) => response,
        Err(ProviderError::BudgetExhausted(_)) => {
            store.release_stage1(claim).await?;
            return Ok((ThreadOutcome::NotAttempted, None));
        }
        Err(error) => {
            budget.settle(estimate, None);
            return fail(
                store,
                claim,
                format!("model request failed: {error}"),
                retry_delay,
                None,
            )
            .await;
        }
    };
    budget.settle(estimate, response.usage);
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
        Err(error) => return fail(store, claim, error.to_string(), retry_delay, usage).await,
    };
    match owned {
        (true, outcome) => Ok((outcome, usage)),
        (false, _) => Ok((ThreadOutcome::LostOwnership, usage)),
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
