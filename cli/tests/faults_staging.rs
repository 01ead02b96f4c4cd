//! Fault: phase 2 is a transaction, checked with real processes. `kill -9` of `codex-memories
//! consolidate` while the consolidation agent works on its staging copy leaves the memory folder
//! byte for byte as it was (its repository included), with no diff file in it; `kill -9` at seeded
//! points of a whole consolidation leaves either that folder or the complete new one, never a mix;
//! the next run removes the leftover copy and consolidates. A note added through the real `mcp`
//! server while a consolidation runs is kept, and is new to the next consolidation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use codex_memories::Phase2Outcome;
use codex_memories::workspace::MemoryWorkspace;
use faults_support::{
    CHILD_DEADLINE, MockServer, OFFLINE_RUN, Reply, agent_turn, answer, assert_integrity, command,
    is_agent_request, leftovers, phase2_after_lease, run, run_json, snapshot, stage_one, tool_call,
    wait_bounded, write_session, write_sessions,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// Seeded kill points of a whole consolidation.
const KILL_POINTS: u32 = 16;
/// The seed of the kill points unless `FAULTS_SEED` overrides it.
const DEFAULT_SEED: u64 = 0x57a9_e0ff;
/// The mock model's delay per agent turn, so a consolidation lasts long enough to be cut anywhere.
const TURN_DELAY: Duration = Duration::from_millis(60);
/// How long a test waits for the child to reach a point (a guard, not a timing).
const REACH_DEADLINE: Duration = Duration::from_secs(60);
const MEMORY: &str = "# Memory\n- Task groups: CI builds use cargo nextest.\n";
const SUMMARY: &str = "v1\n- The user prefers cargo nextest for CI builds.\n";

/// A home whose memory folder was consolidated once (offline) and whose fourth session was
/// extracted since, so the next consolidation has work to do.
fn consolidated_home_with_new_input() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), 3);
    run_json(home.path(), OFFLINE_RUN);
    write_session(
        home.path(),
        4,
        "Task 4: keep the release notes short; I prefer bullet points.",
        r#"{"command":["bash","-lc","git log --oneline -5"]}"#,
        "abc123 release 1.2",
    );
    run_json(home.path(), &["extract", "--provider", "offline", "--json"]);
    home
}

/// The agent's script: write MEMORY.md, write the summary, finish.
fn agent_reply(body: &Value) -> Reply {
    match agent_turn(body) {
        0 => tool_call(
            "c1",
            "write_file",
            &json!({"path": "MEMORY.md", "content": MEMORY}),
        ),
        1 => tool_call(
            "c2",
            "write_file",
            &json!({"path": "memory_summary.md", "content": SUMMARY}),
        ),
        _ => answer("Consolidated the CI preferences."),
    }
}

fn consolidate_args(base_url: &str) -> Vec<String> {
    [
        "consolidate",
        "--provider",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "m",
        "--consolidator",
        "agent",
        "--force",
        "--json",
    ]
    .map(str::to_string)
    .to_vec()
}

/// Waits until `reached` holds, failing past [`REACH_DEADLINE`].
fn wait_until(what: &str, reached: impl Fn() -> bool) {
    let started = Instant::now();
    while !reached() {
        assert!(started.elapsed() < REACH_DEADLINE, "never reached: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The staging copies beside the memory folder.
fn staging_copies(home: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(home)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".memories.phase2-staging-")
        })
        .collect()
}

/// Checks that the next run (after the killed run's lease) consolidates and leaves nothing
/// beside the folder.
fn assert_recovers(home: &Path) {
    let report = phase2_after_lease(home);
    assert!(
        matches!(
            report.outcome,
            Phase2Outcome::Consolidated { .. } | Phase2Outcome::NoChanges
        ),
        "{report:#?}"
    );
    let root = home.join("memories");
    assert_eq!(leftovers(&root), Vec::<String>::new());
    assert!(!root.join("phase2_workspace_diff.md").exists());
    let workspace = MemoryWorkspace::open_existing(&root).expect("a usable baseline");
    assert!(workspace.diff().unwrap().is_empty());
    assert_integrity(home);
}

#[test]
fn kill_nine_while_the_agent_works_on_the_staging_copy_leaves_the_folder_byte_identical() {
    let home = consolidated_home_with_new_input();
    let root = home.path().join("memories");
    let before = snapshot(&root);
    let server = MockServer::start(|_, body| {
        if is_agent_request(body) {
            // Never answers in time: the process is killed while it waits.
            Reply::Slow(Duration::from_secs(120), Box::new(answer("too late")))
        } else {
            stage_one("unused", "unused")
        }
    });
    let args = consolidate_args(&server.base_url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = command(home.path(), &args).spawn().unwrap();

    wait_until("the agent's first request", || server.request_count() >= 1);
    let copies = staging_copies(home.path());
    assert_eq!(copies.len(), 1, "one staging copy while the agent works");
    assert!(copies[0].join("phase2_workspace_diff.md").is_file());
    assert!(copies[0].join("raw_memories.md").is_file());
    // SIGKILL: no destructor runs, nothing is cleaned up.
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(snapshot(&root), before, "the live folder is byte-identical");
    assert!(!root.join("phase2_workspace_diff.md").exists());
    assert_integrity(home.path());
    assert_recovers(home.path());
    // The new session's preference, said in one project, lands in that project's MEMORY.md.
    let memory = memory_files_text(&root);
    assert!(memory.contains("bullet points"), "{memory}");
}

/// The global MEMORY.md and every project's, one after the other.
fn memory_files_text(root: &Path) -> String {
    let mut text = std::fs::read_to_string(root.join("MEMORY.md")).unwrap();
    if let Ok(projects) = std::fs::read_dir(root.join("projects")) {
        for project in projects {
            let path = project.unwrap().path().join("MEMORY.md");
            text.push_str(&std::fs::read_to_string(path).unwrap_or_default());
        }
    }
    text
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A folder snapshot without its `.git` (whose commit times differ between runs).
fn without_git(
    snapshot: std::collections::BTreeMap<std::path::PathBuf, Option<Vec<u8>>>,
) -> std::collections::BTreeMap<std::path::PathBuf, Option<Vec<u8>>> {
    snapshot
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".git"))
        .collect()
}

/// Copies a whole home (no process has it open).
fn copy_home(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir(&target).unwrap();
            copy_home(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn kill_nine_at_seeded_points_of_a_consolidation_leaves_the_old_or_the_new_folder() {
    let seed = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    println!("FAULTS_SEED={seed}");
    let template = consolidated_home_with_new_input();
    let before = snapshot(&template.path().join("memories"));
    let server = MockServer::start(|_, body| {
        let reply = if is_agent_request(body) {
            agent_reply(body)
        } else {
            stage_one("unused", "unused")
        };
        Reply::Slow(TURN_DELAY, Box::new(reply))
    });
    let args = consolidate_args(&server.base_url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // A whole consolidation, for the new folder and the time bound of the kill points.
    let (after, normal) = {
        let home = tempfile::tempdir().unwrap();
        copy_home(template.path(), home.path());
        let started = Instant::now();
        let output = wait_bounded(
            command(home.path(), &args).spawn().unwrap(),
            CHILD_DEADLINE,
            "the normal consolidation",
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let elapsed = started.elapsed();
        (
            without_git(snapshot(&home.path().join("memories"))),
            elapsed,
        )
    };
    println!("normal consolidation: {normal:?}");
    assert_ne!(without_git(before.clone()), after);

    let mut state = seed | 1;
    let (mut old, mut new) = (0, 0);
    for point in 0..KILL_POINTS {
        let home = tempfile::tempdir().unwrap();
        copy_home(template.path(), home.path());
        let root = home.path().join("memories");
        // Up to a little past the normal run time, so some points land in the commit and some
        // after it.
        let delay = normal.mul_f64((xorshift(&mut state) % 1100) as f64 / 1000.0);
        let mut child = command(home.path(), &args).spawn().unwrap();
        let started = Instant::now();
        while started.elapsed() < delay && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().ok();
        child.wait().unwrap();

        let now = snapshot(&root);
        if now == before {
            old += 1;
        } else {
            assert_eq!(
                without_git(now),
                after,
                "point {point} (after {delay:?}): neither the old nor the new folder"
            );
            let workspace = MemoryWorkspace::open_existing(&root).expect("a usable baseline");
            assert!(workspace.diff().unwrap().is_empty(), "point {point}");
            new += 1;
        }
        assert!(
            !root.join("phase2_workspace_diff.md").exists(),
            "point {point}"
        );
        println!("point {point}: killed after {delay:?}");
        assert_recovers(home.path());
    }
    println!("old folder at {old} points, new folder at {new}");
}

/// Adds a note through a real `codex-memories mcp` process; returns the tool's JSON result.
fn add_note_over_mcp(home: &Path, title: &str, body: &str) -> Value {
    let mut child = faults_support::binary()
        .args(["mcp", "--codex-home"])
        .arg(home)
        .env_remove("CODEX_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut send = |message: Value| writeln!(stdin, "{message}").unwrap();
    send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "faults_staging", "version": "1"}}}),
    );
    send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "add_note", "arguments": {"title": title, "body": body}}}),
    );
    let result = loop {
        let line = lines.next().expect("an answer").unwrap();
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == json!(2) {
            break message["result"].clone();
        }
    };
    drop(stdin);
    child.wait().unwrap();
    assert_ne!(result["isError"], json!(true), "{result}");
    result["structuredContent"].clone()
}

#[test]
fn a_note_added_over_mcp_during_a_consolidation_is_kept_and_new_to_the_next_one() {
    let home = consolidated_home_with_new_input();
    let root = home.path().join("memories");
    let released = Arc::new(AtomicBool::new(false));
    let gate = Arc::clone(&released);
    let server = MockServer::start(move |_, body| {
        if !is_agent_request(body) {
            return stage_one("unused", "unused");
        }
        if agent_turn(body) == 0 {
            // Hold the first turn until the test has added its note.
            let started = Instant::now();
            while !gate.load(Ordering::SeqCst) && started.elapsed() < REACH_DEADLINE {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        agent_reply(body)
    });
    let args = consolidate_args(&server.base_url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let child = command(home.path(), &args).spawn().unwrap();

    wait_until("the agent's first request", || server.request_count() >= 1);
    let written = add_note_over_mcp(
        home.path(),
        "Deploy days",
        "Deploys happen on Tuesdays only.",
    );
    let note = written["path"].as_str().unwrap().to_string();
    released.store(true, Ordering::SeqCst);
    let output = wait_bounded(child, CHILD_DEADLINE, "the consolidation");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["outcome"]["outcome"], "consolidated", "{report}");
    assert_eq!(report["notes_carried"], json!([note]));
    assert_eq!(
        std::fs::read_to_string(root.join("MEMORY.md")).unwrap(),
        MEMORY
    );
    assert!(root.join(&note).is_file(), "the note is kept");

    // New to the next consolidation: it is the one change, and it reaches MEMORY.md.
    let next = run(
        home.path(),
        &[
            "consolidate",
            "--consolidator",
            "offline",
            "--force",
            "--json",
        ],
    );
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let next: Value = serde_json::from_slice(&next.stdout).unwrap();
    assert_eq!(next["outcome"]["outcome"], "consolidated", "{next}");
    assert_eq!(next["changed_files"], json!([note]));
    let memory = std::fs::read_to_string(root.join("MEMORY.md")).unwrap();
    assert!(
        memory.contains("Deploys happen on Tuesdays only."),
        "{memory}"
    );
    assert_eq!(leftovers(&root), Vec::<String>::new());
}
