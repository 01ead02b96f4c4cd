//! `--codex-home` and `--sqlite-home`, shared by every command that reads rollouts or opens our
//! databases. Resolution (flag, then environment, then default) is `codex_state::Homes::resolve`;
//! this module only parses the flags and opens the state database with a readable error.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use codex_state::{Homes, StateRuntime};

/// Where the rollouts and our databases live.
#[derive(Debug, Clone, Args)]
pub struct HomeArgs {
    /// The Codex home holding sessions/ [default: $CODEX_HOME, else ~/.codex]
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// Where codex-memories keeps its databases [default: $CODEX_MEMORIES_SQLITE_HOME, else
    /// <codex home>/codex-memories]
    #[arg(long, value_name = "DIR")]
    pub sqlite_home: Option<PathBuf>,
}

impl HomeArgs {
    /// The resolved homes.
    pub fn resolve(&self) -> anyhow::Result<Homes> {
        Ok(Homes::resolve(
            self.codex_home.as_deref(),
            self.sqlite_home.as_deref(),
        )?)
    }

    /// Opens (creating and migrating if needed) the state database.
    pub async fn open_state(&self) -> anyhow::Result<StateRuntime> {
        let homes = self.resolve()?;
        let path = homes.state_db_path();
        StateRuntime::open(homes)
            .await
            .with_context(|| format!("cannot open the thread index at {}", path.display()))
    }
}
