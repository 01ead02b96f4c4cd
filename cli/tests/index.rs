//! `codex-memories index` and `threads` driven as real processes on temporary homes.

// Helpers outside #[test] functions unwrap too: a failed setup step should fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

mod test_binary;
use test_binary::binary;

fn thread_id(n: u32) -> String {
    format!("019a93b9-f380-7600-98ff-{n:012x}")
}

/// Writes rollout `n` (mtime `n` seconds after a fixed instant) and returns its path.
fn write_rollout(codex_home: &Path, archived: bool, n: u32, title: &str) -> PathBuf {
    let root = if archived {
        "archived_sessions"
    } else {
        "sessions"
    };
    let id = thread_id(n);
    let path = codex_home
        .join(root)
        .join("2025/11/17")
        .join(format!("rollout-2025-11-17T15-30-28-{id}.jsonl"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let meta = json!({"timestamp": "2025-11-17T21:30:29.000Z", "type": "session_meta",
        "payload": {"id": id, "timestamp": "2025-11-17T21:30:28.608Z", "cwd": "/work", "source": "cli"}});
    let user = json!({"timestamp": "2025-11-17T21:30:30.000Z", "type": "event_msg",
        "payload": {"type": "user_message", "message": title}});
    std::fs::write(&path, format!("{meta}\n{user}\n")).unwrap();
    let mtime = std::time::SystemTime::UNIX_EPOCH
        + std::time::Duration::from_secs(1_763_000_000 + u64::from(n));
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    path
}

fn run(codex_home: &Path, args: &[&str]) -> Output {
    binary()
        .args(args)
        .arg("--codex-home")
        .arg(codex_home)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .output()
        .unwrap()
}

fn run_json(codex_home: &Path, args: &[&str]) -> Value {
    let output = run(codex_home, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn index_then_threads_lists_threads_newest_first() {
    let home = tempfile::tempdir().unwrap();
    write_rollout(home.path(), false, 1, "older");
    write_rollout(home.path(), true, 2, "newer, archived");

    let report = run_json(home.path(), &["index", "--json"]);
    assert_eq!(
        (
            &report["files_seen"],
            &report["parsed"],
            &report["threads_added"]
        ),
        (&json!(2), &json!(2), &json!(2))
    );
    let threads = run_json(home.path(), &["threads", "--json"]);
    let summary: Vec<(String, String, bool, String)> = threads
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["id"].as_str().unwrap().to_string(),
                row["title"].as_str().unwrap().to_string(),
                row["archived"].as_bool().unwrap(),
                row["memory_mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                thread_id(2),
                "newer, archived".to_string(),
                true,
                "enabled".to_string()
            ),
            (
                thread_id(1),
                "older".to_string(),
                false,
                "enabled".to_string()
            ),
        ]
    );
    assert!(home.path().join("codex-memories/state_1.sqlite").is_file());
}

#[test]
fn a_second_index_parses_nothing_and_draws_no_bar_off_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    for n in 1..=3 {
        write_rollout(home.path(), false, n, "x");
    }
    run_json(home.path(), &["index", "--json"]);
    let output = run(home.path(), &["index", "--json"]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report,
        json!({
            "files_seen": 3, "parsed": 0, "unchanged": 3, "skipped": 0, "bytes_parsed": 0,
            "failed": [], "threads_added": 0, "updated": 0, "removed": 0,
            "unreadable_roots": [], "removal_held_back": null
        })
    );
}

#[test]
fn text_output_reports_counts_and_lists_threads() {
    let home = tempfile::tempdir().unwrap();
    write_rollout(home.path(), false, 1, "fix the build");
    let index = run(home.path(), &["index"]);
    let text = String::from_utf8_lossy(&index.stdout);
    assert!(text.contains("1 session files"), "{text}");
    assert!(
        text.contains("threads: 1 added, 0 updated, 0 removed"),
        "{text}"
    );
    let threads = run(home.path(), &["threads", "--limit", "5"]);
    let text = String::from_utf8_lossy(&threads.stdout);
    assert!(text.contains(&thread_id(1)), "{text}");
    assert!(text.contains("fix the build"), "{text}");
}

#[test]
fn two_index_processes_on_one_home_both_succeed() {
    let home = tempfile::tempdir().unwrap();
    let count = 1200;
    for n in 1..=count {
        write_rollout(home.path(), n % 5 == 0, n, "concurrent");
    }
    let spawn = || {
        binary()
            .args(["index", "--json", "--codex-home"])
            .arg(home.path())
            .env_remove("CODEX_HOME")
            .env_remove("CODEX_MEMORIES_SQLITE_HOME")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(report["files_seen"], json!(count));
        assert_eq!(report["failed"], json!([]));
    }
    let threads = run_json(home.path(), &["threads", "--json", "--limit", "5000"]);
    assert_eq!(threads.as_array().unwrap().len(), count as usize);
    let again = run_json(home.path(), &["index", "--json"]);
    assert_eq!(again["parsed"], json!(0));
}

#[test]
fn a_database_from_a_newer_version_fails_with_a_clear_message() {
    let home = tempfile::tempdir().unwrap();
    write_rollout(home.path(), false, 1, "x");
    run_json(home.path(), &["index", "--json"]);
    let db = home.path().join("codex-memories/state_1.sqlite");
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (77, 'future', 1, x'00', 0)")
        .status();
    if !matches!(status, Ok(status) if status.success()) {
        eprintln!("skipping: the sqlite3 command is not available");
        return;
    }
    let output = run(home.path(), &["threads"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("written by a newer codex-memories"),
        "{stderr}"
    );
    assert!(stderr.contains("77"), "{stderr}");
}

#[test]
fn a_corrupt_database_names_the_command_to_move_it_aside() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("codex-memories/state_1.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    std::fs::write(
        &db,
        b"this is not a database, just some text that happens to be here",
    )
    .unwrap();
    let output = run(home.path(), &["index"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("mv {} {}.corrupt-", db.display(), db.display())),
        "{stderr}"
    );
}
