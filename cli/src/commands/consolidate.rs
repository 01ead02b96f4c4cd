//! `codex-memories consolidate`: phase 2 only — sync the selected memories into the memory
//! folder's staging copy, diff it against its git baseline, and (only when something changed)
//! run the consolidator, then swap the copy in with a fresh baseline. `--force` runs now,
//! through a cooldown or a failure's backoff.

use std::process::ExitCode;

use clap::Args;
use codex_memories::{Phase2Outcome, run_phase2};

use crate::commands::HomeArgs;
use crate::commands::folder_guard::ensure_folder_writable;
use crate::commands::install::refresh_after_consolidation;
use crate::commands::json_output::write_report;
use crate::commands::pipeline::{ConsolidatorChoice, Context, ProviderArgs};
use crate::commands::report_text::phase2_lines;

/// Arguments of `consolidate`.
#[derive(Debug, Args)]
pub struct ConsolidateArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    /// How to consolidate [default: consolidator in codex-memories.toml; agent with a model
    /// provider, else offline]
    #[arg(long, value_enum, value_name = "KIND")]
    consolidator: Option<ConsolidatorChoice>,
    /// Run now: even within the cooldown after a recent consolidation or the backoff after a
    /// failed one, and replace a memory folder that Codex's own memory pipeline wrote (it is
    /// copied to a backup folder beside it first). A consolidation running elsewhere is never
    /// overridden.
    #[arg(long)]
    force: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `consolidate`.
pub async fn run(args: ConsolidateArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    ensure_folder_writable(home, &context.memory_root, args.force)?;
    let budget = context.budget(&args.provider);
    let consolidator = context.consolidator(&args.provider, args.consolidator, &budget)?;
    let mut options = context.phase2_options();
    if args.force {
        options.claim.cooldown_seconds = 0;
        options.claim.ignore_backoff = true;
    }
    let now = context.state.clock().now();
    let report = run_phase2(
        &context.store,
        &context.memory_root,
        consolidator.as_ref(),
        &options,
        now,
    )
    .await?;
    refresh_after_consolidation(home, &context.memory_root, Some(&report));
    let mut stdout = std::io::stdout().lock();
    write_report(&mut stdout, args.json, &report, phase2_lines)?;
    context.close().await;
    Ok(match report.outcome {
        Phase2Outcome::Failed { .. } => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    })
}
