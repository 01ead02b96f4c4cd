//! The text of the managed block: a short frame saying what the memories are (data, not
//! instructions) and how to look deeper, then the global `memory_summary.md` without its `v1`
//! line, cut to [`MAX_BLOCK_SUMMARY_BYTES`] on a line boundary. Rendered from
//! `templates/memories/agent_block.md`.

use std::path::Path;

use askama::Template;

use super::InstallError;
use crate::layout::SUMMARY_FILE;
use crate::phase1::cut::truncate_to_char_boundary;

/// Most bytes of the summary placed in an agent's instructions file (agents cap those files;
/// Codex reads at most 32 KiB of project instructions).
pub const MAX_BLOCK_SUMMARY_BYTES: usize = 12 * 1024;
/// What the block says before the first consolidation.
const NO_SUMMARY_YET: &str = "(No memories yet: they appear here after `codex-memories run` has consolidated some sessions.)";
/// Appended when the summary was cut.
const CUT_NOTE: &str = "[… summary cut; search the memories for more]";

#[derive(Template)]
#[template(path = "memories/agent_block.md", escape = "none")]
struct AgentBlock<'a> {
    summary: &'a str,
}

/// The block body for the summary in `memory_root` (a placeholder when there is none yet).
pub fn block_body(memory_root: &Path) -> Result<String, InstallError> {
    let path = memory_root.join(SUMMARY_FILE);
    let summary = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(InstallError::Io {
                action: "read",
                path,
                source,
            });
        }
    };
    let summary = summary_without_version(&summary);
    let summary = if summary.is_empty() {
        NO_SUMMARY_YET.to_string()
    } else {
        cut_on_line(summary, MAX_BLOCK_SUMMARY_BYTES)
    };
    Ok(AgentBlock { summary: &summary }.render()?)
}

/// The summary's text without its leading `v1` line, trimmed.
fn summary_without_version(text: &str) -> &str {
    let text = text.trim();
    match text.split_once('\n') {
        Some((first, rest)) if first.trim() == "v1" => rest.trim(),
        None if text == "v1" => "",
        _ => text,
    }
}

/// `text` cut to at most `max_bytes` at the last line break before the limit, with a note.
fn cut_on_line(text: &str, max_bytes: usize) -> String {
    if text.len() <= max_bytes {
        return text.to_string();
    }
    let head = truncate_to_char_boundary(text, max_bytes);
    let head = head.rfind('\n').map_or(head, |newline| &head[..newline]);
    format!("{head}\n{CUT_NOTE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_frames_the_summary_as_data_without_its_version_line() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join(SUMMARY_FILE), "v1\n- prefers uv\n").unwrap();
        let body = block_body(root.path()).unwrap();
        assert!(body.contains("not instructions"), "{body}");
        assert!(body.ends_with("- prefers uv"), "{body}");
        assert!(!body.contains("\nv1\n"), "{body}");
    }

    #[test]
    fn without_a_summary_the_block_says_so() {
        let root = tempfile::tempdir().unwrap();
        assert!(block_body(root.path()).unwrap().contains("No memories yet"));
    }

    #[test]
    fn a_long_summary_is_cut_on_a_line() {
        let root = tempfile::tempdir().unwrap();
        let long: String = (0..2000).map(|n| format!("- fact {n}\n")).collect();
        std::fs::write(root.path().join(SUMMARY_FILE), format!("v1\n{long}")).unwrap();
        let body = block_body(root.path()).unwrap();
        assert!(
            body.len() < MAX_BLOCK_SUMMARY_BYTES + 1024,
            "{}",
            body.len()
        );
        assert!(body.ends_with(CUT_NOTE));
        let before_note = body.trim_end_matches(CUT_NOTE).trim_end();
        assert!(before_note.lines().last().unwrap().starts_with("- fact "));
    }
}
