//! The memories pipeline: phase 1 turns each finished session into a raw memory with a model,
//! phase 2 consolidates the retained raw memories into a git-versioned memory folder, and the
//! read path hands the summary to the next session. Everything that leaves the process or is
//! stored passes through [`redact`] first. It knows nothing of clap, terminals or MCP wire
//! formats. It builds on `codex-state` for its databases.

pub mod budget;
pub mod citations;
pub mod codex_native;
pub mod config;
pub mod consolidator;
pub mod control;
pub mod forget_check;
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
pub mod workspace;

pub use codex_state::ThreadId;
