//! Forgetting a thread's stage-1 job: the job row goes with its output, so a thread enabled again
//! after `forget` is extracted afresh instead of being judged done at its old version. A running
//! claim on it loses ownership (its finisher returns `false`). And scrubbing: deleted rows leave
//! their text in free pages, WAL frames and full-text index segments until the file is
//! rewritten, the log emptied and the index merged.

use super::{MemoryStore, key};
use crate::sqlite::scrub_database;
use crate::{StateError, ThreadId};

impl MemoryStore {
    /// Deletes the thread's stage-1 job row; returns whether there was one.
    pub async fn delete_stage1_job(&self, thread_id: ThreadId) -> Result<bool, StateError> {
        self.retry_busy(|| async {
            const OPERATION: &str = "delete stage-1 job";
            let (_gate, mut connection) = self.write_connection(OPERATION).await?;
            let result =
                sqlx::query("DELETE FROM jobs WHERE kind = 'memory_stage1' AND job_key = ?")
                    .bind(key(thread_id))
                    .execute(&mut *connection)
                    .await
                    .map_err(|source| self.query_error(OPERATION, source))?;
            Ok(result.rows_affected() > 0)
        })
        .await
    }

    /// Whether the stored memory of a thread other than `thread_id` (its raw memory or rollout
    /// summary) contains `text`: such a line may rightly remain in the consolidated memory after
    /// `thread_id` is forgotten.
    pub async fn other_memories_contain(
        &self,
        thread_id: ThreadId,
        text: &str,
    ) -> Result<bool, StateError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM stage1_outputs WHERE thread_id <> ?1 \
               AND (instr(raw_memory, ?2) > 0 OR instr(rollout_summary, ?2) > 0)",
        )
        .bind(key(thread_id))
        .bind(text)
        .fetch_one(&self.pool)
        .await
        .map_err(|source| self.query_error("search other memories", source))?;
        Ok(count > 0)
    }
}

impl MemoryStore {
    /// Rewrites the memories DB file (`VACUUM`) and empties its WAL, so the text of deleted rows
    /// survives in no free page and no WAL frame; full-text indexes are merged first, so the
    /// entries they dropped are gone from their segments too. Fails with
    /// [`StateError::WalInUse`] when another process keeps the log in use.
    pub async fn scrub_deleted_text(&self) -> Result<(), StateError> {
        self.retry_busy(|| async {
            let (_gate, mut connection) = self.write_connection("vacuum").await?;
            // FTS5 tables keep deleted entries' tokens in their segments until a merge.
            let fts_tables: Vec<(String,)> = sqlx::query_as(
                "SELECT name FROM main.sqlite_master \
                 WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'",
            )
            .fetch_all(&mut *connection)
            .await
            .map_err(|source| self.query_error("list full-text indexes", source))?;
            for (table,) in fts_tables {
                // The name comes from the schema, never from input; quoted as an identifier.
                let quoted = format!("\"{}\"", table.replace('"', "\"\""));
                sqlx::query(&format!(
                    "INSERT INTO main.{quoted} ({quoted}) VALUES ('optimize')"
                ))
                .execute(&mut *connection)
                .await
                .map_err(|source| self.query_error("merge a full-text index", source))?;
            }
            scrub_database(&mut connection, "main", self.path()).await
        })
        .await
    }
}
