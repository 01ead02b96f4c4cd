//! Writing a baseline from scratch: a new repository built in a staging folder beside `.git`,
//! holding one commit of the current tree under the workspace's own signature, with an index
//! whose stat data lets the next diff skip unchanged files, then swapped in for the old `.git`,
//! which is deleted whole — so text removed from the folder leaves no object behind. Also moving
//! an unusable `.git` aside. A crash mid-swap leaves at worst no `.git`, which `prepare` repairs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice};

use super::baseline::{BaselineInfo, git_dir, git_error};
use super::error::WorkspaceError;
use super::scan::{WorktreeFile, read_content, scan};
use crate::fsutil::unique_suffix;

use super::{CORRUPT_PREFIX, DIFF_FILE_NAME, SIGNATURE_EMAIL, SIGNATURE_NAME, STAGING_PREFIX};

/// The message of every baseline commit.
const BASELINE_COMMIT_MESSAGE: &str = "codex-memories baseline\n";

/// Replaces `.git` of `root` with a fresh repository holding one commit of the current tree,
/// made at `now` (the caller's clock, so a run under a manual clock commits at its time).
pub(crate) fn write_fresh_baseline(
    root: &Path,
    now: DateTime<Utc>,
) -> Result<BaselineInfo, WorkspaceError> {
    let staging = root.join(format!("{STAGING_PREFIX}{}", unique_suffix()));
    std::fs::create_dir(&staging).map_err(|source| WorkspaceError::Write {
        path: staging.clone(),
        source,
    })?;
    let built = build_repository(root, &staging, now);
    let result = built.and_then(|info| {
        swap_in(root, &staging.join(".git"))?;
        Ok(info)
    });
    // The staging folder is empty after a successful swap; after a failure it holds the partial
    // repository. Either way it goes (a leftover is removed by the next `prepare`).
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// Builds the new repository in `staging/.git` from the files of `root`.
fn build_repository(
    root: &Path,
    staging: &Path,
    now: DateTime<Utc>,
) -> Result<BaselineInfo, WorkspaceError> {
    let repo = gix::ThreadSafeRepository::init_opts(
        staging,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .map_err(git_error(staging, "create a repository"))?
    .to_thread_local();

    // `scan` takes each file's stat before its content is read, so a file written during the
    // reset gets a stat that no longer matches and is hashed again by the next diff.
    let files = scan(root)?;
    // One loose object file per blob, written from this thread: writing them from several
    // threads showed no gain on the 2-core test machine (they contend for the same folders).
    let mut ids = Vec::with_capacity(files.len());
    for file in &files {
        let content = read_content(root, file)?;
        let id = repo
            .write_blob(&content)
            .map_err(git_error(staging, "write a blob"))?
            .detach();
        ids.push(id);
    }
    let tree = write_tree(&repo, staging, &files, &ids)?;

    let signature = gix::actor::Signature {
        name: SIGNATURE_NAME.into(),
        email: SIGNATURE_EMAIL.into(),
        time: gix::date::Time::new(now.timestamp(), 0),
    };
    let mut time_buf = gix::date::parse::TimeBuf::default();
    let signature_ref = signature.to_ref(&mut time_buf);
    let commit = repo
        .commit_as(
            signature_ref,
            signature_ref,
            "HEAD",
            BASELINE_COMMIT_MESSAGE,
            tree,
            None::<ObjectId>,
        )
        .map_err(git_error(staging, "commit the baseline"))?
        .detach();

    write_index(&repo, staging, &files, &ids)?;
    write_exclude(&repo)?;
    Ok(BaselineInfo {
        commit: commit.to_string(),
        time_unix_seconds: signature.time.seconds,
    })
}

/// A directory being assembled into a tree object.
#[derive(Default)]
struct DirNode {
    files: Vec<gix::objs::tree::Entry>,
    dirs: BTreeMap<BString, DirNode>,
}

/// Writes the trees of `files` (sorted by path) and returns the root tree id.
fn write_tree(
    repo: &gix::Repository,
    staging: &Path,
    files: &[WorktreeFile],
    ids: &[ObjectId],
) -> Result<ObjectId, WorkspaceError> {
    let mut root_node = DirNode::default();
    for (file, id) in files.iter().zip(ids) {
        let mut components: Vec<&[u8]> = file.path.split_str("/").collect();
        let Some(name) = components.pop() else {
            continue;
        };
        let mut node = &mut root_node;
        for component in components {
            node = node.dirs.entry(BString::from(component)).or_default();
        }
        node.files.push(gix::objs::tree::Entry {
            mode: file.mode.tree_kind().into(),
            filename: BString::from(name),
            oid: *id,
        });
    }
    write_node(repo, staging, root_node)
}

fn write_node(
    repo: &gix::Repository,
    staging: &Path,
    node: DirNode,
) -> Result<ObjectId, WorkspaceError> {
    let mut entries = node.files;
    for (name, child) in node.dirs {
        let oid = write_node(repo, staging, child)?;
        entries.push(gix::objs::tree::Entry {
            mode: gix::objs::tree::EntryKind::Tree.into(),
            filename: name,
            oid,
        });
    }
    entries.sort();
    let id = repo
        .write_object(&gix::objs::Tree { entries })
        .map_err(git_error(staging, "write a tree"))?
        .detach();
    Ok(id)
}

/// Writes the index: one entry per file with the stat data `scan` saw.
fn write_index(
    repo: &gix::Repository,
    staging: &Path,
    files: &[WorktreeFile],
    ids: &[ObjectId],
) -> Result<(), WorkspaceError> {
    let mut state = gix::index::State::new(repo.object_hash());
    for (file, id) in files.iter().zip(ids) {
        let path: &BStr = file.path.as_ref();
        state.dangerously_push_entry(
            file.stat,
            *id,
            gix::index::entry::Flags::empty(),
            file.mode.index_mode(),
            path,
        );
    }
    state.sort_entries();
    let mut index = gix::index::File::from_state(state, repo.index_path());
    index
        .write(gix::index::write::Options::default())
        .map_err(git_error(staging, "write the index"))
}

/// Keeps the workspace's bookkeeping out of `git status` run by a person.
fn write_exclude(repo: &gix::Repository) -> Result<(), WorkspaceError> {
    let info = repo.git_dir().join("info");
    let path = info.join("exclude");
    let content = format!(
        "# Written by codex-memories: its own bookkeeping, not memory.\n/{DIFF_FILE_NAME}\n/{CORRUPT_PREFIX}*\n/{STAGING_PREFIX}*\n"
    );
    std::fs::create_dir_all(&info)
        .and_then(|()| std::fs::write(&path, content))
        .map_err(|source| WorkspaceError::Write { path, source })
}

/// Puts `new_git_dir` in place of `root/.git`, deleting the old one whole.
fn swap_in(root: &Path, new_git_dir: &Path) -> Result<(), WorkspaceError> {
    let current = git_dir(root);
    let retired = root.join(format!("{STAGING_PREFIX}old-{}", unique_suffix()));
    let had_current = match std::fs::symlink_metadata(&current) {
        Ok(_) => {
            std::fs::rename(&current, &retired).map_err(|source| WorkspaceError::Write {
                path: current.clone(),
                source,
            })?;
            true
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(WorkspaceError::Read {
                path: current,
                source,
            });
        }
    };
    if let Err(source) = std::fs::rename(new_git_dir, &current) {
        // Put the old baseline back rather than leave the folder without one.
        if had_current {
            let _ = std::fs::rename(&retired, &current);
        }
        return Err(WorkspaceError::Write {
            path: current,
            source,
        });
    }
    if had_current {
        remove_any(&retired).map_err(|source| WorkspaceError::Write {
            path: retired.clone(),
            source,
        })?;
    }
    Ok(())
}

/// Moves an unusable `.git` aside to `.git.corrupt-<unix seconds of now>`, or removes it when it
/// cannot be moved. Returns where it went (`None` when it was removed).
pub(crate) fn move_aside(
    root: &Path,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<PathBuf>, WorkspaceError> {
    let current = git_dir(root);
    let seconds = now.timestamp();
    let mut target = root.join(format!("{CORRUPT_PREFIX}{seconds}"));
    let mut attempt = 1;
    while std::fs::symlink_metadata(&target).is_ok() {
        target = root.join(format!("{CORRUPT_PREFIX}{seconds}-{attempt}"));
        attempt += 1;
    }
    if std::fs::rename(&current, &target).is_ok() {
        return Ok(Some(target));
    }
    remove_any(&current).map_err(|source| WorkspaceError::Recover {
        path: current.clone(),
        reason: reason.to_string(),
        source,
    })?;
    Ok(None)
}

/// Removes leftovers of an interrupted reset (`.git.tmp-*` folders at the top level).
pub(crate) fn remove_staging_leftovers(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name
            .as_encoded_bytes()
            .starts_with(STAGING_PREFIX.as_bytes())
        {
            // Best effort: a leftover that cannot be removed is excluded from scans anyway.
            let _ = remove_any(&entry.path());
        }
    }
}

/// Removes a file, a symlink or a whole directory tree.
fn remove_any(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}
