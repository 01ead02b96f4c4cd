//! `codex-memories consolidate` run as real processes on a home whose example sessions were
//! extracted offline: one run consolidates and commits, an unchanged rerun calls nothing, and two
//! concurrent runs consolidate exactly once between them. Against a chat server (wiremock): a
//! model that never makes tool calls fails with a hint and changes nothing, `--force` overrides
//! the backoff that follows, a server that rejects tools gets a single-shot consolidation, and a
//! junk single-shot answer fails the quality gate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod controls_common;
use controls_common::example_home;

#[path = "../../memories/tests/folder_snapshot/mod.rs"]
mod folder_snapshot;
use controls_common::binary;
use folder_snapshot::{leftovers, snapshot};

fn bin(home: &Path) -> Command {
    let mut command = binary();
    command
        .env_remove("OPENAI_API_KEY")
        .env("CODEX_HOME", home)
        .env("CODEX_MEMORIES_SQLITE_HOME", home.join("sqlite"));
    command
}

fn succeeded(output: &Output) -> &Output {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A home whose example sessions have stage-1 outputs (offline extraction).
fn extracted_home() -> tempfile::TempDir {
    let home = example_home();
    let output = bin(home.path())
        .args(["extract", "--provider", "offline", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&succeeded(&output).stdout).unwrap();
    assert!(
        report["extract"]["succeeded"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "the offline extraction stored memories: {report}"
    );
    home
}

fn consolidate(home: &Path) -> Command {
    let mut command = bin(home);
    command.args(["consolidate", "--consolidator", "offline", "--json"]);
    command
}

fn outcome(output: &Output) -> String {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report["outcome"]["outcome"].as_str().unwrap().to_string()
}

fn git_installed() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

fn git(root: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?} failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn consolidate_commits_a_baseline_and_an_unchanged_rerun_has_no_changes() {
    let home = extracted_home();
    let memories = home.path().join("memories");

    let first = consolidate(home.path()).output().unwrap();
    assert_eq!(outcome(succeeded(&first)), "consolidated");
    assert!(memories.join("MEMORY.md").is_file());
    let summary = std::fs::read_to_string(memories.join("memory_summary.md")).unwrap();
    assert_eq!(summary.lines().next(), Some("v1"));
    assert!(!memories.join("phase2_workspace_diff.md").exists());

    let second = consolidate(home.path()).arg("--force").output().unwrap();
    assert_eq!(outcome(succeeded(&second)), "no_changes");

    // Without --force the cooldown after a success holds the next run back.
    let third = consolidate(home.path()).output().unwrap();
    assert_eq!(outcome(succeeded(&third)), "skipped_cooldown");

    if git_installed() {
        assert_eq!(git(&memories, &["status", "--porcelain"]), "");
        assert_eq!(git(&memories, &["rev-list", "--count", "HEAD"]).trim(), "1");
    } else {
        eprintln!("git is not installed; skipping the git CLI checks");
    }
}

#[test]
fn two_concurrent_consolidations_consolidate_exactly_once() {
    let home = extracted_home();
    let memories = home.path().join("memories");

    let spawn = || {
        consolidate(home.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let outputs = [first, second].map(|child| child.wait_with_output().unwrap());

    let mut outcomes: Vec<String> = outputs
        .iter()
        .map(|output| outcome(succeeded(output)))
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes.iter().filter(|o| *o == "consolidated").count(),
        1,
        "exactly one process consolidates: {outcomes:?}"
    );
    let other = outcomes
        .iter()
        .find(|o| *o != "consolidated")
        .unwrap()
        .as_str();
    assert!(
        ["skipped_running", "skipped_cooldown", "no_changes"].contains(&other),
        "the other process skipped or found nothing to do: {outcomes:?}"
    );
    assert!(memories.join("MEMORY.md").is_file());
    if git_installed() {
        assert_eq!(git(&memories, &["rev-list", "--count", "HEAD"]).trim(), "1");
        assert_eq!(git(&memories, &["status", "--porcelain"]), "");
    } else {
        eprintln!("git is not installed; skipping the git CLI checks");
    }
}

/// A streamed chat-completions answer whose text is `content`.
fn chat_answer(content: &str) -> ResponseTemplate {
    let chunk = |delta: Value, finish: Option<&str>| {
        json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1763790000,
               "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let body = format!(
        "data: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
        chunk(json!({"role": "assistant", "content": content}), None),
        chunk(json!({}), Some("stop"))
    );
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_raw(body, "text/event-stream")
}

/// `consolidate` against the chat server at `server` with `consolidator`, plus `extra` flags.
fn consolidate_with_chat(home: &Path, server: &str, consolidator: &str, extra: &[&str]) -> Output {
    let base_url = format!("{server}/v1");
    bin(home)
        .args(["consolidate", "--provider", "chat", "--base-url", &base_url])
        .args(["--model", "m", "--consolidator", consolidator, "--json"])
        .args(extra)
        .output()
        .unwrap()
}

/// Runs blocking process work off the test's async workers (wiremock serves on them).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.unwrap()
}

/// A consolidated home with a new note, so the next consolidation has work to do; returns the
/// note's path relative to the memory folder.
fn home_with_pending_note() -> (tempfile::TempDir, String) {
    let home = extracted_home();
    assert_eq!(
        outcome(succeeded(&consolidate(home.path()).output().unwrap())),
        "consolidated"
    );
    let written = codex_memories::memory_tools::add_note(
        &home.path().join("memories"),
        "Deploy days",
        "Deploys happen on Tuesdays only.",
        chrono::Utc::now(),
    )
    .unwrap();
    (home, written.path)
}

fn reason(output: &Output) -> String {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["outcome"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_whose_model_makes_no_tool_calls_fails_with_a_hint_and_changes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(chat_answer("I have updated the memory as requested."))
        .mount(&server)
        .await;
    let (home, note) = home_with_pending_note();
    let root = home.path().join("memories");
    let before = snapshot(&root);

    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let failed = blocking(move || consolidate_with_chat(&at, &uri, "agent", &["--force"])).await;

    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(outcome(&failed), "failed");
    assert_eq!(
        reason(&failed),
        "failed_agent: the model made no tool calls; does the server support tools? try `--consolidator offline` (or `--consolidator single-shot`, which needs no tool calls)"
    );
    assert_eq!(snapshot(&root), before, "the folder is unchanged");
    assert_eq!(leftovers(&root), Vec::<String>::new());
    // The note is not baselined: it is still a change for the next consolidation.
    let workspace = codex_memories::workspace::MemoryWorkspace::open_existing(&root).unwrap();
    let pending: Vec<String> = workspace
        .diff()
        .unwrap()
        .changes
        .into_iter()
        .map(|change| change.path)
        .collect();
    assert_eq!(pending, vec![note]);
}

#[tokio::test(flavor = "multi_thread")]
async fn force_overrides_the_backoff_after_a_failed_consolidation() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(chat_answer("Nothing to do."))
        .mount(&server)
        .await;
    let (home, _) = home_with_pending_note();
    let root = home.path().join("memories");
    let requests = || async { server.received_requests().await.unwrap().len() };

    // (--force: the offline consolidation that set the baseline started a cooldown.)
    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let first = blocking(move || consolidate_with_chat(&at, &uri, "agent", &["--force"])).await;
    assert_eq!(outcome(&first), "failed");
    let after_first = requests().await;

    // Without --force the failure's backoff holds: no request is sent.
    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let held = blocking(move || consolidate_with_chat(&at, &uri, "agent", &[])).await;
    assert_eq!(outcome(succeeded(&held)), "skipped_backoff");
    assert_eq!(requests().await, after_first);

    // --force runs now, with the agent …
    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let forced = blocking(move || consolidate_with_chat(&at, &uri, "agent", &["--force"])).await;
    assert_eq!(outcome(&forced), "failed");
    assert!(requests().await > after_first);
    // … and with the offline consolidator, which succeeds.
    let at = home.path().to_path_buf();
    let offline = blocking(move || consolidate(&at).arg("--force").output().unwrap()).await;
    assert_eq!(outcome(succeeded(&offline)), "consolidated");
    let memory = std::fs::read_to_string(root.join("MEMORY.md")).unwrap();
    assert!(
        memory.contains("Deploys happen on Tuesdays only."),
        "{memory}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_rejects_tools_gets_a_single_shot_consolidation() {
    let server = MockServer::start().await;
    // llama.cpp started without --jinja answers this to any request carrying `tools`.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("\"tools\""))
        .respond_with(ResponseTemplate::new(500).set_body_string(
            r#"{"error":{"code":500,"message":"tools param requires --jinja flag"}}"#,
        ))
        .mount(&server)
        .await;
    let answer = json!({
        "memory_md": "# Memory\n## Deploys\n- Deploys happen on Tuesdays only.\n",
        "memory_summary": "v1\n- Deploys happen on Tuesdays only.\n",
    });
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(chat_answer(&answer.to_string()))
        .mount(&server)
        .await;
    let (home, _) = home_with_pending_note();
    let root = home.path().join("memories");

    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let output = blocking(move || consolidate_with_chat(&at, &uri, "agent", &["--force"])).await;

    assert_eq!(outcome(succeeded(&output)), "consolidated");
    assert_eq!(
        std::fs::read_to_string(root.join("MEMORY.md")).unwrap(),
        "# Memory\n## Deploys\n- Deploys happen on Tuesdays only.\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("memory_summary.md")).unwrap(),
        "v1\n- Deploys happen on Tuesdays only.\n"
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        report["outcome"]["report"]["summary"]
            .as_str()
            .unwrap()
            .contains("fell back"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_junk_single_shot_answer_fails_the_quality_gate_and_changes_nothing() {
    let server = MockServer::start().await;
    let junk = json!({"memory_md": "{ 'from' -> { 12.4} }", "memory_summary": "v1\n]["});
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(chat_answer(&junk.to_string()))
        .mount(&server)
        .await;
    let (home, _) = home_with_pending_note();
    let root = home.path().join("memories");
    let before = snapshot(&root);

    let (uri, at) = (server.uri(), home.path().to_path_buf());
    let output =
        blocking(move || consolidate_with_chat(&at, &uri, "single-shot", &["--force"])).await;

    assert_eq!(outcome(&output), "failed");
    assert!(
        reason(&output).starts_with("failed_agent: the answer failed the quality check: "),
        "{}",
        reason(&output)
    );
    assert_eq!(snapshot(&root), before);
    let bodies = server.received_requests().await.unwrap();
    assert_eq!(bodies.len(), 1, "one request, without tools");
    let body: Value = bodies[0].body_json().unwrap();
    assert_eq!(body.get("tools"), None);
}
