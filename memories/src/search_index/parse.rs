//! A file of the memory folder cut into search entries. Which cut depends on where the file is:
//! a `MEMORY.md` gives one entry per `### …` heading (and per `##` section with text of its own),
//! `raw_memories.md` one per `## Thread` block, a rollout summary, note, skill or summary file
//! one entry. Scopes come from the file's place (`projects/<slug>/…`) or, for a session's
//! artifacts, from their `project:` header line (`cwd:` for files written before scopes).

use codex_state::{EntryKind, IndexedEntry};

use crate::layout::{
    MEMORY_FILE, RAW_MEMORIES_FILE, ROLLOUT_SUMMARIES_DIR, SKILLS_DIR, SUMMARY_FILE,
};
use crate::scope::{
    PROJECT_MEMORY_FILE, PROJECT_SUMMARY_FILE, PROJECTS_DIR, ProjectKey, Scope, session_scope,
};

/// Header key of a session artifact naming its project (or `global`).
pub const PROJECT_HEADER: &str = "project:";
/// Header key naming a session's working directory.
const CWD_HEADER: &str = "cwd:";
/// Header key naming a session's thread in a rollout summary.
const THREAD_HEADER: &str = "thread_id:";
/// Header of one block of `raw_memories.md`, before the thread id.
const RAW_BLOCK_HEADING: &str = "## Thread `";
/// The folder of ad hoc notes of every extension: `extensions/<name>/notes/`.
const EXTENSIONS_DIR: &str = "extensions";

/// Where an indexable file sits in the folder, which decides how it is cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRole {
    /// A consolidated memory: `MEMORY.md` (scope `""`) or `projects/<slug>/MEMORY.md`.
    Memory {
        /// `""` or the project slug.
        scope: String,
    },
    /// An injected summary: `memory_summary.md` or `projects/<slug>/summary.md`.
    Summary {
        /// `""` or the project slug.
        scope: String,
    },
    /// `raw_memories.md`.
    RawMemories,
    /// `rollout_summaries/<stem>.md`.
    RolloutSummary,
    /// `extensions/<name>/notes/<file>.md`.
    Note,
    /// `skills/<name>/SKILL.md` or `projects/<slug>/skills/<name>/SKILL.md`.
    Skill {
        /// `""` or the project slug.
        scope: String,
    },
}

/// The role of the file at `path` (relative, `/`-separated), or `None` when it is not indexed.
pub fn file_role(path: &str) -> Option<FileRole> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        [MEMORY_FILE] => Some(FileRole::Memory {
            scope: String::new(),
        }),
        [SUMMARY_FILE] => Some(FileRole::Summary {
            scope: String::new(),
        }),
        [RAW_MEMORIES_FILE] => Some(FileRole::RawMemories),
        [ROLLOUT_SUMMARIES_DIR, name] if name.ends_with(".md") => Some(FileRole::RolloutSummary),
        [EXTENSIONS_DIR, _, "notes", name] if name.ends_with(".md") => Some(FileRole::Note),
        [SKILLS_DIR, _, "SKILL.md"] => Some(FileRole::Skill {
            scope: String::new(),
        }),
        [PROJECTS_DIR, slug, PROJECT_MEMORY_FILE] => Some(FileRole::Memory {
            scope: slug.to_string(),
        }),
        [PROJECTS_DIR, slug, PROJECT_SUMMARY_FILE] => Some(FileRole::Summary {
            scope: slug.to_string(),
        }),
        [PROJECTS_DIR, slug, SKILLS_DIR, _, "SKILL.md"] => Some(FileRole::Skill {
            scope: slug.to_string(),
        }),
        _ => None,
    }
}

/// The entries of the file at `path` with content `text`.
pub fn entries_of(path: &str, role: &FileRole, text: &str) -> Vec<IndexedEntry> {
    let mut entries = cut(path, role, text);
    if let Some(key) = folder_project_key(role, text) {
        for entry in &mut entries {
            entry.project = Some(key.clone());
        }
    }
    entries
}

/// The project key a project folder's file names in its first heading (`# github.com/acme/x`),
/// when that key's slug is the folder's: so the heading can name, never move, a project.
fn folder_project_key(role: &FileRole, text: &str) -> Option<String> {
    let (FileRole::Memory { scope } | FileRole::Summary { scope } | FileRole::Skill { scope }) =
        role
    else {
        return None;
    };
    if scope.is_empty() {
        return None;
    }
    let first = text.lines().find(|line| !line.trim().is_empty())?;
    let (level, heading) = heading(first)?;
    let key = ProjectKey::parse(heading)?;
    (level == 1 && key.slug() == *scope).then(|| key.as_str().to_string())
}

fn cut(path: &str, role: &FileRole, text: &str) -> Vec<IndexedEntry> {
    match role {
        FileRole::Memory { scope } => memory_entries(text, scope),
        FileRole::Summary { scope } => whole_file(text, EntryKind::Summary, scope, path),
        FileRole::RawMemories => raw_memory_entries(text),
        FileRole::RolloutSummary => rollout_summary_entry(path, text).into_iter().collect(),
        FileRole::Note => whole_file(text, EntryKind::Note, "", path),
        FileRole::Skill { scope } => whole_file(text, EntryKind::Skill, scope, path),
    }
}

/// A heading line's level and text (`### Title` → `(3, "Title")`).
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|b| *b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    rest.starts_with(' ')
        .then(|| (level, rest.trim()))
        .filter(|(_, text)| !text.is_empty())
}

/// One entry per `###` heading (text up to the next heading of level 1–3) and one per `#`/`##`
/// section with text before its first sub-heading; a file without headings is one entry.
fn memory_entries(text: &str, scope: &str) -> Vec<IndexedEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let mut entries = Vec::new();
    let mut current: Option<(usize, String)> = None; // (start index, title)
    let mut body: Vec<&str> = Vec::new();
    let mut flush = |current: &mut Option<(usize, String)>, body: &mut Vec<&str>| {
        if let Some((start, title)) = current.take() {
            let text = clean_body(body);
            if !text.is_empty() {
                entries.push(entry(start + 1, EntryKind::Memory, scope, title, text));
            }
        }
        body.clear();
    };
    let mut in_fence = false;
    for (index, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        match heading(line).filter(|(level, _)| *level <= 3 && !in_fence) {
            Some((_, title)) => {
                flush(&mut current, &mut body);
                current = Some((index, title.to_string()));
            }
            None => {
                if current.is_none() && !line.trim().is_empty() {
                    current = Some((index, String::new()));
                }
                body.push(line);
            }
        }
    }
    flush(&mut current, &mut body);
    entries
}

/// One entry per `## Thread` block, scoped by its `project:` (or `cwd:`) header line.
fn raw_memory_entries(text: &str) -> Vec<IndexedEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| line.starts_with(RAW_BLOCK_HEADING))
        .map(|(index, _)| index)
        .collect();
    let mut entries = Vec::new();
    for (position, start) in starts.iter().enumerate() {
        let end = starts.get(position + 1).copied().unwrap_or(lines.len());
        let thread_id = lines[*start]
            .trim_start_matches(RAW_BLOCK_HEADING)
            .trim_end()
            .trim_end_matches('`')
            .to_string();
        let (headers, body) = split_headers(&lines[start + 1..end]);
        let body = clean_body(body);
        if body.is_empty() {
            continue;
        }
        let scope = artifact_scope(&headers);
        let title = headers
            .iter()
            .find_map(|line| line.strip_prefix("rollout_summary_file:"))
            .map(|file| task_words(file.trim()))
            .unwrap_or_default();
        let mut entry = scoped_entry(*start + 1, EntryKind::RawMemory, &scope, title, body);
        entry.thread_id = (!thread_id.is_empty()).then_some(thread_id);
        entries.push(entry);
    }
    entries
}

/// The one entry of a rollout summary file: its text after the header lines.
fn rollout_summary_entry(path: &str, text: &str) -> Option<IndexedEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let (headers, body) = split_headers(&lines);
    let first_body_line = lines.len() - body.len() + 1;
    let body = clean_body(body);
    if body.is_empty() {
        return None;
    }
    let scope = artifact_scope(&headers);
    let mut entry = scoped_entry(
        first_body_line,
        EntryKind::RolloutSummary,
        &scope,
        task_words(path),
        body,
    );
    entry.thread_id = header_thread_id(&headers);
    Some(entry)
}

/// The `thread_id:` header of a rollout summary's text.
pub fn summary_thread_id(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    header_thread_id(&split_headers(&lines).0)
}

fn header_thread_id(headers: &[&str]) -> Option<String> {
    headers
        .iter()
        .find_map(|line| line.strip_prefix(THREAD_HEADER))
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
}

/// The whole file as one entry titled after its first heading (or its path).
fn whole_file(text: &str, kind: EntryKind, scope: &str, path: &str) -> Vec<IndexedEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let body = clean_body(&lines);
    if body.is_empty() {
        return Vec::new();
    }
    let title = lines
        .iter()
        .find_map(|line| heading(line).map(|(_, text)| text.to_string()))
        .unwrap_or_else(|| task_words(path));
    vec![entry(1, kind, scope, title, body)]
}

/// The leading `key: value` lines of an artifact (up to the first blank line) and the rest.
fn split_headers<'a, 'b>(lines: &'b [&'a str]) -> (Vec<&'a str>, &'b [&'a str]) {
    let mut headers = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].trim();
        if line.is_empty() {
            index += 1;
            if !headers.is_empty() {
                break;
            }
            continue;
        }
        let is_header = line.split_once(':').is_some_and(|(key, _)| {
            !key.is_empty() && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        });
        if !is_header {
            break;
        }
        headers.push(lines[index].trim());
        index += 1;
    }
    (headers, &lines[index..])
}

/// The scope an artifact's headers name: `project:` when present, else derived from `cwd:`.
fn artifact_scope(headers: &[&str]) -> Scope {
    if let Some(value) = headers
        .iter()
        .find_map(|line| line.strip_prefix(PROJECT_HEADER))
    {
        return Scope::from_header_value(value);
    }
    let cwd = headers
        .iter()
        .find_map(|line| line.strip_prefix(CWD_HEADER))
        .unwrap_or("");
    session_scope(cwd, None)
}

/// The words of a file's task slug: `rollout_summaries/2026-05-05T16-53-20-Ab12-fix_rounding.md`
/// → `fix rounding`; other paths give their file stem.
fn task_words(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.strip_suffix(".md").unwrap_or(name);
    // A summary stem is `<19-char timestamp>-<4 hash chars>[-<slug>]`.
    let slug = if stem.len() > 24 && stem.as_bytes().get(19) == Some(&b'-') {
        stem.get(25..).unwrap_or("")
    } else {
        stem
    };
    slug.replace(['_', '-'], " ").trim().to_string()
}

/// The lines joined, without HTML comments (our markers) and surrounding blank lines.
fn clean_body(lines: &[&str]) -> String {
    let kept: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|line| {
            let line = line.trim();
            !(line.starts_with("<!--") && line.ends_with("-->"))
        })
        .collect();
    kept.join("\n").trim().to_string()
}

fn entry(line: usize, kind: EntryKind, scope: &str, title: String, body: String) -> IndexedEntry {
    IndexedEntry {
        line: i64::try_from(line).unwrap_or(i64::MAX),
        kind,
        scope: scope.to_string(),
        project: None,
        thread_id: None,
        title,
        body,
    }
}

fn scoped_entry(
    line: usize,
    kind: EntryKind,
    scope: &Scope,
    title: String,
    body: String,
) -> IndexedEntry {
    let mut entry = entry(line, kind, "", title, body);
    if let Some(project) = scope.project() {
        entry.scope = project.slug();
        entry.project = Some(project.as_str().to_string());
    }
    entry
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
