//! Keeping the logs DB's write-ahead log short without making the writer wait for the disk.
//!
//! The writer's connection never checkpoints on commit (its `wal_autocheckpoint` is off): a
//! checkpoint syncs the WAL and the database file, and at the retention caps those syncs were
//! half of every commit's time (docs/benchmarks.md, logs). Instead, after each commit the writer
//! looks at the WAL file's size ([`WalWatch::after_commit`]):
//! - each time it has grown by `checkpoint_after_bytes` since the log started over or since the
//!   last wake, it wakes the [`Checkpointer`], a task with its own connection (opened at its
//!   first wake) that copies the committed frames back with a PASSIVE checkpoint — which never
//!   blocks the writer, which goes on committing while the copy and its syncs run. Waking once
//!   per that many new bytes, not after every commit past them, lets the many versions of a page
//!   that commits at the caps rewrite collapse into one copy;
//! - past `restart_after_bytes` the writer checkpoints itself, between its transactions (after a
//!   background pass that is running: SQLite refuses a second checkpoint rather than waiting).
//!   The background alone cannot always get the log to start over: SQLite starts it over only
//!   when a write transaction begins with every frame copied, and during a sustained burst each
//!   pass ends while the writer is already in its next transaction. The writer's own pass only
//!   has to copy what the background has not, and then its next transaction writes the WAL from
//!   its beginning. This bounds the file. It is PASSIVE too: a reader still using the WAL delays
//!   the start-over (as it would SQLite's own) but never makes the writer wait.
//!
//! When the log starts over SQLite cuts the file back to half the checkpoint size
//! (`journal_size_limit`), so a file past `checkpoint_after_bytes` always means that many bytes
//! of frames since the last restart.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::Notify;

/// When the writer checkpoints, in WAL file bytes (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalPolicy {
    /// Past this the background checkpointer copies the WAL back into the database.
    pub checkpoint_after_bytes: u64,
    /// Past this the writer restarts the WAL itself after its commit.
    pub restart_after_bytes: u64,
}

/// What the writer does about the WAL after a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WalAction {
    Nothing,
    WakeCheckpointer,
    Restart,
}

impl WalPolicy {
    /// The size SQLite cuts the WAL file back to when the log starts over: below the checkpoint
    /// threshold, so a file past it holds that many bytes of new frames.
    pub(crate) fn truncate_to_bytes(&self) -> u64 {
        self.checkpoint_after_bytes / 2
    }
}

/// The writer's view of its WAL between commits: the policy, and the file's size when it last
/// woke the checkpointer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalWatch {
    policy: WalPolicy,
    /// The WAL file's size at the last wake; 0 when there was none since the log started over.
    woken_at_bytes: u64,
}

impl WalWatch {
    pub(crate) fn new(policy: WalPolicy) -> Self {
        Self {
            policy,
            woken_at_bytes: 0,
        }
    }

    /// The action for a WAL file of `wal_bytes` after a commit. A file smaller than at the last
    /// wake means the log started over (SQLite cut it back), so the count starts again.
    pub(crate) fn after_commit(&mut self, wal_bytes: u64) -> WalAction {
        if wal_bytes < self.woken_at_bytes {
            self.woken_at_bytes = 0;
        }
        if wal_bytes > self.policy.restart_after_bytes {
            self.woken_at_bytes = 0;
            WalAction::Restart
        } else if wal_bytes - self.woken_at_bytes > self.policy.checkpoint_after_bytes {
            self.woken_at_bytes = wal_bytes;
            WalAction::WakeCheckpointer
        } else {
            WalAction::Nothing
        }
    }
}

/// The WAL file of the database at `db_path` (`<db>-wal`).
pub(crate) fn wal_path(db_path: &Path) -> PathBuf {
    let mut wal = db_path.as_os_str().to_os_string();
    wal.push("-wal");
    PathBuf::from(wal)
}

/// The size of `wal`, 0 when it does not exist (or cannot be read: then nothing is done).
pub(crate) fn wal_bytes(wal: &Path) -> u64 {
    std::fs::metadata(wal).map_or(0, |metadata| metadata.len())
}

/// `PRAGMA wal_checkpoint(PASSIVE)` on `conn`: copies what it can without waiting for anyone.
/// Returns whether every frame was copied (not when another checkpoint was running, or a reader
/// pins frames the copy cannot pass). Run by the checkpointer task, and by the writer between its
/// transactions so that its next transaction starts the log over.
pub(crate) async fn passive_checkpoint(conn: &mut SqliteConnection) -> Result<bool, sqlx::Error> {
    let (busy, log_frames, copied_frames): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *conn)
            .await?;
    Ok(busy == 0 && log_frames == copied_frames)
}

/// Counters the checkpointer shares with the writer's stats.
#[derive(Debug, Default)]
pub(crate) struct CheckpointCounters {
    /// Background checkpoints that ran to completion.
    pub(crate) background: AtomicU64,
    /// Background checkpoints that failed (e.g. a full disk); the WAL keeps the rows.
    pub(crate) failed: AtomicU64,
    /// Checkpoints the writer ran itself that copied the whole log, so it starts over.
    pub(crate) restarts: AtomicU64,
}

/// The background checkpointer: wakes on [`Checkpointer::wake`], runs a PASSIVE checkpoint on its
/// own connection, and stops on [`Checkpointer::stop`]. Wakes that arrive while a pass runs
/// collapse into one more pass.
#[derive(Debug, Clone)]
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    wake: Notify,
    stopping: AtomicBool,
    /// Held for each pass, and by the writer around its restart: SQLite refuses a second
    /// checkpoint while one runs (without waiting), so the writer waits for the pass here.
    pass: tokio::sync::Mutex<()>,
}

impl Checkpointer {
    pub(crate) fn new() -> Self {
        Self {
            shared: Arc::new(Shared::default()),
        }
    }

    /// Asks for a pass.
    pub(crate) fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// Runs `checkpoint` (the writer's own) once no background pass is running.
    pub(crate) async fn between_passes<T>(&self, checkpoint: impl Future<Output = T>) -> T {
        let _pass = self.shared.pass.lock().await;
        checkpoint.await
    }

    /// Ends the task after its current pass.
    pub(crate) fn stop(&self) {
        self.shared.stopping.store(true, Ordering::Relaxed);
        self.shared.wake.notify_one();
    }

    /// The task's body. Its connection is taken from `pool` at the first wake, so a process
    /// whose WAL never grows that far never opens it. A failed pass is counted and the next wake
    /// tries again: the frames stay in the WAL, readable, until a checkpoint copies them.
    pub(crate) async fn run(self, pool: SqlitePool, counters: Arc<CheckpointCounters>) {
        let mut conn: Option<PoolConnection<Sqlite>> = None;
        loop {
            self.shared.wake.notified().await;
            if self.shared.stopping.load(Ordering::Relaxed) {
                return;
            }
            let pass = {
                let _pass = self.shared.pass.lock().await;
                match &mut conn {
                    Some(conn) => passive_checkpoint(conn).await,
                    None => match pool.acquire().await {
                        Ok(opened) => passive_checkpoint(conn.insert(opened)).await,
                        Err(error) => Err(error),
                    },
                }
            };
            let counter = match pass {
                Ok(_) => &counters.background,
                Err(_) => &counters.failed,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    const POLICY: WalPolicy = WalPolicy {
        checkpoint_after_bytes: 8,
        restart_after_bytes: 32,
    };

    /// The actions for WAL file sizes seen after successive commits.
    fn actions(sizes: &[u64]) -> Vec<WalAction> {
        let mut watch = WalWatch::new(POLICY);
        sizes.iter().map(|&size| watch.after_commit(size)).collect()
    }

    #[test]
    fn a_small_wal_is_left_alone_a_larger_one_checkpointed_and_an_oversized_one_restarted() {
        use WalAction::{Nothing, Restart, WakeCheckpointer};
        assert_eq!(actions(&[0, 8]), [Nothing, Nothing]);
        assert_eq!(actions(&[9]), [WakeCheckpointer]);
        assert_eq!(actions(&[33]), [Restart]);
    }

    #[test]
    fn the_checkpointer_is_woken_once_per_checkpoint_size_of_new_log() {
        use WalAction::{Nothing, Restart, WakeCheckpointer};
        assert_eq!(
            actions(&[5, 9, 12, 17, 18, 30, 33]),
            [
                Nothing,
                WakeCheckpointer,
                Nothing,
                Nothing,
                WakeCheckpointer,
                WakeCheckpointer,
                Restart
            ]
        );
    }

    #[test]
    fn a_log_that_started_over_is_counted_from_its_new_size() {
        use WalAction::{Nothing, Restart, WakeCheckpointer};
        // Woken at 20; the log started over and was cut back to 4 (the file shrank): the next
        // wake comes past 8 again, not past 28.
        assert_eq!(
            actions(&[20, 4, 9]),
            [WakeCheckpointer, Nothing, WakeCheckpointer]
        );
        // After the writer's own restart the count starts from zero too.
        assert_eq!(
            actions(&[12, 33, 4, 9]),
            [WakeCheckpointer, Restart, Nothing, WakeCheckpointer]
        );
    }

    #[test]
    fn the_wal_is_cut_back_below_the_checkpoint_threshold() {
        assert!(POLICY.truncate_to_bytes() < POLICY.checkpoint_after_bytes);
    }

    #[test]
    fn the_wal_file_sits_beside_the_database() {
        assert_eq!(
            wal_path(Path::new("/a/logs_1.sqlite")),
            PathBuf::from("/a/logs_1.sqlite-wal")
        );
        assert_eq!(wal_bytes(Path::new("/nonexistent/x-wal")), 0);
    }
}
