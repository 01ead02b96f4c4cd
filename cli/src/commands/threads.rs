//! `codex-memories threads`: lists indexed threads, most recently updated first, with the agent
//! that wrote each (`--agent` lists one agent's only) and how many threads each agent gave. It
//! reads the index only; run `codex-memories index` to refresh it.

use std::io::Write;
use std::process::ExitCode;

use chrono::DateTime;
use clap::Args;
use codex_protocol::Agent;
use codex_state::ThreadRow;

use crate::commands::home::HomeArgs;
use crate::commands::json_output::write_json;

/// Threads listed when `--limit` is not given.
const DEFAULT_LIMIT: u32 = 50;
/// How `updated` is shown (UTC).
const UPDATED_FORMAT: &str = "%Y-%m-%d %H:%M";

/// Arguments of `threads`.
#[derive(Debug, Args)]
pub struct ThreadsArgs {
    /// Print the rows as a JSON array (each with its `agent`).
    #[arg(long)]
    json: bool,
    /// How many threads to list.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    limit: u32,
    /// List only the threads of this agent: codex, claude or gemini.
    #[arg(long, value_name = "AGENT")]
    agent: Option<Agent>,
}

/// Runs `threads`.
pub async fn run(args: ThreadsArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let runtime = home.open_state().await?;
    let threads = match args.agent {
        Some(agent) => runtime.list_agent_threads(agent, args.limit).await?,
        None => runtime.list_threads(args.limit).await?,
    };
    let agents = runtime.count_threads_by_agent().await?;
    runtime.close().await;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        // The rows, as before (each names its agent); `status --json` has the counts per agent.
        write_json(&mut stdout, &threads)?;
        return Ok(ExitCode::SUCCESS);
    }
    if agents.is_empty() {
        writeln!(
            stdout,
            "no threads indexed; run `codex-memories index` first"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(stdout, "{}", agent_counts_line(&agents))?;
    if let (Some(agent), true) = (args.agent, threads.is_empty()) {
        writeln!(stdout, "no {agent} threads indexed")?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stdout,
        "{:<36}  {:<6}  {:<16}  {:<8}  {:<8}  CWD  |  TITLE",
        "ID", "AGENT", "UPDATED (UTC)", "MEMORY", "ARCHIVED"
    )?;
    for thread in &threads {
        write_row(&mut stdout, thread)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `threads: 5 (codex 3, claude 1, gemini 1)`.
pub fn agent_counts_line(agents: &[(Agent, u64)]) -> String {
    let total: u64 = agents.iter().map(|(_, count)| count).sum();
    let each: Vec<String> = agents
        .iter()
        .map(|(agent, count)| format!("{agent} {count}"))
        .collect();
    format!("threads: {total} ({})", each.join(", "))
}

fn write_row(out: &mut impl Write, thread: &ThreadRow) -> std::io::Result<()> {
    let updated = DateTime::from_timestamp_millis(thread.updated_at)
        .map(|time| time.format(UPDATED_FORMAT).to_string())
        .unwrap_or_default();
    let archived = if thread.archived { "yes" } else { "no" };
    writeln!(
        out,
        "{:<36}  {:<6}  {:<16}  {:<8}  {:<8}  {}  |  {}",
        thread.id.to_string(),
        thread.agent.as_str(),
        updated,
        thread.memory_mode.as_str(),
        archived,
        thread.cwd,
        thread.title
    )
}
