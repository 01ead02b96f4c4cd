//! A Gemini CLI chat as typed conversation items. User messages are the user's words — except
//! the `<session_context>` Gemini CLI sends first (it gives the session's folder) and the user
//! messages that only send tool results back (the gemini message's `toolCalls` hold them).
//! Each tool call is a call and its result the output, with the exit code of a shell command
//! or an error flag; edits are listed by file. `info`/`error`/`warning` notes are left out.

use std::collections::HashMap;

use serde_json::Value;

use crate::gemini::chat::GeminiChat;
use crate::gemini::record::{GeminiContent, GeminiMessage, GeminiToolCall};
use crate::session_items::{FileEdit, ToolOutcome, edit_call, message, tool_call, tool_output};
use crate::{Agent, ResponseItem, SessionItems};

/// How Gemini CLI's first, generated user message starts.
pub const SESSION_CONTEXT_TAG: &str = "<session_context>";
/// The line of the session context after which the workspace folders are listed.
const WORKSPACE_HEADING: &str = "Workspace Directories:";
/// Gemini CLI's shell tool.
const SHELL_TOOL: &str = "run_shell_command";
/// How a shell tool's output states the exit code.
const EXIT_CODE_PREFIX: &str = "Exit Code: ";

/// The conversation of `chat`.
pub fn gemini_session_items(chat: &GeminiChat) -> SessionItems {
    let mut items = Vec::new();
    let mut context_cwd = None;
    // Calls known only from `functionCall` parts, waiting for their results.
    let mut waiting: HashMap<String, String> = HashMap::new();
    for message in &chat.messages {
        match message.message_type.as_str() {
            "user" => {
                let text = message.content.text();
                if text.trim_start().starts_with(SESSION_CONTEXT_TAG) {
                    context_cwd = context_cwd.or_else(|| workspace_folder(&text));
                } else if message.content.is_only_function_responses() {
                    function_responses(message, &mut waiting, &mut items);
                } else if !text.trim().is_empty() {
                    items.push(crate::session_items::message("user", &text));
                }
            }
            "gemini" => gemini_message(message, &mut waiting, &mut items),
            _ => {}
        }
    }
    let cwd = chat
        .recorded_project_root()
        .or(context_cwd)
        .unwrap_or_default();
    SessionItems {
        agent: Agent::Gemini,
        items,
        cwd,
        bad_line_count: chat.bad_line_count,
    }
}

fn gemini_message(
    gemini: &GeminiMessage,
    waiting: &mut HashMap<String, String>,
    items: &mut Vec<ResponseItem>,
) {
    let text = gemini.content.text();
    if !text.trim().is_empty() {
        items.push(message("assistant", &text));
    }
    for call in &gemini.tool_calls {
        items.push(gemini_call(call));
        if let Some(result) = &call.result {
            let (text, failed) = result_text(result);
            let failed = failed || call.status.as_deref() == Some("error");
            items.push(tool_output(
                &call.id,
                &text,
                outcome(&call.name, &text, failed),
            ));
        }
    }
    if !gemini.tool_calls.is_empty() {
        return;
    }
    // History in the API's form: the calls are parts; their results come in a later message.
    let GeminiContent::Parts(parts) = &gemini.content else {
        return;
    };
    for call in parts.iter().filter_map(|part| part.function_call.as_ref()) {
        let call: GeminiToolCall = serde_json::from_value(call.clone()).unwrap_or_default();
        items.push(gemini_call(&call));
        waiting.insert(call.id, call.name);
    }
}

/// The results of calls known only from `functionCall` parts; others are already in the
/// `toolCalls` of the message that made them.
fn function_responses(
    user: &GeminiMessage,
    waiting: &mut HashMap<String, String>,
    items: &mut Vec<ResponseItem>,
) {
    let GeminiContent::Parts(parts) = &user.content else {
        return;
    };
    for response in parts
        .iter()
        .filter_map(|part| part.function_response.as_ref())
    {
        let id = response
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(name) = waiting.remove(id) else {
            continue;
        };
        let wrapped = Value::Array(vec![serde_json::json!({ "functionResponse": response })]);
        let (text, failed) = result_text(&wrapped);
        items.push(tool_output(id, &text, outcome(&name, &text, failed)));
    }
}

/// How a call ended: a shell command's exit code, else whether it failed.
fn outcome(tool: &str, text: &str, failed: bool) -> ToolOutcome {
    if tool == SHELL_TOOL {
        ToolOutcome::Exited(exit_code(text).unwrap_or(i64::from(failed)))
    } else if failed {
        ToolOutcome::Failed
    } else {
        ToolOutcome::Succeeded
    }
}

/// A tool call: file edits as a patch listing each file, anything else with its arguments.
fn gemini_call(call: &GeminiToolCall) -> ResponseItem {
    let text = |key: &str| {
        call.args
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let edit = match call.name.as_str() {
        "replace" | "edit" => Some(FileEdit::Replace {
            path: text("file_path"),
            old: text("old_string"),
            new: text("new_string"),
        }),
        "write_file" => Some(FileEdit::Write {
            path: text("file_path"),
            content: text("content"),
        }),
        _ => None,
    };
    match edit {
        Some(edit) => edit_call(&[edit], &call.id),
        None => tool_call(&call.name, &call.args, &call.id),
    }
}

/// The text of a tool's result parts, and whether one of them is an error.
fn result_text(result: &Value) -> (String, bool) {
    let parts: Vec<&Value> = match result {
        Value::Array(parts) => parts.iter().collect(),
        other => vec![other],
    };
    let mut failed = false;
    let texts: Vec<String> = parts
        .iter()
        .map(|part| {
            let response = part
                .get("functionResponse")
                .and_then(|function| function.get("response"));
            match response {
                Some(response) => {
                    if let Some(error) = response.get("error") {
                        failed = true;
                        return value_text(error);
                    }
                    response
                        .get("output")
                        .map_or_else(|| response.to_string(), value_text)
                }
                None => value_text(part),
            }
        })
        .collect();
    (texts.join("\n"), failed)
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The exit code a shell output states (`Exit Code: 1`, usually after the output).
fn exit_code(text: &str) -> Option<i64> {
    text.lines().rev().find_map(|line| {
        line.trim()
            .strip_prefix(EXIT_CODE_PREFIX)
            .and_then(|code| code.trim().parse().ok())
    })
}

/// The first folder listed under "Workspace Directories:" in a session context.
pub fn workspace_folder(context: &str) -> Option<String> {
    let after = &context[context.find(WORKSPACE_HEADING)? + WORKSPACE_HEADING.len()..];
    after
        .lines()
        .skip(1)
        .map(str::trim)
        .take_while(|line| line.starts_with("- "))
        .find_map(|line| {
            let folder = line.trim_start_matches("- ").trim();
            (!folder.is_empty()).then(|| folder.to_string())
        })
}

#[cfg(test)]
#[path = "items_tests.rs"]
mod tests;
