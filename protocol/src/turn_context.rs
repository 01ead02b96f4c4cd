//! `TurnContext`: the settings a turn ran under (cwd, model, policies), recorded under
//! `turn_context` lines. The thread index takes the model from here.

use serde::{Deserialize, Serialize};

/// The settings of one turn. Policies are kept as written: their shapes vary across versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnContext {
    /// The working directory of the turn.
    pub cwd: String,
    /// The model used, e.g. `gpt-5.1-codex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The approval policy, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
    /// The sandbox policy, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox_policy: Option<serde_json::Value>,
    /// The reasoning effort, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// The reasoning summary mode, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The turn's id (newer versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
}
