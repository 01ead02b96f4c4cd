//! A session folder that vanishes (moved away, unmounted) is not an empty home: `run` keeps the
//! memory byte for byte and warns, `status` explains, and moving the folder back re-extracts
//! nothing. Driven as real processes on a copy of the example home.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use controls_common::{example_home, files_under, offline_run, run, run_ok};
use pretty_assertions::assert_eq;

/// Every file under the memory folder (`.git` included) with its bytes.
fn snapshot(memory_root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(memory_root)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

#[test]
fn a_vanished_sessions_folder_keeps_the_memory_byte_for_byte_and_status_explains() {
    let home = example_home();
    let memory_root = home.path().join("memories");
    let first = offline_run(home.path());
    assert!(first.contains("memories stored"), "{first}");
    let before = snapshot(&memory_root);
    assert!(!before.is_empty());

    let sessions = home.path().join("sessions");
    let away = home.path().join("sessions.away");
    std::fs::rename(&sessions, &away).unwrap();

    let output = run(
        home.path(),
        &["run", "--provider", "offline", "--consolidator", "offline"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "run failed: {stderr}");
    // A forced consolidation would rewrite the folder from the stored memories: they are all kept.
    run_ok(
        home.path(),
        &["consolidate", "--force", "--consolidator", "offline"],
    );
    assert_eq!(snapshot(&memory_root), before);
    assert!(
        stderr.contains(&format!(
            "warning: cannot read the session folder {}: No such file or directory (os error 2)",
            sessions.display()
        )),
        "{stderr}"
    );

    let status = run_ok(home.path(), &["status"]);
    assert!(
        status.contains(&format!(
            "sessions: cannot read the session folder {}",
            sessions.display()
        )) && status.contains("indexed session(s) and their memories are kept until it is back"),
        "{status}"
    );

    std::fs::rename(&away, &sessions).unwrap();
    let back = offline_run(home.path());
    assert!(
        back.contains("extract: 0 claimed") && back.contains("already extracted"),
        "{back}"
    );
    assert!(
        !run_ok(home.path(), &["status"]).contains("sessions: "),
        "status still warns after the folder is back"
    );
}

#[test]
fn index_holds_back_a_mass_removal_until_it_is_allowed() {
    let home = example_home();
    run_ok(home.path(), &["index"]);
    for path in files_under(&home.path().join("sessions")) {
        std::fs::remove_file(path).unwrap();
    }

    let output = run(home.path(), &["index"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("indexed session(s) are gone")
            && stderr.contains("codex-memories index --allow-mass-removal"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0 removed"), "{stdout}");

    let allowed = run_ok(home.path(), &["index", "--allow-mass-removal"]);
    assert!(!allowed.contains(" 0 removed"), "{allowed}");
    let threads = run_ok(home.path(), &["threads", "--json"]);
    let threads: serde_json::Value = serde_json::from_str(&threads).unwrap();
    assert_eq!(
        threads.as_array().unwrap().len(),
        1,
        "only the archived one"
    );
}
