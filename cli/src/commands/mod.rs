//! The subcommands, one module each, and the dispatch from parsed arguments to them.

mod home;
mod index;
mod inspect;
mod redact;
mod threads;

use std::process::ExitCode;

use clap::Subcommand;

/// Every `codex-memories` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Bring the thread index up to date with the rollout files under the Codex home.
    Index(index::IndexArgs),
    /// Read rollout files and report their thread id, format, item counts and bad lines.
    Inspect(inspect::InspectArgs),
    /// Replace secrets in a file or standard input by [REDACTED_SECRET] and print the result.
    Redact(redact::RedactArgs),
    /// List indexed threads, most recently updated first.
    Threads(threads::ThreadsArgs),
}

/// Runs one subcommand and returns the process exit code.
pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Index(args) => index::run(args).await,
        Command::Inspect(args) => inspect::run(args),
        Command::Redact(args) => redact::run(args),
        Command::Threads(args) => threads::run(args).await,
    }
}
