//! The subcommands, one module each, and the dispatch from parsed arguments to them.

mod consolidate;
mod demo;
mod extract;
mod home;
mod index;
mod inspect;
mod logs;
mod mcp;
mod pipeline;
mod redact;
mod report_text;
mod run;
mod threads;

use std::process::ExitCode;

use clap::Subcommand;

pub use home::HomeArgs;

/// Every `codex-memories` subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Phase 2 only: consolidate the retained memories into the memory folder.
    Consolidate(consolidate::ConsolidateArgs),
    /// The whole pipeline, offline, on built-in example sessions in a temporary home.
    Demo(demo::DemoArgs),
    /// Phase 1 only: extract one raw memory per finished session (indexes first).
    Extract(extract::ExtractArgs),
    /// Bring the thread index up to date with the rollout files under the Codex home.
    Index(index::IndexArgs),
    /// Read rollout files and report their thread id, format, item counts and bad lines.
    Inspect(inspect::InspectArgs),
    /// Print (and with --follow, tail) the logs every codex-memories command records.
    Logs(logs::LogsArgs),
    /// Serve the memory folder to MCP clients over stdio (tools: list, read, search, add_note).
    Mcp(mcp::McpArgs),
    /// Replace secrets in a file or standard input by [REDACTED_SECRET] and print the result.
    Redact(redact::RedactArgs),
    /// The whole pipeline: index → prune → extract → consolidate, under one budget.
    Run(run::RunArgs),
    /// List indexed threads, most recently updated first.
    Threads(threads::ThreadsArgs),
}

impl Command {
    /// The subcommand's name, for the log row each run starts with.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Consolidate(_) => "consolidate",
            Command::Demo(_) => "demo",
            Command::Extract(_) => "extract",
            Command::Run(_) => "run",
            Command::Index(_) => "index",
            Command::Inspect(_) => "inspect",
            Command::Logs(_) => "logs",
            Command::Mcp(_) => "mcp",
            Command::Redact(_) => "redact",
            Command::Threads(_) => "threads",
        }
    }
}

/// Runs one subcommand and returns the process exit code.
pub async fn run(command: Command, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    match command {
        Command::Consolidate(args) => consolidate::run(args, home).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Extract(args) => extract::run(args, home).await,
        Command::Run(args) => run::run(args, home).await,
        Command::Index(args) => index::run(args, home).await,
        Command::Inspect(args) => inspect::run(args),
        Command::Logs(args) => logs::run(args, home).await,
        Command::Mcp(args) => mcp::run(args, home).await,
        Command::Redact(args) => redact::run(args),
        Command::Threads(args) => threads::run(args, home).await,
    }
}
