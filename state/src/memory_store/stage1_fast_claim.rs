//! The fast path of a single-thread stage-1 claim: after a plain read judged the thread
//! claimable, one atomic statement writes the claim only if nothing that judgement read has
//! changed since (compare-and-swap). One statement under the lock instead of a four-statement
//! transaction; when it matches nothing, the caller decides again under `BEGIN IMMEDIATE`.

use super::stage1_claim::Candidate;
use super::{MemoryStore, bounded_lease, key, lease_horizon, live_lease_sql};
use crate::StateError;
use crate::memory_store::{Stage1Claim, Stage1ClaimParams};

/// The part of the guard shared by both statements, numbered from `?B`: the thread's stored
/// updated_at (`?B`), its effective mode still `enabled`, its output's version (`?B+1`, NULL
/// for none), and fewer than `?B+2` other live stage-1 jobs at `?B+3` (now) with leases ending
/// by `?B+4` (the horizon); `?K` is the key.
fn guard(key_param: u32, base: u32) -> String {
    let (updated, output, cap) = (base, base + 1, base + 2);
    let live = live_lease_sql(&format!("?{}", base + 3), &format!("?{}", base + 4));
    format!(
        "(SELECT updated_at FROM state.threads WHERE id = ?{key_param}) = ?{updated} \
         AND COALESCE((SELECT memory_mode FROM thread_memory_modes WHERE thread_id = ?{key_param}), \
                      (SELECT memory_mode FROM state.threads WHERE id = ?{key_param})) = 'enabled' \
         AND (SELECT source_updated_at FROM stage1_outputs WHERE thread_id = ?{key_param}) \
             IS ?{output} \
         AND (SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND {live} \
              AND job_key != ?{key_param}) < ?{cap}"
    )
}

impl MemoryStore {
    /// Writes the claim of `candidate` if the thread, its mode, its output, its job row and the
    /// running count are still what the decision saw; `None` when anything changed.
    pub(super) async fn claim_if_unchanged(
        &self,
        candidate: &Candidate,
        worker_id: &str,
        params: &Stage1ClaimParams,
        now: i64,
        retry_remaining: i64,
    ) -> Result<Option<Stage1Claim>, StateError> {
        const OPERATION: &str = "claim stage-1 job";
        let token = uuid::Uuid::new_v4().to_string();
        let lease_until = now.saturating_add(bounded_lease(params.lease_seconds));
        let (_gate, mut connection) = self.write_connection(OPERATION).await?;
        // Race prevented: two workers judging the same row claimable from their reads and both
        // claiming it (or both passing the cap). The statement matches only if the job row —
        // its ownership token included, so a claim taken and given back in between (same
        // worker, same lease end) is seen as a change — the thread, its output and the running
        // count are unchanged since this worker's read; the second writer then matches nothing
        // and decides again.
        let result = match &candidate.job {
            None => {
                let sql = format!(
                    "INSERT INTO jobs (kind, job_key, status, worker_id, ownership_token, \
                                       started_at, lease_until, retry_at, retry_remaining, \
                                       input_watermark) \
                     SELECT 'memory_stage1', ?1, 'running', ?2, ?3, ?4, ?5, NULL, ?6, ?7 \
                     WHERE {} \
                     ON CONFLICT (kind, job_key) DO NOTHING",
                    guard(1, 8)
                );
                sqlx::query(&sql)
                    .bind(key(candidate.thread_id))
                    .bind(worker_id)
                    .bind(&token)
                    .bind(now)
                    .bind(lease_until)
                    .bind(retry_remaining)
                    .bind(candidate.version)
                    .bind(candidate.updated_at_ms)
                    .bind(candidate.output_version)
                    .bind(i64::from(params.running_cap))
                    .bind(now)
                    .bind(lease_horizon(now))
                    .execute(&mut *connection)
                    .await
            }
            Some(job) => {
                let sql = format!(
                    "UPDATE jobs SET status = 'running', worker_id = ?2, ownership_token = ?3, \
                         started_at = ?4, lease_until = ?5, retry_at = NULL, \
                         retry_remaining = ?6, input_watermark = ?7 \
                     WHERE kind = 'memory_stage1' AND job_key = ?1 \
                       AND status = ?8 AND worker_id IS ?9 AND lease_until IS ?10 \
                       AND retry_at IS ?11 AND retry_remaining = ?12 \
                       AND input_watermark IS ?13 AND last_success_watermark IS ?14 \
                       AND ownership_token IS ?15 \
                       AND {}",
                    guard(1, 16)
                );
                sqlx::query(&sql)
                    .bind(key(candidate.thread_id))
                    .bind(worker_id)
                    .bind(&token)
                    .bind(now)
                    .bind(lease_until)
                    .bind(retry_remaining)
                    .bind(candidate.version)
                    .bind(&job.status)
                    .bind(&job.worker_id)
                    .bind(job.lease_until)
                    .bind(job.retry_at)
                    .bind(job.retry_remaining)
                    .bind(job.input_watermark)
                    .bind(job.last_success_watermark)
                    .bind(&job.ownership_token)
                    .bind(candidate.updated_at_ms)
                    .bind(candidate.output_version)
                    .bind(i64::from(params.running_cap))
                    .bind(now)
                    .bind(lease_horizon(now))
                    .execute(&mut *connection)
                    .await
            }
        }
        .map_err(|source| self.query_error(OPERATION, source))?;
        if result.rows_affected() != 1 {
            return Ok(None);
        }
        Ok(Some(candidate.claim(worker_id, token, lease_until)))
    }
}
