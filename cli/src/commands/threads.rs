//! `codex-memories threads`: lists indexed threads, most recently updated first. It reads the
//! index only; run `codex-memories index` to refresh it.

use std::io::Write;
use std::process::ExitCode;

use chrono::DateTime;
use clap::Args;
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
    /// Print the rows as a JSON array.
    #[arg(long)]
    json: bool,
    /// How many threads to list.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    limit: u32,
}

/// Runs `threads`.
pub async fn run(args: ThreadsArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let runtime = home.open_state().await?;
    let threads = runtime.list_threads(args.limit).await?;
    runtime.close().await;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &threads)?;
        return Ok(ExitCode::SUCCESS);
    }
    if threads.is_empty() {
        writeln!(
            stdout,
            "no threads indexed; run `codex-memories index` first"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        stdout,
        "{:<36}  {:<16}  {:<8}  {:<8}  CWD  |  TITLE",
        "ID", "UPDATED (UTC)", "MEMORY", "ARCHIVED"
    )?;
    for thread in &threads {
        write_row(&mut stdout, thread)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_row(out: &mut impl Write, thread: &ThreadRow) -> std::io::Result<()> {
    let updated = DateTime::from_timestamp_millis(thread.updated_at)
        .map(|time| time.format(UPDATED_FORMAT).to_string())
        .unwrap_or_default();
    let archived = if thread.archived { "yes" } else { "no" };
    writeln!(
        out,
        "{:<36}  {:<16}  {:<8}  {:<8}  {}  |  {}",
        thread.id.to_string(),
        updated,
        thread.memory_mode.as_str(),
        archived,
        thread.cwd,
        thread.title
    )
}
