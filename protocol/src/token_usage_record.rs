//! `TokenUsageRecord`: Codex 0.169's top-level `token_usage_record` line, written after each
//! model response with the response's usage and the running totals of the turn and the thread.
//! The thread index takes the thread's total tokens from the last one.

use serde::{Deserialize, Serialize};

use crate::TokenUsage;

/// The token accounting of one model response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenUsageRecord {
    /// The thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    /// The model response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_id: Option<String>,
    /// This response's usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<TokenUsage>,
    /// The turn's usage so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_token_usage: Option<TokenUsage>,
    /// The thread's usage so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_token_usage: Option<TokenUsage>,
}
