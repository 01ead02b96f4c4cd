//! The layer and writer end to end: events through a real subscriber into a real SQLite file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pretty_assertions::assert_eq;
use sqlx::Connection;
use tracing_subscriber::layer::SubscriberExt;

use super::*;
use crate::logs::checkpointer;
use crate::logs::{LogOrder, LogQuery, LogRow, LogStore, MAX_LOG_BODY_BYTES};

const PROCESS: &str = "process-under-test";
const THREAD_A: &str = "019a93b9-f380-7600-98ff-940e6b99603c";
const THREAD_B: &str = "019a93b9-f380-7600-98ff-000000000002";

/// Unix seconds at which every test's clock starts.
const START_SECONDS: i64 = 1_763_000_000;

fn clock() -> Arc<dyn Clock> {
    Arc::new(TickingClock {
        unix_micros: AtomicI64::new(START_SECONDS * 1_000_000),
    })
}

/// A clock that moves on a microsecond at every reading, so the events of one batch get distinct
/// times in the order they were emitted (rows are read back in time order).
#[derive(Debug)]
struct TickingClock {
    unix_micros: AtomicI64,
}

impl Clock for TickingClock {
    fn now(&self) -> DateTime<Utc> {
        let micros = self.unix_micros.fetch_add(1, Ordering::Relaxed);
        DateTime::from_timestamp_micros(micros).unwrap_or_default()
    }
}

/// A writer that only commits when asked (no timer, no size threshold within a test).
fn manual_config() -> LogWriterConfig {
    LogWriterConfig {
        flush_interval: Duration::from_secs(3600),
        flush_batch_rows: 100_000,
        process_uuid: PROCESS.into(),
        ..LogWriterConfig::default()
    }
}

fn start(path: &Path, config: LogWriterConfig) -> (LogLayer, LogGuard) {
    start_log_writer(path, config, clock()).unwrap()
}

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("codex-memories/logs_1.sqlite")
}

async fn rows(path: &Path) -> Vec<LogRow> {
    let store = LogStore::open(path, clock()).await.unwrap();
    let rows = store
        .query(&LogQuery {
            order: LogOrder::OldestFirst,
            ..LogQuery::default()
        })
        .await
        .unwrap();
    store.close().await;
    rows
}

fn bodies(rows: &[LogRow]) -> Vec<(String, Option<String>, String)> {
    rows.iter()
        .map(|row| (row.level.clone(), row.thread_id.clone(), row.body.clone()))
        .collect()
}

#[tokio::test]
async fn rows_carry_the_span_chain_fields_and_the_nearest_thread_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    let subscriber = tracing_subscriber::registry().with(layer);
    {
        let _default = tracing::subscriber::set_default(subscriber);
        let job = tracing::info_span!("phase1", thread_id = THREAD_A, attempt = 2);
        let _job = job.enter();
        let step = tracing::debug_span!("claim", lease = tracing::field::Empty);
        step.record("lease", 3600);
        let _step = step.enter();
        tracing::info!(rows = 3, "claimed");
        tracing::warn!(thread_id = THREAD_B, "event names its own thread");
        drop(_step);
        drop(_job);
        tracing::error!(path = "/tmp/x", "outside any span");
    }
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    assert_eq!(
        bodies(&rows),
        vec![
            (
                "INFO".to_string(),
                Some(THREAD_A.to_string()),
                format!(
                    "phase1{{thread_id={THREAD_A} attempt=2}}:claim{{lease=3600}}: claimed rows=3"
                ),
            ),
            (
                "WARN".to_string(),
                Some(THREAD_B.to_string()),
                format!(
                    "phase1{{thread_id={THREAD_A} attempt=2}}:claim{{lease=3600}}: \
                     event names its own thread thread_id={THREAD_B}"
                ),
            ),
            (
                "ERROR".to_string(),
                None,
                "outside any span path=/tmp/x".to_string()
            ),
        ]
    );
    let first = &rows[0];
    assert_eq!(
        (
            first.ts,
            first.target.as_str(),
            first.process_uuid.as_str(),
            first.file.as_deref(),
            first.module_path.as_deref()
        ),
        (
            START_SECONDS,
            "codex_state::logs::writer::tests",
            PROCESS,
            Some(file!()),
            Some("codex_state::logs::writer::tests"),
        )
    );
    assert!(first.line.is_some());
}

#[tokio::test]
async fn the_message_comes_first_whatever_order_the_fields_were_recorded_in() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    let subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    tracing::info!(a = 1, message = "late", b = "two");
    tracing::info!(a = 1, b = 2);
    {
        let span = tracing::info_span!("job", thread_id = THREAD_A);
        let _entered = span.enter();
        tracing::info!(a = 1, message = "late", b = "two");
        tracing::info!(a = 1);
        tracing::info!("");
    }
    drop(subscriber);
    guard.writer().flush().await.unwrap();
    let bodies: Vec<String> = bodies(&rows(&path).await)
        .into_iter()
        .map(|(_, _, body)| body)
        .collect();
    assert_eq!(
        bodies,
        vec![
            "late a=1 b=two".to_string(),
            "a=1 b=2".to_string(),
            format!("job{{thread_id={THREAD_A}}}: late a=1 b=two"),
            format!("job{{thread_id={THREAD_A}}}: a=1"),
            format!("job{{thread_id={THREAD_A}}}: "),
        ]
    );
}

#[tokio::test]
async fn rows_are_invisible_until_flush_and_visible_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    for n in 0..5 {
        tracing::info!(n, "event");
    }
    assert_eq!(rows(&path).await.len(), 0);
    guard.writer().flush().await.unwrap();
    assert_eq!(rows(&path).await.len(), 5);
    assert_eq!(
        guard.writer().stats(),
        LogStats {
            enqueued: 5,
            written: 5,
            batches: 1,
            ..LogStats::default()
        }
    );
}

#[tokio::test]
async fn a_full_batch_is_committed_without_a_flush_and_drop_of_the_guard_commits_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            flush_batch_rows: 4,
            ..manual_config()
        },
    );
    {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        for n in 0..6 {
            tracing::info!(n, "event");
        }
    }
    drop(guard);
    assert_eq!(rows(&path).await.len(), 6);
}

#[tokio::test]
async fn sqlx_events_are_never_logged() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    tracing::info!(target: "sqlx::query", "SELECT 1");
    tracing::info!(target: "sqlx", "pool opened");
    tracing::info!("kept");
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    assert_eq!(
        rows.iter().map(|row| row.body.as_str()).collect::<Vec<_>>(),
        vec!["kept"]
    );
}

/// Holds the database's write lock from another connection until dropped (rolled back).
async fn hold_write_lock(path: &Path, statement: &str) -> sqlx::SqliteConnection {
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query(statement).execute(&mut conn).await.unwrap();
    conn
}

#[tokio::test]
async fn queue_overflow_is_counted_and_reported_as_a_warning_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            queue_capacity: 2,
            flush_batch_rows: 1,
            // Long enough that the writer waits for our lock instead of giving up on it.
            busy_timeout: Duration::from_secs(120),
            ..manual_config()
        },
    );
    let mut locker = hold_write_lock(&path, "BEGIN IMMEDIATE").await;
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    tracing::info!("first");
    // Once the writer has taken `first` off the queue it is committing it, stuck behind our
    // lock, and takes nothing more: of the next ten, two fit the queue and eight are dropped.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while guard.writer().queued() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never took a row"
        );
        std::thread::yield_now();
    }
    for n in 0..10 {
        tracing::info!(n, "burst");
    }
    let stats = guard.writer().stats();
    assert_eq!(
        (stats.enqueued, stats.dropped_queue_full),
        (3, 8),
        "{stats:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    let warnings: Vec<&str> = rows
        .iter()
        .filter(|row| row.level == "WARN")
        .map(|row| row.body.as_str())
        .collect();
    assert_eq!(
        warnings,
        vec![format!(
            "dropped {} log events: queue full",
            stats.dropped_queue_full
        )]
    );
    assert_eq!(rows.len() as u64, stats.enqueued + 1);
}

#[tokio::test]
async fn a_locked_database_costs_counted_losses_not_a_panic_and_writing_resumes_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            busy_timeout: Duration::from_millis(50),
            ..manual_config()
        },
    );
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let mut locker = hold_write_lock(&path, "BEGIN EXCLUSIVE").await;
    tracing::info!("while locked 1");
    tracing::info!("while locked 2");
    let error = guard.writer().flush().await.unwrap_err();
    assert!(matches!(error, LogsError::Write { .. }), "{error:?}");
    assert_eq!(guard.writer().stats().lost_write_failed, 2);
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    drop(locker);
    tracing::info!("after the lock");
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    let bodies: Vec<String> = rows
        .iter()
        .map(|row| format!("{} {}", row.level, row.body))
        .collect();
    assert_eq!(bodies.len(), 2, "{bodies:?}");
    assert_eq!(bodies[0], "INFO after the lock");
    assert!(
        bodies[1].starts_with("WARN lost 2 log events: the logs database could not be written:"),
        "{bodies:?}"
    );
}

#[test]
fn a_database_whose_folder_cannot_exist_fails_to_start_without_a_thread_or_panic() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file where the sqlite home should be").unwrap();
    let error = start_log_writer(&blocker.join("logs_1.sqlite"), manual_config(), clock())
        .map(|_| ())
        .unwrap_err();
    assert!(
        matches!(error, LogsError::Open(crate::StateError::CreateDir { .. })),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_full_database_costs_counted_losses_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    tracing::info!("fits");
    guard.writer().flush().await.unwrap();
    // SQLite reports SQLITE_FULL ("database or disk is full") exactly as for a full disk once
    // the file may not grow past its current page count.
    let (pages,): (i64,) = {
        let mut conn = hold_write_lock(&path, "SELECT 1").await;
        sqlx::query_as("PRAGMA page_count")
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    guard.set_max_page_count_for_test(pages).await;
    let big = "x".repeat(64 * 1024);
    for _ in 0..8 {
        tracing::info!(payload = big.as_str(), "does not fit");
    }
    let error = guard.writer().flush().await.unwrap_err();
    assert!(
        error.to_string().contains("full"),
        "expected a disk-full error, got {error}"
    );
    assert_eq!(guard.writer().stats().lost_write_failed, 8);
}

#[tokio::test]
async fn the_nearest_span_with_a_thread_id_wins_and_long_bodies_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let outer = tracing::info_span!("run", thread_id = THREAD_A);
        let _outer = outer.enter();
        let inner = tracing::info_span!("subagent", thread_id = THREAD_B);
        let _inner = inner.enter();
        let plain = tracing::info_span!("step");
        let _plain = plain.enter();
        tracing::info!("nested");
        tracing::info!(payload = "é".repeat(MAX_LOG_BODY_BYTES).as_str(), "huge");
    }
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    assert_eq!(
        (rows[0].thread_id.as_deref(), rows[0].body.as_str()),
        (
            Some(THREAD_B),
            format!("run{{thread_id={THREAD_A}}}:subagent{{thread_id={THREAD_B}}}:step: nested")
                .as_str()
        )
    );
    assert!(rows[1].body.len() <= MAX_LOG_BODY_BYTES);
    assert!(
        rows[1].body.ends_with(" …[truncated]"),
        "{}",
        &rows[1].body[..80]
    );
}

#[tokio::test]
async fn a_span_field_recorded_again_replaces_its_value_instead_of_growing() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, manual_config());
    {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let job = tracing::info_span!(
            "consolidate",
            turn = tracing::field::Empty,
            thread_id = tracing::field::Empty,
            model = "m"
        );
        let _job = job.enter();
        // A progress field recorded on every turn of a long run.
        for turn in 0..10_000 {
            job.record("turn", turn);
        }
        job.record("thread_id", THREAD_A);
        job.record("thread_id", THREAD_B);
        tracing::info!("done");
    }
    guard.writer().flush().await.unwrap();
    let rows = rows(&path).await;
    assert_eq!(
        bodies(&rows),
        vec![(
            "INFO".to_string(),
            Some(THREAD_B.to_string()),
            format!("consolidate{{model=m turn=9999 thread_id={THREAD_B}}}: done"),
        )]
    );
}

#[tokio::test]
async fn the_queue_is_bounded_in_bytes_as_well_as_rows() {
    const BODY_BYTES: usize = 50 * 1024;
    const QUEUE_BYTES: usize = 4 * BODY_BYTES;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            // Room for every row by count: only the byte bound can refuse them.
            queue_capacity: 1_000,
            queue_capacity_bytes: QUEUE_BYTES,
            flush_batch_rows: 1,
            busy_timeout: Duration::from_secs(120),
            ..manual_config()
        },
    );
    let mut locker = hold_write_lock(&path, "BEGIN IMMEDIATE").await;
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    tracing::info!("first");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while guard.writer().queued() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never took a row"
        );
        std::thread::yield_now();
    }
    // The writer is stuck behind our lock; large events pile up until the byte bound.
    let payload = "x".repeat(BODY_BYTES);
    for n in 0..20 {
        tracing::info!(n, payload = payload.as_str(), "large");
    }
    let stats = guard.writer().stats();
    assert!(
        guard.writer().queued_bytes() <= QUEUE_BYTES,
        "{} bytes queued",
        guard.writer().queued_bytes()
    );
    assert!(
        (3..=4).contains(&(stats.enqueued - 1)),
        "only what fits in {QUEUE_BYTES} bytes is queued: {stats:?}"
    );
    assert_eq!(
        stats.enqueued - 1 + stats.dropped_queue_full,
        20,
        "{stats:?}"
    );
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    guard.writer().flush().await.unwrap();
    // Once written, the queue holds nothing again and the drops are reported.
    assert_eq!(guard.writer().queued_bytes(), 0);
    let rows = rows(&path).await;
    assert!(rows.iter().any(|row| row.body
        == format!(
            "dropped {} log events: queue full",
            stats.dropped_queue_full
        )));
}

#[test]
fn the_logs_db_is_never_put_at_the_codex_home_root() {
    let dir = tempfile::tempdir().unwrap();
    let error = crate::logs::logs_db_path(&crate::Homes::new(dir.path(), dir.path())).unwrap_err();
    assert!(
        matches!(error, crate::StateError::SqliteHomeIsCodexHome { .. }),
        "{error:?}"
    );
    assert_eq!(
        crate::logs::logs_db_path(&crate::Homes::under_codex_home(dir.path())).unwrap(),
        dir.path().join("codex-memories/logs_1.sqlite")
    );
}

#[test]
fn a_writer_id_is_interned_once_and_the_default_is_the_process_id() {
    assert!(std::ptr::eq(interned(process_uuid()), process_uuid()));
    let first = interned(&String::from("host-configured-id"));
    let second = interned(&String::from("host-configured-id"));
    assert!(std::ptr::eq(first, second));
    assert_eq!(first, "host-configured-id");
}

/// How many rows the database file holds on its own, without its WAL: what a checkpoint has
/// copied back. Reads a copy, so the live database is untouched.
async fn rows_in_database_file_alone(path: &Path) -> i64 {
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("logs_1.sqlite");
    std::fs::copy(path, &copy).unwrap();
    let mut conn = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new().filename(&copy),
    )
    .await
    .unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM logs")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    count
}

/// Waits (up to 10 s) until `condition` holds of the writer's stats.
async fn wait_for_stats(writer: &LogWriter, condition: impl Fn(&LogStats) -> bool) -> LogStats {
    for _ in 0..1_000 {
        let stats = writer.stats();
        if condition(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("stats never got there: {:?}", writer.stats());
}

/// [`manual_config`] with this WAL policy.
fn wal_config(checkpoint_after_bytes: u64, restart_after_bytes: u64) -> LogWriterConfig {
    LogWriterConfig {
        wal: WalPolicy {
            checkpoint_after_bytes,
            restart_after_bytes,
        },
        ..manual_config()
    }
}

/// `count` events of round `round`, each carrying `padding` to make rows of a useful size.
fn emit_padded(round: usize, count: usize, padding: &str) {
    for n in 0..count {
        tracing::info!(round, n, padding, "event");
    }
}

/// The size of the WAL file beside the database at `path`.
fn wal_size(path: &Path) -> u64 {
    checkpointer::wal_bytes(&checkpointer::wal_path(path))
}

#[tokio::test]
async fn the_checkpointer_copies_committed_rows_into_the_database_file_off_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, wal_config(0, u64::MAX));
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    for n in 0..50 {
        tracing::info!(n, "event");
    }
    guard.writer().flush().await.unwrap();
    // The commit does not checkpoint: the one pass its wake asks for does, in the background.
    let stats = wait_for_stats(guard.writer(), |stats| stats.checkpoints == 1).await;
    assert_eq!((stats.checkpoint_failures, stats.wal_restarts), (0, 0));
    assert_eq!(rows_in_database_file_alone(&path).await, 50);
}

#[tokio::test]
async fn without_background_checkpoints_the_writer_restarts_an_oversized_wal_itself() {
    const RESTART_AFTER_BYTES: u64 = 64 * 1024;
    const ROUNDS: usize = 40;
    const EVENTS_PER_ROUND: usize = 100;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(&path, wal_config(u64::MAX, RESTART_AFTER_BYTES));
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let padding = "p".repeat(200);
    let mut largest_wal = 0;
    for round in 0..ROUNDS {
        emit_padded(round, EVENTS_PER_ROUND, &padding);
        guard.writer().flush().await.unwrap();
        largest_wal = largest_wal.max(wal_size(&path));
    }
    let stats = guard.writer().stats();
    assert_eq!(stats.checkpoints, 0);
    assert!(stats.wal_restarts >= 1, "{stats:?}");
    // Over 1 MiB of rows went through a WAL that never grew much past its restart size (one
    // round's commit, ~40 KiB of rows plus its index pages and the id sequence's page, is the
    // most it can overshoot by).
    assert!(
        largest_wal < RESTART_AFTER_BYTES + 272 * 1024,
        "WAL grew to {largest_wal} bytes"
    );
    assert_eq!(rows(&path).await.len(), ROUNDS * EVENTS_PER_ROUND);
}

#[tokio::test]
async fn under_steady_writes_the_background_checkpoints_keep_the_wal_short() {
    const RESTART_AFTER_BYTES: u64 = 1024 * 1024;
    const GROUPS: usize = 160;
    const EVENTS_PER_GROUP: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            flush_batch_rows: 10,
            ..wal_config(256 * 1024, RESTART_AFTER_BYTES)
        },
    );
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let padding = "p".repeat(400);
    let mut largest_wal = 0;
    for group in 0..GROUPS {
        emit_padded(group, EVENTS_PER_GROUP, &padding);
        // Commits of 10-25 rows keep coming while the checkpointer runs on the same runtime.
        tokio::time::sleep(Duration::from_millis(2)).await;
        largest_wal = largest_wal.max(wal_size(&path));
    }
    guard.writer().flush().await.unwrap();
    largest_wal = largest_wal.max(wal_size(&path));
    // Passes finish in the background; on a loaded machine the first may still be running.
    let stats = wait_for_stats(guard.writer(), |stats| stats.checkpoints >= 1).await;
    assert_eq!(stats.checkpoint_failures, 0);
    // ~170 commits of a few dozen rows, each ~60 KiB of WAL (whole 8 KiB pages: table, indexes,
    // totals), ~10 MiB in all; one such commit is what the WAL can overshoot its restart size by.
    assert!(
        largest_wal < RESTART_AFTER_BYTES + 512 * 1024,
        "WAL grew to {largest_wal} bytes: {stats:?}"
    );
    assert_eq!(rows(&path).await.len(), GROUPS * EVENTS_PER_GROUP);
}

#[tokio::test]
async fn a_reader_pinning_the_wal_delays_its_restart_but_never_stalls_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            // A checkpoint that waited for the reader would wait this long.
            busy_timeout: Duration::from_secs(60),
            ..wal_config(u64::MAX, 64 * 1024)
        },
    );
    let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    let padding = "p".repeat(200);
    let write_round = |round: usize| emit_padded(round, 100, &padding);
    write_round(0);
    guard.writer().flush().await.unwrap();
    let mut reader = hold_write_lock(&path, "BEGIN").await;
    let (rows_seen,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM logs")
        .fetch_one(&mut reader)
        .await
        .unwrap();
    assert_eq!(rows_seen, 100);
    let restarts_before = guard.writer().stats().wal_restarts;
    for round in 1..=10 {
        write_round(round);
        tokio::time::timeout(Duration::from_secs(20), guard.writer().flush())
            .await
            .expect("the writer waited for the reader")
            .unwrap();
    }
    // The WAL grew past its restart size, but no checkpoint could copy the frames the reader pins.
    assert_eq!(guard.writer().stats().wal_restarts, restarts_before);
    sqlx::query("COMMIT").execute(&mut reader).await.unwrap();
    write_round(11);
    guard.writer().flush().await.unwrap();
    assert!(guard.writer().stats().wal_restarts > restarts_before);
    assert_eq!(rows(&path).await.len(), 1_200);
}

#[tokio::test]
async fn bodies_pass_through_the_body_filter_before_they_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let filter = crate::TextFilter(Arc::new(|text: &str| {
        text.replace("sk-proj-Zq81xT", "[REDACTED_SECRET]")
    }));
    let (layer, guard) = start(
        &path,
        LogWriterConfig {
            body_filter: Some(filter),
            ..manual_config()
        },
    );
    {
        let _default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
        let job = tracing::info_span!("stage1", thread_id = THREAD_A);
        let _job = job.enter();
        tracing::warn!(
            reason = "the model said: key sk-proj-Zq81xT",
            "stage-1 extraction failed"
        );
    }
    guard.writer().flush().await.unwrap();
    assert_eq!(
        bodies(&rows(&path).await),
        vec![(
            "WARN".to_string(),
            Some(THREAD_A.to_string()),
            format!(
                "stage1{{thread_id={THREAD_A}}}: stage-1 extraction failed \
                 reason=the model said: key [REDACTED_SECRET]"
            ),
        )]
    );
    let bytes = std::fs::read(&path).unwrap_or_default();
    let wal = std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default();
    for file in [bytes, wal] {
        assert!(!file.windows(10).any(|w| w == b"sk-proj-Zq"));
    }
}
