//! A Codex 0.169 session records its conversation twice — as `response_item` lines and as
//! `event_msg/item_completed` items. Phase 1's transcript carries each user message, command
//! and exit code exactly once. Over lines in 0.169's layout written by us, and over the real
//! 0.169 rollouts in `../shared/fixtures` when they are there.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use codex_memories::read_kept_items;
use codex_memories::{ToolInput, TranscriptEntry as Entry, transcript_entries};
use pretty_assertions::assert_eq;

const SESSION: &str = concat!(
    r#"{"timestamp":"2026-12-06T17:32:54.367Z","ordinal":0,"type":"session_meta","payload":{"id":"01a24c6a-728c-7451-9278-f18fa1ef7c82","timestamp":"2026-12-06T17:32:54.295Z","cwd":"/home/dev/src/calc-py","originator":"codex_exec","cli_version":"0.169.0","source":"exec","model_provider":"mock"}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.450Z","ordinal":2,"type":"response_item","payload":{"type":"message","id":"m0","role":"developer","content":[{"type":"input_text","text":"<skills_instructions>…"}]}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.453Z","ordinal":4,"type":"world_state","payload":{"full":true,"state":{}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.475Z","ordinal":7,"type":"response_item","payload":{"type":"message","id":"m1","role":"user","content":[{"type":"input_text","text":"run the tests"}]},"metadata":{"history_sequence":3}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.476Z","ordinal":8,"type":"event_msg","payload":{"type":"item_completed","item":{"type":"UserMessage","id":"u","content":[{"type":"text","text":"run the tests","text_elements":[]}]}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.550Z","ordinal":9,"type":"response_item","payload":{"type":"function_call","status":"completed","id":"fc_1","name":"exec_command","arguments":"{\"cmd\": \"make test\", \"yield_time_ms\": 30000}","call_id":"call_1"},"metadata":{"history_sequence":4}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.557Z","ordinal":10,"type":"token_usage_record","payload":{"thread_token_usage":{"total_tokens":10154}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.290Z","ordinal":11,"type":"event_msg","payload":{"type":"item_completed","item":{"type":"CommandExecution","id":"call_1","command":["/bin/bash","-lc","make test"],"cwd":"file:///home/dev/src/calc-py","status":"completed","aggregated_output":"FAILED (failures=1)\n","exit_code":2}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.294Z","ordinal":12,"type":"response_item","payload":{"type":"function_call_output","id":"fco_1","call_id":"call_1","output":"Chunk ID: 01d1bb\nWall time: 0.5375 seconds\nProcess exited with code 2\nOriginal token count: 207\nOutput:\nFAILED (failures=1)\n"}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.352Z","ordinal":14,"type":"event_msg","payload":{"type":"item_completed","item":{"type":"AgentMessage","id":"msg_2","content":[{"type":"Text","text":"One test fails."}]}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.355Z","ordinal":15,"type":"response_item","payload":{"type":"message","status":"completed","id":"msg_2","role":"assistant","content":[{"type":"output_text","text":"One test fails.","annotations":[]}]}}"#,
    "\n",
);

/// The entries phase 1 renders for the session at `path`.
fn entries(path: &Path) -> Vec<Entry> {
    let kept = read_kept_items(path, codex_protocol::Agent::Codex).unwrap();
    transcript_entries(&kept.items, &kept.cwd)
}

fn count(entries: &[Entry], matches: impl Fn(&Entry) -> bool) -> usize {
    entries.iter().filter(|entry| matches(entry)).count()
}

#[test]
fn a_codex_0_169_transcript_carries_each_message_command_and_exit_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rollout.jsonl");
    std::fs::write(&path, SESSION).unwrap();
    let entries = entries(&path);

    assert_eq!(
        entries
            .iter()
            .map(|entry| match entry {
                Entry::Message { role, text } => format!("{role}: {text}"),
                Entry::ToolCall {
                    call: ToolInput::Command { line, .. },
                    ..
                } => format!("$ {line}"),
                Entry::ToolCall { name, .. } => format!("call {name}"),
                Entry::ToolOutput { exit_code, .. } => format!("exit {exit_code:?}"),
                Entry::WebSearch { query } => format!("search {query}"),
            })
            .collect::<Vec<_>>(),
        vec![
            "user: run the tests",
            "$ make test",
            "exit Some(2)",
            "assistant: One test fails.",
        ]
    );
}

#[test]
fn the_real_codex_0_169_rollouts_render_each_user_message_and_command_once() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/rollouts/codex-0.169");
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let entries = entries(&path);
        let users = count(&entries, Entry::is_user_message);
        let calls = count(&entries, |entry| matches!(entry, Entry::ToolCall { .. }));
        let outputs = count(&entries, |entry| matches!(entry, Entry::ToolOutput { .. }));
        // Each session: the environment context and one request; one tool call and its output.
        assert_eq!((users, calls, outputs), (2, 1, 1), "{}", path.display());
    }
}
