//! `HomeArgs`: the `--codex-home` and `--sqlite-home` options every command shares, resolved
//! into [`Homes`] exactly as the state crate does (flag, then environment, then default).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use codex_state::Homes;

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
}

impl HomeArgs {
    /// The resolved homes.
    pub fn resolve(&self) -> anyhow::Result<Homes> {
        Homes::resolve(self.codex_home.as_deref(), self.sqlite_home.as_deref())
            .context("cannot decide where the Codex home is")
    }
}
