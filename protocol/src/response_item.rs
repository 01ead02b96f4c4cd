//! `ResponseItem`: the model-visible conversation items (messages, reasoning, tool calls and
//! their outputs) as recorded under `response_item` lines, and bare in legacy files.

use serde::{Deserialize, Serialize};

use crate::ContentItem;

/// One item of the model conversation. Fields a newer agent adds are ignored; item kinds this
/// version does not know (or cannot read) are kept verbatim in `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseItem {
    /// A message from `user`, `assistant`, `developer` or `system`.
    Message {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `user`, `assistant`, `developer`, `system`.
        role: String,
        /// The message parts.
        content: Vec<ContentItem>,
    },
    /// Model reasoning (summaries and possibly encrypted content); never used for memories.
    Reasoning {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Reasoning summary parts, as written.
        #[serde(default)]
        summary: Vec<serde_json::Value>,
        /// Raw reasoning content, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<serde_json::Value>,
        /// Opaque encrypted reasoning, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    /// A shell command run through the local shell tool.
    LocalShellCall {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Links the call to its output.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<String>,
        /// `in_progress`, `completed`, …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// The action, typically `{"type":"exec","command":[...],...}`.
        action: serde_json::Value,
    },
    /// A function (tool) call; `arguments` is a JSON document encoded as a string.
    FunctionCall {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The tool name, e.g. `shell` or `exec_command`.
        name: String,
        /// The arguments, a JSON document encoded as a string.
        arguments: String,
        /// Links the call to its output.
        call_id: String,
    },
    /// The output of a function call.
    FunctionCallOutput {
        /// The call this answers.
        call_id: String,
        /// Text, or content parts.
        output: FunctionCallOutputBody,
    },
    /// A freeform tool call (e.g. `apply_patch`) whose input is plain text.
    CustomToolCall {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `completed`, …, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// Links the call to its output.
        call_id: String,
        /// The tool name.
        name: String,
        /// The freeform input.
        input: String,
    },
    /// The output of a custom tool call.
    CustomToolCallOutput {
        /// The call this answers.
        call_id: String,
        /// Text, or content parts.
        output: FunctionCallOutputBody,
    },
    /// A hosted web search.
    WebSearchCall {
        /// Server-side id, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// `completed`, …, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// The search action, e.g. `{"type":"search","query":"..."}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        action: Option<serde_json::Value>,
    },
    /// A hosted image generation.
    ImageGenerationCall {
        /// Server-side id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Status, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// The revised prompt, when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        revised_prompt: Option<String>,
        /// The image (base64), when recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<String>,
    },
    /// A snapshot commit taken for undo; carries no conversation content.
    GhostSnapshot {
        /// The snapshot commit, as written.
        ghost_commit: serde_json::Value,
    },
    /// A server-side compaction of earlier history (opaque).
    Compaction {
        /// Opaque encrypted summary.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    /// An item kind this version does not know (or a known kind in a shape it cannot read),
    /// kept as written, including its `type`.
    #[serde(untagged)]
    Other(serde_json::Value),
}

/// The body of a tool output: a plain string, content parts, or a shape kept as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum FunctionCallOutputBody {
    /// Plain text (the common case).
    Text(String),
    /// Content parts (text and images).
    Items(Vec<ContentItem>),
    /// Any other shape, e.g. an older `{"content": ..., "success": ...}` object.
    Other(serde_json::Value),
}

impl FunctionCallOutputBody {
    /// The output as text: the string, the text parts joined by newlines (images as
    /// `[image omitted]`), or the `content` field of an older object form.
    pub fn to_text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Items(items) => items
                .iter()
                .map(|item| item.text().unwrap_or("[image omitted]"))
                .collect::<Vec<_>>()
                .join("\n"),
            Self::Other(value) => match value.get("content").and_then(|c| c.as_str()) {
                Some(content) => content.to_string(),
                None => value.to_string(),
            },
        }
    }
}

impl ResponseItem {
    /// The item's `type` tag as written (`message`, `function_call`, …, or the unknown tag).
    pub fn kind(&self) -> &str {
        match self {
            Self::Message { .. } => "message",
            Self::Reasoning { .. } => "reasoning",
            Self::LocalShellCall { .. } => "local_shell_call",
            Self::FunctionCall { .. } => "function_call",
            Self::FunctionCallOutput { .. } => "function_call_output",
            Self::CustomToolCall { .. } => "custom_tool_call",
            Self::CustomToolCallOutput { .. } => "custom_tool_call_output",
            Self::WebSearchCall { .. } => "web_search_call",
            Self::ImageGenerationCall { .. } => "image_generation_call",
            Self::GhostSnapshot { .. } => "ghost_snapshot",
            Self::Compaction { .. } => "compaction",
            Self::Other(value) => other_kind(value),
        }
    }
}

/// The `type` of a value kept verbatim, or `unknown` when it has none.
pub(crate) fn other_kind(value: &serde_json::Value) -> &str {
    value
        .get("type")
        .and_then(|kind| kind.as_str())
        .unwrap_or("unknown")
}
