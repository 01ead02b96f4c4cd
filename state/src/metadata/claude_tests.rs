use pretty_assertions::assert_eq;

use super::*;

const SESSION: &str = "4dc57932-36c1-4f02-88c2-0b1eac2b2730";

/// A user line in Claude Code's own key order.
fn user(uuid: &str, parent: &str, content: &str, timestamp: &str) -> String {
    format!(
        r#"{{"parentUuid":{parent},"isSidechain":false,"promptId":"p","type":"user","message":{{"role":"user","content":{content}}},"uuid":"{uuid}","timestamp":"{timestamp}","userType":"external","entrypoint":"cli","cwd":"/home/dev/src/py-calc","sessionId":"{SESSION}","version":"2.1.328","gitBranch":"main"}}"#
    )
}

fn assistant(
    uuid: &str,
    parent: &str,
    id: &str,
    block: &str,
    usage: &str,
    timestamp: &str,
) -> String {
    format!(
        r#"{{"parentUuid":"{parent}","isSidechain":false,"message":{{"id":"{id}","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{block}],"stop_reason":null,"usage":{usage}}},"type":"assistant","uuid":"{uuid}","timestamp":"{timestamp}","cwd":"/home/dev/src/py-calc","sessionId":"{SESSION}","version":"2.1.328","gitBranch":"main"}}"#
    )
}

fn write(dir: &Path, relative: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

fn stat(path: &Path) -> FileStat {
    FileStat::from_metadata(
        path.to_path_buf(),
        &std::fs::metadata(path).unwrap(),
        Agent::Claude,
        false,
    )
}

use std::path::PathBuf;

#[test]
fn a_session_is_titled_by_its_first_prompt_and_counts_each_response_once() {
    let dir = tempfile::tempdir().unwrap();
    let usage = r#"{"input_tokens":4644,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":128}"#;
    let path = write(
        dir.path(),
        &format!("-home-dev-src-py-calc/{SESSION}.jsonl"),
        &[
            r#"{"type":"queue-operation","operation":"enqueue","timestamp":"2026-12-06T17:46:31.000Z","sessionId":"s","content":"run the tests"}"#.to_string(),
            user("u1", "null", r#""run the tests and fix the failing one""#, "2026-12-06T17:46:31.098Z"),
            r#"{"parentUuid":"u1","isSidechain":false,"attachment":{"type":"environment"},"type":"attachment","uuid":"a1","timestamp":"2026-12-06T17:46:31.095Z"}"#.to_string(),
            assistant("m1", "a1", "msg_1", r#"{"type":"thinking","thinking":"…"}"#, usage, "2026-12-06T17:46:31.251Z"),
            assistant("m2", "m1", "msg_1", r#"{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"pytest"}}"#, usage, "2026-12-06T17:46:31.258Z"),
            user("r1", r#""m2""#, r#"[{"type":"tool_result","tool_use_id":"t1","content":"Exit code 1","is_error":true}]"#, "2026-12-06T17:46:31.809Z"),
            user("u2", r#""r1""#, r#""a later prompt""#, "2026-12-06T17:46:40.000Z"),
            assistant("m3", "u2", "msg_2", r#"{"type":"text","text":"Done."}"#, r#"{"input_tokens":10,"output_tokens":5}"#, "2026-12-06T17:46:41.000Z"),
            r#"{"type":"cost-state","sessionId":"s","totalCostUSD":0.09}"#.to_string(),
        ],
    );
    let row = extract_claude_session(&stat(&path)).unwrap();
    assert_eq!(
        (
            row.id.to_string(),
            row.agent,
            row.title.as_str(),
            row.cwd.as_str(),
            row.git_branch.as_deref(),
            row.cli_version.as_str(),
            row.source.as_str(),
            row.model.as_deref(),
            row.tokens_used,
            row.created_at,
            row.updated_at,
        ),
        (
            SESSION.to_string(),
            Agent::Claude,
            "run the tests and fix the failing one",
            "/home/dev/src/py-calc",
            Some("main"),
            "2.1.328",
            "cli",
            Some("claude-opus-5-5"),
            4644 + 128 + 15,
            1_796_579_191_098,
            1_796_579_201_000,
        )
    );
}

#[test]
fn a_compaction_summary_never_titles_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("p/{SESSION}.jsonl"),
        &[
            r#"{"parentUuid":null,"logicalParentUuid":"x","isSidechain":false,"type":"system","subtype":"compact_boundary","content":"Conversation compacted","uuid":"b","timestamp":"2026-12-06T17:46:44.528Z"}"#.to_string(),
            r#"{"parentUuid":"b","isSidechain":false,"type":"user","message":{"role":"user","content":"This session is being continued from a previous conversation…"},"isCompactSummary":true,"uuid":"cs","timestamp":"2026-12-06T17:46:44.600Z","cwd":"/w"}"#.to_string(),
            user("u2", r#""cs""#, r#""<command-name>/compact</command-name>""#, "2026-12-06T17:46:44.700Z"),
            user("u3", r#""u2""#, r#""now add tests""#, "2026-12-06T17:46:45.000Z"),
        ],
    );
    let row = extract_claude_session(&stat(&path)).unwrap();
    assert_eq!(row.title, "now add tests");
}

#[test]
fn sidechain_tokens_and_time_count_for_the_parent_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        &format!("p/{SESSION}.jsonl"),
        &[user(
            "u1",
            "null",
            r#""find the word counter""#,
            "2026-12-06T17:46:38.000Z",
        )],
    );
    write(
        dir.path(),
        &format!("p/{SESSION}/subagents/agent-a35f.jsonl"),
        &[assistant(
            "s1",
            "x",
            "msg_s",
            r#"{"type":"text","text":"found"}"#,
            r#"{"input_tokens":7,"output_tokens":3}"#,
            "2026-12-06T17:46:50.000Z",
        )],
    );
    let row = extract_claude_session(&stat(&path)).unwrap();
    assert_eq!((row.tokens_used, row.updated_at), (10, 1_796_579_210_000));
}
