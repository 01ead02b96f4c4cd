//! Recovery a user drives. `extract --retry-failed`: failed stage-1 jobs become claimable at
//! once — the backoff is lifted and the retries refilled — so a user who fixed the cause (started
//! the server, set the key) need not wait an hour or touch the session. `extract --reextract`:
//! finished jobs are flagged to be extracted again (what an offline run covered, once a model is
//! configured); each keeps its stored memory until a new success replaces it.

use serde::Serialize;

use super::{MemoryStore, OFFLINE_PRODUCER, RETRIES_PER_JOB_VERSION};
use crate::StateError;

/// Which finished extractions `extract --reextract` asks to be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReextractScope {
    /// Those the offline provider made.
    Offline,
    /// Every finished extraction, whoever made it.
    All,
}

/// What a re-extraction request flagged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReextractRequest {
    /// Finished sessions flagged to be extracted again.
    pub flagged: u64,
    /// Finished sessions whose producer was not recorded (finished before codex-memories kept
    /// it): left alone by [`ReextractScope::Offline`], flagged by [`ReextractScope::All`].
    pub unknown_producer: u64,
}

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

    /// Flags the finished stage-1 jobs in `scope` to be extracted again, with their retries
    /// refilled. Running and failed jobs are left alone (`retry_failed_stage1_now` is for those).
    pub async fn request_reextraction(
        &self,
        scope: ReextractScope,
    ) -> Result<ReextractRequest, StateError> {
        const OPERATION: &str = "request re-extraction";
        let all = scope == ReextractScope::All;
        self.retry_busy(|| async {
            let mut transaction = self.begin_immediate(OPERATION).await?;
            // Race prevented: a job claimed meanwhile is `running`, not `done`, and keeps its
            // claim; one that finishes after this statement clears its own flag, as it should.
            let flagged = sqlx::query(
                "UPDATE jobs SET reextract = 1, retry_remaining = ?1, retry_at = NULL \
                 WHERE kind = 'memory_stage1' AND status = 'done' \
                   AND (?2 OR producer = ?3)",
            )
            .bind(RETRIES_PER_JOB_VERSION)
            .bind(all)
            .bind(OFFLINE_PRODUCER)
            .execute(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?
            .rows_affected();
            let unknown: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs \
                 WHERE kind = 'memory_stage1' AND status = 'done' AND producer IS NULL",
            )
            .fetch_one(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
            self.commit(transaction, OPERATION).await?;
            Ok(ReextractRequest {
                flagged,
                unknown_producer: u64::try_from(unknown).unwrap_or(0),
            })
        })
        .await
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

    use super::{ReextractRequest, ReextractScope};
    use crate::ThreadId;
    use crate::memory_store::test_helpers::output;
    use crate::memory_store::{Stage1Claim, Stage1OutputInput, Stage1Producer};

    fn output_by(text: &str, provider: &str) -> Stage1OutputInput {
        Stage1OutputInput {
            producer: Some(Stage1Producer::new(provider, "gpt-test")),
            ..output(text)
        }
    }

    async fn stored_memory(f: &Fixture, claim: &Stage1Claim) -> Option<(String, Option<String>)> {
        sqlx::query_as("SELECT raw_memory, producer FROM stage1_outputs WHERE thread_id = ?")
            .bind(claim.thread_id.to_string())
            .fetch_optional(f.store.pool())
            .await
            .unwrap()
    }

    /// A thread extracted once by `provider`, whose memory reads `raw <text>`.
    async fn extracted_by(f: &Fixture, updated_at: i64, text: &str, provider: &str) -> ThreadId {
        let thread = f.thread(updated_at).await;
        let claim = f.claimed(thread, "w1").await;
        assert!(
            f.store
                .stage1_succeeded(&claim, &output_by(text, provider))
                .await
                .unwrap()
        );
        thread
    }

    #[tokio::test]
    async fn an_offline_memory_flagged_for_reextraction_is_claimed_again_and_kept_until_replaced() {
        let f = Fixture::new().await;
        let thread = extracted_by(&f, T0 - 86_400, "offline", "offline").await;
        assert_eq!(f.claim(thread, "w2").await, Stage1ClaimOutcome::UpToDate);

        let request = f
            .store
            .request_reextraction(ReextractScope::Offline)
            .await
            .unwrap();
        assert_eq!(
            request,
            ReextractRequest {
                flagged: 1,
                unknown_producer: 0
            }
        );
        let Stage1ClaimOutcome::Claimed(again) = f.claim(thread, "w2").await else {
            panic!("a flagged session is claimable");
        };
        // Until the new extraction succeeds, the offline memory is what phase 2 has.
        assert_eq!(
            stored_memory(&f, &again).await,
            Some(("raw offline".to_string(), Some("offline".to_string())))
        );
        assert!(
            f.store
                .stage1_succeeded(&again, &output_by("model", "chat"))
                .await
                .unwrap()
        );
        assert_eq!(
            stored_memory(&f, &again).await,
            Some(("raw model".to_string(), Some("chat:gpt-test".to_string())))
        );
        // The success answered the request: nothing is flagged any more.
        assert_eq!(f.claim(thread, "w3").await, Stage1ClaimOutcome::UpToDate);
    }

    #[tokio::test]
    async fn a_failed_reextraction_keeps_the_stored_memory_and_waits_for_its_backoff() {
        let f = Fixture::new().await;
        let thread = extracted_by(&f, T0 - 86_400, "offline", "offline").await;
        f.store
            .request_reextraction(ReextractScope::Offline)
            .await
            .unwrap();
        let again = f.claimed(thread, "w2").await;
        assert!(
            f.store
                .stage1_failed(&again, "model request failed: connection refused", 3600)
                .await
                .unwrap()
        );

        assert_eq!(
            stored_memory(&f, &again).await,
            Some(("raw offline".to_string(), Some("offline".to_string())))
        );
        assert!(matches!(
            f.claim(thread, "w3").await,
            Stage1ClaimOutcome::InBackoff { .. }
        ));
    }

    #[tokio::test]
    async fn the_offline_scope_leaves_model_and_unknown_memories_alone_and_all_takes_every_one() {
        let f = Fixture::new().await;
        let by_model = extracted_by(&f, T0 - 86_400, "model", "openai").await;
        let unknown = f.thread(T0 - 86_000).await;
        let claim = f.claimed(unknown, "w1").await;
        assert!(
            f.store
                .stage1_succeeded_no_output(&claim, None)
                .await
                .unwrap()
        );

        let offline = f
            .store
            .request_reextraction(ReextractScope::Offline)
            .await
            .unwrap();
        assert_eq!(
            offline,
            ReextractRequest {
                flagged: 0,
                unknown_producer: 1
            }
        );
        assert_eq!(f.claim(by_model, "w2").await, Stage1ClaimOutcome::UpToDate);

        let all = f
            .store
            .request_reextraction(ReextractScope::All)
            .await
            .unwrap();
        assert_eq!(all.flagged, 2);
        assert!(matches!(
            f.claim(by_model, "w2").await,
            Stage1ClaimOutcome::Claimed(_)
        ));
        assert!(matches!(
            f.claim(unknown, "w2").await,
            Stage1ClaimOutcome::Claimed(_)
        ));
    }
}
