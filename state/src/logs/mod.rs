//! The logs database (`logs_1.sqlite`): a `tracing` layer that turns events into rows without
//! ever waiting on SQLite, the background writer that inserts them in batches, retention by age
//! and per-thread / per-process caps (enforced in the insert transaction), and the queries behind
//! `codex-memories logs`. The invariant: the logging call only formats a row and `try_send`s it;
//! a full queue or a failing database costs a counted, reported drop, never a wait or a panic.
//!
//! Start with [`start_log_writer`] (for a process that logs) or [`LogStore`] (to read or insert).

mod checkpointer;
mod entry;
mod error;
mod forget;
mod layer;
mod query;
mod retention;
pub(crate) mod store;
mod writer;
mod writer_thread;

use std::path::PathBuf;
use std::time::Duration;

use sqlx::migrate::Migrator;

use crate::{Homes, StateError};

pub use checkpointer::WalPolicy;
pub use entry::{LogEntry, LogLevel, ROW_OVERHEAD_BYTES, UnknownLogLevel};
pub use error::LogsError;
pub use layer::{LogLayer, MAX_LOG_BODY_BYTES};
pub use query::{LogOrder, LogQuery, LogRow, sort_by_time};
pub use retention::LogRetention;
pub use store::{INSERT_CHUNK_ROWS, LogStore};
pub use writer::{LogGuard, LogStats, LogWriter, LogWriterConfig, process_uuid, start_log_writer};

/// `<sqlite_home>/logs_1.sqlite`, refusing a sqlite home at the Codex home root, where Codex keeps
/// its own `logs_*.sqlite` that we must never open.
pub fn logs_db_path(homes: &Homes) -> Result<PathBuf, StateError> {
    crate::runtime::refuse_codex_home_root(homes)?;
    Ok(homes.logs_db_path())
}

/// The logs DB's schema, embedded at build time from `state/logs_migrations/`.
pub(crate) static LOGS_MIGRATOR: Migrator = sqlx::migrate!("./logs_migrations");

/// The page size a new logs DB is created with. Rows are appended and trimmed in batches of
/// thousands, and at the retention caps a 4 096-row commit rewrites about 4.5 MiB of pages: with 8 KiB
/// pages that is half the WAL frames (each its own write and checksum) and fewer interior pages
/// than with SQLite's 4 KiB, which measured ~15 % more events/s at the caps (docs/benchmarks.md).
/// A DB created with another page size keeps it.
pub const LOGS_PAGE_SIZE_BYTES: u32 = 8 * 1024;
/// How many rows may wait between the logging call and the writer; past it events are dropped
/// (and counted).
pub const LOG_QUEUE_CAPACITY: usize = 16 * 1024;
/// How many bytes of rows may wait between the logging call and the writer; past it events are
/// dropped (and counted). Rows are usually a few hundred bytes, but a body may be 64 KiB: the row
/// bound alone would let a stalled writer hold a gigabyte.
pub const LOG_QUEUE_CAPACITY_BYTES: usize = 32 * 1024 * 1024;
/// The writer's tick: queued rows are committed at least this often (a row waits at most one
/// tick), and an idle writer wakes only this often.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(250);
/// A batch is committed as soon as it holds this many rows.
pub const FLUSH_BATCH_ROWS: usize = 256;
/// The most rows one commit takes when more are already queued: under a backlog, batches grow
/// to amortise the commit (and retention) cost instead of falling behind.
pub const MAX_BATCH_ROWS: usize = 8_192;
/// New WAL bytes after which the background checkpointer copies the log back into the database
/// (the writer itself never waits on a checkpoint's disk syncs; see `checkpointer.rs`). At the
/// retention caps each commit rewrites most of the same pages, so the rarer the copies, the more
/// of those versions collapse into one (docs/logs.md: 20 % fewer bytes written than a pass
/// after every commit past 8 MiB).
pub const CHECKPOINT_AFTER_WAL_BYTES: u64 = 16 * 1024 * 1024;
/// WAL file size past which the writer restarts the log itself after a commit: the bound on the
/// file while the background checkpoints cannot get the log to start over (a sustained burst).
pub const RESTART_AFTER_WAL_BYTES: u64 = 64 * 1024 * 1024;
/// How long the writer waits for another connection's lock before giving up on a batch (and
/// counting its rows as lost). Shorter than the state DBs' timeout: logs must not pile up.
pub const LOG_WRITER_BUSY_TIMEOUT: Duration = Duration::from_secs(2);
/// How long dropping a [`LogGuard`] waits for the last rows to be committed.
pub const SHUTDOWN_FLUSH_WAIT: Duration = Duration::from_secs(3);
/// Rows older than this many days are deleted.
pub const DEFAULT_MAX_AGE_DAYS: i64 = 10;
/// Byte cap (estimated) per thread, and per process for thread-less rows.
pub const DEFAULT_MAX_BYTES_PER_SCOPE: i64 = 10 * 1024 * 1024;
/// Row cap per thread.
pub const DEFAULT_MAX_ROWS_PER_THREAD: i64 = 1_000;
/// Row cap per process, for its thread-less rows.
pub const DEFAULT_MAX_ROWS_PER_PROCESS: i64 = 10_000;
/// Byte cap (estimated) of the whole logs DB, every process's rows together: past it the oldest
/// rows go, whichever thread or process wrote them.
pub const DEFAULT_MAX_TOTAL_BYTES: i64 = 128 * 1024 * 1024;
/// When a scope exceeds a cap it is trimmed this many percent below the cap, so the (scanning)
/// trim runs once per this share of the cap instead of on every batch.
pub const DEFAULT_TRIM_SLACK_PERCENT: i64 = 10;
/// Targets whose events are never logged into the DB: the driver's own statements would feed
/// back into the writer.
pub const EXCLUDED_TARGET_PREFIXES: &[&str] = &["sqlx"];
