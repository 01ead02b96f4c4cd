//! User and maintenance operations on the memories DB: prune stale unselected outputs, clear all
//! memory data (user memory modes survive), delete one thread's memory, record citations, and
//! the per-thread memory-mode overrides. A change that removes something the last phase 2
//! consumed enqueues phase 2, in the same transaction, so the consolidated memory follows.

use std::collections::BTreeSet;

use serde::Serialize;

use super::{MemoryStore, days_before, key};
use crate::{MemoryMode, StateError, ThreadId};

/// Who set a thread's memory mode (the `set_by` column): `enable --cleared` brings back only the
/// threads `clear` disabled, never those forgotten one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ModeSetBy {
    /// The user, one thread at a time (`enable`, marking a thread polluted).
    User,
    /// `forget`.
    Forget,
    /// `clear`, for every thread indexed then.
    Clear,
}

impl ModeSetBy {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Forget => "forget",
            Self::Clear => "clear",
        }
    }
}

/// What deleting one thread's memory did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeleteOutcome {
    /// Whether an output row was deleted.
    pub deleted: bool,
    /// Whether the last phase 2 had consumed it (phase 2 was enqueued then).
    pub was_selected: bool,
}

impl MemoryStore {
    /// Deletes at most `batch_limit` outputs that the last phase 2 did not select and that were
    /// not used (or, never used, not updated) within `max_unused_days`, stalest first. Returns
    /// how many were deleted.
    pub async fn prune_stale_outputs(
        &self,
        max_unused_days: u32,
        batch_limit: u32,
    ) -> Result<u64, StateError> {
        let cutoff = days_before(self.now(), max_unused_days);
        // One atomic statement: the rows chosen are the rows deleted.
        let result = self
            .retry_busy(|| async {
                let (_gate, mut connection) = self.write_connection("prune stale outputs").await?;
                sqlx::query(
                    "DELETE FROM stage1_outputs WHERE thread_id IN ( \
                         SELECT thread_id FROM stage1_outputs \
                         WHERE selected_for_phase2 = 0 \
                           AND COALESCE(last_usage, source_updated_at) < ?1 \
                         ORDER BY COALESCE(last_usage, source_updated_at) ASC, thread_id ASC \
                         LIMIT ?2)",
                )
                .bind(cutoff)
                .bind(i64::from(batch_limit))
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error("prune stale outputs", source))
            })
            .await?;
        Ok(result.rows_affected())
    }

    /// Deletes every stage-1 output and every job (stage 1 and phase 2), and disables every
    /// thread of the index that was enabled (`set_by = clear`), so the next run does not extract
    /// them all again; [`MemoryStore::enable_cleared_threads`] undoes that. Modes set by the user
    /// or by `forget` are kept. Running claims lose ownership: their finishers return `false`.
    /// Returns how many threads were disabled.
    pub async fn clear_all_memory_data(&self) -> Result<u64, StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "clear memory data";
            let now = self.now();
            let mut transaction = self.begin_immediate(OPERATION).await?;
            for statement in ["DELETE FROM stage1_outputs", "DELETE FROM jobs"] {
                sqlx::query(statement)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|source| self.query_error(OPERATION, source))?;
            }
            // Every indexed thread whose effective mode is enabled, whether by default or by an
            // earlier `enable`.
            let disabled = sqlx::query(
                "INSERT INTO thread_memory_modes (thread_id, memory_mode, updated_at, set_by) \
                 SELECT t.id, 'disabled', ?1, 'clear' FROM state.threads AS t \
                 LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
                 WHERE COALESCE(m.memory_mode, t.memory_mode) = 'enabled' \
                 ON CONFLICT (thread_id) DO UPDATE SET memory_mode = 'disabled', \
                     updated_at = ?1, set_by = 'clear'",
            )
            .bind(now)
            .execute(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?
            .rows_affected();
            self.commit(transaction, OPERATION).await?;
            Ok(disabled)
        })
        .await
    }

    /// Enables again every thread `clear` disabled (not those forgotten or disabled one by one);
    /// returns how many.
    pub async fn enable_cleared_threads(&self) -> Result<u64, StateError> {
        let now = self.now();
        let result = self
            .retry_busy(|| async {
                let (_gate, mut connection) =
                    self.write_connection("enable cleared threads").await?;
                sqlx::query(
                    "UPDATE thread_memory_modes SET memory_mode = 'enabled', updated_at = ?1, \
                         set_by = 'user' \
                     WHERE set_by = 'clear' AND memory_mode = 'disabled'",
                )
                .bind(now)
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error("enable cleared threads", source))
            })
            .await?;
        Ok(result.rows_affected())
    }

    /// Deletes one thread's output row; enqueues phase 2 when the last phase 2 had selected it.
    /// The thread's stage-1 job stays done, so the thread is not extracted again at this version.
    pub async fn delete_thread_memory(
        &self,
        thread_id: ThreadId,
    ) -> Result<DeleteOutcome, StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "delete thread memory";
            let mut transaction = self.begin_immediate(OPERATION).await?;
            let deleted: Option<(bool,)> = sqlx::query_as(
                "DELETE FROM stage1_outputs WHERE thread_id = ? RETURNING selected_for_phase2",
            )
            .bind(key(thread_id))
            .fetch_optional(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
            let outcome = DeleteOutcome {
                deleted: deleted.is_some(),
                was_selected: deleted.is_some_and(|(selected,)| selected),
            };
            if outcome.was_selected {
                self.enqueue_phase2_in(&mut transaction, self.now()).await?;
            }
            self.commit(transaction, OPERATION).await?;
            Ok(outcome)
        })
        .await
    }

    /// Records one use of each cited thread's memory (usage_count + 1, last_usage = now). Ids
    /// without an output are ignored; an id cited twice counts once. Returns the rows updated.
    pub async fn record_usage(&self, thread_ids: &[ThreadId]) -> Result<u64, StateError> {
        let unique: BTreeSet<String> = thread_ids.iter().map(|id| key(*id)).collect();
        if unique.is_empty() {
            return Ok(0);
        }
        self.retry_busy(|| async {
            const OPERATION: &str = "record memory usage";
            let now = self.now();
            let mut transaction = self.begin_immediate(OPERATION).await?;
            let mut updated = 0;
            for thread_id in &unique {
                updated += sqlx::query(
                    "UPDATE stage1_outputs SET usage_count = usage_count + 1, last_usage = ? \
                     WHERE thread_id = ?",
                )
                .bind(now)
                .bind(thread_id)
                .execute(&mut *transaction)
                .await
                .map_err(|source| self.query_error(OPERATION, source))?
                .rows_affected();
            }
            self.commit(transaction, OPERATION).await?;
            Ok(updated)
        })
        .await
    }

    /// Sets the user's memory mode for a thread, overriding the mode the indexer read from its
    /// rollout. `disabled` or `polluted` on a thread the last phase 2 selected enqueues phase 2
    /// (returns `true` then), so the consolidated memory drops it.
    pub async fn set_memory_mode(
        &self,
        thread_id: ThreadId,
        mode: MemoryMode,
    ) -> Result<bool, StateError> {
        self.set_memory_mode_by(thread_id, mode, ModeSetBy::User)
            .await
    }

    /// [`MemoryStore::set_memory_mode`], recording who set it.
    pub async fn set_memory_mode_by(
        &self,
        thread_id: ThreadId,
        mode: MemoryMode,
        set_by: ModeSetBy,
    ) -> Result<bool, StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "set memory mode";
            let now = self.now();
            let mut transaction = self.begin_immediate(OPERATION).await?;
            sqlx::query(
                "INSERT INTO thread_memory_modes (thread_id, memory_mode, updated_at, set_by) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (thread_id) DO UPDATE SET memory_mode = ?2, updated_at = ?3, \
                     set_by = ?4",
            )
            .bind(key(thread_id))
            .bind(mode.as_str())
            .bind(now)
            .bind(set_by.as_str())
            .execute(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
            let selected: Option<(bool,)> = sqlx::query_as(
                "SELECT selected_for_phase2 FROM stage1_outputs WHERE thread_id = ?",
            )
            .bind(key(thread_id))
            .fetch_optional(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
            let enqueue =
                mode != MemoryMode::Enabled && selected.is_some_and(|(selected,)| selected);
            if enqueue {
                self.enqueue_phase2_in(&mut transaction, now).await?;
            }
            self.commit(transaction, OPERATION).await?;
            Ok(enqueue)
        })
        .await
    }

    /// The thread's effective memory mode: the user's override if set, else the indexed one;
    /// `None` when the thread has neither.
    pub async fn effective_memory_mode(
        &self,
        thread_id: ThreadId,
    ) -> Result<Option<MemoryMode>, StateError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT COALESCE( \
                 (SELECT memory_mode FROM thread_memory_modes WHERE thread_id = ?1), \
                 (SELECT memory_mode FROM state.threads WHERE id = ?1))",
        )
        .bind(key(thread_id))
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| self.query_error("read memory mode", source))?;
        let Some((Some(text),)) = row else {
            return Ok(None);
        };
        MemoryMode::parse(&text).map(Some).ok_or_else(|| {
            self.bad_row(
                format!("memory mode of {thread_id}"),
                format!("unknown mode {text:?}"),
            )
        })
    }
}
