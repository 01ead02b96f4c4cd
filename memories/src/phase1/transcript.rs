//! Renders kept rollout items as a compact transcript — one short block per item (`user:`,
//! `assistant:`, `tool call <name>:`, `tool output (exit N, T s):`, `web search:`), not a JSON
//! dump. Shell commands are shown as the command line, tool outputs with their exit code first,
//! and long texts are cut to head + tail with error lines kept. The result is evidence for the
//! model; the prompt around it says so.

use codex_protocol::{ContentItem, FunctionCallOutputBody, ResponseItem};
use serde_json::Value;

use crate::phase1::cut::{cut_middle, is_error_line};

/// Longest tool output kept whole, in bytes; longer ones are cut to head + tail.
pub const MAX_TOOL_OUTPUT_BYTES: usize = 3_000;
/// Longest tool input (a patch, arguments) kept whole, in bytes.
pub const MAX_TOOL_INPUT_BYTES: usize = 3_000;
/// Longest message kept whole, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8_000;

/// What a block records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A user message.
    User,
    /// An assistant message.
    Assistant,
    /// A tool call.
    ToolCall,
    /// A tool's output.
    ToolOutput,
    /// A web search.
    WebSearch,
}

/// One rendered item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What it records.
    pub kind: BlockKind,
    /// The rendered text: a header line, then the body.
    pub text: String,
}

/// Renders every kept item; `cwd` lets a tool call omit a working directory equal to it.
pub fn render_blocks(items: &[ResponseItem], cwd: &str) -> Vec<Block> {
    items
        .iter()
        .filter_map(|item| render_item(item, cwd))
        .collect()
}

/// The blocks joined with blank lines between them.
pub fn join_blocks(blocks: &[Block]) -> String {
    let mut out = String::with_capacity(blocks.iter().map(|b| b.text.len() + 2).sum());
    for block in blocks {
        out.push_str(&block.text);
        if !block.text.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

fn render_item(item: &ResponseItem, cwd: &str) -> Option<Block> {
    let (kind, text) = match item {
        ResponseItem::Message { role, content, .. } => {
            let kind = if role == "assistant" {
                BlockKind::Assistant
            } else {
                BlockKind::User
            };
            let body: Vec<&str> = content.iter().filter_map(ContentItem::text).collect();
            let body = cut_middle(&body.join("\n"), MAX_MESSAGE_BYTES, is_error_line);
            (kind, format!("{role}:\n{}", body.trim_end()))
        }
        ResponseItem::FunctionCall {
            name, arguments, ..
        } => (
            BlockKind::ToolCall,
            format!("tool call {name}:\n{}", render_arguments(arguments, cwd)),
        ),
        ResponseItem::LocalShellCall { action, .. } => (
            BlockKind::ToolCall,
            format!(
                "tool call local_shell:\n{}",
                render_command_value(action, cwd)
            ),
        ),
        ResponseItem::CustomToolCall { name, input, .. } => (
            BlockKind::ToolCall,
            format!(
                "tool call {name}:\n{}",
                cut_middle(input.trim_end(), MAX_TOOL_INPUT_BYTES, is_patch_header).trim_end()
            ),
        ),
        ResponseItem::FunctionCallOutput { output, .. }
        | ResponseItem::CustomToolCallOutput { output, .. } => {
            (BlockKind::ToolOutput, render_output(output))
        }
        ResponseItem::WebSearchCall { action, .. } => {
            let query = action
                .as_ref()
                .and_then(|action| action.get("query"))
                .and_then(Value::as_str)
                .unwrap_or("(query not recorded)");
            (BlockKind::WebSearch, format!("web search: {query}"))
        }
        _ => return None,
    };
    Some(Block { kind, text })
}

/// A function call's arguments: the command line for shell-like tools, else compact JSON.
fn render_arguments(arguments: &str, cwd: &str) -> String {
    match serde_json::from_str::<Value>(arguments) {
        Ok(value) if value.get("command").is_some() || value.get("cmd").is_some() => {
            render_command_value(&value, cwd)
        }
        Ok(value) => cut_middle(&value.to_string(), MAX_TOOL_INPUT_BYTES, |_| false),
        Err(_) => cut_middle(arguments, MAX_TOOL_INPUT_BYTES, |_| false),
    }
}

/// `$ <command>` (plus `(in <dir>)` when it ran outside the session's cwd).
fn render_command_value(value: &Value, cwd: &str) -> String {
    let command = value.get("command").or_else(|| value.get("cmd"));
    let line = match command {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => {
            let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
            match parts.as_slice() {
                [shell, flag, script] if is_shell(shell) && flag.starts_with('-') => {
                    script.to_string()
                }
                _ => parts.join(" "),
            }
        }
        _ => value.to_string(),
    };
    let line = cut_middle(line.trim(), MAX_TOOL_INPUT_BYTES, |_| false);
    let workdir = value
        .get("workdir")
        .or_else(|| value.get("cwd"))
        .and_then(Value::as_str);
    match workdir {
        Some(dir) if dir != cwd && !dir.is_empty() => format!("$ {line}\n(in {dir})"),
        _ => format!("$ {line}"),
    }
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "bash" | "sh" | "zsh" | "fish" | "pwsh" | "powershell")
}

/// `tool output (exit N, T s):` then the output, cut with its error lines kept.
fn render_output(output: &FunctionCallOutputBody) -> String {
    let raw = output.to_text();
    let (body, exit_code, seconds) = match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(object)) if object.contains_key("output") => {
            let body = object
                .get("output")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let metadata = object.get("metadata");
            let exit_code = metadata
                .and_then(|m| m.get("exit_code"))
                .and_then(Value::as_i64);
            let seconds = metadata
                .and_then(|m| m.get("duration_seconds"))
                .and_then(Value::as_f64);
            (body, exit_code, seconds)
        }
        _ => {
            let exit_code = exit_code_in_text(&raw);
            (raw, exit_code, None)
        }
    };
    let header = match (exit_code, seconds) {
        (Some(code), Some(seconds)) => format!("tool output (exit {code}, {seconds:.1}s):"),
        (Some(code), None) => format!("tool output (exit {code}):"),
        (None, _) => "tool output:".to_string(),
    };
    let body = cut_middle(body.trim_end(), MAX_TOOL_OUTPUT_BYTES, is_error_line);
    if body.is_empty() {
        format!("{header}\n(no output)")
    } else {
        format!("{header}\n{}", body.trim_end())
    }
}

/// The exit code in newer plain-text tool outputs (`Exit code: 1`, `Process exited with code 1`).
fn exit_code_in_text(text: &str) -> Option<i64> {
    const PREFIXES: &[&str] = &["Exit code: ", "Process exited with code "];
    text.lines().take(8).find_map(|line| {
        PREFIXES.iter().find_map(|prefix| {
            line.trim()
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|code| code.parse().ok())
        })
    })
}

/// Patch lines worth keeping from a cut middle: the file headers.
fn is_patch_header(line: &str) -> bool {
    line.starts_with("*** ") || line.starts_with("+++ ") || line.starts_with("--- ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn call(arguments: &str) -> ResponseItem {
        ResponseItem::FunctionCall {
            id: None,
            name: "shell".to_string(),
            arguments: arguments.to_string(),
            call_id: "c1".to_string(),
        }
    }

    fn output(text: &str) -> ResponseItem {
        ResponseItem::FunctionCallOutput {
            call_id: "c1".to_string(),
            output: FunctionCallOutputBody::Text(text.to_string()),
        }
    }

    #[test]
    fn shell_calls_render_as_command_lines() {
        let blocks = render_blocks(
            &[
                call(r#"{"command":["bash","-lc","cargo test -p ledger"],"workdir":"/repo"}"#),
                call(r#"{"command":["ls","-la"],"workdir":"/elsewhere"}"#),
                call(r#"{"cmd":"npm test"}"#),
            ],
            "/repo",
        );
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "tool call shell:\n$ cargo test -p ledger",
                "tool call shell:\n$ ls -la\n(in /elsewhere)",
                "tool call shell:\n$ npm test",
            ]
        );
    }

    #[test]
    fn tool_outputs_lead_with_their_exit_code() {
        let json = r#"{"output":"FAILED tests::x\n","metadata":{"exit_code":101,"duration_seconds":14.25}}"#;
        let plain = "Exit code: 2\nWall time: 0.1 seconds\nOutput:\nno such file";
        let blocks = render_blocks(&[output(json), output(plain), output("ok")], "/");
        let texts: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "tool output (exit 101, 14.2s):\nFAILED tests::x",
                "tool output (exit 2):\nExit code: 2\nWall time: 0.1 seconds\nOutput:\nno such file",
                "tool output:\nok",
            ]
        );
    }

    #[test]
    fn messages_and_searches_render_with_their_role() {
        let items = vec![
            ResponseItem::Message {
                id: None,
                role: "user".to_string(),
                content: vec![ContentItem::InputText {
                    text: "fix it".to_string(),
                }],
            },
            ResponseItem::WebSearchCall {
                id: None,
                status: None,
                action: Some(serde_json::json!({"type": "search", "query": "tenacity retry"})),
            },
        ];
        assert_eq!(
            join_blocks(&render_blocks(&items, "/")),
            "user:\nfix it\n\nweb search: tenacity retry\n\n"
        );
    }
}
