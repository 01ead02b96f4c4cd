//! `CompletedItem`: the finished turn item that Codex 0.169 records in `event_msg/item_completed`
//! — the user's message (its only record of the user's words: 0.169 writes no `user_message`
//! event), the agent's message, a command it ran, an MCP tool call. The same conversation is
//! also in the `response_item` lines, so a transcript reads one or the other, never both.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One completed turn item. Item kinds this version does not know are kept in `Other`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum CompletedItem {
    /// What the user sent.
    UserMessage {
        /// The item's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Text (and image) parts.
        #[serde(default)]
        content: Vec<CompletedContent>,
    },
    /// What the agent answered.
    AgentMessage {
        /// The item's id (the response item's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Text parts.
        #[serde(default)]
        content: Vec<CompletedContent>,
    },
    /// A command the agent ran.
    CommandExecution {
        /// The item's id (the function call's `call_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The command, as an argument vector or a line.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<CommandLine>,
        /// Where it ran (a `file://` URL in 0.169).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
        /// `completed`, `failed`, …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// Its output, stdout and stderr together.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aggregated_output: Option<String>,
        /// Its exit code, when it finished.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i64>,
    },
    /// A call of a tool of an MCP server.
    McpToolCall {
        /// The item's id (the function call's `call_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The server's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server: Option<String>,
        /// The tool's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tool: Option<String>,
        /// The arguments, as written.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        arguments: Option<Value>,
        /// `completed`, `failed`, …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        /// The result, as written.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<Value>,
    },
    /// An item kind this version does not know (or cannot read), kept as written.
    #[serde(untagged)]
    Other(Value),
}

/// One part of a completed message: `{"type": "text" | "Text" | "image" | …, "text"?: …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletedContent {
    /// The part's kind as written (0.169 writes `text` in user messages, `Text` in agent ones).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its text, for text parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A command as recorded: an argument vector (`["/bin/bash", "-lc", "…"]`) or one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandLine {
    /// Program and arguments.
    Argv(Vec<String>),
    /// A shell line.
    Line(String),
}

impl CompletedContent {
    /// Whether this part is text (`text` or `Text`).
    pub fn is_text(&self) -> bool {
        self.kind.eq_ignore_ascii_case("text")
    }

    /// Whether this part is an image (`image`, `local_image`, …).
    pub fn is_image(&self) -> bool {
        self.kind.to_ascii_lowercase().contains("image")
    }
}

impl CompletedItem {
    /// The item's `type` as written (`UserMessage`, …, or the unknown tag).
    pub fn kind(&self) -> &str {
        match self {
            Self::UserMessage { .. } => "UserMessage",
            Self::AgentMessage { .. } => "AgentMessage",
            Self::CommandExecution { .. } => "CommandExecution",
            Self::McpToolCall { .. } => "McpToolCall",
            Self::Other(value) => crate::response_item::other_kind(value),
        }
    }

    /// The text parts of a user or agent message joined by newlines, and whether it holds an
    /// image; `None` for other items.
    pub fn message_text(&self) -> Option<(String, bool)> {
        let (Self::UserMessage { content, .. } | Self::AgentMessage { content, .. }) = self else {
            return None;
        };
        let text: Vec<&str> = content
            .iter()
            .filter(|part| part.is_text())
            .filter_map(|part| part.text.as_deref())
            .collect();
        Some((
            text.join("\n"),
            content.iter().any(CompletedContent::is_image),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn parse(value: Value) -> CompletedItem {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn the_four_item_kinds_of_codex_0_169_are_read_typed() {
        let user = parse(json!({"type": "UserMessage", "id": "u1",
            "content": [{"type": "text", "text": "run the tests", "text_elements": []}]}));
        assert_eq!(
            user.message_text(),
            Some(("run the tests".to_string(), false))
        );
        let agent = parse(json!({"type": "AgentMessage", "id": "m",
            "content": [{"type": "Text", "text": "All done."}]}));
        assert_eq!(agent.message_text(), Some(("All done.".to_string(), false)));
        let command = parse(json!({"type": "CommandExecution", "id": "call_1",
            "command": ["/bin/bash", "-lc", "make test"], "cwd": "file:///w", "status": "completed",
            "aggregated_output": "ok\n", "exit_code": 2, "duration": {"secs": 0, "nanos": 5}}));
        assert_eq!(
            command,
            CompletedItem::CommandExecution {
                id: Some("call_1".to_string()),
                command: Some(CommandLine::Argv(vec![
                    "/bin/bash".to_string(),
                    "-lc".to_string(),
                    "make test".to_string()
                ])),
                cwd: Some("file:///w".to_string()),
                status: Some("completed".to_string()),
                aggregated_output: Some("ok\n".to_string()),
                exit_code: Some(2),
            }
        );
        let mcp = parse(
            json!({"type": "McpToolCall", "id": "call_2", "server": "codex-memories",
            "tool": "search", "arguments": {"query": "x"}, "readOnlyHint": true}),
        );
        assert_eq!(mcp.kind(), "McpToolCall");
    }

    #[test]
    fn an_unknown_item_kind_is_kept_as_written() {
        let value = json!({"type": "FileChange", "changes": [{"path": "a.rs"}]});
        let item = parse(value.clone());
        assert_eq!(item, CompletedItem::Other(value.clone()));
        assert_eq!(item.kind(), "FileChange");
        assert_eq!(serde_json::to_value(&item).unwrap(), value);
    }

    #[test]
    fn an_image_part_is_noticed() {
        let user = parse(json!({"type": "UserMessage",
            "content": [{"type": "local_image", "path": "/tmp/a.png"}]}));
        assert_eq!(user.message_text(), Some((String::new(), true)));
    }
}
