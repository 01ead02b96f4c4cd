//! Plugging codex-memories into an agent in one command: `install` registers our MCP server in
//! the agent's own config and keeps the global memory summary in a managed block of the agent's
//! global instructions file; `uninstall` removes both. This is the one place that writes into
//! another agent's home, and only when the user asked. Every change is planned first (a
//! [`InstallPlan`] of whole-file before/after texts that a caller can show as a diff), applied
//! atomically with a backup of each file's pre-install bytes, and undone so that a file nobody
//! touched since comes back byte for byte (from that backup).

mod block;
mod codex_config;
mod json_config;
mod plan;
mod summary_block;

use std::path::{Path, PathBuf};

use codex_state::{DEFAULT_CLAUDE_HOME_DIR_NAME, resolve_claude_home, resolve_gemini_home};
use serde::Serialize;

pub use block::{BLOCK_BEGIN, BLOCK_END, has_block};
pub use plan::{AppliedEdit, Direction, FileEdit, InstallPlan, apply};
pub use summary_block::{MAX_BLOCK_SUMMARY_BYTES, block_body};

/// The name our MCP server is registered under in every agent's config.
pub const MCP_SERVER_NAME: &str = "codex-memories";
/// Suffix of the backup each install keeps of a file's bytes before our first edit.
pub const BACKUP_SUFFIX: &str = ".codex-memories-backup";

/// An agent we can plug into. A closed set matched exhaustively, so an agent whose sessions are
/// read (`codex_protocol::Agent`) is only installable once every step below knows its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Agent {
    /// OpenAI Codex: `$CODEX_HOME/config.toml` and `$CODEX_HOME/AGENTS.md`.
    Codex,
    /// Claude Code: `~/.claude.json` (user-scope `mcpServers`) and `~/.claude/CLAUDE.md`.
    Claude,
    /// Gemini CLI: `~/.gemini/settings.json` (`mcpServers`) and `~/.gemini/GEMINI.md`.
    Gemini,
}

impl Agent {
    /// Every agent, in the order reports list them.
    pub const ALL: [Agent; 3] = [Agent::Codex, Agent::Claude, Agent::Gemini];

    /// The agent's name in commands and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Codex => "codex",
            Self::Claude => "claude",
            Self::Gemini => "gemini",
        }
    }
}

/// How an agent starts our MCP server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpServerEntry {
    /// The program (an absolute path to our binary).
    pub command: String,
    /// Its arguments (`mcp` and the homes it serves).
    pub args: Vec<String>,
}

/// Where each agent keeps the files `install` edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHomes {
    /// The Codex home.
    pub codex_home: PathBuf,
    /// Claude Code's config folder (`~/.claude`, or `$CLAUDE_CONFIG_DIR`).
    pub claude_home: PathBuf,
    /// Whether `claude_home` is the default `~/.claude` (then its JSON config is `~/.claude.json`
    /// beside it; with `CLAUDE_CONFIG_DIR` it is inside, as Claude Code does).
    pub claude_home_is_default: bool,
    /// Gemini CLI's folder (`~/.gemini`).
    pub gemini_home: PathBuf,
}

impl AgentHomes {
    /// The homes from explicit folders, else the environment, else the defaults under `$HOME`.
    pub fn resolve(
        codex_home: PathBuf,
        claude_home: Option<PathBuf>,
        gemini_home: Option<PathBuf>,
    ) -> Self {
        // The same folders the index reads the agents' sessions from.
        let claude_home = resolve_claude_home(claude_home.as_deref()).unwrap_or_default();
        let gemini_home = resolve_gemini_home(gemini_home.as_deref()).unwrap_or_default();
        let default_claude = std::env::var_os("HOME")
            .filter(|home| !home.is_empty())
            .map(|home| PathBuf::from(home).join(DEFAULT_CLAUDE_HOME_DIR_NAME));
        Self {
            codex_home,
            claude_home_is_default: default_claude.as_deref() == Some(claude_home.as_path()),
            claude_home,
            gemini_home,
        }
    }

    /// Claude Code's JSON config: `~/.claude.json` for the default home, else inside the home.
    fn claude_config(&self) -> PathBuf {
        if self.claude_home_is_default {
            let mut name = self
                .claude_home
                .file_name()
                .unwrap_or_default()
                .to_os_string();
            name.push(".json");
            self.claude_home.with_file_name(name)
        } else {
            self.claude_home.join(".claude.json")
        }
    }
}

/// The two files `install` edits for one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentFiles {
    /// The agent's config, where the MCP server is registered.
    pub config: PathBuf,
    /// The agent's global instructions file, where the summary block lives.
    pub instructions: PathBuf,
}

impl AgentHomes {
    /// The files of `agent`.
    pub fn files(&self, agent: Agent) -> AgentFiles {
        match agent {
            Agent::Codex => AgentFiles {
                config: self.codex_home.join("config.toml"),
                instructions: self.codex_home.join("AGENTS.md"),
            },
            Agent::Claude => AgentFiles {
                config: self.claude_config(),
                instructions: self.claude_home.join("CLAUDE.md"),
            },
            Agent::Gemini => AgentFiles {
                config: self.gemini_home.join("settings.json"),
                instructions: self.gemini_home.join("GEMINI.md"),
            },
        }
    }
}

/// Why an install step could not be planned or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    /// A file could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `back up`).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An agent's config file is not valid (we never rewrite a file we cannot parse).
    #[error("{} cannot be edited safely: {detail}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, and what to do.
        detail: String,
    },
    /// The block's template failed (a bug in the template).
    #[error("cannot render the memory block: {0}")]
    Template(#[from] askama::Error),
}

/// Whether an agent is plugged in, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallStatus {
    /// The agent.
    pub agent: Agent,
    /// Its files.
    pub files: AgentFiles,
    /// Our MCP server entry in its config, when registered.
    pub mcp_server: Option<McpServerEntry>,
    /// Whether its instructions file holds our block.
    pub summary_block: bool,
}

impl InstallStatus {
    /// Whether anything of ours is installed.
    pub fn installed(&self) -> bool {
        self.mcp_server.is_some() || self.summary_block
    }
}

/// Reads `path`, `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, InstallError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(InstallError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The plan that registers `server` with `agent` and writes `block` (see [`block_body`]) into its
/// instructions file. Files already as wanted get no edit; an empty plan means installed.
pub fn plan_install(
    agent: Agent,
    homes: &AgentHomes,
    server: &McpServerEntry,
    block: &str,
) -> Result<InstallPlan, InstallError> {
    let files = homes.files(agent);
    let mut plan = InstallPlan::new(agent, Direction::Install);
    let config = read_optional(&files.config)?;
    let shown = files.config.display().to_string();
    let text = config.as_deref().unwrap_or_default();
    let config_after = match agent {
        Agent::Codex => codex_config::upsert_mcp_server(text, server, &shown)?,
        Agent::Claude => json_config::upsert_mcp_server(text, server, true, &shown)?,
        Agent::Gemini => json_config::upsert_mcp_server(text, server, false, &shown)?,
    };
    plan.push(
        &files.config,
        "register the codex-memories MCP server",
        config,
        Some(config_after),
    );
    let instructions = read_optional(&files.instructions)?;
    let instructions_after =
        block::upsert_block(instructions.as_deref().unwrap_or_default(), block);
    plan.push(
        &files.instructions,
        "keep the memory summary in a managed block",
        instructions,
        Some(instructions_after),
    );
    Ok(plan)
}

/// The plan that removes everything `install` added for `agent`. A file is restored to its exact
/// pre-install bytes when nothing else changed in it since (else only our entries go); a file
/// that did not exist before install and holds nothing else is deleted.
pub fn plan_uninstall(agent: Agent, homes: &AgentHomes) -> Result<InstallPlan, InstallError> {
    let files = homes.files(agent);
    let mut plan = InstallPlan::new(agent, Direction::Uninstall);
    let config = read_optional(&files.config)?;
    if let Some(text) = &config {
        let shown = files.config.display().to_string();
        let removed = match agent {
            Agent::Codex => codex_config::remove_mcp_server(text, &shown)?,
            Agent::Claude | Agent::Gemini => json_config::remove_mcp_server(text, &shown)?,
        };
        if let Some(removed) = removed {
            let after = plan::restored(&files.config, removed, config_format(agent))?;
            plan.push(
                &files.config,
                "unregister the codex-memories MCP server",
                config,
                after,
            );
        }
    }
    let instructions = read_optional(&files.instructions)?;
    if let Some(removed) = instructions.as_deref().and_then(block::remove_block) {
        let after = plan::restored(&files.instructions, removed, plan::Format::Text)?;
        plan.push(
            &files.instructions,
            "remove the memory summary block",
            instructions,
            after,
        );
    }
    Ok(plan)
}

/// How an agent's config file is compared with its backup.
fn config_format(agent: Agent) -> plan::Format {
    match agent {
        Agent::Codex => plan::Format::Text,
        Agent::Claude | Agent::Gemini => plan::Format::Json,
    }
}

/// Whether `agent` is plugged in.
pub fn install_status(agent: Agent, homes: &AgentHomes) -> InstallStatus {
    let files = homes.files(agent);
    let config = std::fs::read_to_string(&files.config).unwrap_or_default();
    let mcp_server = match agent {
        Agent::Codex => codex_config::registered_mcp_server(&config),
        Agent::Claude | Agent::Gemini => json_config::registered_mcp_server(&config),
    };
    let summary_block =
        std::fs::read_to_string(&files.instructions).is_ok_and(|text| block::has_block(&text));
    InstallStatus {
        agent,
        files,
        mcp_server,
        summary_block,
    }
}

/// Rewrites the summary block of every instructions file that already holds one (the user
/// installed it) with `block`; returns the files changed. Files without our block are never
/// touched: refreshing is not installing.
pub fn refresh_blocks(homes: &AgentHomes, block: &str) -> Result<Vec<PathBuf>, InstallError> {
    let mut changed = Vec::new();
    for agent in Agent::ALL {
        let path = homes.files(agent).instructions;
        let Some(text) = read_optional(&path)? else {
            continue;
        };
        if !block::has_block(&text) {
            continue;
        }
        let updated = block::upsert_block(&text, block);
        if updated != text {
            crate::fsutil::write_atomic(&path, updated.as_bytes()).map_err(|source| {
                InstallError::Io {
                    action: "write",
                    path: path.clone(),
                    source,
                }
            })?;
            changed.push(path);
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests;
