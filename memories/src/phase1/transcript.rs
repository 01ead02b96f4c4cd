//! The compact transcript, in three steps that keep secrets whole: [`entries_of`] turns kept
//! rollout items into typed [`Entry`]s with their full text (a shell call is its command line,
//! a tool output its exit code and text); the caller redacts every entry; [`Entry::cut`] then
//! cuts long texts to head + tail with error lines kept, and [`render_blocks`] frames each entry
//! as one block (`user:`, `assistant:`, `tool call <name>:`, `tool output (exit N, T s):`,
//! `web search:`) whose header line carries the transcript's nonce (see [`super::frame`]). Nothing is
//! cut before it is redacted, so no cut can split a secret into fragments the redactor misses.

use codex_protocol::{ContentItem, FunctionCallOutputBody, ResponseItem};
use serde_json::Value;

use crate::phase1::cut::{cut_middle, is_error_line};
use crate::phase1::frame::Nonce;

/// Longest tool output kept whole, in bytes; longer ones are cut to head + tail.
pub const MAX_TOOL_OUTPUT_BYTES: usize = 3_000;
/// Longest tool input (a patch, arguments, a command line) kept whole, in bytes.
pub const MAX_TOOL_INPUT_BYTES: usize = 3_000;
/// Longest message kept whole, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 8_000;

/// One kept rollout item, typed: what phase 1 sends about it, and what a provider without a
/// model (offline) reads instead of parsing the rendered text back.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A message: `role` is `user`, `assistant` or another non-developer role.
    Message {
        /// Who wrote it, as the rollout names it.
        role: String,
        /// The message's text parts, joined by newlines.
        text: String,
    },
    /// A tool call.
    ToolCall {
        /// The tool's name.
        name: String,
        /// What was called.
        call: ToolInput,
    },
    /// A tool's output.
    ToolOutput {
        /// The exit code, when the output records one.
        exit_code: Option<i64>,
        /// How long the call took, in seconds, when recorded.
        seconds: Option<f64>,
        /// What the tool printed (its `output` field when the body is structured).
        text: String,
    },
    /// A web search.
    WebSearch {
        /// The query, or `(query not recorded)`.
        query: String,
    },
}

/// What a tool call asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolInput {
    /// A shell command: its command line, and its working directory when it differs from the
    /// session's.
    Command {
        /// The command line (the script of `bash -lc <script>`).
        line: String,
        /// The working directory, when not the session's.
        workdir: Option<String>,
    },
    /// Any other input: compact JSON arguments or a custom tool's raw input (a patch).
    Text(String),
}

impl Entry {
    /// Whether this is a message written by the user.
    pub fn is_user_message(&self) -> bool {
        matches!(self, Entry::Message { role, .. } if role == "user")
    }

    /// Applies `f` to every text the entry holds (names and directories included): the
    /// redaction seam, run on the whole texts before any cut.
    pub fn map_texts(&mut self, f: &dyn Fn(&str) -> String) {
        let apply = |text: &mut String| *text = f(text);
        match self {
            Entry::Message { text, .. } => apply(text),
            Entry::ToolCall { name, call } => {
                apply(name);
                match call {
                    ToolInput::Command { line, workdir } => {
                        apply(line);
                        if let Some(dir) = workdir {
                            apply(dir);
                        }
                    }
                    ToolInput::Text(text) => apply(text),
                }
            }
            Entry::ToolOutput { text, .. } => apply(text),
            Entry::WebSearch { query } => apply(query),
        }
    }

    /// The entry with its long texts cut to head + tail (error lines of outputs and file
    /// headers of patches kept from the middle). Call only on redacted entries.
    pub fn cut(mut self) -> Self {
        match &mut self {
            Entry::Message { text, .. } => {
                *text = cut_middle(text.trim_end(), MAX_MESSAGE_BYTES, is_error_line);
            }
            Entry::ToolCall { call, .. } => match call {
                ToolInput::Command { line, .. } => {
                    *line = cut_middle(line.trim(), MAX_TOOL_INPUT_BYTES, |_| false);
                }
                ToolInput::Text(text) => {
                    *text = cut_middle(text.trim_end(), MAX_TOOL_INPUT_BYTES, is_patch_header);
                }
            },
            Entry::ToolOutput { text, .. } => {
                *text = cut_middle(text.trim_end(), MAX_TOOL_OUTPUT_BYTES, is_error_line);
            }
            Entry::WebSearch { .. } => {}
        }
        self
    }

    /// The block's kind.
    pub fn kind(&self) -> BlockKind {
        match self {
            Entry::Message { role, .. } if role == "assistant" => BlockKind::Assistant,
            Entry::Message { .. } => BlockKind::User,
            Entry::ToolCall { .. } => BlockKind::ToolCall,
            Entry::ToolOutput { .. } => BlockKind::ToolOutput,
            Entry::WebSearch { .. } => BlockKind::WebSearch,
        }
    }

    /// The header line, without the nonce: `user:`, `tool output (exit 1, 0.5s):`, ….
    fn header(&self) -> String {
        match self {
            Entry::Message { role, .. } => format!("{}:", one_line(role)),
            Entry::ToolCall { name, .. } => format!("tool call {}:", one_line(name)),
            Entry::ToolOutput {
                exit_code, seconds, ..
            } => match (exit_code, seconds) {
                (Some(code), Some(seconds)) => format!("tool output (exit {code}, {seconds:.1}s):"),
                (Some(code), None) => format!("tool output (exit {code}):"),
                (None, _) => "tool output:".to_string(),
            },
            Entry::WebSearch { query } => format!("web search: {}", one_line(query)),
        }
    }

    /// The body under the header (empty for a web search).
    fn body(&self) -> String {
        match self {
            Entry::Message { text, .. } => text.trim_end().to_string(),
            Entry::ToolCall { call, .. } => match call {
                ToolInput::Command {
                    line,
                    workdir: Some(dir),
                } => format!("$ {line}\n(in {})", one_line(dir)),
                ToolInput::Command { line, .. } => format!("$ {line}"),
                ToolInput::Text(text) => text.trim_end().to_string(),
            },
            Entry::ToolOutput { text, .. } if text.trim().is_empty() => "(no output)".to_string(),
            Entry::ToolOutput { text, .. } => text.trim_end().to_string(),
            Entry::WebSearch { .. } => String::new(),
        }
    }

    /// Every text the rendered block shows, for choosing a nonce none of them contains.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Entry::Message { role, text } => vec![role.as_str(), text.as_str()],
            Entry::ToolCall { name, call } => match call {
                ToolInput::Command { line, workdir } => {
                    let mut texts = vec![name.as_str(), line.as_str()];
                    texts.extend(workdir.as_deref());
                    texts
                }
                ToolInput::Text(text) => vec![name.as_str(), text.as_str()],
            },
            Entry::ToolOutput { text, .. } => vec![text.as_str()],
            Entry::WebSearch { query } => vec![query.as_str()],
        }
    }
}

/// The typed transcript a stage-one request was rendered from: every kept entry, redacted and
/// cut (the budget fit drops blocks from the text only). Providers without a model read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageOneTranscript {
    /// The session's working directory (empty when unknown).
    pub cwd: String,
    /// The entries, in session order.
    pub entries: Vec<Entry>,
}

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

/// One rendered entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What it records.
    pub kind: BlockKind,
    /// The rendered text: the framed header line, then the body.
    pub text: String,
}

/// The typed entries of every kept item, uncut; `cwd` lets a tool call omit a working directory
/// equal to it.
pub fn entries_of(items: &[ResponseItem], cwd: &str) -> Vec<Entry> {
    items
        .iter()
        .filter_map(|item| entry_of(item, cwd))
        .collect()
}

/// Renders (already redacted and cut) entries as blocks whose headers carry `nonce`.
pub fn render_blocks(entries: &[Entry], nonce: &Nonce) -> Vec<Block> {
    entries
        .iter()
        .map(|entry| {
            let header = nonce.header(&entry.header());
            let body = entry.body();
            let text = if body.is_empty() {
                header
            } else {
                format!("{header}\n{body}")
            };
            Block {
                kind: entry.kind(),
                text,
            }
        })
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

fn entry_of(item: &ResponseItem, cwd: &str) -> Option<Entry> {
    let entry = match item {
        ResponseItem::Message { role, content, .. } => {
            let body: Vec<&str> = content.iter().filter_map(ContentItem::text).collect();
            Entry::Message {
                role: role.clone(),
                text: body.join("\n"),
            }
        }
        ResponseItem::FunctionCall {
            name, arguments, ..
        } => Entry::ToolCall {
            name: name.clone(),
            call: arguments_of(arguments, cwd),
        },
        ResponseItem::LocalShellCall { action, .. } => Entry::ToolCall {
            name: "local_shell".to_string(),
            call: command_of(action, cwd),
        },
        ResponseItem::CustomToolCall { name, input, .. } => Entry::ToolCall {
            name: name.clone(),
            call: ToolInput::Text(input.clone()),
        },
        ResponseItem::FunctionCallOutput { output, .. }
        | ResponseItem::CustomToolCallOutput { output, .. } => output_of(output),
        ResponseItem::WebSearchCall { action, .. } => Entry::WebSearch {
            query: action
                .as_ref()
                .and_then(|action| action.get("query"))
                .and_then(Value::as_str)
                .unwrap_or("(query not recorded)")
                .to_string(),
        },
        _ => return None,
    };
    Some(entry)
}

/// A function call's arguments: the command line for shell-like tools, else compact JSON.
fn arguments_of(arguments: &str, cwd: &str) -> ToolInput {
    match serde_json::from_str::<Value>(arguments) {
        Ok(value) if value.get("command").is_some() || value.get("cmd").is_some() => {
            command_of(&value, cwd)
        }
        Ok(value) => ToolInput::Text(value.to_string()),
        Err(_) => ToolInput::Text(arguments.to_string()),
    }
}

/// The command line of a shell-like call (plus its directory when outside the session's cwd).
fn command_of(value: &Value, cwd: &str) -> ToolInput {
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
    let workdir = value
        .get("workdir")
        .or_else(|| value.get("cwd"))
        .and_then(Value::as_str)
        .filter(|dir| *dir != cwd && !dir.is_empty())
        .map(str::to_string);
    ToolInput::Command {
        line: line.trim().to_string(),
        workdir,
    }
}

fn is_shell(program: &str) -> bool {
    let name = program.rsplit('/').next().unwrap_or(program);
    matches!(name, "bash" | "sh" | "zsh" | "fish" | "pwsh" | "powershell")
}

/// A tool output: its text, with the exit code and duration when it records them.
fn output_of(output: &FunctionCallOutputBody) -> Entry {
    let raw = output.to_text();
    match serde_json::from_str::<Value>(&raw) {
        Ok(Value::Object(object)) if object.contains_key("output") => {
            let metadata = object.get("metadata");
            Entry::ToolOutput {
                exit_code: metadata
                    .and_then(|m| m.get("exit_code"))
                    .and_then(Value::as_i64),
                seconds: metadata
                    .and_then(|m| m.get("duration_seconds"))
                    .and_then(Value::as_f64),
                text: object
                    .get("output")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            }
        }
        _ => Entry::ToolOutput {
            exit_code: exit_code_in_text(&raw),
            seconds: None,
            text: raw,
        },
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
pub fn is_patch_header(line: &str) -> bool {
    line.starts_with("*** ") || line.starts_with("+++ ") || line.starts_with("--- ")
}

/// `text` on one line: a header field never spills into the body.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
