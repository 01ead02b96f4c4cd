//! The consolidation agent's file tools — `list_dir`, `read_file` (line ranges), `write_file`,
//! `edit_file` (exact search/replace, found exactly once), `delete_file`, `search` — over the
//! confined file service of the folder the agent consolidates (phase 2's staging copy). The agent
//! may only do what consolidation needs: the inputs (`raw_memories.md`, `rollout_summaries/`,
//! every `extensions/*/notes/`, the diff file) are read-only, a written file holds at most
//! [`MAX_WRITTEN_FILE_BYTES`], and one run changes at most [`MAX_WRITTEN_FILES_PER_RUN`] files.
//! Everything the agent reads or writes passes through redaction. A refused or failed call
//! returns `error: …` text saying why, so the agent can go on; it never fails the run.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::layout::{DIFF_FILE_NAME, RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR};
use crate::memory_folder::limits::{MAX_AGENT_RESULT_BYTES, MAX_WRITE_FILE_BYTES};
use crate::memory_folder::{EntryKind, FolderError, FolderPath, MemoryFolder};
use crate::memory_tools::{self, MAX_READ_LINES, SearchQuery};
use crate::phase1::cut::truncate_to_char_boundary;
use crate::phase2::extensions::{EXTENSIONS_DIR, NOTES_DIR};
use crate::provider::ToolSpec;
use crate::redact::redact;

/// Largest file the agent may write, in bytes (the file service's write cap).
pub const MAX_WRITTEN_FILE_BYTES: usize = MAX_WRITE_FILE_BYTES;
/// Most files one consolidation run may write, edit or delete (each file counts once).
pub const MAX_WRITTEN_FILES_PER_RUN: usize = 64;
/// Largest tool result returned to the model, in bytes.
pub const MAX_TOOL_RESULT_BYTES: usize = MAX_AGENT_RESULT_BYTES;
/// Most matches a search returns.
const MAX_SEARCH_MATCHES: usize = 100;
/// Longest line a search shows, in bytes.
const MAX_SEARCH_LINE_BYTES: usize = 300;

/// The parts of the folder the agent reads but never changes, as path prefixes (`*` matches
/// one folder name), compared without regard to letter case.
const READ_ONLY: &[(&[&str], &str)] = &[
    (
        &[RAW_MEMORIES_FILE],
        "it is written from the database before each consolidation",
    ),
    (
        &[ROLLOUT_SUMMARIES_DIR],
        "rollout summaries are the evidence, written from the database",
    ),
    (
        &[EXTENSIONS_DIR, "*", NOTES_DIR],
        "notes are the user's; fold what they say into MEMORY.md instead",
    ),
    (
        &[DIFF_FILE_NAME],
        "it is this run's input, removed when the run ends",
    ),
];

/// The tools' specifications, as offered to the model.
pub fn tool_specs() -> Vec<ToolSpec> {
    let spec = |name: &str, description: String, parameters: Value| ToolSpec {
        name: name.to_string(),
        description,
        parameters,
    };
    let limits = format!(
        "raw_memories.md, rollout_summaries/ and extensions/*/notes/ are read-only; a file holds at most {MAX_WRITTEN_FILE_BYTES} bytes; one run changes at most {MAX_WRITTEN_FILES_PER_RUN} files."
    );
    vec![
        spec(
            "list_dir",
            "List a folder of the memory folder (relative path; empty for the root).".to_string(),
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": false}),
        ),
        spec(
            "read_file",
            "Read a file, optionally lines start_line..=end_line (1-based). Lines come numbered."
                .to_string(),
            json!({"type": "object", "properties": {"path": {"type": "string"}, "start_line": {"type": ["integer", "null"]}, "end_line": {"type": ["integer", "null"]}}, "required": ["path", "start_line", "end_line"], "additionalProperties": false}),
        ),
        spec(
            "write_file",
            format!("Create or replace a file with the given content. {limits}"),
            json!({"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}, "required": ["path", "content"], "additionalProperties": false}),
        ),
        spec(
            "edit_file",
            format!(
                "Replace the exact text `search` (which must occur exactly once) with `replace`. {limits}"
            ),
            json!({"type": "object", "properties": {"path": {"type": "string"}, "search": {"type": "string"}, "replace": {"type": "string"}}, "required": ["path", "search", "replace"], "additionalProperties": false}),
        ),
        spec(
            "delete_file",
            format!("Delete a file. {limits}"),
            json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"], "additionalProperties": false}),
        ),
        spec(
            "search",
            "Case-insensitive text search over the files (optionally under a folder); returns path:line: text."
                .to_string(),
            json!({"type": "object", "properties": {"query": {"type": "string"}, "path": {"type": ["string", "null"]}}, "required": ["query", "path"], "additionalProperties": false}),
        ),
    ]
}

/// What one tool call did to the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutcome {
    /// The text returned to the model.
    pub output: String,
    /// The file written or deleted, relative to the root.
    pub changed: Option<String>,
}

/// The agent's tools over one folder, for one run (they count the files it changes).
#[derive(Debug)]
pub struct AgentTools {
    folder: MemoryFolder,
    changed: BTreeSet<FolderPath>,
}

impl AgentTools {
    /// The tools over the folder at `root`.
    pub fn open(root: &Path) -> Result<Self, FolderError> {
        Ok(Self {
            folder: MemoryFolder::open(root)?,
            changed: BTreeSet::new(),
        })
    }

    /// Runs the tool `name` with JSON `arguments`. Never panics and never fails the run:
    /// problems come back as `error: …` text for the model.
    pub fn run(&mut self, name: &str, arguments: &str) -> ToolOutcome {
        let result = match name {
            "list_dir" => parse(arguments).and_then(|a: PathArg| self.list_dir(&a.path)),
            "read_file" => parse(arguments).and_then(|a: ReadArgs| self.read_file(&a)),
            "write_file" => parse(arguments).and_then(|a: WriteArgs| self.write_file(&a)),
            "edit_file" => parse(arguments).and_then(|a: EditArgs| self.edit_file(&a)),
            "delete_file" => parse(arguments).and_then(|a: PathArg| self.delete_file(&a.path)),
            "search" => parse(arguments).and_then(|a: SearchArgs| self.search(&a)),
            other => Err(format!("unknown tool `{other}`")),
        };
        match result {
            Ok((output, changed)) => ToolOutcome {
                output: cap(output),
                changed,
            },
            Err(error) => ToolOutcome {
                output: format!("error: {error}"),
                changed: None,
            },
        }
    }

    fn list_dir(&self, path: &str) -> ToolResult {
        let dir = FolderPath::parse(path).map_err(text)?;
        let entries = self.folder.list_dir(&dir).map_err(text)?;
        if entries.is_empty() {
            return Ok(("(empty)".to_string(), None));
        }
        let lines: Vec<String> = entries
            .iter()
            .map(|entry| {
                let name = entry.path.components().last().cloned().unwrap_or_default();
                match entry.kind {
                    EntryKind::Dir => format!("{name}/"),
                    EntryKind::File => format!("{name} ({} bytes)", entry.bytes),
                }
            })
            .collect();
        Ok((lines.join("\n"), None))
    }

    fn read_file(&self, args: &ReadArgs) -> ToolResult {
        let start = args.start_line.unwrap_or(1).max(1);
        let wanted = args
            .end_line
            .map_or(MAX_READ_LINES, |end| end.saturating_sub(start) + 1)
            .clamp(1, MAX_READ_LINES);
        let page =
            match memory_tools::read(self.folder.root(), &args.path, Some(start), Some(wanted)) {
                Ok(page) => page,
                Err(memory_tools::MemoryToolError::LineOffsetPastEnd { .. }) => {
                    return Ok((
                        format!("(`{}` has no lines in that range)", args.path),
                        None,
                    ));
                }
                Err(error) => return Err(error.to_string()),
            };
        if page.lines.is_empty() {
            return Ok((format!("(`{}` is empty)", args.path), None));
        }
        let mut numbered: Vec<String> = page
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| format!("{}: {line}", page.start_line + index))
            .collect();
        if let Some(next) = page.next_line_offset
            && args.end_line.is_none_or(|end| next <= end)
        {
            numbered.push(format!(
                "[… {} lines in all; read from line {next} for more]",
                page.total_lines
            ));
        }
        Ok((numbered.join("\n"), None))
    }

    fn write_file(&mut self, args: &WriteArgs) -> ToolResult {
        let path = self.writable(&args.path)?;
        let content = redact(&args.content);
        self.folder
            .write(&path, content.text.as_bytes())
            .map_err(text)?;
        self.changed.insert(path.clone());
        Ok((
            format!(
                "wrote {} bytes to {path}{}",
                content.text.len(),
                redactions_note(content.findings.len())
            ),
            Some(path.to_string()),
        ))
    }

    fn edit_file(&mut self, args: &EditArgs) -> ToolResult {
        let path = self.writable(&args.path)?;
        if args.search.is_empty() {
            return Err("`search` must not be empty".to_string());
        }
        // The agent saw the redacted text, so its search text is matched against that.
        let current = self.folder.read_redacted(&path).map_err(text)?;
        let count = current.matches(&args.search).count();
        if count != 1 {
            return Err(format!(
                "the search text occurs {count} times in `{path}`; it must occur exactly once (add surrounding lines to make it unique)"
            ));
        }
        let updated = redact(&current.replacen(&args.search, &args.replace, 1));
        self.folder
            .write(&path, updated.text.as_bytes())
            .map_err(text)?;
        self.changed.insert(path.clone());
        Ok((
            format!("edited {path}{}", redactions_note(updated.findings.len())),
            Some(path.to_string()),
        ))
    }

    fn delete_file(&mut self, path_text: &str) -> ToolResult {
        let path = self.writable(path_text)?;
        self.folder.remove_file(&path).map_err(text)?;
        self.changed.insert(path.clone());
        Ok((format!("deleted {path}"), Some(path.to_string())))
    }

    fn search(&self, args: &SearchArgs) -> ToolResult {
        if args.query.trim().is_empty() {
            return Err("`query` must not be empty".to_string());
        }
        let query = SearchQuery {
            queries: vec![args.query.clone()],
            path: args.path.clone().filter(|path| !path.trim().is_empty()),
            max_results: Some(MAX_SEARCH_MATCHES),
            ..SearchQuery::default()
        };
        let page = memory_tools::search(self.folder.root(), &query).map_err(text)?;
        if page.matches.is_empty() {
            return Ok((format!("no matches for `{}`", args.query), None));
        }
        let mut lines: Vec<String> = page
            .matches
            .iter()
            .map(|found| {
                format!(
                    "{}:{}: {}",
                    found.path,
                    found.line,
                    truncate_to_char_boundary(&found.text, MAX_SEARCH_LINE_BYTES)
                )
            })
            .collect();
        if page.next_cursor.is_some() {
            lines.push(format!(
                "[… more than {MAX_SEARCH_MATCHES} matches; search a narrower path or text]"
            ));
        }
        Ok((lines.join("\n"), None))
    }

    /// Checks that the agent may change `path`: inside the folder, outside the read-only
    /// inputs, and within the run's file count.
    fn writable(&self, given: &str) -> Result<FolderPath, String> {
        let path = FolderPath::parse(given).map_err(text)?;
        if path.is_root() {
            return Err("name a file, not the memory folder itself".to_string());
        }
        if let Some((_, why)) = READ_ONLY
            .iter()
            .find(|(prefix, _)| path.starts_with_ignoring_case(prefix))
        {
            return Err(format!(
                "`{path}` is read-only for the consolidation: {why}. Write MEMORY.md, memory_summary.md or skills/ instead"
            ));
        }
        if !self.changed.contains(&path) && self.changed.len() >= MAX_WRITTEN_FILES_PER_RUN {
            return Err(format!(
                "this run has already changed {MAX_WRITTEN_FILES_PER_RUN} files, the most one consolidation may change; finish with the files already written"
            ));
        }
        Ok(path)
    }
}

type ToolResult = Result<(String, Option<String>), String>;

fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

fn redactions_note(count: usize) -> String {
    match count {
        0 => String::new(),
        1 => " (1 secret replaced by [REDACTED_SECRET])".to_string(),
        n => format!(" ({n} secrets replaced by [REDACTED_SECRET])"),
    }
}

#[derive(Deserialize)]
struct PathArg {
    #[serde(default)]
    path: String,
}

#[derive(Deserialize)]
struct ReadArgs {
    path: String,
    start_line: Option<usize>,
    end_line: Option<usize>,
}

#[derive(Deserialize)]
struct WriteArgs {
    path: String,
    content: String,
}

#[derive(Deserialize)]
struct EditArgs {
    path: String,
    search: String,
    replace: String,
}

#[derive(Deserialize)]
struct SearchArgs {
    query: String,
    path: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(arguments: &str) -> Result<T, String> {
    serde_json::from_str(arguments).map_err(|error| format!("bad arguments: {error}"))
}

fn cap(text: String) -> String {
    if text.len() <= MAX_TOOL_RESULT_BYTES {
        return text;
    }
    format!(
        "{}\n[… output cut at {MAX_TOOL_RESULT_BYTES} bytes; read a narrower range]",
        truncate_to_char_boundary(&text, MAX_TOOL_RESULT_BYTES)
    )
}

#[cfg(test)]
mod tests;
