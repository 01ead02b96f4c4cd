//! Phase 2 as a transaction, at library level on real SQLite files and real git workspaces: the
//! consolidator works on a staging copy, so a failure, a refused budget or a hand edit made
//! meanwhile leave the live folder byte for byte as it was; a note added meanwhile is kept and is
//! new to the next consolidation; and what an interrupted run leaves beside the folder (a
//! half-done swap, a staging copy) is repaired by `prepare` and by the next run. `kill -9` at any
//! point is covered with real processes in `cli/tests/faults_staging.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use codex_memories::Phase2Outcome;
use codex_memories::memory_tools::add_note;
use codex_memories::provider::{ApiKey, OpenAiClient, ProviderConfig, ProviderKind, RetryPolicy};
use codex_memories::workspace::{ChangeKind, MemoryWorkspace, StagedWorkspace};
use codex_memories::{
    AgentConsolidator, ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError,
    OfflineConsolidator,
};
use codex_memories::{BudgetedClient, RunBudget};
use codex_memories::{DIFF_FILE_NAME, MEMORY_FILE};
use codex_state::JobStatus;
use pretty_assertions::assert_eq;
use serde_json::json;

mod phase2_support;
use phase2_support::*;

/// A consolidator that leaves a note in the live folder through the memory tools (as an MCP
/// client would) while it works, then consolidates offline.
struct NoteWriter {
    live_root: std::path::PathBuf,
}

#[async_trait::async_trait]
impl Consolidator for NoteWriter {
    fn name(&self) -> &str {
        "note-writer"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        assert_ne!(job.memory_root, self.live_root, "works on a staging copy");
        let root = self.live_root.clone();
        tokio::task::spawn_blocking(move || {
            add_note(
                &root,
                "Deploy days",
                "Deploys happen on Tuesdays only.",
                "2026-05-21T09:30:05Z".parse().unwrap(),
            )
        })
        .await
        .unwrap()
        .unwrap();
        OfflineConsolidator.consolidate(job).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_note_added_while_consolidating_is_kept_and_new_to_the_next_consolidation() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    let note = "extensions/ad_hoc/notes/2026-05-21T09-30-05-deploy-days.md";

    let report = fixture
        .run(&NoteWriter {
            live_root: fixture.root(),
        })
        .await;

    assert_eq!(outcome_name(&report.outcome), "consolidated");
    assert_eq!(report.notes_carried, vec![note.to_string()]);
    let root = fixture.root();
    assert!(root.join(note).is_file(), "the note is kept");
    let memory = std::fs::read_to_string(root.join(MEMORY_FILE)).unwrap();
    assert!(
        !memory.contains("Tuesdays"),
        "not consolidated yet: {memory}"
    );
    // Outside the new baseline: the next consolidation sees it as new and folds it in.
    let workspace = MemoryWorkspace::open_existing(&root).unwrap();
    let pending: Vec<(String, ChangeKind)> = workspace
        .diff()
        .unwrap()
        .changes
        .into_iter()
        .map(|change| (change.path, change.kind))
        .collect();
    assert_eq!(pending, vec![(note.to_string(), ChangeKind::Added)]);
    let next = fixture.run(&OfflineConsolidator).await;
    assert_eq!(outcome_name(&next.outcome), "consolidated");
    assert_eq!(next.changed_files, vec![note.to_string()]);
    let memory = std::fs::read_to_string(root.join(MEMORY_FILE)).unwrap();
    assert!(
        memory.contains("Deploys happen on Tuesdays only."),
        "{memory}"
    );
    assert_eq!(leftovers(&root), Vec::<String>::new());
}

/// A consolidator during whose run the user edits MEMORY.md in the live folder by hand.
struct HandEdit {
    live_root: std::path::PathBuf,
}

#[async_trait::async_trait]
impl Consolidator for HandEdit {
    fn name(&self) -> &str {
        "hand-edit"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        std::fs::write(self.live_root.join(MEMORY_FILE), "# My own words\n").unwrap();
        OfflineConsolidator.consolidate(job).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hand_edit_made_while_consolidating_is_kept_and_the_run_is_not_applied() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&OfflineConsolidator).await;
    fixture.thread("beta").await;
    let before = fixture.baseline();

    let report = fixture
        .run(&HandEdit {
            live_root: fixture.root(),
        })
        .await;

    let Phase2Outcome::Failed { reason } = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome);
    };
    assert!(
        reason.starts_with("failed_commit: ") && reason.contains("(MEMORY.md)"),
        "{reason}"
    );
    let root = fixture.root();
    assert_eq!(
        std::fs::read_to_string(root.join(MEMORY_FILE)).unwrap(),
        "# My own words\n"
    );
    assert_eq!(fixture.baseline(), before);
    assert!(!root.join(DIFF_FILE_NAME).exists());
    assert_eq!(leftovers(&root), Vec::<String>::new());
    assert_eq!(fixture.phase2_job().await.status, JobStatus::Error);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consolidation_stopped_by_the_run_budget_leaves_the_folder_byte_identical() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&OfflineConsolidator).await;
    fixture.thread("beta").await;
    let before = snapshot(&fixture.root());
    let server = scripted_server(vec![
        tool_turn(&[(
            "c1",
            "write_file",
            json!({"path": MEMORY_FILE, "content": "# Half done\n"}),
        )]),
        final_turn("never reached"),
    ])
    .await;
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(format!("{}/v1", server.uri())))
        .with_model(Some("gpt-test".into()));
    let client = OpenAiClient::new(&config, ApiKey::new("sk-test-0123456789abcdef"))
        .unwrap()
        .with_retry_policy(RetryPolicy::fast());
    // One request: the agent writes MEMORY.md in its copy, then the budget refuses the next.
    let budget = Arc::new(RunBudget::new(Some(1), None));
    let agent = AgentConsolidator::new(
        Arc::new(BudgetedClient::new(Arc::new(client), budget)),
        None,
    );

    let report = fixture.run(&agent).await;

    let Phase2Outcome::Failed { reason } = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome);
    };
    assert!(reason.starts_with("failed_agent: "), "{reason}");
    assert_eq!(snapshot(&fixture.root()), before);
    assert_eq!(leftovers(&fixture.root()), Vec::<String>::new());
}

/// Simulates a crash between the two renames of a swap: the live folder moved aside, a staging
/// folder beside it, no live folder.
fn crash_between_renames(root: &std::path::Path) {
    let parent = root.parent().unwrap();
    std::fs::rename(root, parent.join(".memories.phase2-retired-1-2-3")).unwrap();
    let staging = parent.join(".memories.phase2-staging-1-2-4");
    std::fs::create_dir(&staging).unwrap();
    std::fs::write(staging.join(MEMORY_FILE), "# the new folder, uncommitted\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_between_the_two_renames_of_a_swap_is_repaired_by_prepare() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&OfflineConsolidator).await;
    let root = fixture.root();
    let before = snapshot(&root);
    crash_between_renames(&root);
    assert!(!root.exists());

    let (_, prepared) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();

    assert_eq!(prepared.initialized, false);
    assert_eq!(snapshot(&root), before);
    assert_eq!(leftovers(&root), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_run_repairs_a_half_done_swap_and_removes_leftover_copies() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&OfflineConsolidator).await;
    let root = fixture.root();
    let before = snapshot(&root);
    crash_between_renames(&root);

    let report = fixture.run(&OfflineConsolidator).await;

    assert_eq!(outcome_name(&report.outcome), "no_changes");
    assert_eq!(snapshot(&root), before);
    assert_eq!(leftovers(&root), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unchanged_folder_is_never_copied() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&OfflineConsolidator).await;
    let root = fixture.root();
    let before = snapshot(&root);
    // A staging folder that cannot be created (a file in its place would do; a read-only
    // parent is simplest to check): the no-change path must not need one.
    let report = fixture.run(&OfflineConsolidator).await;
    assert_eq!(outcome_name(&report.outcome), "no_changes");
    assert_eq!(report.sync, None);
    assert_eq!(snapshot(&root), before);
}

#[test]
fn the_staged_diff_trusts_the_carried_stat_cache_and_still_sees_every_change() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    std::fs::create_dir_all(root.join("skills/a")).unwrap();
    for (path, text) in [
        ("MEMORY.md", "# Memory\n- one\n"),
        ("keep.md", "kept\n"),
        ("gone.md", "gone\n"),
        ("skills/a/SKILL.md", "same size\n"),
    ] {
        std::fs::write(root.join(path), text).unwrap();
    }
    let (workspace, _) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    let before = snapshot(&root);

    let (staged, stage) = StagedWorkspace::begin(&root, chrono::Utc::now()).unwrap();
    assert_eq!(stage.files_copied, 4);
    assert!(staged.diff().unwrap().is_empty());
    let copy = staged.root().to_path_buf();
    std::fs::write(copy.join("skills/a/SKILL.md"), "SAME SIZE\n").unwrap();
    std::fs::remove_file(copy.join("gone.md")).unwrap();
    std::fs::write(copy.join("new.md"), "new\n").unwrap();
    let changes: Vec<(String, ChangeKind)> = staged
        .diff()
        .unwrap()
        .changes
        .into_iter()
        .map(|change| (change.path, change.kind))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("gone.md".to_string(), ChangeKind::Deleted),
            ("new.md".to_string(), ChangeKind::Added),
            ("skills/a/SKILL.md".to_string(), ChangeKind::Modified),
        ]
    );
    assert_eq!(snapshot(&root), before, "staging writes nothing live");

    let committed = staged.commit().unwrap();
    assert_eq!(committed.notes_carried, Vec::<String>::new());
    assert!(!copy.exists());
    assert_eq!(
        std::fs::read_to_string(root.join("skills/a/SKILL.md")).unwrap(),
        "SAME SIZE\n"
    );
    assert!(!root.join("gone.md").exists());
    let workspace = MemoryWorkspace::open_existing(&root).unwrap();
    assert!(workspace.diff().unwrap().is_empty());
    assert_eq!(
        workspace.baseline().unwrap().unwrap().commit,
        committed.baseline.commit
    );
    assert_eq!(leftovers(&root), Vec::<String>::new());
}

#[test]
fn a_folder_without_a_usable_repository_is_staged_with_its_own_baseline() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join(".git/HEAD"), "garbage").unwrap();
    std::fs::write(root.join("MEMORY.md"), "# Memory\n").unwrap();
    let before = snapshot(&root);

    let (staged, stage) = StagedWorkspace::begin(&root, chrono::Utc::now()).unwrap();
    assert!(stage.recovered.is_some(), "{stage:?}");
    assert!(staged.diff().unwrap().is_empty());
    assert_eq!(
        snapshot(&root),
        before,
        "the broken repository is untouched"
    );
    std::fs::write(staged.root().join("MEMORY.md"), "# Memory v2\n").unwrap();
    staged.commit().unwrap();

    let workspace = MemoryWorkspace::open_existing(&root).unwrap();
    assert!(workspace.diff().unwrap().is_empty());
    let kept: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".git.corrupt-"))
        .collect();
    assert_eq!(
        kept.len(),
        1,
        "the unusable repository is kept for inspection"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(&kept[0]).join("HEAD")).unwrap(),
        "garbage"
    );
}
