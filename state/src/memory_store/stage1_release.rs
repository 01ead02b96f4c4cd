//! Giving back a stage-1 claim that was never attempted (the run stopped on its budget before
//! reaching it): the job returns to `pending` with its retries untouched, so the next run can
//! take it at once instead of waiting for the lease to expire or burning a retry.

use super::{MemoryStore, key};
use crate::StateError;
use crate::memory_store::Stage1Claim;

impl MemoryStore {
    /// Releases `claim` unattempted. `false` when ownership was already lost.
    pub async fn release_stage1(&self, claim: &Stage1Claim) -> Result<bool, StateError> {
        // One atomic statement. Race prevented: releasing a job a newer claim now owns.
        let result = self
            .retry_busy(|| async {
                sqlx::query(
                    "UPDATE jobs SET status = 'pending', worker_id = NULL, ownership_token = NULL, \
                         lease_until = NULL \
                     WHERE kind = 'memory_stage1' AND job_key = ?1 \
                       AND status = 'running' AND ownership_token = ?2",
                )
                .bind(key(claim.thread_id))
                .bind(&claim.ownership_token)
                .execute(self.pool())
                .await
                .map_err(|source| self.query_error("release stage-1 job", source))
            })
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::super::test_helpers::{Fixture, T0};
    use crate::memory_store::{JobStatus, Stage1ClaimOutcome};

    #[tokio::test]
    async fn a_released_claim_is_claimable_again_at_once_with_its_retries_intact() {
        let f = Fixture::new().await;
        let thread = f.thread(T0 - 7200).await;
        let claim = f.claimed(thread, "w1").await;
        assert!(f.store.release_stage1(&claim).await.unwrap());
        let job = f.stage1_job(thread).await.unwrap();
        assert_eq!(
            (job.status, job.ownership_token, job.retry_remaining),
            (JobStatus::Pending, None, 3)
        );
        assert!(matches!(
            f.claim(thread, "w2").await,
            Stage1ClaimOutcome::Claimed(_)
        ));
    }

    #[tokio::test]
    async fn a_stale_owner_cannot_release_a_newer_claim() {
        let f = Fixture::new().await;
        let thread = f.thread(T0 - 7200).await;
        let stale = f.claimed(thread, "w1").await;
        assert!(f.store.release_stage1(&stale).await.unwrap());
        let fresh = f.claimed(thread, "w2").await;
        assert!(!f.store.release_stage1(&stale).await.unwrap());
        assert_eq!(
            f.stage1_job(thread).await.unwrap().ownership_token,
            Some(fresh.ownership_token)
        );
    }
}
