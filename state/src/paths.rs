//! Where things live: the Codex home (rollouts), the sqlite home (our databases), and the homes
//! of the other agents whose sessions are read (Claude Code's, Gemini CLI's). Resolution order
//! is explicit path, then environment variable, then default. Our database files always live
//! under the sqlite home, never at the Codex home root where Codex keeps its own
//! `state_*.sqlite` files; nothing is ever written under another agent's home.

use std::path::{Path, PathBuf};

use crate::StateError;

/// Environment variable naming the Codex home.
pub const CODEX_HOME_ENV: &str = "CODEX_HOME";
/// Environment variable naming the sqlite home.
pub const SQLITE_HOME_ENV: &str = "CODEX_MEMORIES_SQLITE_HOME";
/// The sqlite home's folder name under the Codex home, when not set explicitly.
pub const SQLITE_HOME_DIR_NAME: &str = "codex-memories";
/// The Codex home's folder name under the user's home directory.
pub const DEFAULT_CODEX_HOME_DIR_NAME: &str = ".codex";
/// The state DB (thread index) file name.
pub const STATE_DB_FILE_NAME: &str = "state_1.sqlite";
/// The memories DB (jobs, stage-1 outputs) file name.
pub const MEMORIES_DB_FILE_NAME: &str = "memories_1.sqlite";
/// The logs DB file name.
pub const LOGS_DB_FILE_NAME: &str = "logs_1.sqlite";
/// Live rollouts, under the Codex home.
pub const SESSIONS_DIR_NAME: &str = "sessions";
/// Archived rollouts, under the Codex home.
pub const ARCHIVED_SESSIONS_DIR_NAME: &str = "archived_sessions";
/// Environment variable naming Claude Code's folder (as Claude Code reads it).
pub const CLAUDE_CONFIG_DIR_ENV: &str = "CLAUDE_CONFIG_DIR";
/// Claude Code's folder name under the user's home directory.
pub const DEFAULT_CLAUDE_HOME_DIR_NAME: &str = ".claude";
/// Claude Code's transcripts, under its folder.
pub const CLAUDE_PROJECTS_DIR_NAME: &str = "projects";
/// Environment variable naming the folder that holds Gemini CLI's `.gemini` (as Gemini CLI
/// reads it; the user's home directory when unset).
pub const GEMINI_CLI_HOME_ENV: &str = "GEMINI_CLI_HOME";
/// Gemini CLI's folder name under its home.
pub const DEFAULT_GEMINI_HOME_DIR_NAME: &str = ".gemini";
/// Gemini CLI's per-project folders (each with `chats/`), under its folder.
pub const GEMINI_TMP_DIR_NAME: &str = "tmp";

/// The resolved homes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Homes {
    /// The Codex home: `sessions/`, `archived_sessions/`, `config.toml`, `memories/`.
    pub codex_home: PathBuf,
    /// Where our databases live.
    pub sqlite_home: PathBuf,
    /// Claude Code's folder (`projects/`), when its sessions may be read.
    pub claude_home: Option<PathBuf>,
    /// Gemini CLI's folder (`tmp/<project>/chats/`), when its sessions may be read.
    pub gemini_home: Option<PathBuf>,
}

impl Homes {
    /// Resolves every home from explicit paths (e.g. `--codex-home`, `--sqlite-home`), then the
    /// environment, then the defaults; Claude Code's and Gemini CLI's from the environment and
    /// their defaults (see [`Homes::with_agent_homes`] for explicit ones).
    pub fn resolve(
        codex_home: Option<&Path>,
        sqlite_home: Option<&Path>,
    ) -> Result<Self, StateError> {
        let codex_home = resolve_codex_home(codex_home)?;
        let sqlite_home = resolve_sqlite_home(sqlite_home, &codex_home);
        Ok(Self {
            codex_home,
            sqlite_home,
            claude_home: resolve_claude_home(None),
            gemini_home: resolve_gemini_home(None),
        })
    }

    /// The Codex and sqlite homes given explicitly, ignoring the environment, and no other
    /// agent's home (tests, embedding hosts).
    pub fn new(codex_home: impl Into<PathBuf>, sqlite_home: impl Into<PathBuf>) -> Self {
        Self {
            codex_home: codex_home.into(),
            sqlite_home: sqlite_home.into(),
            claude_home: None,
            gemini_home: None,
        }
    }

    /// The Codex home with the default sqlite home under it, and no other agent's home.
    pub fn under_codex_home(codex_home: impl Into<PathBuf>) -> Self {
        let codex_home = codex_home.into();
        let sqlite_home = codex_home.join(SQLITE_HOME_DIR_NAME);
        Self::new(codex_home, sqlite_home)
    }

    /// These homes with Claude Code's and Gemini CLI's folders given explicitly where they are
    /// (e.g. `--claude-home`, `--gemini-home`); the others are kept.
    pub fn with_agent_homes(
        mut self,
        claude_home: Option<&Path>,
        gemini_home: Option<&Path>,
    ) -> Self {
        if let Some(claude_home) = claude_home {
            self.claude_home = Some(claude_home.to_path_buf());
        }
        if let Some(gemini_home) = gemini_home {
            self.gemini_home = Some(gemini_home.to_path_buf());
        }
        self
    }

    /// `<sqlite_home>/state_1.sqlite`.
    pub fn state_db_path(&self) -> PathBuf {
        self.sqlite_home.join(STATE_DB_FILE_NAME)
    }

    /// `<sqlite_home>/memories_1.sqlite`.
    pub fn memories_db_path(&self) -> PathBuf {
        self.sqlite_home.join(MEMORIES_DB_FILE_NAME)
    }

    /// `<sqlite_home>/logs_1.sqlite`.
    pub fn logs_db_path(&self) -> PathBuf {
        self.sqlite_home.join(LOGS_DB_FILE_NAME)
    }

    /// `<codex_home>/sessions`.
    pub fn sessions_dir(&self) -> PathBuf {
        self.codex_home.join(SESSIONS_DIR_NAME)
    }

    /// `<codex_home>/archived_sessions`.
    pub fn archived_sessions_dir(&self) -> PathBuf {
        self.codex_home.join(ARCHIVED_SESSIONS_DIR_NAME)
    }

    /// `<claude_home>/projects`, when Claude Code's home is known.
    pub fn claude_projects_dir(&self) -> Option<PathBuf> {
        self.claude_home
            .as_ref()
            .map(|home| home.join(CLAUDE_PROJECTS_DIR_NAME))
    }

    /// `<gemini_home>/tmp`, when Gemini CLI's home is known.
    pub fn gemini_tmp_dir(&self) -> Option<PathBuf> {
        self.gemini_home
            .as_ref()
            .map(|home| home.join(GEMINI_TMP_DIR_NAME))
    }
}

/// The Codex home: `explicit`, else `$CODEX_HOME`, else `~/.codex`.
pub fn resolve_codex_home(explicit: Option<&Path>) -> Result<PathBuf, StateError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = non_empty_env(CODEX_HOME_ENV) {
        return Ok(path);
    }
    let home = user_home().ok_or(StateError::NoHomeDirectory)?;
    Ok(home.join(DEFAULT_CODEX_HOME_DIR_NAME))
}

/// Claude Code's folder: `explicit`, else `$CLAUDE_CONFIG_DIR`, else `~/.claude`; `None` without
/// a home directory.
pub fn resolve_claude_home(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    non_empty_env(CLAUDE_CONFIG_DIR_ENV)
        .or_else(|| user_home().map(|home| home.join(DEFAULT_CLAUDE_HOME_DIR_NAME)))
}

/// Gemini CLI's folder: `explicit`, else `$GEMINI_CLI_HOME/.gemini`, else `~/.gemini`; `None`
/// without a home directory.
pub fn resolve_gemini_home(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    non_empty_env(GEMINI_CLI_HOME_ENV)
        .or_else(user_home)
        .map(|home| home.join(DEFAULT_GEMINI_HOME_DIR_NAME))
}

fn user_home() -> Option<PathBuf> {
    non_empty_env("HOME").or_else(|| non_empty_env("USERPROFILE"))
}

/// The sqlite home: `explicit`, else `$CODEX_MEMORIES_SQLITE_HOME`, else
/// `<codex_home>/codex-memories`.
pub fn resolve_sqlite_home(explicit: Option<&Path>, codex_home: &Path) -> PathBuf {
    if let Some(path) = explicit {
        return path.to_path_buf();
    }
    non_empty_env(SQLITE_HOME_ENV).unwrap_or_else(|| codex_home.join(SQLITE_HOME_DIR_NAME))
}

fn non_empty_env(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn explicit_paths_win_and_the_sqlite_home_defaults_under_the_codex_home() {
        let homes = Homes::resolve(Some(Path::new("/x/codex")), Some(Path::new("/y/db")))
            .unwrap()
            .with_agent_homes(Some(Path::new("/c")), Some(Path::new("/g")));
        assert_eq!(
            homes,
            Homes {
                claude_home: Some(PathBuf::from("/c")),
                gemini_home: Some(PathBuf::from("/g")),
                ..Homes::new("/x/codex", "/y/db")
            }
        );
        assert_eq!(
            Homes::under_codex_home("/x/codex").state_db_path(),
            PathBuf::from("/x/codex/codex-memories/state_1.sqlite")
        );
    }
}
