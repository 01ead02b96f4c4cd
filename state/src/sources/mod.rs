//! The session-source seam: where each coding agent keeps its sessions and how they are read.
//! A [`SessionSource`] names its folders under the agent's home, finds its session files there
//! (only `stat`, no file opened), derives a thread-index row from one session reading only what
//! the index needs, and reads one session whole as typed conversation items for phase 1. Built
//! in: Codex rollouts ([`CodexSource`]), Claude Code transcripts ([`ClaudeSource`]) and Gemini CLI
//! chats ([`GeminiSource`]). Nothing here ever writes under an agent's home.

mod claude;
mod codex;
mod gemini;
mod walk_files;

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use codex_protocol::{Agent, RolloutError, SessionItems};
use serde::Serialize;

use crate::indexer::FailedFile;
use crate::{ExtractError, FileStat, Homes, ThreadRow};
pub use claude::ClaudeSource;
pub use codex::CodexSource;
pub use gemini::GeminiSource;
pub(crate) use walk_files::walk_files;

/// One folder that holds an agent's session files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRoot {
    /// The agent whose sessions it holds.
    pub agent: Agent,
    /// The folder.
    pub path: PathBuf,
    /// Whether its sessions are archived ones.
    pub archived: bool,
}

/// What a source found under its listed folders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundSessions {
    /// One file per session (its stat covering every file of the session).
    pub files: Vec<FileStat>,
    /// Files passed over (a compressed twin, a second copy of a session).
    pub skipped: u64,
    /// Entries that could not be listed or stat-ed.
    pub failed: Vec<FailedFile>,
}

/// One coding agent's sessions; see the module documentation.
pub trait SessionSource: Send + Sync + fmt::Debug {
    /// The agent.
    fn agent(&self) -> Agent;

    /// The agent's home, when known.
    fn home(&self) -> Option<&Path>;

    /// The folders its sessions live in, under its home (none without a home).
    fn roots(&self) -> Vec<SessionRoot>;

    /// Finds the session files under `listed`, the roots that could be listed.
    fn find_sessions(&self, listed: &[SessionRoot]) -> FoundSessions;

    /// The thread-index row of the session `file` was found for; never panics on input.
    fn index_session(&self, file: &FileStat) -> Result<ThreadRow, ExtractError>;

    /// The whole session at `path` as typed conversation items.
    fn read_session(&self, path: &Path) -> Result<SessionItems, RolloutError>;
}

/// Which agents' sessions an index run reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AgentSelection {
    /// Every agent whose home exists (Codex always).
    #[default]
    Present,
    /// Exactly these (e.g. `--agents codex,claude`).
    Only(BTreeSet<Agent>),
}

impl AgentSelection {
    /// Whether `source` is read: chosen by name, or (by default) present on this machine.
    pub fn includes(&self, source: &dyn SessionSource) -> bool {
        match self {
            Self::Only(agents) => agents.contains(&source.agent()),
            Self::Present => {
                source.agent() == Agent::Codex || source.home().is_some_and(Path::is_dir)
            }
        }
    }

    /// Whether `agent` was left out by name (its threads are then not touched at all).
    pub fn excludes_by_name(&self, agent: Agent) -> bool {
        matches!(self, Self::Only(agents) if !agents.contains(&agent))
    }
}

/// Every built-in source, with its home from `homes`.
pub fn session_sources(homes: &Homes) -> Vec<Arc<dyn SessionSource>> {
    vec![
        Arc::new(CodexSource::new(homes.codex_home.clone())),
        Arc::new(ClaudeSource::new(homes.claude_home.clone())),
        Arc::new(GeminiSource::new(homes.gemini_home.clone())),
    ]
}

/// Reads the session of `agent` at `path` as typed conversation items, with the built-in source
/// of that agent (reading needs no home).
pub fn read_session_items(agent: Agent, path: &Path) -> Result<SessionItems, RolloutError> {
    match agent {
        Agent::Claude => ClaudeSource::new(None).read_session(path),
        Agent::Gemini => GeminiSource::new(None).read_session(path),
        _ => CodexSource::new(PathBuf::new()).read_session(path),
    }
}
