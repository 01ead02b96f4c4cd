//! `MemoryStore`: the memories DB (`memories_1.sqlite`) — leased stage-1 and phase-2 jobs, the
//! stage-1 outputs and the user's per-thread memory modes. Threads live in the state DB, which
//! every connection ATTACHes read-only as `state`, so the store can join `state.threads` but can
//! never write it. Every read-then-write runs under `BEGIN IMMEDIATE` (the write lock is taken
//! before the read) or is one atomic statement; every finisher checks `status='running'` and the
//! ownership token. All times are unix seconds from the injected [`Clock`].

mod control;
mod eligibility;
mod entry_index;
mod entry_search;
mod job_failure;
mod phase2;
mod provider_endpoints;
mod rows;
mod selection;
mod stage1_abandon;
pub(super) mod stage1_claim;
mod stage1_fast_claim;
mod stage1_finish;
mod stage1_forget;
mod stage1_release;
mod stage1_retry;
mod stage1_startup;
mod status;

use std::collections::HashMap;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sqlx::migrate::Migrator;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::sqlite::{
    Attachment, ReadOnlyOpen, open_sqlite_attached, open_sqlite_in_memory, open_sqlite_read_only,
};
use crate::{Clock, StateError, StateRuntime, TextFilter};

pub use control::{DeleteOutcome, ModeSetBy};
pub use eligibility::EligibilityFacts;
pub use entry_index::{EntryKind, FileUpdate, IndexUpdateReport, IndexedEntry, IndexedFile};
pub use entry_search::{EntryHit, EntrySearch, fts_query};
pub use phase2::{PHASE2_ABANDONED_REASON, Phase2Claim, Phase2ClaimOutcome, Phase2ClaimParams};
pub use provider_endpoints::EndpointProfile;
pub use rows::{JobKind, JobRow, JobStatus, Stage1OutputRow};
pub use selection::{Phase2Input, SelectedInput};
pub use stage1_abandon::STAGE1_ABANDONED_REASON;
pub use stage1_claim::{Stage1Claim, Stage1ClaimOutcome, Stage1ClaimParams};
pub use stage1_finish::{OFFLINE_PRODUCER, Stage1OutputInput, Stage1Producer};
pub use stage1_retry::{ReextractRequest, ReextractScope};
pub use stage1_startup::{StartupClaimReport, StartupScan, StartupScanParams, StartupSkips};
pub use status::{MemoryStatus, STATUS_RECENT_ERRORS, Stage1Error, Stage1StatusCounts};

/// How long a stage-1 claim owns its thread before another worker may take it over.
pub const STAGE1_LEASE_SECONDS: i64 = 3600;
/// How long a failed stage-1 job waits before it may be claimed again.
pub const STAGE1_RETRY_DELAY_SECONDS: i64 = 3600;
/// Attempts per thread version; a newer version of the thread refills them.
pub const RETRIES_PER_JOB_VERSION: i64 = 3;
/// How long a phase-2 claim owns the global job without a heartbeat.
pub const PHASE2_LEASE_SECONDS: i64 = 3600;
/// How often a running phase 2 should extend its lease.
pub const PHASE2_HEARTBEAT_SECONDS: i64 = 90;
/// The longest lease any claim may hold, in seconds: a longer lease asked for is cut to it, and a
/// stored `lease_until` further ahead than now + this counts as expired, so a clock that ran ahead
/// (or was set back) cannot pin a job for longer than one lease.
pub const MAX_LEASE_SECONDS: i64 = if STAGE1_LEASE_SECONDS > PHASE2_LEASE_SECONDS {
    STAGE1_LEASE_SECONDS
} else {
    PHASE2_LEASE_SECONDS
};
/// After a successful phase 2, how long the next one waits.
pub const PHASE2_SUCCESS_COOLDOWN_SECONDS: i64 = 6 * 3600;
/// How long a failed phase 2 waits before it may be claimed again (same as stage 1's).
pub const PHASE2_RETRY_DELAY_SECONDS: i64 = STAGE1_RETRY_DELAY_SECONDS;
/// How many threads the startup scan looks at, newest first.
pub const STARTUP_THREAD_SCAN_LIMIT: u32 = 5000;
/// How many stage-1 jobs may hold a live lease at once.
pub const DEFAULT_STAGE1_RUNNING_CAP: u32 = 8;
/// Rows read per query when selecting phase-2 inputs.
pub const SELECTION_PAGE_SIZE: u32 = 512;
/// How many times a transaction that still met `SQLITE_BUSY` after the busy timeout is re-run.
const BUSY_ATTEMPTS: u32 = 5;
/// The job key of the one phase-2 job.
pub const PHASE2_JOB_KEY: &str = "global";
/// Seconds per day, for the `*_days` windows.
const SECONDS_PER_DAY: i64 = 86_400;

/// The memories DB's schema, embedded at build time from `state/memory_migrations/`.
pub(crate) static MEMORIES_MIGRATOR: Migrator = sqlx::migrate!("./memory_migrations");

/// The open memories database, with the state DB attached read-only as `state`.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    pool: SqlitePool,
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// This process's write gate for the file, shared with every other store on it.
    gate: Arc<AsyncMutex<()>>,
    /// The runtime's rewrite of user text (secret redaction), applied to every failure reason
    /// before it is stored: a reason may quote a model answer or a rollout.
    text_filter: Option<TextFilter>,
}

/// A write transaction holding its process's write gate; derefs to the connection. Dropping it
/// without [`MemoryStore::commit`] rolls back, then opens the gate.
struct WriteTransaction {
    // Field order is drop order: the transaction ends before the gate opens.
    transaction: Transaction<'static, Sqlite>,
    _gate: OwnedMutexGuard<()>,
}

impl Deref for WriteTransaction {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.transaction
    }
}

impl DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.transaction
    }
}

/// One write gate per database file per process. Writers of one process queue here, in FIFO
/// order, instead of sleeping in SQLite's busy handler (whose growing sleeps leave the lock idle
/// under contention); writers of other processes still meet at SQLite's lock.
fn write_gate(path: &Path) -> Arc<AsyncMutex<()>> {
    static GATES: OnceLock<Mutex<HashMap<PathBuf, Arc<AsyncMutex<()>>>>> = OnceLock::new();
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut gates = GATES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(gates.entry(key).or_default())
}

impl MemoryStore {
    /// Opens (creating and migrating as needed) `<sqlite_home>/memories_1.sqlite` beside the
    /// runtime's state DB, with the runtime's clock.
    pub async fn open(runtime: &StateRuntime) -> Result<Self, StateError> {
        let path = runtime.homes().memories_db_path();
        let attachments = [Attachment {
            alias: "state",
            path: runtime.state_db_path(),
        }];
        let clock = Arc::clone(runtime.clock());
        let pool =
            open_sqlite_attached(&path, &MEMORIES_MIGRATOR, &attachments, clock.as_ref()).await?;
        let gate = write_gate(&path);
        Ok(Self {
            pool,
            path,
            clock,
            gate,
            text_filter: runtime.text_filter().cloned(),
        })
    }

    /// Opens the memories DB beside `runtime`'s state DB for reading only, as `status` does:
    /// nothing is created or migrated. When the file does not exist yet, the store reads an empty
    /// memories DB held in memory (over the real thread index), so every read answers "nothing
    /// yet" instead of failing; an older file is reported, not read.
    pub async fn open_read_only(runtime: &StateRuntime) -> Result<ReadOnlyOpen<Self>, StateError> {
        let path = runtime.homes().memories_db_path();
        let attachments = [Attachment {
            alias: "state",
            path: runtime.state_db_path(),
        }];
        let clock = Arc::clone(runtime.clock());
        let pool =
            match open_sqlite_read_only(&path, &MEMORIES_MIGRATOR, &attachments, clock.as_ref())
                .await?
            {
                ReadOnlyOpen::Ready(pool) => pool,
                ReadOnlyOpen::Missing { .. } => {
                    open_sqlite_in_memory(&MEMORIES_MIGRATOR, &attachments).await?
                }
                ReadOnlyOpen::Older {
                    path,
                    applied,
                    latest,
                } => {
                    return Ok(ReadOnlyOpen::Older {
                        path,
                        applied,
                        latest,
                    });
                }
            };
        let gate = write_gate(&path);
        Ok(ReadOnlyOpen::Ready(Self {
            pool,
            path,
            clock,
            gate,
            text_filter: runtime.text_filter().cloned(),
        }))
    }

    /// The memories database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The clock every timestamp of this store comes from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The connection pool (the state DB is attached as `state`, read-only).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn now(&self) -> i64 {
        self.clock.now_unix_seconds()
    }

    /// `text` as it may be stored: through the runtime's text filter (redaction), if any.
    fn filtered<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match &self.text_filter {
            Some(TextFilter(filter)) => std::borrow::Cow::Owned(filter(text)),
            None => std::borrow::Cow::Borrowed(text),
        }
    }

    fn query_error(&self, operation: &'static str, source: sqlx::Error) -> StateError {
        StateError::Query {
            operation,
            path: self.path.clone(),
            source: crate::DatabaseError::driver(source),
        }
    }

    fn bad_row(&self, what: String, detail: String) -> StateError {
        StateError::BadRow {
            path: self.path.clone(),
            what,
            detail,
        }
    }

    /// Starts a write transaction holding the write lock from its first statement, so what it
    /// reads cannot change before it writes. Dropping it without commit rolls it back.
    async fn begin_immediate(
        &self,
        operation: &'static str,
    ) -> Result<WriteTransaction, StateError> {
        // The gate is taken before a connection, so no task holds a connection while it waits.
        let gate = Arc::clone(&self.gate).lock_owned().await;
        let transaction = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|source| self.query_error(operation, source))?;
        Ok(WriteTransaction {
            transaction,
            _gate: gate,
        })
    }

    /// A connection for one atomic write statement, holding the process's write gate.
    async fn write_connection(
        &self,
        operation: &'static str,
    ) -> Result<(OwnedMutexGuard<()>, sqlx::pool::PoolConnection<Sqlite>), StateError> {
        let gate = Arc::clone(&self.gate).lock_owned().await;
        let connection = self
            .pool
            .acquire()
            .await
            .map_err(|source| self.query_error(operation, source))?;
        Ok((gate, connection))
    }

    /// Ends a write transaction without writing, before its gate opens (a rollback left to the
    /// drop would run later, after the next writer of this process already met the lock).
    async fn rollback(
        &self,
        transaction: WriteTransaction,
        operation: &'static str,
    ) -> Result<(), StateError> {
        let WriteTransaction { transaction, _gate } = transaction;
        transaction
            .rollback()
            .await
            .map_err(|source| self.query_error(operation, source))
    }

    async fn commit(
        &self,
        transaction: WriteTransaction,
        operation: &'static str,
    ) -> Result<(), StateError> {
        let WriteTransaction { transaction, _gate } = transaction;
        transaction
            .commit()
            .await
            .map_err(|source| self.query_error(operation, source))
    }

    /// Runs `attempt` (one whole transaction) again when SQLite still reported the database busy
    /// after the busy timeout, up to [`BUSY_ATTEMPTS`] times. The transaction that failed was
    /// rolled back when it was dropped, so a re-run starts clean.
    async fn retry_busy<T, F, Fut>(&self, mut attempt: F) -> Result<T, StateError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StateError>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match attempt().await {
                Err(error) if error.is_busy() && attempts < BUSY_ATTEMPTS => continue,
                result => return result,
            }
        }
    }
}

/// A thread id as stored in the memories DB.
fn key(thread_id: crate::ThreadId) -> String {
    thread_id.to_string()
}

/// A claimer id unique to this run: `codex-memories-<pid>-<uuid>`. Every claim records it; the
/// UUID keeps two runs apart even when the OS reuses a process id, and the process id tells an
/// operator which process held a job.
pub fn new_worker_id() -> String {
    format!(
        "codex-memories-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    )
}

/// Whether a `running` job's stored `lease_until` still owns it at `now`: it ends after now, and
/// no later than now + [`MAX_LEASE_SECONDS`] (a lease further ahead was written by a clock that ran
/// ahead, or this one was set back; it counts as expired).
fn lease_is_live(lease_until: Option<i64>, now: i64) -> bool {
    lease_until.is_some_and(|until| until > now && until <= lease_horizon(now))
}

/// The latest `lease_until` a live lease may have at `now`.
fn lease_horizon(now: i64) -> i64 {
    now.saturating_add(MAX_LEASE_SECONDS)
}

/// The SQL condition "this job row holds a live lease", with `now` and `horizon`
/// ([`lease_horizon`]) the names of two bound parameters, e.g. `?3` and `?4`.
fn live_lease_sql(now: &str, horizon: &str) -> String {
    format!("(status = 'running' AND lease_until > {now} AND lease_until <= {horizon})")
}

/// A lease length asked for, cut to [`MAX_LEASE_SECONDS`] (and at least one second).
fn bounded_lease(lease_seconds: i64) -> i64 {
    lease_seconds.clamp(1, MAX_LEASE_SECONDS)
}

/// `now - days`, in seconds, saturating.
fn days_before(now: i64, days: u32) -> i64 {
    now.saturating_sub(i64::from(days).saturating_mul(SECONDS_PER_DAY))
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod eligibility_tests;
#[cfg(test)]
#[path = "entry_index_tests.rs"]
mod entry_index_tests;
#[cfg(test)]
#[path = "phase2_tests.rs"]
mod phase2_tests;
#[cfg(test)]
#[path = "selection_tests.rs"]
mod selection_tests;
#[cfg(test)]
#[path = "stage1_tests.rs"]
mod stage1_tests;
#[cfg(test)]
mod test_helpers;
