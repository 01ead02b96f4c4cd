//! `status()`: what the `status` command prints — stage-1 jobs by state, the latest errors with
//! their threads and retry times, the next retry, the global phase-2 job (with its cooldown end)
//! and the output counts. One read transaction, so the figures agree with each other.

use serde::Serialize;

use super::{JobKind, JobRow, MemoryStore, PHASE2_JOB_KEY, PHASE2_SUCCESS_COOLDOWN_SECONDS};
use crate::StateError;
use crate::memory_store::rows::JOB_COLUMNS;

/// How many of the latest stage-1 errors `status()` lists.
pub const STATUS_RECENT_ERRORS: u32 = 10;

/// Stage-1 jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stage1StatusCounts {
    /// Waiting (not used by stage 1 today; counted for completeness).
    pub pending: u64,
    /// Running under a live lease.
    pub running: u64,
    /// Running but the lease lapsed (a worker died); claimable again.
    pub expired: u64,
    /// Done.
    pub done: u64,
    /// Failed, with retries left.
    pub error: u64,
    /// Failed with no retries left at their version.
    pub retries_exhausted: u64,
}

/// One failed stage-1 job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Stage1Error {
    /// The thread id.
    pub thread_id: String,
    /// Why it failed.
    pub last_error: Option<String>,
    /// When it failed.
    pub finished_at: Option<i64>,
    /// When it may be retried (no retry when `retry_remaining` is 0).
    pub retry_at: Option<i64>,
    /// Attempts left at this version.
    pub retry_remaining: i64,
}

/// The state of the memories DB, for people and for `--json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryStatus {
    /// The clock's time the figures were read at (unix seconds).
    pub now: i64,
    /// Stage-1 jobs by state.
    pub stage1: Stage1StatusCounts,
    /// The latest failed stage-1 jobs, newest first.
    pub recent_errors: Vec<Stage1Error>,
    /// The earliest future retry of a failed stage-1 job with retries left.
    pub next_retry_at: Option<i64>,
    /// The global phase-2 job, if it exists.
    pub phase2: Option<JobRow>,
    /// When the success cooldown (default length) of phase 2 ends, if it is cooling down.
    pub phase2_cooldown_until: Option<i64>,
    /// Stored stage-1 outputs.
    pub outputs: u64,
    /// Outputs the last successful phase 2 consumed.
    pub selected_outputs: u64,
}

impl MemoryStore {
    /// Reads the status (see [`MemoryStatus`]).
    pub async fn status(&self) -> Result<MemoryStatus, StateError> {
        const OPERATION: &str = "read memory status";
        let now = self.now();
        let error = |source| self.query_error(OPERATION, source);
        let mut transaction = self.pool.begin().await.map_err(error)?;
        let counts: Vec<(String, bool, bool, i64)> = sqlx::query_as(
            "SELECT status, COALESCE(lease_until > ?1 AND lease_until <= ?2, 0), \
                    retry_remaining <= 0, COUNT(*) \
             FROM jobs WHERE kind = 'memory_stage1' GROUP BY 1, 2, 3",
        )
        .bind(now)
        .bind(super::lease_horizon(now))
        .fetch_all(&mut *transaction)
        .await
        .map_err(error)?;
        let mut stage1 = Stage1StatusCounts::default();
        for (status, live, exhausted, count) in counts {
            let count = u64::try_from(count).unwrap_or(0);
            let slot = match (status.as_str(), live, exhausted) {
                ("pending", _, _) => &mut stage1.pending,
                ("running", true, _) => &mut stage1.running,
                ("running", false, _) => &mut stage1.expired,
                ("done", _, _) => &mut stage1.done,
                ("error", _, true) => &mut stage1.retries_exhausted,
                _ => &mut stage1.error,
            };
            *slot += count;
        }
        let recent_errors: Vec<Stage1Error> = sqlx::query_as(
            "SELECT job_key AS thread_id, last_error, finished_at, retry_at, retry_remaining \
             FROM jobs WHERE kind = 'memory_stage1' AND status = 'error' \
             ORDER BY finished_at DESC, job_key ASC LIMIT ?",
        )
        .bind(i64::from(STATUS_RECENT_ERRORS))
        .fetch_all(&mut *transaction)
        .await
        .map_err(error)?;
        let (next_retry_at,): (Option<i64>,) = sqlx::query_as(
            "SELECT MIN(retry_at) FROM jobs WHERE kind = 'memory_stage1' AND status = 'error' \
               AND retry_remaining > 0 AND retry_at > ?",
        )
        .bind(now)
        .fetch_one(&mut *transaction)
        .await
        .map_err(error)?;
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE kind = ? AND job_key = ?");
        let phase2 = sqlx::query(&sql)
            .bind(JobKind::ConsolidateGlobal.as_str())
            .bind(PHASE2_JOB_KEY)
            .fetch_optional(&mut *transaction)
            .await
            .map_err(error)?
            .map(|row| self.job_from_row(&row))
            .transpose()?;
        let (outputs, selected_outputs): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(selected_for_phase2), 0) FROM stage1_outputs",
        )
        .fetch_one(&mut *transaction)
        .await
        .map_err(error)?;
        transaction.rollback().await.map_err(error)?;
        let phase2_cooldown_until = phase2
            .as_ref()
            .filter(|job| {
                job.last_error.is_none()
                    && !job.skip_cooldown
                    && job.status != super::JobStatus::Running
            })
            .and_then(|job| job.finished_at)
            .map(|finished| finished.saturating_add(PHASE2_SUCCESS_COOLDOWN_SECONDS))
            .filter(|until| *until > now);
        Ok(MemoryStatus {
            now,
            stage1,
            recent_errors,
            next_retry_at,
            phase2,
            phase2_cooldown_until,
            outputs: u64::try_from(outputs).unwrap_or(0),
            selected_outputs: u64::try_from(selected_outputs).unwrap_or(0),
        })
    }
}
