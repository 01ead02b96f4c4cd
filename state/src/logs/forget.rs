//! Forgetting a thread in the logs DB: its rows (tagged with its id) and every row whose body
//! names it — its id, its rollout file's name, a line of its memory — are deleted with SQLite's
//! `secure_delete` on (the freed space is overwritten with zeros), their running totals taken
//! off, and the file can then be rewritten and its WAL emptied so no page or log frame keeps them.

use sqlx::Connection;

use crate::logs::retention::{delete_rows_by_scope, query_error};
use crate::logs::{LogStore, LogsError};
use crate::sqlite::scrub_database;

impl LogStore {
    /// Deletes the rows of `thread_id` and every row whose body contains one of `texts`, in one
    /// transaction, overwriting the freed space; returns how many rows went.
    pub async fn forget_thread(&self, thread_id: &str, texts: &[String]) -> Result<u64, LogsError> {
        let path = self.path();
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(|source| query_error("connect", path, source))?;
        sqlx::query("PRAGMA secure_delete = ON")
            .execute(&mut *conn)
            .await
            .map_err(|source| query_error("turn on secure delete", path, source))?;
        let result = async {
            // Race prevented: a writer inserting rows of the thread between the deletes; the
            // write lock is held from the first delete to the commit.
            let mut tx = conn
                .begin_with("BEGIN IMMEDIATE")
                .await
                .map_err(|source| query_error("begin forgetting a thread", path, source))?;
            let mut gone =
                delete_rows_by_scope(&mut tx, path, "thread_id = ?1", thread_id.to_string())
                    .await?;
            // The id itself in a body: a line about the thread logged outside its span.
            let named = std::iter::once(thread_id).chain(texts.iter().map(String::as_str));
            for text in named.filter(|text| !text.is_empty()) {
                let (rows, bytes) =
                    delete_rows_by_scope(&mut tx, path, "instr(body, ?1) > 0", text.to_string())
                        .await?;
                gone.0 += rows;
                gone.1 += bytes;
            }
            sqlx::query(
                "UPDATE log_usage SET rows = MAX(rows - ?1, 0), bytes = MAX(bytes - ?2, 0) \
                 WHERE scope = 'file'",
            )
            .bind(gone.0)
            .bind(gone.1)
            .execute(&mut *tx)
            .await
            .map_err(|source| query_error("update log usage", path, source))?;
            tx.commit()
                .await
                .map_err(|source| query_error("commit forgetting a thread", path, source))?;
            Ok(u64::try_from(gone.0).unwrap_or(0))
        }
        .await;
        // The connection goes back to the pool as it came.
        sqlx::query("PRAGMA secure_delete = OFF")
            .execute(&mut *conn)
            .await
            .map_err(|source| query_error("turn off secure delete", path, source))?;
        result
    }

    /// Rewrites the logs DB (`VACUUM`) and empties its WAL, so no free page or log frame keeps
    /// the text of deleted rows. Fails with [`crate::StateError::WalInUse`] when another process
    /// keeps the log in use (a running command's log writer, `logs --follow`).
    pub async fn scrub_deleted_text(&self) -> Result<(), LogsError> {
        let mut conn = self
            .pool()
            .acquire()
            .await
            .map_err(|source| query_error("connect", self.path(), source))?;
        Ok(scrub_database(&mut conn, "main", self.path()).await?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::DateTime;
    use pretty_assertions::assert_eq;

    use crate::logs::{LogEntry, LogLevel, LogQuery, LogStore};
    use crate::{Clock, ManualClock};

    fn entry(thread_id: Option<&str>, body: &str) -> LogEntry {
        LogEntry {
            ts: 1_763_000_000,
            ts_nanos: 0,
            level: LogLevel::Info,
            target: "t".into(),
            body: body.to_string(),
            thread_id: thread_id.map(str::to_string),
            process_uuid: "p".into(),
            module_path: None,
            file: None,
            line: None,
        }
    }

    #[tokio::test]
    async fn forgetting_a_thread_deletes_its_rows_and_every_row_naming_it_from_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_763_000_000, 0).unwrap(),
        ));
        let path = dir.path().join("logs_1.sqlite");
        let store = LogStore::open(&path, clock).await.unwrap();
        let forgotten = "019a93b9-f380-7600-98ff-00000000f0f0";
        store
            .insert(&[
                entry(Some(forgotten), "stage1 extract: zebra quartz marmalade"),
                entry(None, &format!("phase2 read rollout-x-{forgotten}.jsonl")),
                entry(None, "mentions the zebra quartz marmalade line"),
                entry(Some("other"), "kept"),
            ])
            .await
            .unwrap();
        let gone = store
            .forget_thread(forgotten, &["zebra quartz marmalade".to_string()])
            .await
            .unwrap();
        assert_eq!(gone, 3);
        let bodies: Vec<String> = store
            .query(&LogQuery::default())
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.body)
            .collect();
        assert_eq!(bodies, vec!["kept".to_string()]);
        let (file_rows,): (i64,) =
            sqlx::query_as("SELECT rows FROM log_usage WHERE scope = 'file'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(file_rows, 1);
        store.scrub_deleted_text().await.unwrap();
        for file in [path.clone(), dir.path().join("logs_1.sqlite-wal")] {
            let bytes = std::fs::read(&file).unwrap_or_default();
            assert!(
                !bytes.windows(13).any(|w| w == b"zebra quartz "),
                "{}",
                file.display()
            );
            assert!(
                !bytes
                    .windows(forgotten.len())
                    .any(|w| w == forgotten.as_bytes())
            );
        }
    }
}
