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
//! [`OfflineConsolidator`]) and the clock the [`StateRuntime`] was opened with.
//!
//! The crate root is the table of contents: phase 1 alone ([`run_extraction`]), phase 2 alone
//! ([`run_phase2`]), the memory folder's layout and settings ([`load_config`]), the read path,
//! a person's controls ([`forget_thread`], [`clear_all`]) and redaction are all named here. Seven
//! modules stay public, each a family whose names read right only together or only qualified:
//! - [`memory_folder`]: the confined file service every writer of the memory folder goes
//!   through (paths checked, links never followed, `.git` never shown, writes capped) — give it
//!   to a consolidator of your own, or give it [`AgentTools`], the built-in agent's tool set.
//! - [`provider`]: the built-in model clients and everything that configures them (endpoints,
//!   keys, retry policy, context-window discovery, structured output) — for a host that uses
//!   our client instead of its own; the seam types are at the root.
//! - [`memory_tools`]: the tools an agent calls on the memory folder — `memory_tools::list`,
//!   `read`, `search`, `add_note` — with their limits and cursors.
//! - [`search_index`]: the ranked full-text index over the memory folder's entries.
//! - [`workspace`]: the memory folder as a git repository (baseline, diff, staged transaction),
//!   usable alone.
//! - [`install`]: registering our MCP server and instructions block in other agents' config
//!   files — for installers, not hosts.
//! - [`codex_native`]: living beside Codex's own memories feature (who owns the folder, the guard
//!   that refuses to write into Codex's).
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

mod budget;
mod citations;
pub mod codex_native;
mod config;
mod consolidator;
mod control;
mod forget_check;
mod forget_scrub;
mod fsutil;
pub mod install;
mod layout;
pub mod memory_folder;
pub mod memory_tools;
mod phase1;
mod phase2;
mod pipeline;
pub mod provider;
mod read_path;
mod redact;
mod scope;
pub mod search_index;
mod session_context;
mod stable_hash;
mod startup;
pub mod workspace;

pub use codex_state::ThreadId;
// What a host opens and hands to [`start_memories`], so one dependency is enough.
pub use codex_state::{
    Clock, Homes, ManualClock, MemoryStore, StateError, StateRuntime, SystemClock,
};

// Starting the work at session start, and what it reports.
pub use pipeline::{PipelineOptions, PipelineProgress, PipelineReport};
pub use startup::{StartupError, StartupHandle, StartupOptions, StartupProgress, start_memories};

// The seams: the model client and the consolidator (the clock is `codex_state`'s).
pub use budget::{BudgetedClient, RunBudget};
pub use consolidator::tools::{
    AgentTools, MAX_WRITTEN_FILE_BYTES, MAX_WRITTEN_FILES_PER_RUN, ToolOutcome as AgentToolOutcome,
    tool_specs as agent_tool_specs,
};
pub use consolidator::{
    AgentConsolidator, ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError,
    OfflineConsolidator, SingleShotConsolidator, check_outputs,
};
pub use provider::{
    InputItem, ModelClient, ModelRequest, ModelResponse, OfflineClient, ProviderError, ToolCall,
    Usage,
};

// Phase 1 alone: extracting sessions, and what it shows the model.
pub use phase1::budget::BYTES_PER_TOKEN;
pub use phase1::frame::transcript_of;
pub use phase1::input::build_stage_one_input;
pub use phase1::reextract::request_reextraction;
pub use phase1::run::{
    ExtractOptions, ExtractProgress, ExtractReport, ThreadOutcome, run_extraction,
};
pub use phase1::select::read_kept_items;
pub use phase1::transcript::{
    Entry as TranscriptEntry, MAX_MESSAGE_BYTES, MAX_TOOL_INPUT_BYTES, MAX_TOOL_OUTPUT_BYTES,
    ToolInput, entries_of as transcript_entries,
};

// Phase 2 alone: consolidating into the memory folder.
pub use phase2::artifacts::ArtifactInput;
pub use phase2::extensions::{Note, ad_hoc_notes};
pub use phase2::run::{Phase2Options, Phase2Outcome, Phase2Report, run_phase2};

// The memory folder: where it is, its files, and the settings that shape it.
pub use config::{ConfigError, ConfigWarning, MemoriesConfig, load_config};
pub use layout::{
    DIFF_FILE_NAME, MEMORY_DIR_NAME, MEMORY_FILE, RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR,
    SUMMARY_FILE, resolve_memory_root,
};
pub use scope::{
    GLOBAL_SCOPE_NAME, PROJECT_MEMORY_FILE, PROJECTS_DIR, ProjectKey, Scope, clean_path,
    folder_scope, normalize_origin, project_slug,
};

// The read path: the next session's instructions.
pub use citations::{CitationEntry, Citations, parse_citations};
pub use read_path::{DEFAULT_SUMMARY_BUDGET_TOKENS, ReadPathError};
pub use session_context::{
    ContextRequest, DEFAULT_CONTEXT_BUDGET_TOKENS, SessionContext, global_context, session_context,
};

// A person's controls: forget a session, clear everything, enable again.
pub use control::{
    ClearReport, ControlError, ForgetReport, check_root, clear_all, enable_cleared, enable_thread,
    forget_thread,
};
pub use forget_check::ForgetCheck;

// Redaction, usable alone.
pub use redact::{REDACTED, Redacted, contains_secret, redact, redacting_filter};
