//! The memories pipeline: phase 1 turns each finished session into a raw memory with a model,
//! phase 2 consolidates the retained raw memories into a git-versioned memory folder, and the
//! read path hands the summary to the next session. Everything that leaves the process or is
//! stored passes through [`redact`] first. It knows nothing of clap, terminals or MCP wire
//! formats. The phases arrive with their issues; the crate builds on `codex-state`.

pub mod redact;

pub mod confine;
pub mod consolidator;
mod fsutil;
pub mod layout;
pub mod memory_tools;
pub mod phase1;
pub mod phase2;
pub mod provider;

pub use codex_state::ThreadId;
