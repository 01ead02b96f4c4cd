//! The rows of the memories DB as Rust values (`jobs`, `stage1_outputs`) and the two plain reads
//! that return them. Reading never changes anything; the writers live beside their operations.

use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{MemoryStore, key};
use crate::{StateError, ThreadId};

/// Which pipeline step a job row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobKind {
    /// Stage 1 of one thread; the job key is the thread id.
    Stage1,
    /// The global consolidation (phase 2); the job key is `global`.
    ConsolidateGlobal,
}

impl JobKind {
    /// The stored name: `memory_stage1` or `memory_consolidate_global`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stage1 => "memory_stage1",
            Self::ConsolidateGlobal => "memory_consolidate_global",
        }
    }
}

/// A job's status column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobStatus {
    /// Waiting to be claimed (phase 2 after an enqueue).
    Pending,
    /// Claimed; owned by its ownership token until `lease_until`.
    Running,
    /// Finished successfully.
    Done,
    /// Finished with an error; claimable again from `retry_at`.
    Error,
}

impl JobStatus {
    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// One row of `jobs`. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRow {
    /// The job's kind.
    pub kind: JobKind,
    /// The thread id (stage 1) or `global` (phase 2).
    pub job_key: String,
    /// The status.
    pub status: JobStatus,
    /// Who claimed it last.
    pub worker_id: Option<String>,
    /// The token of the current (or last) claim.
    pub ownership_token: Option<String>,
    /// When it was last claimed.
    pub started_at: Option<i64>,
    /// When it last finished (success or failure).
    pub finished_at: Option<i64>,
    /// Until when the running claim owns it.
    pub lease_until: Option<i64>,
    /// From when a failed job may be claimed again.
    pub retry_at: Option<i64>,
    /// Attempts left for this input version.
    pub retry_remaining: i64,
    /// Why the last finish failed; `None` after a success.
    pub last_error: Option<String>,
    /// The input version of the current claim (stage 1: the thread version) or the enqueue
    /// watermark (phase 2).
    pub input_watermark: Option<i64>,
    /// The input version of the last success.
    pub last_success_watermark: Option<i64>,
    /// Phase 2: the next claim ignores the success cooldown, because the last success left work
    /// enqueued during its run pending. Always `false` for stage 1.
    pub skip_cooldown: bool,
}

/// One row of `stage1_outputs`. Times are unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stage1OutputRow {
    /// The thread.
    pub thread_id: ThreadId,
    /// The thread version (its updated_at in seconds) this memory was built from.
    pub source_updated_at: i64,
    /// The raw memory.
    pub raw_memory: String,
    /// The rollout summary.
    pub rollout_summary: String,
    /// A short slug naming the rollout, if the model gave one.
    pub rollout_slug: Option<String>,
    /// When it was stored.
    pub generated_at: i64,
    /// How many answers cited it.
    pub usage_count: i64,
    /// When it was last cited.
    pub last_usage: Option<i64>,
    /// Whether the last successful phase 2 consumed it.
    pub selected_for_phase2: bool,
    /// The version that phase 2 consumed.
    pub selected_for_phase2_source_updated_at: Option<i64>,
}

/// Every `jobs` column, in the order [`MemoryStore::job_from_row`] reads them.
pub(super) const JOB_COLUMNS: &str = "kind, job_key, status, worker_id, ownership_token, \
    started_at, finished_at, lease_until, retry_at, retry_remaining, last_error, \
    input_watermark, last_success_watermark, skip_cooldown";

/// Every `stage1_outputs` column.
pub(super) const OUTPUT_COLUMNS: &str = "thread_id, source_updated_at, raw_memory, \
    rollout_summary, rollout_slug, generated_at, usage_count, last_usage, selected_for_phase2, \
    selected_for_phase2_source_updated_at";

impl MemoryStore {
    /// The job row of `kind` under `job_key` (a thread id, or [`super::PHASE2_JOB_KEY`]).
    pub async fn job(&self, kind: JobKind, job_key: &str) -> Result<Option<JobRow>, StateError> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE kind = ? AND job_key = ?");
        let row = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(job_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| self.query_error("read job", source))?;
        row.map(|row| self.job_from_row(&row)).transpose()
    }

    /// The stage-1 output of `thread_id`, if it has one.
    pub async fn stage1_output(
        &self,
        thread_id: ThreadId,
    ) -> Result<Option<Stage1OutputRow>, StateError> {
        let sql = format!("SELECT {OUTPUT_COLUMNS} FROM stage1_outputs WHERE thread_id = ?");
        let row = sqlx::query(&sql)
            .bind(key(thread_id))
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| self.query_error("read stage-1 output", source))?;
        row.map(|row| self.output_from_row(&row)).transpose()
    }

    pub(super) fn job_from_row(&self, row: &SqliteRow) -> Result<JobRow, StateError> {
        let get = |error: sqlx::Error| self.bad_row("jobs row".to_string(), error.to_string());
        let kind_text: String = row.try_get("kind").map_err(get)?;
        let job_key: String = row.try_get("job_key").map_err(get)?;
        let kind = match kind_text.as_str() {
            "memory_stage1" => JobKind::Stage1,
            "memory_consolidate_global" => JobKind::ConsolidateGlobal,
            other => {
                return Err(self.bad_row(
                    format!("jobs.kind of {job_key}"),
                    format!("unknown kind {other:?}"),
                ));
            }
        };
        let status_text: String = row.try_get("status").map_err(get)?;
        let status = JobStatus::parse(&status_text).ok_or_else(|| {
            self.bad_row(
                format!("jobs.status of {kind_text}/{job_key}"),
                format!("unknown status {status_text:?}"),
            )
        })?;
        Ok(JobRow {
            kind,
            job_key,
            status,
            worker_id: row.try_get("worker_id").map_err(get)?,
            ownership_token: row.try_get("ownership_token").map_err(get)?,
            started_at: row.try_get("started_at").map_err(get)?,
            finished_at: row.try_get("finished_at").map_err(get)?,
            lease_until: row.try_get("lease_until").map_err(get)?,
            retry_at: row.try_get("retry_at").map_err(get)?,
            retry_remaining: row.try_get("retry_remaining").map_err(get)?,
            last_error: row.try_get("last_error").map_err(get)?,
            input_watermark: row.try_get("input_watermark").map_err(get)?,
            last_success_watermark: row.try_get("last_success_watermark").map_err(get)?,
            skip_cooldown: row.try_get("skip_cooldown").map_err(get)?,
        })
    }

    pub(super) fn output_from_row(&self, row: &SqliteRow) -> Result<Stage1OutputRow, StateError> {
        let get =
            |error: sqlx::Error| self.bad_row("stage1_outputs row".to_string(), error.to_string());
        let id_text: String = row.try_get("thread_id").map_err(get)?;
        Ok(Stage1OutputRow {
            thread_id: self.parse_thread_id(&id_text, "stage1_outputs.thread_id")?,
            source_updated_at: row.try_get("source_updated_at").map_err(get)?,
            raw_memory: row.try_get("raw_memory").map_err(get)?,
            rollout_summary: row.try_get("rollout_summary").map_err(get)?,
            rollout_slug: row.try_get("rollout_slug").map_err(get)?,
            generated_at: row.try_get("generated_at").map_err(get)?,
            usage_count: row.try_get("usage_count").map_err(get)?,
            last_usage: row.try_get("last_usage").map_err(get)?,
            selected_for_phase2: row.try_get("selected_for_phase2").map_err(get)?,
            selected_for_phase2_source_updated_at: row
                .try_get("selected_for_phase2_source_updated_at")
                .map_err(get)?,
        })
    }

    pub(super) fn parse_thread_id(
        &self,
        text: &str,
        column: &'static str,
    ) -> Result<ThreadId, StateError> {
        text.parse::<ThreadId>()
            .map_err(|error| self.bad_row(format!("{column} {text:?}"), error.to_string()))
    }
}
