//! `Agent`: which coding agent wrote a session — OpenAI Codex, Claude Code or Gemini CLI. The
//! thread index records it for every thread; each has its own session format and home.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A coding agent whose sessions codex-memories reads.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Agent {
    /// OpenAI Codex: rollouts under `$CODEX_HOME/sessions/`.
    #[default]
    Codex,
    /// Claude Code: transcripts under `~/.claude/projects/`.
    Claude,
    /// Gemini CLI: chats under `~/.gemini/tmp/<project>/chats/`.
    Gemini,
}

/// A name that is not an agent's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown agent `{input}` (expected codex, claude or gemini)")]
pub struct UnknownAgent {
    /// The text that did not parse.
    pub input: String,
}

impl Agent {
    /// Every agent, in the order they are listed.
    pub const ALL: [Agent; 3] = [Agent::Codex, Agent::Claude, Agent::Gemini];

    /// `codex`, `claude` or `gemini`: the name stored in the index and taken by `--agents`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Codex => "codex",
            Self::Claude => "claude",
            Self::Gemini => "gemini",
        }
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Agent {
    type Err = UnknownAgent;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|agent| agent.as_str() == input.trim())
            .ok_or_else(|| UnknownAgent {
                input: input.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn names_round_trip_and_unknown_names_are_errors_that_list_the_agents() {
        for agent in Agent::ALL {
            assert_eq!(agent.as_str().parse::<Agent>(), Ok(agent));
        }
        let error = "cursor".parse::<Agent>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown agent `cursor` (expected codex, claude or gemini)"
        );
    }
}
