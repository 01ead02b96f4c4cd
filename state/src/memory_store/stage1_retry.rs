//! `extract --retry-failed`: failed stage-1 jobs become claimable at once — the backoff is
//! lifted and the retries refilled — so a user who fixed the cause (started the server, set the
//! key) need not wait an hour or touch the session. Running and finished jobs are left alone.

use super::{MemoryStore, RETRIES_PER_JOB_VERSION};
use crate::StateError;

impl MemoryStore {
    /// Lifts the backoff of every failed stage-1 job and refills its retries; returns how many.
    pub async fn retry_failed_stage1_now(&self) -> Result<u64, StateError> {
        // One statement over failed rows only. Race prevented: a job another worker claimed
        // meanwhile is `running`, not `error`, and is not touched.
        let result = self
            .retry_busy(|| async {
                sqlx::query(
                    "UPDATE jobs SET retry_at = NULL, retry_remaining = ?1 \
                     WHERE kind = 'memory_stage1' AND status = 'error'",
                )
                .bind(RETRIES_PER_JOB_VERSION)
                .execute(self.pool())
                .await
                .map_err(|source| self.query_error("retry failed stage-1 jobs", source))
            })
            .await?;
        Ok(result.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::super::test_helpers::{Fixture, T0};
    use crate::memory_store::Stage1ClaimOutcome;

    #[tokio::test]
    async fn a_failed_job_in_backoff_is_claimable_at_once_after_retry_failed() {
        let f = Fixture::new().await;
        let thread = f.thread(T0 - 86_400).await;
        let claim = f.claimed(thread, "w1").await;
        assert!(
            f.store
                .stage1_failed(&claim, "connection refused", 3600)
                .await
                .unwrap()
        );
        assert!(matches!(
            f.claim(thread, "w2").await,
            Stage1ClaimOutcome::InBackoff { .. }
        ));

        assert_eq!(f.store.retry_failed_stage1_now().await.unwrap(), 1);

        assert!(matches!(
            f.claim(thread, "w2").await,
            Stage1ClaimOutcome::Claimed(_)
        ));
    }
}
