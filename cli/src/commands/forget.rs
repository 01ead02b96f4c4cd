//! `codex-memories forget <thread-id>`: removes one thread from memory — its stored memory and
//! job, its rollout summary and its block in raw_memories.md, the text its index row copied, its
//! log rows — disables it so it is not extracted again, and (unless `--no-consolidate`)
//! consolidates at once so MEMORY.md drops what only it supported and the git baseline is reset
//! with no object holding its text. It then searches every database and file for what the thread
//! may have left, prints what it checked and what remains, and exits 1 when anything remains.

use std::process::ExitCode;

use clap::Args;
use codex_memories::ForgetCheck;
use codex_memories::Phase2Outcome;
use codex_memories::{ForgetReport, forget_thread};
use codex_state::{JobKind, ThreadId};

use crate::commands::HomeArgs;
use crate::commands::folder_guard::ensure_folder_writable;
use crate::commands::install::refresh_after_consolidation;
use crate::commands::json_output::write_report;
use crate::commands::pipeline::{ConsolidatorChoice, Context, ProviderArgs};
use crate::commands::report_text::phase2_lines;
use crate::error_output::NotFound;

/// Arguments of `forget`.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The thread (session) id, a UUID as listed by `codex-memories threads`.
    #[arg(value_name = "THREAD_ID")]
    pub thread_id: ThreadId,
    /// Remove the inputs only; MEMORY.md, memory_summary.md and memories/.git keep the thread's
    /// text until the next consolidation.
    #[arg(long)]
    pub no_consolidate: bool,
    #[command(flatten)]
    pub provider: ProviderArgs,
    /// How the consolidation that follows runs [default: consolidator in codex-memories.toml;
    /// agent with a model provider, else offline]
    #[arg(long, value_enum, value_name = "KIND")]
    pub consolidator: Option<ConsolidatorChoice>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `forget`.
pub async fn run(args: ForgetArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    ensure_folder_writable(home, &context.memory_root, false)?;
    let id = args.thread_id;
    let known = context.state.get_thread(id).await?.is_some()
        || context.store.stage1_output(id).await?.is_some()
        || context
            .store
            .job(JobKind::Stage1, &id.to_string())
            .await?
            .is_some();
    if !known {
        context.close().await;
        return Err(NotFound(format!(
            "thread {id} is not indexed and has no memory; check the id with `codex-memories threads`"
        ))
        .into());
    }
    let consolidator = if args.no_consolidate {
        None
    } else {
        let budget = context.budget(&args.provider);
        Some(context.consolidator(&args.provider, args.consolidator, &budget)?)
    };
    let options = context.phase2_options();
    let now = context.state.clock().now();
    let report = forget_thread(
        &context.store,
        &context.state,
        &context.memory_root,
        id,
        consolidator.as_deref().map(|c| (c, &options)),
        now,
    )
    .await?;
    refresh_after_consolidation(home, &context.memory_root, report.consolidation.as_ref());
    context.close().await;
    let mut stdout = std::io::stdout().lock();
    write_report(&mut stdout, args.json, &report, report_lines)?;
    // A WAL another process kept in use may still hold the text (or get it back from that
    // process's snapshot): not done until it could be emptied.
    let failed = !report.check.is_clean()
        || !report.warnings.is_empty()
        || report
            .consolidation
            .as_ref()
            .is_some_and(|c| matches!(c.outcome, Phase2Outcome::Failed { .. }));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn report_lines(report: &ForgetReport) -> Vec<String> {
    let id = report.thread_id;
    let mut lines = vec![format!(
        "forget {id}: memory mode set to disabled, so it is not extracted again (undo with `codex-memories enable {id}`)"
    )];
    lines.push(if report.output.deleted {
        "  deleted its stored memory and extraction job".to_string()
    } else {
        "  it had no stored memory".to_string()
    });
    if report.index_row_blanked {
        lines.push(
            "  blanked the title, first message and preview its index row copied from the session (the row stays, so the thread is recognised)".to_string(),
        );
    }
    if report.log_rows_deleted > 0 {
        lines.push(format!(
            "  deleted {} log row{} about it",
            report.log_rows_deleted,
            if report.log_rows_deleted == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    for file in &report.summaries_removed {
        lines.push(format!("  deleted {file}"));
    }
    if report.raw_memories_block_removed {
        lines.push("  removed its block from raw_memories.md".to_string());
    }
    let keeps = "MEMORY.md, memory_summary.md and the git history in memories/.git may still hold its text until the next consolidation (`codex-memories consolidate --force`)";
    match &report.consolidation {
        None => lines.push(format!("  not consolidated (--no-consolidate): {keeps}")),
        Some(phase2) => {
            lines.extend(phase2_lines(phase2).into_iter().map(|l| format!("  {l}")));
            match phase2.outcome {
                Phase2Outcome::Consolidated { .. } if report.check.is_clean() => lines.push(
                    "  MEMORY.md was rebuilt without it and memories/.git was replaced by a fresh baseline: no file or git object holds its text"
                        .to_string(),
                ),
                // A consolidator that keeps text it did not write (the offline one keeps what an
                // agent or a person wrote) can leave the thread's text in place.
                Phase2Outcome::Consolidated { .. } => lines.push(
                    "  MEMORY.md was consolidated again and memories/.git replaced by a fresh baseline, but text of it is still in the folder (see below): the consolidator kept it; edit those files by hand or consolidate with `--consolidator agent`, then run this `forget` again"
                        .to_string(),
                ),
                Phase2Outcome::NoChanges => lines.push(
                    "  the memory folder held nothing of it; nothing else to remove".to_string(),
                ),
                _ => lines.push(format!("  WARNING: {keeps}")),
            }
        }
    }
    for file in &report.lines_scrubbed {
        lines.push(format!(
            "  deleted the lines of {file} that still held it (kept by the consolidator), and made the baseline again"
        ));
    }
    for leftover in &report.leftovers_removed {
        lines.push(format!(
            "  deleted {leftover} (codex-memories' own leftover, which held its text)"
        ));
    }
    for warning in &report.warnings {
        lines.push(format!("  WARNING: {warning}"));
    }
    lines.extend(check_lines(&report.check));
    lines
}

/// What the search covered and what it found.
fn check_lines(check: &ForgetCheck) -> Vec<String> {
    let mut lines =
        vec!["checked, byte by byte (free pages, WAL files and git objects included):".to_string()];
    for place in &check.checked {
        let looked_for: Vec<&str> = place
            .looked_for
            .iter()
            .map(|kind| kind.describe())
            .collect();
        lines.push(format!(
            "  {} ({} file{}): {}",
            place.path.display(),
            place.files,
            if place.files == 1 { "" } else { "s" },
            if looked_for.is_empty() {
                "nothing to look for".to_string()
            } else {
                looked_for.join(", ")
            }
        ));
    }
    if check.is_clean() {
        lines.push("nothing of the thread remains in any of them".to_string());
    } else {
        lines.push("STILL PRESENT:".to_string());
        for remnant in &check.remains {
            lines.push(format!(
                "  {}: {}",
                remnant.path.display(),
                remnant.kind.describe()
            ));
        }
        lines.push(
            "what remains is named above; after a consolidation (`codex-memories consolidate --force`) or once the process holding a database has stopped, run this `forget` again to remove and check it"
                .to_string(),
        );
    }
    lines
}
