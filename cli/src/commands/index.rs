//! `codex-memories index`: brings the thread index up to date with the rollout files and prints
//! what changed. A progress bar is drawn on stderr only when it is a terminal. Files that could
//! not be indexed are listed but do not fail the command: the index of the rest is still good.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use codex_state::{IndexProgress, IndexReport};
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::home::HomeArgs;
use crate::commands::json_output::write_json;

/// How often the progress bar redraws on its own.
const PROGRESS_TICK: Duration = Duration::from_millis(120);
const PROGRESS_TEMPLATE: &str =
    "{spinner} indexing [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg}";
/// Failed files printed in text output; the rest are counted.
const MAX_FAILED_SHOWN: usize = 20;

/// Arguments of `index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `index`.
pub async fn run(args: IndexArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let runtime = home.open_state().await?;
    let bar = progress_bar();
    let started = Instant::now();
    let report = runtime
        .index_sessions(&|progress: IndexProgress| {
            bar.set_length(progress.bytes_total);
            bar.set_position(progress.bytes_done);
            bar.set_message(format!(
                "{}/{} files",
                progress.files_done, progress.files_total
            ));
        })
        .await;
    bar.finish_and_clear();
    let report = report?;
    runtime.close().await;

    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report)?;
    } else {
        write_text(&mut stdout, &report, started.elapsed())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(PROGRESS_TEMPLATE) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(PROGRESS_TICK);
    bar
}

fn write_text(
    out: &mut impl Write,
    report: &IndexReport,
    elapsed: Duration,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} rollout files in {:.1} s: {} parsed ({:.1} MB), {} unchanged, {} skipped",
        report.files_seen,
        elapsed.as_secs_f64(),
        report.parsed,
        report.bytes_parsed as f64 / 1e6,
        report.unchanged,
        report.skipped,
    )?;
    writeln!(
        out,
        "threads: {} added, {} updated, {} removed",
        report.threads_added, report.updated, report.removed
    )?;
    if report.failed.is_empty() {
        return Ok(());
    }
    writeln!(out, "{} file(s) not indexed:", report.failed.len())?;
    for failed in report.failed.iter().take(MAX_FAILED_SHOWN) {
        writeln!(out, "  {}: {}", failed.path.display(), failed.reason)?;
    }
    if report.failed.len() > MAX_FAILED_SHOWN {
        writeln!(
            out,
            "  … and {} more (use --json for all)",
            report.failed.len() - MAX_FAILED_SHOWN
        )?;
    }
    Ok(())
}
