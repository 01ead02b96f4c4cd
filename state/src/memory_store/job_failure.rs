//! Recording a failed attempt on a running job — the one statement stage 1 and phase 2 share:
//! `error`, retry from `now + delay`, one retry fewer (never below 0), the reason kept, after the
//! runtime's text filter (secret redaction): a reason may quote a model answer or a rollout.

use super::MemoryStore;
use crate::StateError;
use crate::memory_store::JobKind;

impl MemoryStore {
    /// Fails the running job (`kind`, `job_key`) owned by `token` (`None`: a running row with no
    /// token at all). `false` when no such row exists (ownership was lost).
    pub(super) async fn fail_running_job(
        &self,
        kind: JobKind,
        job_key: &str,
        token: Option<&str>,
        reason: &str,
        retry_delay_seconds: i64,
        operation: &'static str,
    ) -> Result<bool, StateError> {
        let now = self.now();
        let reason = self.filtered(reason);
        // One atomic statement. Race prevented: a stale owner recording a failure over the job
        // a newer claim now owns. `IS` matches the token, or NULL with NULL for a tokenless row.
        let result = self
            .retry_busy(|| async {
                let (_gate, mut connection) = self.write_connection(operation).await?;
                sqlx::query(
                    "UPDATE jobs SET status = 'error', finished_at = ?1, lease_until = NULL, \
                         retry_at = ?2, retry_remaining = MAX(retry_remaining - 1, 0), \
                         last_error = ?3 \
                     WHERE kind = ?4 AND job_key = ?5 \
                       AND status = 'running' AND ownership_token IS ?6",
                )
                .bind(now)
                .bind(now.saturating_add(retry_delay_seconds))
                .bind(reason.as_ref())
                .bind(kind.as_str())
                .bind(job_key)
                .bind(token)
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error(operation, source))
            })
            .await?;
        Ok(result.rows_affected() == 1)
    }
}
