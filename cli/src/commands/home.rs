//! `HomeArgs`: the `--codex-home` and `--sqlite-home` options every command shares (global, so
//! they may come before or after the subcommand), resolved into [`Homes`] exactly as the state
//! crate does (flag, then environment, then default), and the state database opened from them
//! with a readable error.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use codex_memories::load_config;
use codex_memories::redacting_filter;
use codex_memories::resolve_memory_root;
use codex_state::{Homes, StateRuntime};

/// Where the rollouts and our databases live.
#[derive(Debug, Clone, Default, Args)]
pub struct HomeArgs {
    /// The Codex home (sessions/, config.toml, memories/) [default: ~/.codex].
    #[arg(long, env = "CODEX_HOME", value_name = "DIR", global = true)]
    pub codex_home: Option<PathBuf>,
    /// Where codex-memories keeps its databases [default: <codex home>/codex-memories].
    #[arg(
        long,
        env = "CODEX_MEMORIES_SQLITE_HOME",
        value_name = "DIR",
        global = true
    )]
    pub sqlite_home: Option<PathBuf>,
    /// The memory folder [default: <codex home>/memories]. Choose another one when Codex's own
    /// memory pipeline uses that folder (see docs/codex.md).
    #[arg(long, env = "CODEX_MEMORIES_DIR", value_name = "DIR", global = true)]
    pub memory_dir: Option<PathBuf>,
    /// Claude Code's folder (projects/, CLAUDE.md; its ~/.claude.json sits beside the default
    /// one) [default: ~/.claude].
    #[arg(long, env = "CLAUDE_CONFIG_DIR", value_name = "DIR", global = true)]
    pub claude_home: Option<PathBuf>,
    /// Gemini CLI's folder (tmp/, settings.json, GEMINI.md) [default: ~/.gemini].
    #[arg(long, value_name = "DIR", global = true)]
    pub gemini_home: Option<PathBuf>,
}

impl HomeArgs {
    /// The resolved homes.
    pub fn resolve(&self) -> anyhow::Result<Homes> {
        let homes = Homes::resolve(self.codex_home.as_deref(), self.sqlite_home.as_deref())
            .context("cannot decide where the Codex home is")?;
        Ok(homes.with_agent_homes(self.claude_home.as_deref(), self.gemini_home.as_deref()))
    }

    /// The memory folder: `--memory-dir`, else `$CODEX_MEMORIES_DIR`, else `memory_dir` in
    /// codex-memories.toml, else `<codex home>/memories`. (Config warnings are printed by the
    /// commands that load the whole config.)
    pub fn memory_root(&self) -> anyhow::Result<PathBuf> {
        let homes = self.resolve()?;
        let configured = load_config(&homes.codex_home)
            .ok()
            .and_then(|(config, _)| config.memory_dir);
        Ok(resolve_memory_root(
            &homes.codex_home,
            self.memory_dir.as_deref(),
            configured.as_deref(),
        ))
    }

    /// Opens (creating and migrating if needed) the state database, redacting the user text it
    /// indexes.
    pub async fn open_state(&self) -> anyhow::Result<StateRuntime> {
        let homes = self.resolve()?;
        let path = homes.state_db_path();
        let runtime = StateRuntime::open(homes)
            .await
            .with_context(|| format!("cannot open the thread index at {}", path.display()))?;
        // Titles and previews come from user messages: redact them before they are stored.
        Ok(runtime.with_text_filter(redacting_filter()))
    }
}
