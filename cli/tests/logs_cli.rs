//! `codex-memories logs` run as a real process over a real logs DB: every command records its
//! run, the text and JSON renderings with filters, and `--follow` printing a row written after it
//! started, then exiting 0 on Ctrl-C.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use codex_state::SystemClock;
use codex_state::logs::{LogEntry, LogLevel, LogStore};
use pretty_assertions::assert_eq;
use serde_json::Value;

mod test_binary;
use test_binary::binary;

/// The longest any step waits for the child before the test fails (never reached when it works).
const PATIENCE: Duration = Duration::from_secs(60);

fn bin(home: &Path) -> Command {
    let mut command = binary();
    command
        .env_remove("RUST_LOG")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .arg("--codex-home")
        .arg(home.join("codex"))
        .arg("--sqlite-home")
        .arg(home.join("db"));
    command
}

fn entry(level: LogLevel, thread_id: Option<&str>, body: &str) -> LogEntry {
    let now = chrono::Utc::now();
    LogEntry {
        ts: now.timestamp(),
        ts_nanos: i64::from(now.timestamp_subsec_nanos()),
        level,
        target: "codex_memories::phase1".into(),
        body: body.to_string(),
        thread_id: thread_id.map(str::to_string),
        process_uuid: "test-process".into(),
        module_path: Some("codex_memories::phase1".into()),
        file: Some("memories/src/phase1.rs".into()),
        line: Some(1),
    }
}

fn insert(home: &Path, entries: &[LogEntry]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = LogStore::open(&home.join("db/logs_1.sqlite"), Arc::new(SystemClock))
            .await
            .unwrap();
        store.insert(entries).await.unwrap();
        store.close().await;
    });
}

fn stdout_lines(args: &[&str], home: &Path) -> Vec<String> {
    let output = bin(home).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn every_command_records_its_run_in_the_logs_db() {
    let home = tempfile::tempdir().unwrap();
    let output = bin(home.path())
        .args(["inspect", "/nonexistent/rollout.jsonl"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let lines = stdout_lines(&["logs", "--json"], home.path());
    let rows: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let summary: Vec<(String, String)> = rows
        .iter()
        .map(|row| {
            (
                row["level"].as_str().unwrap().to_string(),
                row["body"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![(
            "INFO".to_string(),
            format!(
                "codex-memories started command=inspect version={}",
                env!("CARGO_PKG_VERSION")
            )
        )]
    );
}

#[test]
fn logs_prints_the_newest_matching_rows_oldest_first() {
    let home = tempfile::tempdir().unwrap();
    insert(
        home.path(),
        &[
            entry(LogLevel::Debug, None, "scan started"),
            entry(LogLevel::Info, Some("t1"), "claimed"),
            entry(LogLevel::Warn, Some("t1"), "retrying after 429"),
            entry(LogLevel::Error, Some("t2"), "failed"),
        ],
    );
    let shown = |args: &[&str]| -> Vec<String> {
        stdout_lines(args, home.path())
            .iter()
            .map(|line| line.split_once(' ').unwrap().1.to_string())
            .collect()
    };
    assert_eq!(
        shown(&["logs", "--limit", "2"]),
        vec![
            "WARN  [t1] codex_memories::phase1 - retrying after 429",
            "ERROR [t2] codex_memories::phase1 - failed",
        ]
    );
    assert_eq!(
        shown(&["logs", "--level", "info", "--thread", "t1"]),
        vec![
            "INFO  [t1] codex_memories::phase1 - claimed",
            "WARN  [t1] codex_memories::phase1 - retrying after 429",
        ]
    );
    assert_eq!(
        shown(&["logs", "--search", "scan", "--since", "1h"]),
        vec!["DEBUG [-] codex_memories::phase1 - scan started"]
    );
    assert_eq!(
        shown(&["logs", "--since", "2999-01-01T00:00:00Z"]),
        Vec::<String>::new()
    );
}

/// Reads the child's stdout lines on a thread, so waits can be bounded.
fn line_reader(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// The next line whose body is `body`, skipping others.
fn wait_for_body(lines: &Receiver<String>, body: &str) -> Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let line = match lines.recv_timeout(remaining) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!("no row `{body}` within {PATIENCE:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("logs --follow exited before `{body}`"),
        };
        let row: Value = serde_json::from_str(&line).unwrap();
        if row["body"] == body {
            return row;
        }
    }
}

#[test]
fn follow_prints_a_row_written_after_it_started_and_ctrl_c_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    insert(home.path(), &[entry(LogLevel::Info, None, "before")]);
    let mut child = bin(home.path())
        .args(["logs", "--follow", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let lines = line_reader(&mut child);
    // Once `before` is out, the child has done its first read: what comes next is followed.
    wait_for_body(&lines, "before");
    insert(home.path(), &[entry(LogLevel::Warn, Some("t9"), "after")]);
    let row = wait_for_body(&lines, "after");
    assert_eq!(
        (row["level"].clone(), row["thread_id"].clone()),
        (Value::from("WARN"), Value::from("t9"))
    );

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            panic!("logs --follow did not stop on SIGINT within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_logs_db_that_cannot_be_opened_costs_one_warning_not_the_command() {
    let home = tempfile::tempdir().unwrap();
    let blocker = home.path().join("db-is-a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../examples/codex-home/sessions/2026/05/04/rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl",
    );
    let output = binary()
        .env_remove("RUST_LOG")
        .arg("--sqlite-home")
        .arg(&blocker)
        .args(["inspect", "--json"])
        .arg(&example)
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("warning: not recording logs").count(),
        1,
        "{stderr}"
    );
    let _: Value = serde_json::from_slice(&output.stdout).unwrap();
}

#[test]
fn stdout_stays_clean_json_whatever_rust_log_says() {
    let home = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../examples/codex-home/sessions/2026/05/04/rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl",
    );
    let output = bin(home.path())
        .env("RUST_LOG", "trace")
        .args(["inspect", "--json"])
        .arg(&example)
        .output()
        .unwrap();
    assert!(output.status.success());
    let _: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("codex-memories started"),
        "the started event should reach stderr at RUST_LOG=trace"
    );
}
