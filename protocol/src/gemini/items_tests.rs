use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;
use crate::{ContentItem, FunctionCallOutputBody};

const CONTEXT: &str = "<session_context>\nThis is the Gemini CLI.\n- **Workspace Directories:**\n  - /home/dev/src/py-calc\n- **Directory Structure:**\n</session_context>";

fn chat(lines: &[Value]) -> GeminiChat {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session-2026-12-06T17-47-1d942429.jsonl");
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    GeminiChat::read(&path).unwrap()
}

fn header(start: &str) -> Value {
    json!({"sessionId": "1d942429-db64-41cf-bc43-976ab831b159", "projectHash": "abc",
           "startTime": start, "lastUpdated": start, "kind": "main"})
}

fn context() -> Value {
    json!({"$set": {"messages": [{"id": "ctx", "timestamp": "t", "type": "user", "content": [{"text": CONTEXT}]}]}})
}

fn summary(items: &[ResponseItem]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            ResponseItem::Message { role, content, .. } => {
                let text: Vec<&str> = content.iter().filter_map(ContentItem::text).collect();
                format!("{role}: {}", text.join(" | "))
            }
            ResponseItem::FunctionCall {
                name, arguments, ..
            } => format!("call {name} {arguments}"),
            ResponseItem::CustomToolCall { name, input, .. } => format!("{name}: {input}"),
            ResponseItem::FunctionCallOutput {
                output: FunctionCallOutputBody::Text(text),
                ..
            } => format!("output {text}"),
            other => format!("{other:?}"),
        })
        .collect()
}

fn shell_result(id: &str, output: &str) -> Value {
    json!([{"functionResponse": {"id": id, "name": "run_shell_command", "response": {"output": output}}}])
}

#[test]
fn a_resumed_chat_reads_as_one_conversation_with_the_last_write_of_each_message() {
    let chat = chat(&[
        header("2026-12-06T17:47:00.357Z"),
        context(),
        json!({"id": "u1", "timestamp": "t", "type": "user", "content": [{"text": "run the tests and fix the failing one"}]}),
        json!({"$set": {"lastUpdated": "2026-12-06T17:47:00.421Z"}}),
        json!({"id": "g1", "timestamp": "t", "type": "gemini", "content": "Running them.", "model": "gemini-3.8-flash",
               "tokens": {"input": 239, "output": 51, "total": 290}}),
        json!({"id": "g1", "timestamp": "t", "type": "gemini", "content": "Running them.", "model": "gemini-3.8-flash",
               "tokens": {"input": 239, "output": 51, "total": 290},
               "toolCalls": [{"id": "c1", "name": "run_shell_command", "args": {"command": "python3 -m unittest"},
                              "result": shell_result("c1", "<untrusted_context>\nOutput: FAILED (failures=1)\nExit Code: 1\n</untrusted_context>"),
                              "status": "success"}]}),
        json!({"id": "u2", "timestamp": "t", "type": "user", "content": [{"functionResponse": {"id": "c1", "name": "run_shell_command", "response": {"output": "…"}}}]}),
        json!({"id": "g2", "timestamp": "t", "type": "gemini", "content": "",
               "toolCalls": [{"id": "c2", "name": "replace", "args": {"file_path": "/home/dev/src/py-calc/calc/ops.py", "old_string": "a // b", "new_string": "a / b"},
                              "result": [{"functionResponse": {"id": "c2", "name": "replace", "response": {"output": "Successfully modified file"}}}], "status": "success"},
                             {"id": "c3", "name": "read_file", "args": {"file_path": "/nope"},
                              "result": [{"functionResponse": {"id": "c3", "name": "read_file", "response": {"error": "File not found: /nope"}}}], "status": "error"}]}),
        json!({"type": "info", "id": "i1", "timestamp": "t", "content": "Request cancelled."}),
        // Resumed: a second header and the context set again.
        header("2026-12-06T17:47:13.911Z"),
        context(),
        json!({"$set": {"sessionId": "1d942429-db64-41cf-bc43-976ab831b159"}}),
        json!({"id": "u3", "timestamp": "t", "type": "user", "content": [{"text": "always use uv, never pip"}]}),
        json!({"id": "g3", "timestamp": "t", "type": "gemini", "content": "Noted: uv, not pip."}),
        json!({"hologram": true}),
    ]);
    assert_eq!((chat.resumptions, chat.bad_line_count), (1, 0));
    assert_eq!(chat.kinds.get("record (unknown)"), Some(&1));
    let items = gemini_session_items(&chat);
    assert_eq!(items.cwd, "/home/dev/src/py-calc");
    assert_eq!(
        summary(&items.items),
        vec![
            "user: run the tests and fix the failing one",
            "assistant: Running them.",
            r#"call run_shell_command {"command":"python3 -m unittest"}"#,
            r#"output {"metadata":{"exit_code":1},"output":"<untrusted_context>\nOutput: FAILED (failures=1)\nExit Code: 1\n</untrusted_context>"}"#,
            "apply_patch: *** Begin Patch\n*** Update File: /home/dev/src/py-calc/calc/ops.py\n-a // b\n+a / b\n*** End Patch",
            "output Successfully modified file",
            r#"call read_file {"file_path":"/nope"}"#,
            "output Error: File not found: /nope",
            "user: always use uv, never pip",
            "assistant: Noted: uv, not pip.",
        ]
    );
}

#[test]
fn a_bad_line_is_counted_and_the_rest_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.jsonl");
    let text = format!(
        "{}\nnot json\n{}\n{{\"id\":\"u2\",\"type\":\"us",
        header("2026-12-06T17:47:00Z"),
        json!({"id": "u1", "timestamp": "t", "type": "user", "content": [{"text": "hello"}]}),
    );
    std::fs::write(&path, text).unwrap();
    let chat = GeminiChat::read(&path).unwrap();
    assert_eq!(chat.bad_line_count, 2);
    assert_eq!(
        summary(&gemini_session_items(&chat).items),
        vec!["user: hello"]
    );
}

#[test]
fn history_set_again_on_resumption_keeps_each_call_and_its_result_once() {
    let call = json!({"id": "c1", "name": "run_shell_command", "args": {"command": "npm test"}});
    let response = json!({"functionResponse": {"id": "c1", "name": "run_shell_command",
        "response": {"output": "Output: ok\nExit Code: 0"}}});
    let chat = chat(&[
        header("2026-12-06T17:47:08.651Z"),
        json!({"id": "u1", "timestamp": "t", "type": "user", "content": [{"text": "test it"}]}),
        json!({"id": "g1", "timestamp": "t", "type": "gemini", "content": "",
               "toolCalls": [{"id": "c1", "name": "run_shell_command", "args": {"command": "npm test"},
                              "result": [response.clone()], "status": "success"}]}),
        json!({"id": "u2", "timestamp": "t", "type": "user", "content": [response.clone()]}),
        // Resumed: the history set again in the API's form.
        header("2026-12-06T17:47:13.911Z"),
        json!({"$set": {"messages": [
            {"id": "u1", "timestamp": "t", "type": "user", "content": [{"text": "test it"}]},
            {"id": "g1", "timestamp": "t", "type": "gemini", "content": [{"functionCall": call.clone()}]},
            {"id": "g1_response", "timestamp": "t", "type": "user", "content": [response.clone()]},
            {"id": "u2", "timestamp": "t", "type": "user", "content": [response.clone()]},
        ]}}),
        // A call known only from the API form.
        json!({"$set": {"messages": [
            {"id": "g9", "timestamp": "t", "type": "gemini", "content": [{"functionCall": {"id": "c9", "name": "read_file", "args": {"file_path": "a"}}}]},
            {"id": "g9_response", "timestamp": "t", "type": "user", "content": [{"functionResponse": {"id": "c9", "name": "read_file", "response": {"output": "text"}}}]},
        ]}}),
    ]);
    assert_eq!(
        summary(&gemini_session_items(&chat).items),
        vec![
            "user: test it",
            r#"call run_shell_command {"command":"npm test"}"#,
            r#"output {"metadata":{"exit_code":0},"output":"Output: ok\nExit Code: 0"}"#,
            r#"call read_file {"file_path":"a"}"#,
            "output text",
        ]
    );
}
