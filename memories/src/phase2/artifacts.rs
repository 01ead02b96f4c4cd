//! The phase-2 inputs written from the database into the memory folder: one
//! `rollout_summaries/<stem>.md` per selected thread (summaries no longer selected are deleted)
//! and `raw_memories.md` with every selected raw memory in thread-id order. Files are rewritten
//! only when their content changes, so an unchanged selection leaves the worktree unchanged and
//! phase 2 costs nothing.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use codex_protocol::{Agent, ThreadId};

use crate::fsutil::write_if_changed;
use crate::phase2::stem::summary_stem;
use crate::scope::Scope;
use crate::search_index::PROJECT_HEADER;

pub use crate::layout::{RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR};

/// Header key naming the folder of a session's project (`projects/<slug>`).
pub const PROJECT_FOLDER_HEADER: &str = "project_folder:";

/// One selected stage-1 output with what the artifacts say about its thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactInput {
    /// The thread.
    pub thread_id: ThreadId,
    /// The thread version the output was made from (unix seconds).
    pub source_updated_at: i64,
    /// The raw memory.
    pub raw_memory: String,
    /// The rollout summary.
    pub rollout_summary: String,
    /// The model's task name, when given.
    pub rollout_slug: Option<String>,
    /// The rollout file.
    pub rollout_path: String,
    /// The session's working directory.
    pub cwd: String,
    /// The git branch, when known.
    pub git_branch: Option<String>,
    /// The project the session belongs to (see [`crate::Scope`]), or global.
    pub scope: Scope,
    /// The agent whose session it came from (written as `agent:` beside the thread id).
    pub agent: Agent,
}

impl ArtifactInput {
    /// The summary's file stem.
    pub fn stem(&self) -> String {
        summary_stem(
            &self.thread_id,
            self.source_updated_at,
            self.rollout_slug.as_deref(),
        )
    }

    /// The summary's path relative to the memory root.
    pub fn summary_file(&self) -> String {
        format!("{ROLLOUT_SUMMARIES_DIR}/{}.md", self.stem())
    }
}

/// What a sync changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Summary files written (new or changed).
    pub summaries_written: usize,
    /// Summary files deleted because their thread is no longer selected.
    pub summaries_deleted: usize,
    /// Whether `raw_memories.md` changed.
    pub raw_memories_changed: bool,
}

impl SyncReport {
    /// Whether anything on disk changed.
    pub fn changed_anything(&self) -> bool {
        self.summaries_written > 0 || self.summaries_deleted > 0 || self.raw_memories_changed
    }
}

/// A file of the memory folder could not be written or removed.
#[derive(Debug, thiserror::Error)]
#[error("cannot sync phase-2 inputs at {}: {source}", path.display())]
pub struct ArtifactError {
    /// The file or folder involved.
    pub path: PathBuf,
    /// The cause.
    pub source: io::Error,
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError {
        path: path.to_path_buf(),
        source,
    }
}

/// Brings the summaries and `raw_memories.md` under `root` in line with `inputs`.
pub fn sync_artifacts(root: &Path, inputs: &[ArtifactInput]) -> Result<SyncReport, ArtifactError> {
    sync(root, inputs, true)
}

/// What [`sync_artifacts`] would change under `root`, without writing anything.
pub fn plan_sync(root: &Path, inputs: &[ArtifactInput]) -> Result<SyncReport, ArtifactError> {
    sync(root, inputs, false)
}

fn sync(root: &Path, inputs: &[ArtifactInput], apply: bool) -> Result<SyncReport, ArtifactError> {
    let mut inputs: Vec<&ArtifactInput> = inputs.iter().collect();
    inputs.sort_by_key(|input| input.thread_id);
    let mut report = SyncReport::default();
    let summaries_dir = root.join(ROLLOUT_SUMMARIES_DIR);
    if apply {
        std::fs::create_dir_all(&summaries_dir).map_err(at(&summaries_dir))?;
    }
    let write = |path: &Path, content: &str| -> Result<bool, ArtifactError> {
        if apply {
            write_if_changed(path, content).map_err(at(path))
        } else {
            Ok(!std::fs::read(path).is_ok_and(|existing| existing == content.as_bytes()))
        }
    };
    let mut expected = BTreeSet::new();
    for input in &inputs {
        let name = format!("{}.md", input.stem());
        let path = summaries_dir.join(&name);
        if write(&path, &render_summary(input))? {
            report.summaries_written += 1;
        }
        expected.insert(name);
    }
    let entries = match std::fs::read_dir(&summaries_dir) {
        Ok(entries) => Some(entries),
        Err(error) if !apply && error.kind() == io::ErrorKind::NotFound => None,
        Err(source) => return Err(at(&summaries_dir)(source)),
    };
    for entry in entries.into_iter().flatten() {
        let entry = entry.map_err(at(&summaries_dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !expected.contains(&name) {
            if apply {
                let path = entry.path();
                let removed = if entry.file_type().map_err(at(&path))?.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(at(&path))?;
            }
            report.summaries_deleted += 1;
        }
    }
    let raw_path = root.join(RAW_MEMORIES_FILE);
    report.raw_memories_changed = write(&raw_path, &render_raw_memories(&inputs))?;
    Ok(report)
}

fn rfc3339(unix_seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix_seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The text of one rollout summary file.
pub fn render_summary(input: &ArtifactInput) -> String {
    let mut text = format!(
        "thread_id: {}\nagent: {}\nupdated_at: {}\nrollout_path: {}\ncwd: {}\n{PROJECT_HEADER} {}\n",
        input.thread_id,
        input.agent,
        rfc3339(input.source_updated_at),
        input.rollout_path,
        input.cwd,
        input.scope.header_value()
    );
    text.push_str(&project_folder_line(&input.scope));
    if let Some(branch) = input.git_branch.as_deref().filter(|b| !b.is_empty()) {
        text.push_str(&format!("git_branch: {branch}\n"));
    }
    text.push('\n');
    text.push_str(input.rollout_summary.trim_end());
    text.push('\n');
    text
}

/// The `project_folder: projects/<slug>` header line of a project's session (empty for a global
/// one), so a consolidation agent knows where that project's memory lives.
fn project_folder_line(scope: &Scope) -> String {
    scope
        .project()
        .map(|key| format!("{PROJECT_FOLDER_HEADER} {}\n", key.folder()))
        .unwrap_or_default()
}

/// The text of `raw_memories.md` for inputs already in thread-id order.
fn render_raw_memories(inputs: &[&ArtifactInput]) -> String {
    let mut text = String::from("# Raw Memories\n");
    for input in inputs {
        text.push_str(&format!(
            "\n## Thread `{}`\nagent: {}\nupdated_at: {}\ncwd: {}\n{PROJECT_HEADER} {}\n{}rollout_path: {}\nrollout_summary_file: {}\n\n{}\n",
            input.thread_id,
            input.agent,
            rfc3339(input.source_updated_at),
            input.cwd,
            input.scope.header_value(),
            project_folder_line(&input.scope),
            input.rollout_path,
            input.summary_file(),
            input.raw_memory.trim_end()
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn input(id: &str, memory: &str) -> ArtifactInput {
        ArtifactInput {
            thread_id: id.parse().unwrap(),
            source_updated_at: 1_778_000_000,
            raw_memory: memory.to_string(),
            rollout_summary: format!("summary of {memory}"),
            rollout_slug: Some("fix-it".to_string()),
            rollout_path: "/h/sessions/r.jsonl".to_string(),
            cwd: "/repo".to_string(),
            git_branch: Some("main".to_string()),
            scope: Scope::from_header_value("github.com/acme/ledger"),
            agent: Agent::Claude,
        }
    }

    const A: &str = "019df1d4-69b8-78f7-9da1-494c73cf256d";
    const B: &str = "019dfd4d-8810-7690-b372-969f7f65d54d";

    #[test]
    fn sync_writes_summaries_and_raw_memories_in_thread_order() {
        let root = tempfile::tempdir().unwrap();
        let report = sync_artifacts(root.path(), &[input(B, "second"), input(A, "first")]).unwrap();
        assert_eq!(
            report,
            SyncReport {
                summaries_written: 2,
                summaries_deleted: 0,
                raw_memories_changed: true
            }
        );
        let raw = std::fs::read_to_string(root.path().join(RAW_MEMORIES_FILE)).unwrap();
        let first = raw.find(A).unwrap();
        let second = raw.find(B).unwrap();
        assert!(first < second);
        assert!(raw.starts_with("# Raw Memories\n\n## Thread `019df1d4"));
        let a = input(A, "first");
        let summary = std::fs::read_to_string(root.path().join(a.summary_file())).unwrap();
        assert_eq!(
            summary,
            format!(
                "thread_id: {A}\nagent: claude\nupdated_at: 2026-05-05T16:53:20Z\nrollout_path: /h/sessions/r.jsonl\ncwd: /repo\nproject: github.com/acme/ledger\nproject_folder: projects/acme-ledger-g0puclqk\ngit_branch: main\n\nsummary of first\n"
            )
        );
    }

    #[test]
    fn a_plan_reports_what_a_sync_would_change_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let plan = plan_sync(root.path(), &[input(A, "first")]).unwrap();
        assert_eq!(
            plan,
            SyncReport {
                summaries_written: 1,
                summaries_deleted: 0,
                raw_memories_changed: true
            }
        );
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
        sync_artifacts(root.path(), &[input(A, "first"), input(B, "second")]).unwrap();
        assert!(
            !plan_sync(root.path(), &[input(A, "first"), input(B, "second")])
                .unwrap()
                .changed_anything()
        );
        let dropped = plan_sync(root.path(), &[input(A, "first")]).unwrap();
        assert_eq!(dropped.summaries_deleted, 1);
        assert!(root.path().join(input(B, "second").summary_file()).exists());
    }

    #[test]
    fn an_unchanged_selection_writes_nothing_and_a_dropped_thread_loses_its_summary() {
        let root = tempfile::tempdir().unwrap();
        sync_artifacts(root.path(), &[input(A, "first"), input(B, "second")]).unwrap();
        let again = sync_artifacts(root.path(), &[input(A, "first"), input(B, "second")]).unwrap();
        assert!(!again.changed_anything(), "{again:?}");
        let dropped = sync_artifacts(root.path(), &[input(A, "first")]).unwrap();
        assert_eq!(dropped.summaries_deleted, 1);
        assert!(dropped.raw_memories_changed);
        let raw = std::fs::read_to_string(root.path().join(RAW_MEMORIES_FILE)).unwrap();
        assert!(!raw.contains(B));
    }
}
