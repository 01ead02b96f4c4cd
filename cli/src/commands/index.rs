//! `codex-memories index`: brings the thread index up to date with every agent's session files and prints
//! what changed. A progress bar is drawn on stderr only when it is a terminal. Files that could
//! not be indexed are listed but do not fail the command: the index of the rest is still good.
//! A session folder that cannot be read, or a removal held back, is a warning on stderr (exit 0):
//! the threads indexed from it are kept. `run` and `extract` share [`IndexFlags`] and
//! [`warning_lines`].

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use codex_protocol::Agent;
use codex_state::{
    AgentSelection, IndexOptions, IndexProgress, IndexReport, SessionCheck, mass_removal_limit,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::commands::home::HomeArgs;
use crate::commands::json_output::write_json;
use crate::commands::report_text::kept_threads;

/// How often the progress bar redraws on its own.
const PROGRESS_TICK: Duration = Duration::from_millis(120);
const PROGRESS_TEMPLATE: &str =
    "{spinner} indexing [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}) {msg}";
/// Failed files printed in text output; the rest are counted.
const MAX_FAILED_SHOWN: usize = 20;

/// The indexing flags of every command that indexes (`index`, `extract`, `run`).
#[derive(Debug, Clone, Default, Args)]
pub struct IndexFlags {
    /// Remove the index rows (and so the memories) of every session whose rollout file is gone,
    /// even when that is more than a quarter of the index or more than 50 sessions, and of a
    /// session folder that no longer exists. Without it such a removal is held back and reported:
    /// an unmounted or emptied folder must not erase the memory.
    #[arg(long)]
    pub allow_mass_removal: bool,
    /// Whose sessions to read, comma-separated: codex (rollouts under the Codex home), claude
    /// (transcripts under --claude-home/projects), gemini (chats under --gemini-home/tmp)
    /// [default: every agent whose home exists]. The threads of an agent left out are kept as
    /// they are.
    #[arg(long, value_name = "AGENTS", value_delimiter = ',')]
    pub agents: Vec<Agent>,
}

impl IndexFlags {
    /// The library options these flags select.
    pub fn options(&self) -> IndexOptions {
        let agents = if self.agents.is_empty() {
            AgentSelection::Present
        } else {
            AgentSelection::Only(self.agents.iter().copied().collect())
        };
        IndexOptions::default()
            .with_allow_mass_removal(self.allow_mass_removal)
            .with_agents(agents)
    }
}

/// Arguments of `index`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    flags: IndexFlags,
}

/// The warnings of an index run, one line each: unreadable session folders (path and OS error,
/// what was kept) and a held-back removal (how to let it through).
pub fn warning_lines(report: &IndexReport) -> Vec<String> {
    let mut lines: Vec<String> = report
        .unreadable_roots
        .iter()
        .map(|root| root.message())
        .collect();
    lines.extend(report.removal_held_back.map(|held| held.message()));
    lines
}

/// What `status` says about the session folders: each one that cannot be read (the OS error and
/// what is kept), and indexed sessions whose files are gone (and whether the next index removes
/// them or holds back). Empty when all is well.
pub fn session_check_lines(check: &SessionCheck) -> Vec<String> {
    let mut lines: Vec<String> = check
        .unreadable_roots
        .iter()
        .map(|root| format!("sessions: {}", root.message()))
        .collect();
    if check.missing_files > 0 {
        let next = if check.removal_would_be_held_back {
            format!(
                "more than one index run removes ({}), so they are kept; if you deleted them on \
                 purpose, run `codex-memories index --allow-mass-removal`",
                mass_removal_limit(check.indexed_threads)
            )
        } else {
            "the next index removes them and their memories".to_string()
        };
        lines.push(format!(
            "sessions: the rollout files of {} of {} indexed session(s) are gone; {next}",
            check.missing_files, check.indexed_threads
        ));
    }
    lines
}

/// Prints each warning of an index run on stderr.
pub fn print_warnings(report: &IndexReport) {
    for line in warning_lines(report) {
        eprintln!("warning: {line}");
    }
}

/// Runs `index`.
pub async fn run(args: IndexArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let runtime = home.open_state().await?;
    let bar = progress_bar();
    let started = Instant::now();
    let report = runtime
        .index_sessions_with(&args.flags.options(), &|progress: IndexProgress| {
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
    print_warnings(&report);

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
        "{} session files in {:.1} s: {} parsed ({:.1} MB), {} unchanged, {} skipped",
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
    let kept = kept_threads(report);
    if kept > 0 {
        writeln!(
            out,
            "{kept} thread(s) kept although their files are out of reach (see the warnings)"
        )?;
    }
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
