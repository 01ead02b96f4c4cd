//! A stage-1 job whose worker died on its last attempt: the claim that finds its lease expired
//! with no retries left does not take it over but marks it `error` with none left, saying why, so
//! a session that kills its worker every time (out of memory, a hang past the lease) shows up in
//! `status` instead of being taken over forever. A newer thread version refills the retries.

use sqlx::SqliteConnection;

use super::stage1_claim::Candidate;
use super::{MemoryStore, key};
use crate::StateError;

/// The `last_error` of a job whose worker died on every attempt at its version.
pub const STAGE1_ABANDONED_REASON: &str = "the extraction stopped without finishing on every attempt \
    (the process ended or hung past its lease each time); it is tried again when the session \
    changes";

impl MemoryStore {
    /// Marks the candidate's expired `running` job `error` with no retries left. Only called
    /// inside a `BEGIN IMMEDIATE` transaction that has just judged it abandoned; the token is
    /// matched too, so a row changed since (a newer claim) is left alone.
    pub(super) async fn write_stage1_abandoned(
        &self,
        connection: &mut SqliteConnection,
        candidate: &Candidate,
        now: i64,
    ) -> Result<(), StateError> {
        let token = candidate
            .job
            .as_ref()
            .and_then(|job| job.ownership_token.clone());
        sqlx::query(
            "UPDATE jobs SET status = 'error', finished_at = ?1, lease_until = NULL, \
                 retry_at = NULL, retry_remaining = 0, last_error = ?2, worker_id = NULL, \
                 ownership_token = NULL \
             WHERE kind = 'memory_stage1' AND job_key = ?3 AND status = 'running' \
               AND ownership_token IS ?4",
        )
        .bind(now)
        .bind(STAGE1_ABANDONED_REASON)
        .bind(key(candidate.thread_id))
        .bind(token)
        .execute(connection)
        .await
        .map_err(|source| self.query_error("mark stage-1 job abandoned", source))?;
        Ok(())
    }
}
