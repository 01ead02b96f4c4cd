//! The consolidation prompt, rendered from `templates/memories/consolidation.md`.

use askama::Template;

use crate::layout::DIFF_FILE_NAME;

/// Most lines `memory_summary.md` should hold after its `v1` line.
pub const MAX_SUMMARY_LINES: usize = 60;

#[derive(Template)]
#[template(path = "memories/consolidation.md", escape = "none")]
struct ConsolidationPrompt<'a> {
    input_count: usize,
    note_count: usize,
    diff_file: &'a str,
    max_summary_lines: usize,
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
    }
    .render()
}
