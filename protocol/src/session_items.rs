//! `SessionItems`: any agent's session as the typed conversation items Codex rollouts use
//! ([`ResponseItem`]s: messages, tool calls, tool outputs), so every agent's transcript renders
//! in the same compact form. Claude Code and Gemini CLI sessions are converted into it; the
//! helpers here give their tool results the shape Codex's shell outputs have (`{"output",
//! "metadata": {"exit_code"}}`) and their file edits the shape of an `apply_patch` call (a
//! `*** Update File: <path>` header per file), so exit codes, error flags and the list of edited
//! files read the same whichever agent ran them.

use serde_json::{Value, json};

use crate::{Agent, ContentItem, FunctionCallOutputBody, ResponseItem};

/// What an error looks like in a tool output that has no exit code.
pub const TOOL_ERROR_PREFIX: &str = "Error: ";
/// The tool name file edits are shown under (as Codex's own `apply_patch`).
pub const EDIT_TOOL_NAME: &str = "apply_patch";

/// One session's conversation, as typed items.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionItems {
    /// The agent that wrote the session.
    pub agent: Agent,
    /// The conversation, in order.
    pub items: Vec<ResponseItem>,
    /// The session's working directory (empty when unknown).
    pub cwd: String,
    /// Lines that could not be read (counted, not fatal).
    pub bad_line_count: u64,
}

/// A message from `role` (`user` or `assistant`) with one text part.
pub fn message(role: &str, text: &str) -> ResponseItem {
    let part = if role == "assistant" {
        ContentItem::OutputText {
            text: text.to_string(),
        }
    } else {
        ContentItem::InputText {
            text: text.to_string(),
        }
    };
    ResponseItem::Message {
        id: None,
        role: role.to_string(),
        content: vec![part],
    }
}

/// A call of tool `name` with `arguments` (any JSON).
pub fn tool_call(name: &str, arguments: &Value, call_id: &str) -> ResponseItem {
    ResponseItem::FunctionCall {
        id: None,
        name: name.to_string(),
        arguments: arguments.to_string(),
        call_id: call_id.to_string(),
    }
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolOutcome {
    /// A command that exited with this code.
    Exited(i64),
    /// The tool reported an error (no exit code).
    Failed,
    /// The tool succeeded (no exit code).
    Succeeded,
}

/// The output of call `call_id`: text, with the exit code where there is one (as Codex's shell
/// outputs carry it) or `Error: ` in front when the tool failed without one.
pub fn tool_output(call_id: &str, text: &str, outcome: ToolOutcome) -> ResponseItem {
    let body = match outcome {
        ToolOutcome::Exited(code) => {
            json!({"output": text, "metadata": {"exit_code": code}}).to_string()
        }
        ToolOutcome::Failed if !text.trim_start().starts_with("Error") => {
            format!("{TOOL_ERROR_PREFIX}{text}")
        }
        ToolOutcome::Failed | ToolOutcome::Succeeded => text.to_string(),
    };
    ResponseItem::FunctionCallOutput {
        call_id: call_id.to_string(),
        output: FunctionCallOutputBody::Text(body),
    }
}

/// One file edit: which file, and what it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileEdit {
    /// `old` replaced by `new` in `path`.
    Replace {
        /// The file.
        path: String,
        /// The text replaced.
        old: String,
        /// Its replacement.
        new: String,
    },
    /// `path` written whole with `content`.
    Write {
        /// The file.
        path: String,
        /// Its new content.
        content: String,
    },
}

/// File edits as one `apply_patch`-shaped call: a `*** Update File:` / `*** Add File:` header
/// per file, then `-`/`+` lines, so the edited files stay listed however the text is cut.
pub fn edit_call(edits: &[FileEdit], call_id: &str) -> ResponseItem {
    let mut patch = String::from("*** Begin Patch\n");
    for edit in edits {
        match edit {
            FileEdit::Replace { path, old, new } => {
                patch.push_str(&format!("*** Update File: {path}\n"));
                push_lines(&mut patch, '-', old);
                push_lines(&mut patch, '+', new);
            }
            FileEdit::Write { path, content } => {
                patch.push_str(&format!("*** Add File: {path}\n"));
                push_lines(&mut patch, '+', content);
            }
        }
    }
    patch.push_str("*** End Patch");
    ResponseItem::CustomToolCall {
        id: None,
        status: None,
        call_id: call_id.to_string(),
        name: EDIT_TOOL_NAME.to_string(),
        input: patch,
    }
}

fn push_lines(patch: &mut String, marker: char, text: &str) {
    for line in text.lines() {
        patch.push(marker);
        patch.push_str(line);
        patch.push('\n');
    }
}

/// The exit code a shell output states on one of its first lines (`Exit code 1`, `Exit Code:
/// 1`, `exit status 2`, …), if any.
pub fn stated_exit_code(text: &str) -> Option<i64> {
    const PREFIXES: &[&str] = &["exit code", "exit status", "process exited with code"];
    text.lines().take(12).find_map(|line| {
        let lower = line.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix("error: ").unwrap_or(&lower);
        PREFIXES.iter().find_map(|prefix| {
            lower
                .strip_prefix(prefix)
                .map(|rest| rest.trim_start_matches([':', ' ']))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|code| code.parse().ok())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn exit_codes_are_read_in_every_agent_s_wording() {
        assert_eq!(stated_exit_code("Exit code 1\nFAILED"), Some(1));
        assert_eq!(stated_exit_code("Error: Exit code 2\nx"), Some(2));
        assert_eq!(
            stated_exit_code("Output: x\nExit Code: 127\nPGID: 9"),
            Some(127)
        );
        assert_eq!(stated_exit_code("Process exited with code 0"), Some(0));
        assert_eq!(stated_exit_code("all fine"), None);
    }

    #[test]
    fn edits_read_as_a_patch_that_lists_each_file() {
        let edits = [
            FileEdit::Replace {
                path: "calc/ops.py".to_string(),
                old: "    return a // b".to_string(),
                new: "    return a / b".to_string(),
            },
            FileEdit::Write {
                path: "NOTES.md".to_string(),
                content: "use uv".to_string(),
            },
        ];
        let ResponseItem::CustomToolCall { name, input, .. } = edit_call(&edits, "c1") else {
            panic!("an edit is a custom tool call");
        };
        assert_eq!(name, "apply_patch");
        assert_eq!(
            input,
            "*** Begin Patch\n*** Update File: calc/ops.py\n-    return a // b\n+    return a / b\n*** Add File: NOTES.md\n+use uv\n*** End Patch"
        );
    }

    #[test]
    fn a_failed_tool_without_an_exit_code_says_error() {
        let failed = tool_output("c", "file not found", ToolOutcome::Failed);
        assert_eq!(
            failed,
            ResponseItem::FunctionCallOutput {
                call_id: "c".to_string(),
                output: FunctionCallOutputBody::Text("Error: file not found".to_string()),
            }
        );
        let exited = tool_output("c", "FAILED", ToolOutcome::Exited(1));
        let ResponseItem::FunctionCallOutput {
            output: FunctionCallOutputBody::Text(body),
            ..
        } = exited
        else {
            panic!("an output");
        };
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["metadata"]["exit_code"], 1);
    }
}
