//! Which session a consolidated entry comes from. A `MEMORY.md` entry names the rollout
//! summaries it was distilled from (`source: rollout_summaries/<file>.md`, as the consolidation
//! prompts ask); when it names exactly one, it is that session's fact, and it takes the
//! `thread_id:` of that summary's header. Search then collapses it with the session's raw memory
//! and rollout summary (`codex_state::MemoryStore::search_entries` weighs each kind and shows
//! the best one). An entry that cites several sessions, or none, stays on its own. Read when the `MEMORY.md` is re-indexed; a
//! summary written after that is picked up at the file's next change.

use std::collections::HashMap;
use std::path::Path;

use codex_state::{EntryKind, IndexedEntry};

use crate::layout::ROLLOUT_SUMMARIES_DIR;
use crate::search_index::parse::{FileRole, file_role, summary_thread_id};

/// The key of a line naming an entry's sources.
const SOURCE_KEY: &str = "source:";

/// The rollout summary an entry's `source:` lines cite, when they cite exactly one.
pub fn sole_source(body: &str) -> Option<String> {
    let mut cited: Vec<String> = Vec::new();
    let prefix = format!("{ROLLOUT_SUMMARIES_DIR}/");
    for line in body.lines().filter(|line| line.contains(SOURCE_KEY)) {
        for (start, _) in line.match_indices(&prefix) {
            let rest = &line[start..];
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')' | '`' | '"'))
                .unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches('.');
            let path = if path.ends_with(".md") {
                path.to_string()
            } else {
                format!("{path}.md")
            };
            if file_role(&path) == Some(FileRole::RolloutSummary) && !cited.contains(&path) {
                cited.push(path);
            }
        }
    }
    (cited.len() == 1).then(|| cited.remove(0))
}

/// Gives each consolidated entry of `entries` that cites one session the thread id of that
/// session's rollout summary under `root`; `known` caches the summaries read (path → thread).
pub fn attribute_sessions(
    root: &Path,
    entries: &mut [IndexedEntry],
    known: &mut HashMap<String, Option<String>>,
) {
    for entry in entries
        .iter_mut()
        .filter(|entry| entry.kind == EntryKind::Memory && entry.thread_id.is_none())
    {
        let Some(source) = sole_source(&entry.body) else {
            continue;
        };
        let thread_id = known
            .entry(source.clone())
            .or_insert_with(|| read_thread_id(&root.join(&source)));
        entry.thread_id.clone_from(thread_id);
    }
}

/// The `thread_id:` header of the rollout summary at `path`; none when it is missing, a
/// symbolic link or unreadable (the entry then simply stays on its own).
fn read_thread_id(path: &Path) -> Option<String> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    summary_thread_id(&String::from_utf8_lossy(&bytes))
}
