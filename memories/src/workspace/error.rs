//! The one error type of the workspace. Every variant names the path involved; git failures keep
//! gix's error as the source so `{:#}` shows the whole chain. A broken `.git` is not an error for
//! `prepare` (it recovers); these are the faults left over: unreadable files, a full disk, a
//! folder that cannot be created.

use std::io;
use std::path::PathBuf;

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The memory folder could not be created.
    #[error("cannot create the memory folder {path}: {source}")]
    CreateRoot {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A file or folder of the workspace could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A file or folder of the workspace could not be written, renamed or removed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A git operation on the workspace repository failed.
    #[error("git repository {path}: cannot {action}: {source:#}")]
    Git {
        /// The repository's `.git` folder.
        path: PathBuf,
        /// What was being done, e.g. `read the baseline tree`.
        action: &'static str,
        /// gix's error.
        source: gix::Error,
    },
    /// The repository has no usable baseline commit (call `prepare` first).
    #[error("the memory folder {path} has no usable baseline: {reason}")]
    NoBaseline {
        /// The memory folder.
        path: PathBuf,
        /// What is wrong with its `.git`.
        reason: String,
    },
    /// An unusable `.git` could neither be moved aside nor removed.
    #[error("cannot move aside or remove the unusable repository {path} ({reason}): {source}")]
    Recover {
        /// The `.git` path.
        path: PathBuf,
        /// Why it was unusable.
        reason: String,
        /// The I/O error of the removal.
        source: io::Error,
    },
    /// Something other than a note changed in the live folder while phase 2 worked on its copy;
    /// the copy was not swapped in, so that change is kept (and consolidated next time).
    #[error(
        "{} changed while it was being consolidated ({}); the consolidation was not applied and the next one will include the change",
        path.display(),
        changed.join(", ")
    )]
    ChangedDuringRun {
        /// The live memory folder.
        path: PathBuf,
        /// What changed, relative to it.
        changed: Vec<String>,
    },
    /// The memory folder is a mount point (its own file system): phase 2 swaps a consolidated
    /// copy in beside it, which a mount point cannot take.
    #[error(
        "the memory folder {} is a mount point; phase 2 replaces the folder whole with a consolidated copy made beside it, which a mount point cannot take. Mount the folder above it instead, or make it a symbolic link to a folder inside the mounted file system",
        path.display()
    )]
    MountPoint {
        /// The memory folder.
        path: PathBuf,
    },
}
