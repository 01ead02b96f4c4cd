//! `codex-memories clear`: deletes every stored memory (outputs and jobs) and everything inside
//! the memory folder, `.git` included — the folder itself stays — and leaves every indexed thread
//! disabled, so the next run does not extract them all again (`enable --cleared` undoes that).
//! Asks first on a terminal; without one it needs `--yes`. A symlinked memory folder is refused.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Args;
use codex_memories::{check_root, clear_all};

use crate::commands::HomeArgs;
use crate::commands::folder_guard::ensure_folder_writable;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::Context;
use crate::error_output::UsageError;
use crate::terminal::confirm;

/// Arguments of `clear`.
#[derive(Debug, Args)]
pub struct ClearArgs {
    /// Do not ask for confirmation (required when standard input is not a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Print what was removed as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `clear`.
pub async fn run(args: ClearArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let memory_root = home.memory_root()?;
    check_root(&memory_root)?;
    ensure_folder_writable(home, &memory_root, false)?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(UsageError(format!(
                "`clear` deletes every stored memory and everything in {}; standard input is not a terminal, so pass --yes to confirm",
                memory_root.display()
            ))
            .into());
        }
        let question = format!(
            "Delete every stored memory and everything in {} (including .git)?",
            memory_root.display()
        );
        if !confirm(&question)? {
            eprintln!("nothing deleted");
            return Ok(ExitCode::FAILURE);
        }
    }
    let context = Context::open(home).await?;
    let report = clear_all(&context.store, &context.memory_root).await?;
    context.close().await;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report)?;
    } else {
        let entries = report.entries_removed.len();
        let threads = report.threads_disabled;
        writeln!(
            stdout,
            "cleared: every stored memory and extraction job deleted; {entries} entr{} removed from {} (the folder is kept)\n\
             {threads} thread{} disabled, so the next run does not extract {} again; undo with `codex-memories enable --cleared`",
            if entries == 1 { "y" } else { "ies" },
            report.memory_root.display(),
            if threads == 1 { "" } else { "s" },
            if threads == 1 { "it" } else { "them" },
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
