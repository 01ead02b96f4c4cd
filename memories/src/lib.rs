//! The memories pipeline: phase 1 turns each finished session into a raw memory with a model,
//! phase 2 consolidates the retained raw memories into a git-versioned memory folder, and the
//! read path hands the summary to the next session. It knows nothing of clap, terminals or MCP
//! wire formats. The phases arrive with their issues; the crate builds on `codex-state`.

pub mod phase1;
pub mod provider;
pub mod workspace;

pub use codex_state::ThreadId;
