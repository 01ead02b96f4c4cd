//! `codex-memories run`: the whole pipeline — index → prune → extract → consolidate — under one
//! budget, with progress and a final report that says, in plain words, why nothing happened when
//! nothing did. Ctrl-C (or SIGTERM) stops it and gives its unfinished sessions back first.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use codex_memories::ExtractProgress;
use codex_memories::Phase2Outcome;
use codex_memories::{PipelineOptions, PipelineProgress, PipelineReport};
use codex_memories::{StartupError, StartupOptions, start_memories};

use crate::commands::HomeArgs;
use crate::commands::folder_guard::ensure_folder_writable;
use crate::commands::index::{IndexFlags, print_warnings};
use crate::commands::install::refresh_after_consolidation;
use crate::commands::interrupt::Interrupt;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::{ConsolidatorChoice, Context, DestinationNote, ProviderArgs};
use crate::commands::report_text::{extract_lines, index_line, phase2_lines};
use crate::terminal::{finish_progress_bar, progress_bar};

const PROGRESS_TEMPLATE: &str = "{spinner} {prefix} [{bar:30}] {pos}/{len} {msg}";
/// The progress bar's prefix while sessions are extracted.
const EXTRACTING: &str = "extracting";

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// How phase 2 consolidates [default: consolidator in codex-memories.toml; agent with a
    /// model provider, else offline]
    #[arg(long, value_enum, value_name = "KIND")]
    pub consolidator: Option<ConsolidatorChoice>,
    /// Sessions to extract at most [default: [memories] max_rollouts_per_startup]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_rollouts: Option<u32>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub index: IndexFlags,
}

/// Runs `run` and returns its report (used by `demo` too); cancelling `cancel` interrupts it.
pub async fn run_report(
    args: &RunArgs,
    context: &Context,
    cancel: tokio_util::sync::CancellationToken,
) -> anyhow::Result<PipelineReport> {
    let budget = context.budget(&args.provider);
    let (client, resolved, prepared) = context.extract_client(&args.provider, &budget).await?;
    let consolidator = context.consolidator(&args.provider, args.consolidator, &budget)?;
    let mut options = StartupOptions::new(
        Arc::clone(&client),
        Arc::from(consolidator),
        context.memory_root.clone(),
    );
    options.budget = budget;
    let index_options = args.index.options();
    let extract =
        context.extract_options(&resolved, args.max_rollouts, index_options.agents.clone());
    options.pipeline = PipelineOptions::default()
        .with_index(true)
        .with_index_options(index_options)
        .with_generate(context.config.generate_memories)
        .with_extract(extract)
        .with_phase2(context.phase2_options())
        .with_cancel(cancel);
    // The index is brought up to date inside the pipeline; until then "up to" the claim cap.
    let note = DestinationNote::new(
        &resolved,
        client.as_ref(),
        u64::from(options.pipeline.extract.scan.max_claims),
    );
    let bar = progress_bar(PROGRESS_TEMPLATE);
    let shown = bar.clone();
    options.progress = Some(Arc::new(move |progress| match progress {
        PipelineProgress::Index(index) => {
            shown.set_prefix("indexing");
            shown.set_length(index.files_total);
            shown.set_position(index.files_done);
        }
        PipelineProgress::Extract(ExtractProgress::Claimed { total }) => {
            note.say_once();
            if shown.prefix() != EXTRACTING {
                shown.set_prefix(EXTRACTING);
                shown.set_position(0);
            }
            shown.set_length(total as u64);
        }
        PipelineProgress::Extract(ExtractProgress::Finished { thread_id, .. }) => {
            shown.inc(1);
            shown.set_message(thread_id.to_string());
        }
        PipelineProgress::Consolidating => {
            shown.set_prefix("consolidating");
            shown.set_message("");
        }
        // A progress step added to the library later: nothing to show for it yet.
        _ => {}
    }));
    // The same entry point a host calls at session start; `run` waits for its outcome.
    let report = start_memories(
        Arc::clone(&context.state),
        Arc::clone(&context.store),
        options,
    )
    .await
    .outcome()
    .await;
    finish_progress_bar(&bar);
    let report = report.map_err(|error| match error {
        // The database error itself, so its kind (corrupt, newer, …) is reported as such.
        StartupError::State(state) => anyhow::Error::from(state),
        other => anyhow::Error::from(other),
    })?;
    context.remember_provider(&resolved, &prepared).await;
    if let Some(index) = &report.index {
        print_warnings(index);
    }
    Ok(report)
}

/// Writes the text report.
pub fn write_report(
    out: &mut impl Write,
    report: &PipelineReport,
    context: &Context,
) -> std::io::Result<()> {
    if let Some(index) = &report.index {
        writeln!(out, "{}", index_line(index))?;
    }
    if report.pruned > 0 {
        writeln!(out, "prune: {} stale memories removed", report.pruned)?;
    }
    if let Some(reason) = &report.skipped_generation {
        writeln!(out, "{reason}")?;
    }
    if let Some(extract) = &report.extract {
        for line in extract_lines(extract, &context.config) {
            writeln!(out, "{line}")?;
        }
    }
    if let Some(phase2) = &report.phase2 {
        for line in phase2_lines(phase2) {
            writeln!(out, "{line}")?;
        }
    }
    if let Some(reason) = &report.skipped_phase2 {
        writeln!(out, "consolidate: skipped — {reason}")?;
    }
    Ok(())
}

/// Whether a run failed anywhere.
pub fn failed(report: &PipelineReport) -> bool {
    report
        .extract
        .as_ref()
        .is_some_and(|e| !e.failed.is_empty() || e.stopped.is_some())
        || report
            .phase2
            .as_ref()
            .is_some_and(|p| matches!(p.outcome, Phase2Outcome::Failed { .. }))
}

/// Runs `run`.
pub async fn run(args: RunArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    // Closed on every path, the failing ones too, before the command returns to `main`.
    let result = run_opened(&args, home, &context).await;
    context.close().await;
    result
}

/// `run` on the opened databases.
async fn run_opened(
    args: &RunArgs,
    home: &HomeArgs,
    context: &Context,
) -> anyhow::Result<ExitCode> {
    ensure_folder_writable(home, &context.memory_root, false)?;
    let interrupt = Interrupt::install()?;
    let report = run_report(args, context, interrupt.token()).await?;
    refresh_after_consolidation(home, &context.memory_root, report.phase2.as_ref());
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report)?;
    } else {
        write_report(&mut stdout, &report, context)?;
    }
    let failed = failed(&report);
    if let Some(code) = interrupt.exit_code() {
        return Ok(code);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
