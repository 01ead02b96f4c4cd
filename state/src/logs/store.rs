//! [`LogStore`]: the logs DB opened for reading and for direct inserts (tests, tools), and
//! [`insert_batch`], the one insert path every writer uses — rows and retention in one
//! `BEGIN IMMEDIATE` transaction, so a reader never sees a batch half-applied.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::Clock;
use crate::logs::retention::{self, Scope, ScopeTotals, query_error};
use crate::logs::{
    LOGS_MIGRATOR, LOGS_PAGE_SIZE_BYTES, LogEntry, LogQuery, LogRetention, LogRow, LogsError, query,
};
use crate::sqlite::open_sqlite_with_page_size;

/// Rows per multi-row `INSERT` statement (11 parameters each, well under SQLite's limit of
/// 32 766); full chunks reuse one prepared statement. Every statement is a round trip to the
/// connection's worker thread, so fewer, larger statements keep a batch's commit short even when
/// the logging threads keep both cores busy.
pub const INSERT_CHUNK_ROWS: usize = 256;

/// The open logs database.
#[derive(Debug, Clone)]
pub struct LogStore {
    path: PathBuf,
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    retention: LogRetention,
}

impl LogStore {
    /// Opens (creating and migrating as needed) the logs DB at `path`, e.g.
    /// [`crate::Homes::logs_db_path`], with the default retention.
    pub async fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, LogsError> {
        let pool = open_sqlite_with_page_size(
            path,
            &LOGS_MIGRATOR,
            Some(LOGS_PAGE_SIZE_BYTES),
            clock.as_ref(),
        )
        .await?;
        Ok(Self {
            path: path.to_path_buf(),
            pool,
            clock,
            retention: LogRetention::default(),
        })
    }

    /// The same store applying `retention` on its inserts.
    pub fn with_retention(mut self, retention: LogRetention) -> Self {
        self.retention = retention;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection pool.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Inserts `entries` in one transaction, enforcing retention as the writer does.
    pub async fn insert(&self, entries: &[LogEntry]) -> Result<(), LogsError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|source| query_error("connect", &self.path, source))?;
        insert_batch(
            &mut conn,
            &self.path,
            entries,
            &self.retention,
            self.clock.now_unix_seconds(),
        )
        .await
    }

    /// The rows matching `query`.
    pub async fn query(&self, query: &LogQuery) -> Result<Vec<LogRow>, LogsError> {
        query::run(&self.pool, &self.path, query).await
    }

    /// The highest row id so far (`None` while the table is empty): where a tail starts.
    pub async fn last_id(&self) -> Result<Option<i64>, LogsError> {
        query::last_id(&self.pool, &self.path).await
    }

    /// Closes the pool; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Inserts `entries` (rows or references to them) in their order, as the writer does —
/// multi-row `INSERT`s of [`INSERT_CHUNK_ROWS`] — on `conn`, inside whatever transaction the
/// caller holds, with no retention.
pub async fn insert_rows<E: Borrow<LogEntry>>(
    conn: &mut SqliteConnection,
    entries: &[E],
) -> Result<(), sqlx::Error> {
    for chunk in entries.chunks(INSERT_CHUNK_ROWS) {
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO logs (ts, ts_nanos, level, target, body, thread_id, process_uuid, \
             module_path, file, line, estimated_bytes) ",
        );
        insert.push_values(chunk, |mut row, entry| {
            let entry = entry.borrow();
            row.push_bind(entry.ts)
                .push_bind(entry.ts_nanos)
                .push_bind(entry.level.as_str())
                .push_bind(entry.target.as_ref())
                .push_bind(entry.body.as_str())
                .push_bind(entry.thread_id.as_deref())
                .push_bind(entry.process_uuid.as_ref())
                .push_bind(entry.module_path.as_deref())
                .push_bind(entry.file.as_deref())
                .push_bind(entry.line)
                .push_bind(entry.estimated_bytes());
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Inserts `entries` and enforces `retention` in one `BEGIN IMMEDIATE` transaction (taking the
/// write lock up front, so two writers queue on the busy timeout instead of failing to upgrade).
///
/// The rows go in grouped by retention scope, each scope's rows in their own order. Their ids
/// then run in one block per scope and batch, so the trims that later remove a scope's oldest
/// rows empty whole table and time-index pages rather than thinning every page the batch filled
/// (at the caps, 7 % more events/s; docs/benchmarks.md, logs). Queries order rows by time, so the
/// grouping never shows; ids still grow from batch to batch, which is what tailing needs.
pub(crate) async fn insert_batch(
    conn: &mut SqliteConnection,
    path: &Path,
    entries: &[LogEntry],
    retention: &LogRetention,
    now_unix_seconds: i64,
) -> Result<(), LogsError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|source| query_error("begin log batch", path, source))?;
    let mut by_scope: BTreeMap<Scope<'_>, Vec<&LogEntry>> = BTreeMap::new();
    for entry in entries {
        by_scope.entry(Scope::of(entry)).or_default().push(entry);
    }
    let added: ScopeTotals = by_scope
        .iter()
        .map(|(scope, rows)| {
            let bytes = rows.iter().map(|entry| entry.estimated_bytes()).sum();
            (scope.clone(), (rows.len() as i64, bytes))
        })
        .collect();
    let grouped: Vec<&LogEntry> = by_scope.into_values().flatten().collect();
    insert_rows(&mut tx, &grouped)
        .await
        .map_err(|source| query_error("insert logs", path, source))?;
    retention::enforce(&mut tx, path, &added, retention, now_unix_seconds).await?;
    tx.commit()
        .await
        .map_err(|source| query_error("commit logs", path, source))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::logs::LogOrder;
    use crate::{ManualClock, StateError};

    fn clock() -> Arc<dyn Clock> {
        Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_763_000_000, 0).unwrap(),
        ))
    }

    #[tokio::test]
    async fn opening_creates_the_logs_schema_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codex-memories/logs_1.sqlite");
        let store = LogStore::open(&path, clock()).await.unwrap();
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        let names: Vec<String> = names.into_iter().map(|(name,)| name).collect();
        assert_eq!(
            names,
            vec![
                "_sqlx_migrations",
                "log_usage",
                "logs",
                "logs_by_process_uuid",
                "logs_by_severe_level",
                "logs_by_thread_id",
                "logs_by_ts",
            ]
        );
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
             execution_time) VALUES (9001, 'from the future', 1, x'00', 0)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.close().await;
        let error = LogStore::open(&path, clock()).await.unwrap_err();
        assert!(
            matches!(error, LogsError::Open(StateError::NewerSchema { .. })),
            "{error:?}"
        );
    }

    /// Bodies of the rows `query` reads.
    async fn bodies(store: &LogStore, order: LogOrder) -> Vec<String> {
        let query = LogQuery {
            order,
            ..LogQuery::default()
        };
        let rows = store.query(&query).await.unwrap();
        rows.into_iter().map(|row| row.body).collect()
    }

    #[tokio::test]
    async fn a_batch_is_stored_grouped_by_retention_scope_and_read_back_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(&dir.path().join("logs_1.sqlite"), clock())
            .await
            .unwrap();
        // Events of thread a, of no thread and of thread b, interleaved a millisecond apart.
        let threads = [Some("a"), None, Some("b")];
        let entries: Vec<LogEntry> = (0..6_i64)
            .map(|n| LogEntry {
                ts: clock().now_unix_seconds(),
                ts_nanos: n * 1_000_000,
                level: crate::logs::LogLevel::Info,
                target: "t".into(),
                body: format!("event {n}"),
                thread_id: threads[n as usize % 3].map(str::to_string),
                process_uuid: "p".into(),
                module_path: None,
                file: None,
                line: None,
            })
            .collect();
        store.insert(&entries).await.unwrap();
        let in_time_order: Vec<String> = (0..6).map(|n| format!("event {n}")).collect();
        // Ids run in one block per scope, each scope's rows in their own order.
        let committed = bodies(&store, LogOrder::Committed).await;
        assert_eq!(
            committed,
            [
                "event 0", "event 3", "event 2", "event 5", "event 1", "event 4"
            ]
        );
        assert_eq!(bodies(&store, LogOrder::OldestFirst).await, in_time_order);
        let mut newest_first = in_time_order.clone();
        newest_first.reverse();
        assert_eq!(bodies(&store, LogOrder::NewestFirst).await, newest_first);
        // A tail's page, sorted, is in time order too.
        let mut page = store
            .query(&LogQuery {
                order: LogOrder::Committed,
                ..LogQuery::default()
            })
            .await
            .unwrap();
        crate::logs::sort_by_time(&mut page);
        let sorted: Vec<String> = page.into_iter().map(|row| row.body).collect();
        assert_eq!(sorted, in_time_order);
    }

    fn thread_entry(thread_id: &str, body: &str) -> LogEntry {
        LogEntry {
            ts: clock().now_unix_seconds(),
            ts_nanos: 0,
            level: crate::logs::LogLevel::Info,
            target: "t".into(),
            body: body.to_string(),
            thread_id: Some(thread_id.to_string()),
            process_uuid: "p".into(),
            module_path: None,
            file: None,
            line: None,
        }
    }

    /// Bodies of the rows after `id`, as `logs --follow` asks for them.
    async fn after(store: &LogStore, id: i64) -> Vec<String> {
        let rows = store
            .query(&LogQuery {
                after_id: Some(id),
                order: LogOrder::Committed,
                ..LogQuery::default()
            })
            .await
            .unwrap();
        rows.into_iter().map(|row| row.body).collect()
    }

    #[tokio::test]
    async fn a_row_never_gets_the_id_of_a_deleted_newest_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(&dir.path().join("logs_1.sqlite"), clock())
            .await
            .unwrap();
        store.insert(&[thread_entry("a", "old")]).await.unwrap();
        store.insert(&[thread_entry("b", "newest")]).await.unwrap();
        // A follower has printed everything up to the newest row.
        let printed = store.last_id().await.unwrap().unwrap();
        // The newest rows go (forget removes a thread's rows; a trim may empty a scope).
        sqlx::query("DELETE FROM logs WHERE thread_id = 'b'")
            .execute(store.pool())
            .await
            .unwrap();
        store.insert(&[thread_entry("c", "next")]).await.unwrap();
        assert_eq!(after(&store, printed).await, vec!["next".to_string()]);
    }

    #[tokio::test]
    async fn migrating_an_older_logs_db_keeps_its_rows_and_ids_and_counts_the_file_total() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs_1.sqlite");
        // The schema as an earlier build left it: migrations 0001 and 0002 only.
        let earlier = dir.path().join("earlier_migrations");
        std::fs::create_dir(&earlier).unwrap();
        for name in ["0001_logs.sql", "0002_logs_severe_level_index.sql"] {
            std::fs::copy(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("logs_migrations")
                    .join(name),
                earlier.join(name),
            )
            .unwrap();
        }
        let migrator = sqlx::migrate::Migrator::new(earlier.as_path())
            .await
            .unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        migrator.run(&pool).await.unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let entries = [thread_entry("a", "one"), thread_entry("a", "two")];
        insert_rows(&mut conn, &entries).await.unwrap();
        sqlx::query("DELETE FROM logs WHERE id = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        pool.close().await;

        let store = LogStore::open(&path, clock()).await.unwrap();
        let ids: Vec<(i64, String)> = sqlx::query_as("SELECT id, body FROM logs ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(ids, vec![(2, "two".to_string())]);
        let total: (i64, i64) =
            sqlx::query_as("SELECT rows, bytes FROM log_usage WHERE scope = 'file'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(total, (1, entries[1].estimated_bytes()));
        store.insert(&[thread_entry("a", "three")]).await.unwrap();
        assert_eq!(after(&store, 2).await, vec!["three".to_string()]);
    }

    async fn page_size(store: &LogStore) -> i64 {
        let (size,): (i64,) = sqlx::query_as("PRAGMA page_size")
            .fetch_one(store.pool())
            .await
            .unwrap();
        size
    }

    #[tokio::test]
    async fn a_new_logs_db_gets_its_page_size_and_an_existing_one_keeps_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh/logs_1.sqlite");
        let store = LogStore::open(&fresh, clock()).await.unwrap();
        assert_eq!(page_size(&store).await, i64::from(LOGS_PAGE_SIZE_BYTES));
        store.close().await;

        // A DB an earlier build created with SQLite's default pages opens and works unchanged.
        let older = dir.path().join("older/logs_1.sqlite");
        let pool = crate::sqlite::open_sqlite(&older, &LOGS_MIGRATOR, &*clock())
            .await
            .unwrap();
        pool.close().await;
        let store = LogStore::open(&older, clock()).await.unwrap();
        assert_eq!(page_size(&store).await, 4096);
        store
            .insert(&[LogEntry {
                ts: clock().now_unix_seconds(),
                ts_nanos: 0,
                level: crate::logs::LogLevel::Info,
                target: "t".into(),
                body: "still writable".into(),
                thread_id: None,
                process_uuid: "p".into(),
                module_path: None,
                file: None,
                line: None,
            }])
            .await
            .unwrap();
        assert_eq!(store.query(&LogQuery::default()).await.unwrap().len(), 1);
    }
}
