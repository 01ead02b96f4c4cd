//! Reading a Claude Code session from disk: its transcript file line by line (bounded lines,
//! bad lines counted, never fatal) and the sidechain files of the subagents it started, found in
//! `<session>/subagents/agent-<id>.jsonl` beside it with the tool call that started each read
//! from `agent-<id>.meta.json`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::claude::items::claude_session_items;
use crate::claude::line::ClaudeLine;
use crate::{BadLine, JsonlReader, RolloutError, SessionItems};

/// Where a session's subagent transcripts live, under `<session id>/`.
pub const SUBAGENTS_DIR_NAME: &str = "subagents";
/// How a subagent transcript's file name starts (`agent-<id>.jsonl`).
const SUBAGENT_FILE_PREFIX: &str = "agent-";

/// One transcript file, read.
#[derive(Debug, Clone, Default)]
pub struct ClaudeTranscript {
    /// The file.
    pub path: PathBuf,
    /// Its readable lines with their numbers.
    pub lines: Vec<(u64, ClaudeLine)>,
    /// Lines read, good and bad.
    pub lines_read: u64,
    /// The lines that could not be read (the first 1 000).
    pub bad_lines: Vec<BadLine>,
    /// How many lines could not be read.
    pub bad_line_count: u64,
}

/// A subagent's transcript and the tool call of the parent session that started it.
#[derive(Debug, Clone, Default)]
pub struct Sidechain {
    /// The subagent's id (`agent-<id>.jsonl`).
    pub agent_id: String,
    /// The parent's `tool_use` id that started it, from the `.meta.json`, when known.
    pub tool_use_id: Option<String>,
    /// What it did.
    pub transcript: ClaudeTranscript,
}

/// The `.meta.json` beside a subagent transcript, as far as it is read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SidechainMeta {
    #[serde(default)]
    tool_use_id: Option<String>,
}

impl ClaudeTranscript {
    /// Reads every line of `path`.
    pub fn read(path: &Path) -> Result<Self, RolloutError> {
        let mut reader = JsonlReader::open(path)?;
        let mut lines = Vec::new();
        while let Some(line) = reader.next_text()? {
            let position = line.position();
            match ClaudeLine::parse(line.text) {
                Ok(parsed) => lines.push((position.number, parsed)),
                Err(error) => reader.record_invalid_json(position, error.0),
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            lines,
            lines_read: reader.lines_read(),
            bad_lines: reader.bad_lines().to_vec(),
            bad_line_count: reader.bad_line_count(),
        })
    }
}

/// The subagent transcripts of the session at `path`, by name.
pub fn sidechain_files(path: &Path) -> Vec<PathBuf> {
    let Some(stem) = path.file_stem() else {
        return Vec::new();
    };
    let dir = path.with_file_name(stem).join(SUBAGENTS_DIR_NAME);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().map(|name| name.to_string_lossy());
            name.is_some_and(|name| {
                name.starts_with(SUBAGENT_FILE_PREFIX) && name.ends_with(".jsonl")
            })
        })
        .collect();
    files.sort();
    files
}

/// Reads one subagent transcript and its `.meta.json`.
fn read_sidechain(path: &Path) -> Result<Sidechain, RolloutError> {
    let transcript = ClaudeTranscript::read(path)?;
    let agent_id = path
        .file_stem()
        .map(|stem| stem.to_string_lossy())
        .and_then(|stem| stem.strip_prefix(SUBAGENT_FILE_PREFIX).map(str::to_string))
        .unwrap_or_default();
    let tool_use_id = std::fs::read(path.with_extension("meta.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<SidechainMeta>(&bytes).ok())
        .and_then(|meta| meta.tool_use_id);
    Ok(Sidechain {
        agent_id,
        tool_use_id,
        transcript,
    })
}

/// Reads the session at `path` with its subagents' sidechains as one conversation. A sidechain
/// that cannot be read is left out (its lines are counted as bad), never the whole session.
pub fn read_claude_session(path: &Path) -> Result<SessionItems, RolloutError> {
    let main = ClaudeTranscript::read(path)?;
    let mut sidechains = Vec::new();
    let mut unreadable_sidechain_lines = 0;
    for file in sidechain_files(path) {
        match read_sidechain(&file) {
            Ok(sidechain) => sidechains.push(sidechain),
            Err(_) => unreadable_sidechain_lines += 1,
        }
    }
    let mut items = claude_session_items(&main, &sidechains);
    items.bad_line_count += unreadable_sidechain_lines;
    Ok(items)
}
