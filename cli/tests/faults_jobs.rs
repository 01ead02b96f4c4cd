//! Faults: jobs cannot be done twice or retried forever, with the real binary. Ctrl-C (SIGINT)
//! during extraction, while every model request hangs on a local server, gives every claim back
//! before the process exits (130): no job is left `running`, and the next run extracts them at
//! once instead of waiting out a lease. One session whose result the database refuses fails
//! alone; the others are stored and consolidated. A run whose extraction uses up the budget skips
//! consolidation and says so (exit 0) instead of failing it into a backoff.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use codex_state::{Homes, MemoryStore, StateRuntime};
use faults_support::{
    MockServer, Reply, command, db_path, is_agent_request, query, query_one, run, stage_one,
    tool_call, wait_bounded, write_sessions,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const SESSIONS: u32 = 4;
/// Longer than the test waits: a request that gets this reply hangs until the client gives up.
const HANG: Duration = Duration::from_secs(120);
/// How long the test waits for the requests to reach the server, and for the interrupted run.
const WAIT: Duration = Duration::from_secs(30);

fn model_args(base_url: &str, consolidator: &str) -> Vec<String> {
    [
        "run",
        "--provider",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "m",
        "--consolidator",
        consolidator,
        "--json",
    ]
    .map(str::to_string)
    .to_vec()
}

fn args(strings: &[String]) -> Vec<&str> {
    strings.iter().map(String::as_str).collect()
}

fn memories_db(home: &Path) -> std::path::PathBuf {
    db_path(home, "memories_1.sqlite")
}

fn count(home: &Path, sql: &str) -> u64 {
    query_one(&memories_db(home), sql).parse().unwrap()
}

fn json_of(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

#[test]
fn sigint_during_extraction_gives_back_every_claim_and_the_next_run_extracts_them_at_once() {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), SESSIONS);
    let hanging = MockServer::start(|_, _| {
        Reply::Slow(HANG, Box::new(stage_one("prefers nextest", "ran tests")))
    });
    let run_args = model_args(&hanging.base_url, "offline");
    let child = command(home.path(), &args(&run_args)).spawn().unwrap();
    let pid = child.id();
    let started = Instant::now();
    while hanging.request_count() < SESSIONS as usize {
        assert!(
            started.elapsed() < WAIT,
            "only {} request(s) reached the server",
            hanging.request_count()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every session is claimed and its request is in flight.
    assert_eq!(
        count(
            home.path(),
            "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND status = 'running'"
        ),
        u64::from(SESSIONS)
    );
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let output = wait_bounded(child, WAIT, "the interrupted run");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report = json_of(&output);
    assert_eq!(report["interrupted"], true, "{report:#}");
    assert_eq!(report["extract"]["released_on_interrupt"], SESSIONS);
    assert_eq!(report["phase2"], Value::Null);

    // Nothing is left running under a claim: every job is pending, its retries untouched.
    let jobs = query(
        &memories_db(home.path()),
        "SELECT status, ownership_token, lease_until, retry_remaining FROM jobs \
         WHERE kind = 'memory_stage1' ORDER BY job_key",
    );
    let pending = vec![
        Some("pending".to_string()),
        None,
        None,
        Some("3".to_string()),
    ];
    assert_eq!(jobs, vec![pending; SESSIONS as usize]);
    assert_eq!(
        count(
            home.path(),
            "SELECT COUNT(*) FROM jobs WHERE status = 'running'"
        ),
        0
    );

    // The next run (same minute: no lease has expired) extracts all of them at once.
    let answering = MockServer::start(|_, _| stage_one("prefers nextest", "ran tests"));
    let next_args = model_args(&answering.base_url, "offline");
    let next = run(home.path(), &args(&next_args));
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    let report = json_of(&next);
    assert_eq!(report["extract"]["succeeded"], SESSIONS, "{report:#}");
    assert_eq!(
        count(
            home.path(),
            "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND status = 'done'"
        ),
        u64::from(SESSIONS)
    );
}

/// Opens (creating) the home's databases through the library, as a first run would.
fn create_databases(home: &Path) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let state = StateRuntime::open(Homes::under_codex_home(home))
            .await
            .unwrap();
        let store = MemoryStore::open(&state).await.unwrap();
        store.close().await;
        state.close().await;
    });
}

#[test]
fn a_database_error_on_one_session_fails_that_session_and_not_the_run() {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), SESSIONS);
    create_databases(home.path());
    let refused = faults_support::thread_id(2);
    // The database refuses to store this one session's memory (a real SQLite error).
    query(
        &memories_db(home.path()),
        &format!(
            "CREATE TRIGGER refuse_one BEFORE INSERT ON stage1_outputs \
             WHEN NEW.thread_id = '{refused}' \
             BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END"
        ),
    );
    let output = run(home.path(), faults_support::OFFLINE_RUN);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed session makes the run exit 1: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    assert_eq!(report["extract"]["succeeded"], SESSIONS - 1, "{report:#}");
    let failed = report["extract"]["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["thread_id"], refused.as_str());
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(reason.contains("simulated write failure"), "{reason}");
    // The failure is recorded on that job (backoff), nothing is left running, and the others
    // were consolidated.
    let job = query(
        &memories_db(home.path()),
        &format!("SELECT status, last_error FROM jobs WHERE job_key = '{refused}'"),
    );
    assert_eq!(job[0][0].as_deref(), Some("error"));
    assert!(
        job[0][1]
            .as_deref()
            .unwrap()
            .contains("simulated write failure")
    );
    assert_eq!(
        count(
            home.path(),
            "SELECT COUNT(*) FROM jobs WHERE status = 'running'"
        ),
        0
    );
    assert_eq!(report["phase2"]["outcome"]["outcome"], "consolidated");
}

#[test]
fn a_run_whose_extraction_uses_up_the_budget_skips_consolidation_and_says_so() {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), SESSIONS);
    let server = MockServer::start(|_, body| {
        if is_agent_request(body) {
            tool_call(
                "c1",
                "write_file",
                &json!({"path": "MEMORY.md", "content": "# Memory\n"}),
            )
        } else {
            stage_one("prefers nextest", "ran tests")
        }
    });
    let mut run_args = model_args(&server.base_url, "agent");
    run_args.extend(["--max-requests".to_string(), "2".to_string()]);
    let output = run(home.path(), &args(&run_args));
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output);
    assert_eq!(report["extract"]["succeeded"], 2, "{report:#}");
    assert_eq!(report["phase2"], Value::Null, "{report:#}");
    let skipped = report["skipped_phase2"].as_str().unwrap();
    assert!(skipped.contains("budget"), "{skipped}");
    // The consolidation was not started, so it is neither failed nor in backoff.
    assert_eq!(
        count(
            home.path(),
            "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_consolidate_global' \
             AND (status = 'error' OR retry_at IS NOT NULL)"
        ),
        0
    );
    assert!(
        server
            .bodies()
            .iter()
            .all(|body| !body.contains("\"tools\"")),
        "no consolidation request was sent"
    );
    // In words, too.
    let text = run(
        home.path(),
        &args(&model_args(&server.base_url, "agent"))
            .into_iter()
            .filter(|arg| *arg != "--json")
            .chain(["--max-requests", "1"])
            .collect::<Vec<_>>(),
    );
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("consolidate: skipped — extraction used up the run budget"),
        "{stdout}"
    );
}
