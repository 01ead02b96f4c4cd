//! The phase-2 run: claim the global job, select the inputs, and — when the live memory folder
//! already matches its baseline and the inputs — succeed without writing anything or calling any
//! model. Otherwise work on a staging copy (`workspace::StagedWorkspace`): sync the inputs, diff,
//! write the diff file, run the consolidator on the copy under a heartbeat (dropping it the
//! moment ownership is lost), confirm ownership, then commit — reset the copy's baseline and swap
//! it in for the live folder — and mark success with the consumed selection. Until the commit the
//! live folder is never written, so any failure, a lost claim or a crash leaves it as it was.
//! Every failure records the step it happened in (`failed_prepare_workspace`, …).

use std::path::{Path, PathBuf};
use std::time::Duration;

use codex_state::{
    MemoryStore, PHASE2_HEARTBEAT_SECONDS, PHASE2_RETRY_DELAY_SECONDS, Phase2Claim,
    Phase2ClaimOutcome, Phase2ClaimParams, Phase2Input, SelectedInput, StateError,
};
use serde::Serialize;
use tracing::Instrument;

use crate::consolidator::{
    ConsolidationJob, ConsolidationReport, Consolidator, consolidation_prompt,
};
use crate::memory_folder::MemoryFolder;
use crate::phase2::artifacts::{ArtifactInput, SyncReport, plan_sync, sync_artifacts};
use crate::phase2::extensions::{
    ad_hoc_is_seeded, ad_hoc_notes, expired_extension_resources, prune_extension_resources,
    seed_ad_hoc,
};
use crate::scope::session_scope;
use crate::search_index::sync_index;
use crate::workspace::{CommitReport, MemoryWorkspace, StagedWorkspace};

/// How a phase-2 run behaves. Start from [`Phase2Options::default`] and change what you need
/// with the `with_*` setters (more settings may come).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Phase2Options {
    /// The claimer's id; unique to the run by default ([`codex_state::new_worker_id`]).
    pub worker_id: String,
    /// Lease and cooldown of the global job.
    pub claim: Phase2ClaimParams,
    /// Raw memories consolidated at most.
    pub max_inputs: u32,
    /// Memories unused for longer drop out, in days.
    pub max_unused_days: u32,
    /// How often the lease is renewed while the consolidator runs.
    pub heartbeat: Duration,
    /// Backoff after a failure, in seconds.
    pub retry_delay_seconds: i64,
}

impl Default for Phase2Options {
    fn default() -> Self {
        Self {
            worker_id: codex_state::new_worker_id(),
            claim: Phase2ClaimParams::default(),
            max_inputs: 256,
            max_unused_days: 30,
            heartbeat: Duration::from_secs(PHASE2_HEARTBEAT_SECONDS.unsigned_abs()),
            retry_delay_seconds: PHASE2_RETRY_DELAY_SECONDS,
        }
    }
}

impl Phase2Options {
    /// Claiming as `worker_id`.
    pub fn with_worker_id(mut self, worker_id: String) -> Self {
        self.worker_id = worker_id;
        self
    }

    /// With the lease and cooldown of `claim`.
    pub fn with_claim(mut self, claim: Phase2ClaimParams) -> Self {
        self.claim = claim;
        self
    }

    /// Consolidating at most `max_inputs` raw memories.
    pub fn with_max_inputs(mut self, max_inputs: u32) -> Self {
        self.max_inputs = max_inputs;
        self
    }

    /// Dropping memories unused for longer than `max_unused_days`.
    pub fn with_max_unused_days(mut self, max_unused_days: u32) -> Self {
        self.max_unused_days = max_unused_days;
        self
    }

    /// Renewing the lease every `heartbeat`.
    pub fn with_heartbeat(mut self, heartbeat: Duration) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// Backing off `retry_delay_seconds` after a failure.
    pub fn with_retry_delay_seconds(mut self, retry_delay_seconds: i64) -> Self {
        self.retry_delay_seconds = retry_delay_seconds;
        self
    }
}

/// How a phase-2 run ended.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase2Outcome {
    /// Another process holds the job.
    SkippedRunning {
        /// When its lease ends (unix seconds).
        lease_until: i64,
    },
    /// The last phase 2 failed; retried from `retry_at`.
    SkippedBackoff {
        /// Unix seconds.
        retry_at: i64,
    },
    /// The last phase 2 succeeded recently.
    SkippedCooldown {
        /// When the cooldown ends (unix seconds).
        until: i64,
    },
    /// The inputs matched the baseline: success without a consolidator.
    NoChanges,
    /// The consolidator ran and the baseline was reset.
    Consolidated {
        /// What the consolidator did.
        report: ConsolidationReport,
        /// The new baseline commit.
        baseline: String,
    },
    /// A step failed; the job is in backoff with this reason.
    Failed {
        /// The recorded reason, starting with the step (`failed_agent: …`).
        reason: String,
    },
    /// Ownership of the job was lost mid-run; nothing was committed.
    LostOwnership,
}

/// What a phase-2 run did.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Phase2Report {
    /// How it ended.
    pub outcome: Phase2Outcome,
    /// Inputs selected.
    pub inputs: usize,
    /// What the artifact sync changed.
    pub sync: Option<SyncReport>,
    /// Files the diff listed.
    pub changed_files: Vec<String>,
    /// The memory folder.
    pub memory_root: PathBuf,
    /// Notes written into the memory folder while the consolidation ran: kept, and still new to
    /// the next consolidation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes_carried: Vec<String>,
}

impl Phase2Report {
    fn new(outcome: Phase2Outcome, memory_root: &Path) -> Self {
        Self {
            outcome,
            inputs: 0,
            sync: None,
            changed_files: Vec::new(),
            memory_root: memory_root.to_path_buf(),
            notes_carried: Vec::new(),
        }
    }
}

/// Runs phase 2 once.
pub async fn run_phase2(
    store: &MemoryStore,
    memory_root: &Path,
    consolidator: &dyn Consolidator,
    options: &Phase2Options,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Phase2Report, StateError> {
    let claim = match store
        .claim_phase2(&options.worker_id, &options.claim)
        .await?
    {
        Phase2ClaimOutcome::Claimed(claim) => claim,
        Phase2ClaimOutcome::Running { lease_until } => {
            return Ok(Phase2Report::new(
                Phase2Outcome::SkippedRunning { lease_until },
                memory_root,
            ));
        }
        Phase2ClaimOutcome::InBackoff { retry_at } => {
            return Ok(Phase2Report::new(
                Phase2Outcome::SkippedBackoff { retry_at },
                memory_root,
            ));
        }
        Phase2ClaimOutcome::CoolingDown { until } => {
            return Ok(Phase2Report::new(
                Phase2Outcome::SkippedCooldown { until },
                memory_root,
            ));
        }
        // An outcome added to codex-state after this code: not claimed, so nothing ran.
        other => {
            return Ok(Phase2Report::new(
                Phase2Outcome::Failed {
                    reason: format!("unknown_claim_outcome: {other:?}"),
                },
                memory_root,
            ));
        }
    };
    let span = tracing::info_span!("phase2", phase = "consolidate");
    let mut report = Phase2Report::new(Phase2Outcome::NoChanges, memory_root);
    let outcome = consolidate_owned(
        store,
        memory_root,
        consolidator,
        options,
        now,
        &claim,
        &mut report,
    )
    .instrument(span)
    .await?;
    report.outcome = outcome;
    // The search index follows the folder after every consolidation; a failure here only
    // leaves the work to the next search, which syncs first.
    if let Err(error) = sync_index(store, memory_root).await {
        tracing::warn!(%error, "phase 2: the search index could not be brought in step");
    }
    Ok(report)
}

async fn consolidate_owned(
    store: &MemoryStore,
    memory_root: &Path,
    consolidator: &dyn Consolidator,
    options: &Phase2Options,
    now: chrono::DateTime<chrono::Utc>,
    claim: &Phase2Claim,
    report: &mut Phase2Report,
) -> Result<Phase2Outcome, StateError> {
    let fail = |step: &str, detail: String| format!("{step}: {detail}");

    let selected = match store
        .select_phase2_inputs(options.max_inputs, options.max_unused_days)
        .await
    {
        Ok(selected) => selected,
        Err(error) => {
            return failed(
                store,
                claim,
                options,
                fail("failed_select_inputs", error.to_string()),
            )
            .await;
        }
    };
    report.inputs = selected.len();
    let consumed: Vec<SelectedInput> = selected.iter().map(Phase2Input::selected).collect();
    // Deriving a project may read `.git` entries of the sessions' folders: off the workers.
    let inputs: Vec<ArtifactInput> =
        match blocking(move || Ok(selected.into_iter().map(artifact_input).collect())).await {
            Ok(inputs) => inputs,
            Err(detail) => {
                return failed(store, claim, options, fail("failed_sync_inputs", detail)).await;
            }
        };

    // The common case costs one look at the live folder and writes nothing.
    let root = memory_root.to_path_buf();
    let check_inputs = inputs.clone();
    match blocking(move || live_is_current(&root, &check_inputs, now)).await {
        Ok(true) => {
            tracing::info!(
                "phase 2: the memory folder matches its baseline; nothing to consolidate"
            );
            return succeeded(store, claim, &consumed, Phase2Outcome::NoChanges).await;
        }
        Ok(false) => {}
        Err(detail) => {
            return failed(store, claim, options, fail("failed_workspace_diff", detail)).await;
        }
    }

    // Everything from here on happens in a staging copy; the live folder is only ever replaced
    // whole, by the commit.
    let root = memory_root.to_path_buf();
    let staged =
        match blocking(move || StagedWorkspace::begin(&root, now).map_err(|e| e.to_string())).await
        {
            Ok((staged, _)) => staged,
            Err(detail) => {
                return failed(
                    store,
                    claim,
                    options,
                    fail("failed_prepare_workspace", detail),
                )
                .await;
            }
        };
    let staged = match in_stage(staged, move |staged| {
        let folder = MemoryFolder::open(staged.root()).map_err(|e| e.to_string())?;
        seed_ad_hoc(&folder).map_err(|e| format!("cannot seed extensions/ad_hoc: {e}"))?;
        prune_extension_resources(staged.root(), now)
            .map_err(|e| format!("cannot prune extension resources: {e}"))?;
        Ok(())
    })
    .await
    {
        Ok((staged, ())) => staged,
        Err(detail) => {
            return failed(
                store,
                claim,
                options,
                fail("failed_prepare_workspace", detail),
            )
            .await;
        }
    };
    let sync_inputs = inputs.clone();
    let staged = match in_stage(staged, move |staged| {
        sync_artifacts(staged.root(), &sync_inputs).map_err(|e| e.to_string())
    })
    .await
    {
        Ok((staged, sync)) => {
            report.sync = Some(sync);
            staged
        }
        Err(detail) => {
            return failed(store, claim, options, fail("failed_sync_inputs", detail)).await;
        }
    };
    let (staged, diff) =
        match in_stage(staged, |staged| staged.diff().map_err(|e| e.to_string())).await {
            Ok(staged_diff) => staged_diff,
            Err(detail) => {
                return failed(store, claim, options, fail("failed_workspace_diff", detail)).await;
            }
        };
    report.changed_files = diff
        .changes
        .iter()
        .map(|change| change.path.clone())
        .collect();
    if diff.is_empty() {
        // The live folder differed from its baseline only in what the sync restored (a
        // summary deleted by hand, say): put the restored folder in place, no model needed.
        tracing::info!("phase 2: the synced inputs match the baseline; restoring the folder");
        return match commit(staged).await {
            Ok(committed) => {
                report.notes_carried = committed.notes_carried;
                succeeded(store, claim, &consumed, Phase2Outcome::NoChanges).await
            }
            Err(detail) => failed(store, claim, options, fail("failed_commit", detail)).await,
        };
    }

    let (staged, notes) = match in_stage(staged, move |staged| {
        staged.write_diff_file(&diff).map_err(|e| e.to_string())?;
        ad_hoc_notes(staged.root()).map_err(|e| format!("cannot read ad hoc notes: {e}"))
    })
    .await
    {
        Ok(written) => written,
        Err(detail) => {
            return failed(store, claim, options, fail("failed_workspace_diff", detail)).await;
        }
    };
    let prompt = match consolidation_prompt(inputs.len(), notes.len()) {
        Ok(prompt) => prompt,
        Err(error) => {
            discard(staged).await;
            return failed(
                store,
                claim,
                options,
                fail("failed_prompt", error.to_string()),
            )
            .await;
        }
    };
    let job = ConsolidationJob {
        memory_root: staged.root().to_path_buf(),
        prompt,
        inputs,
        notes,
    };
    tracing::info!(
        consolidator = consolidator.name(),
        changed = report.changed_files.len(),
        "phase 2: consolidating"
    );

    let consolidation = match with_heartbeat(
        store,
        claim,
        options.heartbeat,
        consolidator.consolidate(&job),
    )
    .await
    {
        Ok(Some(result)) => result,
        Ok(None) => {
            tracing::warn!(
                "phase 2: ownership lost while consolidating; stopped without committing"
            );
            discard(staged).await;
            return Ok(Phase2Outcome::LostOwnership);
        }
        Err(error) => {
            discard(staged).await;
            return Err(error);
        }
    };
    let consolidation = match consolidation {
        Ok(consolidation) => consolidation,
        Err(error) => {
            discard(staged).await;
            return failed(
                store,
                claim,
                options,
                fail("failed_agent", error.to_string()),
            )
            .await;
        }
    };

    match store.heartbeat_phase2(claim).await {
        Ok(true) => {}
        Ok(false) => {
            discard(staged).await;
            return Ok(Phase2Outcome::LostOwnership);
        }
        Err(error) => {
            discard(staged).await;
            return Err(error);
        }
    }
    let committed = match commit(staged).await {
        Ok(committed) => committed,
        Err(detail) => return failed(store, claim, options, fail("failed_commit", detail)).await,
    };
    report.notes_carried = committed.notes_carried;
    tracing::info!(
        files = consolidation.files_changed.len(),
        notes_carried = report.notes_carried.len(),
        "phase 2: consolidated and committed"
    );
    let outcome = Phase2Outcome::Consolidated {
        report: consolidation,
        baseline: committed.baseline.commit,
    };
    succeeded(store, claim, &consumed, outcome).await
}

/// Whether the live folder at `root` is already what phase 2 would make of it: a complete
/// baseline it matches, the ad hoc extension in place, no resource to prune, and inputs that the
/// sync would not change. Writes nothing to the folder (it repairs an interrupted run's leftovers
/// beside it first).
fn live_is_current(
    root: &Path,
    inputs: &[ArtifactInput],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, String> {
    MemoryWorkspace::recover_interrupted(root);
    let Some(workspace) = MemoryWorkspace::open_verified(root) else {
        return Ok(false);
    };
    if !workspace.diff().map_err(|e| e.to_string())?.is_empty() || !ad_hoc_is_seeded(root) {
        return Ok(false);
    }
    let expired = expired_extension_resources(root, now)
        .map_err(|e| format!("cannot list extension resources: {e}"))?;
    let plan = plan_sync(root, inputs).map_err(|e| e.to_string())?;
    Ok(expired.is_empty() && !plan.changed_anything())
}

/// Runs `work` on the staging copy off the async workers; a failure removes the copy.
async fn in_stage<T: Send + 'static>(
    staged: StagedWorkspace,
    work: impl FnOnce(&StagedWorkspace) -> Result<T, String> + Send + 'static,
) -> Result<(StagedWorkspace, T), String> {
    blocking(move || match work(&staged) {
        Ok(value) => Ok((staged, value)),
        Err(detail) => {
            staged.discard();
            Err(detail)
        }
    })
    .await
}

/// Swaps the staging copy in (see [`StagedWorkspace::commit`]).
async fn commit(staged: StagedWorkspace) -> Result<CommitReport, String> {
    blocking(move || staged.commit().map_err(|e| e.to_string())).await
}

/// Removes the staging copy, leaving the live folder as it was.
async fn discard(staged: StagedWorkspace) {
    let _ = blocking(move || {
        staged.discard();
        Ok(())
    })
    .await;
}

/// Marks success with the consumed selection; `LostOwnership` when the claim was taken over.
async fn succeeded(
    store: &MemoryStore,
    claim: &Phase2Claim,
    consumed: &[SelectedInput],
    outcome: Phase2Outcome,
) -> Result<Phase2Outcome, StateError> {
    if store.phase2_succeeded(claim, consumed).await? {
        Ok(outcome)
    } else {
        Ok(Phase2Outcome::LostOwnership)
    }
}

fn artifact_input(input: Phase2Input) -> ArtifactInput {
    ArtifactInput {
        thread_id: input.thread_id,
        source_updated_at: input.source_updated_at,
        raw_memory: input.raw_memory,
        rollout_summary: input.rollout_summary,
        rollout_slug: input.rollout_slug,
        rollout_path: input.rollout_path.display().to_string(),
        scope: session_scope(&input.cwd, input.git_origin_url.as_deref()),
        cwd: input.cwd,
        git_branch: input.git_branch,
        agent: input.agent,
    }
}

/// Runs blocking work (gix, file writes) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| Err(format!("the worker crashed: {error}")))
}

async fn failed(
    store: &MemoryStore,
    claim: &Phase2Claim,
    options: &Phase2Options,
    reason: String,
) -> Result<Phase2Outcome, StateError> {
    tracing::warn!(%reason, "phase 2 failed");
    if store
        .phase2_failed(claim, &reason, options.retry_delay_seconds)
        .await?
    {
        Ok(Phase2Outcome::Failed { reason })
    } else {
        Ok(Phase2Outcome::LostOwnership)
    }
}

/// Drives `work` while renewing the lease every `interval`; `None` when a renewal finds the job
/// owned by someone else (the work is dropped, which cancels it). The renewals run beside the
/// work, never instead of it: a renewal waiting for the database's write gate must not stop the
/// work from being polled, or a consolidator holding that gate would deadlock with it.
async fn with_heartbeat<T>(
    store: &MemoryStore,
    claim: &Phase2Claim,
    interval: Duration,
    work: impl std::future::Future<Output = T>,
) -> Result<Option<T>, StateError> {
    let renewals = async {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            match store.heartbeat_phase2(claim).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => tracing::warn!(%error, "phase 2 heartbeat failed; will retry"),
            }
        }
    };
    tokio::select! {
        result = work => Ok(Some(result)),
        () = renewals => Ok(None),
    }
}
