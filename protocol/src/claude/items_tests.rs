use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;
use crate::{ContentItem, FunctionCallOutputBody};

/// A transcript of `lines` (JSON values), numbered from 1.
fn transcript(lines: &[Value]) -> ClaudeTranscript {
    ClaudeTranscript {
        lines: lines
            .iter()
            .enumerate()
            .map(|(index, line)| {
                let parsed = ClaudeLine::parse(&line.to_string()).unwrap();
                (index as u64 + 1, parsed)
            })
            .collect(),
        ..ClaudeTranscript::default()
    }
}

fn user(uuid: &str, parent: Option<&str>, content: Value) -> Value {
    json!({"type": "user", "uuid": uuid, "parentUuid": parent, "isSidechain": false,
           "cwd": "/home/dev/src/app", "sessionId": "s", "version": "2.1.328",
           "message": {"role": "user", "content": content}})
}

fn assistant(uuid: &str, parent: &str, id: &str, block: Value) -> Value {
    json!({"type": "assistant", "uuid": uuid, "parentUuid": parent, "isSidechain": false,
           "message": {"id": id, "role": "assistant", "model": "claude-x", "content": [block]}})
}

fn result(uuid: &str, parent: &str, call: &str, text: &str, is_error: bool) -> Value {
    user(
        uuid,
        Some(parent),
        json!([{"type": "tool_result", "tool_use_id": call, "content": text, "is_error": is_error}]),
    )
}

/// The items rendered as short lines, for comparing whole conversations.
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

fn items_of(lines: &[Value]) -> Vec<String> {
    summary(&claude_session_items(&transcript(lines), &[]).items)
}

#[test]
fn a_response_split_over_lines_is_merged_and_tool_calls_pair_with_their_results() {
    let lines = [
        json!({"type": "queue-operation", "operation": "enqueue", "content": "run the tests"}),
        user("u1", None, json!("run the tests")),
        json!({"type": "attachment", "uuid": "a1", "parentUuid": "u1", "attachment": {"type": "environment"}}),
        assistant(
            "m1",
            "a1",
            "msg_1",
            json!({"type": "thinking", "thinking": "hmm"}),
        ),
        assistant(
            "m2",
            "m1",
            "msg_1",
            json!({"type": "text", "text": "Running them."}),
        ),
        assistant(
            "m3",
            "m2",
            "msg_1",
            json!({"type": "text", "text": "One moment."}),
        ),
        // The same block written again on a later line.
        assistant(
            "m3b",
            "m3",
            "msg_1",
            json!({"type": "text", "text": "One moment."}),
        ),
        assistant(
            "m4",
            "m3b",
            "msg_1",
            json!({"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest", "description": "Run"}}),
        ),
        result("r1", "m4", "t1", "Exit code 1\nFAILED test_divide", true),
        assistant(
            "m5",
            "r1",
            "msg_2",
            json!({"type": "tool_use", "id": "t2", "name": "Read", "input": {"file_path": "/nope"}}),
        ),
        result("r2", "m5", "t2", "File does not exist.", true),
        assistant(
            "m6",
            "r2",
            "msg_3",
            json!({"type": "tool_use", "id": "t3", "name": "Bash", "input": {"command": "pytest -x"}}),
        ),
        result("r3", "m6", "t3", "4 passed", false),
        json!({"type": "system", "subtype": "turn_duration", "uuid": "s1", "parentUuid": "r3"}),
        json!({"type": "cost-state", "totalCostUSD": 0.1}),
    ];
    assert_eq!(
        items_of(&lines),
        vec![
            "user: run the tests",
            "assistant: Running them.\nOne moment.",
            r#"call Bash {"command":"pytest","description":"Run"}"#,
            r#"output {"metadata":{"exit_code":1},"output":"Exit code 1\nFAILED test_divide"}"#,
            r#"call Read {"file_path":"/nope"}"#,
            "output Error: File does not exist.",
            r#"call Bash {"command":"pytest -x"}"#,
            r#"output {"metadata":{"exit_code":0},"output":"4 passed"}"#,
        ]
    );
}

#[test]
fn the_compaction_summary_is_not_a_user_message_and_the_branch_continues_across_the_boundary() {
    let lines = [
        user("u1", None, json!("add a --dry-run flag")),
        assistant(
            "m1",
            "u1",
            "msg_1",
            json!({"type": "text", "text": "Added."}),
        ),
        json!({"type": "system", "subtype": "compact_boundary", "uuid": "b", "parentUuid": null,
               "logicalParentUuid": "m1", "content": "Conversation compacted"}),
        json!({"type": "user", "uuid": "cs", "parentUuid": "b", "isCompactSummary": true,
               "message": {"role": "user", "content": "This session is being continued… Summary: …"}}),
        json!({"type": "user", "uuid": "meta", "parentUuid": "cs", "isMeta": true,
               "message": {"role": "user", "content": "<local-command-caveat>Caveat</local-command-caveat>"}}),
        user(
            "cmd",
            Some("meta"),
            json!("<command-name>/compact</command-name>"),
        ),
        user("u2", Some("cmd"), json!("now document it")),
    ];
    assert_eq!(
        items_of(&lines),
        vec![
            "user: add a --dry-run flag",
            "assistant: Added.",
            "user: now document it"
        ]
    );
}

#[test]
fn a_rewound_prompt_leaves_its_abandoned_branch_out() {
    let lines = [
        user("u1", None, json!("first try")),
        assistant(
            "m1",
            "u1",
            "msg_1",
            json!({"type": "text", "text": "abandoned answer"}),
        ),
        // The user edited the prompt: a new child of the root's parent.
        user("u1b", None, json!("second try")),
        assistant(
            "m2",
            "u1b",
            "msg_2",
            json!({"type": "text", "text": "kept answer"}),
        ),
    ];
    assert_eq!(
        items_of(&lines),
        vec!["user: second try", "assistant: kept answer"]
    );
}

#[test]
fn edits_are_listed_by_file() {
    let lines = [
        user("u1", None, json!("fix divide")),
        assistant(
            "m1",
            "u1",
            "msg_1",
            json!({"type": "tool_use", "id": "t1", "name": "Edit",
            "input": {"file_path": "/app/calc/ops.py", "old_string": "a // b", "new_string": "a / b"}}),
        ),
        result("r1", "m1", "t1", "The file has been updated.", false),
    ];
    assert_eq!(
        items_of(&lines)[1],
        "apply_patch: *** Begin Patch\n*** Update File: /app/calc/ops.py\n-a // b\n+a / b\n*** End Patch"
    );
}

#[test]
fn a_sidechain_follows_the_result_of_the_call_that_started_it() {
    let main = transcript(&[
        user("u1", None, json!("where is word counting?")),
        assistant(
            "m1",
            "u1",
            "msg_1",
            json!({"type": "tool_use", "id": "t1", "name": "Agent",
            "input": {"description": "Find it", "prompt": "Locate word counting"}}),
        ),
        json!({"type": "user", "uuid": "r1", "parentUuid": "m1",
               "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [{"type": "text", "text": "src/count.rs:3"}]}]},
               "toolUseResult": {"status": "completed", "agentId": "abc"}}),
        assistant(
            "m2",
            "r1",
            "msg_2",
            json!({"type": "text", "text": "It is in src/count.rs."}),
        ),
    ]);
    let side = |uuid: &str, parent: Option<&str>, message: Value| {
        json!({"type": message["role"], "uuid": uuid, "parentUuid": parent, "isSidechain": true,
               "agentId": "abc", "message": message})
    };
    let sidechain = Sidechain {
        agent_id: "abc".to_string(),
        tool_use_id: None,
        transcript: transcript(&[
            side(
                "s1",
                None,
                json!({"role": "user", "content": "Locate word counting"}),
            ),
            side(
                "s2",
                Some("s1"),
                json!({"id": "x", "role": "assistant", "content": [{"type": "tool_use", "id": "st1", "name": "Bash", "input": {"command": "grep -rn count src"}}]}),
            ),
            side(
                "s3",
                Some("s2"),
                json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": "st1", "content": "src/count.rs:3:fn count"}]}),
            ),
            side(
                "s4",
                Some("s3"),
                json!({"id": "y", "role": "assistant", "content": [{"type": "text", "text": "Found src/count.rs:3"}]}),
            ),
        ]),
    };
    let items = claude_session_items(&main, &[sidechain]);
    assert_eq!(
        summary(&items.items),
        vec![
            "user: where is word counting?",
            r#"call Agent {"description":"Find it","prompt":"Locate word counting"}"#,
            "output src/count.rs:3",
            r#"call Bash {"command":"grep -rn count src"}"#,
            r#"output {"metadata":{"exit_code":0},"output":"src/count.rs:3:fn count"}"#,
            "subagent: Found src/count.rs:3",
            "assistant: It is in src/count.rs.",
        ]
    );
    assert_eq!(items.cwd, "/home/dev/src/app");
}
