//! `codex-memories show <thread-id>`: everything stored about one thread — its index row, its
//! effective memory mode, its stage-1 output and its stage-1 job — in plain words or as JSON.
//! It reads only.

use std::process::ExitCode;

use clap::Args;
use codex_state::{JobKind, JobRow, MemoryMode, Stage1OutputRow, ThreadId, ThreadRow};
use serde::Serialize;

use crate::commands::HomeArgs;
use crate::commands::json_output::write_report;
use crate::commands::pipeline::Context;
use crate::commands::printable::printable;
use crate::commands::report_text::when;
use crate::error_output::NotFound;

/// Arguments of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The thread (session) id, a UUID as listed by `codex-memories threads`.
    #[arg(value_name = "THREAD_ID")]
    pub thread_id: ThreadId,
    /// Print the record as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What is stored about one thread.
#[derive(Debug, Serialize)]
struct ShowRecord {
    thread_id: ThreadId,
    /// The index row; `None` when the thread is not indexed.
    thread: Option<ThreadRow>,
    /// The user's override, else the indexed mode.
    memory_mode: Option<MemoryMode>,
    /// The stored raw memory and summary.
    stage1_output: Option<Stage1OutputRow>,
    /// The stage-1 job.
    stage1_job: Option<JobRow>,
}

/// Runs `show`.
pub async fn run(args: ShowArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    let id = args.thread_id;
    let record = ShowRecord {
        thread_id: id,
        thread: context.state.get_thread(id).await?,
        memory_mode: context.store.effective_memory_mode(id).await?,
        stage1_output: context.store.stage1_output(id).await?,
        stage1_job: context.store.job(JobKind::Stage1, &id.to_string()).await?,
    };
    context.close().await;
    let known = record.thread.is_some()
        || record.stage1_output.is_some()
        || record.stage1_job.is_some()
        || record.memory_mode.is_some();
    if !known {
        return Err(NotFound(format!(
            "nothing is stored about thread {id}; check the id with `codex-memories threads` (or run `codex-memories index` if the session is new)"
        ))
        .into());
    }
    let mut stdout = std::io::stdout().lock();
    // Titles, messages and memories come from sessions: no escape sequence reaches the terminal.
    write_report(&mut stdout, args.json, &record, |record| {
        record_lines(record)
            .into_iter()
            .map(|line| printable(&line).into_owned())
            .collect()
    })?;
    Ok(ExitCode::SUCCESS)
}

fn record_lines(record: &ShowRecord) -> Vec<String> {
    let mut lines = vec![format!("thread {}", record.thread_id)];
    match &record.thread {
        None => lines.push("  index: not indexed (run `codex-memories index`)".to_string()),
        Some(thread) => {
            lines.push(format!("  rollout: {}", thread.rollout_path.display()));
            lines.push(format!(
                "  created {}, updated {}",
                when(thread.created_at.div_euclid(1000)),
                when(thread.updated_at.div_euclid(1000))
            ));
            lines.push(format!("  cwd: {}", thread.cwd));
            if let Some(branch) = &thread.git_branch {
                lines.push(format!("  git branch: {branch}"));
            }
            lines.push(format!(
                "  source: {}, archived: {}",
                thread.source, thread.archived
            ));
            if !thread.title.is_empty() {
                lines.push(format!("  title: {}", thread.title));
            }
        }
    }
    lines.push(format!(
        "  memory mode: {}",
        record
            .memory_mode
            .map_or("unknown (not indexed)", MemoryMode::as_str)
    ));
    match &record.stage1_job {
        None => lines.push("  extraction job: none yet".to_string()),
        Some(job) => {
            let mut line = format!(
                "  extraction job: {:?}, {} retries left",
                job.status, job.retry_remaining
            )
            .to_lowercase();
            if let Some(finished) = job.finished_at {
                line.push_str(&format!(", finished {}", when(finished)));
            }
            if let Some(retry_at) = job.retry_at {
                line.push_str(&format!(", retry after {}", when(retry_at)));
            }
            lines.push(line);
            if let Some(error) = &job.last_error {
                lines.push(format!("  last error: {error}"));
            }
        }
    }
    match &record.stage1_output {
        None => lines.push("  memory: no memory yet".to_string()),
        Some(output) => {
            lines.push(format!(
                "  memory: generated {} from the version of {}; slug {}",
                when(output.generated_at),
                when(output.source_updated_at),
                output.rollout_slug.as_deref().unwrap_or("(none)")
            ));
            lines.push(format!(
                "  used {} time(s){}; {}",
                output.usage_count,
                output
                    .last_usage
                    .map_or_else(String::new, |t| format!(", last {}", when(t))),
                if output.selected_for_phase2 {
                    "in the consolidated memory"
                } else {
                    "not consolidated yet"
                }
            ));
            lines.push("  raw memory:".to_string());
            lines.extend(output.raw_memory.lines().map(|l| format!("    {l}")));
            lines.push("  rollout summary:".to_string());
            lines.extend(output.rollout_summary.lines().map(|l| format!("    {l}")));
        }
    }
    lines
}
