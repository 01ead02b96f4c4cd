//! `eligibility()`: the facts `status` needs about threads still waiting for stage 1 — how many
//! indexed threads there are, the newest activity indexed, and, among enabled non-archived threads
//! not yet extracted at their current version, how many are too fresh (with the soonest time one
//! becomes idle enough), too old, waiting for a retry after a failure (backoff, or no retries left
//! at this version), or eligible now — a session in backoff is never counted as ready. One
//! read-only query; nothing is written.

use serde::Serialize;

use super::MemoryStore;
use crate::StateError;

/// Milliseconds per hour and per day (thread timestamps are milliseconds).
const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;
const MILLIS_PER_SECOND: i64 = 1000;

/// Waiting threads by reason, for `status`. Times are unix seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EligibilityFacts {
    /// Indexed threads (all of them, archived included).
    pub threads: u64,
    /// The newest `updated_at` in the index: the last session activity the index has seen.
    pub newest_thread_updated_at: Option<i64>,
    /// Enabled, non-archived, not yet extracted, updated less than `min_rollout_idle_hours` ago.
    pub too_fresh: u64,
    /// When the first of the too-fresh threads becomes idle enough.
    pub next_eligible_at: Option<i64>,
    /// Enabled, non-archived, not yet extracted, not updated within `max_rollout_age_days`.
    pub too_old: u64,
    /// Enabled, non-archived, not yet extracted, inside the window, not waiting for a retry:
    /// the next run may claim them.
    pub eligible_now: u64,
    /// Inside the window but failed at this version and waiting: in backoff until their retry
    /// time, or out of retries until the session changes (`extract --retry-failed` lifts both).
    pub waiting_retry: u64,
}

/// Threads with their effective mode and whether stage 1 already covers their version.
const WAITING_SQL: &str = "SELECT \
        COUNT(*), \
        MAX(updated_at), \
        COALESCE(SUM(waiting AND updated_at > ?2), 0), \
        MIN(CASE WHEN waiting AND updated_at > ?2 THEN updated_at END), \
        COALESCE(SUM(waiting AND updated_at < ?1), 0), \
        COALESCE(SUM(waiting AND NOT held AND updated_at >= ?1 AND updated_at <= ?2), 0), \
        COALESCE(SUM(waiting AND held AND updated_at >= ?1 AND updated_at <= ?2), 0) \
    FROM (SELECT t.updated_at, \
                 t.archived = 0 \
                 AND COALESCE(m.memory_mode, t.memory_mode) = 'enabled' \
                 AND (MAX(COALESCE(o.source_updated_at, -1), \
                          COALESCE(j.last_success_watermark, -1)) < t.updated_at / 1000 \
                      OR COALESCE(j.reextract, 0) = 1) \
                 AS waiting, \
                 COALESCE(j.status = 'error' \
                          AND j.input_watermark >= t.updated_at / 1000 \
                          AND (j.retry_at > ?3 OR j.retry_remaining <= 0), 0) \
                 AS held \
          FROM state.threads AS t \
          LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
          LEFT JOIN stage1_outputs AS o ON o.thread_id = t.id \
          LEFT JOIN jobs AS j ON j.kind = 'memory_stage1' AND j.job_key = t.id)";

impl MemoryStore {
    /// Reads the [`EligibilityFacts`] under the given startup-scan settings.
    pub async fn eligibility(
        &self,
        min_rollout_idle_hours: u32,
        max_rollout_age_days: u32,
    ) -> Result<EligibilityFacts, StateError> {
        let now_ms = self.now().saturating_mul(MILLIS_PER_SECOND);
        let idle_ms = i64::from(min_rollout_idle_hours) * MILLIS_PER_HOUR;
        let oldest_ms = now_ms.saturating_sub(i64::from(max_rollout_age_days) * MILLIS_PER_DAY);
        let newest_ms = now_ms.saturating_sub(idle_ms);
        let row: (i64, Option<i64>, i64, Option<i64>, i64, i64, i64) = sqlx::query_as(WAITING_SQL)
            .bind(oldest_ms)
            .bind(newest_ms)
            .bind(self.now())
            .fetch_one(&self.pool)
            .await
            .map_err(|source| self.query_error("read stage-1 eligibility", source))?;
        let (threads, newest, too_fresh, next_fresh_ms, too_old, eligible_now, waiting_retry) = row;
        let count = |value: i64| u64::try_from(value).unwrap_or(0);
        Ok(EligibilityFacts {
            threads: count(threads),
            newest_thread_updated_at: newest.map(|ms| ms.div_euclid(MILLIS_PER_SECOND)),
            too_fresh: count(too_fresh),
            next_eligible_at: next_fresh_ms
                .map(|ms| ms.saturating_add(idle_ms).div_euclid(MILLIS_PER_SECOND)),
            too_old: count(too_old),
            eligible_now: count(eligible_now),
            waiting_retry: count(waiting_retry),
        })
    }
}
