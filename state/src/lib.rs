//! SQLite state for codex-memories: the thread index built from rollout files, the memories job
//! store (leased stage-1 and phase-2 jobs, stage-1 outputs) and the logs database. It knows
//! nothing of models or prompts.
//!
//! Start with [`StateRuntime`]: it resolves nothing itself — pass it [`Homes`] (see
//! [`Homes::resolve`]) — and opens `state_1.sqlite` under the sqlite home through
//! [`open_sqlite`], which every database of ours shares. Time comes from a [`Clock`]. The logs
//! database and its `tracing` layer live in [`logs`] (start with [`logs::start_log_writer`]).

mod clock;
mod error;
pub mod logs;
mod metadata;
mod paths;
mod runtime;
mod sqlite;
mod threads;

pub use clock::{Clock, ManualClock, SystemClock};
pub use codex_protocol::ThreadId;
pub use error::StateError;
pub use metadata::{ExtractError, FileStat, MAX_INDEXED_LINE_BYTES, extract_thread};
pub use paths::{
    ARCHIVED_SESSIONS_DIR_NAME, CODEX_HOME_ENV, DEFAULT_CODEX_HOME_DIR_NAME, Homes,
    LOGS_DB_FILE_NAME, MEMORIES_DB_FILE_NAME, SESSIONS_DIR_NAME, SQLITE_HOME_DIR_NAME,
    SQLITE_HOME_ENV, STATE_DB_FILE_NAME, resolve_codex_home, resolve_sqlite_home,
};
pub use runtime::StateRuntime;
pub use sqlite::{BUSY_TIMEOUT, MAX_POOL_CONNECTIONS, open_sqlite};
pub use threads::{MemoryMode, ThreadRow};
