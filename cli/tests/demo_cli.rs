//! `codex-memories demo` run as a real process: the offline pipeline on the built-in example
//! sessions prints the memory folder it produced, and `--keep` leaves a home whose memory folder
//! is committed and clean.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::process::{Command, Output};

use pretty_assertions::assert_eq;

mod test_binary;
use test_binary::binary;

fn demo(extra: &[&Path]) -> Output {
    // The demo never touches the real homes; the environment still points elsewhere, to be sure.
    let scratch = tempfile::tempdir().unwrap();
    let output = binary()
        .env_remove("OPENAI_API_KEY")
        .env("CODEX_HOME", scratch.path().join("home"))
        .env("CODEX_MEMORIES_SQLITE_HOME", scratch.path().join("sqlite"))
        .arg("demo")
        .args(
            extra
                .iter()
                .flat_map(|path| ["--keep".as_ref(), path.as_os_str()]),
        )
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The lines after the `memory folder …:` heading up to the next blank line, trimmed.
fn tree_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|line| !line.starts_with("memory folder "))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| line.trim().to_string())
        .collect()
}

fn summary_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|line| !line.starts_with("memory_summary.md (first"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| line.trim().to_string())
        .collect()
}

#[test]
fn demo_prints_the_memory_folder_and_a_v1_summary() {
    let output = demo(&[]);
    let stdout = String::from_utf8(output.stdout).unwrap();

    let tree = tree_lines(&stdout);
    for name in ["MEMORY.md", "memory_summary.md", "raw_memories.md"] {
        assert!(
            tree.iter()
                .any(|line| line.starts_with(&format!("{name} ("))),
            "{name} is listed in the tree:\n{stdout}"
        );
    }
    let summaries = tree
        .iter()
        .skip_while(|line| *line != "rollout_summaries/")
        .skip(1)
        .take_while(|line| line.ends_with(" bytes)") && line.contains(".md ("))
        .count();
    assert!(summaries > 0, "rollout_summaries/ has entries:\n{stdout}");
    assert!(
        !tree
            .iter()
            .any(|line| line.starts_with("phase2_workspace_diff.md")),
        "the diff file is gone after the run:\n{stdout}"
    );
    assert_eq!(
        summary_lines(&stdout).first().map(String::as_str),
        Some("v1"),
        "the summary starts with v1:\n{stdout}"
    );
}

#[test]
fn demo_keep_leaves_a_committed_clean_memory_folder() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("demo-home");

    demo(&[&home]);

    let memories = home.join("memories");
    let summary = std::fs::read_to_string(memories.join("memory_summary.md")).unwrap();
    assert_eq!(summary.lines().next(), Some("v1"));
    assert!(memories.join("MEMORY.md").is_file());
    let git_installed = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !git_installed {
        eprintln!("git is not installed; skipping the `git status` check");
        return;
    }
    let status = Command::new("git")
        .arg("-C")
        .arg(&memories)
        .args(["status", "--porcelain"])
        .output()
        .unwrap();
    assert!(status.status.success());
    assert_eq!(String::from_utf8(status.stdout).unwrap(), "");
}
