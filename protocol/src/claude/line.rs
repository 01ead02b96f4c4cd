//! One line of a Claude Code transcript, typed as far as codex-memories reads it. Every field is
//! optional and unknown fields are ignored; a line of an unexpected shape is read as a
//! [`ClaudeLine`] with only its `type` (see [`ClaudeLine::parse`]).

use serde::Deserialize;
use serde_json::Value;

/// Line kinds that carry the conversation.
const MESSAGE_KINDS: [&str; 4] = ["user", "assistant", "system", "attachment"];
/// Bookkeeping line kinds Claude Code 2.1 writes; read and skipped.
const BOOKKEEPING_KINDS: [&str; 17] = [
    "summary",
    "custom-title",
    "ai-title",
    "last-prompt",
    "queue-operation",
    "mode",
    "permission-mode",
    "atis-latch",
    "tools-used",
    "file-history-snapshot",
    "cost-state",
    "api-request",
    "api-request-shape",
    "api-request-blob",
    "progress",
    "tag",
    "agent-name",
];

/// One line of a transcript.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaudeLine {
    /// `user`, `assistant`, `system`, `attachment`, or a bookkeeping kind.
    #[serde(rename = "type")]
    pub kind: String,
    /// The kind of a `system` line (`compact_boundary`, `turn_duration`, …).
    pub subtype: Option<String>,
    /// This message's id in the tree.
    pub uuid: Option<String>,
    /// The message it answers or follows.
    pub parent_uuid: Option<String>,
    /// Across a compaction: the message before the boundary.
    pub logical_parent_uuid: Option<String>,
    /// Whether it belongs to a subagent's sidechain.
    pub is_sidechain: bool,
    /// Whether Claude Code added it for itself (a caveat, a reminder), not the user.
    pub is_meta: bool,
    /// Whether it is the summary a compaction wrote (never the user's words).
    pub is_compact_summary: bool,
    /// The session.
    pub session_id: Option<String>,
    /// The subagent, on sidechain lines.
    pub agent_id: Option<String>,
    /// The working directory.
    pub cwd: Option<String>,
    /// The git branch.
    pub git_branch: Option<String>,
    /// The Claude Code version.
    pub version: Option<String>,
    /// How Claude Code was started: `cli`, `sdk-cli`, …
    pub entrypoint: Option<String>,
    /// When the line was written (RFC 3339).
    pub timestamp: Option<String>,
    /// The message of a `user` or `assistant` line.
    pub message: Option<ClaudeMessage>,
    /// The structured result of the tool a `user` line answers.
    pub tool_use_result: Option<Value>,
    /// The title of an `ai-title` line.
    pub ai_title: Option<String>,
    /// Set when the line's JSON did not have the expected shape: only `kind` was read.
    #[serde(skip)]
    pub unexpected_shape: bool,
}

/// The message of a `user` or `assistant` line.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClaudeMessage {
    /// The API message id; an assistant response's lines share it.
    pub id: Option<String>,
    /// `user` or `assistant`.
    pub role: Option<String>,
    /// The model that wrote an assistant message.
    pub model: Option<String>,
    /// A string, or content blocks.
    pub content: MessageContent,
    /// Token usage of an assistant response (repeated on each of its lines).
    pub usage: Option<ClaudeUsage>,
}

/// A message's content: plain text or blocks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text (a typed prompt).
    Text(String),
    /// Content blocks.
    Blocks(Vec<ContentBlock>),
    /// Any other shape, kept as written.
    Other(Value),
}

impl Default for MessageContent {
    fn default() -> Self {
        Self::Blocks(Vec::new())
    }
}

/// One content block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// Text.
    Text {
        /// The text.
        #[serde(default)]
        text: String,
    },
    /// The model's thinking (never used for memories).
    Thinking {},
    /// Redacted thinking.
    RedactedThinking {},
    /// A tool call.
    ToolUse {
        /// Links the call to its result.
        #[serde(default)]
        id: String,
        /// The tool: `Bash`, `Read`, `Edit`, `Agent`, `mcp__…`, …
        #[serde(default)]
        name: String,
        /// Its input.
        #[serde(default)]
        input: Value,
    },
    /// A tool's result.
    ToolResult {
        /// The call it answers.
        #[serde(default)]
        tool_use_id: String,
        /// Text, or blocks.
        #[serde(default)]
        content: Value,
        /// Whether the tool failed.
        #[serde(default)]
        is_error: Option<bool>,
    },
    /// An image.
    Image {},
    /// A block kind this version does not know, kept as written.
    #[serde(untagged)]
    Other(Value),
}

/// Token usage of one assistant response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ClaudeUsage {
    /// Input tokens not from the cache.
    pub input_tokens: i64,
    /// Input tokens written to the cache.
    pub cache_creation_input_tokens: i64,
    /// Input tokens read from the cache.
    pub cache_read_input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
}

impl ClaudeUsage {
    /// Every token of the response.
    pub fn total(&self) -> i64 {
        self.input_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
            + self.output_tokens
    }
}

/// Why a line could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson(pub String);

impl ClaudeLine {
    /// Reads one line. JSON of an unexpected shape is still a line (its `type`, and
    /// `unexpected_shape` set); only text that is not a JSON object is an error.
    pub fn parse(text: &str) -> Result<Self, NotJson> {
        match serde_json::from_str::<Self>(text) {
            Ok(line) => Ok(line),
            Err(error) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(object)) => Ok(Self {
                    kind: object
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    unexpected_shape: true,
                    ..Self::default()
                }),
                Ok(_) => Err(NotJson("JSON, but not an object".to_string())),
                Err(_) => Err(NotJson(error.to_string())),
            },
        }
    }

    /// Whether the line is part of the conversation (a message, an attachment, a system note).
    pub fn is_message(&self) -> bool {
        MESSAGE_KINDS.contains(&self.kind.as_str())
    }

    /// The kind for counting: `user`, `user/tool_result`, `assistant/text`, `system/<subtype>`,
    /// a bookkeeping kind, or the kind with ` (unknown)` when this version does not know it.
    pub fn kind_label(&self) -> String {
        const UNKNOWN: &str = " (unknown)";
        if self.unexpected_shape {
            return format!("{}{UNKNOWN}", self.kind);
        }
        match self.kind.as_str() {
            "user" if self.is_compact_summary => "user/compact_summary".to_string(),
            "user" | "assistant" => match self.message.as_ref().map(|m| &m.content) {
                Some(MessageContent::Blocks(blocks)) if !blocks.is_empty() => {
                    let kinds: Vec<&str> = blocks.iter().map(ContentBlock::kind).collect();
                    format!("{}/{}", self.kind, kinds.join("+"))
                }
                Some(MessageContent::Other(_)) => format!("{}{UNKNOWN}", self.kind),
                _ => self.kind.clone(),
            },
            "system" => format!(
                "system/{}",
                self.subtype.as_deref().unwrap_or("(no subtype)")
            ),
            kind if MESSAGE_KINDS.contains(&kind) || BOOKKEEPING_KINDS.contains(&kind) => {
                kind.to_string()
            }
            kind => format!("{kind}{UNKNOWN}"),
        }
    }

    /// The text of a `user` line the user typed: not a tool result, not added by Claude Code
    /// (`isMeta`, command wrappers), not a compaction summary. `None` otherwise.
    pub fn user_prompt(&self) -> Option<String> {
        if self.kind != "user" || self.is_meta || self.is_compact_summary || self.is_sidechain {
            return None;
        }
        let text = match &self.message.as_ref()?.content {
            MessageContent::Text(text) => text.clone(),
            MessageContent::Blocks(blocks) => {
                if blocks
                    .iter()
                    .any(|block| matches!(block, ContentBlock::ToolResult { .. }))
                {
                    return None;
                }
                let texts: Vec<&str> = blocks
                    .iter()
                    .filter_map(|block| match block {
                        ContentBlock::Text { text } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                texts.join("\n")
            }
            MessageContent::Other(_) => return None,
        };
        (!text.trim().is_empty() && !is_command_wrapper(&text)).then_some(text)
    }
}

/// Whether `text` is what Claude Code records around a slash command or its output, not a
/// request (`<command-name>`, `<local-command-stdout>`, a caveat, …).
pub fn is_command_wrapper(text: &str) -> bool {
    const WRAPPERS: [&str; 5] = [
        "<command-name>",
        "<command-message>",
        "<local-command-stdout>",
        "<local-command-stderr>",
        "<local-command-caveat>",
    ];
    let text = text.trim_start();
    WRAPPERS.iter().any(|wrapper| text.starts_with(wrapper))
}

impl ContentBlock {
    /// The block's `type` as written.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text { .. } => "text",
            Self::Thinking {} => "thinking",
            Self::RedactedThinking {} => "redacted_thinking",
            Self::ToolUse { .. } => "tool_use",
            Self::ToolResult { .. } => "tool_result",
            Self::Image {} => "image",
            Self::Other(value) => crate::response_item::other_kind(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_typed_prompt_is_a_user_prompt_but_tool_results_summaries_and_wrappers_are_not() {
        let prompt = ClaudeLine::parse(
            r#"{"type":"user","message":{"role":"user","content":"always use uv, never pip"},"uuid":"a"}"#,
        )
        .unwrap();
        assert_eq!(
            prompt.user_prompt().as_deref(),
            Some("always use uv, never pip")
        );
        for text in [
            r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"ok"}]}}"#,
            r#"{"type":"user","isCompactSummary":true,"message":{"role":"user","content":"This session is being continued…"}}"#,
            r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"<local-command-caveat>…"}}"#,
            r#"{"type":"user","message":{"role":"user","content":"<command-name>/compact</command-name>"}}"#,
        ] {
            assert_eq!(
                ClaudeLine::parse(text).unwrap().user_prompt(),
                None,
                "{text}"
            );
        }
    }

    #[test]
    fn an_unexpected_shape_is_a_line_of_unknown_kind_not_an_error() {
        let line = ClaudeLine::parse(r#"{"type":"user","cwd":5,"message":"?"}"#).unwrap();
        assert_eq!(
            (line.kind_label(), line.unexpected_shape),
            ("user (unknown)".to_string(), true)
        );
        assert_eq!(
            ClaudeLine::parse(r#"{"type":"hologram"}"#)
                .unwrap()
                .kind_label(),
            "hologram (unknown)"
        );
        assert!(ClaudeLine::parse("[1,2]").is_err());
        assert!(ClaudeLine::parse("{\"type\":").is_err());
    }

    #[test]
    fn assistant_lines_are_labelled_by_their_blocks() {
        let line = ClaudeLine::parse(
            r#"{"type":"assistant","message":{"id":"m","role":"assistant","model":"claude-x","content":[{"type":"tool_use","id":"t","name":"Bash","input":{"command":"ls"}}],"usage":{"input_tokens":5,"output_tokens":2}}}"#,
        )
        .unwrap();
        assert_eq!(line.kind_label(), "assistant/tool_use");
        let usage = line.message.unwrap().usage.unwrap();
        assert_eq!(usage.total(), 7);
    }
}
