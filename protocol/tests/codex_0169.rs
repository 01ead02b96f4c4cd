//! Lines in Codex 0.169's exact layout (written by us, shaped like the real ones in
//! `../shared/fixtures/rollouts/codex-0.169/`) read typed: no kind is unknown, the line fields
//! `ordinal` and `metadata` are kept.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::path::Path;

use codex_protocol::{CompletedItem, EventMsg, RolloutItem, RolloutReader};
use pretty_assertions::assert_eq;

const LINES: &str = concat!(
    r#"{"timestamp":"2026-12-06T17:32:54.367Z","ordinal":0,"type":"session_meta","payload":{"account_scoped":true,"session_id":"01a24c6a-728c-7451-9278-f18fa1ef7c82","id":"01a24c6a-728c-7451-9278-f18fa1ef7c82","timestamp":"2026-12-06T17:32:54.295Z","cwd":"/home/dev/src/calc-py","originator":"codex_exec","cli_version":"0.169.0","source":"exec","thread_source":"user","model_provider":"mock","base_instructions":"…","history_mode":"paginated"}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.453Z","ordinal":4,"type":"world_state","payload":{"full":true,"state":{"agents_md":{},"current_date":"2026-12-06"}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.455Z","ordinal":6,"type":"event_msg","payload":{"type":"thread_settings_applied","thread_id":"01a24c6a-728c-7451-9278-f18fa1ef7c82","thread_settings":{"model":"gpt-5.1-codex-mini","model_provider_id":"mock","approval_policy":"never","cwd":"/home/dev/src/calc-py","disabled_plugin_ids":[]}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.475Z","ordinal":7,"type":"response_item","payload":{"type":"message","id":"msg_1","role":"user","content":[{"type":"input_text","text":"run the tests"}],"internal_chat_message_metadata_passthrough":{"turn_id":"t"}},"metadata":{"history_sequence":3,"sampled_through_sequence":0,"retained_source":{"id":{"message_id":"msg_1"}}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.476Z","ordinal":8,"type":"event_msg","payload":{"type":"item_completed","thread_id":"x","turn_id":"t","item":{"type":"UserMessage","id":"u","content":[{"type":"text","text":"run the tests","text_elements":[]}]},"started_at_ms":1796578374476,"completed_at_ms":1796578374476}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:54.557Z","ordinal":10,"type":"token_usage_record","payload":{"thread_id":"x","turn_id":"t","session_id":"x","root_turn_id":"t","response_id":"resp_1","usage":{"input_tokens":10104,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":50,"reasoning_output_tokens":0,"total_tokens":10154},"thread_token_usage":{"input_tokens":10104,"total_tokens":10154}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.290Z","ordinal":11,"type":"event_msg","payload":{"type":"item_completed","thread_id":"x","turn_id":"t","item":{"type":"CommandExecution","id":"call_1","process_id":"72976","command":["/bin/bash","-lc","make test"],"cwd":"file:///home/dev/src/calc-py","source":"unified_exec_startup","status":"completed","aggregated_output":"ok\n","exit_code":0,"duration":{"secs":0,"nanos":537158340}}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:34:39.830Z","ordinal":11,"type":"event_msg","payload":{"type":"item_completed","thread_id":"x","turn_id":"t","item":{"type":"McpToolCall","id":"call_2","server":"codex-memories","tool":"search","arguments":{"query":"Z"},"readOnlyHint":true,"status":"completed","result":{"content":[]}}}}"#,
    "\n",
    r#"{"timestamp":"2026-12-06T17:32:55.352Z","ordinal":14,"type":"event_msg","payload":{"type":"item_completed","thread_id":"x","turn_id":"t","item":{"type":"AgentMessage","id":"msg_resp_2","content":[{"type":"Text","text":"All done."}]}}}"#,
    "\n",
);

fn read() -> Vec<codex_protocol::RolloutLine> {
    let reader = RolloutReader::from_reader(
        Path::new("rollout.jsonl"),
        Cursor::new(LINES.as_bytes().to_vec()),
        false,
    )
    .unwrap();
    reader.map(|line| line.unwrap().1).collect()
}

#[test]
fn every_codex_0_169_kind_is_known() {
    let labels: Vec<String> = read().iter().map(|line| line.item.kind_label()).collect();
    assert_eq!(
        labels,
        vec![
            "session_meta",
            "world_state",
            "event_msg/thread_settings_applied",
            "response_item/message",
            "event_msg/item_completed/UserMessage",
            "token_usage_record",
            "event_msg/item_completed/CommandExecution",
            "event_msg/item_completed/McpToolCall",
            "event_msg/item_completed/AgentMessage",
        ]
    );
}

#[test]
fn ordinal_and_metadata_are_kept_and_the_settings_and_usage_are_typed() {
    let lines = read();
    assert_eq!(
        lines.iter().map(|line| line.ordinal).collect::<Vec<_>>(),
        vec![
            Some(0),
            Some(4),
            Some(6),
            Some(7),
            Some(8),
            Some(10),
            Some(11),
            Some(11),
            Some(14)
        ]
    );
    let metadata = lines[3].metadata.as_ref().unwrap();
    assert_eq!(
        (metadata.history_sequence, metadata.sampled_through_sequence),
        (Some(3), Some(0))
    );
    assert!(metadata.other.contains_key("retained_source"));
    let RolloutItem::EventMsg(EventMsg::ThreadSettingsApplied {
        thread_settings, ..
    }) = &lines[2].item
    else {
        panic!("{:?}", lines[2].item);
    };
    assert_eq!(thread_settings.model.as_deref(), Some("gpt-5.1-codex-mini"));
    let RolloutItem::TokenUsageRecord(record) = &lines[5].item else {
        panic!("{:?}", lines[5].item);
    };
    assert_eq!(
        record
            .thread_token_usage
            .as_ref()
            .map(|usage| usage.total_tokens),
        Some(10_154)
    );
    let RolloutItem::EventMsg(EventMsg::ItemCompleted {
        item: CompletedItem::CommandExecution { exit_code, .. },
        ..
    }) = &lines[6].item
    else {
        panic!("{:?}", lines[6].item);
    };
    assert_eq!(*exit_code, Some(0));
}
