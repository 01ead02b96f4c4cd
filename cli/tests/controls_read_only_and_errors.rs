//! What the user sees and what is left on disk: `status` opens the databases read-only and never
//! creates or migrates one (a missing or older database is reported); every command given
//! `--json` prints its errors as JSON on stdout (`{"error": {"kind", "message"}}`) with the same
//! exit codes as before; `show` and `logs` strip the escape sequences a session may carry.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::path::Path;
use std::sync::Arc;

use codex_state::logs::{LogEntry, LogLevel, LogStore};
use codex_state::{Homes, StateRuntime, SystemClock};
use controls_common::{example_home, files_under, offline_run, run, run_ok};
use pretty_assertions::assert_eq;
use serde_json::Value;

/// Every database file under the home's sqlite home, with its size and a hash of its bytes.
/// (Reading a WAL database may create its empty `-wal` and `-shm` companions, which SQLite needs
/// for any reader; the database files themselves must not change.)
fn database_files(home: &Path) -> Vec<(String, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<(String, usize, u64)> = files_under(&home.join("codex-memories"))
        .into_iter()
        .filter(|path| !path.to_string_lossy().ends_with("-wal"))
        .filter(|path| !path.to_string_lossy().ends_with("-shm"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut hasher);
            (name, bytes.len(), hasher.finish())
        })
        .collect();
    files.sort();
    files
}

/// Removes the logs DB and its companions (each command but `status` writes its log rows there).
fn remove_logs_db(home: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        std::fs::remove_file(home.join(format!("codex-memories/logs_1.sqlite{suffix}"))).ok();
    }
}

#[test]
fn status_on_a_new_home_creates_no_database_and_says_what_is_missing() {
    let home = example_home();
    let status = run_ok(home.path(), &["status"]);
    assert!(
        status.contains("no thread index yet at") && status.contains("status creates nothing"),
        "{status}"
    );
    assert!(
        !home.path().join("codex-memories").exists(),
        "status created {:?}",
        files_under(&home.path().join("codex-memories"))
    );
    let json: Value = serde_json::from_str(&run_ok(home.path(), &["status", "--json"])).unwrap();
    let states: Vec<(&str, &str)> = json["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|db| (db["name"].as_str().unwrap(), db["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![("thread index", "missing"), ("memories", "missing")]
    );
    assert!(!home.path().join("codex-memories").exists());
}

#[test]
fn status_reads_an_indexed_home_without_changing_a_byte_of_its_databases() {
    let home = example_home();
    // A thread index but no memories DB yet: status reads it and still creates nothing.
    run_ok(home.path(), &["index"]);
    remove_logs_db(home.path());
    let before = database_files(home.path());
    let status = run_ok(home.path(), &["status"]);
    assert!(status.contains("session(s)"), "{status}");
    assert_eq!(database_files(home.path()), before);
    assert!(
        !home
            .path()
            .join("codex-memories/memories_1.sqlite")
            .exists()
    );

    offline_run(home.path());
    remove_logs_db(home.path());
    let before = database_files(home.path());
    run_ok(home.path(), &["status", "--json"]);
    assert_eq!(database_files(home.path()), before);
}

#[test]
fn status_reports_an_older_database_instead_of_migrating_it() {
    let home = example_home();
    offline_run(home.path());
    let memories = home.path().join("codex-memories/memories_1.sqlite");
    // As an earlier build left it: its latest schema step not applied yet.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&memories);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::Connection::close(conn).await.unwrap();
    });
    remove_logs_db(home.path());
    let before = database_files(home.path());
    let status = run_ok(home.path(), &["status"]);
    assert!(
        status.contains("was written by an earlier codex-memories: status does not upgrade it"),
        "{status}"
    );
    assert_eq!(database_files(home.path()), before);
}

/// Runs the binary and parses the JSON error document it printed on stdout.
fn json_error(home: &Path, args: &[&str], code: i32) -> (String, String) {
    let output = run(home, args);
    assert_eq!(output.status.code(), Some(code), "{args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error"), "{stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON error ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (
        json["error"]["kind"].as_str().unwrap().to_string(),
        json["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn every_command_given_json_prints_its_errors_as_json_with_the_same_exit_codes() {
    let home = example_home();
    offline_run(home.path());
    let unknown = "019a93b9-f380-7600-98ff-0000deadbeef";
    let (kind, message) = json_error(home.path(), &["show", unknown, "--json"], 1);
    assert_eq!(kind, "not_found");
    assert!(message.contains(unknown), "{message}");
    let (kind, _) = json_error(home.path(), &["forget", unknown, "--json"], 1);
    assert_eq!(kind, "not_found");
    // A usage error clap finds, and one the command finds.
    let (kind, message) = json_error(home.path(), &["show", "not-a-uuid", "--json"], 2);
    assert_eq!(kind, "usage");
    assert!(message.contains("not-a-uuid"), "{message}");
    let (kind, message) = json_error(home.path(), &["clear", "--json"], 2);
    assert_eq!(kind, "usage");
    assert!(message.contains("--yes"), "{message}");
    // A damaged database.
    let memories = home.path().join("codex-memories/memories_1.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", memories.display());
        std::fs::remove_file(path).ok();
    }
    std::fs::write(&memories, b"not a database at all, only text").unwrap();
    for args in [
        &["status", "--json"][..],
        &["run", "--json"],
        &["extract", "--json"],
    ] {
        let (kind, message) = json_error(home.path(), args, 1);
        assert_eq!(kind, "corrupt_database", "{args:?}");
        assert!(message.contains("mv "), "{message}");
    }
    // Without --json, stdout stays empty and the exit code is the same.
    let output = run(home.path(), &["status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}

/// A rollout whose user message carries escape sequences (colour, clear screen, window title).
const HOSTILE: &str = "fix the \u{1b}[31mbuild\u{1b}[0m\u{1b}]0;owned\u{7}\u{1b}[2J now";

#[test]
fn show_and_logs_strip_escape_sequences_that_came_from_sessions() {
    let home = example_home();
    let rollout = controls_common::rollout_of(home.path(), controls_common::RUST_THREAD);
    let text = std::fs::read_to_string(&rollout).unwrap();
    let first_message = text
        .lines()
        .find_map(|line| {
            let json: Value = serde_json::from_str(line).ok()?;
            (json["payload"]["type"] == "user_message")
                .then(|| json["payload"]["message"].as_str().unwrap().to_string())
        })
        .unwrap();
    // The message as it is written inside the JSON line (escaped, without its quotes).
    let escaped = |text: &str| {
        let quoted = serde_json::to_string(text).unwrap();
        quoted[1..quoted.len() - 1].to_string()
    };
    let rewritten = text.replace(&escaped(&first_message), &escaped(HOSTILE));
    assert_ne!(rewritten, text);
    std::fs::write(&rollout, rewritten).unwrap();
    controls_common::set_mtime(
        &rollout,
        std::time::SystemTime::now() - controls_common::DAY,
    );
    offline_run(home.path());
    let shown = run(home.path(), &["show", controls_common::RUST_THREAD]);
    assert!(shown.status.success());
    // The title is the first message, shown without its escape sequences.
    let printed = String::from_utf8_lossy(&shown.stdout);
    assert!(printed.contains("fix the build now"), "{printed}");
    let json = run_ok(
        home.path(),
        &["show", controls_common::RUST_THREAD, "--json"],
    );
    assert!(json.contains("\\u001b[31m"), "{json}");
    assert!(
        !shown.stdout.contains(&0x1b),
        "{:?}",
        String::from_utf8_lossy(&shown.stdout)
    );
    assert!(!shown.stdout.contains(&0x07));

    // A log row whose body carries the same sequences.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let homes = Homes::under_codex_home(home.path());
        let store = LogStore::open(&homes.logs_db_path(), Arc::new(SystemClock))
            .await
            .unwrap();
        store
            .insert(&[LogEntry {
                ts: chrono::Utc::now().timestamp(),
                ts_nanos: 0,
                level: LogLevel::Warn,
                target: "test".into(),
                body: format!("tool output: {HOSTILE}"),
                thread_id: None,
                process_uuid: "p".into(),
                module_path: None,
                file: None,
                line: None,
            }])
            .await
            .unwrap();
        store.close().await;
        let _ = StateRuntime::open(homes).await.unwrap();
    });
    let logs = run(home.path(), &["logs", "--search", "tool output"]);
    assert!(logs.status.success());
    let printed = String::from_utf8_lossy(&logs.stdout);
    assert!(
        printed.contains("tool output: fix the build now"),
        "{printed}"
    );
    assert!(!logs.stdout.contains(&0x1b), "{printed:?}");
    // JSON keeps the text as it was (escaped by JSON itself).
    let json = run_ok(home.path(), &["logs", "--search", "tool output", "--json"]);
    assert!(json.contains("\\u001b[31m"), "{json}");
}
