//! Giving back claims that were never finished: one stage-1 claim the run stopped before
//! attempting (its budget ran out), or every claim a run still holds when it is interrupted
//! (Ctrl-C). The job returns to `pending` with its retries untouched, so the next run can take it
//! at once instead of waiting for the lease to expire or burning a retry.

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

impl MemoryStore {
    /// Releases every job (stage 1 and phase 2) still `running` under `worker_id`, unattempted
    /// as far as the store is concerned; returns how many. For an interrupted run: its worker id
    /// is unique to it ([`super::new_worker_id`]), so this gives back exactly its unfinished
    /// claims and nothing another run holds.
    pub async fn release_claims_of_worker(&self, worker_id: &str) -> Result<u64, StateError> {
        // One atomic statement. Race prevented: releasing a job another worker has since taken
        // over (its row names that worker).
        let result = self
            .retry_busy(|| async {
                let (_gate, mut connection) = self.write_connection("release claims").await?;
                sqlx::query(
                    "UPDATE jobs SET status = 'pending', worker_id = NULL, ownership_token = NULL, \
                         lease_until = NULL \
                     WHERE status = 'running' AND worker_id = ?1",
                )
                .bind(worker_id)
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error("release claims", source))
            })
            .await?;
        Ok(result.rows_affected())
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
    async fn releasing_a_workers_claims_gives_back_only_its_running_jobs() {
        let f = Fixture::new().await;
        let mine = f.thread(T0 - 7200).await;
        let finished = f.thread(T0 - 7200).await;
        let theirs = f.thread(T0 - 7200).await;
        f.claimed(mine, "run-a").await;
        let done = f.claimed(finished, "run-a").await;
        assert!(
            f.store
                .stage1_succeeded_no_output(&done, None)
                .await
                .unwrap()
        );
        let other = f.claimed(theirs, "run-b").await;
        let phase2 = f
            .store
            .claim_phase2("run-a", &crate::memory_store::Phase2ClaimParams::default())
            .await
            .unwrap();
        assert!(matches!(
            phase2,
            crate::memory_store::Phase2ClaimOutcome::Claimed(_)
        ));
        assert_eq!(f.store.release_claims_of_worker("run-a").await.unwrap(), 2);
        let status = |job: Option<crate::memory_store::JobRow>| job.unwrap().status;
        assert_eq!(
            (
                status(f.stage1_job(mine).await),
                status(f.stage1_job(finished).await),
                status(f.stage1_job(theirs).await),
                status(f.phase2_job().await),
            ),
            (
                JobStatus::Pending,
                JobStatus::Done,
                JobStatus::Running,
                JobStatus::Pending
            )
        );
        // Given back, it is claimable at once (by the next run), retries intact.
        assert!(matches!(
            f.claim(mine, "run-c").await,
            Stage1ClaimOutcome::Claimed(_)
        ));
        assert_eq!(f.stage1_job(mine).await.unwrap().retry_remaining, 3);
        assert!(f.store.stage1_failed(&other, "x", 0).await.unwrap());
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
