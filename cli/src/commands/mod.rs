//! The subcommands, one module each, and the dispatch from parsed arguments to them.

mod inspect;
mod mcp;
mod redact;

use std::process::ExitCode;

use clap::Subcommand;

/// Every `codex-memories` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read rollout files and report their thread id, format, item counts and bad lines.
    Inspect(inspect::InspectArgs),
    /// Serve the memory folder to MCP clients over stdio (tools: list, read, search, add_note).
    Mcp(mcp::McpArgs),
    /// Replace secrets in a file or standard input by [REDACTED_SECRET] and print the result.
    Redact(redact::RedactArgs),
}

/// Runs one subcommand and returns the process exit code.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Inspect(args) => inspect::run(args),
        Command::Mcp(args) => mcp::run(args),
        Command::Redact(args) => redact::run(args),
    }
}
