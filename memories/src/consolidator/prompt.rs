//! The consolidation prompt, rendered from `templates/memories/consolidation.md`.

use askama::Template;

use crate::consolidator::tools::{MAX_WRITTEN_FILE_BYTES, MAX_WRITTEN_FILES_PER_RUN};
use crate::layout::DIFF_FILE_NAME;

/// Most lines `memory_summary.md` should hold after its `v1` line.
pub const MAX_SUMMARY_LINES: usize = 60;
/// Most lines a project's `projects/<slug>/summary.md` should hold.
pub const MAX_PROJECT_SUMMARY_LINES: usize = 30;

#[derive(Template)]
#[template(path = "memories/consolidation.md", escape = "none")]
struct ConsolidationPrompt<'a> {
    input_count: usize,
    note_count: usize,
    diff_file: &'a str,
    max_summary_lines: usize,
    max_file_bytes: usize,
    max_files: usize,
    max_project_summary_lines: usize,
}

/// The consolidation prompt for `input_count` inputs and `note_count` notes.
pub fn consolidation_prompt(
    input_count: usize,
    note_count: usize,
) -> Result<String, askama::Error> {
    ConsolidationPrompt {
        input_count,
        note_count,
        diff_file: DIFF_FILE_NAME,
        max_summary_lines: MAX_SUMMARY_LINES,
        max_file_bytes: MAX_WRITTEN_FILE_BYTES,
        max_files: MAX_WRITTEN_FILES_PER_RUN,
        max_project_summary_lines: MAX_PROJECT_SUMMARY_LINES,
    }
    .render()
}
