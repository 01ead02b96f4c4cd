//! The `codex-memories` command. Each subcommand lives in its own module under `commands/`;
//! this file only parses arguments, sets up output, and maps errors to exit codes
//! (0 ok, 1 failure, 2 usage — clap's own).

mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::commands::Command;

/// Memories for coding agents, built from their session recordings.
#[derive(Debug, Parser)]
#[command(name = "codex-memories", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
