//! The user's controls over stored memory, as library calls a host can make: forget one thread
//! (its output, its job, its summary file, its block in `raw_memories.md`, its memory mode set to
//! `disabled`, then a consolidation whose baseline reset leaves no git object holding its text,
//! and its entries dropped from the search index)
//! and clear everything (every memory row and the memory folder's contents, the folder kept). A
//! symlinked memory root is refused before anything is deleted.

use std::io;
use std::path::{Path, PathBuf};

use codex_state::{DeleteOutcome, MemoryMode, MemoryStore, StateError};
use serde::Serialize;

use crate::ThreadId;
use crate::consolidator::Consolidator;
use crate::fsutil::write_atomic;
use crate::layout::{RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR};
use crate::phase2::run::{Phase2Options, Phase2Report, run_phase2};
use crate::search_index::{SearchIndexError, sync_index};

/// The header line of a raw-memories block, before the thread id.
const RAW_BLOCK_PREFIX: &str = "\n## Thread `";

/// Why a control could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// A database step failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A file of the memory folder could not be read, written or removed.
    #[error("cannot update {}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The memory root is a symbolic link; clearing it could delete files elsewhere.
    #[error(
        "the memory folder {} is a symbolic link; refusing to clear it (remove the link or clear its target by hand)",
        path.display()
    )]
    SymlinkRoot {
        /// The memory root.
        path: PathBuf,
    },
    /// The search index could not follow the folder.
    #[error(transparent)]
    Index(#[from] SearchIndexError),
    /// The memory root exists but is not a folder.
    #[error("the memory folder {} is not a folder", path.display())]
    NotAFolder {
        /// The memory root.
        path: PathBuf,
    },
}

fn at(path: &Path) -> impl FnOnce(io::Error) -> ControlError + '_ {
    move |source| ControlError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What `forget_thread` did.
#[derive(Debug, Clone, Serialize)]
pub struct ForgetReport {
    /// The thread.
    pub thread_id: ThreadId,
    /// The output row deleted, and whether the last consolidation had used it.
    pub output: DeleteOutcome,
    /// Whether a stage-1 job row was deleted.
    pub job_deleted: bool,
    /// Summary files removed, relative to the memory root.
    pub summaries_removed: Vec<String>,
    /// Whether its block was removed from `raw_memories.md`.
    pub raw_memories_block_removed: bool,
    /// The consolidation run afterwards (`None` when not asked for).
    pub consolidation: Option<Phase2Report>,
}

/// Forgets one thread: sets its memory mode to `disabled` (so it is not extracted again), deletes
/// its output and stage-1 job, removes its summary file(s) and its `raw_memories.md` block, and,
/// when `consolidate` is given, runs phase 2 at once (no cooldown) so `MEMORY.md` drops what only
/// this thread supported and the baseline reset removes its text from git.
pub async fn forget_thread(
    store: &MemoryStore,
    memory_root: &Path,
    thread_id: ThreadId,
    consolidate: Option<(&dyn Consolidator, &Phase2Options)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ForgetReport, ControlError> {
    store
        .set_memory_mode(thread_id, MemoryMode::Disabled)
        .await?;
    let output = store.delete_thread_memory(thread_id).await?;
    let job_deleted = store.delete_stage1_job(thread_id).await?;
    let summaries_removed = remove_summary_files(memory_root, thread_id)?;
    let raw_memories_block_removed = remove_raw_memories_block(memory_root, thread_id)?;
    let consolidation = match consolidate {
        Some((consolidator, options)) => {
            let mut options = options.clone();
            options.claim.cooldown_seconds = 0;
            Some(run_phase2(store, memory_root, consolidator, &options, now).await?)
        }
        None => None,
    };
    // The index drops the thread's entries (and, once compacted, every token of them) before the
    // database file is rewritten, so no copy of its text stays in our database either.
    sync_index(store, memory_root).await?;
    store.compact_entry_index().await?;
    store.scrub_deleted_text().await?;
    Ok(ForgetReport {
        thread_id,
        output,
        job_deleted,
        summaries_removed,
        raw_memories_block_removed,
        consolidation,
    })
}

/// Removes every `rollout_summaries/*.md` whose first line is `thread_id: <id>`; returns their
/// paths relative to the root.
pub fn remove_summary_files(root: &Path, thread_id: ThreadId) -> Result<Vec<String>, ControlError> {
    let dir = root.join(ROLLOUT_SUMMARIES_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ControlError::Io { path: dir, source }),
    };
    let header = format!("thread_id: {thread_id}");
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(at(&dir))?;
        let path = entry.path();
        if !entry.file_type().map_err(at(&path))?.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().next().map(str::trim_end) == Some(header.as_str()) {
            std::fs::remove_file(&path).map_err(at(&path))?;
            removed.push(format!(
                "{ROLLOUT_SUMMARIES_DIR}/{}",
                entry.file_name().to_string_lossy()
            ));
        }
    }
    removed.sort();
    Ok(removed)
}

/// Removes the thread's `## Thread` block from `raw_memories.md`; returns whether there was one.
pub fn remove_raw_memories_block(root: &Path, thread_id: ThreadId) -> Result<bool, ControlError> {
    let path = root.join(RAW_MEMORIES_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(ControlError::Io { path, source }),
    };
    let Some(edited) = without_block(&text, thread_id) else {
        return Ok(false);
    };
    write_atomic(&path, edited.as_bytes()).map_err(at(&path))?;
    Ok(true)
}

/// `text` without the block of `thread_id` (from its header to the next header or the end).
fn without_block(text: &str, thread_id: ThreadId) -> Option<String> {
    let header = format!("{RAW_BLOCK_PREFIX}{thread_id}`\n");
    let start = text.find(&header)?;
    let after_header = start + header.len();
    let end = text[after_header..]
        .find(RAW_BLOCK_PREFIX)
        .map_or(text.len(), |offset| after_header + offset);
    Some(format!("{}{}", &text[..start], &text[end..]))
}

/// What `clear_all` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClearReport {
    /// The memory root (kept).
    pub memory_root: PathBuf,
    /// Top-level entries removed from it (`.git` included).
    pub entries_removed: Vec<String>,
}

/// Deletes every memory row (outputs and jobs; the users' memory modes are kept) and everything
/// inside the memory folder, `.git` included. The folder itself is kept; a symlinked folder is
/// refused before anything is deleted.
pub async fn clear_all(
    store: &MemoryStore,
    memory_root: &Path,
) -> Result<ClearReport, ControlError> {
    check_root(memory_root)?;
    store.clear_all_memory_data().await?;
    store.clear_entry_index().await?;
    store.scrub_deleted_text().await?;
    let root = memory_root.to_path_buf();
    let entries_removed = tokio::task::spawn_blocking(move || clear_folder(&root))
        .await
        .map_err(|error| ControlError::Io {
            path: memory_root.to_path_buf(),
            source: io::Error::other(error.to_string()),
        })??;
    Ok(ClearReport {
        memory_root: memory_root.to_path_buf(),
        entries_removed,
    })
}

/// Refuses a memory root that is a symbolic link or not a folder (a missing one is fine).
pub fn check_root(memory_root: &Path) -> Result<(), ControlError> {
    match std::fs::symlink_metadata(memory_root) {
        Ok(meta) if meta.file_type().is_symlink() => Err(ControlError::SymlinkRoot {
            path: memory_root.to_path_buf(),
        }),
        Ok(meta) if !meta.is_dir() => Err(ControlError::NotAFolder {
            path: memory_root.to_path_buf(),
        }),
        Ok(_) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(ControlError::Io {
            path: memory_root.to_path_buf(),
            source,
        }),
    }
}

/// Removes everything inside `root` (symbolic links themselves, never their targets).
fn clear_folder(root: &Path) -> Result<Vec<String>, ControlError> {
    check_root(root)?;
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ControlError::Io {
                path: root.to_path_buf(),
                source,
            });
        }
    };
    let mut removed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(at(root))?;
        let path = entry.path();
        if entry.file_type().map_err(at(&path))?.is_dir() {
            std::fs::remove_dir_all(&path).map_err(at(&path))?;
        } else {
            std::fs::remove_file(&path).map_err(at(&path))?;
        }
        removed.push(entry.file_name().to_string_lossy().into_owned());
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const A: &str = "019df1d4-69b8-78f7-9da1-494c73cf256d";
    const B: &str = "019dfd4d-8810-7690-b372-969f7f65d54d";

    #[test]
    fn without_block_removes_only_the_threads_block() {
        let text = format!(
            "# Raw Memories\n\n## Thread `{A}`\ncwd: /a\n\nfirst memory\n\n## Thread `{B}`\ncwd: /b\n\nsecond\n"
        );
        let edited = without_block(&text, A.parse().unwrap()).unwrap();
        assert_eq!(
            edited,
            format!("# Raw Memories\n\n## Thread `{B}`\ncwd: /b\n\nsecond\n")
        );
        let last = without_block(&text, B.parse().unwrap()).unwrap();
        assert_eq!(
            last,
            format!("# Raw Memories\n\n## Thread `{A}`\ncwd: /a\n\nfirst memory\n")
        );
    }

    #[test]
    fn clear_refuses_a_symlinked_root() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("MEMORY.md"), "keep").unwrap();
        let link = dir.path().join("memories");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            clear_folder(&link),
            Err(ControlError::SymlinkRoot { .. })
        ));
        assert!(target.join("MEMORY.md").exists());
    }
}
