//! Plain-words renderings of the pipeline's reports, shared by `extract`, `consolidate`, `run`,
//! `demo` and `status`: what happened, and — when nothing happened — why.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use codex_memories::ExtractReport;
use codex_memories::MemoriesConfig;
use codex_memories::{Phase2Outcome, Phase2Report};
use codex_state::{IndexReport, StartupSkips};

/// `2026-05-04 09:12 UTC` for unix seconds.
pub fn when(unix_seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix_seconds, 0).map_or_else(
        || unix_seconds.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// One line about the index step.
pub fn index_line(report: &IndexReport) -> String {
    let mut line = format!(
        "index: {} session files — {} parsed, {} unchanged; threads +{} ~{} -{}",
        report.files_seen,
        report.parsed,
        report.unchanged,
        report.threads_added,
        report.updated,
        report.removed
    );
    if !report.failed.is_empty() {
        let _ = write!(
            line,
            "; {} file(s) not indexed (see `codex-memories index`)",
            report.failed.len()
        );
    }
    let kept = kept_threads(report);
    if kept > 0 {
        let _ = write!(
            line,
            "; {kept} kept although their files are out of reach (see the warnings)"
        );
    }
    line
}

/// Threads an index run kept although their files could not be read or were gone.
pub fn kept_threads(report: &IndexReport) -> u64 {
    let in_unreadable_roots: u64 = report
        .unreadable_roots
        .iter()
        .map(|root| root.kept_threads)
        .sum();
    in_unreadable_roots + report.removal_held_back.map_or(0, |held| held.threads)
}

/// Why threads were passed over, in plain words (empty when none were).
pub fn skip_lines(skips: &StartupSkips, config: &MemoriesConfig) -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |count: u64, text: String| {
        if count > 0 {
            lines.push(format!("{count} {text}"));
        }
    };
    push(
        skips.too_fresh,
        format!(
            "session(s) still too fresh: updated less than {} h ago (min_rollout_idle_hours); they are extracted once idle",
            config.min_rollout_idle_hours
        ),
    );
    push(
        skips.too_old,
        format!(
            "session(s) too old: not updated in the last {} days (max_rollout_age_days)",
            config.max_rollout_age_days
        ),
    );
    push(
        skips.up_to_date,
        "session(s) already extracted at their current version".to_string(),
    );
    push(
        skips.running,
        "session(s) being extracted by another process".to_string(),
    );
    push(
        skips.capped,
        "session(s) waiting: the concurrent extraction cap was reached".to_string(),
    );
    push(
        skips.in_backoff,
        "session(s) in backoff after a failure (see `codex-memories status`)".to_string(),
    );
    push(
        skips.retries_exhausted,
        "session(s) failed 3 times at this version; retried when they change".to_string(),
    );
    push(
        skips.not_enabled,
        "session(s) with memory disabled or polluted".to_string(),
    );
    push(skips.archived, "archived session(s)".to_string());
    push(
        skips.agent_left_out,
        "session(s) of an agent left out by --agents".to_string(),
    );
    lines
}

/// The phase-1 report as text lines.
pub fn extract_lines(report: &ExtractReport, config: &MemoriesConfig) -> Vec<String> {
    let mut lines = vec![format!(
        "extract: {} claimed — {} memories stored, {} with nothing worth remembering, {} failed{}",
        report.claimed,
        report.succeeded,
        report.no_output,
        report.failed.len(),
        if report.not_attempted > 0 {
            format!(", {} left for the next run (budget)", report.not_attempted)
        } else if report.released > 0 {
            format!(
                ", {} left for the next run (no retry charged)",
                report.released
            )
        } else {
            String::new()
        }
    )];
    if let Some(stop) = &report.stopped {
        lines.push(format!("  the run stopped: {}", stop.reason));
        lines.push(format!("  hint: {}", stop.hint));
    }
    for failed in &report.failed {
        lines.push(format!("  failed {}: {}", failed.thread_id, failed.reason));
    }
    if let Some(stopped) = &report.budget_stopped {
        lines.push(format!("  stopped: {stopped}"));
    }
    if report.interrupted {
        lines.push(format!(
            "  interrupted: {} unfinished session(s) given back; the next run extracts them at once",
            report.released_on_interrupt
        ));
    }
    if report.claimed == 0 {
        let skips = skip_lines(&report.skipped, config);
        if skips.is_empty() {
            lines.push("  nothing to extract: no indexed sessions are eligible".to_string());
        } else {
            lines.push("  nothing extracted because:".to_string());
            lines.extend(skips.into_iter().map(|line| format!("    {line}")));
        }
    }
    if report.usage.total_tokens > 0 {
        lines.push(format!(
            "  tokens: {} input, {} output",
            report.usage.input_tokens, report.usage.output_tokens
        ));
    }
    lines
}

/// The phase-2 report as text lines.
pub fn phase2_lines(report: &Phase2Report) -> Vec<String> {
    let mut lines = Vec::new();
    let head = match &report.outcome {
        Phase2Outcome::SkippedRunning { lease_until } => format!(
            "consolidate: skipped — another process is consolidating (its lease ends {})",
            when(*lease_until)
        ),
        Phase2Outcome::SkippedBackoff { retry_at } => format!(
            "consolidate: skipped — the last consolidation failed; next attempt after {} (see `codex-memories status`)",
            when(*retry_at)
        ),
        Phase2Outcome::SkippedCooldown { until } => format!(
            "consolidate: skipped — the memory was consolidated recently; next automatic consolidation after {} (use `codex-memories consolidate --force` to run now)",
            when(*until)
        ),
        Phase2Outcome::NoChanges => format!(
            "consolidate: nothing changed since the last consolidation ({} memories); no model was called",
            report.inputs
        ),
        Phase2Outcome::Consolidated {
            report: done,
            baseline,
        } => format!(
            "consolidate: {} memories consolidated in {} turn(s); {} file(s) changed; baseline {}",
            report.inputs,
            done.turns,
            done.files_changed.len(),
            &baseline[..baseline.len().min(12)]
        ),
        Phase2Outcome::Failed { reason } => format!("consolidate: FAILED — {reason}"),
        Phase2Outcome::LostOwnership => {
            "consolidate: stopped — another process took over the job; nothing was committed"
                .to_string()
        }
        other => format!("consolidate: {other:?}"),
    };
    lines.push(head);
    if let Phase2Outcome::Consolidated { report: done, .. } = &report.outcome {
        for file in &done.files_changed {
            lines.push(format!("  wrote {file}"));
        }
        if done.usage.total_tokens > 0 {
            lines.push(format!(
                "  tokens: {} input, {} output",
                done.usage.input_tokens, done.usage.output_tokens
            ));
        }
    }
    lines
}
