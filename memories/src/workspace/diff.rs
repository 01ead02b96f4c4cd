//! The changes between the baseline commit and the worktree. The index written with the baseline
//! is a stat cache: a file whose `lstat` data (size, mtime, ctime, inode, owner, mode) equal its
//! index entry — and whose entry is not racy, i.e. was not modified at or after the index was
//! written — is unchanged without being read; every other file is hashed and its id compared with
//! the baseline tree's blob. Nothing is written: no objects, no index refresh.

use std::cmp::Ordering;
use std::path::Path;
use std::time::Duration;

use gix::bstr::{BStr, ByteSlice};

use super::baseline::{Baseline, TreeFile, git_error, read_tree};
use super::error::WorkspaceError;
use super::scan::{FileMode, WorktreeFile, is_excluded_path, read_content, scan};
use super::{BINARY_SNIFF_BYTES, UNIFIED_CONTEXT_LINES};

/// Longest time one file's line diff may take before it settles for a coarser (still correct) diff.
const LINE_DIFF_TIMEOUT: Duration = Duration::from_secs(5);

/// What happened to a path since the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// New since the baseline.
    Added,
    /// Content changed (its mode may have changed too).
    Modified,
    /// Gone since the baseline.
    Deleted,
    /// Same content, different mode (the exec bit, or a file turned into a symlink to the same text).
    ModeChanged,
}

impl ChangeKind {
    /// The status letter of the change list: `A`, `M`, `D`, or `mode`.
    pub fn status(self) -> &'static str {
        match self {
            ChangeKind::Added => "A",
            ChangeKind::Modified => "M",
            ChangeKind::Deleted => "D",
            ChangeKind::ModeChanged => "mode",
        }
    }
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to the memory root, `/`-separated (lossy UTF-8 for non-UTF-8 names).
    pub path: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The mode in the baseline (`None` when added).
    pub old_mode: Option<FileMode>,
    /// The mode in the worktree (`None` when deleted).
    pub new_mode: Option<FileMode>,
    /// Whether either side is binary (a NUL byte near the start, or not UTF-8); its content is
    /// then named, not dumped.
    pub binary: bool,
    /// The unified diff of this file: `--- a/x` / `+++ b/x` (`/dev/null` for adds and deletes),
    /// hunks with 3 lines of context; `Binary file x changed` for binary files; empty for a
    /// change of mode alone.
    pub unified: String,
}

impl FileChange {
    /// `(old, new)` when the mode differs between two existing versions.
    pub fn mode_change(&self) -> Option<(FileMode, FileMode)> {
        match (self.old_mode, self.new_mode) {
            (Some(old), Some(new)) if old != new => Some((old, new)),
            _ => None,
        }
    }
}

/// Every change between the baseline and the worktree, sorted by path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceDiff {
    /// The changed paths, in path-byte order.
    pub changes: Vec<FileChange>,
}

impl WorkspaceDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// The stat comparison git makes with its defaults (`core.trustctime`, `core.checkStat=default`).
pub(crate) const STAT_OPTIONS: gix::index::entry::stat::Options =
    gix::index::entry::stat::Options {
        trust_ctime: true,
        check_stat: true,
        use_nsec: true,
        use_stdev: false,
    };

/// Computes the changes of `root` against `baseline`, trusting the baseline's own index as the
/// stat cache.
pub(crate) fn compute(root: &Path, baseline: &Baseline) -> Result<WorkspaceDiff, WorkspaceError> {
    compute_with(root, baseline, None)
}

/// Computes the changes of `root` against `baseline`; `stat_cache` (when given) replaces the
/// baseline's index — phase 2's staging copy carries the live folder's cache over to its copies.
pub(crate) fn compute_with(
    root: &Path,
    baseline: &Baseline,
    stat_cache: Option<&gix::index::State>,
) -> Result<WorkspaceDiff, WorkspaceError> {
    let repo = &baseline.repo;
    // The worktree scan (one lstat per file) runs on its own thread while this one reads the
    // baseline tree and the index; the repository handle stays on this thread.
    let (tree_files, index, worktree) = std::thread::scope(|threads| {
        let scanning = threads.spawn(|| scan(root));
        let tree_files =
            read_tree(repo, baseline.tree).map_err(git_error(root, "read the baseline tree"));
        // An unreadable or missing index only costs speed: every file is hashed instead.
        let index = match stat_cache {
            Some(_) => None,
            None => gix::index::File::at(
                repo.index_path(),
                repo.object_hash(),
                false,
                gix::index::decode::Options::default(),
            )
            .ok(),
        };
        let worktree = scanning.join().unwrap_or_else(|_| {
            Err(WorkspaceError::Read {
                path: root.to_path_buf(),
                source: std::io::Error::other("the folder scan panicked"),
            })
        });
        (tree_files, index, worktree)
    });
    let mut tree_files = tree_files?;
    tree_files.retain(|file| !is_excluded_path(&file.path));
    let worktree = worktree?;

    let mut changes = Vec::new();
    let mut index_cursor = IndexCursor::new(stat_cache.or(index.as_deref()));
    let mut tree_iter = tree_files.iter().peekable();
    let mut work_iter = worktree.iter().peekable();
    loop {
        let order = match (tree_iter.peek(), work_iter.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(old), Some(new)) => old.path.cmp(&new.path),
        };
        match order {
            Ordering::Less => {
                if let Some(old) = tree_iter.next() {
                    changes.push(deleted(root, baseline, old)?);
                }
            }
            Ordering::Greater => {
                if let Some(new) = work_iter.next() {
                    changes.push(added(root, new)?);
                }
            }
            Ordering::Equal => {
                if let (Some(old), Some(new)) = (tree_iter.next(), work_iter.next())
                    && let Some(change) = compared(root, baseline, &mut index_cursor, old, new)?
                {
                    changes.push(change);
                }
            }
        }
    }
    Ok(WorkspaceDiff { changes })
}

fn added(root: &Path, new: &WorktreeFile) -> Result<FileChange, WorkspaceError> {
    let content = read_content(root, new)?;
    let path = display_path(new.path.as_ref());
    let (binary, unified) = unified(&path, None, Some(&content));
    Ok(FileChange {
        path,
        kind: ChangeKind::Added,
        old_mode: None,
        new_mode: Some(new.mode),
        binary,
        unified,
    })
}

fn deleted(root: &Path, baseline: &Baseline, old: &TreeFile) -> Result<FileChange, WorkspaceError> {
    let blob = baseline
        .repo
        .find_blob(old.id)
        .map_err(git_error(root, "read a baseline blob"))?;
    let path = display_path(old.path.as_ref());
    let (binary, unified) = unified(&path, Some(&blob.data), None);
    Ok(FileChange {
        path,
        kind: ChangeKind::Deleted,
        old_mode: Some(old.mode),
        new_mode: None,
        binary,
        unified,
    })
}

/// The change of a path present on both sides, or `None` when it is unchanged.
fn compared(
    root: &Path,
    baseline: &Baseline,
    index: &mut IndexCursor<'_>,
    old: &TreeFile,
    new: &WorktreeFile,
) -> Result<Option<FileChange>, WorkspaceError> {
    if index.says_unchanged(old, new) {
        return Ok(None);
    }
    let content = read_content(root, new)?;
    let id = gix::objs::compute_hash(baseline.repo.object_hash(), gix::objs::Kind::Blob, &content)
        .map_err(git_error(root, "hash a worktree file"))?;
    let path = display_path(new.path.as_ref());
    if id == old.id {
        if old.mode == new.mode {
            return Ok(None);
        }
        return Ok(Some(FileChange {
            path,
            kind: ChangeKind::ModeChanged,
            old_mode: Some(old.mode),
            new_mode: Some(new.mode),
            binary: false,
            unified: String::new(),
        }));
    }
    let blob = baseline
        .repo
        .find_blob(old.id)
        .map_err(git_error(root, "read a baseline blob"))?;
    let (binary, unified) = unified(&path, Some(&blob.data), Some(&content));
    Ok(Some(FileChange {
        path,
        kind: ChangeKind::Modified,
        old_mode: Some(old.mode),
        new_mode: Some(new.mode),
        binary,
        unified,
    }))
}

/// Walks the index entries in step with the sorted paths asked about (the index is sorted by
/// path bytes too), so each lookup is a short forward move rather than a binary search.
struct IndexCursor<'a> {
    index: Option<&'a gix::index::State>,
    next: usize,
}

impl<'a> IndexCursor<'a> {
    fn new(index: Option<&'a gix::index::State>) -> Self {
        Self { index, next: 0 }
    }

    /// Whether the index proves `new` still holds the baseline's `old` without reading it.
    /// Paths must be asked about in increasing order.
    fn says_unchanged(&mut self, old: &TreeFile, new: &WorktreeFile) -> bool {
        let Some(index) = self.index else {
            return false;
        };
        let entries = index.entries();
        let backing = index.path_backing();
        while let Some(entry) = entries.get(self.next) {
            match entry.path_in(backing).cmp(new.path.as_bstr()) {
                Ordering::Less => self.next += 1,
                Ordering::Greater => return false,
                Ordering::Equal => {
                    return entry.stage_raw() == 0
                        && entry.id == old.id
                        && old.mode == new.mode
                        && entry.mode == new.mode.index_mode()
                        && entry.stat.matches(&new.stat, STAT_OPTIONS)
                        && !entry.stat.is_racy(index.timestamp(), STAT_OPTIONS);
                }
            }
        }
        false
    }
}

/// A path as it appears in the status list and diff headers: as is, unless it holds characters
/// that would break a line-based format (then quoted with escapes, as git does).
fn display_path(path: &BStr) -> String {
    let text = path.to_str_lossy();
    if text
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        format!("{:?}", text.as_ref())
    } else {
        text.into_owned()
    }
}

/// `a/path` or `b/path`; for a quoted path the prefix goes inside the quotes, as git writes it.
pub(crate) fn side_label(prefix: &str, path: &str) -> String {
    match path.strip_prefix('"') {
        Some(inner) => format!("\"{prefix}{inner}"),
        None => format!("{prefix}{path}"),
    }
}

/// Whether `content` is to be treated as binary: a NUL byte in its first bytes (git's rule), or
/// not UTF-8 (the diff file is Markdown).
fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(BINARY_SNIFF_BYTES)].contains(&0)
        || std::str::from_utf8(content).is_err()
}

/// The unified diff of one file; `(binary, text)`.
fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> (bool, String) {
    let old_label = old.map_or_else(|| "/dev/null".to_string(), |_| side_label("a/", path));
    let new_label = new.map_or_else(|| "/dev/null".to_string(), |_| side_label("b/", path));
    if old.is_some_and(is_binary) || new.is_some_and(is_binary) {
        let verb = match (old, new) {
            (None, _) => "added",
            (_, None) => "deleted",
            _ => "changed",
        };
        return (true, format!("Binary file {path} {verb}\n"));
    }
    let old_text = old
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or("");
    let new_text = new
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or("");
    let diff = similar::TextDiff::configure()
        .newline_terminated(true)
        .timeout(LINE_DIFF_TIMEOUT)
        .diff_lines(old_text, new_text);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    for hunk in diff
        .unified_diff()
        .context_radius(UNIFIED_CONTEXT_LINES)
        .missing_newline_hint(true)
        .iter_hunks()
    {
        out.push_str(&hunk.to_string());
    }
    (false, out)
}
