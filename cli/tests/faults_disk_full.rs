//! Fault: the memory folder cannot be written during phase 2 — a full disk (a tiny tmpfs filled
//! up, when this machine lets the test mount one) or a path the run must write taken by a file
//! (which works for every user; chmod does not stop root). Phase 2 fails with a `failed_…`
//! reason, its job goes to backoff, the previous baseline commit is unchanged, the stage-1
//! outputs are untouched, and once space is back the next phase 2 succeeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use codex_memories::OfflineConsolidator;
use codex_memories::{Phase2Options, Phase2Outcome, run_phase2};
use codex_state::{
    Homes, ManualClock, MemoryStore, PHASE2_RETRY_DELAY_SECONDS, PHASE2_SUCCESS_COOLDOWN_SECONDS,
    StateRuntime,
};
use faults_support::{
    OFFLINE_RUN, assert_integrity, db_path, query, run_json, write_session, write_sessions,
};
use pretty_assertions::assert_eq;

/// Size of the tmpfs holding the memory folder.
const TMPFS_SIZE: &str = "4m";
/// Ballast is written in pieces of this size until the disk is full.
const BALLAST_CHUNK_BYTES: usize = 64 * 1024;

/// Unmounts the tmpfs when the test ends, however it ends.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        Command::new("umount").arg(&self.0).status().ok();
    }
}

fn try_mount_tmpfs(dir: &Path) -> Option<Mounted> {
    std::fs::create_dir_all(dir).unwrap();
    let status = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={TMPFS_SIZE}"), "tmpfs"])
        .arg(dir)
        .output()
        .ok()?;
    status.status.success().then(|| Mounted(dir.to_path_buf()))
}

fn head(memory_root: &Path) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(memory_root)
        .args(["rev-parse", "HEAD"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn stage1_rows(home: &Path) -> Vec<Vec<Option<String>>> {
    query(
        &db_path(home, "memories_1.sqlite"),
        "SELECT thread_id, source_updated_at, raw_memory, rollout_summary, selected_for_phase2, \
         selected_for_phase2_source_updated_at FROM stage1_outputs ORDER BY thread_id",
    )
}

/// A first consolidation (the baseline), then new sessions extracted, so the next phase 2 has
/// work to write.
fn baseline_then_new_work(home: &Path) {
    write_sessions(home, 3);
    let first = run_json(home, OFFLINE_RUN);
    assert_eq!(
        first["phase2"]["outcome"]["outcome"], "consolidated",
        "{first:#}"
    );
    for n in 10..13 {
        write_session(
            home,
            n,
            &format!(
                "Task {n}: document the release process of crate-{n}; I prefer cargo-release."
            ),
            &format!(r#"{{"command":["bash","-lc","cargo release --dry-run -p crate-{n}"]}}"#),
            &format!("dry run of crate-{n} ok; version bumped to 0.{n}.0"),
        );
    }
    let extract = run_json(home, &["extract", "--provider", "offline", "--json"]);
    assert_eq!(extract["extract"]["succeeded"], 3, "{extract:#}");
}

/// Runs phase 2 through the library with the clock `after_seconds` past now.
fn phase2_at(home: &Path, after_seconds: i64) -> Phase2Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let now = chrono::Utc::now() + chrono::Duration::seconds(after_seconds);
        let clock = Arc::new(ManualClock::new(now));
        let state = StateRuntime::open_with_clock(Homes::under_codex_home(home), clock)
            .await
            .unwrap();
        let store = MemoryStore::open(&state).await.unwrap();
        let report = run_phase2(
            &store,
            &home.join("memories"),
            &OfflineConsolidator,
            &Phase2Options::default(),
            now,
        )
        .await
        .unwrap();
        store.close().await;
        state.close().await;
        report.outcome
    })
}

/// The shared body: `sabotage` makes the memory folder unwritable, `restore` undoes it.
fn failed_write_keeps_baseline_and_db(
    home: &Path,
    sabotage: impl FnOnce(&Path),
    restore: impl FnOnce(&Path),
) {
    baseline_then_new_work(home);
    let memory_root = home.join("memories");
    let baseline = head(&memory_root);
    assert_eq!(baseline.len(), 40, "no baseline commit");
    let outputs = stage1_rows(home);

    sabotage(&memory_root);
    let after_cooldown = PHASE2_SUCCESS_COOLDOWN_SECONDS + 60;
    let outcome = phase2_at(home, after_cooldown);
    let Phase2Outcome::Failed { reason } = &outcome else {
        panic!("phase 2 did not fail: {outcome:#?}");
    };
    println!("phase 2 failed as expected: {reason}");
    assert!(reason.starts_with("failed_"), "{reason}");

    let job = query(
        &db_path(home, "memories_1.sqlite"),
        "SELECT status, last_error IS NOT NULL, retry_at > finished_at FROM jobs \
         WHERE kind = 'memory_consolidate_global'",
    );
    assert_eq!(
        job,
        vec![vec![
            Some("error".to_string()),
            Some("1".to_string()),
            Some("1".to_string())
        ]]
    );
    assert_eq!(head(&memory_root), baseline, "the baseline moved");
    assert_eq!(stage1_rows(home), outputs, "stage-1 outputs changed");
    assert_integrity(home);

    restore(&memory_root);
    let later = after_cooldown + PHASE2_RETRY_DELAY_SECONDS + 60;
    let outcome = phase2_at(home, later);
    assert!(
        matches!(outcome, Phase2Outcome::Consolidated { .. }),
        "{outcome:#?}"
    );
    assert_ne!(head(&memory_root), baseline);
}

#[test]
fn full_disk_under_the_memory_folder_keeps_the_baseline_and_the_database() {
    let home = tempfile::tempdir().unwrap();
    // The memory folder is a link into the tiny file system, so phase 2's staging copy (made
    // beside the folder it links to) lands on the full disk too. A mount point at the memory
    // folder itself is refused by phase 2 (see the test below).
    let volume = home.path().join("volume");
    let Some(_mounted) = try_mount_tmpfs(&volume) else {
        println!("notice: cannot mount a tmpfs here (not root, or no mount); skipping");
        return;
    };
    std::fs::create_dir(volume.join("memories")).unwrap();
    std::os::unix::fs::symlink(volume.join("memories"), home.path().join("memories")).unwrap();
    let ballast = |root: &Path| root.join(".git/ballast");
    failed_write_keeps_baseline_and_db(
        home.path(),
        |root| {
            let mut file = std::fs::File::create(ballast(root)).unwrap();
            let chunk = vec![0u8; BALLAST_CHUNK_BYTES];
            while file.write_all(&chunk).is_ok() {}
            // Whatever is left is smaller than a chunk; take it too, byte by byte in small steps.
            while file.write_all(&chunk[..512]).is_ok() {}
        },
        |root| std::fs::remove_file(ballast(root)).unwrap(),
    );
}

#[test]
fn unwritable_path_in_the_memory_folder_keeps_the_baseline_and_the_database() {
    let home = tempfile::tempdir().unwrap();
    let blocked = |root: &Path| root.join("rollout_summaries");
    failed_write_keeps_baseline_and_db(
        home.path(),
        |root| {
            // A file where phase 2 must create a directory: the write fails for root as well.
            let dir = blocked(root);
            if dir.is_dir() {
                std::fs::remove_dir_all(&dir).unwrap();
            }
            std::fs::write(&dir, "not a directory").unwrap();
        },
        |root| std::fs::remove_file(blocked(root)).unwrap(),
    );
}

#[test]
fn a_memory_folder_that_is_a_mount_point_is_refused_with_the_way_out() {
    let home = tempfile::tempdir().unwrap();
    let Some(_mounted) = try_mount_tmpfs(&home.path().join("memories")) else {
        println!("notice: cannot mount a tmpfs here (not root, or no mount); skipping");
        return;
    };
    write_sessions(home.path(), 2);
    let output = faults_support::run(home.path(), OFFLINE_RUN);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reason = report["phase2"]["outcome"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.starts_with("failed_prepare_workspace: ") && reason.contains("is a mount point"),
        "{report:#}"
    );
    assert!(reason.contains("symbolic link"), "{reason}");
    assert_eq!(
        std::fs::read_dir(home.path().join("memories"))
            .unwrap()
            .count(),
        0,
        "nothing was written into it"
    );
}
