//! Every item kind written by `RolloutWriter` reads back equal through `RolloutReader`, in both
//! layouts; unknown kinds and unknown fields are tolerated and kept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::Cursor;
use std::path::Path;

use codex_protocol::{
    CommandLine, Compacted, CompletedContent, CompletedItem, ContentItem, EventMsg,
    FunctionCallOutputBody, GitInfo, LegacyHeader, LineMetadata, ResponseItem, RolloutFormat,
    RolloutItem, RolloutLine, RolloutReader, RolloutWriter, SessionMeta, SessionSource, ThreadId,
    ThreadSettings, TokenUsage, TokenUsageInfo, TokenUsageRecord, TurnContext, WorldState,
};
use pretty_assertions::assert_eq;
use serde_json::json;

const THREAD: &str = "019a93b9-f380-7600-98ff-940e6b99603c";
const TS: &str = "2025-11-17T21:30:28.664Z";

fn thread_id() -> ThreadId {
    THREAD.parse().unwrap()
}

fn envelope(item: RolloutItem) -> RolloutLine {
    RolloutLine::envelope(TS, item)
}

fn every_response_item() -> Vec<ResponseItem> {
    vec![
        ResponseItem::Message {
            id: Some("msg_1".to_string()),
            role: "user".to_string(),
            content: vec![
                ContentItem::InputText {
                    text: "fix the build".to_string(),
                },
                ContentItem::InputImage {
                    image_url: "data:image/png;base64,iVBORw0KGgo=".to_string(),
                },
            ],
        },
        ResponseItem::Message {
            id: None,
            role: "assistant".to_string(),
            content: vec![ContentItem::OutputText {
                text: "Done.".to_string(),
            }],
        },
        ResponseItem::Reasoning {
            id: Some("rs_1".to_string()),
            summary: vec![json!({"type": "summary_text", "text": "thinking"})],
            content: None,
            encrypted_content: Some("gAAAAB".to_string()),
        },
        ResponseItem::LocalShellCall {
            id: None,
            call_id: Some("call_0".to_string()),
            status: Some("completed".to_string()),
            action: json!({"type": "exec", "command": ["ls"], "timeout_ms": 1000}),
        },
        ResponseItem::FunctionCall {
            id: None,
            name: "shell".to_string(),
            arguments: r#"{"command":["cargo","test"]}"#.to_string(),
            call_id: "call_1".to_string(),
        },
        ResponseItem::FunctionCallOutput {
            call_id: "call_1".to_string(),
            output: FunctionCallOutputBody::Text("test result: ok".to_string()),
        },
        ResponseItem::FunctionCallOutput {
            call_id: "call_2".to_string(),
            output: FunctionCallOutputBody::Items(vec![ContentItem::InputText {
                text: "screenshot follows".to_string(),
            }]),
        },
        ResponseItem::CustomToolCall {
            id: None,
            status: Some("completed".to_string()),
            call_id: "call_3".to_string(),
            name: "apply_patch".to_string(),
            input: "*** Begin Patch\n*** End Patch".to_string(),
        },
        ResponseItem::CustomToolCallOutput {
            call_id: "call_3".to_string(),
            output: FunctionCallOutputBody::Text("Success".to_string()),
        },
        ResponseItem::WebSearchCall {
            id: Some("ws_1".to_string()),
            status: Some("completed".to_string()),
            action: Some(json!({"type": "search", "query": "sqlx busy_timeout"})),
        },
        ResponseItem::ImageGenerationCall {
            id: Some("ig_1".to_string()),
            status: Some("completed".to_string()),
            revised_prompt: Some("a cat".to_string()),
            result: Some("iVBORw0KGgo=".to_string()),
        },
        ResponseItem::GhostSnapshot {
            ghost_commit: json!({"id": "a01966ef5b7bfb4af9f1a34be1a3c85da2bb0c13", "parent": null}),
        },
        ResponseItem::Compaction {
            encrypted_content: Some("gAAAAC".to_string()),
        },
        ResponseItem::Other(json!({"type": "tool_search_call", "query": "x"})),
    ]
}

fn every_event() -> Vec<EventMsg> {
    vec![
        EventMsg::UserMessage {
            message: "## My request for Codex:\nfix the build".to_string(),
            images: Some(vec![]),
        },
        EventMsg::AgentMessage {
            message: "Done.".to_string(),
        },
        EventMsg::AgentReasoning {
            text: "**Inspecting**".to_string(),
        },
        EventMsg::TokenCount {
            info: Some(TokenUsageInfo {
                total_token_usage: TokenUsage {
                    input_tokens: 10,
                    cached_input_tokens: 2,
                    output_tokens: 5,
                    reasoning_output_tokens: 1,
                    cache_write_input_tokens: 3,
                    total_tokens: 15,
                },
                last_token_usage: None,
                model_context_window: Some(272_000),
            }),
        },
        EventMsg::TokenCount { info: None },
        EventMsg::TaskStarted {
            model_context_window: Some(258_400),
        },
        EventMsg::TaskComplete {
            last_agent_message: Some("Done.".to_string()),
        },
        EventMsg::TurnAborted {
            reason: Some("interrupted".to_string()),
        },
        EventMsg::Other(json!({"type": "exec_command_begin", "call_id": "c"})),
        EventMsg::ThreadSettingsApplied {
            thread_id: Some(THREAD.to_string()),
            thread_settings: ThreadSettings {
                model: Some("gpt-5.1-codex-mini".to_string()),
                model_provider_id: Some("openai".to_string()),
                cwd: Some("/home/user/project".to_string()),
                approval_policy: Some(json!("never")),
            },
        },
    ]
    .into_iter()
    .chain(
        every_completed_item()
            .into_iter()
            .map(|item| EventMsg::ItemCompleted {
                thread_id: Some(THREAD.to_string()),
                turn_id: Some("turn-1".to_string()),
                item,
                started_at_ms: Some(1_796_578_374_476),
                completed_at_ms: Some(1_796_578_374_480),
            }),
    )
    .collect()
}

/// Codex 0.169's `item_completed` items, one of each kind.
fn every_completed_item() -> Vec<CompletedItem> {
    let text = |kind: &str, text: &str| CompletedContent {
        kind: kind.to_string(),
        text: Some(text.to_string()),
    };
    vec![
        CompletedItem::UserMessage {
            id: Some("u1".to_string()),
            content: vec![text("text", "run the tests")],
        },
        CompletedItem::AgentMessage {
            id: Some("msg_resp_2".to_string()),
            content: vec![text("Text", "All done.")],
        },
        CompletedItem::CommandExecution {
            id: Some("call_resp_1_0".to_string()),
            command: Some(CommandLine::Argv(vec![
                "/bin/bash".to_string(),
                "-lc".to_string(),
                "make test".to_string(),
            ])),
            cwd: Some("file:///home/user/project".to_string()),
            status: Some("completed".to_string()),
            aggregated_output: Some("FAILED (failures=1)\n".to_string()),
            exit_code: Some(1),
        },
        CompletedItem::McpToolCall {
            id: Some("call_resp_1_1".to_string()),
            server: Some("codex-memories".to_string()),
            tool: Some("search".to_string()),
            arguments: Some(json!({"query": "ledger"})),
            status: Some("completed".to_string()),
            result: Some(json!({"content": [{"type": "text", "text": "{}"}]})),
        },
        CompletedItem::Other(json!({"type": "FileChange", "changes": []})),
    ]
}

fn every_envelope_line() -> Vec<RolloutLine> {
    let mut lines = vec![envelope(RolloutItem::SessionMeta(SessionMeta {
        id: thread_id(),
        timestamp: TS.to_string(),
        cwd: "/home/user/project".to_string(),
        originator: "codex_cli_rs".to_string(),
        cli_version: "0.58.0".to_string(),
        instructions: None,
        source: SessionSource::Subagent(json!("review")),
        model_provider: Some("openai".to_string()),
        memory_mode: Some("enabled".to_string()),
        git: Some(GitInfo {
            commit_hash: Some("0f022a043b3f8ca67224e1c56d5b85e28a81b910".to_string()),
            branch: Some("main".to_string()),
            repository_url: Some("git@github.com:example/project.git".to_string()),
        }),
    }))];
    lines.push(envelope(RolloutItem::TurnContext(TurnContext {
        cwd: "/home/user/project".to_string(),
        model: Some("gpt-5.1-codex".to_string()),
        approval_policy: Some(json!("never")),
        sandbox_policy: Some(json!({"mode": "danger-full-access"})),
        effort: Some("high".to_string()),
        summary: Some("auto".to_string()),
        turn_id: None,
    })));
    lines.extend(
        every_response_item()
            .into_iter()
            .map(|item| envelope(RolloutItem::ResponseItem(item))),
    );
    lines.extend(
        every_event()
            .into_iter()
            .map(|event| envelope(RolloutItem::EventMsg(event))),
    );
    lines.push(envelope(RolloutItem::Compacted(Compacted {
        message: "Earlier: the user asked to fix the build.".to_string(),
        replacement_history: Some(vec![ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![ContentItem::InputText {
                text: "fix the build".to_string(),
            }],
        }]),
    })));
    lines.push(envelope(RolloutItem::WorldState(WorldState {
        full: true,
        state: json!({"collaboration_mode": {"mode": "default"}}),
    })));
    let usage = TokenUsage {
        input_tokens: 10_104,
        output_tokens: 50,
        total_tokens: 10_154,
        ..TokenUsage::default()
    };
    lines.push(envelope(RolloutItem::TokenUsageRecord(TokenUsageRecord {
        thread_id: Some(THREAD.to_string()),
        turn_id: Some("turn-1".to_string()),
        response_id: Some("resp_1".to_string()),
        usage: Some(usage.clone()),
        turn_token_usage: Some(usage.clone()),
        thread_token_usage: Some(usage),
    })));
    // A 0.169 response item with its line's ordinal and metadata.
    let mut with_metadata = envelope(RolloutItem::ResponseItem(ResponseItem::Message {
        id: Some("msg_1".to_string()),
        role: "user".to_string(),
        content: vec![ContentItem::InputText {
            text: "run the tests".to_string(),
        }],
    }));
    with_metadata.ordinal = Some(7);
    with_metadata.metadata = Some(LineMetadata {
        history_sequence: Some(3),
        sampled_through_sequence: Some(0),
        other: json!({"client_authored": false})
            .as_object()
            .cloned()
            .unwrap(),
    });
    lines.push(with_metadata);
    lines.push(envelope(RolloutItem::Other {
        kind: "inter_agent_communication".to_string(),
        payload: json!({"from": "a", "to": "b", "text": "hi"}),
    }));
    lines
}

fn write_all(lines: &[RolloutLine]) -> Vec<u8> {
    let mut writer = RolloutWriter::new(Vec::new());
    for line in lines {
        writer.write_line(line).unwrap();
    }
    writer.finish().unwrap()
}

fn read_all(bytes: Vec<u8>, compressed: bool) -> (Vec<RolloutLine>, RolloutReader) {
    let mut reader =
        RolloutReader::from_reader(Path::new("test.jsonl"), Cursor::new(bytes), compressed)
            .unwrap();
    let mut lines = Vec::new();
    while let Some((_, line)) = reader.next_line().unwrap() {
        lines.push(line);
    }
    (lines, reader)
}

#[test]
fn every_envelope_item_kind_round_trips() {
    let lines = every_envelope_line();
    let (read, reader) = read_all(write_all(&lines), false);
    assert_eq!(read, lines);
    assert_eq!(reader.bad_line_count(), 0);
    assert_eq!(reader.format(), Some(RolloutFormat::Envelope));
}

#[test]
fn legacy_lines_round_trip() {
    let legacy = |item| RolloutLine {
        timestamp: None,
        ordinal: None,
        format: RolloutFormat::Legacy,
        item,
        metadata: None,
    };
    let mut lines = vec![
        legacy(RolloutItem::LegacyHeader(LegacyHeader {
            id: thread_id(),
            timestamp: "2025-05-07T17:24:21.123Z".to_string(),
            instructions: Some("be terse".to_string()),
            git: None,
        })),
        legacy(RolloutItem::LegacyState(json!({"record_type": "state"}))),
    ];
    lines.extend(
        every_response_item()
            .into_iter()
            .map(|item| legacy(RolloutItem::ResponseItem(item))),
    );
    let (read, reader) = read_all(write_all(&lines), false);
    assert_eq!(read, lines);
    assert_eq!(reader.format(), Some(RolloutFormat::Legacy));
}

#[test]
fn a_zstd_rollout_reads_like_the_plain_one() {
    let lines = every_envelope_line();
    let compressed = zstd::encode_all(Cursor::new(write_all(&lines)), 3).unwrap();
    let (read, reader) = read_all(compressed, true);
    assert_eq!(read, lines);
    assert_eq!(reader.bad_line_count(), 0);
}

#[test]
fn unknown_kinds_and_unknown_fields_are_tolerated() {
    let text = [
        json!({"timestamp": TS, "type": "session_meta", "payload": {"id": THREAD, "timestamp": TS, "cwd": "/p", "future_field": {"a": 1}, "source": "exec"}}),
        json!({"timestamp": TS, "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi", "annotations": []}, {"type": "hologram", "data": 1}], "phase": "final_answer"}}),
        json!({"timestamp": TS, "type": "response_item", "payload": {"type": "quantum_call", "qubits": 3}}),
        json!({"timestamp": TS, "type": "event_msg", "payload": {"type": "user_message", "message": "hello", "images": [], "local_images": [], "text_elements": []}}),
        json!({"timestamp": TS, "type": "event_msg", "payload": {"type": "collab_waiting", "who": "x"}}),
        json!({"timestamp": TS, "type": "brand_new_line_kind", "payload": {"x": 1}}),
    ]
    .iter()
    .map(|value| format!("{value}\n"))
    .collect::<String>();
    let (read, reader) = read_all(text.into_bytes(), false);
    assert_eq!(reader.bad_line_count(), 0, "{:?}", reader.bad_lines());
    let labels: Vec<String> = read.iter().map(|line| line.item.kind_label()).collect();
    assert_eq!(
        labels,
        vec![
            "session_meta",
            "response_item/message",
            "response_item/quantum_call (unknown)",
            "event_msg/user_message",
            "event_msg/collab_waiting (unknown)",
            "brand_new_line_kind (unknown)",
        ]
    );
    let RolloutItem::ResponseItem(ResponseItem::Message { content, .. }) = &read[1].item else {
        panic!("expected a message, got {:?}", read[1].item);
    };
    assert_eq!(
        content[1],
        ContentItem::Other(json!({"type": "hologram", "data": 1}))
    );
}

#[test]
fn an_older_object_shaped_tool_output_is_kept_and_readable_as_text() {
    let text = format!(
        "{}\n",
        json!({"timestamp": TS, "type": "response_item", "payload": {"type": "function_call_output", "call_id": "c", "output": {"content": "exit 0", "success": true}}})
    );
    let (read, _) = read_all(text.into_bytes(), false);
    let RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput { output, .. }) = &read[0].item
    else {
        panic!("expected a function_call_output, got {:?}", read[0].item);
    };
    assert_eq!(output.to_text(), "exit 0");
}
