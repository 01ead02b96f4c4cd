//! A Claude Code session as typed conversation items. The conversation is the active branch of
//! the message tree: from the last message back to the root by `parentUuid` (across a
//! compaction by `logicalParentUuid`), so abandoned branches of a rewound prompt are left out.
//! An assistant response's lines are merged by `message.id` (its text blocks joined, a block
//! repeated on a later line counted once); each `tool_use` is a call and its `tool_result` the
//! output, with the exit code (shell) or an error flag; edits are listed by file. The compaction
//! summary, thinking, attachments, Claude Code's own notes and command wrappers are left out.
//! A subagent's sidechain follows the tool result of the call that started it (its messages as
//! role `subagent`), or comes at the end when no call names it.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use crate::claude::line::{ClaudeLine, ContentBlock, MessageContent};
use crate::claude::transcript::{ClaudeTranscript, Sidechain};
use crate::session_items::{
    FileEdit, ToolOutcome, edit_call, message, stated_exit_code, tool_call, tool_output,
};
use crate::{Agent, ResponseItem, SessionItems};

/// Claude Code's shell tool.
const SHELL_TOOLS: [&str; 1] = ["Bash"];
/// Claude Code's tools that start a subagent.
const SUBAGENT_TOOLS: [&str; 2] = ["Agent", "Task"];
/// The role a subagent's own messages are shown under.
pub const SUBAGENT_ROLE: &str = "subagent";

/// The conversation of `main`, with `sidechains` attached where their calls are.
pub fn claude_session_items(main: &ClaudeTranscript, sidechains: &[Sidechain]) -> SessionItems {
    let cwd = main
        .lines
        .iter()
        .find_map(|(_, line)| line.cwd.clone())
        .unwrap_or_default();
    let mut converter = Converter::new(sidechains);
    for line in active_branch(main, false) {
        converter.line(line, "assistant");
    }
    converter.flush_text();
    // Sidechains no call named are still part of the session.
    for (index, sidechain) in sidechains.iter().enumerate() {
        if !converter.attached.contains(&index) {
            converter.sidechain(index, sidechain);
        }
    }
    let bad_line_count = main.bad_line_count
        + sidechains
            .iter()
            .map(|sidechain| sidechain.transcript.bad_line_count)
            .sum::<u64>();
    SessionItems {
        agent: Agent::Claude,
        items: converter.items,
        cwd,
        bad_line_count,
    }
}

/// The message lines on the path from the last message back to the root, in order. Sidechain
/// lines are part of it only when `sidechain` (a subagent's own file). Falls back to every
/// message line in file order when the tree is broken (no message has a uuid).
fn active_branch(transcript: &ClaudeTranscript, sidechain: bool) -> Vec<&ClaudeLine> {
    let messages: Vec<&ClaudeLine> = transcript
        .lines
        .iter()
        .map(|(_, line)| line)
        .filter(|line| line.is_message() && line.is_sidechain == sidechain)
        .collect();
    let by_uuid: HashMap<&str, usize> = messages
        .iter()
        .enumerate()
        .filter_map(|(index, line)| line.uuid.as_deref().map(|uuid| (uuid, index)))
        .collect();
    let Some(leaf) = messages.iter().rposition(|line| line.uuid.is_some()) else {
        return messages;
    };
    let mut path = Vec::new();
    let mut seen = HashSet::new();
    let mut at = Some(leaf);
    while let Some(index) = at {
        if !seen.insert(index) {
            break; // a cycle: stop rather than loop
        }
        path.push(index);
        let line = messages[index];
        let parent = line
            .parent_uuid
            .as_deref()
            .or(line.logical_parent_uuid.as_deref());
        at = parent.and_then(|uuid| by_uuid.get(uuid).copied());
    }
    path.reverse();
    path.into_iter().map(|index| messages[index]).collect()
}

/// Builds the items of one conversation.
struct Converter<'a> {
    items: Vec<ResponseItem>,
    sidechains: &'a [Sidechain],
    /// Sidechains already placed.
    attached: HashSet<usize>,
    /// Tool name of each call seen, by call id.
    tools: HashMap<String, String>,
    /// The assistant text being gathered: its message id and role, and the text.
    text: Option<(Option<String>, String, String)>,
    /// (message id, block) pairs already converted: a block repeated on a later line is skipped.
    seen_blocks: HashSet<(String, String)>,
}

impl<'a> Converter<'a> {
    fn new(sidechains: &'a [Sidechain]) -> Self {
        Self {
            items: Vec::new(),
            sidechains,
            attached: HashSet::new(),
            tools: HashMap::new(),
            text: None,
            seen_blocks: HashSet::new(),
        }
    }

    fn line(&mut self, line: &ClaudeLine, assistant_role: &str) {
        match line.kind.as_str() {
            "user" => self.user(line),
            "assistant" => self.assistant(line, assistant_role),
            _ => {}
        }
    }

    fn user(&mut self, line: &ClaudeLine) {
        if let Some(prompt) = line.user_prompt() {
            self.flush_text();
            self.items.push(message("user", &prompt));
            return;
        }
        let Some(MessageContent::Blocks(blocks)) = line.message.as_ref().map(|m| &m.content) else {
            return;
        };
        for block in blocks {
            let ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } = block
            else {
                continue;
            };
            self.flush_text();
            let text = result_text(content);
            let tool = self.tools.get(tool_use_id).cloned().unwrap_or_default();
            let failed = is_error.unwrap_or(false);
            let outcome = if SHELL_TOOLS.contains(&tool.as_str()) {
                ToolOutcome::Exited(if failed {
                    stated_exit_code(&text).unwrap_or(1)
                } else {
                    0
                })
            } else if failed {
                ToolOutcome::Failed
            } else {
                ToolOutcome::Succeeded
            };
            self.items.push(tool_output(tool_use_id, &text, outcome));
            if SUBAGENT_TOOLS.contains(&tool.as_str()) {
                let agent_id = line
                    .tool_use_result
                    .as_ref()
                    .and_then(|result| result.get("agentId"))
                    .and_then(Value::as_str);
                self.attach_sidechain(tool_use_id, agent_id);
            }
        }
    }

    fn assistant(&mut self, line: &ClaudeLine, role: &str) {
        let Some(message) = &line.message else {
            return;
        };
        let MessageContent::Blocks(blocks) = &message.content else {
            if let MessageContent::Text(text) = &message.content {
                self.push_text(message.id.clone(), role, text);
            }
            return;
        };
        for block in blocks {
            if let Some(id) = &message.id {
                let fingerprint = format!("{block:?}");
                if !self.seen_blocks.insert((id.clone(), fingerprint)) {
                    continue;
                }
            }
            match block {
                ContentBlock::Text { text } => self.push_text(message.id.clone(), role, text),
                ContentBlock::ToolUse { id, name, input } => {
                    self.flush_text();
                    self.tools.insert(id.clone(), name.clone());
                    self.items.push(claude_call(name, input, id));
                }
                _ => {}
            }
        }
    }

    /// Gathers the text blocks of one response into one message.
    fn push_text(&mut self, message_id: Option<String>, role: &str, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        match &mut self.text {
            Some((id, current_role, gathered)) if *id == message_id && current_role == role => {
                gathered.push('\n');
                gathered.push_str(text);
            }
            _ => {
                self.flush_text();
                self.text = Some((message_id, role.to_string(), text.to_string()));
            }
        }
    }

    fn flush_text(&mut self) {
        if let Some((_, role, text)) = self.text.take() {
            self.items.push(message(&role, &text));
        }
    }

    /// Places the sidechain a call started: by the call id in its `.meta.json`, else by the
    /// agent id the tool result names.
    fn attach_sidechain(&mut self, tool_use_id: &str, agent_id: Option<&str>) {
        let found = self.sidechains.iter().position(|sidechain| {
            sidechain.tool_use_id.as_deref() == Some(tool_use_id)
                || agent_id.is_some_and(|agent| agent == sidechain.agent_id)
        });
        let sidechains = self.sidechains;
        if let Some(index) = found
            && !self.attached.contains(&index)
        {
            self.sidechain(index, &sidechains[index]);
        }
    }

    fn sidechain(&mut self, index: usize, sidechain: &Sidechain) {
        self.attached.insert(index);
        self.flush_text();
        let mut inner = Converter::new(&[]);
        for line in active_branch(&sidechain.transcript, true) {
            inner.line(line, SUBAGENT_ROLE);
        }
        inner.flush_text();
        self.items.extend(inner.items);
    }
}

/// A tool call: file edits as a patch listing each file, anything else with its input.
fn claude_call(name: &str, input: &Value, call_id: &str) -> ResponseItem {
    let text = |key: &str| {
        input
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let path = text("file_path");
    let edits = match name {
        "Edit" => vec![FileEdit::Replace {
            path,
            old: text("old_string"),
            new: text("new_string"),
        }],
        "MultiEdit" => input
            .get("edits")
            .and_then(Value::as_array)
            .map(|edits| {
                edits
                    .iter()
                    .map(|edit| FileEdit::Replace {
                        path: path.clone(),
                        old: edit
                            .get("old_string")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        new: edit
                            .get("new_string")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        "Write" => vec![FileEdit::Write {
            path,
            content: text("content"),
        }],
        "NotebookEdit" => vec![FileEdit::Write {
            path: text("notebook_path"),
            content: text("new_source"),
        }],
        _ => Vec::new(),
    };
    if edits.is_empty() {
        tool_call(name, input, call_id)
    } else {
        edit_call(&edits, call_id)
    }
}

/// A tool result's text: the string, or its text blocks joined (images as a marker).
fn result_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|block| match block.get("type").and_then(Value::as_str) {
                Some("text") => block
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                Some("image") => "[image omitted]".to_string(),
                _ => block.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
