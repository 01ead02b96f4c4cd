//! The memories pipeline: phase 1 turns each finished session into a raw memory with a model,
//! phase 2 consolidates the retained raw memories into a git-versioned memory folder, and the
//! read path hands the right memory to the next session. Everything that leaves the process or
//! is stored passes through [`redact()`] first. It knows nothing of clap, terminals or MCP wire
//! formats, and builds on `codex-state` for its databases (the names a host needs from it are
//! re-exported here: [`Homes`], [`StateRuntime`], [`MemoryStore`], [`ManualClock`], …).
//!
//! Where to start, as a host:
//! - At session start, call [`start_memories`] with [`StartupOptions`]: your [`ModelClient`]
//!   (phase 1), your [`Consolidator`] (phase 2), the memory folder, a [`RunBudget`] and the
//!   [`PipelineOptions`] (with the cancellation token). It returns a [`StartupHandle`] at once and
//!   runs on the current Tokio runtime; [`StartupHandle::outcome`] gives the [`PipelineReport`].
//! - To give a session its memory, [`session_context()`] (folder and first request known) or
//!   [`global_context`] build the developer instructions within a token budget.
//! - [`redact()`] alone removes secrets from any text.
//!
//! The seams are traits: [`ModelClient`] (or a built-in client from [`provider`]),
//! [`Consolidator`] (or [`AgentConsolidator`], [`SingleShotConsolidator`],
//! [`OfflineConsolidator`]) and the clock the [`StateRuntime`] was opened with. The modules stay
//! public for everything else; the crate root is the supported surface for hosts.
//!
//! A host with its own model client, consolidator and in-memory clock — the code of
//! `examples/host.rs`, which `tests/embedding.rs` runs:
//!
//! ```no_run
#![doc = include_str!("../examples/host.rs")]
//! ```
//!
//! Redacting text — the code of `examples/redact.rs`, which `cargo test --doc` runs:
//!
//! ```
#![doc = include_str!("../examples/redact.rs")]
//! ```

#![warn(missing_docs)]

pub mod budget;
pub mod citations;
pub mod codex_native;
pub mod config;
pub mod consolidator;
pub mod control;
pub mod forget_check;
mod forget_scrub;
mod fsutil;
pub mod install;
pub mod layout;
pub mod memory_folder;
pub mod memory_tools;
pub mod phase1;
pub mod phase2;
pub mod pipeline;
pub mod provider;
pub mod read_path;
pub mod redact;
pub mod scope;
pub mod search_index;
pub mod session_context;
mod stable_hash;
pub mod startup;
pub mod workspace;

pub use codex_state::ThreadId;
// What a host opens and hands to [`start_memories`], so one dependency is enough.
pub use codex_state::{
    Clock, Homes, ManualClock, MemoryStore, StateError, StateRuntime, SystemClock,
};

// The names a host needs, at the crate root. The modules stay public for the rest.
pub use budget::RunBudget;
pub use consolidator::{
    AgentConsolidator, ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError,
    OfflineConsolidator, SingleShotConsolidator,
};
pub use layout::{MEMORY_FILE, SUMMARY_FILE, resolve_memory_root};
pub use phase1::run::{ExtractOptions, ExtractProgress, ExtractReport, ThreadOutcome};
pub use phase2::artifacts::ArtifactInput;
pub use phase2::extensions::Note;
pub use phase2::run::{Phase2Options, Phase2Outcome, Phase2Report};
pub use pipeline::{PipelineOptions, PipelineProgress, PipelineReport};
pub use provider::{
    InputItem, ModelClient, ModelRequest, ModelResponse, OfflineClient, ProviderError, ToolCall,
    Usage,
};
pub use read_path::{DEFAULT_SUMMARY_BUDGET_TOKENS, ReadPathError};
pub use redact::{Redacted, contains_secret, redact};
pub use session_context::{ContextRequest, SessionContext, global_context, session_context};
pub use startup::{StartupError, StartupHandle, StartupOptions, StartupProgress, start_memories};
