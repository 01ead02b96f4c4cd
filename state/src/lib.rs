//! SQLite state for codex-memories: the thread index built from rollout files, the memories job
//! store (leased stage-1 and phase-2 jobs, stage-1 outputs) and the logs database. It knows
//! nothing of models or prompts. The runtime and its databases arrive with the state issues;
//! for now the crate re-exports the protocol types its callers key rows by.

pub use codex_protocol::ThreadId;
