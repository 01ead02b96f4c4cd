//! `codex-memories inspect` run as a real process: counts per item kind, bad lines reported
//! without failing, exit 1 for a file that cannot be opened, and `--json` output.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::Value;

mod test_binary;
use test_binary::binary;

fn bin() -> Command {
    // Keep the logs DB every command writes out of the real home.
    let mut command = binary();
    command.env(
        "CODEX_MEMORIES_SQLITE_HOME",
        std::env::temp_dir().join("codex-memories-inspect-cli-tests"),
    );
    command
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/codex-home")
}

fn rust_session() -> PathBuf {
    examples().join(
        "sessions/2026/05/04/rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl",
    )
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn inspect_counts_every_item_kind_of_an_example_session() {
    let output = bin()
        .arg("inspect")
        .arg("--json")
        .arg(rust_session())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = &json_of(&output)[0];
    assert_eq!(report["thread_id"], "019df1d4-69b8-78f7-9da1-494c73cf256d");
    assert_eq!(report["format"], "envelope");
    assert_eq!(report["bad_line_count"], 0);
    assert_eq!(
        report["items"],
        serde_json::json!({
            "event_msg/agent_message": 1,
            "event_msg/agent_reasoning": 2,
            "event_msg/task_complete": 1,
            "event_msg/task_started": 1,
            "event_msg/token_count": 6,
            "event_msg/user_message": 1,
            "response_item/custom_tool_call": 1,
            "response_item/custom_tool_call_output": 1,
            "response_item/function_call": 5,
            "response_item/function_call_output": 5,
            "response_item/message": 3,
            "response_item/reasoning": 2,
            "session_meta": 1,
            "turn_context": 1
        })
    );
}

#[test]
fn inspect_recognises_the_legacy_format() {
    let legacy = examples().join(
        "sessions/2025/04/20/rollout-2025-04-20T11-30-00-30529251-54bd-4db3-82be-2d5304bf22ea.jsonl",
    );
    let output = bin()
        .arg("inspect")
        .arg("--json")
        .arg(legacy)
        .output()
        .unwrap();
    assert!(output.status.success());
    let report = &json_of(&output)[0];
    assert_eq!(report["format"], "legacy");
    assert_eq!(report["thread_id"], "30529251-54bd-4db3-82be-2d5304bf22ea");
    assert_eq!(report["items"]["legacy_header"], 1);
    assert_eq!(report["items"]["legacy_state"], 2);
}

#[test]
fn bad_lines_are_reported_but_do_not_fail_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl");
    let mut text = std::fs::read_to_string(rust_session()).unwrap();
    text.push_str("{\"timestamp\":\"2026-05-04T07:20:00.000Z\",\"type\":\"event_msg\",\"pay");
    std::fs::write(&path, text).unwrap();
    let output = bin().arg("inspect").arg(&path).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("1 bad"), "{stdout}");
    assert!(stdout.contains("line 32: truncated final line"), "{stdout}");

    let strict = bin()
        .arg("inspect")
        .arg("--strict")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(strict.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("have bad lines (--strict)"));
}

#[test]
fn a_file_that_cannot_be_opened_exits_1_after_reporting_the_others() {
    let output = bin()
        .arg("inspect")
        .arg("/nonexistent/rollout.jsonl")
        .arg(rust_session())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("cannot open rollout /nonexistent/rollout.jsonl"),
        "{stdout}"
    );
    assert!(
        stdout.contains("019df1d4-69b8-78f7-9da1-494c73cf256d"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("1 of 2 file(s) could not be read"));
}

#[test]
fn inspect_reads_zstd_rollouts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl.zst");
    let plain = std::fs::read(rust_session()).unwrap();
    std::fs::write(&path, zstd::encode_all(plain.as_slice(), 3).unwrap()).unwrap();
    let output = bin()
        .arg("inspect")
        .arg("--json")
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        json_of(&output)[0]["items"]["response_item/function_call"],
        5
    );
}

#[test]
fn no_file_argument_is_a_usage_error() {
    let output = bin().arg("inspect").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}
