//! A session's version comes from its content: touching its file, copying the home without
//! keeping times (`cp -r`), or restoring it from a backup re-extracts nothing, while a turn
//! appended to it does. Driven as real processes on a copy of the example home, offline (a claimed
//! session is what would cost a model request).

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use controls_common::{RUST_THREAD, example_home, files_under, offline_run, rollout_of, set_mtime};

/// `cp -r` without `-p`: new inodes, ctimes and mtimes for every file.
fn copy_without_times(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn touching_or_copying_rollouts_extracts_nothing_but_an_appended_turn_does() {
    let home = example_home();
    let first = offline_run(home.path());
    assert!(first.contains("memories stored"), "{first}");

    // `touch` every session file, 7 hours ago: past the idle window, so only the version
    // decides whether a session is extracted again.
    let seven_hours_ago = SystemTime::now() - Duration::from_secs(7 * 3600);
    for path in files_under(&home.path().join("sessions")) {
        set_mtime(&path, seven_hours_ago);
    }
    let touched = offline_run(home.path());
    assert!(touched.contains("extract: 0 claimed"), "{touched}");

    // The whole home copied without -p (or restored from a backup that does not keep times).
    let copies = tempfile::tempdir().unwrap();
    let copy = copies.path().join("codex-home");
    copy_without_times(home.path(), &copy);
    for path in files_under(&copy.join("sessions")) {
        set_mtime(&path, seven_hours_ago);
    }
    let copied = offline_run(&copy);
    assert!(copied.contains("extract: 0 claimed"), "{copied}");

    // One more turn, finished 7 hours ago (idle long enough): that session alone is new work.
    let rollout = rollout_of(&copy, RUST_THREAD);
    let at = chrono::DateTime::<chrono::Utc>::from(seven_hours_ago)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let turn = serde_json::json!({"timestamp": at, "type": "event_msg",
        "payload": {"type": "user_message", "message": "also run clippy on the tests"}});
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&rollout)
        .unwrap();
    writeln!(file, "{turn}").unwrap();
    drop(file);
    let appended = offline_run(&copy);
    assert!(appended.contains("extract: 1 claimed"), "{appended}");
}
