//! The subcommands, one module each, and the dispatch from parsed arguments to them.

mod home;
mod inspect;
mod logs;

use std::process::ExitCode;

use clap::Subcommand;

pub use home::HomeArgs;

/// Every `codex-memories` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read rollout files and report their thread id, format, item counts and bad lines.
    Inspect(inspect::InspectArgs),
    /// Print (and with --follow, tail) the logs every codex-memories command records.
    Logs(logs::LogsArgs),
}

impl Command {
    /// The subcommand's name, for the log row each run starts with.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Inspect(_) => "inspect",
            Command::Logs(_) => "logs",
        }
    }
}

/// Runs one subcommand and returns the process exit code.
pub fn run(command: Command, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    match command {
        Command::Inspect(args) => inspect::run(args),
        Command::Logs(args) => logs::run(args, home),
    }
}
