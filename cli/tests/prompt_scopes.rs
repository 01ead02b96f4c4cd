//! `prompt --cwd --query` on a real home after the offline pipeline: a session in one project
//! gets the global memory and that project's, never another project's conventions.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::path::Path;

use controls_common::{offline_run, run_json, run_ok};
use serde_json::{Value, json};

const LEDGER_ORIGIN: &str = "git@github.com:acme/ledger.git";
const BILLING_ORIGIN: &str = "https://github.com/acme/billing.git";

/// Writes a finished session `n` in `cwd` (recorded with `origin`): one user message, one
/// command with its exit code and output, an answer; a day old.
fn write_session(home: &Path, n: u32, cwd: &str, origin: &str, user: &str, command: &str) {
    let id = format!("019a93b9-f380-7600-98ff-{n:012x}");
    let path = home
        .join("sessions/2026/11/20")
        .join(format!("rollout-2026-11-20T10-00-00-{id}.jsonl"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ts = "2026-11-20T10:00:00.000Z";
    let arguments = json!({"command": ["bash", "-lc", command]}).to_string();
    let lines = [
        json!({"timestamp": ts, "type": "session_meta", "payload": {"id": id, "timestamp": ts,
            "cwd": cwd, "originator": "codex_cli_rs", "cli_version": "0.58.0", "source": "cli",
            "model_provider": "openai",
            "git": {"commit_hash": "0123456789abcdef0123456789abcdef01234567", "branch": "main",
                    "repository_url": origin}}}),
        json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "user_message",
            "message": user, "images": []}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "message",
            "role": "user", "content": [{"type": "input_text", "text": user}]}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "function_call",
            "name": "shell", "arguments": arguments, "call_id": format!("call_{n}")}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type":
            "function_call_output", "call_id": format!("call_{n}"),
            "output": "{\"output\":\"test result: ok. 12 passed\",\"metadata\":{\"exit_code\":0}}"}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "message",
            "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]}}),
    ];
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    controls_common::finish_session_at(&path, std::time::SystemTime::now() - controls_common::DAY);
}

/// A checkout of the repository with `origin` at `folder`.
fn checkout(folder: &Path, origin: &str) {
    std::fs::create_dir_all(folder.join(".git")).unwrap();
    std::fs::write(folder.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        folder.join(".git/config"),
        format!("[remote \"origin\"]\n\turl = {origin}\n"),
    )
    .unwrap();
}

fn prompt(home: &Path, cwd: &Path, query: &str) -> Value {
    run_json(
        home,
        &[
            "prompt",
            "--cwd",
            &cwd.display().to_string(),
            "--query",
            query,
            "--budget",
            "2500",
            "--json",
        ],
    )
}

#[test]
fn prompt_gives_a_session_its_projects_memory_and_never_another_projects() {
    let home = tempfile::tempdir().unwrap();
    write_session(
        home.path(),
        1,
        "/work/ledger",
        LEDGER_ORIGIN,
        "Run the ledger tests. In this repo we run the tests with just test, don't use cargo test here.",
        "just test",
    );
    write_session(
        home.path(),
        2,
        "/work/billing/api",
        BILLING_ORIGIN,
        "Run the billing tests. Here we use make check to run the tests, never just.",
        "make check",
    );
    write_session(
        home.path(),
        3,
        "/work/ledger",
        LEDGER_ORIGIN,
        "Always answer in short sentences, in every repo. Now bump the tokio version.",
        "cargo update -p tokio",
    );
    offline_run(home.path());
    let memories = home.path().join("memories");
    assert!(memories.join("projects").is_dir());

    let ledger = home.path().join("checkouts/ledger");
    checkout(&ledger, "https://github.com/Acme/Ledger");
    let billing = home.path().join("checkouts/billing");
    checkout(&billing, BILLING_ORIGIN);

    let context = prompt(home.path(), &ledger, "how do I run the tests?");
    assert_eq!(context["project"], "github.com/acme/ledger");
    let text = context["instructions"].as_str().unwrap();
    assert!(text.contains("just test"), "{text}");
    assert!(text.contains("short sentences"), "{text}");
    assert!(!text.contains("make check"), "{text}");
    assert!(!text.contains("billing"), "{text}");
    for entry in context["entries"].as_array().unwrap() {
        let project = entry["project"].as_str().unwrap();
        assert!(
            project == "github.com/acme/ledger" || project == "global",
            "{entry}"
        );
    }
    assert!(context["memory_tokens"].as_u64().unwrap() <= 2500);

    let context = prompt(home.path(), &billing.join("src"), "how do I run the tests?");
    let text = context["instructions"].as_str().unwrap();
    assert!(text.contains("make check"), "{text}");
    assert!(!text.contains("just test"), "{text}");
    assert!(text.contains("short sentences"), "{text}");

    // Without --cwd or --query: the global summary alone, which names no project's convention.
    let global = run_ok(home.path(), &["prompt"]);
    assert!(global.contains("short sentences"), "{global}");
    assert!(
        !global.contains("make check") && !global.contains("just test"),
        "{global}"
    );
}
