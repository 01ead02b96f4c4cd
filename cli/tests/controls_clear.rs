//! `clear` on a real home: refused without `--yes` when standard input is not a terminal; with
//! it, every memory row and the folder's contents go while the folder stays; a symlinked folder
//! is refused untouched.

#![allow(clippy::unwrap_used)]

mod controls_common;

use controls_common::{
    PYTHON_THREAD, RUST_THREAD, example_home, offline_run, run, run_json, run_ok,
};
use pretty_assertions::assert_eq;

#[test]
fn clear_needs_yes_without_a_terminal_then_empties_the_folder_and_the_rows() {
    let home = example_home();
    offline_run(home.path());
    let memories = home.path().join("memories");

    let refused = run(home.path(), &["clear"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--yes"));
    assert!(memories.join("MEMORY.md").exists());

    let report = run_json(home.path(), &["clear", "--yes", "--json"]);
    assert!(
        report["entries_removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == ".git")
    );
    assert!(memories.is_dir());
    assert_eq!(std::fs::read_dir(&memories).unwrap().count(), 0);
    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["stage1_output"], serde_json::Value::Null);
    let status = run_json(home.path(), &["status", "--json"]);
    assert_eq!(status["memory"]["outputs"], 0);
    assert_eq!(status["memory"]["phase2"], serde_json::Value::Null);
}

#[test]
fn clear_refuses_a_symlinked_memory_folder() {
    let home = example_home();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("MEMORY.md"), "keep me").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), home.path().join("memories")).unwrap();
    let output = run(home.path(), &["clear", "--yes"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("symbolic link"));
    assert!(elsewhere.path().join("MEMORY.md").exists());
    let _ = run_ok(home.path(), &["status"]);
}

#[test]
fn clear_leaves_threads_disabled_until_enable_cleared() {
    let home = example_home();
    offline_run(home.path());
    let report = run_json(home.path(), &["clear", "--yes", "--json"]);
    let indexed = report["threads_disabled"].as_u64().unwrap();
    assert!(indexed >= 2, "{report}");
    for thread in [RUST_THREAD, PYTHON_THREAD] {
        let shown = run_json(home.path(), &["show", thread, "--json"]);
        assert_eq!(shown["memory_mode"], "disabled", "{thread}");
    }

    // The next run extracts nothing again.
    offline_run(home.path());
    let status = run_json(home.path(), &["status", "--json"]);
    assert_eq!(status["memory"]["outputs"], 0);

    // A thread forgotten before `clear` stays disabled after `enable --cleared`.
    let home = example_home();
    offline_run(home.path());
    run_ok(
        home.path(),
        &[
            "forget",
            PYTHON_THREAD,
            "--provider",
            "offline",
            "--consolidator",
            "offline",
        ],
    );
    let out = run_ok(home.path(), &["clear", "--yes"]);
    let disabled = indexed - 1;
    assert!(
        out.contains(&format!("{disabled} threads disabled")),
        "{out}"
    );
    assert!(out.contains("enable --cleared"), "{out}");
    let out = run_ok(home.path(), &["enable", "--cleared"]);
    assert!(
        out.contains(&format!(
            "{disabled} threads disabled by `clear` enabled again"
        )),
        "{out}"
    );
    offline_run(home.path());
    let rust = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(rust["memory_mode"], "enabled");
    assert!(rust["stage1_output"]["raw_memory"].is_string());
    let python = run_json(home.path(), &["show", PYTHON_THREAD, "--json"]);
    assert_eq!(python["memory_mode"], "disabled");
    assert_eq!(python["stage1_output"], serde_json::Value::Null);
}
