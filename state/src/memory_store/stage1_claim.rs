//! Stage-1 claims: one thread ([`MemoryStore::claim_stage1`]) or the startup scan
//! ([`MemoryStore::claim_stage1_startup`]). A claim moves the thread's job to `running` with a
//! fresh ownership token; it is refused when the thread version is already done, when someone
//! else holds a live lease, in backoff, with no retries left (unless the version advanced), or
//! when the running cap is reached. Both run the read and the write in one `BEGIN IMMEDIATE`.

use std::path::PathBuf;

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{
    DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, RETRIES_PER_JOB_VERSION, STAGE1_LEASE_SECONDS,
    STARTUP_THREAD_SCAN_LIMIT, key,
};
use crate::{MemoryMode, StateError, ThreadId};

/// Milliseconds per second, hour and day (thread timestamps are milliseconds).
const MILLIS_PER_SECOND: i64 = 1000;
const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// Startup defaults from the `[memories]` config (§8).
const DEFAULT_MAX_ROLLOUT_AGE_DAYS: u32 = 30;
const DEFAULT_MIN_ROLLOUT_IDLE_HOURS: u32 = 6;
const DEFAULT_MAX_ROLLOUTS_PER_STARTUP: u32 = 16;

/// Lease and cap of a single-thread claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage1ClaimParams {
    /// How long the claim owns the thread, in seconds.
    pub lease_seconds: i64,
    /// How many stage-1 jobs (other than this one) may hold a live lease for the claim to pass.
    pub running_cap: u32,
}

impl Default for Stage1ClaimParams {
    fn default() -> Self {
        Self {
            lease_seconds: STAGE1_LEASE_SECONDS,
            running_cap: DEFAULT_STAGE1_RUNNING_CAP,
        }
    }
}

/// A successful stage-1 claim: what the worker needs to extract, and the token its finisher
/// must present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage1Claim {
    /// The thread.
    pub thread_id: ThreadId,
    /// The claimer.
    pub worker_id: String,
    /// The token every finisher of this claim presents.
    pub ownership_token: String,
    /// The thread version claimed (its updated_at, in seconds).
    pub input_watermark: i64,
    /// Until when this claim owns the thread (unix seconds).
    pub lease_until: i64,
    /// The thread's rollout file.
    pub rollout_path: PathBuf,
    /// The thread's working directory.
    pub cwd: String,
    /// The thread's git branch, when recorded.
    pub git_branch: Option<String>,
}

/// What a single-thread claim did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Stage1ClaimOutcome {
    /// Claimed; the worker now owns the thread version.
    Claimed(Stage1Claim),
    /// The stored output or the last success already covers this version.
    UpToDate,
    /// Another worker holds a live lease.
    Running {
        /// When that lease ends.
        lease_until: i64,
    },
    /// The running cap is reached by other live stage-1 jobs.
    Capped {
        /// How many other stage-1 jobs hold a live lease.
        running: u32,
    },
    /// The last attempt at this version failed; it may be retried from `retry_at`.
    InBackoff {
        /// When the backoff ends (unix seconds).
        retry_at: i64,
    },
    /// Every attempt at this version failed; only a newer version is tried again.
    RetriesExhausted,
    /// The thread is not in the thread index.
    UnknownThread,
    /// The thread's memory mode is not `enabled`.
    NotEnabled {
        /// The effective mode.
        mode: MemoryMode,
    },
}

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

/// The columns a claim decision needs: the thread, its effective mode, its output's version and
/// its job row (all NULL when missing).
const CANDIDATE_COLUMNS: &str = "t.id, t.updated_at, t.rollout_path, t.cwd, t.git_branch, \
        COALESCE(m.memory_mode, t.memory_mode) AS effective_mode, \
        o.source_updated_at AS output_version, \
        j.status AS job_status, j.worker_id, j.lease_until, j.retry_at, j.retry_remaining, \
        j.input_watermark, j.last_success_watermark";

/// The joins behind [`CANDIDATE_COLUMNS`].
const CANDIDATE_FROM: &str = "FROM state.threads AS t \
    LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
    LEFT JOIN stage1_outputs AS o ON o.thread_id = t.id \
    LEFT JOIN jobs AS j ON j.kind = 'memory_stage1' AND j.job_key = t.id";

/// Stage-1 jobs holding a live lease at `?` (the running cap's count).
const LIVE_STAGE1_COUNT: &str = "SELECT COUNT(*) FROM jobs \
    WHERE kind = 'memory_stage1' AND status = 'running' AND lease_until > ?";

/// A thread with what the claim decision needs.
pub(super) struct Candidate {
    pub(super) thread_id: ThreadId,
    /// The thread's updated_at as stored (unix ms).
    pub(super) updated_at_ms: i64,
    /// The thread version: updated_at in whole seconds.
    pub(super) version: i64,
    pub(super) rollout_path: String,
    pub(super) cwd: String,
    pub(super) git_branch: Option<String>,
    pub(super) mode: MemoryMode,
    pub(super) output_version: Option<i64>,
    pub(super) job: Option<JobState>,
}

/// The claim-relevant part of a stage-1 job row.
pub(super) struct JobState {
    pub(super) status: String,
    pub(super) worker_id: Option<String>,
    pub(super) lease_until: Option<i64>,
    pub(super) retry_at: Option<i64>,
    pub(super) retry_remaining: i64,
    pub(super) input_watermark: Option<i64>,
    pub(super) last_success_watermark: Option<i64>,
}

/// A single-thread claim decision: refused with its outcome, or claimable.
pub(super) enum Decision {
    Refused(Stage1ClaimOutcome),
    Claim {
        candidate: Candidate,
        retry_remaining: i64,
    },
}

/// The claim decision for one candidate, before the cap.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    UpToDate,
    Running {
        lease_until: i64,
    },
    RetriesExhausted,
    InBackoff {
        retry_at: i64,
    },
    /// May be claimed, with this many retries; `live` when the row is this worker's own live
    /// lease (it already counts among the running jobs).
    Claimable {
        retry_remaining: i64,
        live: bool,
    },
}

/// Decides a claim for `candidate` by `worker_id` at `now`, in the order DESIGN §4 gives.
fn judge(candidate: &Candidate, worker_id: &str, now: i64) -> Verdict {
    let src = candidate.version;
    let job = candidate.job.as_ref();
    let done_through = candidate
        .output_version
        .max(job.and_then(|job| job.last_success_watermark));
    if done_through.is_some_and(|done| done >= src) {
        return Verdict::UpToDate;
    }
    let Some(job) = job else {
        return Verdict::Claimable {
            retry_remaining: RETRIES_PER_JOB_VERSION,
            live: false,
        };
    };
    let live = job.status == "running" && job.lease_until.is_some_and(|until| until > now);
    if live && job.worker_id.as_deref() != Some(worker_id) {
        return Verdict::Running {
            lease_until: job.lease_until.unwrap_or(now),
        };
    }
    // A newer version than the one last attempted lifts the backoff and refills the retries.
    let advanced = job.input_watermark.is_none_or(|attempted| src > attempted);
    if advanced {
        return Verdict::Claimable {
            retry_remaining: RETRIES_PER_JOB_VERSION,
            live,
        };
    }
    if job.retry_remaining <= 0 {
        return Verdict::RetriesExhausted;
    }
    if let Some(retry_at) = job.retry_at.filter(|retry_at| *retry_at > now) {
        return Verdict::InBackoff { retry_at };
    }
    Verdict::Claimable {
        retry_remaining: job.retry_remaining,
        live,
    }
}

impl MemoryStore {
    /// Claims stage 1 of one thread for `worker_id` (see [`Stage1ClaimOutcome`]).
    pub async fn claim_stage1(
        &self,
        thread_id: ThreadId,
        worker_id: &str,
        params: &Stage1ClaimParams,
    ) -> Result<Stage1ClaimOutcome, StateError> {
        self.retry_busy(|| self.try_claim_stage1(thread_id, worker_id, params))
            .await
    }

    async fn try_claim_stage1(
        &self,
        thread_id: ThreadId,
        worker_id: &str,
        params: &Stage1ClaimParams,
    ) -> Result<Stage1ClaimOutcome, StateError> {
        const OPERATION: &str = "claim stage-1 job";
        // A refusal writes nothing, so one decided on a plain read is as true as one decided
        // under the lock (it holds at the read's snapshot); only a claim needs the lock.
        let now = self.now();
        let row = self
            .read_single_candidate(&self.pool, thread_id, now)
            .await?;
        let (candidate, retry_remaining) = match self.decide_single(row, worker_id, params, now)? {
            Decision::Refused(outcome) => return Ok(outcome),
            Decision::Claim {
                candidate,
                retry_remaining,
            } => (candidate, retry_remaining),
        };
        // Fast path: one compare-and-swap statement (see `stage1_fast_claim.rs`).
        let fast = self
            .claim_if_unchanged(&candidate, worker_id, params, now, retry_remaining)
            .await?;
        if let Some(claim) = fast {
            return Ok(Stage1ClaimOutcome::Claimed(claim));
        }
        // Something changed since the read: decide again under the lock.
        // Race prevented: two workers reading the same expired (or missing) job row and both
        // claiming it, and two claimers each seeing `cap - 1` running jobs and both starting.
        // BEGIN IMMEDIATE takes the write lock before the decision is read again, so the row
        // and the count cannot change between that read and the write below.
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let now = self.now();
        let row = self
            .read_single_candidate(&mut *transaction, thread_id, now)
            .await?;
        let (candidate, retry_remaining) = match self.decide_single(row, worker_id, params, now)? {
            Decision::Refused(outcome) => {
                self.rollback(transaction, OPERATION).await?;
                return Ok(outcome);
            }
            Decision::Claim {
                candidate,
                retry_remaining,
            } => (candidate, retry_remaining),
        };
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
        self.commit(transaction, OPERATION).await?;
        Ok(Stage1ClaimOutcome::Claimed(claim))
    }

    /// The thread, its output, its job and the live running count, in one statement.
    pub(super) async fn read_single_candidate<'e, E>(
        &self,
        executor: E,
        thread_id: ThreadId,
        now: i64,
    ) -> Result<Option<SqliteRow>, StateError>
    where
        E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
    {
        let sql = format!(
            "SELECT {CANDIDATE_COLUMNS}, ({LIVE_STAGE1_COUNT}) AS live_running \
             {CANDIDATE_FROM} WHERE t.id = ?"
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(key(thread_id))
            .fetch_optional(executor)
            .await
            .map_err(|source| self.query_error("read stage-1 claim candidate", source))
    }

    /// The single-thread claim decision, in the order DESIGN §4 gives, with the running cap.
    pub(super) fn decide_single(
        &self,
        row: Option<SqliteRow>,
        worker_id: &str,
        params: &Stage1ClaimParams,
        now: i64,
    ) -> Result<Decision, StateError> {
        let Some(row) = row else {
            return Ok(Decision::Refused(Stage1ClaimOutcome::UnknownThread));
        };
        let candidate = self.candidate_from_row(&row)?;
        if candidate.mode != MemoryMode::Enabled {
            return Ok(Decision::Refused(Stage1ClaimOutcome::NotEnabled {
                mode: candidate.mode,
            }));
        }
        let refused = match judge(&candidate, worker_id, now) {
            Verdict::UpToDate => Stage1ClaimOutcome::UpToDate,
            Verdict::Running { lease_until } => Stage1ClaimOutcome::Running { lease_until },
            Verdict::RetriesExhausted => Stage1ClaimOutcome::RetriesExhausted,
            Verdict::InBackoff { retry_at } => Stage1ClaimOutcome::InBackoff { retry_at },
            Verdict::Claimable {
                retry_remaining,
                live,
            } => {
                let live_running: i64 = row.try_get("live_running").map_err(|error| {
                    self.bad_row("claim candidate".to_string(), error.to_string())
                })?;
                let running = u32::try_from(live_running)
                    .unwrap_or(u32::MAX)
                    .saturating_sub(u32::from(live));
                if running < params.running_cap {
                    return Ok(Decision::Claim {
                        candidate,
                        retry_remaining,
                    });
                }
                Stage1ClaimOutcome::Capped { running }
            }
        };
        Ok(Decision::Refused(refused))
    }

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

    /// Stage-1 jobs holding a live lease.
    async fn count_live_stage1(
        &self,
        connection: &mut SqliteConnection,
        now: i64,
    ) -> Result<u32, StateError> {
        let (count,): (i64,) = sqlx::query_as(LIVE_STAGE1_COUNT)
            .bind(now)
            .fetch_one(connection)
            .await
            .map_err(|source| self.query_error("count running stage-1 jobs", source))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Moves the candidate's job row to `running` under a fresh token. Only called inside a
    /// `BEGIN IMMEDIATE` transaction that has just judged the row claimable.
    async fn write_stage1_claim(
        &self,
        connection: &mut SqliteConnection,
        candidate: &Candidate,
        worker_id: &str,
        now: i64,
        lease_seconds: i64,
        retry_remaining: i64,
    ) -> Result<Stage1Claim, StateError> {
        let token = uuid::Uuid::new_v4().to_string();
        let lease_until = now.saturating_add(lease_seconds);
        sqlx::query(
            "INSERT INTO jobs (kind, job_key, status, worker_id, ownership_token, started_at, \
                               lease_until, retry_at, retry_remaining, input_watermark) \
             VALUES ('memory_stage1', ?1, 'running', ?2, ?3, ?4, ?5, NULL, ?6, ?7) \
             ON CONFLICT (kind, job_key) DO UPDATE SET \
                 status = 'running', worker_id = ?2, ownership_token = ?3, started_at = ?4, \
                 lease_until = ?5, retry_at = NULL, retry_remaining = ?6, input_watermark = ?7",
        )
        .bind(key(candidate.thread_id))
        .bind(worker_id)
        .bind(&token)
        .bind(now)
        .bind(lease_until)
        .bind(retry_remaining)
        .bind(candidate.version)
        .execute(connection)
        .await
        .map_err(|source| self.query_error("write stage-1 claim", source))?;
        Ok(candidate.claim(worker_id, token, lease_until))
    }

    fn candidate_from_row(&self, row: &SqliteRow) -> Result<Candidate, StateError> {
        let get =
            |error: sqlx::Error| self.bad_row("claim candidate".to_string(), error.to_string());
        let id_text: String = row.try_get("id").map_err(get)?;
        let thread_id = self.parse_thread_id(&id_text, "threads.id")?;
        let mode_text: String = row.try_get("effective_mode").map_err(get)?;
        let mode = MemoryMode::parse(&mode_text).ok_or_else(|| {
            self.bad_row(
                format!("memory mode of {thread_id}"),
                format!("unknown mode {mode_text:?}"),
            )
        })?;
        let updated_at_ms: i64 = row.try_get("updated_at").map_err(get)?;
        let status: Option<String> = row.try_get("job_status").map_err(get)?;
        let job = match status {
            None => None,
            Some(status) => Some(JobState {
                status,
                worker_id: row.try_get("worker_id").map_err(get)?,
                lease_until: row.try_get("lease_until").map_err(get)?,
                retry_at: row.try_get("retry_at").map_err(get)?,
                retry_remaining: row.try_get("retry_remaining").map_err(get)?,
                input_watermark: row.try_get("input_watermark").map_err(get)?,
                last_success_watermark: row.try_get("last_success_watermark").map_err(get)?,
            }),
        };
        Ok(Candidate {
            thread_id,
            updated_at_ms,
            version: updated_at_ms.div_euclid(MILLIS_PER_SECOND),
            rollout_path: row.try_get("rollout_path").map_err(get)?,
            cwd: row.try_get("cwd").map_err(get)?,
            git_branch: row.try_get("git_branch").map_err(get)?,
            mode,
            output_version: row.try_get("output_version").map_err(get)?,
            job,
        })
    }
}

impl Candidate {
    /// The claim of this candidate under `token`.
    pub(super) fn claim(&self, worker_id: &str, token: String, lease_until: i64) -> Stage1Claim {
        Stage1Claim {
            thread_id: self.thread_id,
            worker_id: worker_id.to_string(),
            ownership_token: token,
            input_watermark: self.version,
            lease_until,
            rollout_path: PathBuf::from(&self.rollout_path),
            cwd: self.cwd.clone(),
            git_branch: self.git_branch.clone(),
        }
    }
}

/// The startup window on thread updated_at (unix ms): (oldest allowed, newest allowed).
fn startup_window_millis(params: &StartupScanParams, now: i64) -> (i64, i64) {
    let now_ms = now.saturating_mul(MILLIS_PER_SECOND);
    let oldest = now_ms.saturating_sub(i64::from(params.max_rollout_age_days) * MILLIS_PER_DAY);
    let newest = now_ms.saturating_sub(i64::from(params.min_rollout_idle_hours) * MILLIS_PER_HOUR);
    (oldest, newest)
}
