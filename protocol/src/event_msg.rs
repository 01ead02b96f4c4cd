//! `EventMsg`: the agent's UI-level events recorded under `event_msg` lines — what the user
//! typed, what the agent said, token accounting and turn boundaries.

use serde::{Deserialize, Serialize};

use crate::response_item::other_kind;

/// One recorded event. Event kinds this version does not know are kept verbatim in `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
    /// An event kind this version does not know (or cannot read), kept as written.
    #[serde(untagged)]
    Other(serde_json::Value),
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
    /// All tokens.
    #[serde(default)]
    pub total_tokens: i64,
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
            Self::Other(value) => other_kind(value),
        }
    }
}
