//! `workspace`: the phase-2 diff of a memory folder of 10 000 small Markdown files in nested
//! folders with one file changed since the baseline, beside the git CLI's
//! `git status --porcelain && git diff` on the same folder (both best of 5, alternating, warm
//! cache). Also reports how long a baseline reset of that folder takes (no baseline, no target),
//! and what a consolidation's staging copy costs: copying the folder (best of 3), and the diff of
//! the copy (which trusts the live index carried over; best of 5 per copy), beside the diff in
//! place.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, ensure};
use codex_memories::workspace::{MemoryWorkspace, StagedWorkspace};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::Rng;

/// Files in the memory folder (full run / quick run).
const FULL_FILES: usize = 10_000;
const QUICK_FILES: usize = 1_000;
/// Timed repetitions of each side (after one warm-up); the best one counts.
const RUNS: usize = 5;
/// Timed staging copies (each writes the whole folder again); the best one counts.
const STAGING_RUNS: usize = 3;
/// Top-level folders, and sub-folders in each.
const TOP_FOLDERS: usize = 25;
const SUB_FOLDERS: usize = 8;
/// File sizes, in bytes.
const MIN_FILE_BYTES: u64 = 1024;
const MAX_FILE_BYTES: u64 = 4096;

/// Measures `MemoryWorkspace::diff` against the git CLI.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let files = if options.quick {
        QUICK_FILES
    } else {
        FULL_FILES
    };
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("memories");
    let changed = write_folder(&root, files)?;

    let (workspace, _) = MemoryWorkspace::prepare(&root, chrono::Utc::now())?;
    let start = Instant::now();
    workspace.reset_baseline(chrono::Utc::now())?;
    let reset_seconds = start.elapsed().as_secs_f64();

    let original = std::fs::read_to_string(&changed)?;
    let edited = original.replacen('\n', "\nA line added after the baseline.\n", 2);
    std::fs::write(&changed, edited)?;

    let label = format!("workspace: diff of {files} files, 1 changed");
    let git_present = git_installed();
    // Rounds alternate ours and git, after one untimed warm-up round of each, so a burst of load
    // on a shared machine hits both sides alike.
    let mut ours_seconds = f64::INFINITY;
    let mut git_seconds = f64::INFINITY;
    for round in 0..=RUNS {
        let start = Instant::now();
        let diff = workspace.diff()?;
        let elapsed = start.elapsed().as_secs_f64();
        ensure!(
            diff.changes.len() == 1,
            "expected one change, got {}",
            diff.changes.len()
        );
        if round > 0 {
            ours_seconds = ours_seconds.min(elapsed);
        }
        if git_present {
            let start = Instant::now();
            let status = git(&root, &["status", "--porcelain"])?;
            let diff = git(&root, &["diff"])?;
            let elapsed = start.elapsed().as_secs_f64();
            ensure!(status.lines().count() == 1, "git status saw: {status}");
            ensure!(diff.contains("A line added"), "git diff saw: {diff}");
            if round > 0 {
                git_seconds = git_seconds.min(elapsed);
            }
        }
    }

    let mut rows = Vec::new();
    if git_present {
        rows.push(
            Row::new(label, ours_seconds * 1e3, "ms")
                .baseline(git_seconds * 1e3, "git status --porcelain && git diff")
                .target_ratio(1.0, Better::Lower),
        );
    } else {
        rows.push(Row::new(
            format!("{label} (git CLI not installed: no baseline)"),
            ours_seconds * 1e3,
            "ms",
        ));
    }
    rows.push(Row::new(
        format!("workspace: baseline reset of {files} files"),
        reset_seconds * 1e3,
        "ms",
    ));

    // A consolidation's staging copy: copy the folder, diff the copy, discard it.
    let mut copy_seconds = f64::INFINITY;
    let mut staged_diff_seconds = f64::INFINITY;
    for _ in 0..STAGING_RUNS {
        let start = Instant::now();
        let (staged, stage) = StagedWorkspace::begin(&root, chrono::Utc::now())?;
        copy_seconds = copy_seconds.min(start.elapsed().as_secs_f64());
        ensure!(stage.files_copied == files, "copied {}", stage.files_copied);
        // Timed like the diff in place: best of several, the copy's writes settled first.
        for _ in 0..RUNS {
            let start = Instant::now();
            let diff = staged.diff()?;
            staged_diff_seconds = staged_diff_seconds.min(start.elapsed().as_secs_f64());
            ensure!(
                diff.changes.len() == 1,
                "the staged diff saw {} changes",
                diff.changes.len()
            );
        }
        staged.discard();
    }
    rows.push(Row::new(
        format!("workspace: staging copy of {files} files (per consolidation)"),
        copy_seconds * 1e3,
        "ms",
    ));
    rows.push(
        Row::new(
            format!("workspace: diff of the staging copy of {files} files, 1 changed"),
            staged_diff_seconds * 1e3,
            "ms",
        )
        .baseline(ours_seconds * 1e3, "the same diff in the live folder")
        .target_ratio(1.1, Better::Lower),
    );
    Ok(rows)
}

/// Writes `files` Markdown files of 1–4 KB under `root`; returns one of them to change later.
fn write_folder(root: &Path, files: usize) -> anyhow::Result<std::path::PathBuf> {
    let mut rng = Rng::new(11);
    let mut chosen = None;
    for index in 0..files {
        let folder = root
            .join(format!("topic-{:02}", index % TOP_FOLDERS))
            .join(format!("part-{}", (index / TOP_FOLDERS) % SUB_FOLDERS));
        std::fs::create_dir_all(&folder)?;
        let path = folder.join(format!("note-{index:05}.md"));
        let size = rng.range(MIN_FILE_BYTES, MAX_FILE_BYTES);
        let mut text = format!("# Note {index}\n\n");
        while (text.len() as u64) < size {
            let line = rng.next_u64();
            text.push_str(&format!(
                "- fact {line:016x}: the build of crate {} passed after {} retries\n",
                line % 97,
                line % 7
            ));
        }
        std::fs::write(&path, text)?;
        if index == files / 2 {
            chosen = Some(path);
        }
    }
    chosen.context("no files written")
}

fn git_installed() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs `git args` in `root` and returns its standard output.
fn git(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("cannot run git {args:?}"))?;
    ensure!(
        output.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
