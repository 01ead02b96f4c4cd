//! SQLite state for codex-memories: the thread index built from every agent's session files, the
//! memories job store (leased stage-1 and phase-2 jobs, stage-1 outputs) and the logs database. It knows
//! nothing of models or prompts, and its database driver is no part of its API: errors are
//! [`StateError`] (ask [`StateError::is_busy`] instead of matching driver codes).
//!
//! Where to start:
//! - [`Homes`] says where things are: the Codex home (whose `sessions/` are read, never written)
//!   and the sqlite home (ours). [`Homes::resolve`] applies `CODEX_HOME` / `CODEX_MEMORIES_SQLITE_HOME`
//!   and the defaults; [`Homes::new`] takes both folders as given.
//! - [`StateRuntime`] opens `state_1.sqlite` under the sqlite home (creating and migrating it) and
//!   [`StateRuntime::index_sessions`] brings the thread index up to date with the session files
//!   each [`SessionSource`] finds (`sources/`: Codex rollouts, Claude Code transcripts, Gemini CLI
//!   chats, under the homes [`Homes::with_agent_homes`] adds).
//! - [`MemoryStore`] opens `memories_1.sqlite` beside it: the job queue. A claim
//!   ([`MemoryStore::claim_stage1`], [`MemoryStore::claim_stage1_startup`],
//!   [`MemoryStore::claim_phase2`]) leases a job to one worker, in this process or another; its
//!   finisher ([`MemoryStore::stage1_succeeded`], …) writes only while the lease is still its own.
//! - Time comes from a [`Clock`]: [`SystemClock`] in production, [`ManualClock`] in tests.
//! - The logs database and its `tracing` layer live in [`logs`] (start with
//!   [`logs::start_log_writer`]). It is the one public module: a family of some twenty names
//!   (store, writer, layer, query, retention) that a host wanting only the job queue never needs,
//!   and that read right qualified (`logs::LogStore`, `logs::LogQuery`).
//!
//! Every call is async and expects a Tokio runtime; the types are `Send + Sync`, so one
//! [`MemoryStore`] in an `Arc` serves many tasks. Public enums and report structs that will grow
//! are `#[non_exhaustive]`: keep a wildcard arm. The `test-support` feature adds
//! a `test_support` module that writes `threads` rows directly, for tests only.
//!
//! A leased job queue worked by two tasks — the code of `examples/job_queue.rs`, which
//! `cargo test --doc` runs:
//!
//! ```
#![doc = include_str!("../examples/job_queue.rs")]
//! ```

#![warn(missing_docs)]

mod clock;
mod database_error;
mod error;
mod forgotten;
mod indexer;
pub mod logs;
mod memory_store;
mod metadata;
mod paths;
mod runtime;
mod sources;
mod sqlite;
mod sqlite_codes;
#[cfg(any(test, feature = "test-support"))]
pub mod test_support;
mod threads;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codex_protocol::ThreadId;
pub use database_error::DatabaseError;
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
    ARCHIVED_SESSIONS_DIR_NAME, CLAUDE_CONFIG_DIR_ENV, CLAUDE_PROJECTS_DIR_NAME, CODEX_HOME_ENV,
    DEFAULT_CLAUDE_HOME_DIR_NAME, DEFAULT_CODEX_HOME_DIR_NAME, DEFAULT_GEMINI_HOME_DIR_NAME,
    GEMINI_CLI_HOME_ENV, GEMINI_TMP_DIR_NAME, Homes, LOGS_DB_FILE_NAME, MEMORIES_DB_FILE_NAME,
    SESSIONS_DIR_NAME, SQLITE_HOME_DIR_NAME, SQLITE_HOME_ENV, STATE_DB_FILE_NAME,
    resolve_claude_home, resolve_codex_home, resolve_gemini_home, resolve_sqlite_home,
};
pub use runtime::{StateRuntime, TextFilter};
pub use sources::{
    AgentSelection, ClaudeSource, CodexSource, FoundSessions, GeminiSource, SessionRoot,
    SessionSource, read_session_items, session_sources,
};
pub use sqlite::{BUSY_TIMEOUT, MAX_POOL_CONNECTIONS, ReadOnlyOpen};
pub use threads::{MemoryMode, ThreadRow};
