//! `WorldState`: Codex 0.169's top-level `world_state` line, a snapshot (or a delta) of what
//! the agent knew about its environment — instructions, environments, collaboration mode. Kept as
//! written: nothing of it is a memory, and its shape is Codex's internal business.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A snapshot of the agent's environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorldState {
    /// Whether this is a full snapshot (else a delta).
    #[serde(default)]
    pub full: bool,
    /// The state, as written.
    #[serde(default)]
    pub state: Value,
}
