//! The one phase-2 (consolidation) job, key `global`: enqueue with a strictly increasing input
//! watermark, claim (at most one live owner, backoff after failure, cooldown after success),
//! heartbeat, success (which records the consumed selection, and leaves work enqueued during the
//! run pending) and failure. Finishers check `status='running'` and the ownership token and
//! return `false` when the claim was lost.

use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use super::{
    MemoryStore, PHASE2_JOB_KEY, PHASE2_LEASE_SECONDS, PHASE2_SUCCESS_COOLDOWN_SECONDS,
    RETRIES_PER_JOB_VERSION, SelectedInput, bounded_lease, key, lease_is_live,
};
use crate::StateError;
use crate::memory_store::JobKind;

/// The `last_error` a claim records when it takes over a consolidation whose lease expired.
pub const PHASE2_ABANDONED_REASON: &str = "the previous consolidation stopped without finishing (the process ended or hung past its lease)";

/// Lease and cooldown of a phase-2 claim. Start from [`Phase2ClaimParams::default`] and change
/// what you need with the `with_*` setters (more settings may come).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Phase2ClaimParams {
    /// How long the claim owns the job without a heartbeat, in seconds (at most
    /// [`super::MAX_LEASE_SECONDS`]).
    pub lease_seconds: i64,
    /// How long after a success the next claim is refused, in seconds.
    pub cooldown_seconds: i64,
    /// Claim even while the last failure's backoff runs (a person asked for a retry now, e.g.
    /// `consolidate --force`). A live lease of another owner is still respected.
    pub ignore_backoff: bool,
}

impl Default for Phase2ClaimParams {
    fn default() -> Self {
        Self {
            lease_seconds: PHASE2_LEASE_SECONDS,
            cooldown_seconds: PHASE2_SUCCESS_COOLDOWN_SECONDS,
            ignore_backoff: false,
        }
    }
}

impl Phase2ClaimParams {
    /// With a lease of `lease_seconds`.
    pub fn with_lease_seconds(mut self, lease_seconds: i64) -> Self {
        self.lease_seconds = lease_seconds;
        self
    }

    /// With a cooldown after a success of `cooldown_seconds`.
    pub fn with_cooldown_seconds(mut self, cooldown_seconds: i64) -> Self {
        self.cooldown_seconds = cooldown_seconds;
        self
    }

    /// Claiming even during the last failure's backoff when `ignore_backoff`.
    pub fn with_ignore_backoff(mut self, ignore_backoff: bool) -> Self {
        self.ignore_backoff = ignore_backoff;
        self
    }
}

/// A successful phase-2 claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase2Claim {
    /// The claimer.
    pub worker_id: String,
    /// The token every finisher and heartbeat of this claim presents.
    pub ownership_token: String,
    /// The job's input watermark when claimed; success records it as consumed.
    pub input_watermark: i64,
    /// Until when the claim owns the job (unix seconds), as of the claim.
    pub lease_until: i64,
    /// The lease length a heartbeat renews, in seconds.
    pub lease_seconds: i64,
}

/// What a phase-2 claim did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Phase2ClaimOutcome {
    /// Claimed; run phase 2.
    Claimed(Phase2Claim),
    /// Another owner holds a live lease.
    Running {
        /// When that lease ends.
        lease_until: i64,
    },
    /// The last phase 2 failed; claimable again from `retry_at`.
    InBackoff {
        /// When the backoff ends.
        retry_at: i64,
    },
    /// The last phase 2 succeeded less than the cooldown ago (and left nothing pending that was
    /// enqueued while it ran).
    CoolingDown {
        /// When the cooldown ends.
        until: i64,
    },
}

/// The claim-relevant columns of the global job row.
#[derive(sqlx::FromRow)]
struct GlobalJobState {
    status: String,
    lease_until: Option<i64>,
    retry_at: Option<i64>,
    finished_at: Option<i64>,
    last_error: Option<String>,
    input_watermark: Option<i64>,
    skip_cooldown: bool,
}

impl MemoryStore {
    /// Marks phase 2 as needed: the global job becomes `pending` (a running one stays running)
    /// and its input watermark moves strictly forward. Returns the new watermark.
    pub async fn enqueue_phase2(&self) -> Result<i64, StateError> {
        self.retry_busy(|| async {
            let (_gate, mut connection) = self.write_connection("enqueue phase 2").await?;
            self.enqueue_phase2_in(&mut connection, self.now()).await
        })
        .await
    }

    /// The enqueue as one atomic upsert, run on `connection` (possibly inside a transaction).
    /// The watermark is `max(old + 1, now)`, so it increases even when the clock does not.
    pub(super) async fn enqueue_phase2_in(
        &self,
        connection: &mut SqliteConnection,
        now: i64,
    ) -> Result<i64, StateError> {
        let row = sqlx::query(
            "INSERT INTO jobs (kind, job_key, status, retry_remaining, input_watermark) \
             VALUES ('memory_consolidate_global', ?1, 'pending', ?2, ?3) \
             ON CONFLICT (kind, job_key) DO UPDATE SET \
                 status = CASE WHEN jobs.status = 'running' THEN 'running' ELSE 'pending' END, \
                 input_watermark = MAX(COALESCE(jobs.input_watermark, 0) + 1, ?3) \
             RETURNING input_watermark",
        )
        .bind(PHASE2_JOB_KEY)
        .bind(RETRIES_PER_JOB_VERSION)
        .bind(now)
        .fetch_one(connection)
        .await
        .map_err(|source| self.query_error("enqueue phase 2", source))?;
        row.try_get::<i64, _>(0)
            .map_err(|source| self.query_error("enqueue phase 2", source))
    }

    /// Claims the global phase-2 job, creating it when missing (see [`Phase2ClaimOutcome`]).
    pub async fn claim_phase2(
        &self,
        worker_id: &str,
        params: &Phase2ClaimParams,
    ) -> Result<Phase2ClaimOutcome, StateError> {
        self.retry_busy(|| self.try_claim_phase2(worker_id, params))
            .await
    }

    async fn try_claim_phase2(
        &self,
        worker_id: &str,
        params: &Phase2ClaimParams,
    ) -> Result<Phase2ClaimOutcome, StateError> {
        const OPERATION: &str = "claim phase-2 job";
        // Race prevented: two processes both seeing the global job claimable (missing, expired,
        // past its backoff) and running two consolidations at once. BEGIN IMMEDIATE holds the
        // write lock from this read to the claim's write.
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let now = self.now();
        let row: Option<GlobalJobState> = sqlx::query_as(
            "SELECT status, lease_until, retry_at, finished_at, last_error, input_watermark, \
                 skip_cooldown \
                 FROM jobs WHERE kind = 'memory_consolidate_global' AND job_key = ?",
        )
        .bind(PHASE2_JOB_KEY)
        .fetch_optional(&mut *transaction)
        .await
        .map_err(|source| self.query_error(OPERATION, source))?;
        let token = uuid::Uuid::new_v4().to_string();
        let lease_seconds = bounded_lease(params.lease_seconds);
        let lease_until = now.saturating_add(lease_seconds);
        let input_watermark = match row {
            None => {
                sqlx::query(
                    "INSERT INTO jobs (kind, job_key, status, worker_id, ownership_token, \
                                       started_at, lease_until, retry_remaining, input_watermark) \
                     VALUES ('memory_consolidate_global', ?1, 'running', ?2, ?3, ?4, ?5, ?6, ?4)",
                )
                .bind(PHASE2_JOB_KEY)
                .bind(worker_id)
                .bind(&token)
                .bind(now)
                .bind(lease_until)
                .bind(RETRIES_PER_JOB_VERSION)
                .execute(&mut *transaction)
                .await
                .map_err(|source| self.query_error(OPERATION, source))?;
                now
            }
            Some(GlobalJobState {
                status,
                lease_until: lease,
                retry_at,
                finished_at,
                last_error,
                input_watermark: watermark,
                skip_cooldown,
            }) => {
                let running = status == "running";
                if running && lease_is_live(lease, now) {
                    self.rollback(transaction, OPERATION).await?;
                    return Ok(Phase2ClaimOutcome::Running {
                        lease_until: lease.unwrap_or(now),
                    });
                }
                if !running {
                    if let Some(retry_at) = retry_at
                        .filter(|retry_at| *retry_at > now)
                        .filter(|_| !params.ignore_backoff)
                    {
                        self.rollback(transaction, OPERATION).await?;
                        return Ok(Phase2ClaimOutcome::InBackoff { retry_at });
                    }
                    // The last finish was a success when it left no error behind; work enqueued
                    // while that success ran (skip_cooldown) does not wait for the cooldown.
                    let cooling_until = finished_at
                        .filter(|_| last_error.is_none() && !skip_cooldown)
                        .map(|finished| finished.saturating_add(params.cooldown_seconds))
                        .filter(|until| *until > now);
                    if let Some(until) = cooling_until {
                        self.rollback(transaction, OPERATION).await?;
                        return Ok(Phase2ClaimOutcome::CoolingDown { until });
                    }
                }
                // Taking over an expired lease: the consolidation that held it died (killed,
                // hung past its lease), which counts as a failed attempt and says so.
                sqlx::query(
                    "UPDATE jobs SET status = 'running', worker_id = ?1, ownership_token = ?2, \
                         started_at = ?3, lease_until = ?4, retry_at = NULL, skip_cooldown = 0, \
                         retry_remaining = CASE WHEN ?6 THEN MAX(retry_remaining - 1, 0) \
                                                ELSE retry_remaining END, \
                         last_error = CASE WHEN ?6 THEN ?7 ELSE last_error END \
                     WHERE kind = 'memory_consolidate_global' AND job_key = ?5",
                )
                .bind(worker_id)
                .bind(&token)
                .bind(now)
                .bind(lease_until)
                .bind(PHASE2_JOB_KEY)
                .bind(running)
                .bind(PHASE2_ABANDONED_REASON)
                .execute(&mut *transaction)
                .await
                .map_err(|source| self.query_error(OPERATION, source))?;
                watermark.unwrap_or(now)
            }
        };
        self.commit(transaction, OPERATION).await?;
        Ok(Phase2ClaimOutcome::Claimed(Phase2Claim {
            worker_id: worker_id.to_string(),
            ownership_token: token,
            input_watermark,
            lease_until,
            lease_seconds,
        }))
    }

    /// Extends the claim's lease to `now + lease_seconds`; `false` when the claim was lost.
    pub async fn heartbeat_phase2(&self, claim: &Phase2Claim) -> Result<bool, StateError> {
        let now = self.now();
        let lease_seconds = bounded_lease(claim.lease_seconds);
        // One atomic statement; only the owner's row matches.
        let result = self
            .retry_busy(|| async {
                let (_gate, mut connection) = self.write_connection("heartbeat phase 2").await?;
                sqlx::query(
                    "UPDATE jobs SET lease_until = ?1 \
                     WHERE kind = 'memory_consolidate_global' AND job_key = ?2 \
                       AND status = 'running' AND ownership_token = ?3",
                )
                .bind(now.saturating_add(lease_seconds))
                .bind(PHASE2_JOB_KEY)
                .bind(&claim.ownership_token)
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error("heartbeat phase 2", source))
            })
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks phase 2 done (last success watermark = max(old, claimed), retries refilled) — or
    /// `pending`, with the cooldown waived, when something was enqueued while it ran (the job's
    /// watermark moved past the claimed one: this run did not see that work) — then records the
    /// selection: every `selected_for_phase2` flag is cleared and set again, with its snapshot,
    /// only on `consumed` rows whose source_updated_at still equals the consumed one (a row
    /// re-extracted mid-run stays unselected, so the next phase 2 picks it up). `false` when
    /// ownership was lost (nothing is written then).
    pub async fn phase2_succeeded(
        &self,
        claim: &Phase2Claim,
        consumed: &[SelectedInput],
    ) -> Result<bool, StateError> {
        self.retry_busy(|| self.try_phase2_succeeded(claim, consumed))
            .await
    }

    async fn try_phase2_succeeded(
        &self,
        claim: &Phase2Claim,
        consumed: &[SelectedInput],
    ) -> Result<bool, StateError> {
        const OPERATION: &str = "finish phase-2 job";
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let now = self.now();
        // Race prevented: a consolidation whose lease was taken over recording its (older)
        // selection over the new owner's.
        let owned = sqlx::query(
            "UPDATE jobs SET \
                 status = CASE WHEN input_watermark > ?2 THEN 'pending' ELSE 'done' END, \
                 skip_cooldown = input_watermark > ?2, \
                 finished_at = ?1, lease_until = NULL, retry_at = NULL, last_error = NULL, \
                 retry_remaining = ?5, \
                 last_success_watermark = MAX(COALESCE(last_success_watermark, ?2), ?2) \
             WHERE kind = 'memory_consolidate_global' AND job_key = ?3 \
               AND status = 'running' AND ownership_token = ?4",
        )
        .bind(now)
        .bind(claim.input_watermark)
        .bind(PHASE2_JOB_KEY)
        .bind(&claim.ownership_token)
        .bind(RETRIES_PER_JOB_VERSION)
        .execute(&mut *transaction)
        .await
        .map_err(|source| self.query_error(OPERATION, source))?
        .rows_affected();
        if owned == 0 {
            self.rollback(transaction, OPERATION).await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE stage1_outputs \
             SET selected_for_phase2 = 0, selected_for_phase2_source_updated_at = NULL \
             WHERE selected_for_phase2 = 1 OR selected_for_phase2_source_updated_at IS NOT NULL",
        )
        .execute(&mut *transaction)
        .await
        .map_err(|source| self.query_error("clear phase-2 selection", source))?;
        for input in consumed {
            sqlx::query(
                "UPDATE stage1_outputs \
                 SET selected_for_phase2 = 1, selected_for_phase2_source_updated_at = ?1 \
                 WHERE thread_id = ?2 AND source_updated_at = ?1",
            )
            .bind(input.source_updated_at)
            .bind(key(input.thread_id))
            .execute(&mut *transaction)
            .await
            .map_err(|source| self.query_error("record phase-2 selection", source))?;
        }
        self.commit(transaction, OPERATION).await?;
        Ok(true)
    }

    /// Marks phase 2 failed: `error`, retry from `now + retry_delay_seconds`, one retry fewer
    /// (never below 0), `reason` kept. `false` when ownership was lost.
    pub async fn phase2_failed(
        &self,
        claim: &Phase2Claim,
        reason: &str,
        retry_delay_seconds: i64,
    ) -> Result<bool, StateError> {
        self.fail_phase2(Some(&claim.ownership_token), reason, retry_delay_seconds)
            .await
    }

    /// The fallback failure path: fails a `running` global job whose ownership token is NULL
    /// (a row no claim can finish), so it does not stay running until someone notices.
    pub async fn phase2_failed_if_unowned(
        &self,
        reason: &str,
        retry_delay_seconds: i64,
    ) -> Result<bool, StateError> {
        self.fail_phase2(None, reason, retry_delay_seconds).await
    }

    async fn fail_phase2(
        &self,
        token: Option<&str>,
        reason: &str,
        retry_delay_seconds: i64,
    ) -> Result<bool, StateError> {
        self.fail_running_job(
            JobKind::ConsolidateGlobal,
            PHASE2_JOB_KEY,
            token,
            reason,
            retry_delay_seconds,
            "fail phase-2 job",
        )
        .await
    }
}
