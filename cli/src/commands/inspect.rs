//! `codex-memories inspect <file>...`: reads each rollout to its end and reports its thread id,
//! format, the count of each item kind and every bad line. Bad lines are reported, not fatal; a
//! file that cannot be opened or read to its end makes the command exit 1 after the others.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::commands::json_output::write_json;
use clap::Args;
use codex_protocol::{BadLine, RolloutFileName, RolloutFormat, RolloutReader, ThreadId};
use serde::Serialize;

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Rollout files (`.jsonl` or `.jsonl.zst`).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Print one JSON array of reports instead of text.
    #[arg(long)]
    json: bool,
    /// Also exit 1 when any file has bad lines (for CI checks over known-good files).
    #[arg(long)]
    strict: bool,
}

/// What `inspect` found in one file.
#[derive(Debug, Serialize)]
struct Inspection {
    path: PathBuf,
    /// The id declared by the file's `session_meta` (or legacy header).
    thread_id: Option<ThreadId>,
    /// The id in the file name, when the name parses.
    file_name_thread_id: Option<ThreadId>,
    format: Option<RolloutFormat>,
    lines_read: u64,
    items: BTreeMap<String, u64>,
    bad_line_count: u64,
    bad_lines: Vec<BadLineReport>,
    /// Set when the file could not be opened or read to its end.
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct BadLineReport {
    line_number: u64,
    reason: String,
    detail: codex_protocol::BadLineReason,
}

impl From<&BadLine> for BadLineReport {
    fn from(bad: &BadLine) -> Self {
        Self {
            line_number: bad.line_number,
            reason: bad.reason.to_string(),
            detail: bad.reason.clone(),
        }
    }
}

/// Runs `inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let inspections: Vec<Inspection> = args.files.iter().map(|path| inspect_file(path)).collect();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &inspections)?;
    } else {
        for inspection in &inspections {
            write_text(&mut stdout, inspection)?;
        }
    }
    let failed = inspections.iter().filter(|i| i.error.is_some()).count();
    if failed > 0 {
        eprintln!(
            "error: {failed} of {} file(s) could not be read",
            inspections.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    let with_bad_lines = inspections.iter().filter(|i| i.bad_line_count > 0).count();
    if args.strict && with_bad_lines > 0 {
        eprintln!(
            "error: {with_bad_lines} of {} file(s) have bad lines (--strict)",
            inspections.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect_file(path: &Path) -> Inspection {
    let file_name_thread_id = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse::<RolloutFileName>().ok())
        .map(|name| name.thread_id);
    let mut inspection = Inspection {
        path: path.to_path_buf(),
        thread_id: None,
        file_name_thread_id,
        format: None,
        lines_read: 0,
        items: BTreeMap::new(),
        bad_line_count: 0,
        bad_lines: Vec::new(),
        error: None,
    };
    let mut reader = match RolloutReader::open(path) {
        Ok(reader) => reader,
        Err(error) => {
            inspection.error = Some(error.to_string());
            return inspection;
        }
    };
    loop {
        match reader.next_line() {
            Ok(Some((_, line))) => {
                if inspection.thread_id.is_none() {
                    inspection.thread_id = line.item.declared_thread_id();
                }
                *inspection.items.entry(line.item.kind_label()).or_default() += 1;
            }
            Ok(None) => break,
            Err(error) => {
                inspection.error = Some(error.to_string());
                break;
            }
        }
    }
    inspection.format = reader.format();
    inspection.lines_read = reader.lines_read();
    inspection.bad_line_count = reader.bad_line_count();
    inspection.bad_lines = reader.bad_lines().iter().map(BadLineReport::from).collect();
    inspection
}

fn write_text(out: &mut impl Write, inspection: &Inspection) -> std::io::Result<()> {
    writeln!(out, "{}", inspection.path.display())?;
    let thread = match (inspection.thread_id, inspection.file_name_thread_id) {
        (Some(declared), Some(named)) if declared != named => {
            format!("{declared} (the file name says {named})")
        }
        (Some(declared), _) => declared.to_string(),
        (None, Some(named)) => format!("{named} (from the file name; no session_meta)"),
        (None, None) => "unknown (no session_meta and the file name does not parse)".to_string(),
    };
    writeln!(out, "  thread:  {thread}")?;
    let format = inspection.format.map_or("unknown", RolloutFormat::as_str);
    writeln!(out, "  format:  {format}")?;
    let good: u64 = inspection.items.values().sum();
    writeln!(
        out,
        "  lines:   {} read, {good} items, {} bad",
        inspection.lines_read, inspection.bad_line_count
    )?;
    if !inspection.items.is_empty() {
        writeln!(out, "  items:")?;
        let width = inspection.items.keys().map(String::len).max().unwrap_or(0);
        for (label, count) in &inspection.items {
            writeln!(out, "    {label:<width$}  {count}")?;
        }
    }
    if inspection.bad_line_count > 0 {
        writeln!(out, "  bad lines:")?;
        for bad in &inspection.bad_lines {
            writeln!(out, "    line {}: {}", bad.line_number, bad.reason)?;
        }
        let unshown = inspection.bad_line_count - inspection.bad_lines.len() as u64;
        if unshown > 0 {
            writeln!(out, "    … and {unshown} more")?;
        }
    }
    if let Some(error) = &inspection.error {
        writeln!(out, "  error:   {error}")?;
    }
    writeln!(out)
}
