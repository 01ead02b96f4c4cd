//! Stage-1 finishers: succeeded (store the output), succeeded with no output (drop any old
//! output), failed (backoff). Each first checks that the job is still `running` under the claim's
//! token, in the same transaction as its writes, and returns `false` without writing when the
//! claim was lost (lease taken over, memory cleared).

use sqlx::SqliteConnection;

use super::{MemoryStore, key};
use crate::StateError;
use crate::memory_store::JobKind;
use crate::memory_store::Stage1Claim;

/// What a successful extraction stores for its thread. Another crate makes one with
/// [`Stage1OutputInput::new`] and the `with_*` setters (more fields may come).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stage1OutputInput {
    /// The raw memory.
    pub raw_memory: String,
    /// The rollout summary.
    pub rollout_summary: String,
    /// A short slug naming the rollout, if any.
    pub rollout_slug: Option<String>,
    /// Which provider and model wrote it, kept so `extract --reextract` can find what an
    /// offline run covered (`None`: not said).
    pub producer: Option<Stage1Producer>,
}

impl Stage1OutputInput {
    /// The `raw_memory` and `rollout_summary` of one thread, with no slug and no producer.
    pub fn new(raw_memory: impl Into<String>, rollout_summary: impl Into<String>) -> Self {
        Self {
            raw_memory: raw_memory.into(),
            rollout_summary: rollout_summary.into(),
            rollout_slug: None,
            producer: None,
        }
    }

    /// With the slug `rollout_slug` naming the rollout.
    #[must_use]
    pub fn with_rollout_slug(mut self, rollout_slug: Option<String>) -> Self {
        self.rollout_slug = rollout_slug;
        self
    }

    /// Written by `producer` (see [`Stage1Producer`]).
    #[must_use]
    pub fn with_producer(mut self, producer: Option<Stage1Producer>) -> Self {
        self.producer = producer;
        self
    }
}

/// The name stored for the offline provider's successes.
pub const OFFLINE_PRODUCER: &str = "offline";

/// Names the provider and model behind a stage-1 success: `offline`, else `<provider>:<model>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage1Producer(String);

impl Stage1Producer {
    /// The producer for `provider` (`offline`, `openai`, `chat`, a host's own) and its `model`.
    pub fn new(provider: &str, model: &str) -> Self {
        if provider == OFFLINE_PRODUCER {
            Self(OFFLINE_PRODUCER.to_string())
        } else {
            Self(format!("{provider}:{model}"))
        }
    }

    /// The stored text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl MemoryStore {
    /// Marks the claim done and stores its output (unless a newer version is already stored),
    /// keeping the row's usage and selection flags; enqueues phase 2. `false` when the claim no
    /// longer owns the job (nothing is written then).
    pub async fn stage1_succeeded(
        &self,
        claim: &Stage1Claim,
        output: &Stage1OutputInput,
    ) -> Result<bool, StateError> {
        let producer = output.producer.as_ref().map(Stage1Producer::as_str);
        self.retry_busy(|| self.try_stage1_succeeded(claim, Some(output), producer))
            .await
    }

    /// Marks the claim done for a thread that yielded no memory, deleting any older output;
    /// enqueues phase 2 only when a row was deleted. `producer` names who decided (see
    /// [`Stage1Producer`]). `false` when ownership was lost.
    pub async fn stage1_succeeded_no_output(
        &self,
        claim: &Stage1Claim,
        producer: Option<&Stage1Producer>,
    ) -> Result<bool, StateError> {
        let producer = producer.map(Stage1Producer::as_str);
        self.retry_busy(|| self.try_stage1_succeeded(claim, None, producer))
            .await
    }

    async fn try_stage1_succeeded(
        &self,
        claim: &Stage1Claim,
        output: Option<&Stage1OutputInput>,
        producer: Option<&str>,
    ) -> Result<bool, StateError> {
        const OPERATION: &str = "finish stage-1 job";
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let now = self.now();
        // Race prevented: a worker whose lease expired (and was taken over) or whose job was
        // cleared finishing anyway and overwriting the new owner's result. A success answers a
        // re-extraction request, so it clears the flag.
        let owned = sqlx::query(
            "UPDATE jobs SET status = 'done', finished_at = ?1, lease_until = NULL, \
                 retry_at = NULL, last_error = NULL, last_success_watermark = input_watermark, \
                 producer = ?4, reextract = 0 \
             WHERE kind = 'memory_stage1' AND job_key = ?2 \
               AND status = 'running' AND ownership_token = ?3",
        )
        .bind(now)
        .bind(key(claim.thread_id))
        .bind(&claim.ownership_token)
        .bind(producer)
        .execute(&mut *transaction)
        .await
        .map_err(|source| self.query_error(OPERATION, source))?
        .rows_affected();
        if owned == 0 {
            self.rollback(transaction, OPERATION).await?;
            return Ok(false);
        }
        let enqueue = match output {
            Some(output) => {
                self.upsert_output(&mut transaction, claim, output, now)
                    .await?;
                true
            }
            None => {
                let deleted = sqlx::query("DELETE FROM stage1_outputs WHERE thread_id = ?")
                    .bind(key(claim.thread_id))
                    .execute(&mut *transaction)
                    .await
                    .map_err(|source| self.query_error("delete stage-1 output", source))?
                    .rows_affected();
                deleted > 0
            }
        };
        if enqueue {
            self.enqueue_phase2_in(&mut transaction, now).await?;
        }
        self.commit(transaction, OPERATION).await?;
        Ok(true)
    }

    /// Stores the output unless the stored one is of a newer thread version; usage and
    /// selection columns are left as they are.
    async fn upsert_output(
        &self,
        connection: &mut SqliteConnection,
        claim: &Stage1Claim,
        output: &Stage1OutputInput,
        now: i64,
    ) -> Result<(), StateError> {
        sqlx::query(
            "INSERT INTO stage1_outputs (thread_id, source_updated_at, raw_memory, \
                                         rollout_summary, rollout_slug, generated_at, producer) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (thread_id) DO UPDATE SET \
                 source_updated_at = ?2, raw_memory = ?3, rollout_summary = ?4, \
                 rollout_slug = ?5, generated_at = ?6, producer = ?7 \
             WHERE ?2 >= stage1_outputs.source_updated_at",
        )
        .bind(key(claim.thread_id))
        .bind(claim.input_watermark)
        .bind(&output.raw_memory)
        .bind(&output.rollout_summary)
        .bind(output.rollout_slug.as_deref())
        .bind(now)
        .bind(output.producer.as_ref().map(Stage1Producer::as_str))
        .execute(connection)
        .await
        .map_err(|source| self.query_error("store stage-1 output", source))?;
        Ok(())
    }

    /// Marks the claim failed: `error`, retry from `now + retry_delay_seconds`, one retry fewer
    /// (never below 0), `reason` kept as the last error. `false` when ownership was lost.
    pub async fn stage1_failed(
        &self,
        claim: &Stage1Claim,
        reason: &str,
        retry_delay_seconds: i64,
    ) -> Result<bool, StateError> {
        self.fail_running_job(
            JobKind::Stage1,
            &key(claim.thread_id),
            Some(&claim.ownership_token),
            reason,
            retry_delay_seconds,
            "fail stage-1 job",
        )
        .await
    }
}
