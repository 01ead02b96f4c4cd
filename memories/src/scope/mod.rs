//! Scopes: which project a memory belongs to. A session's project is the normalised git origin
//! URL of the repository it ran in (`github.com/acme/ledger`), else that repository's top-level
//! folder (the main worktree's, for a linked worktree), else its working directory; a session
//! with no folder is global. Project memories live in `projects/<slug>/` of the memory folder,
//! where the slug is readable, stable and carries a hash of the whole key so two projects never
//! share a folder. Pure apart from reading `.git` entries; never writes anything.

mod git_repo;
mod origin;
mod slug;

use std::fmt;
use std::path::Path;

use serde::Serialize;

pub use git_repo::{clean_path, find_repository};
pub use origin::normalize_origin;
pub use slug::project_slug;

/// The folder of the memory folder that holds one folder per project.
pub const PROJECTS_DIR: &str = "projects";
/// A project's consolidated memory, `projects/<slug>/MEMORY.md`.
pub const PROJECT_MEMORY_FILE: &str = "MEMORY.md";
/// A project's short summary, `projects/<slug>/summary.md`.
pub const PROJECT_SUMMARY_FILE: &str = "summary.md";
/// How a global memory is named where a project key would stand (artifact headers, the index).
pub const GLOBAL_SCOPE_NAME: &str = "global";

/// The key of one project: a normalised origin (`github.com/acme/ledger`) or an absolute folder
/// (`/home/me/scratch`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ProjectKey(String);

impl ProjectKey {
    /// A key as written in an artifact header or given by a user; `None` when blank or
    /// [`GLOBAL_SCOPE_NAME`].
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        (!text.is_empty() && text != GLOBAL_SCOPE_NAME).then(|| Self(text.to_string()))
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The project's folder name under [`PROJECTS_DIR`].
    pub fn slug(&self) -> String {
        project_slug(&self.0)
    }

    /// The project's folder relative to the memory root, `projects/<slug>`.
    pub fn folder(&self) -> String {
        format!("{PROJECTS_DIR}/{}", self.slug())
    }
}

impl fmt::Display for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a memory holds: everywhere, or in one project.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Holds in every session (user preferences, tools, habits).
    Global,
    /// Holds in one project only.
    Project(ProjectKey),
}

impl Scope {
    /// The project, when the scope is one.
    pub fn project(&self) -> Option<&ProjectKey> {
        match self {
            Self::Global => None,
            Self::Project(key) => Some(key),
        }
    }

    /// The text written in artifact headers: the key, or [`GLOBAL_SCOPE_NAME`].
    pub fn header_value(&self) -> &str {
        match self {
            Self::Global => GLOBAL_SCOPE_NAME,
            Self::Project(key) => key.as_str(),
        }
    }

    /// Parses [`Scope::header_value`]'s text back.
    pub fn from_header_value(text: &str) -> Self {
        ProjectKey::parse(text).map_or(Self::Global, Self::Project)
    }
}

/// The scope of a session recorded in the thread index: its `cwd` and the `origin` URL recorded
/// when it started (`None` when the agent recorded none — Claude Code and Gemini CLI never do —
/// in which case the repository's own config is read).
pub fn session_scope(cwd: &str, recorded_origin: Option<&str>) -> Scope {
    if let Some(key) = recorded_origin.and_then(normalize_origin) {
        return Scope::Project(ProjectKey(key));
    }
    if cwd.trim().is_empty() {
        return Scope::Global;
    }
    folder_scope(Path::new(cwd.trim()))
}

/// The scope of a session that runs in `folder` now: the origin of the repository holding it,
/// else that repository's top level, else `folder` itself.
pub fn folder_scope(folder: &Path) -> Scope {
    let folder = clean_path(folder);
    if folder.as_os_str().is_empty() {
        return Scope::Global;
    }
    let key = match find_repository(&folder) {
        Some(repository) => repository
            .origin_url()
            .and_then(|url| normalize_origin(&url))
            .unwrap_or_else(|| path_key(&repository.top_level)),
        None => path_key(&folder),
    };
    Scope::Project(ProjectKey(key))
}

/// A folder's key: its path, `/`-separated, without a trailing separator.
fn path_key(folder: &Path) -> String {
    let text = folder.to_string_lossy().replace('\\', "/");
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_string()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests;
