//! The indexable files of a memory folder with their stat, found by looking only where entries
//! live (`MEMORY.md`, `raw_memories.md`, `rollout_summaries/`, `projects/*/`, `skills/*/`,
//! `extensions/*/notes/`). Symbolic links are skipped, never followed, and files larger than
//! [`MAX_INDEXED_FILE_BYTES`] are left out, so a stray file cannot make a search slow.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::search_index::parse::{FileRole, file_role};

/// Largest file indexed, in bytes.
pub const MAX_INDEXED_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// How deep below the root an indexable file may sit (`projects/<slug>/skills/<name>/SKILL.md`).
const MAX_DEPTH: usize = 5;

/// One indexable file as found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    /// Path relative to the root, `/`-separated.
    pub relative: String,
    /// Where it is.
    pub absolute: PathBuf,
    /// How it is cut into entries.
    pub role: FileRole,
    /// Size in bytes.
    pub size: i64,
    /// Modification time, ns since the epoch (0 when the platform gives none).
    pub modified_ns: i64,
}

/// Every indexable file under `root`, by path. A missing root has none.
pub fn indexable_files(root: &Path) -> io::Result<Vec<FoundFile>> {
    let mut found = Vec::new();
    visit(root, "", 0, &mut found)?;
    found.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(found)
}

fn visit(dir: &Path, relative: &str, depth: usize, found: &mut Vec<FoundFile>) -> io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // The root (or a folder) vanished between listing and reading: nothing to index there.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let child = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        // `DirEntry::metadata` does not follow symbolic links.
        let meta = entry.metadata()?;
        if meta.is_dir() {
            if depth + 1 < MAX_DEPTH && may_hold_entries(&child) {
                visit(&entry.path(), &child, depth + 1, found)?;
            }
            continue;
        }
        if !meta.is_file() || meta.len() > MAX_INDEXED_FILE_BYTES {
            continue;
        }
        let Some(role) = file_role(&child) else {
            continue;
        };
        found.push(FoundFile {
            relative: child,
            absolute: entry.path(),
            role,
            size: i64::try_from(meta.len()).unwrap_or(i64::MAX),
            modified_ns: meta.modified().map_or(0, nanos_since_epoch),
        });
    }
    Ok(())
}

/// Whether the folder at `relative` can hold an indexable file (so the walk skips the rest).
fn may_hold_entries(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    matches!(
        parts.as_slice(),
        ["rollout_summaries"]
            | ["skills"]
            | ["skills", _]
            | ["projects"]
            | ["projects", _]
            | ["projects", _, "skills"]
            | ["projects", _, "skills", _]
            | ["extensions"]
            | ["extensions", _]
            | ["extensions", _, "notes"]
    )
}

/// `time` as ns since the Unix epoch, saturating.
pub(crate) fn nanos_since_epoch(time: SystemTime) -> i64 {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}
