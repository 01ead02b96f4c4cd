//! Starting and driving the background writer: its configuration, the queue's messages, the
//! counters shared with the layer, the [`LogWriter`] handle (flush, stats) and the [`LogGuard`]
//! that stops it. The thread's own loop lives in `writer_thread.rs`. Flushes and shutdowns wait
//! for the writer's answer, never longer than the caller allows when it is not async.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use tokio::sync::{Notify, oneshot};

use crate::logs::checkpointer::CheckpointCounters;
use crate::logs::writer_thread::WriterState;
use crate::logs::{
    CHECKPOINT_AFTER_WAL_BYTES, FLUSH_BATCH_ROWS, FLUSH_INTERVAL, LOG_QUEUE_CAPACITY,
    LOG_QUEUE_CAPACITY_BYTES, LOG_WRITER_BUSY_TIMEOUT, LogEntry, LogLayer, LogRetention, LogsError,
    RESTART_AFTER_WAL_BYTES, SHUTDOWN_FLUSH_WAIT, WalPolicy,
};
use crate::{Clock, TextFilter};

/// How often a blocking flush retries handing its marker to a full queue.
const FULL_QUEUE_RETRY: Duration = Duration::from_millis(1);
/// This process's id in the `process_uuid` column, the same for every writer it starts.
pub fn process_uuid() -> &'static str {
    static PROCESS_UUID: OnceLock<String> = OnceLock::new();
    PROCESS_UUID.get_or_init(|| uuid::Uuid::new_v4().to_string())
}

/// `uuid` as a `&'static str`: the default [`process_uuid`] as it is, any other value leaked once
/// per distinct value (a host configures at most a few), so every row can borrow it.
fn interned(uuid: &str) -> &'static str {
    if uuid == process_uuid() {
        return process_uuid();
    }
    static INTERNED: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut interned = INTERNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = interned.get(uuid) {
        return known;
    }
    let leaked: &'static str = Box::leak(uuid.to_owned().into_boxed_str());
    interned.insert(leaked);
    leaked
}

/// What travels from the layer (and flush callers) to the writer.
#[derive(Debug)]
pub(crate) enum Message {
    Row(LogEntry),
    Flush(Ack),
    Shutdown(Ack),
    /// Tests only: run a statement on the writer's connection (e.g. to make it "disk full").
    #[cfg(test)]
    Execute(String, Ack),
}

/// Where the writer answers a flush: an awaiting task or a blocked thread.
#[derive(Debug)]
pub(crate) enum Ack {
    Async(oneshot::Sender<Result<(), String>>),
    Blocking(std::sync::mpsc::SyncSender<Result<(), String>>),
}

impl Ack {
    pub(crate) fn send(self, result: Result<(), String>) {
        // A caller that stopped waiting is not an error.
        match self {
            Ack::Async(sender) => {
                let _ = sender.send(result);
            }
            Ack::Blocking(sender) => {
                let _ = sender.try_send(result);
            }
        }
    }
}

/// Counters shared by the layer, the writer and the handles.
#[derive(Debug)]
pub(crate) struct Counters {
    /// Rows the writer has taken from the queue (with `queued`, what was enqueued).
    pub(crate) received: AtomicU64,
    pub(crate) written: AtomicU64,
    pub(crate) batches: AtomicU64,
    pub(crate) dropped_queue_full: AtomicU64,
    pub(crate) queue_full_unreported: AtomicU64,
    pub(crate) lost_write_failed: AtomicU64,
    pub(crate) dropped_writer_stopped: AtomicU64,
    pub(crate) checkpoints: Arc<CheckpointCounters>,
    /// Wakes a writer that holds rows: a batch's worth is queued, or a flush or shutdown is.
    pub(crate) wake: Notify,
    /// Queued rows at which the layer wakes the writer.
    pub(crate) wake_at_queued: usize,
    /// Messages in the queue: counted up before each send (down again if it fails) and down by
    /// the writer as it takes them, since the channel does not say.
    pub(crate) queued: AtomicUsize,
    /// The queue's capacity.
    pub(crate) capacity: usize,
    /// Bytes the queued rows hold ([`LogEntry::queued_bytes`]): counted up by the layer before
    /// each send (down again if it fails) and down by the writer as it takes them.
    pub(crate) queued_bytes: AtomicUsize,
    /// The queue's capacity in bytes.
    pub(crate) capacity_bytes: usize,
}

impl Counters {
    /// Makes room for a row of `bytes` in the queue's byte budget; `false` (nothing counted)
    /// when the queued rows already hold the budget. A row alone in the queue always fits.
    pub(crate) fn reserve_bytes(&self, bytes: usize) -> bool {
        let before = self.queued_bytes.fetch_add(bytes, Ordering::Relaxed);
        if before > 0 && before.saturating_add(bytes) > self.capacity_bytes {
            self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Gives back what [`Counters::reserve_bytes`] counted for a row that left the queue (or
    /// never entered it).
    pub(crate) fn release_bytes(&self, bytes: usize) {
        self.queued_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Hands `message` to the queue without waiting, keeping `queued` right; returns how many
    /// messages are queued counting this one.
    // The error gives the message back, as the channel's own `try_send` does.
    #[allow(clippy::result_large_err)]
    pub(crate) fn try_send(
        &self,
        sender: &SyncSender<Message>,
        message: Message,
    ) -> Result<usize, TrySendError<Message>> {
        let queued = self.queued.fetch_add(1, Ordering::Relaxed) + 1;
        match sender.try_send(message) {
            Ok(()) => Ok(queued),
            Err(error) => {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                Err(error)
            }
        }
    }

    /// Hands `message` to the queue, waiting (asynchronously) while it is full, and wakes the
    /// writer; gives the message back when the writer has stopped.
    async fn send(
        &self,
        sender: &SyncSender<Message>,
        mut message: Message,
    ) -> Result<(), Message> {
        loop {
            match self.try_send(sender, message) {
                Ok(_) => {
                    self.wake.notify_one();
                    return Ok(());
                }
                Err(TrySendError::Disconnected(returned)) => return Err(returned),
                Err(TrySendError::Full(returned)) => {
                    message = returned;
                    self.wake.notify_one();
                    tokio::time::sleep(FULL_QUEUE_RETRY).await;
                }
            }
        }
    }
}

/// What the layer and writer have done so far (monotonic totals).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Events handed to the queue.
    pub enqueued: u64,
    /// Rows committed (including the writer's own report rows).
    pub written: u64,
    /// Transactions those rows were committed in (`written / batches` is the mean batch).
    pub batches: u64,
    /// Events dropped because the queue was full (in rows or in bytes).
    pub dropped_queue_full: u64,
    /// Enqueued events lost because their batch could not be written.
    pub lost_write_failed: u64,
    /// Events dropped because the writer had stopped.
    pub dropped_writer_stopped: u64,
    /// WAL checkpoints the background checkpointer completed.
    pub checkpoints: u64,
    /// Background checkpoints that failed (their frames stay in the WAL for the next one).
    pub checkpoint_failures: u64,
    /// Times the writer checkpointed the whole WAL itself (so it starts over) because it had grown
    /// past [`WalPolicy::restart_after_bytes`].
    pub wal_restarts: u64,
}

/// How the writer runs. `Default` gives the documented constants; change what you need with the
/// `with_*` setters (more settings may come).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LogWriterConfig {
    /// Queue capacity, in rows.
    pub queue_capacity: usize,
    /// Queue capacity, in bytes of queued rows ([`LogEntry::queued_bytes`]).
    pub queue_capacity_bytes: usize,
    /// The longest a row waits before its batch is committed.
    pub flush_interval: Duration,
    /// Commit as soon as a batch holds this many rows.
    pub flush_batch_rows: usize,
    /// How long a batch waits for another connection's lock.
    pub busy_timeout: Duration,
    /// Retention applied in every batch.
    pub retention: LogRetention,
    /// The `process_uuid` column value.
    pub process_uuid: String,
    /// When the WAL is checkpointed.
    pub wal: WalPolicy,
    /// Applied to every row's body on the writer's thread before it is written (secret
    /// redaction: a failure reason may quote a model answer or a session). `None` writes bodies
    /// as they are.
    pub body_filter: Option<TextFilter>,
}

impl Default for LogWriterConfig {
    fn default() -> Self {
        Self {
            queue_capacity: LOG_QUEUE_CAPACITY,
            queue_capacity_bytes: LOG_QUEUE_CAPACITY_BYTES,
            flush_interval: FLUSH_INTERVAL,
            flush_batch_rows: FLUSH_BATCH_ROWS,
            busy_timeout: LOG_WRITER_BUSY_TIMEOUT,
            retention: LogRetention::default(),
            process_uuid: process_uuid().to_string(),
            wal: WalPolicy {
                checkpoint_after_bytes: CHECKPOINT_AFTER_WAL_BYTES,
                restart_after_bytes: RESTART_AFTER_WAL_BYTES,
            },
            body_filter: None,
        }
    }
}

impl LogWriterConfig {
    /// With a queue of `queue_capacity` rows.
    pub fn with_queue_capacity(mut self, queue_capacity: usize) -> Self {
        self.queue_capacity = queue_capacity;
        self
    }

    /// With a queue of `queue_capacity_bytes` bytes of rows.
    pub fn with_queue_capacity_bytes(mut self, queue_capacity_bytes: usize) -> Self {
        self.queue_capacity_bytes = queue_capacity_bytes;
        self
    }

    /// Committing a row within `flush_interval`.
    pub fn with_flush_interval(mut self, flush_interval: Duration) -> Self {
        self.flush_interval = flush_interval;
        self
    }

    /// Committing as soon as a batch holds `flush_batch_rows` rows.
    pub fn with_flush_batch_rows(mut self, flush_batch_rows: usize) -> Self {
        self.flush_batch_rows = flush_batch_rows;
        self
    }

    /// Waiting `busy_timeout` for another connection's lock.
    pub fn with_busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }

    /// Applying `retention` in every batch.
    pub fn with_retention(mut self, retention: LogRetention) -> Self {
        self.retention = retention;
        self
    }

    /// Writing `process_uuid` in the `process_uuid` column.
    pub fn with_process_uuid(mut self, process_uuid: String) -> Self {
        self.process_uuid = process_uuid;
        self
    }

    /// Checkpointing the WAL as `wal` says.
    pub fn with_wal(mut self, wal: WalPolicy) -> Self {
        self.wal = wal;
        self
    }

    /// Passing every body through `body_filter` before it is written.
    pub fn with_body_filter(mut self, body_filter: Option<TextFilter>) -> Self {
        self.body_filter = body_filter;
        self
    }
}

/// A handle on a running writer: flush it, read its counters.
#[derive(Debug, Clone)]
pub struct LogWriter {
    sender: SyncSender<Message>,
    counters: Arc<Counters>,
    path: PathBuf,
}

impl LogWriter {
    /// Returns once every row enqueued before this call is committed; fails if any of them
    /// could not be written (they are counted as lost) or the writer has stopped.
    pub async fn flush(&self) -> Result<(), LogsError> {
        let (ack, answer) = oneshot::channel();
        self.counters
            .send(&self.sender, Message::Flush(Ack::Async(ack)))
            .await
            .map_err(|_| self.stopped())?;
        let result = answer.await.map_err(|_| self.stopped())?;
        result.map_err(|reason| LogsError::Write {
            path: self.path.clone(),
            reason,
        })
    }

    /// [`LogWriter::flush`] for a thread that is not async, waiting at most `wait`. Must not be
    /// called from the writer's own thread.
    pub fn flush_blocking(&self, wait: Duration) -> Result<(), LogsError> {
        self.send_blocking(Message::Flush, wait)
    }

    /// The counters so far.
    pub fn stats(&self) -> LogStats {
        let counters = &self.counters;
        LogStats {
            // Counted without a shared counter in the logging call: taken by the writer plus
            // still queued (which, while a flush or shutdown is in flight, counts it too).
            enqueued: counters.received.load(Ordering::Relaxed)
                + counters.queued.load(Ordering::Relaxed) as u64,
            written: counters.written.load(Ordering::Relaxed),
            batches: counters.batches.load(Ordering::Relaxed),
            dropped_queue_full: counters.dropped_queue_full.load(Ordering::Relaxed),
            lost_write_failed: counters.lost_write_failed.load(Ordering::Relaxed),
            dropped_writer_stopped: counters.dropped_writer_stopped.load(Ordering::Relaxed),
            checkpoints: counters.checkpoints.background.load(Ordering::Relaxed),
            checkpoint_failures: counters.checkpoints.failed.load(Ordering::Relaxed),
            wal_restarts: counters.checkpoints.restarts.load(Ordering::Relaxed),
        }
    }

    /// Rows waiting in the queue right now.
    pub fn queued(&self) -> usize {
        self.counters.queued.load(Ordering::Relaxed)
    }

    /// The queue's capacity, in rows.
    pub fn queue_capacity(&self) -> usize {
        self.counters.capacity
    }

    /// Bytes the queued rows hold right now.
    pub fn queued_bytes(&self) -> usize {
        self.counters.queued_bytes.load(Ordering::Relaxed)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn stopped(&self) -> LogsError {
        LogsError::WriterStopped {
            path: self.path.clone(),
        }
    }

    fn send_blocking(
        &self,
        message: impl FnOnce(Ack) -> Message,
        wait: Duration,
    ) -> Result<(), LogsError> {
        let deadline = Instant::now() + wait;
        let (ack, answer) = sync_channel(1);
        let mut message = message(Ack::Blocking(ack));
        loop {
            match self.counters.try_send(&self.sender, message) {
                Ok(_) => {
                    self.counters.wake.notify_one();
                    break;
                }
                Err(TrySendError::Disconnected(_)) => return Err(self.stopped()),
                Err(TrySendError::Full(returned)) => {
                    self.counters.wake.notify_one();
                    if Instant::now() >= deadline {
                        return Err(self.timed_out(wait));
                    }
                    message = returned;
                    std::thread::sleep(FULL_QUEUE_RETRY);
                }
            }
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        match answer.recv_timeout(remaining) {
            Ok(result) => result.map_err(|reason| LogsError::Write {
                path: self.path.clone(),
                reason,
            }),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(self.timed_out(wait)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(self.stopped()),
        }
    }

    fn timed_out(&self, wait: Duration) -> LogsError {
        LogsError::FlushTimedOut {
            path: self.path.clone(),
            waited: wait,
        }
    }
}

/// Owns the writer thread: dropping it flushes what is queued (waiting at most
/// [`SHUTDOWN_FLUSH_WAIT`]) and stops the writer. Keep it alive as long as the layer is used.
#[derive(Debug)]
pub struct LogGuard {
    writer: LogWriter,
    thread: Option<JoinHandle<()>>,
}

impl LogGuard {
    /// The handle for flushing and counters.
    pub fn writer(&self) -> &LogWriter {
        &self.writer
    }

    /// Commits what is queued and stops the writer, waiting at most `wait`. Later events are
    /// counted as dropped (writer stopped).
    pub fn shutdown(&mut self, wait: Duration) -> Result<(), LogsError> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let result = self.writer.send_blocking(Message::Shutdown, wait);
        // Only join a writer that answered; one stuck on a lock is left to finish on its own.
        if result.is_ok() {
            let _ = thread.join();
        }
        result
    }
}

#[cfg(test)]
impl LogGuard {
    /// Forbids the writer's connection to grow the file past `pages` pages.
    pub(crate) async fn set_max_page_count_for_test(&self, pages: i64) {
        let (ack, answer) = oneshot::channel();
        let statement = format!("PRAGMA max_page_count = {pages}");
        let sent = self
            .writer
            .counters
            .send(
                &self.writer.sender,
                Message::Execute(statement, Ack::Async(ack)),
            )
            .await;
        assert!(sent.is_ok(), "writer stopped");
        assert_eq!(answer.await.ok(), Some(Ok(())));
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        let _ = self.shutdown(SHUTDOWN_FLUSH_WAIT);
    }
}

/// Opens (creating and migrating) the logs DB at `path` on a new writer thread and returns the
/// layer to install plus the guard that owns the writer. Blocks while the database opens; fails
/// if it cannot be opened, in which case no thread is left running.
pub fn start_log_writer(
    path: &Path,
    config: LogWriterConfig,
    clock: Arc<dyn Clock>,
) -> Result<(LogLayer, LogGuard), LogsError> {
    let capacity = config.queue_capacity.max(1);
    let (sender, receiver): (SyncSender<Message>, Receiver<Message>) = sync_channel(capacity);
    let counters = Arc::new(Counters {
        received: AtomicU64::new(0),
        written: AtomicU64::new(0),
        batches: AtomicU64::new(0),
        dropped_queue_full: AtomicU64::new(0),
        queue_full_unreported: AtomicU64::new(0),
        lost_write_failed: AtomicU64::new(0),
        dropped_writer_stopped: AtomicU64::new(0),
        checkpoints: Arc::default(),
        wake: Notify::new(),
        wake_at_queued: config.flush_batch_rows.clamp(1, capacity),
        queued: AtomicUsize::new(0),
        capacity,
        queued_bytes: AtomicUsize::new(0),
        capacity_bytes: config.queue_capacity_bytes.max(1),
    });
    let process_uuid = interned(&config.process_uuid);
    let (opened_sender, opened) = sync_channel(1);
    let state = WriterState::new(
        path.to_path_buf(),
        config,
        clock.clone(),
        counters.clone(),
        process_uuid,
    );
    let thread = std::thread::Builder::new()
        .name("codex-log-writer".to_string())
        .spawn(move || state.run(receiver, opened_sender))
        .map_err(|source| LogsError::Spawn {
            path: path.to_path_buf(),
            source,
        })?;
    let open_result = opened.recv().unwrap_or_else(|_| {
        Err(LogsError::WriterStopped {
            path: path.to_path_buf(),
        })
    });
    if let Err(error) = open_result {
        let _ = thread.join();
        return Err(error);
    }
    let layer = LogLayer::new(sender.clone(), counters.clone(), clock, process_uuid);
    let guard = LogGuard {
        writer: LogWriter {
            sender,
            counters,
            path: path.to_path_buf(),
        },
        thread: Some(thread),
    };
    Ok((layer, guard))
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
