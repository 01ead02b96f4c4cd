//! Stage-1 claims of one thread ([`MemoryStore::claim_stage1`]) and the decision rules the
//! startup scan (`stage1_startup.rs`) shares. A claim moves the thread's job to `running` with a
//! fresh ownership token; it is refused when the thread version is already done, when any worker
//! (the claimer itself included) holds a live lease, in backoff, with no retries left (unless the
//! version advanced), or when the running cap is reached. Taking over an expired lease counts the
//! dead worker's attempt; the last one marks the job `error` instead (`stage1_abandon.rs`). A
//! refusal is read; a claim is written by one atomic compare-and-swap statement or, failing that,
//! under `BEGIN IMMEDIATE`.

use std::path::PathBuf;

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{
    DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, RETRIES_PER_JOB_VERSION, STAGE1_LEASE_SECONDS,
    bounded_lease, key, lease_horizon, lease_is_live, live_lease_sql,
};
use crate::{MemoryMode, StateError, ThreadId};
use codex_protocol::Agent;

/// Milliseconds per second (thread timestamps are milliseconds).
pub(super) const MILLIS_PER_SECOND: i64 = 1000;

/// Lease and cap of a single-thread claim. Start from [`Stage1ClaimParams::default`] and change
/// what you need with the `with_*` setters (more settings may come).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stage1ClaimParams {
    /// How long the claim owns the thread, in seconds (at most [`super::MAX_LEASE_SECONDS`]).
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

impl Stage1ClaimParams {
    /// With a lease of `lease_seconds`.
    pub fn with_lease_seconds(mut self, lease_seconds: i64) -> Self {
        self.lease_seconds = lease_seconds;
        self
    }

    /// With a running cap of `running_cap` other live leases.
    pub fn with_running_cap(mut self, running_cap: u32) -> Self {
        self.running_cap = running_cap;
        self
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
    /// The agent that wrote the session (which format to read it in).
    pub agent: Agent,
}

/// What a single-thread claim did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
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
    /// Every attempt at this version failed (or its worker died each time, and the job is now
    /// marked `error`); only a newer version is tried again.
    RetriesExhausted,
    /// The thread is not in the thread index.
    UnknownThread,
    /// The thread's memory mode is not `enabled`.
    NotEnabled {
        /// The effective mode.
        mode: MemoryMode,
    },
}

/// The columns a claim decision needs: the thread, its effective mode, its output's version and
/// its job row (all NULL when missing).
pub(super) const CANDIDATE_COLUMNS: &str = "t.id, t.updated_at, t.rollout_path, t.cwd, t.git_branch, t.agent, \
        COALESCE(m.memory_mode, t.memory_mode) AS effective_mode, \
        o.source_updated_at AS output_version, \
        j.status AS job_status, j.worker_id, j.ownership_token, j.lease_until, j.retry_at, \
        j.retry_remaining, j.input_watermark, j.last_success_watermark, \
        COALESCE(j.reextract, 0) AS reextract";

/// The joins behind [`CANDIDATE_COLUMNS`].
pub(super) const CANDIDATE_FROM: &str = "FROM state.threads AS t \
    LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
    LEFT JOIN stage1_outputs AS o ON o.thread_id = t.id \
    LEFT JOIN jobs AS j ON j.kind = 'memory_stage1' AND j.job_key = t.id";

/// Stage-1 jobs holding a live lease at `?1` (now) with leases ending by `?2` (the horizon): the
/// running cap's count.
fn live_stage1_count() -> String {
    format!(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND {}",
        live_lease_sql("?1", "?2")
    )
}

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
    pub(super) agent: Agent,
    pub(super) mode: MemoryMode,
    pub(super) output_version: Option<i64>,
    pub(super) job: Option<JobState>,
}

/// The claim-relevant part of a stage-1 job row.
pub(super) struct JobState {
    pub(super) status: String,
    pub(super) worker_id: Option<String>,
    pub(super) ownership_token: Option<String>,
    pub(super) lease_until: Option<i64>,
    pub(super) retry_at: Option<i64>,
    pub(super) retry_remaining: i64,
    pub(super) input_watermark: Option<i64>,
    pub(super) last_success_watermark: Option<i64>,
    /// A person asked for the last success to be made again (`extract --reextract`).
    pub(super) reextract: bool,
}

/// A single-thread claim decision: refused with its outcome, or claimable.
pub(super) enum Decision {
    Refused(Stage1ClaimOutcome),
    Claim {
        candidate: Candidate,
        retry_remaining: i64,
    },
    /// The job's worker died on its last attempt: mark it `error` (under the lock).
    Abandon {
        candidate: Candidate,
    },
}

/// The claim decision for one candidate, before the cap.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    UpToDate,
    Running {
        lease_until: i64,
    },
    RetriesExhausted,
    /// The job was `running` under a lease that expired, and that was its last attempt at this
    /// version: it is to be marked `error` with no retries left.
    Abandoned,
    InBackoff {
        retry_at: i64,
    },
    /// May be claimed, with this many retries.
    Claimable {
        retry_remaining: i64,
    },
}

/// Decides a claim for `candidate` at `now`, in the order DESIGN §4 gives. Who asks does not
/// matter: a live lease is refused to every worker, its own holder included (a worker that lost
/// track of its claim must not run the same thread twice).
pub(super) fn judge(candidate: &Candidate, now: i64) -> Verdict {
    let src = candidate.version;
    let job = candidate.job.as_ref();
    let done_through = candidate
        .output_version
        .max(job.and_then(|job| job.last_success_watermark));
    let reextract = job.is_some_and(|job| job.reextract);
    if !reextract && done_through.is_some_and(|done| done >= src) {
        return Verdict::UpToDate;
    }
    let Some(job) = job else {
        return Verdict::Claimable {
            retry_remaining: RETRIES_PER_JOB_VERSION,
        };
    };
    let running = job.status == "running";
    if running && lease_is_live(job.lease_until, now) {
        return Verdict::Running {
            lease_until: job.lease_until.unwrap_or(now),
        };
    }
    // A newer version than the one last attempted lifts the backoff and refills the retries.
    let advanced = job.input_watermark.is_none_or(|attempted| src > attempted);
    if advanced {
        return Verdict::Claimable {
            retry_remaining: RETRIES_PER_JOB_VERSION,
        };
    }
    if running {
        // Taking over an expired lease: the worker that held it died (OOM, killed, hung past its
        // lease) during an attempt, which counts like a failure, so a session that kills its
        // worker every time ends as a visible error instead of an endless loop.
        let left = job.retry_remaining.saturating_sub(1);
        if left <= 0 {
            return Verdict::Abandoned;
        }
        return Verdict::Claimable {
            retry_remaining: left,
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
        match self.decide_single(row, params, now)? {
            Decision::Refused(outcome) => return Ok(outcome),
            Decision::Claim {
                candidate,
                retry_remaining,
            } => {
                // Fast path: one compare-and-swap statement (see `stage1_fast_claim.rs`).
                let fast = self
                    .claim_if_unchanged(&candidate, worker_id, params, now, retry_remaining)
                    .await?;
                if let Some(claim) = fast {
                    return Ok(Stage1ClaimOutcome::Claimed(claim));
                }
            }
            // Marking the job abandoned is a write: decided again under the lock below.
            Decision::Abandon { .. } => {}
        }
        // Something changed since the read (or there is something to write): decide again under
        // the lock.
        // Race prevented: two workers reading the same expired (or missing) job row and both
        // claiming it, and two claimers each seeing `cap - 1` running jobs and both starting.
        // BEGIN IMMEDIATE takes the write lock before the decision is read again, so the row
        // and the count cannot change between that read and the write below.
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let now = self.now();
        let row = self
            .read_single_candidate(&mut *transaction, thread_id, now)
            .await?;
        let (candidate, retry_remaining) = match self.decide_single(row, params, now)? {
            Decision::Refused(outcome) => {
                self.rollback(transaction, OPERATION).await?;
                return Ok(outcome);
            }
            Decision::Abandon { candidate } => {
                self.write_stage1_abandoned(&mut transaction, &candidate, now)
                    .await?;
                self.commit(transaction, OPERATION).await?;
                return Ok(Stage1ClaimOutcome::RetriesExhausted);
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
            "SELECT {CANDIDATE_COLUMNS}, ({}) AS live_running {CANDIDATE_FROM} WHERE t.id = ?3",
            live_stage1_count()
        );
        sqlx::query(&sql)
            .bind(now)
            .bind(lease_horizon(now))
            .bind(key(thread_id))
            .fetch_optional(executor)
            .await
            .map_err(|source| self.query_error("read stage-1 claim candidate", source))
    }

    /// The single-thread claim decision, in the order DESIGN §4 gives, with the running cap.
    pub(super) fn decide_single(
        &self,
        row: Option<SqliteRow>,
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
        let refused = match judge(&candidate, now) {
            Verdict::UpToDate => Stage1ClaimOutcome::UpToDate,
            Verdict::Running { lease_until } => Stage1ClaimOutcome::Running { lease_until },
            Verdict::RetriesExhausted => Stage1ClaimOutcome::RetriesExhausted,
            Verdict::Abandoned => return Ok(Decision::Abandon { candidate }),
            Verdict::InBackoff { retry_at } => Stage1ClaimOutcome::InBackoff { retry_at },
            Verdict::Claimable { retry_remaining } => {
                let live_running: i64 = row.try_get("live_running").map_err(|error| {
                    self.bad_row("claim candidate".to_string(), error.to_string())
                })?;
                // The candidate's own row is never live here (a live lease is refused above).
                let running = u32::try_from(live_running).unwrap_or(u32::MAX);
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

    /// Stage-1 jobs holding a live lease.
    pub(super) async fn count_live_stage1(
        &self,
        connection: &mut SqliteConnection,
        now: i64,
    ) -> Result<u32, StateError> {
        let (count,): (i64,) = sqlx::query_as(&live_stage1_count())
            .bind(now)
            .bind(lease_horizon(now))
            .fetch_one(connection)
            .await
            .map_err(|source| self.query_error("count running stage-1 jobs", source))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    /// Moves the candidate's job row to `running` under a fresh token. Only called inside a
    /// `BEGIN IMMEDIATE` transaction that has just judged the row claimable.
    pub(super) async fn write_stage1_claim(
        &self,
        connection: &mut SqliteConnection,
        candidate: &Candidate,
        worker_id: &str,
        now: i64,
        lease_seconds: i64,
        retry_remaining: i64,
    ) -> Result<Stage1Claim, StateError> {
        let token = uuid::Uuid::new_v4().to_string();
        let lease_until = now.saturating_add(bounded_lease(lease_seconds));
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

    pub(super) fn candidate_from_row(&self, row: &SqliteRow) -> Result<Candidate, StateError> {
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
                ownership_token: row.try_get("ownership_token").map_err(get)?,
                lease_until: row.try_get("lease_until").map_err(get)?,
                retry_at: row.try_get("retry_at").map_err(get)?,
                retry_remaining: row.try_get("retry_remaining").map_err(get)?,
                input_watermark: row.try_get("input_watermark").map_err(get)?,
                last_success_watermark: row.try_get("last_success_watermark").map_err(get)?,
                reextract: row.try_get::<i64, _>("reextract").map_err(get)? != 0,
            }),
        };
        Ok(Candidate {
            thread_id,
            updated_at_ms,
            version: updated_at_ms.div_euclid(MILLIS_PER_SECOND),
            rollout_path: row.try_get("rollout_path").map_err(get)?,
            cwd: row.try_get("cwd").map_err(get)?,
            git_branch: row.try_get("git_branch").map_err(get)?,
            agent: parse_agent(row.try_get("agent").map_err(get)?),
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
            agent: self.agent,
        }
    }
}

/// The stored agent name; an unknown one (a newer build's) reads as Codex's format.
pub(super) fn parse_agent(name: String) -> Agent {
    name.parse().unwrap_or_default()
}
