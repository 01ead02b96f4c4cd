//! `status` and `run` on a real home explain, in plain words, an idle-rule skip (a session
//! modified just now) and a cooldown skip (a second run within 6 h of a consolidation).

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::time::SystemTime;

use controls_common::{
    RUST_THREAD, example_home, finish_session_at, offline_run, rollout_of, run_json, run_ok,
};
use pretty_assertions::assert_eq;

#[test]
fn status_and_run_explain_a_too_fresh_session_and_the_cooldown() {
    let home = example_home();
    // One session is still being written: its last line is from now.
    finish_session_at(&rollout_of(home.path(), RUST_THREAD), SystemTime::now());

    let first = offline_run(home.path());
    assert!(first.contains("consolidate: "), "{first}");
    let second = offline_run(home.path());
    assert!(
        second.contains("session(s) still too fresh"),
        "the second run should say why the fresh session was not extracted:\n{second}"
    );
    assert!(
        second.contains("consolidated recently; next automatic consolidation after"),
        "the second run should name the cooldown:\n{second}"
    );

    let status = run_ok(home.path(), &["status"]);
    assert!(
        status.contains("1 session(s) are still too fresh: the next becomes eligible at"),
        "{status}"
    );
    assert!(status.contains("(min_rollout_idle_hours = 6)"), "{status}");
    assert!(
        status.contains("consolidation is cooling down until"),
        "{status}"
    );
    assert!(status.contains("baseline "), "{status}");
    assert!(status.contains("no uncommitted edits"), "{status}");

    let json = run_json(home.path(), &["status", "--json"]);
    assert_eq!(json["eligibility"]["too_fresh"], 1);
    let next = json["eligibility"]["next_eligible_at"].as_i64().unwrap();
    let now = json["memory"]["now"].as_i64().unwrap();
    assert!(next > now + 5 * 3600 && next <= now + 6 * 3600, "{json}");
    assert!(json["memory"]["phase2_cooldown_until"].as_i64().unwrap() > now);
    assert!(json["workspace"]["baseline_time"].is_i64());
    assert_eq!(
        json["workspace"]["uncommitted_changes"],
        serde_json::json!([])
    );
}

#[test]
fn status_reports_uncommitted_edits_and_a_missing_folder_without_creating_it() {
    let home = example_home();
    let status = run_ok(home.path(), &["status"]);
    assert!(status.contains("does not exist yet"), "{status}");
    assert!(!home.path().join("memories").exists());

    offline_run(home.path());
    std::fs::write(home.path().join("memories/MEMORY.md"), "edited by hand\n").unwrap();
    let status = run_ok(home.path(), &["status"]);
    assert!(status.contains("1 uncommitted edit(s)"), "{status}");
    assert!(status.contains("MEMORY.md"), "{status}");
}

#[test]
fn status_says_when_generation_is_turned_off() {
    let home = example_home();
    std::fs::write(
        home.path().join("config.toml"),
        "[memories]\ngenerate_memories = false\n",
    )
    .unwrap();
    let status = run_ok(home.path(), &["status"]);
    assert!(status.contains("generate_memories = false"), "{status}");
}
