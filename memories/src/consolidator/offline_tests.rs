use std::path::Path;

use pretty_assertions::assert_eq;

use super::*;
use crate::phase2::extensions::Note;
use crate::scope::{ProjectKey, project_slug};

const A: &str = "github.com/acme/a";
const B: &str = "github.com/acme/b";

fn input(id: &str, project: Option<&str>, updated: i64, memory: &str, slug: &str) -> ArtifactInput {
    ArtifactInput {
        thread_id: id.parse().unwrap(),
        source_updated_at: updated,
        raw_memory: memory.to_string(),
        rollout_summary: "s".to_string(),
        rollout_slug: Some(slug.to_string()),
        rollout_path: "/r.jsonl".to_string(),
        cwd: project.map_or(String::new(), |p| format!("/w/{p}")),
        git_branch: None,
        agent: codex_protocol::Agent::Codex,
        scope: project
            .and_then(ProjectKey::parse)
            .map_or(Scope::Global, Scope::Project),
    }
}

fn inputs() -> Vec<ArtifactInput> {
    vec![
        input(
            "019df1d4-69b8-78f7-9da1-494c73cf256d",
            Some(A),
            1_778_000_000,
            "scope: /w/a\n- user preference: \"always run clippy\"\n- user preference: \"use uv here, not pip\"\n- worked: `cargo test`",
            "fix-rounding",
        ),
        input(
            "019dfd4d-8810-7690-b372-969f7f65d54d",
            Some(A),
            1_778_100_000,
            "scope: /w/a\n- worked: `cargo test`\n- files changed: x.rs",
            "bump-tokio",
        ),
        input(
            "019e0853-df98-715a-8ba2-f285c9be7d01",
            Some(B),
            1_778_200_000,
            "- failed: `npm test` (exit 1): missing fixture\n- user preference: \"use poetry in this repo\"",
            "sticky-checkout",
        ),
        input(
            "019e0853-df98-715a-8ba2-f285c9be7d02",
            None,
            1_778_300_000,
            "- user preference: \"answer in short sentences\"",
            "greeting",
        ),
    ]
}

fn job(root: &Path, inputs: Vec<ArtifactInput>, notes: Vec<Note>) -> ConsolidationJob {
    ConsolidationJob {
        memory_root: root.to_path_buf(),
        prompt: String::new(),
        inputs,
        notes,
    }
}

fn read(root: &Path, path: &str) -> String {
    std::fs::read_to_string(root.join(path)).unwrap()
}

fn project_file(key: &str, name: &str) -> String {
    format!("{PROJECTS_DIR}/{}/{name}", project_slug(key))
}

#[tokio::test]
async fn each_project_gets_its_own_files_and_the_global_files_hold_only_what_holds_everywhere() {
    let root = tempfile::tempdir().unwrap();
    let notes = vec![Note {
        path: "extensions/ad_hoc/notes/n.md".to_string(),
        text: "Prefer tabs.".to_string(),
    }];
    let report = OfflineConsolidator
        .consolidate(&job(root.path(), inputs(), notes))
        .await
        .unwrap();
    let mut changed = report.files_changed.clone();
    changed.sort();
    let mut expected = vec![
        MEMORY_FILE.to_string(),
        SUMMARY_FILE.to_string(),
        project_file(A, "MEMORY.md"),
        project_file(A, "summary.md"),
        project_file(B, "MEMORY.md"),
        project_file(B, "summary.md"),
    ];
    expected.sort();
    assert_eq!(changed, expected);

    let memory = read(root.path(), MEMORY_FILE);
    assert!(memory.contains("> Prefer tabs."), "{memory}");
    assert!(memory.contains("### always run clippy"), "{memory}");
    assert!(memory.contains("said in github.com/acme/a ("), "{memory}");
    assert!(memory.contains("### answer in short sentences"), "{memory}");
    assert!(
        memory.contains("## Sessions outside any project"),
        "{memory}"
    );
    for project_only in [
        "use uv here",
        "poetry",
        "cargo test",
        "npm test",
        "bump tokio",
    ] {
        assert!(!memory.contains(project_only), "{project_only} in {memory}");
    }
    let summary = read(root.path(), SUMMARY_FILE);
    assert!(summary.starts_with("v1\n"));
    assert!(summary.contains("- user preference: \"always run clippy\""));
    assert!(
        summary.contains("2 project(s) have their own memories"),
        "{summary}"
    );
    assert!(
        !summary.contains("uv") && !summary.contains("poetry"),
        "{summary}"
    );

    let a_memory = read(root.path(), &project_file(A, "MEMORY.md"));
    assert!(a_memory.starts_with("# github.com/acme/a\n"), "{a_memory}");
    let bump = a_memory.find("### bump tokio").unwrap();
    let fix = a_memory.find("### fix rounding").unwrap();
    assert!(bump < fix, "newest first: {a_memory}");
    assert_eq!(a_memory.matches("- worked: `cargo test`").count(), 1);
    assert!(!a_memory.contains("poetry"));
    let a_summary = read(root.path(), &project_file(A, "summary.md"));
    assert_eq!(
        a_summary,
        format!(
            "# github.com/acme/a\n\n- user preference here: \"use uv here, not pip\"\n\
             - checks that worked: `cargo test`\n\
             - recent work: bump tokio (2026-05-06); fix rounding (2026-05-05)\n\
             Details: projects/{}/MEMORY.md\n",
            project_slug(A)
        )
    );
    let b_summary = read(root.path(), &project_file(B, "summary.md"));
    assert!(b_summary.contains("use poetry in this repo"), "{b_summary}");
    assert!(b_summary.contains("- failed before: `npm test` (exit 1): missing fixture"));
    assert!(!b_summary.contains("uv"), "{b_summary}");
}

#[tokio::test]
async fn a_preference_said_in_two_projects_moves_to_the_global_files() {
    let root = tempfile::tempdir().unwrap();
    let mut inputs = inputs();
    inputs[0]
        .raw_memory
        .push_str("\n- user preference: \"use ripgrep, not grep\"");
    inputs[2]
        .raw_memory
        .push_str("\n- user preference: \"use ripgrep, not grep\"");
    OfflineConsolidator
        .consolidate(&job(root.path(), inputs, vec![]))
        .await
        .unwrap();
    assert!(read(root.path(), SUMMARY_FILE).contains("use ripgrep, not grep"));
    assert!(!read(root.path(), &project_file(A, "summary.md")).contains("ripgrep"));
}

#[tokio::test]
async fn a_preference_narrowed_to_its_project_stays_there_when_two_projects_say_it() {
    let root = tempfile::tempdir().unwrap();
    let mut inputs = inputs();
    inputs[2]
        .raw_memory
        .push_str("\n- user preference: \"use uv here, not pip\"");
    OfflineConsolidator
        .consolidate(&job(root.path(), inputs, vec![]))
        .await
        .unwrap();
    assert!(!read(root.path(), SUMMARY_FILE).contains("use uv"));
    assert!(read(root.path(), &project_file(A, "summary.md")).contains("use uv here, not pip"));
    assert!(read(root.path(), &project_file(B, "summary.md")).contains("use uv here, not pip"));
}

#[tokio::test]
async fn a_persons_edits_outside_the_generated_section_survive_and_reruns_are_stable() {
    let root = tempfile::tempdir().unwrap();
    OfflineConsolidator
        .consolidate(&job(root.path(), inputs(), vec![]))
        .await
        .unwrap();
    let path = root.path().join(MEMORY_FILE);
    let edited = format!(
        "{}\nMy own note: deploys happen on Fridays.\n",
        std::fs::read_to_string(&path).unwrap()
    );
    std::fs::write(&path, &edited).unwrap();
    let report = OfflineConsolidator
        .consolidate(&job(root.path(), inputs(), vec![]))
        .await
        .unwrap();
    assert_eq!(report.files_changed, Vec::<String>::new());
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("My own note: deploys happen on Fridays.")
    );
}

#[tokio::test]
async fn a_project_without_sessions_left_loses_its_generated_text_and_keeps_a_persons() {
    let root = tempfile::tempdir().unwrap();
    OfflineConsolidator
        .consolidate(&job(root.path(), inputs(), vec![]))
        .await
        .unwrap();
    let b_memory = root.path().join(project_file(B, "MEMORY.md"));
    let edited = format!(
        "{}\nOwn line about b.\n",
        std::fs::read_to_string(&b_memory).unwrap()
    );
    std::fs::write(&b_memory, edited).unwrap();
    let without_projects: Vec<ArtifactInput> = inputs()
        .into_iter()
        .filter(|input| input.scope == Scope::Global)
        .collect();
    OfflineConsolidator
        .consolidate(&job(root.path(), without_projects, vec![]))
        .await
        .unwrap();
    let a_folder = root.path().join(PROJECTS_DIR).join(project_slug(A));
    assert!(!a_folder.exists(), "an emptied project folder is removed");
    assert_eq!(
        std::fs::read_to_string(&b_memory).unwrap(),
        "# github.com/acme/b\n\nOwn line about b.\n"
    );
    assert!(!root.path().join(project_file(B, "summary.md")).exists());
}
