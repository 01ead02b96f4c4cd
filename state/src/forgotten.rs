//! Forgotten threads in the thread index. `forget` keeps a thread's row as a tombstone (its id
//! and rollout path, so it is recognised and kept out of memory) but blanks the user text the
//! index copied from the session — title, first user message, preview — and lists the thread in
//! `forgotten_threads`, whose triggers (migration 0003) blank that text again whenever
//! re-indexing writes it. `enable` takes the thread off the list and has its file read again.

use crate::sqlite::scrub_database;
use crate::{StateError, StateRuntime, ThreadId};

impl StateRuntime {
    /// Blanks the thread's title, first user message and preview and keeps them blank across
    /// re-indexing; returns whether the index had a row for it.
    pub async fn forget_thread_text(&self, thread_id: ThreadId) -> Result<bool, StateError> {
        const OPERATION: &str = "forget a thread's text";
        let error = |source| self.query_error(OPERATION, source);
        let now = self.clock().now_unix_seconds();
        // Race prevented: the indexer rewriting the row between the listing and the blanking.
        // Both happen in one write transaction, and from the listing on the triggers blank any
        // later write.
        let mut transaction = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error)?;
        sqlx::query(
            "INSERT INTO forgotten_threads (thread_id, forgotten_at) VALUES (?1, ?2) \
             ON CONFLICT (thread_id) DO NOTHING",
        )
        .bind(thread_id.to_string())
        .bind(now)
        .execute(&mut *transaction)
        .await
        .map_err(error)?;
        let blanked = sqlx::query(
            "UPDATE threads SET title = '', first_user_message = '', preview = '' WHERE id = ?",
        )
        .bind(thread_id.to_string())
        .execute(&mut *transaction)
        .await
        .map_err(error)?
        .rows_affected();
        transaction.commit().await.map_err(error)?;
        Ok(blanked > 0)
    }

    /// Undoes [`StateRuntime::forget_thread_text`]: the thread leaves the list, and its file is
    /// read again by the next index run (its stored stat no longer matches), restoring its text.
    /// Returns whether it was listed.
    pub async fn remember_thread_text(&self, thread_id: ThreadId) -> Result<bool, StateError> {
        const OPERATION: &str = "remember a thread's text";
        let error = |source| self.query_error(OPERATION, source);
        let mut transaction = self
            .pool()
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error)?;
        let listed = sqlx::query("DELETE FROM forgotten_threads WHERE thread_id = ?")
            .bind(thread_id.to_string())
            .execute(&mut *transaction)
            .await
            .map_err(error)?
            .rows_affected();
        if listed > 0 {
            // An mtime no file has: the indexer's skip test fails and it parses the file again.
            sqlx::query("UPDATE threads SET file_mtime_ns = -1 WHERE id = ?")
                .bind(thread_id.to_string())
                .execute(&mut *transaction)
                .await
                .map_err(error)?;
        }
        transaction.commit().await.map_err(error)?;
        Ok(listed > 0)
    }

    /// Whether `forget` listed the thread.
    pub async fn is_thread_forgotten(&self, thread_id: ThreadId) -> Result<bool, StateError> {
        let (listed,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM forgotten_threads WHERE thread_id = ?")
                .bind(thread_id.to_string())
                .fetch_one(self.pool())
                .await
                .map_err(|source| self.query_error("read forgotten threads", source))?;
        Ok(listed > 0)
    }

    /// Rewrites the state DB (`VACUUM`) and empties its WAL, so blanked text survives in no free
    /// page and no WAL frame. Fails with [`StateError::WalInUse`] when another process keeps the
    /// log in use.
    pub async fn scrub_deleted_text(&self) -> Result<(), StateError> {
        let mut connection = self
            .pool()
            .acquire()
            .await
            .map_err(|source| self.query_error("vacuum", source))?;
        scrub_database(&mut connection, "main", &self.state_db_path()).await
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use crate::test_support::{insert_thread, thread_row};
    use crate::{Homes, ManualClock, StateRuntime, ThreadId};

    async fn runtime(dir: &tempfile::TempDir) -> StateRuntime {
        StateRuntime::open_with_clock(
            Homes::under_codex_home(dir.path()),
            std::sync::Arc::new(ManualClock::at_unix_seconds(1_763_000_000)),
        )
        .await
        .unwrap()
    }

    async fn texts(runtime: &StateRuntime, id: ThreadId) -> (String, String, String) {
        sqlx::query_as("SELECT title, first_user_message, preview FROM threads WHERE id = ?")
            .bind(id.to_string())
            .fetch_one(runtime.pool())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_forgotten_threads_text_stays_blank_when_the_index_writes_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = runtime(&dir).await;
        let id = ThreadId::new();
        let mut row = thread_row(id, 1_762_000_000_000);
        row.title = "deploy the zebra quartz service".into();
        row.first_user_message = "deploy the zebra quartz service tonight".into();
        row.preview = "zebra quartz".into();
        insert_thread(&runtime, &row).await.unwrap();
        assert!(runtime.forget_thread_text(id).await.unwrap());
        let blank = (String::new(), String::new(), String::new());
        assert_eq!(texts(&runtime, id).await, blank);
        // Re-indexing the (unchanged) session writes the text again: it is blanked again.
        insert_thread(&runtime, &row).await.unwrap();
        assert_eq!(texts(&runtime, id).await, blank);
        // The row stays, with its id and rollout path.
        assert_eq!(
            runtime.get_thread(id).await.unwrap().unwrap().rollout_path,
            row.rollout_path
        );
        runtime.scrub_deleted_text().await.unwrap();
        let state_db = std::fs::read(runtime.state_db_path()).unwrap();
        assert!(!state_db.windows(12).any(|w| w == b"zebra quartz"));

        // `enable` takes it off the list: the next write keeps the text.
        assert!(runtime.remember_thread_text(id).await.unwrap());
        assert!(!runtime.is_thread_forgotten(id).await.unwrap());
        insert_thread(&runtime, &row).await.unwrap();
        assert_eq!(
            texts(&runtime, id).await.0,
            "deploy the zebra quartz service"
        );
    }
}
