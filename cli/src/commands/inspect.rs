//! `codex-memories inspect <file>...`: reads each session file to its end — a Codex rollout, a
//! Claude Code transcript or a Gemini CLI chat, told apart by its first lines unless `--agent`
//! says — and reports the agent, its thread id, format, the count of each item kind and every bad
//! line. Bad lines are reported, not fatal; a file that cannot be opened or read to its end makes
//! the command exit 1 after the others.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::commands::json_output::write_json;
use clap::Args;
use codex_protocol::claude::{ClaudeTranscript, sidechain_files};
use codex_protocol::gemini::GeminiChat;
use codex_protocol::{
    Agent, BadLine, RolloutFileName, RolloutFormat, RolloutReader, ThreadId, sniff_agent,
};
use serde::Serialize;

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Session files: Codex rollouts (`.jsonl` or `.jsonl.zst`), Claude Code transcripts
    /// (`~/.claude/projects/<project>/<session>.jsonl`), Gemini CLI chats
    /// (`~/.gemini/tmp/<project>/chats/session-*.jsonl`).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Read every file as this agent's: codex, claude or gemini [default: told from each file's
    /// first lines].
    #[arg(long, value_name = "AGENT")]
    agent: Option<Agent>,
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
    /// The agent whose format the file was read in (`None` when its first lines did not say).
    agent: Option<Agent>,
    /// The id declared by the file's `session_meta` (or legacy header).
    thread_id: Option<ThreadId>,
    /// The id in the file name, when the name parses.
    file_name_thread_id: Option<ThreadId>,
    /// The rollout layout (Codex files only).
    format: Option<RolloutFormat>,
    /// Subagent transcripts read with a Claude Code session (`<session>/subagents/`).
    sidechain_files: u64,
    /// Headers after the first in a Gemini CLI chat: each a resumed session.
    resumptions: u64,
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
    let inspections: Vec<Inspection> = args
        .files
        .iter()
        .map(|path| inspect_file(path, args.agent))
        .collect();
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

fn inspect_file(path: &Path, agent: Option<Agent>) -> Inspection {
    let mut inspection = Inspection {
        path: path.to_path_buf(),
        agent,
        thread_id: None,
        file_name_thread_id: None,
        format: None,
        sidechain_files: 0,
        resumptions: 0,
        lines_read: 0,
        items: BTreeMap::new(),
        bad_line_count: 0,
        bad_lines: Vec::new(),
        error: None,
    };
    if inspection.agent.is_none() {
        match sniff_agent(path) {
            Ok(sniffed) => inspection.agent = sniffed,
            Err(error) => {
                inspection.error = Some(error.to_string());
                return inspection;
            }
        }
    }
    match inspection.agent {
        Some(Agent::Claude) => inspect_claude(path, &mut inspection),
        Some(Agent::Gemini) => inspect_gemini(path, &mut inspection),
        // Codex's reader also says why a file of no known shape cannot be read.
        _ => inspect_codex(path, &mut inspection),
    }
    inspection
}

fn inspect_codex(path: &Path, inspection: &mut Inspection) {
    inspection.file_name_thread_id = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse::<RolloutFileName>().ok())
        .map(|name| name.thread_id);
    let mut reader = match RolloutReader::open(path) {
        Ok(reader) => reader,
        Err(error) => {
            inspection.error = Some(error.to_string());
            return;
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
}

/// A Claude Code transcript and its subagents' sidechains, counted together.
fn inspect_claude(path: &Path, inspection: &mut Inspection) {
    inspection.file_name_thread_id = file_stem_thread_id(path);
    let sidechains = sidechain_files(path);
    inspection.sidechain_files = sidechains.len() as u64;
    for file in std::iter::once(path.to_path_buf()).chain(sidechains) {
        let transcript = match ClaudeTranscript::read(&file) {
            Ok(transcript) => transcript,
            Err(error) => {
                inspection.error = Some(error.to_string());
                return;
            }
        };
        if inspection.thread_id.is_none() {
            inspection.thread_id = transcript
                .lines
                .iter()
                .find_map(|(_, line)| line.session_id.as_deref()?.parse().ok());
        }
        for (_, line) in &transcript.lines {
            *inspection.items.entry(line.kind_label()).or_default() += 1;
        }
        inspection.lines_read += transcript.lines_read;
        inspection.bad_line_count += transcript.bad_line_count;
        inspection
            .bad_lines
            .extend(transcript.bad_lines.iter().map(BadLineReport::from));
    }
}

/// A Gemini CLI chat: its header, patches and messages.
fn inspect_gemini(path: &Path, inspection: &mut Inspection) {
    let chat = match GeminiChat::read(path) {
        Ok(chat) => chat,
        Err(error) => {
            inspection.error = Some(error.to_string());
            return;
        }
    };
    inspection.thread_id = chat.session_id().and_then(|id| id.parse().ok());
    inspection.resumptions = chat.resumptions;
    inspection.items = chat.kinds;
    inspection.lines_read = chat.lines_read;
    inspection.bad_line_count = chat.bad_line_count;
    inspection.bad_lines = chat.bad_lines.iter().map(BadLineReport::from).collect();
}

/// The id a file named `<uuid>.jsonl` carries.
fn file_stem_thread_id(path: &Path) -> Option<ThreadId> {
    path.file_stem()?.to_str()?.parse().ok()
}

fn write_text(out: &mut impl Write, inspection: &Inspection) -> std::io::Result<()> {
    writeln!(out, "{}", inspection.path.display())?;
    let agent = inspection.agent.map_or(
        "unknown (no line of a known shape; read as a Codex rollout)",
        Agent::as_str,
    );
    writeln!(out, "  agent:   {agent}")?;
    let thread = match (inspection.thread_id, inspection.file_name_thread_id) {
        (Some(declared), Some(named)) if declared != named => {
            format!("{declared} (the file name says {named})")
        }
        (Some(declared), _) => declared.to_string(),
        (None, Some(named)) => format!("{named} (from the file name; no line names it)"),
        (None, None) => "unknown (no line names it and the file name does not parse)".to_string(),
    };
    writeln!(out, "  thread:  {thread}")?;
    match inspection.agent {
        Some(Agent::Claude) => writeln!(
            out,
            "  format:  claude code transcript, {} subagent sidechain file(s)",
            inspection.sidechain_files
        )?,
        Some(Agent::Gemini) => writeln!(
            out,
            "  format:  gemini cli chat, {} resumption(s)",
            inspection.resumptions
        )?,
        _ => {
            let format = inspection.format.map_or("unknown", RolloutFormat::as_str);
            writeln!(out, "  format:  {format}")?;
        }
    }
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
