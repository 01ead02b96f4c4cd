//! The startup scan: at the start of a run, claim up to `max_claims` stage-1 jobs among the
//! enabled, non-archived, idle-enough threads updated within the age window, newest first,
//! looking at no more than `scan_limit` of them. The scan, every decision and every claim share
//! one `BEGIN IMMEDIATE` transaction; the skip counts per reason are for the report only.

use serde::Serialize;

use super::stage1_claim::{CANDIDATE_COLUMNS, CANDIDATE_FROM, MILLIS_PER_SECOND, Verdict, judge};
use super::{
    DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, STAGE1_LEASE_SECONDS, STARTUP_THREAD_SCAN_LIMIT, key,
};
use crate::memory_store::Stage1Claim;
use crate::{StateError, ThreadId};

/// Milliseconds per hour and per day (thread timestamps are milliseconds).
const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// Startup defaults from the `[memories]` config (§8).
const DEFAULT_MAX_ROLLOUT_AGE_DAYS: u32 = 30;
const DEFAULT_MIN_ROLLOUT_IDLE_HOURS: u32 = 6;
const DEFAULT_MAX_ROLLOUTS_PER_STARTUP: u32 = 16;

/// What the startup scan looks at and how much it may claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartupScanParams {
    /// The caller's own thread, never claimed.
    pub exclude_thread: Option<ThreadId>,
    /// Only threads updated within this many days.
    pub max_rollout_age_days: u32,
    /// Only threads idle (not updated) for at least this many hours.
    pub min_rollout_idle_hours: u32,
    /// Stop after this many claims (`max_rollouts_per_startup`).
    pub max_claims: u32,
    /// Look at no more than this many eligible threads, newest first.
    pub scan_limit: u32,
    /// How many stage-1 jobs may hold a live lease at once.
    pub running_cap: u32,
    /// How long each claim owns its thread, in seconds.
    pub lease_seconds: i64,
}

impl Default for StartupScanParams {
    fn default() -> Self {
        Self {
            exclude_thread: None,
            max_rollout_age_days: DEFAULT_MAX_ROLLOUT_AGE_DAYS,
            min_rollout_idle_hours: DEFAULT_MIN_ROLLOUT_IDLE_HOURS,
            max_claims: DEFAULT_MAX_ROLLOUTS_PER_STARTUP,
            scan_limit: STARTUP_THREAD_SCAN_LIMIT,
            running_cap: DEFAULT_STAGE1_RUNNING_CAP,
            lease_seconds: STAGE1_LEASE_SECONDS,
        }
    }
}

/// Why threads were not claimed by a startup scan, counted per reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StartupSkips {
    /// Already extracted at this version.
    pub up_to_date: u64,
    /// Leased by another worker.
    pub running: u64,
    /// Refused because the running cap was reached.
    pub capped: u64,
    /// Failed recently; waiting for `retry_at`.
    pub in_backoff: u64,
    /// No attempts left at this version.
    pub retries_exhausted: u64,
    /// Updated less than `min_rollout_idle_hours` ago.
    pub too_fresh: u64,
    /// Not updated within `max_rollout_age_days`.
    pub too_old: u64,
    /// Memory mode `disabled` or `polluted`.
    pub not_enabled: u64,
    /// Archived threads.
    pub archived: u64,
}

/// What a startup scan claimed and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StartupClaimReport {
    /// The claims, newest thread first.
    pub claimed: Vec<Stage1Claim>,
    /// How many eligible threads were looked at before stopping.
    pub examined: u64,
    /// Why the others were not claimed.
    pub skipped: StartupSkips,
}

impl MemoryStore {
    /// The startup scan: claims up to `max_claims` enabled, non-archived, idle-enough threads
    /// updated within the age window, newest first, looking at no more than `scan_limit`.
    pub async fn claim_stage1_startup(
        &self,
        params: &StartupScanParams,
        worker_id: &str,
    ) -> Result<StartupClaimReport, StateError> {
        let now = self.now();
        let mut report = self
            .retry_busy(|| self.try_claim_stage1_startup(params, worker_id, now))
            .await?;
        self.count_ineligible(params, now, &mut report.skipped)
            .await?;
        Ok(report)
    }

    async fn try_claim_stage1_startup(
        &self,
        params: &StartupScanParams,
        worker_id: &str,
        now: i64,
    ) -> Result<StartupClaimReport, StateError> {
        const OPERATION: &str = "startup stage-1 claim";
        let mut report = StartupClaimReport::default();
        if params.max_claims == 0 {
            return Ok(report);
        }
        let (oldest_ms, newest_ms) = startup_window_millis(params, now);
        // Race prevented: two processes starting at once and scanning the same threads. The scan,
        // every decision and every claim share one BEGIN IMMEDIATE transaction, so the second
        // scan sees the first one's claims as live leases (and counts them against the cap).
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let sql = format!(
            "SELECT {CANDIDATE_COLUMNS} {CANDIDATE_FROM} \
             WHERE t.archived = 0 AND COALESCE(m.memory_mode, t.memory_mode) = 'enabled' \
               AND (?1 IS NULL OR t.id != ?1) AND t.updated_at >= ?2 AND t.updated_at <= ?3 \
             ORDER BY t.updated_at DESC, t.id DESC LIMIT ?4"
        );
        let rows = sqlx::query(&sql)
            .bind(params.exclude_thread.map(key))
            .bind(oldest_ms)
            .bind(newest_ms)
            .bind(i64::from(params.scan_limit))
            .fetch_all(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
        let mut running = self.count_live_stage1(&mut transaction, now).await?;
        for row in &rows {
            if report.claimed.len() >= params.max_claims as usize {
                break;
            }
            report.examined += 1;
            let candidate = self.candidate_from_row(row)?;
            let skipped = &mut report.skipped;
            let (retry_remaining, live) = match judge(&candidate, worker_id, now) {
                Verdict::UpToDate => {
                    skipped.up_to_date += 1;
                    continue;
                }
                Verdict::Running { .. } => {
                    skipped.running += 1;
                    continue;
                }
                Verdict::RetriesExhausted => {
                    skipped.retries_exhausted += 1;
                    continue;
                }
                Verdict::InBackoff { .. } => {
                    skipped.in_backoff += 1;
                    continue;
                }
                Verdict::Claimable {
                    retry_remaining,
                    live,
                } => (retry_remaining, live),
            };
            if running.saturating_sub(u32::from(live)) >= params.running_cap {
                skipped.capped += 1;
                continue;
            }
            let claim = self
                .write_stage1_claim(
                    &mut transaction,
                    &candidate,
                    worker_id,
                    now,
                    params.lease_seconds,
                    retry_remaining,
                )
                .await?;
            if !live {
                running += 1;
            }
            report.claimed.push(claim);
        }
        self.commit(transaction, OPERATION).await?;
        Ok(report)
    }

    /// Counts the threads the startup scan's filter left out, per reason (a plain read, outside
    /// the claim transaction: the figures are for the report only).
    async fn count_ineligible(
        &self,
        params: &StartupScanParams,
        now: i64,
        skipped: &mut StartupSkips,
    ) -> Result<(), StateError> {
        let (oldest_ms, newest_ms) = startup_window_millis(params, now);
        let (archived, not_enabled, too_old, too_fresh): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT \
                 COALESCE(SUM(archived = 1), 0), \
                 COALESCE(SUM(archived = 0 AND mode != 'enabled'), 0), \
                 COALESCE(SUM(archived = 0 AND mode = 'enabled' AND updated_at < ?2), 0), \
                 COALESCE(SUM(archived = 0 AND mode = 'enabled' AND updated_at > ?3), 0) \
             FROM (SELECT t.archived, t.updated_at, \
                          COALESCE(m.memory_mode, t.memory_mode) AS mode \
                   FROM state.threads AS t \
                   LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
                   WHERE ?1 IS NULL OR t.id != ?1)",
        )
        .bind(params.exclude_thread.map(key))
        .bind(oldest_ms)
        .bind(newest_ms)
        .fetch_one(&self.pool)
        .await
        .map_err(|source| self.query_error("count ineligible threads", source))?;
        skipped.archived = u64::try_from(archived).unwrap_or(0);
        skipped.not_enabled = u64::try_from(not_enabled).unwrap_or(0);
        skipped.too_old = u64::try_from(too_old).unwrap_or(0);
        skipped.too_fresh = u64::try_from(too_fresh).unwrap_or(0);
        Ok(())
    }
}

/// The startup window on thread updated_at (unix ms): (oldest allowed, newest allowed).
fn startup_window_millis(params: &StartupScanParams, now: i64) -> (i64, i64) {
    let now_ms = now.saturating_mul(MILLIS_PER_SECOND);
    let oldest = now_ms.saturating_sub(i64::from(params.max_rollout_age_days) * MILLIS_PER_DAY);
    let newest = now_ms.saturating_sub(i64::from(params.min_rollout_idle_hours) * MILLIS_PER_HOUR);
    (oldest, newest)
}
