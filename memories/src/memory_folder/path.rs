//! The paths a client (the consolidation agent, an MCP client) may name inside the memory
//! folder: relative, `/`-separated, without `..`, and never into git's bookkeeping (`.git`,
//! `.git.*`, compared without regard to letter case, since macOS and Windows folders ignore it).
//! Parsing is pure: whether a path exists, or is a link, is decided against the open folder.

use std::path::{Component, Path};

/// A path that is not allowed, and why (shown to the model or client as is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path `{path}` refused: {reason}")]
pub struct PathRefused {
    /// The path as given.
    pub path: String,
    /// Why it was refused.
    pub reason: &'static str,
}

/// A checked path relative to the memory folder; empty for the folder itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FolderPath {
    components: Vec<String>,
}

impl FolderPath {
    /// The memory folder itself.
    pub fn root() -> Self {
        Self {
            components: Vec::new(),
        }
    }

    /// Checks `given` (`""` and `"."` name the folder itself).
    pub fn parse(given: &str) -> Result<Self, PathRefused> {
        let refused = |reason| PathRefused {
            path: given.to_string(),
            reason,
        };
        let mut components = Vec::new();
        for component in Path::new(given.trim()).components() {
            match component {
                Component::Normal(part) => {
                    let Some(part) = part.to_str() else {
                        return Err(refused("the path is not valid UTF-8"));
                    };
                    if is_hidden_name(part) {
                        return Err(refused("the .git folder is off limits"));
                    }
                    components.push(part.to_string());
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
        Ok(Self { components })
    }

    /// A path whose components are already known to be plain names (a walk's own results).
    pub(crate) fn from_components(components: Vec<String>) -> Self {
        Self { components }
    }

    /// Whether this is the folder itself.
    pub fn is_root(&self) -> bool {
        self.components.is_empty()
    }

    /// The components, outermost first.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The folders above the last component, and the last component (`None` for the root).
    pub fn split_last(&self) -> Option<(&[String], &str)> {
        let (name, parents) = self.components.split_last()?;
        Some((parents, name.as_str()))
    }

    /// This path with `name` appended.
    pub fn join(&self, name: &str) -> Self {
        let mut components = self.components.clone();
        components.push(name.to_string());
        Self { components }
    }

    /// Whether this path is `prefix` or lies inside it, ignoring ASCII letter case.
    pub fn starts_with_ignoring_case(&self, prefix: &[&str]) -> bool {
        prefix.len() <= self.components.len()
            && prefix
                .iter()
                .zip(&self.components)
                .all(|(want, have)| want == &"*" || have.eq_ignore_ascii_case(want))
    }
}

impl std::fmt::Display for FolderPath {
    /// `a/b/c`, or the empty string for the root.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.components.join("/"))
    }
}

/// Whether a file or folder name is git's or the workspace's bookkeeping, which no tool shows or
/// touches: `.git` and anything starting with `.git.` (gix's and our own temporary siblings),
/// in any letter case.
pub fn is_hidden_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == ".git" || lower.starts_with(".git.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn relative_paths_are_normalised_into_components() {
        let path = FolderPath::parse("./skills//x/./SKILL.md").unwrap();
        assert_eq!(path.components(), ["skills", "x", "SKILL.md"]);
        assert_eq!(path.to_string(), "skills/x/SKILL.md");
        assert!(FolderPath::parse("").unwrap().is_root());
        assert!(FolderPath::parse(" . ").unwrap().is_root());
    }

    #[test]
    fn absolute_parent_and_git_paths_are_refused_in_any_letter_case() {
        for (path, reason) in [
            ("/etc/passwd", "absolute"),
            ("../outside.md", "`..`"),
            ("notes/../../x", "`..`"),
            (".git/config", ".git"),
            (".GIT/config", ".git"),
            (".Git", ".git"),
            ("sub/.git/HEAD", ".git"),
            (".git.tmp-1/x", ".git"),
            (".git.corrupt-1", ".git"),
        ] {
            let error = FolderPath::parse(path).unwrap_err();
            assert!(error.to_string().contains(reason), "{path}: {error}");
            assert_eq!(error.path, path);
        }
    }

    #[test]
    fn prefixes_compare_without_letter_case_and_with_wildcards() {
        let note = FolderPath::parse("Extensions/ad_hoc/NOTES/a.md").unwrap();
        assert!(note.starts_with_ignoring_case(&["extensions", "*", "notes"]));
        assert!(!note.starts_with_ignoring_case(&["extensions", "*", "resources"]));
        let short = FolderPath::parse("extensions/ad_hoc").unwrap();
        assert!(!short.starts_with_ignoring_case(&["extensions", "*", "notes"]));
    }
}
