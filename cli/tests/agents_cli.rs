//! Claude Code and Gemini CLI sessions through the whole pipeline, on transcripts written here:
//! `run --provider offline` indexes both homes, each thread says its agent, the preference the
//! user stated reaches `raw_memories.md` under an `agent:` line, the compaction summary is never
//! taken for the user's words, `threads`/`status` count per agent, `threads --agent` filters,
//! `index --agents` leaves the others alone and `inspect` names each file's agent.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

mod test_binary;
use test_binary::binary;

const CLAUDE_ID: &str = "5b0e8f7a-1c2d-4e3f-8a9b-0c1d2e3f4a5b";
const GEMINI_ID: &str = "6c1f9a8b-2d3e-4f5a-9b0c-1d2e3f4a5b6c";
const PREFERENCE: &str = "always use uv, never pip";
/// What the compaction wrote; never the user's words.
const COMPACT_SUMMARY: &str = "This session is being continued from a previous conversation";

struct Homes {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Homes {
    fn codex(&self) -> PathBuf {
        self.root.join("codex")
    }
    fn claude(&self) -> PathBuf {
        self.root.join("claude")
    }
    fn gemini(&self) -> PathBuf {
        self.root.join("gemini")
    }
    fn claude_transcript(&self) -> PathBuf {
        self.claude()
            .join("projects/-home-dev-src-py-calc")
            .join(format!("{CLAUDE_ID}.jsonl"))
    }
    fn gemini_chat(&self) -> PathBuf {
        self.gemini()
            .join("tmp/node-greet/chats/session-2026-12-01T10-00-6c1f9a8b.jsonl")
    }
}

/// `minutes` after a start two days ago (old enough to be idle, young enough to be used).
fn at(minutes: i64) -> String {
    let start: DateTime<Utc> = Utc::now() - Duration::days(2);
    (start + Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn write_lines(path: &Path, lines: &[Value]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn claude_line(kind: &str, uuid: &str, parent: Option<&str>, minute: i64, message: Value) -> Value {
    json!({"parentUuid": parent, "isSidechain": false, "type": kind, "message": message,
           "uuid": uuid, "timestamp": at(minute), "cwd": "/home/dev/src/py-calc",
           "sessionId": CLAUDE_ID, "version": "2.1.328", "gitBranch": "main",
           "entrypoint": "cli", "userType": "external"})
}

/// A Claude Code session: a prompt with the preference, a failing then passing Bash command, an
/// edit, a `/compact` (boundary and summary), one more prompt; a subagent's sidechain.
fn write_claude(homes: &Homes) {
    let assistant = |id: &str, block: Value| {
        json!({"id": id, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
               "content": [block], "usage": {"input_tokens": 10, "output_tokens": 5}})
    };
    let result = |call: &str, text: &str, is_error: bool| {
        json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": call,
               "content": text, "is_error": is_error}]})
    };
    let lines = [
        json!({"type": "queue-operation", "operation": "enqueue", "timestamp": at(0),
               "sessionId": CLAUDE_ID, "content": "fix the tests"}),
        claude_line(
            "user",
            "u1",
            None,
            0,
            json!({"role": "user", "content": format!("fix the failing test; {PREFERENCE}")}),
        ),
        claude_line(
            "assistant",
            "a1",
            Some("u1"),
            1,
            assistant(
                "msg_1",
                json!({"type": "text", "text": "Running the tests first."}),
            ),
        ),
        claude_line(
            "assistant",
            "a2",
            Some("a1"),
            1,
            assistant(
                "msg_1",
                json!({"type": "tool_use", "id": "t1", "name": "Bash",
                       "input": {"command": "uv run pytest", "description": "Run tests"}}),
            ),
        ),
        claude_line(
            "user",
            "r1",
            Some("a2"),
            2,
            result("t1", "Exit code 1\nFAILED test_divide", true),
        ),
        claude_line(
            "assistant",
            "a3",
            Some("r1"),
            3,
            assistant(
                "msg_2",
                json!({"type": "tool_use", "id": "t2", "name": "Agent",
                       "input": {"description": "find divide", "prompt": "Locate divide"}}),
            ),
        ),
        claude_line(
            "user",
            "r2",
            Some("a3"),
            5,
            result("t2", "divide is in calc/ops.py", false),
        ),
        claude_line(
            "assistant",
            "a4",
            Some("r2"),
            6,
            assistant(
                "msg_3",
                json!({"type": "tool_use", "id": "t3", "name": "Edit",
                       "input": {"file_path": "/home/dev/src/py-calc/calc/ops.py",
                                 "old_string": "a // b", "new_string": "a / b"}}),
            ),
        ),
        claude_line(
            "user",
            "r3",
            Some("a4"),
            6,
            result("t3", "The file has been updated.", false),
        ),
        json!({"parentUuid": null, "logicalParentUuid": "r3", "isSidechain": false,
               "type": "system", "subtype": "compact_boundary", "content": "Conversation compacted",
               "uuid": "c1", "timestamp": at(7), "sessionId": CLAUDE_ID,
               "compactMetadata": {"trigger": "manual", "preTokens": 900}}),
        {
            let mut line = claude_line(
                "user",
                "c2",
                Some("c1"),
                7,
                json!({"role": "user", "content": format!("{COMPACT_SUMMARY}. Summary: tests fixed.")}),
            );
            line["isCompactSummary"] = json!(true);
            line
        },
        claude_line(
            "user",
            "u2",
            Some("c2"),
            8,
            json!({"role": "user", "content": "now run them again"}),
        ),
        claude_line(
            "assistant",
            "a5",
            Some("u2"),
            9,
            assistant(
                "msg_4",
                json!({"type": "tool_use", "id": "t4", "name": "Bash",
                       "input": {"command": "uv run pytest"}}),
            ),
        ),
        claude_line("user", "r4", Some("a5"), 9, result("t4", "4 passed", false)),
        claude_line(
            "assistant",
            "a6",
            Some("r4"),
            10,
            assistant(
                "msg_5",
                json!({"type": "text", "text": "All four tests pass."}),
            ),
        ),
    ];
    write_lines(&homes.claude_transcript(), &lines);
    let sidechain = homes
        .claude_transcript()
        .with_extension("")
        .join("subagents/agent-a1.jsonl");
    let mut side_prompt = claude_line(
        "user",
        "s1",
        None,
        3,
        json!({"role": "user", "content": "Locate divide"}),
    );
    side_prompt["isSidechain"] = json!(true);
    side_prompt["agentId"] = json!("a1");
    let mut side_answer = claude_line(
        "assistant",
        "s2",
        Some("s1"),
        4,
        assistant(
            "msg_s",
            json!({"type": "text", "text": "divide is in calc/ops.py"}),
        ),
    );
    side_answer["isSidechain"] = json!(true);
    side_answer["agentId"] = json!("a1");
    write_lines(&sidechain, &[side_prompt, side_answer]);
    std::fs::write(
        sidechain.with_extension("meta.json"),
        json!({"agentType": "Explore", "toolUseId": "t2"}).to_string(),
    )
    .unwrap();
}

/// A Gemini CLI chat: header, a context patch, a prompt with the preference, a gemini message
/// written twice (the second time with its tool call), a resumed session's second header.
fn write_gemini(homes: &Homes) {
    let header = json!({"sessionId": GEMINI_ID, "projectHash": "h", "startTime": at(0),
                        "lastUpdated": at(0), "kind": "main"});
    let context = json!({"$set": {"messages": [{"id": "ctx", "timestamp": at(0), "type": "user",
        "content": [{"text": "<session_context>\n- **Workspace Directories:**\n  - /home/dev/src/node-greet\n</session_context>"}]}]}});
    let prompt = json!({"id": "u1", "timestamp": at(1), "type": "user",
                        "content": [{"text": format!("add a shout test; {PREFERENCE}")}]});
    let answer = json!({"id": "g1", "timestamp": at(2), "type": "gemini", "content": "Running the tests.",
                        "model": "gemini-3-pro"});
    let answer_with_call = json!({"id": "g1", "timestamp": at(3), "type": "gemini",
        "content": "Running the tests.", "model": "gemini-3-pro",
        "toolCalls": [{"id": "c1", "name": "run_shell_command", "args": {"command": "npm test"},
                       "status": "error", "timestamp": at(3),
                       "result": [{"functionResponse": {"id": "c1", "name": "run_shell_command",
                           "response": {"output": "Output: 1 failing\nExit Code: 1"}}}]}]});
    let patch = json!({"$set": {"lastUpdated": at(4)}});
    let resumed = json!({"sessionId": GEMINI_ID, "projectHash": "h", "startTime": at(5),
                         "lastUpdated": at(5), "kind": "main"});
    let again = json!({"id": "u2", "timestamp": at(6), "type": "user",
                       "content": [{"text": "thanks"}]});
    write_lines(
        &homes.gemini_chat(),
        &[
            header,
            context,
            prompt,
            answer,
            answer_with_call,
            patch,
            resumed,
            again,
        ],
    );
}

fn homes() -> Homes {
    let dir = tempfile::tempdir().unwrap();
    let homes = Homes {
        root: dir.path().to_path_buf(),
        _dir: dir,
    };
    std::fs::create_dir_all(homes.codex()).unwrap();
    write_claude(&homes);
    write_gemini(&homes);
    homes
}

fn run(homes: &Homes, args: &[&str]) -> Output {
    binary()
        .arg("--codex-home")
        .arg(homes.codex())
        .arg("--claude-home")
        .arg(homes.claude())
        .arg("--gemini-home")
        .arg(homes.gemini())
        .args(args)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .env_remove("CODEX_MEMORIES_DIR")
        .env_remove("OPENAI_API_KEY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn run_ok(homes: &Homes, args: &[&str]) -> String {
    let output = run(homes, args);
    assert!(
        output.status.success(),
        "{args:?} failed ({}): {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn run_json(homes: &Homes, args: &[&str]) -> Value {
    serde_json::from_str(&run_ok(homes, args)).unwrap()
}

/// (agent, id, title, cwd) of every indexed thread.
fn thread_rows(homes: &Homes, extra: &[&str]) -> Vec<(String, String, String, String)> {
    let mut args = vec!["threads", "--json"];
    args.extend_from_slice(extra);
    let threads = run_json(homes, &args);
    let mut rows: Vec<_> = threads
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let field = |name: &str| row[name].as_str().unwrap().to_string();
            (field("agent"), field("id"), field("title"), field("cwd"))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn claude_and_gemini_sessions_become_memories_that_name_their_agent() {
    let homes = homes();
    run_ok(
        &homes,
        &["run", "--provider", "offline", "--consolidator", "offline"],
    );
    assert_eq!(
        thread_rows(&homes, &[]),
        vec![
            (
                "claude".to_string(),
                CLAUDE_ID.to_string(),
                format!("fix the failing test; {PREFERENCE}"),
                "/home/dev/src/py-calc".to_string()
            ),
            (
                "gemini".to_string(),
                GEMINI_ID.to_string(),
                format!("add a shout test; {PREFERENCE}"),
                "/home/dev/src/node-greet".to_string()
            ),
        ]
    );
    let raw = std::fs::read_to_string(homes.codex().join("memories/raw_memories.md")).unwrap();
    for id in [CLAUDE_ID, GEMINI_ID] {
        let block = raw
            .split("\n## Thread `")
            .find(|block| block.starts_with(id))
            .unwrap_or_else(|| panic!("no block for {id} in {raw}"));
        let agent = if id == CLAUDE_ID { "claude" } else { "gemini" };
        assert!(block.contains(&format!("\nagent: {agent}\n")), "{block}");
        assert!(block.contains(PREFERENCE), "{block}");
    }
    assert!(!raw.contains(COMPACT_SUMMARY), "{raw}");
    let summaries: Vec<String> =
        std::fs::read_dir(homes.codex().join("memories/rollout_summaries"))
            .unwrap()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect();
    assert_eq!(summaries.len(), 2);
    assert!(
        summaries
            .iter()
            .any(|text| text.contains("\nagent: claude\n"))
    );
    assert!(
        summaries
            .iter()
            .any(|text| text.contains("\nagent: gemini\n"))
    );
}

#[test]
fn threads_and_status_count_per_agent_and_threads_filters_by_agent() {
    let homes = homes();
    run_ok(&homes, &["index"]);
    let threads = run_ok(&homes, &["threads"]);
    assert!(
        threads.starts_with("threads: 2 (claude 1, gemini 1)\n"),
        "{threads}"
    );
    let gemini = thread_rows(&homes, &["--agent", "gemini"]);
    assert_eq!(
        gemini.iter().map(|row| row.1.as_str()).collect::<Vec<_>>(),
        vec![GEMINI_ID]
    );
    let status = run_ok(&homes, &["status"]);
    assert!(
        status.contains("index: 2 session(s) (claude 1, gemini 1)"),
        "{status}"
    );
    let status = run_json(&homes, &["status", "--json"]);
    assert_eq!(status["agents"], json!({"claude": 1, "gemini": 1}));
}

#[test]
fn index_with_agents_reads_only_those_and_keeps_the_others_threads() {
    let homes = homes();
    let report = run_json(&homes, &["index", "--agents", "gemini", "--json"]);
    assert_eq!(report["threads_added"], 1);
    let added = run_json(&homes, &["index", "--agents", "codex,claude", "--json"]);
    assert_eq!(
        (&added["threads_added"], &added["removed"]),
        (&json!(1), &json!(0))
    );
    assert_eq!(thread_rows(&homes, &[]).len(), 2);
    let unknown = run(&homes, &["index", "--agents", "cursor"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("unknown agent `cursor`"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
}

#[test]
fn extract_with_agents_claims_only_those_agents_threads_indexed_earlier() {
    let homes = homes();
    run_ok(&homes, &["index"]);
    let extract = run_json(
        &homes,
        &[
            "extract",
            "--agents",
            "gemini",
            "--provider",
            "offline",
            "--json",
        ],
    );
    assert_eq!(
        (
            &extract["extract"]["claimed"],
            &extract["extract"]["skipped"]["agent_left_out"]
        ),
        (&json!(1), &json!(1)),
        "{extract}"
    );
    run_ok(
        &homes,
        &[
            "run",
            "--agents",
            "gemini",
            "--provider",
            "offline",
            "--consolidator",
            "offline",
        ],
    );
    let raw = std::fs::read_to_string(homes.codex().join("memories/raw_memories.md")).unwrap();
    assert!(raw.contains(GEMINI_ID), "{raw}");
    assert!(!raw.contains(CLAUDE_ID), "{raw}");
}

#[test]
fn inspect_names_the_agent_of_each_file() {
    let homes = homes();
    let report = run_json(
        &homes,
        &[
            "inspect",
            "--strict",
            "--json",
            homes.claude_transcript().to_str().unwrap(),
            homes.gemini_chat().to_str().unwrap(),
        ],
    );
    let facts: Vec<(Value, Value, Value, Value)> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            (
                file["agent"].clone(),
                file["thread_id"].clone(),
                file["bad_line_count"].clone(),
                file["sidechain_files"].clone(),
            )
        })
        .collect();
    assert_eq!(
        facts,
        vec![
            (json!("claude"), json!(CLAUDE_ID), json!(0), json!(1)),
            (json!("gemini"), json!(GEMINI_ID), json!(0), json!(0)),
        ]
    );
    assert_eq!(report[1]["resumptions"], 1);
    assert_eq!(report[0]["items"]["user/compact_summary"], 1);
}
