//! Forgetting a thread's stage-1 job: the job row goes with its output, so a thread enabled again
//! after `forget` is extracted afresh instead of being judged done at its old version. A running
//! claim on it loses ownership (its finisher returns `false`). And scrubbing: deleted rows leave
//! their text in free pages and WAL frames until the file is rewritten.

use super::{MemoryStore, key};
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
}

impl MemoryStore {
    /// Rewrites the memories DB file (`VACUUM`) and empties its WAL, so the text of deleted rows
    /// survives in no free page and no WAL frame. The checkpoint names `main`: unqualified, it
    /// would also try to checkpoint the attached state DB, which is read-only (an I/O error).
    pub async fn scrub_deleted_text(&self) -> Result<(), StateError> {
        self.retry_busy(|| async {
            let (_gate, mut connection) = self.write_connection("vacuum").await?;
            for (operation, statement) in [
                ("vacuum the memories DB", "VACUUM"),
                (
                    "empty the memories WAL",
                    "PRAGMA main.wal_checkpoint(TRUNCATE)",
                ),
            ] {
                sqlx::query(statement)
                    .execute(&mut *connection)
                    .await
                    .map_err(|source| self.query_error(operation, source))?;
            }
            Ok(())
        })
        .await
    }
}
