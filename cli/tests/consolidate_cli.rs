//! `codex-memories consolidate` run as real processes on a home whose example sessions were
//! extracted offline: one run consolidates and commits, an unchanged rerun calls nothing, and two
//! concurrent runs consolidate exactly once between them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::process::{Command, Output, Stdio};

use pretty_assertions::assert_eq;
use serde_json::Value;

mod controls_common;
use controls_common::example_home;

fn bin(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_codex-memories"));
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
