//! SQLite state for codex-memories: the thread index built from rollout files, the memories job
//! store (leased stage-1 and phase-2 jobs, stage-1 outputs) and the logs database. It knows
//! nothing of models or prompts.
//!
//! Start with [`StateRuntime`]: it resolves nothing itself — pass it [`Homes`] (see
//! [`Homes::resolve`]) — and opens `state_1.sqlite` under the sqlite home through
//! [`open_sqlite`], which every database of ours shares. [`MemoryStore`] opens
//! `memories_1.sqlite` beside it (jobs, stage-1 outputs). Time comes from a [`Clock`].
//! [`StateRuntime::index_sessions`] brings the thread index up to date with the rollout files
//! (`indexer/`, with per-file metadata rules in `metadata/`); `threads.rs` reads it back. The
//! logs database and its `tracing` layer live in [`logs`] (start with [`logs::start_log_writer`]).

mod clock;
mod error;
mod forgotten;
mod indexer;
pub mod logs;
mod memory_store;
mod metadata;
mod paths;
mod runtime;
mod sqlite;
mod sqlite_codes;
pub mod test_support;
mod threads;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codex_protocol::ThreadId;
pub use error::StateError;
pub use indexer::{
    BATCH_ROWS, FailedFile, HeldBackRemoval, IndexOptions, IndexProgress, IndexReport,
    MASS_REMOVAL_MAX_PERCENT, MASS_REMOVAL_MAX_THREADS, SessionCheck, UnreadableRoot,
    mass_removal_limit,
};
pub use memory_store::{
    DEFAULT_STAGE1_RUNNING_CAP, DeleteOutcome, EligibilityFacts, EndpointProfile, EntryHit,
    EntryKind, EntrySearch, FileUpdate, IndexUpdateReport, IndexedEntry, IndexedFile, JobKind,
    JobRow, JobStatus, MAX_LEASE_SECONDS, MemoryStatus, MemoryStore, ModeSetBy, OFFLINE_PRODUCER,
    PHASE2_ABANDONED_REASON, PHASE2_HEARTBEAT_SECONDS, PHASE2_JOB_KEY, PHASE2_LEASE_SECONDS,
    PHASE2_RETRY_DELAY_SECONDS, PHASE2_SUCCESS_COOLDOWN_SECONDS, Phase2Claim, Phase2ClaimOutcome,
    Phase2ClaimParams, Phase2Input, RETRIES_PER_JOB_VERSION, ReextractRequest, ReextractScope,
    SELECTION_PAGE_SIZE, STAGE1_ABANDONED_REASON, STAGE1_LEASE_SECONDS, STAGE1_RETRY_DELAY_SECONDS,
    STARTUP_THREAD_SCAN_LIMIT, STATUS_RECENT_ERRORS, SelectedInput, Stage1Claim,
    Stage1ClaimOutcome, Stage1ClaimParams, Stage1Error, Stage1OutputInput, Stage1OutputRow,
    Stage1Producer, Stage1StatusCounts, StartupClaimReport, StartupScan, StartupScanParams,
    StartupSkips, fts_query, new_worker_id,
};
pub use metadata::{ExtractError, FileStat, MAX_INDEXED_LINE_BYTES, StoredStat, extract_thread};
pub use paths::{
    ARCHIVED_SESSIONS_DIR_NAME, CODEX_HOME_ENV, DEFAULT_CODEX_HOME_DIR_NAME, Homes,
    LOGS_DB_FILE_NAME, MEMORIES_DB_FILE_NAME, SESSIONS_DIR_NAME, SQLITE_HOME_DIR_NAME,
    SQLITE_HOME_ENV, STATE_DB_FILE_NAME, resolve_codex_home, resolve_sqlite_home,
};
pub use runtime::{StateRuntime, TextFilter};
pub use sqlite::{
    Attachment, BUSY_TIMEOUT, MAX_POOL_CONNECTIONS, ReadOnlyOpen, open_sqlite,
    open_sqlite_attached, open_sqlite_in_memory, open_sqlite_read_only, open_sqlite_with_page_size,
};
pub use threads::{MemoryMode, ThreadRow};
