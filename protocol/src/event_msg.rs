//! `EventMsg`: the agent's UI-level events recorded under `event_msg` lines — what the user
//! typed, what the agent said, token accounting and turn boundaries.

use serde::{Deserialize, Serialize};

use crate::CompletedItem;
use crate::response_item::other_kind;

/// One recorded event. Event kinds this version does not know are kept verbatim in `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventMsg {
    /// What the user typed, as shown to them (the source of a thread's title).
    UserMessage {
        /// The message text.
        message: String,
        /// Attached images (data URLs), when any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        images: Option<Vec<String>>,
    },
    /// A message from the agent to the user.
    AgentMessage {
        /// The message text.
        message: String,
    },
    /// A reasoning summary shown to the user.
    AgentReasoning {
        /// The summary text.
        text: String,
    },
    /// Token accounting after a model response.
    TokenCount {
        /// Usage totals; absent before the first response.
        #[serde(default)]
        info: Option<TokenUsageInfo>,
    },
    /// A turn started.
    TaskStarted {
        /// The model's context window, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model_context_window: Option<i64>,
    },
    /// A turn finished.
    TaskComplete {
        /// The agent's last message of the turn, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_agent_message: Option<String>,
    },
    /// A turn was interrupted.
    TurnAborted {
        /// Why, e.g. `interrupted`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A turn item finished (Codex 0.169+): the user's message, the agent's, a command, an MCP
    /// call. The only record of the user's words in 0.169, which writes no `user_message`.
    ItemCompleted {
        /// The thread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_id: Option<String>,
        /// The turn.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        turn_id: Option<String>,
        /// The item.
        item: CompletedItem,
        /// When it started (unix ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        started_at_ms: Option<i64>,
        /// When it completed (unix ms).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        completed_at_ms: Option<i64>,
    },
    /// The thread's settings took effect (Codex 0.169+): model, provider, cwd, policies.
    ThreadSettingsApplied {
        /// The thread.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_id: Option<String>,
        /// The settings.
        thread_settings: ThreadSettings,
    },
    /// An event kind this version does not know (or cannot read), kept as written.
    #[serde(untagged)]
    Other(serde_json::Value),
}

/// The settings of `thread_settings_applied`. Policies are kept as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadSettings {
    /// The model, e.g. `gpt-5.1-codex-mini`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model provider's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider_id: Option<String>,
    /// The working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// The approval policy, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_policy: Option<serde_json::Value>,
}

/// The `info` of a `token_count` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenUsageInfo {
    /// Usage summed over the whole session so far.
    pub total_token_usage: TokenUsage,
    /// Usage of the last response, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_token_usage: Option<TokenUsage>,
    /// The model's context window, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_context_window: Option<i64>,
}

/// Token counts of one or more model responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Input tokens.
    #[serde(default)]
    pub input_tokens: i64,
    /// Input tokens served from cache.
    #[serde(default)]
    pub cached_input_tokens: i64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: i64,
    /// Output tokens spent on reasoning.
    #[serde(default)]
    pub reasoning_output_tokens: i64,
    /// Input tokens written to the cache (Codex 0.169+).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_input_tokens: i64,
    /// All tokens.
    #[serde(default)]
    pub total_tokens: i64,
}

fn is_zero(count: &i64) -> bool {
    *count == 0
}

impl EventMsg {
    /// The event's `type` tag as written.
    pub fn kind(&self) -> &str {
        match self {
            Self::UserMessage { .. } => "user_message",
            Self::AgentMessage { .. } => "agent_message",
            Self::AgentReasoning { .. } => "agent_reasoning",
            Self::TokenCount { .. } => "token_count",
            Self::TaskStarted { .. } => "task_started",
            Self::TaskComplete { .. } => "task_complete",
            Self::TurnAborted { .. } => "turn_aborted",
            Self::ItemCompleted { .. } => "item_completed",
            Self::ThreadSettingsApplied { .. } => "thread_settings_applied",
            Self::Other(value) => other_kind(value),
        }
    }
}
