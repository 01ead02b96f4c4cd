//! `codex-memories cite`: reads a saved answer, parses its `<oai-mem-citation>` blocks, records
//! one use of each cited thread's memory (so cited memories stay selected for consolidation),
//! and prints the answer without the blocks, or everything found as JSON.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use codex_memories::{CitationEntry, parse_citations};
use codex_state::ThreadId;
use serde::Serialize;

use crate::commands::HomeArgs;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::Context;

/// Arguments of `cite`.
#[derive(Debug, Args)]
pub struct CiteArgs {
    /// The saved answer; `-` (the default) reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,
    /// Print the entries, ids, malformed lines and usage rows updated as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct CiteReport {
    visible_text: String,
    entries: Vec<CitationEntry>,
    thread_ids: Vec<ThreadId>,
    malformed: Vec<String>,
    usage_rows_updated: u64,
}

/// Runs `cite`.
pub async fn run(args: CiteArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let answer = if args.file.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the answer from standard input")?;
        text
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read the answer at {}", args.file.display()))?
    };
    let citations = parse_citations(&answer);
    let context = Context::open(home).await?;
    let updated = context.store.record_usage(&citations.thread_ids).await?;
    context.close().await;
    for line in &citations.malformed {
        eprintln!("warning: skipped a malformed citation line: {line}");
    }
    let report = CiteReport {
        visible_text: citations.visible_text,
        entries: citations.entries,
        thread_ids: citations.thread_ids,
        malformed: citations.malformed,
        usage_rows_updated: updated,
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report)?;
    } else {
        writeln!(stdout, "{}", report.visible_text)?;
        eprintln!(
            "note: {} thread(s) cited; usage recorded for {} stored memorie(s)",
            report.thread_ids.len(),
            report.usage_rows_updated
        );
    }
    Ok(ExitCode::SUCCESS)
}
