//! Finding the git repository a folder belongs to, by walking up from it to the first `.git`
//! (the innermost repository wins). A `.git` file (a linked worktree or a submodule) is
//! followed to its git folder; a linked worktree's git folder names the repository's common
//! folder (`commondir`), whose top level — the main worktree — is the project, so every
//! worktree of one repository shares it. Read-only, and it never fails: an unreadable `.git`
//! is treated as no repository there.

use std::path::{Component, Path, PathBuf};

/// The repository that holds a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRepository {
    /// The main worktree's top-level folder (the repository folder itself for a bare common
    /// folder).
    pub top_level: PathBuf,
    /// The `config` file of the repository (in the common git folder).
    pub config_path: PathBuf,
}

impl GitRepository {
    /// The URL of the `origin` remote in the repository's config, when it has one.
    pub fn origin_url(&self) -> Option<String> {
        let bytes = std::fs::read(&self.config_path).ok()?;
        let config = gix::config::File::from_bytes_no_includes(
            &bytes,
            gix::config::file::Metadata::from(gix::config::Source::Local),
            gix::config::file::init::Options::default(),
        )
        .ok()?;
        let url = config.string("remote.origin.url")?;
        let url = String::from_utf8_lossy(url.as_ref()).trim().to_string();
        (!url.is_empty()).then_some(url)
    }
}

/// The innermost repository holding `folder` (or `folder` itself), found by walking up its
/// path; `None` when no ancestor has a usable `.git`.
pub fn find_repository(folder: &Path) -> Option<GitRepository> {
    let folder = clean_path(folder);
    folder.ancestors().find_map(repository_at)
}

/// The repository whose `.git` sits directly in `folder`, if any.
fn repository_at(folder: &Path) -> Option<GitRepository> {
    let dot_git = folder.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    let git_dir = if meta.is_dir() {
        dot_git
    } else if meta.is_file() {
        linked_git_dir(&dot_git, folder)?
    } else {
        return None;
    };
    let common_dir = common_dir(&git_dir);
    let top_level = if common_dir == folder.join(".git") {
        folder.to_path_buf()
    } else if common_dir.file_name().is_some_and(|name| name == ".git") {
        common_dir
            .parent()
            .map_or_else(|| folder.to_path_buf(), Path::to_path_buf)
    } else if common_dir != git_dir {
        // A linked worktree of a bare repository: the bare folder is the project.
        common_dir.clone()
    } else {
        // A submodule (`.git` file into `.git/modules/…`): its own folder is its project.
        folder.to_path_buf()
    };
    if !common_dir.join("HEAD").is_file() && !git_dir.join("HEAD").is_file() {
        return None;
    }
    Some(GitRepository {
        top_level,
        config_path: common_dir.join("config"),
    })
}

/// The git folder a `.git` file points to (`gitdir: <path>`, relative to the file's folder).
fn linked_git_dir(dot_git_file: &Path, folder: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(dot_git_file).ok()?;
    let target = text.lines().find_map(|line| line.strip_prefix("gitdir:"))?;
    let target = Path::new(target.trim());
    Some(clean_path(&folder.join(target)))
}

/// The common git folder of `git_dir`: what its `commondir` file names, else itself.
fn common_dir(git_dir: &Path) -> PathBuf {
    match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) if !text.trim().is_empty() => clean_path(&git_dir.join(text.trim())),
        _ => git_dir.to_path_buf(),
    }
}

/// `path` with `.` components dropped and `..` applied lexically (no symlinks resolved, so the
/// key of a folder is the path the agent recorded).
pub fn clean_path(path: &Path) -> PathBuf {
    let mut cleaned = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !cleaned.pop() {
                    cleaned.push(component);
                }
            }
            other => cleaned.push(other),
        }
    }
    cleaned
}
