//! Reading the baseline: opening the workspace repository without the user's git configuration,
//! deciding whether it is usable (a `.git` directory whose HEAD is a commit whose trees and blobs
//! are all present), and flattening the baseline tree into a sorted file list. Reading never
//! writes: no objects, no index refresh, no reflog.

use std::path::{Path, PathBuf};

use gix::ObjectId;
use gix::bstr::{BString, ByteVec};

use super::error::WorkspaceError;
use super::scan::FileMode;

/// The commit every diff is taken against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineInfo {
    /// The commit id, 40 hex digits.
    pub commit: String,
    /// The commit time, in seconds since the Unix epoch.
    pub time_unix_seconds: i64,
}

/// One file of the baseline tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeFile {
    /// Relative to the root, `/`-separated.
    pub path: BString,
    /// Regular, executable or symlink.
    pub mode: FileMode,
    /// The blob id.
    pub id: ObjectId,
}

/// An opened, usable baseline.
pub(crate) struct Baseline {
    /// The repository, opened in isolation from the user's configuration.
    pub repo: gix::Repository,
    /// The HEAD commit.
    pub info: BaselineInfo,
    /// The HEAD commit's tree id.
    pub tree: ObjectId,
}

/// The `.git` folder of `root`.
pub(crate) fn git_dir(root: &Path) -> PathBuf {
    root.join(".git")
}

/// Opens the repository of `root` and resolves HEAD to a commit, or says why it cannot.
pub(crate) fn open(root: &Path) -> Result<Baseline, String> {
    let git_dir = git_dir(root);
    match std::fs::symlink_metadata(&git_dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err("`.git` is not a directory".to_string()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err("there is no `.git`".to_string());
        }
        Err(error) => return Err(format!("`.git` cannot be read: {error}")),
    }
    let repo = gix::open_opts(&git_dir, gix::open::Options::isolated())
        .map_err(|error| format!("it does not open as a git repository: {error:#}"))?;
    if repo.workdir().is_none() {
        return Err("it is a bare repository".to_string());
    }
    let head = repo
        .head_id()
        .map_err(|error| format!("HEAD does not point to a commit: {error:#}"))?
        .detach();
    let commit = repo
        .find_commit(head)
        .map_err(|error| format!("the HEAD commit {head} cannot be read: {error:#}"))?;
    let tree = commit
        .tree_id()
        .map_err(|error| format!("the HEAD commit {head} cannot be decoded: {error:#}"))?
        .detach();
    let time_unix_seconds = commit
        .time()
        .map_err(|error| format!("the HEAD commit {head} has no readable time: {error:#}"))?
        .seconds;
    drop(commit);
    Ok(Baseline {
        repo,
        info: BaselineInfo {
            commit: head.to_string(),
            time_unix_seconds,
        },
        tree,
    })
}

/// Opens the baseline and checks that every tree and blob it names is present.
pub(crate) fn open_and_verify(root: &Path) -> Result<Baseline, String> {
    let baseline = open(root)?;
    let files = read_tree(&baseline.repo, baseline.tree)
        .map_err(|error| format!("the baseline tree cannot be read: {error:#}"))?;
    if let Some(missing) = files.iter().find(|file| !baseline.repo.has_object(file.id)) {
        return Err(format!(
            "the object {} of `{}` is missing",
            missing.id, missing.path
        ));
    }
    Ok(baseline)
}

/// Every file of the tree `tree`, sorted by path bytes. Submodule entries are ignored.
pub(crate) fn read_tree(
    repo: &gix::Repository,
    tree: ObjectId,
) -> Result<Vec<TreeFile>, gix::Error> {
    let mut files = Vec::new();
    let mut pending = vec![(tree, BString::default())];
    while let Some((id, prefix)) = pending.pop() {
        let tree = repo.find_tree(id)?;
        let decoded = tree.decode()?;
        for entry in &decoded.entries {
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push_byte(b'/');
            }
            path.push_str(entry.filename);
            if entry.mode.is_tree() {
                pending.push((entry.oid.to_owned(), path));
            } else if let Some(mode) = FileMode::from_tree_mode(entry.mode) {
                files.push(TreeFile {
                    path,
                    mode,
                    id: entry.oid.to_owned(),
                });
            }
        }
    }
    files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Maps a gix failure on the repository of `root` to a workspace error.
pub(crate) fn git_error(
    root: &Path,
    action: &'static str,
) -> impl FnOnce(gix::Error) -> WorkspaceError {
    let path = git_dir(root);
    move |source| WorkspaceError::Git {
        path,
        action,
        source,
    }
}
