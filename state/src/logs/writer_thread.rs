//! The writer thread: its own current-thread tokio runtime (so it keeps working while the host's
//! runtime shuts down) draining the queue in batches and committing each, with retention, in one
//! transaction — on `FLUSH_BATCH_ROWS` queued rows, every `FLUSH_INTERVAL`, on a flush and
//! on shutdown. Drops (queue full) and losses (a batch that could not be written) are reported
//! as a WARN row by the next commit that succeeds. It never panics on a database error; the rows
//! of a failed batch are lost and counted. Its commits never checkpoint the WAL: the
//! checkpointer task (`checkpointer.rs`), on the same runtime with its own connection, does.

use std::borrow::Cow;
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use sqlx::Sqlite;
use sqlx::pool::PoolConnection;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::logs::checkpointer::{self, Checkpointer, WalAction, WalWatch};
use crate::logs::retention::query_error;
use crate::logs::store::insert_batch;
use crate::logs::writer::{Counters, LogWriterConfig, Message};
use crate::logs::{LogEntry, LogLevel, LogStore, LogsError, MAX_BATCH_ROWS, WalPolicy};
use crate::{Clock, TextFilter};

/// The target of the writer's own report rows.
const WRITER_TARGET: &str = "codex_state::logs";
/// The writer connection's page cache, in KiB: enough to hold the pages a steady stream of
/// inserts and retention deletes keeps touching (the table's and indexes' two ends), so they are
/// not re-read on every batch. Pages are allocated only as they are used.
const WRITER_CACHE_KIB: u32 = 16 * 1024;
/// The writer connection's own settings (PRAGMAs take no bound parameters; every value is a
/// constant above or a number from the configuration), each with what setting it is called in
/// an error.
fn writer_pragmas(wal: &WalPolicy) -> [(String, &'static str); 4] {
    [
        // A negative cache_size is in KiB.
        (
            format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}"),
            "set cache size",
        ),
        // Statement journals (each multi-row INSERT and each retention DELETE keeps one, to undo
        // just that statement) stay in memory instead of spilling to a temporary file.
        ("PRAGMA temp_store = MEMORY".to_string(), "set temp store"),
        // Commits never checkpoint: the checkpointer does, off the writer's path.
        (
            "PRAGMA wal_autocheckpoint = 0".to_string(),
            "turn off commit checkpoints",
        ),
        (
            format!("PRAGMA journal_size_limit = {}", wal.truncate_to_bytes()),
            "set WAL size limit",
        ),
    ]
}

thread_local! {
    static IN_LOG_WRITER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is a log writer (whose own events must not be logged).
pub(crate) fn in_log_writer() -> bool {
    IN_LOG_WRITER.with(Cell::get)
}

/// Everything the writer thread owns.
pub(crate) struct WriterState {
    path: PathBuf,
    /// The database's WAL file, whose size decides when to checkpoint.
    wal_path: PathBuf,
    /// When the writer last woke the checkpointer, against the configured policy.
    wal_watch: WalWatch,
    checkpointer: Checkpointer,
    config: LogWriterConfig,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    batch: Vec<LogEntry>,
    process_uuid: &'static str,
    /// Rows lost to failed batches not yet reported in a WARN row.
    lost_unreported: u64,
    last_failure: Option<String>,
    /// The first failure since the last flush, which that flush reports.
    failure_since_flush: Option<String>,
}

impl WriterState {
    pub(crate) fn new(
        path: PathBuf,
        config: LogWriterConfig,
        clock: Arc<dyn Clock>,
        counters: Arc<Counters>,
        process_uuid: &'static str,
    ) -> Self {
        Self {
            wal_path: checkpointer::wal_path(&path),
            wal_watch: WalWatch::new(config.wal),
            checkpointer: Checkpointer::new(),
            path,
            config,
            clock,
            counters,
            batch: Vec::new(),
            process_uuid,
            lost_unreported: 0,
            last_failure: None,
            failure_since_flush: None,
        }
    }

    /// The thread's body: open the database, report the outcome on `opened`, then drain.
    pub(crate) fn run(
        mut self,
        receiver: Receiver<Message>,
        opened: std::sync::mpsc::SyncSender<Result<(), LogsError>>,
    ) {
        IN_LOG_WRITER.with(|flag| flag.set(true));
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(source) => {
                let _ = opened.send(Err(LogsError::Spawn {
                    path: self.path.clone(),
                    source,
                }));
                return;
            }
        };
        runtime.block_on(async move {
            let (store, conn) = match self.open().await {
                Ok(opened) => opened,
                Err(error) => {
                    let _ = opened.send(Err(error));
                    return;
                }
            };
            let _ = opened.send(Ok(()));
            let checkpointer = tokio::spawn(
                self.checkpointer
                    .clone()
                    .run(store.pool().clone(), self.counters.checkpoints.clone()),
            );
            self.drain(receiver, conn).await;
            self.checkpointer.stop();
            let _ = checkpointer.await;
            store.close().await;
        });
    }

    async fn open(&self) -> Result<(LogStore, PoolConnection<Sqlite>), LogsError> {
        let store = LogStore::open(&self.path, self.clock.clone()).await?;
        let mut conn = store
            .pool()
            .acquire()
            .await
            .map_err(|source| query_error("connect", &self.path, source))?;
        // PRAGMA takes no bound parameters; the value is a number we computed.
        let busy_ms = self.config.busy_timeout.as_millis().min(i32::MAX as u128);
        sqlx::query(&format!("PRAGMA busy_timeout = {busy_ms}"))
            .execute(&mut *conn)
            .await
            .map_err(|source| query_error("set busy timeout", &self.path, source))?;
        for (pragma, operation) in writer_pragmas(&self.config.wal) {
            sqlx::query(&pragma)
                .execute(&mut *conn)
                .await
                .map_err(|source| query_error(operation, &self.path, source))?;
        }
        Ok((store, conn))
    }

    async fn drain(&mut self, receiver: Receiver<Message>, mut conn: PoolConnection<Sqlite>) {
        let batch_rows = self.config.flush_batch_rows.max(1);
        let take_rows = batch_rows.max(MAX_BATCH_ROWS);
        let mut incoming = Vec::with_capacity(take_rows);
        let mut tick = tokio::time::Instant::now() + self.config.flush_interval;
        let mut backlog = false;
        loop {
            // Never wait on the queue itself: a receiver parked there makes the next logging
            // call wake this thread (a futex wake, and often a context switch, inside the
            // caller's event). Sleep until the next tick instead, unless a producer signals a
            // batch's worth of rows, a flush, a shutdown or a full queue.
            if !backlog {
                tokio::select! {
                    () = self.counters.wake.notified() => {}
                    () = tokio::time::sleep_until(tick) => {}
                }
            }
            let closed = take_available(&receiver, &mut incoming, take_rows);
            let rows = incoming
                .iter()
                .filter(|message| matches!(message, Message::Row(_)))
                .count();
            self.counters
                .received
                .fetch_add(rows as u64, Ordering::Relaxed);
            self.counters
                .queued
                .fetch_sub(incoming.len(), Ordering::Relaxed);
            for message in incoming.drain(..) {
                match message {
                    Message::Row(mut entry) => {
                        self.counters.release_bytes(entry.queued_bytes());
                        if let Some(TextFilter(filter)) = &self.config.body_filter {
                            entry.body = filter(&entry.body);
                        }
                        self.batch.push(entry);
                    }
                    Message::Flush(ack) => {
                        let result = self.commit(&mut conn).await;
                        ack.send(self.flush_result(result));
                    }
                    #[cfg(test)]
                    Message::Execute(statement, ack) => {
                        let result = sqlx::query(&statement)
                            .execute(&mut *conn)
                            .await
                            .map(|_| ())
                            .map_err(|error| error.to_string());
                        ack.send(result);
                    }
                    Message::Shutdown(ack) => {
                        let result = self.commit(&mut conn).await;
                        ack.send(self.flush_result(result));
                        return;
                    }
                }
            }
            let now = tokio::time::Instant::now();
            let due = now >= tick;
            if due {
                tick = now + self.config.flush_interval;
            }
            // Everything that was queued is in the batch: under a backlog one commit takes it
            // all (up to MAX_BATCH_ROWS), which is what keeps the writer ahead of the producers.
            // A row waits at most one tick.
            if closed || due || self.batch.len() >= batch_rows {
                let _ = self.commit(&mut conn).await;
            }
            if closed {
                return;
            }
            backlog = self.counters.queued.load(Ordering::Relaxed) >= batch_rows;
        }
    }

    /// What a flush reports: the first failure since the previous flush, else this commit's.
    fn flush_result(&mut self, commit: Result<(), String>) -> Result<(), String> {
        match self.failure_since_flush.take() {
            Some(reason) => Err(reason),
            None => commit,
        }
    }

    /// Commits the batch plus a WARN row for any unreported drops or losses.
    async fn commit(&mut self, conn: &mut PoolConnection<Sqlite>) -> Result<(), String> {
        let queue_drops = self
            .counters
            .queue_full_unreported
            .swap(0, Ordering::Relaxed);
        let rows = self.batch.len() as u64;
        if rows == 0 && queue_drops == 0 && self.lost_unreported == 0 {
            return Ok(());
        }
        if queue_drops > 0 {
            let report = self.report(format!("dropped {queue_drops} log events: queue full"));
            self.batch.push(report);
        }
        if self.lost_unreported > 0 {
            let reason = self.last_failure.clone().unwrap_or_default();
            let report = self.report(format!(
                "lost {} log events: the logs database could not be written: {reason}",
                self.lost_unreported
            ));
            self.batch.push(report);
        }
        let result = insert_batch(
            conn,
            &self.path,
            &self.batch,
            &self.config.retention,
            self.clock.now_unix_seconds(),
        )
        .await;
        let committed = self.batch.len() as u64;
        self.batch.clear();
        match result {
            Ok(()) => {
                self.counters
                    .written
                    .fetch_add(committed, Ordering::Relaxed);
                self.counters.batches.fetch_add(1, Ordering::Relaxed);
                self.lost_unreported = 0;
                self.keep_wal_short(conn).await;
                Ok(())
            }
            Err(error) => {
                let reason = error.to_string();
                self.counters
                    .lost_write_failed
                    .fetch_add(rows, Ordering::Relaxed);
                self.lost_unreported += rows;
                // The queue drops were not reported after all; the next commit tries again.
                self.counters
                    .queue_full_unreported
                    .fetch_add(queue_drops, Ordering::Relaxed);
                self.last_failure = Some(reason.clone());
                self.failure_since_flush
                    .get_or_insert_with(|| reason.clone());
                Err(reason)
            }
        }
    }

    /// After a commit: wake the checkpointer, or restart an oversized WAL here (see
    /// `checkpointer.rs`). A restart that fails is left for the next commit: the rows are
    /// committed either way.
    async fn keep_wal_short(&mut self, conn: &mut PoolConnection<Sqlite>) {
        match self
            .wal_watch
            .after_commit(checkpointer::wal_bytes(&self.wal_path))
        {
            WalAction::Nothing => {}
            WalAction::WakeCheckpointer => self.checkpointer.wake(),
            WalAction::Restart => {
                let checkpoint = checkpointer::passive_checkpoint(conn);
                if let Ok(true) = self.checkpointer.between_passes(checkpoint).await {
                    self.counters
                        .checkpoints
                        .restarts
                        .fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn report(&self, body: String) -> LogEntry {
        let now = self.clock.now();
        LogEntry {
            ts: now.timestamp(),
            ts_nanos: i64::from(now.timestamp_subsec_nanos()),
            level: LogLevel::Warn,
            target: WRITER_TARGET.into(),
            body,
            thread_id: None,
            process_uuid: Cow::Borrowed(self.process_uuid),
            module_path: Some(module_path!().into()),
            file: None,
            line: None,
        }
    }
}

/// Moves up to `limit` queued messages into `incoming` without waiting; true when every sender
/// is gone.
fn take_available(receiver: &Receiver<Message>, incoming: &mut Vec<Message>, limit: usize) -> bool {
    while incoming.len() < limit {
        match receiver.try_recv() {
            Ok(message) => incoming.push(message),
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => return true,
        }
    }
    false
}
