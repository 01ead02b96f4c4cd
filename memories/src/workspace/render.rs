//! `phase2_workspace_diff.md`: the change list (`A path`, `M path`, `D path`,
//! `mode path 100644 -> 100755`) then one fenced git-style diff, the whole file capped at a byte
//! limit. A cut lands on a line end when one is in reach, else on a char boundary, and is followed
//! by a note saying how much was left out — the file is always valid UTF-8 and never over the cap.
//! Secrets in the changed files are redacted before anything is cut.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::DIFF_FILE_NAME;
use super::diff::{ChangeKind, FileChange, WorkspaceDiff, side_label};
use super::error::WorkspaceError;

impl WorkspaceDiff {
    /// The Markdown of the diff file, at most `max_bytes` long.
    pub fn render_markdown(&self, max_bytes: usize) -> String {
        let head = self.render_head();
        let body = self.render_body();
        let fence = fence_for(&body);
        let open = format!("{fence}diff\n");
        let close = format!("{fence}\n");
        let full_len = head.len() + open.len() + body.len() + close.len();
        if full_len <= max_bytes {
            return format!("{head}{open}{body}{close}");
        }

        let note_for = |shown: usize| {
            format!(
                "\n_Truncated: the diff file is capped at {max_bytes} bytes; {} of {full_len} \
                 bytes were left out. Read the changed files directly._\n",
                full_len - shown
            )
        };
        // The note's length depends on the number it prints; the longest number is `full_len`.
        let note_budget = note_for(0).len();
        let text = format!("{head}{open}{body}");
        let budget = max_bytes.saturating_sub(note_budget + close.len() + 1);
        let cut = cut_point(&text, budget);
        let mut out = text[..cut].to_string();
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        if cut > head.len() + open.len() {
            out.push_str(&close);
        }
        out.push_str(&note_for(cut));
        out
    }

    /// This diff with every file's diff text redacted, so the diff file the consolidation agent
    /// reads holds no secret (redacted before the cap cuts anything).
    pub fn redacted(&self) -> WorkspaceDiff {
        let changes = self
            .changes
            .iter()
            .map(|change| FileChange {
                unified: crate::redact::redact(&change.unified).text,
                ..change.clone()
            })
            .collect();
        WorkspaceDiff { changes }
    }

    /// Writes the diff file, redacted and capped at [`super::MAX_DIFF_BYTES`], into `root`;
    /// returns its path.
    pub fn write_diff_file(&self, root: &Path) -> Result<PathBuf, WorkspaceError> {
        let path = root.join(DIFF_FILE_NAME);
        let text = self.redacted().render_markdown(super::MAX_DIFF_BYTES);
        std::fs::write(&path, text).map_err(|source| WorkspaceError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    fn render_head(&self) -> String {
        let count = |kind: ChangeKind| self.changes.iter().filter(|c| c.kind == kind).count();
        let mut list = String::new();
        for change in &self.changes {
            if change.kind != ChangeKind::ModeChanged {
                let _ = writeln!(list, "{} {}", change.kind.status(), change.path);
            }
            if let Some((old, new)) = change.mode_change() {
                let _ = writeln!(
                    list,
                    "mode {} {} -> {}",
                    change.path,
                    old.octal(),
                    new.octal()
                );
            }
        }
        let fence = fence_for(&list);
        format!(
            "# Workspace changes since the last consolidation\n\n\
             {} added, {} modified, {} deleted, {} mode changes.\n\n\
             {fence}text\n{list}{fence}\n\n",
            count(ChangeKind::Added),
            count(ChangeKind::Modified),
            count(ChangeKind::Deleted),
            count(ChangeKind::ModeChanged),
        )
    }

    fn render_body(&self) -> String {
        let mut body = String::new();
        for change in &self.changes {
            write_git_header(&mut body, change);
            body.push_str(&change.unified);
        }
        body
    }
}

/// `diff --git a/x b/x` and the mode lines git prints before a file's hunks.
fn write_git_header(out: &mut String, change: &FileChange) {
    let _ = writeln!(
        out,
        "diff --git {} {}",
        side_label("a/", &change.path),
        side_label("b/", &change.path)
    );
    match (change.old_mode, change.new_mode) {
        (None, Some(new)) => {
            let _ = writeln!(out, "new file mode {}", new.octal());
        }
        (Some(old), None) => {
            let _ = writeln!(out, "deleted file mode {}", old.octal());
        }
        (Some(old), Some(new)) if old != new => {
            let _ = writeln!(out, "old mode {}\nnew mode {}", old.octal(), new.octal());
        }
        _ => {}
    }
}

/// A backtick fence longer than any run of backticks in `text` (at least three).
fn fence_for(text: &str) -> String {
    "`".repeat(longest_backtick_run(text).max(2) + 1)
}

/// The longest run of backticks in `text`.
fn longest_backtick_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for byte in text.bytes() {
        if byte == b'`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// How far back from the cap a cut may move to end on a whole line, in bytes (and at most an
/// eighth of the budget).
const LINE_CUT_SLACK_BYTES: usize = 1024;

/// The largest prefix length ≤ `budget` that ends after a newline not far before it, or failing
/// that, on a char boundary.
fn cut_point(text: &str, budget: usize) -> usize {
    if budget >= text.len() {
        return text.len();
    }
    let mut cut = budget;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    match text[..cut].rfind('\n') {
        Some(newline) if newline + LINE_CUT_SLACK_BYTES.min(budget / 8) >= cut => newline + 1,
        _ => cut,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::workspace::FileMode;

    fn change(path: &str, kind: ChangeKind, unified: &str) -> FileChange {
        FileChange {
            path: path.to_string(),
            kind,
            old_mode: (kind != ChangeKind::Added).then_some(FileMode::Regular),
            new_mode: (kind != ChangeKind::Deleted).then_some(FileMode::Regular),
            binary: false,
            unified: unified.to_string(),
        }
    }

    #[test]
    fn markdown_lists_statuses_then_one_fenced_git_diff() {
        let mut mode_only = change("run.sh", ChangeKind::ModeChanged, "");
        mode_only.new_mode = Some(FileMode::Executable);
        let diff = WorkspaceDiff {
            changes: vec![
                change(
                    "MEMORY.md",
                    ChangeKind::Modified,
                    "--- a/MEMORY.md\n+++ b/MEMORY.md\n@@ -1 +1 @@\n-old\n+new\n",
                ),
                change(
                    "new.md",
                    ChangeKind::Added,
                    "--- /dev/null\n+++ b/new.md\n@@ -0,0 +1 @@\n+hi\n",
                ),
                mode_only,
            ],
        };
        let expected = "# Workspace changes since the last consolidation\n\n\
            1 added, 1 modified, 0 deleted, 1 mode changes.\n\n\
            ```text\nM MEMORY.md\nA new.md\nmode run.sh 100644 -> 100755\n```\n\n\
            ```diff\n\
            diff --git a/MEMORY.md b/MEMORY.md\n--- a/MEMORY.md\n+++ b/MEMORY.md\n@@ -1 +1 @@\n-old\n+new\n\
            diff --git a/new.md b/new.md\nnew file mode 100644\n--- /dev/null\n+++ b/new.md\n@@ -0,0 +1 @@\n+hi\n\
            diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n\
            ```\n";
        assert_eq!(diff.render_markdown(1 << 20), expected);
    }

    #[test]
    fn a_diff_holding_a_fence_gets_a_longer_fence() {
        let diff = WorkspaceDiff {
            changes: vec![change("a.md", ChangeKind::Added, "+````rust\n")],
        };
        let text = diff.render_markdown(1 << 20);
        assert!(text.contains("`````diff\n"), "{text}");
        assert!(text.ends_with("\n`````\n"), "{text}");
    }

    #[test]
    fn a_path_holding_a_fence_gets_a_longer_fence_in_the_list() {
        let diff = WorkspaceDiff {
            changes: vec![change("a```b.md", ChangeKind::Added, "")],
        };
        let text = diff.render_markdown(1 << 20);
        assert!(text.contains("````text\nA a```b.md\n````\n"), "{text}");
    }

    #[test]
    fn the_cap_cuts_on_a_char_boundary_inside_a_long_line() {
        let line = format!("+{}\n", "é".repeat(10_000));
        let diff = WorkspaceDiff {
            changes: vec![change("a.md", ChangeKind::Added, &line)],
        };
        for max_bytes in [1_001, 1_002, 1_003, 4_000, 4_001] {
            let text = diff.render_markdown(max_bytes);
            assert!(text.len() <= max_bytes, "{} > {max_bytes}", text.len());
            assert!(
                text.contains("_Truncated: the diff file is capped at"),
                "{text}"
            );
            assert!(text.contains("éé"), "{text}");
        }
    }
}
