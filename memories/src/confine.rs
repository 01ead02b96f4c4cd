//! Confinement of agent- and client-supplied paths to the memory root. A path must be relative,
//! without `..`, not under `.git`, and must not resolve (through symlinks) outside the root.
//! Used by the consolidation agent's tools and the MCP server; everything they touch goes
//! through [`resolve_in_root`] first.

use std::path::{Component, Path, PathBuf};

/// A path that is not allowed, and why (shown to the model or client as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path `{path}` refused: {reason}")]
pub struct PathRefused {
    /// The path as given.
    pub path: String,
    /// Why it was refused.
    pub reason: &'static str,
}

/// Resolves `relative` inside `root`. The target may not exist yet (for writes), but every
/// existing ancestor must stay inside the root once symlinks are resolved.
pub fn resolve_in_root(root: &Path, relative: &str) -> Result<PathBuf, PathRefused> {
    let refused = |reason| PathRefused {
        path: relative.to_string(),
        reason,
    };
    let trimmed = relative.trim();
    if trimmed.is_empty() || trimmed == "." {
        return root
            .canonicalize()
            .map_err(|_| refused("the memory folder does not exist"));
    }
    let path = Path::new(trimmed);
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => {
                if part == ".git" || part.to_string_lossy().starts_with(".git.") {
                    return Err(refused("the .git folder is off limits"));
                }
                clean.push(part);
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(refused("`..` is not allowed")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(
                    "absolute paths are not allowed; use a path relative to the memory folder",
                ));
            }
        }
    }
    let root = root
        .canonicalize()
        .map_err(|_| refused("the memory folder does not exist"))?;
    let candidate = root.join(&clean);
    // Walk up to the deepest existing ancestor and check where it really points.
    let mut existing = candidate.as_path();
    loop {
        if std::fs::symlink_metadata(existing).is_ok() {
            break;
        }
        existing = existing
            .parent()
            .ok_or_else(|| refused("the path has no existing parent"))?;
    }
    let resolved = existing
        .canonicalize()
        .map_err(|_| refused("a symlink on the path is broken or loops"))?;
    if !resolved.starts_with(&root) {
        return Err(refused("it leads outside the memory folder (symlink)"));
    }
    let relative_to_root = resolved.strip_prefix(&root).unwrap_or(Path::new(""));
    if relative_to_root
        .components()
        .next()
        .is_some_and(|first| first.as_os_str() == ".git")
    {
        return Err(refused("the .git folder is off limits"));
    }
    Ok(candidate)
}

/// `path` relative to `root`, with `/` separators (for messages and listings).
pub fn display_relative(root: &Path, path: &Path) -> String {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    path.strip_prefix(&root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_relative_paths_resolve_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        let resolved = resolve_in_root(root.path(), "skills/x/SKILL.md").unwrap();
        assert!(resolved.starts_with(root.path().canonicalize().unwrap()));
        assert!(resolved.ends_with("skills/x/SKILL.md"));
    }

    #[test]
    fn absolute_parent_and_git_paths_are_refused() {
        let root = tempfile::tempdir().unwrap();
        for (path, reason) in [
            ("/etc/passwd", "absolute"),
            ("../outside.md", "`..`"),
            ("notes/../../x", "`..`"),
            (".git/config", ".git"),
            ("sub/.git/HEAD", ".git"),
        ] {
            let error = resolve_in_root(root.path(), path).unwrap_err();
            assert!(error.to_string().contains(reason), "{path}: {error}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_leading_outside_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.path().join("host")).unwrap();
        for path in ["escape/new.md", "host"] {
            let error = resolve_in_root(root.path(), path).unwrap_err();
            assert!(error.reason.contains("outside"), "{path}: {error}");
        }
    }
}
