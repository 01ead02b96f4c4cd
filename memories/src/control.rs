//! The user's controls over stored memory, as library calls a host can make: forget one thread
//! (its output, its job, its summary file, its block in `raw_memories.md`, its memory mode set to
//! `disabled`, its index row blanked to a tombstone, its log rows deleted, then a consolidation
//! whose baseline reset leaves no git object holding its text, its entries dropped from the
//! search index, every database rewritten with its WAL emptied, and a byte-level search proving
//! nothing of it remains — [`crate::forget_check`]) and clear everything (every memory row and
//! the memory folder's contents, the folder kept, every thread left disabled). A symlinked memory
//! root is refused before anything is deleted.

use std::io;
use std::path::{Path, PathBuf};

use codex_state::logs::{LogStore, LogsError, logs_db_path};
use codex_state::{
    DeleteOutcome, MemoryMode, MemoryStore, ModeSetBy, StateError, StateRuntime, ThreadRow,
};
use serde::Serialize;

use crate::ThreadId;
use crate::consolidator::Consolidator;
use crate::forget_check::{
    ForgetCheck, ForgetNeedles, ForgetPlaces, NeedleKind, check_forgotten, holds_any,
};
use crate::forget_scrub::scrub_kept_lines;
use crate::fsutil::write_atomic;
use crate::layout::{RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR};
use crate::phase2::run::{Phase2Options, Phase2Report, run_phase2};
use crate::search_index::{SearchIndexError, sync_index};
use crate::workspace::{CORRUPT_PREFIX, DIFF_FILE_NAME, MemoryWorkspace, STAGING_PREFIX};

/// The header line of a raw-memories block, before the thread id.
const RAW_BLOCK_PREFIX: &str = "\n## Thread `";
/// The metadata lines phase 2 writes atop a thread's files (`phase2::artifacts`): shared by
/// many threads, so never evidence that one of them remains.
const METADATA_LINE_PREFIXES: [&str; 6] = [
    "## Thread",
    "thread_id:",
    "updated_at:",
    "rollout_path:",
    "cwd:",
    "git_branch:",
];

/// Why a control could not finish.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// A database step failed.
    #[error(transparent)]
    State(#[from] StateError),
    /// A step on the logs database failed.
    #[error(transparent)]
    Logs(#[from] LogsError),
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
#[non_exhaustive]
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
    /// Whether the thread index had a row for it, now blanked to a tombstone.
    pub index_row_blanked: bool,
    /// Log rows deleted (tagged with the thread or naming it).
    pub log_rows_deleted: u64,
    /// The consolidation run afterwards (`None` when not asked for).
    pub consolidation: Option<Phase2Report>,
    /// Files of the memory folder from which lines still holding the thread were deleted after
    /// the consolidation (text the consolidator kept because it did not write it), relative to
    /// the memory root; the baseline was made again over them.
    pub lines_scrubbed: Vec<String>,
    /// Bookkeeping left in the memory folder that held the thread's text and was deleted: a
    /// moved-aside `.git.corrupt-*` repository, a half-built `.git.tmp-*`, a leftover diff file.
    pub leftovers_removed: Vec<String>,
    /// Databases whose WAL another process kept in use, so it could not be emptied (the check
    /// below says whether it still holds anything of the thread).
    pub warnings: Vec<String>,
    /// The byte-level search of every database, the memory folder and its git history.
    pub check: ForgetCheck,
}

/// Forgets one thread: sets its memory mode to `disabled` (so it is not extracted again), blanks
/// the text its index row copied from the session (the row stays as a tombstone, and stays blank
/// when the session is indexed again), deletes its output and stage-1 job, removes its summary
/// file(s) and its `raw_memories.md` block, deletes its log rows and, when `consolidate` is given,
/// runs phase 2 at once (no cooldown) so `MEMORY.md` drops what only this thread supported and
/// the baseline reset removes its text from git. Then every database is rewritten with its WAL
/// emptied, and every place is searched for what the thread may have left
/// ([`ForgetReport::check`]).
pub async fn forget_thread(
    store: &MemoryStore,
    state: &StateRuntime,
    memory_root: &Path,
    thread_id: ThreadId,
    consolidate: Option<(&dyn Consolidator, &Phase2Options)>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ForgetReport, ControlError> {
    let indexed = state.get_thread(thread_id).await?;
    let needles = gather_needles(store, memory_root, thread_id, indexed.as_ref()).await?;
    store
        .set_memory_mode_by(thread_id, MemoryMode::Disabled, ModeSetBy::Forget)
        .await?;
    let index_row_blanked = state.forget_thread_text(thread_id).await?;
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
    // Lines the consolidator kept (text it did not write) go now, and the baseline is made
    // again over them. Only after a consolidation: without its fresh baseline the next
    // consolidation's diff would carry the deleted lines to a model.
    let lines_scrubbed = match &consolidation {
        Some(_) => scrub_and_rebaseline(memory_root, &needles, now)?,
        None => Vec::new(),
    };
    let leftovers_removed = remove_leftovers(memory_root, &needles)?;
    let logs_db = logs_db_path(state.homes())?;
    let mut warnings = Vec::new();
    let log_rows_deleted =
        forget_in_logs(state, &logs_db, thread_id, &needles, &mut warnings).await?;
    // The index drops the thread's entries (and, once compacted, every token of them) before the
    // database file is rewritten, so no copy of its text stays in our database either.
    sync_index(store, memory_root).await?;
    store.compact_entry_index().await?;
    tolerate_wal_in_use(store.scrub_deleted_text().await, &mut warnings)?;
    tolerate_wal_in_use(state.scrub_deleted_text().await, &mut warnings)?;
    let places = ForgetPlaces {
        memory_root: memory_root.to_path_buf(),
        memories_db: store.path().to_path_buf(),
        state_db: state.state_db_path(),
        logs_db,
    };
    let check = tokio::task::spawn_blocking(move || check_forgotten(&places, &needles))
        .await
        .map_err(|error| ControlError::Io {
            path: memory_root.to_path_buf(),
            source: io::Error::other(error.to_string()),
        })?
        .map_err(|(path, source)| ControlError::Io { path, source })?;
    Ok(ForgetReport {
        thread_id,
        output,
        job_deleted,
        summaries_removed,
        raw_memories_block_removed,
        index_row_blanked,
        log_rows_deleted,
        consolidation,
        lines_scrubbed,
        leftovers_removed,
        warnings,
        check,
    })
}

/// Deletes the lines still holding the thread (see [`crate::forget_scrub`]) and, when any went,
/// replaces `.git` with a fresh baseline of the scrubbed files, committed at `now`.
fn scrub_and_rebaseline(
    memory_root: &Path,
    needles: &ForgetNeedles,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, ControlError> {
    let scrubbed = scrub_kept_lines(memory_root, needles)
        .map_err(|(path, source)| ControlError::Io { path, source })?;
    if !scrubbed.is_empty()
        && let Some(workspace) = MemoryWorkspace::open_existing(memory_root)
    {
        workspace
            .reset_baseline(now)
            .map_err(|error| ControlError::Io {
                path: memory_root.join(".git"),
                source: io::Error::other(error.to_string()),
            })?;
    }
    Ok(scrubbed)
}

/// Deletes the workspace's bookkeeping at the top of the memory folder — a `.git` moved aside as
/// unusable (`.git.corrupt-*`), a baseline reset's staging folder (`.git.tmp-*`), a diff file a
/// crashed consolidation left — when it holds anything of the thread; returns their names. The
/// consolidation's fresh baseline does not touch them, and they are ours, not the user's.
fn remove_leftovers(root: &Path, needles: &ForgetNeedles) -> Result<Vec<String>, ControlError> {
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
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(CORRUPT_PREFIX)
            || name.starts_with(STAGING_PREFIX)
            || name == DIFF_FILE_NAME;
        let path = entry.path();
        if !ours || !holds_any(&path, needles).map_err(at(&path))? {
            continue;
        }
        if entry.file_type().map_err(at(&path))?.is_dir() {
            std::fs::remove_dir_all(&path).map_err(at(&path))?;
        } else {
            std::fs::remove_file(&path).map_err(at(&path))?;
        }
        removed.push(name);
    }
    removed.sort();
    Ok(removed)
}

/// What the thread may have left, read before anything is deleted: its id, its rollout file's
/// stem, the text its index row copied and the distinctive lines of its memory (raw memory,
/// rollout summary, summary files, `raw_memories.md` block) that no other thread's memory holds.
async fn gather_needles(
    store: &MemoryStore,
    memory_root: &Path,
    thread_id: ThreadId,
    indexed: Option<&ThreadRow>,
) -> Result<ForgetNeedles, ControlError> {
    let mut needles = ForgetNeedles::default();
    needles.push(NeedleKind::ThreadId, &thread_id.to_string());
    if let Some(row) = indexed {
        if let Some(stem) = row.rollout_path.file_stem() {
            needles.push(NeedleKind::RolloutStem, &stem.to_string_lossy());
        }
        for text in [&row.title, &row.first_user_message, &row.preview] {
            needles.push_lines(NeedleKind::IndexedText, text, |_| false);
        }
    }
    // The memory as stored; when the row is gone already (an earlier `forget`), what the folder
    // still has of it, without the metadata lines every thread's files share (cwd, branch).
    let memory = match store.stage1_output(thread_id).await? {
        Some(output) => vec![output.raw_memory, output.rollout_summary],
        None => {
            let mut texts = summary_file_texts(memory_root, thread_id)?;
            if let Ok(raw) = std::fs::read_to_string(memory_root.join(RAW_MEMORIES_FILE)) {
                texts.push(block_of(&raw, thread_id).unwrap_or_default().to_string());
            }
            texts
        }
    };
    let mut candidates = ForgetNeedles::default();
    for text in &memory {
        candidates.push_lines(NeedleKind::MemoryLine, text, |line| {
            METADATA_LINE_PREFIXES
                .iter()
                .any(|prefix| line.starts_with(prefix))
        });
    }
    for candidate in candidates.needles {
        if !store
            .other_memories_contain(thread_id, &candidate.text)
            .await?
        {
            needles.push(candidate.kind, &candidate.text);
        }
    }
    Ok(needles)
}

/// Deletes the thread's rows and every row naming it from the logs DB (when there is one; it is
/// never created here), then rewrites the file and empties its WAL.
async fn forget_in_logs(
    state: &StateRuntime,
    logs_db: &Path,
    thread_id: ThreadId,
    needles: &ForgetNeedles,
    warnings: &mut Vec<String>,
) -> Result<u64, ControlError> {
    if !logs_db.is_file() {
        return Ok(0);
    }
    let logs = LogStore::open(logs_db, state.clock().clone()).await?;
    let texts: Vec<String> = needles
        .needles
        .iter()
        .filter(|needle| needle.kind != NeedleKind::ThreadId)
        .map(|needle| needle.text.clone())
        .collect();
    let deleted = logs.forget_thread(&thread_id.to_string(), &texts).await;
    let scrubbed = match deleted {
        Ok(_) => logs.scrub_deleted_text().await,
        Err(_) => Ok(()),
    };
    logs.close().await;
    match scrubbed {
        Err(LogsError::Open(error)) => tolerate_wal_in_use(Err(error), warnings)?,
        other => other?,
    }
    Ok(deleted?)
}

/// A WAL another process keeps in use becomes a warning (the check then says whether the log
/// still holds anything); any other failure stays one.
fn tolerate_wal_in_use(
    result: Result<(), StateError>,
    warnings: &mut Vec<String>,
) -> Result<(), ControlError> {
    match result {
        Err(error @ StateError::WalInUse { .. }) => {
            warnings.push(error.to_string());
            Ok(())
        }
        other => Ok(other?),
    }
}

/// The texts of the `rollout_summaries/*.md` files of `thread_id`.
fn summary_file_texts(root: &Path, thread_id: ThreadId) -> Result<Vec<String>, ControlError> {
    Ok(summary_files(root, thread_id)?
        .into_iter()
        .filter_map(|(_, path)| std::fs::read_to_string(path).ok())
        .collect())
}

/// The `rollout_summaries/*.md` files whose first line is `thread_id: <id>`: (relative name,
/// path).
fn summary_files(root: &Path, thread_id: ThreadId) -> Result<Vec<(String, PathBuf)>, ControlError> {
    let dir = root.join(ROLLOUT_SUMMARIES_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(ControlError::Io { path: dir, source }),
    };
    let header = format!("thread_id: {thread_id}");
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.map_err(at(&dir))?;
        let path = entry.path();
        if !entry.file_type().map_err(at(&path))?.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.lines().next().map(str::trim_end) == Some(header.as_str()) {
            let name = format!(
                "{ROLLOUT_SUMMARIES_DIR}/{}",
                entry.file_name().to_string_lossy()
            );
            found.push((name, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Removes every `rollout_summaries/*.md` whose first line is `thread_id: <id>`; returns their
/// paths relative to the root.
pub fn remove_summary_files(root: &Path, thread_id: ThreadId) -> Result<Vec<String>, ControlError> {
    let mut removed = Vec::new();
    for (name, path) in summary_files(root, thread_id)? {
        std::fs::remove_file(&path).map_err(at(&path))?;
        removed.push(name);
    }
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
    let (start, end) = block_range(text, thread_id)?;
    Some(format!("{}{}", &text[..start], &text[end..]))
}

/// The block of `thread_id` in `text`, header included.
fn block_of(text: &str, thread_id: ThreadId) -> Option<&str> {
    let (start, end) = block_range(text, thread_id)?;
    Some(&text[start..end])
}

/// Where the block of `thread_id` starts and ends in `text`.
fn block_range(text: &str, thread_id: ThreadId) -> Option<(usize, usize)> {
    let header = format!("{RAW_BLOCK_PREFIX}{thread_id}`\n");
    let start = text.find(&header)?;
    let after_header = start + header.len();
    let end = text[after_header..]
        .find(RAW_BLOCK_PREFIX)
        .map_or(text.len(), |offset| after_header + offset);
    Some((start, end))
}

/// What `clear_all` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ClearReport {
    /// The memory root (kept).
    pub memory_root: PathBuf,
    /// Top-level entries removed from it (`.git` included).
    pub entries_removed: Vec<String>,
    /// Threads of the index that were enabled and are now disabled (`set_by = clear`), so the
    /// next run does not extract them all again; [`enable_cleared`] undoes it.
    pub threads_disabled: u64,
}

/// Deletes every memory row (outputs and jobs) and everything inside the memory folder, `.git`
/// included, and disables every thread that was enabled, so the next run does not extract them
/// all again (modes the user set one by one, and `forget`'s, are kept). The folder itself is
/// kept; a symlinked folder is refused before anything is deleted.
pub async fn clear_all(
    store: &MemoryStore,
    memory_root: &Path,
) -> Result<ClearReport, ControlError> {
    check_root(memory_root)?;
    let threads_disabled = store.clear_all_memory_data().await?;
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
        threads_disabled,
    })
}

/// Enables one thread again (undoing `forget`, `clear` or a `polluted` mode): it is extracted by
/// a later run, and, if it was forgotten, its index row gets its text back from its session on
/// the next index run.
pub async fn enable_thread(
    store: &MemoryStore,
    state: &StateRuntime,
    thread_id: ThreadId,
) -> Result<(), ControlError> {
    store
        .set_memory_mode(thread_id, MemoryMode::Enabled)
        .await?;
    state.remember_thread_text(thread_id).await?;
    Ok(())
}

/// Enables again every thread `clear` disabled (not those forgotten or disabled one by one), so
/// the next run extracts them; returns how many.
pub async fn enable_cleared(store: &MemoryStore) -> Result<u64, ControlError> {
    Ok(store.enable_cleared_threads().await?)
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
