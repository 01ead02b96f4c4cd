//! `codex-memories install AGENT` / `uninstall AGENT`: plug the memory into another agent — our
//! MCP server registered in its config, the memory summary in a managed block of its global
//! instructions file — and take it out again. Both show the planned edits as a diff first;
//! `--yes` applies without asking, a terminal is asked, anything else is a dry run. The planning,
//! backups and exact restore live in `codex_memories::install`; this module only talks.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use codex_memories::install::{
    Agent, AgentHomes, InstallPlan, McpServerEntry, apply, block_body, plan_install,
    plan_uninstall, refresh_blocks,
};
use codex_memories::{Phase2Outcome, Phase2Report};
use serde::Serialize;

use crate::commands::HomeArgs;
use crate::commands::json_output::write_json;
use crate::terminal::confirm;

/// The agents `install` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgentArg {
    /// OpenAI Codex: `$CODEX_HOME/config.toml` ([mcp_servers.codex-memories]) and
    /// `$CODEX_HOME/AGENTS.md`.
    Codex,
    /// Claude Code: `~/.claude.json` (user-scope mcpServers) and `~/.claude/CLAUDE.md`.
    Claude,
    /// Gemini CLI: `~/.gemini/settings.json` (mcpServers) and `~/.gemini/GEMINI.md`.
    Gemini,
}

impl From<AgentArg> for Agent {
    fn from(agent: AgentArg) -> Self {
        match agent {
            AgentArg::Codex => Agent::Codex,
            AgentArg::Claude => Agent::Claude,
            AgentArg::Gemini => Agent::Gemini,
        }
    }
}

/// Arguments of `install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// The agent to plug the memory into.
    #[arg(value_enum)]
    pub agent: AgentArg,
    /// Apply without asking (without it: asks on a terminal, else only shows the plan).
    #[arg(long)]
    pub yes: bool,
    /// Only show the planned edits; write nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// The program the agent starts as our MCP server [default: this binary].
    #[arg(long, value_name = "PATH")]
    pub command: Option<PathBuf>,
    /// Print the plan and what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The agent to take the memory out of.
    #[arg(value_enum)]
    pub agent: AgentArg,
    /// Apply without asking (without it: asks on a terminal, else only shows the plan).
    #[arg(long)]
    pub yes: bool,
    /// Only show the planned edits; write nothing.
    #[arg(long, conflicts_with = "yes")]
    pub dry_run: bool,
    /// Print the plan and what was done as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `install`/`uninstall` report.
#[derive(Debug, Serialize)]
struct Outcome<'a> {
    plan: &'a InstallPlan,
    applied: bool,
    backups: Vec<PathBuf>,
}

/// The homes the install edits, from the shared home flags.
pub fn agent_homes(home: &HomeArgs) -> anyhow::Result<AgentHomes> {
    let homes = home.resolve()?;
    Ok(AgentHomes::resolve(
        absolute(&homes.codex_home),
        home.claude_home.as_deref().map(absolute),
        home.gemini_home.as_deref().map(absolute),
    ))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// How the agent starts our server: this binary (or `--command`) with `mcp` and the homes given.
fn server_entry(home: &HomeArgs, command: Option<&Path>) -> anyhow::Result<McpServerEntry> {
    let program = match command {
        Some(path) => absolute(path),
        None => std::env::current_exe()
            .and_then(|exe| exe.canonicalize())
            .context("cannot tell where this binary is; pass --command PATH")?,
    };
    let homes = home.resolve()?;
    let mut args = vec![
        "mcp".to_string(),
        "--codex-home".to_string(),
        absolute(&homes.codex_home).display().to_string(),
    ];
    if let Some(sqlite_home) = &home.sqlite_home {
        args.push("--sqlite-home".to_string());
        args.push(absolute(sqlite_home).display().to_string());
    }
    Ok(McpServerEntry {
        command: program.display().to_string(),
        args,
    })
}

/// Runs `install`.
pub async fn run_install(args: InstallArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let homes = agent_homes(home)?;
    let server = server_entry(home, args.command.as_deref())?;
    if server.command.contains("/target/debug/") || server.command.contains("/target/release/") {
        eprintln!(
            "note: registering {} — a build folder; after `cargo install --path cli`, run install again so the agent starts the installed binary",
            server.command
        );
    }
    let block = block_body(&home.memory_root()?)?;
    let plan = plan_install(args.agent.into(), &homes, &server, &block)?;
    execute(&plan, args.yes, args.dry_run, args.json, "install")
}

/// Runs `uninstall`.
pub async fn run_uninstall(args: UninstallArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let homes = agent_homes(home)?;
    let plan = plan_uninstall(args.agent.into(), &homes)?;
    execute(&plan, args.yes, args.dry_run, args.json, "uninstall")
}

fn execute(
    plan: &InstallPlan,
    yes: bool,
    dry_run: bool,
    json: bool,
    verb: &str,
) -> anyhow::Result<ExitCode> {
    let agent = plan.agent.as_str();
    let mut stdout = std::io::stdout().lock();
    let not_applied =
        |out: &mut std::io::StdoutLock<'_>, words: &str| -> anyhow::Result<ExitCode> {
            if json {
                let outcome = Outcome {
                    plan,
                    applied: false,
                    backups: Vec::new(),
                };
                write_json(out, &outcome)?;
            } else {
                writeln!(out, "{words}")?;
            }
            Ok(ExitCode::SUCCESS)
        };
    if plan.is_empty() {
        return not_applied(&mut stdout, &format!("{verb} {agent}: nothing to change"));
    }
    if !json {
        for edit in &plan.edits {
            writeln!(
                stdout,
                "{verb} {agent}: {} — {}",
                edit.purpose,
                edit.path.display()
            )?;
            write!(stdout, "{}", edit.diff())?;
        }
        stdout.flush()?;
    }
    let go =
        yes || (!dry_run && !json && confirm(&format!("Apply these changes to {agent}'s files?"))?);
    if !go {
        return not_applied(
            &mut stdout,
            "dry run: nothing written; run again with --yes to apply",
        );
    }
    let applied = apply(plan)?;
    let backups: Vec<PathBuf> = applied
        .iter()
        .filter_map(|edit| edit.backup.clone())
        .collect();
    if json {
        write_json(
            &mut stdout,
            &Outcome {
                plan,
                applied: true,
                backups,
            },
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for edit in &applied {
        let done = if edit.deleted { "deleted" } else { "wrote" };
        match &edit.backup {
            Some(backup) => writeln!(
                stdout,
                "{done} {} (its earlier content is kept in {})",
                edit.path.display(),
                backup.display()
            )?,
            None => writeln!(stdout, "{done} {}", edit.path.display())?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// After a phase-2 run that consolidated: rewrites the summary block wherever the user installed
/// it. A failure is a warning on stderr: the consolidation itself succeeded.
pub fn refresh_after_consolidation(
    home: &HomeArgs,
    memory_root: &Path,
    phase2: Option<&Phase2Report>,
) {
    if phase2.is_some_and(|report| matches!(report.outcome, Phase2Outcome::Consolidated { .. })) {
        refresh_installed_blocks(home, memory_root);
    }
}

fn refresh_installed_blocks(home: &HomeArgs, memory_root: &Path) {
    let refreshed = agent_homes(home).and_then(|homes| {
        let block = block_body(memory_root)?;
        Ok(refresh_blocks(&homes, &block)?)
    });
    match refreshed {
        Ok(changed) => {
            for path in changed {
                tracing::info!(path = %path.display(), "memory summary block refreshed");
            }
        }
        Err(error) => {
            eprintln!("warning: could not refresh the memory summary block: {error:#}");
            tracing::warn!("could not refresh the memory summary block: {error:#}");
        }
    }
}
