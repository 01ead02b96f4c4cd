//! The read path for one session: the developer instructions built for a session started in a
//! folder, with a first request when there is one. Within a token budget: the global
//! `memory_summary.md` (at most [`GLOBAL_SUMMARY_SHARE_PERCENT`] of it), the session's project
//! summary (`projects/<slug>/summary.md`, at most [`PROJECT_SUMMARY_SHARE_PERCENT`] plus what
//! the global summary left), then the best-ranked memory entries for the request from this
//! project and global scope, until the budget is spent. Another project's entries are never
//! asked for, so they can never be injected.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use codex_state::{EntryKind, MemoryStore};
use serde::Serialize;

use crate::layout::SUMMARY_FILE;
use crate::phase1::budget::BYTES_PER_TOKEN;
use crate::read_path::{
    CUT_NOTE, DEFAULT_SUMMARY_BUDGET_TOKENS, EntrySection, ProjectSection, ReadPathError,
    cut_with_note, render_instructions, strip_markers,
};
use crate::scope::{PROJECT_SUMMARY_FILE, ProjectKey, Scope, folder_scope};
use crate::search_index::{RankedHit, RankedQuery, SearchScope, ranked_search};

/// Tokens of memory a session gets by default.
pub const DEFAULT_CONTEXT_BUDGET_TOKENS: u64 = DEFAULT_SUMMARY_BUDGET_TOKENS;
/// Most of the budget the global summary may take, in percent.
pub const GLOBAL_SUMMARY_SHARE_PERCENT: u64 = 40;
/// Most of the budget the project summary may take, in percent (plus what the global summary
/// left unused).
pub const PROJECT_SUMMARY_SHARE_PERCENT: u64 = 30;
/// Ranked entries asked of the index; the budget decides how many are placed.
pub const CONTEXT_CANDIDATES: u32 = 30;
/// An entry that would be cut below this many bytes is left out instead.
const MIN_CUT_ENTRY_BYTES: usize = 200;
/// An entry whose telling lines were already placed at least this much (percent) is left out.
const REPEATED_ENTRY_PERCENT: usize = 60;
/// Lines shorter than this (bytes) do not count when comparing entries.
const MIN_TELLING_LINE_BYTES: usize = 12;
/// The kinds of entries placed by relevance (the summaries have their own places).
const RANKED_KINDS: [EntryKind; 5] = [
    EntryKind::Memory,
    EntryKind::Note,
    EntryKind::Skill,
    EntryKind::RolloutSummary,
    EntryKind::RawMemory,
];
const PROJECT_CUT_NOTE: &str = "[… project summary cut to fit its budget; see its summary.md]";
const ENTRY_CUT_NOTE: &str = "[… entry cut to fit the budget; read the file for the rest]";

/// What a session asks for. Start from [`ContextRequest::default`] (no folder, no request,
/// [`DEFAULT_CONTEXT_BUDGET_TOKENS`]) and say what you know with the `with_*` setters (more
/// settings may come).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextRequest {
    /// The folder the session runs in; `None` for a session without one (global memories only).
    pub cwd: Option<PathBuf>,
    /// The session's first request, when known; ranked entries are added only for one.
    pub query: Option<String>,
    /// Tokens of memory text at most (the fixed instructions around it come on top).
    pub budget_tokens: u64,
}

impl Default for ContextRequest {
    fn default() -> Self {
        Self {
            cwd: None,
            query: None,
            budget_tokens: DEFAULT_CONTEXT_BUDGET_TOKENS,
        }
    }
}

impl ContextRequest {
    /// For a session running in `cwd`.
    pub fn with_cwd(mut self, cwd: Option<PathBuf>) -> Self {
        self.cwd = cwd;
        self
    }

    /// For a session whose first request is `query`.
    pub fn with_query(mut self, query: Option<String>) -> Self {
        self.query = query;
        self
    }

    /// With at most `budget_tokens` tokens of memory text.
    pub fn with_budget_tokens(mut self, budget_tokens: u64) -> Self {
        self.budget_tokens = budget_tokens;
        self
    }
}

/// One entry placed in the instructions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextEntry {
    /// The file, relative to the memory root.
    pub path: String,
    /// Its first line.
    pub line: i64,
    /// What kind of memory it is.
    pub kind: EntryKind,
    /// The project key, or `global`.
    pub project: String,
    /// Whether it was cut to fit.
    pub cut: bool,
}

/// The instructions for one session and what went into them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionContext {
    /// The developer instructions; `None` when there is no memory to give.
    pub instructions: Option<String>,
    /// The session's project key (`None`: global).
    pub project: Option<String>,
    /// The project's folder relative to the memory root.
    pub project_folder: Option<String>,
    /// Whether the global summary was included.
    pub global_summary: bool,
    /// Whether the project's summary was included.
    pub project_summary: bool,
    /// The ranked entries placed, best first.
    pub entries: Vec<ContextEntry>,
    /// Estimated tokens of memory text placed (summaries and entries).
    pub memory_tokens: u64,
    /// The budget asked for.
    pub budget_tokens: u64,
}

/// Builds the instructions for a session described by `request`, from the memory folder
/// `memory_root` and its search index in `store` (brought in step first when there is a query).
pub async fn session_context(
    store: &MemoryStore,
    memory_root: &Path,
    request: &ContextRequest,
) -> Result<SessionContext, ReadPathError> {
    let scope = match request.cwd.clone() {
        // Finding the repository reads `.git` entries: off the async workers.
        Some(cwd) => tokio::task::spawn_blocking(move || folder_scope(&cwd))
            .await
            .unwrap_or(Scope::Global),
        None => Scope::Global,
    };
    let query = request.query.as_deref().map(str::trim).unwrap_or("");
    let hits = if query.is_empty() {
        None
    } else {
        let query = RankedQuery {
            text: query.to_string(),
            scope: SearchScope::of_session(&scope),
            kinds: Some(RANKED_KINDS.to_vec()),
            limit: CONTEXT_CANDIDATES,
        };
        Some(ranked_search(store, memory_root, &query).await?)
    };
    assemble(memory_root, &scope, request.budget_tokens, hits)
}

/// The instructions with the global summary alone (the whole budget is its), without opening
/// the search index: what a host gives a session when it knows neither folder nor request.
pub fn global_context(
    memory_root: &Path,
    budget_tokens: u64,
) -> Result<SessionContext, ReadPathError> {
    assemble(memory_root, &Scope::Global, budget_tokens, None)
}

/// Places the summaries, then `hits` (best first) while the budget lasts, and renders.
fn assemble(
    memory_root: &Path,
    scope: &Scope,
    budget_tokens: u64,
    hits: Option<Vec<RankedHit>>,
) -> Result<SessionContext, ReadPathError> {
    let budget_bytes = tokens_to_bytes(budget_tokens);
    let share = |percent: u64| budget_bytes / 100 * percent as usize;
    let project_summary = match scope.project() {
        Some(key) => Some((key, project_summary(memory_root, key)?)),
        None => None,
    };
    let project_wants = project_summary.as_ref().map_or(0, |(_, text)| {
        text.len().min(share(PROJECT_SUMMARY_SHARE_PERCENT))
    });
    // Entries compete for the budget only when there is a request to rank them by.
    let global_cap = if hits.is_some() {
        share(GLOBAL_SUMMARY_SHARE_PERCENT)
    } else {
        budget_bytes.saturating_sub(project_wants)
    };
    let global = read_summary(&memory_root.join(SUMMARY_FILE))?;
    let global = cut_with_note(global.trim_end(), global_cap, CUT_NOTE);
    let project = project_summary.map(|(key, text)| {
        let cap = if hits.is_some() {
            share(PROJECT_SUMMARY_SHARE_PERCENT) + global_cap.saturating_sub(global.len())
        } else {
            budget_bytes.saturating_sub(global.len())
        };
        ProjectSection {
            key: key.as_str().to_string(),
            folder: key.folder(),
            summary_file: format!("{}/{PROJECT_SUMMARY_FILE}", key.folder()),
            summary: cut_with_note(&text, cap, PROJECT_CUT_NOTE),
        }
    });
    let used = global.len() + project.as_ref().map_or(0, |p| p.summary.len());
    let mut remaining = budget_bytes.saturating_sub(used);
    let (sections, placed) = place_entries(hits.unwrap_or_default(), &mut remaining);
    let has_project_summary = project.as_ref().is_some_and(|p| !p.summary.is_empty());
    let instructions = if global.trim().is_empty() && !has_project_summary && sections.is_empty() {
        None
    } else {
        Some(render_instructions(
            memory_root,
            &global,
            project.as_ref(),
            &sections,
        )?)
    };
    let memory_bytes = budget_bytes.saturating_sub(remaining);
    Ok(SessionContext {
        instructions,
        project: scope.project().map(|key| key.as_str().to_string()),
        project_folder: scope.project().map(ProjectKey::folder),
        global_summary: !global.trim().is_empty(),
        project_summary: has_project_summary,
        entries: placed,
        memory_tokens: (memory_bytes as u64).div_ceil(BYTES_PER_TOKEN),
        budget_tokens,
    })
}

/// Places `hits` in rank order while `remaining` bytes last (the entry that no longer fits is
/// cut, when enough of it fits, and ends the list); one entry per thread.
fn place_entries(
    hits: Vec<RankedHit>,
    remaining: &mut usize,
) -> (Vec<EntrySection>, Vec<ContextEntry>) {
    let mut sections = Vec::new();
    let mut placed = Vec::new();
    let mut threads = Vec::new();
    let mut placed_lines: HashSet<String> = HashSet::new();
    for hit in hits {
        if let Some(thread) = &hit.thread_id {
            // A thread's raw memory and its summary tell one story: place the better one.
            if threads.contains(thread) {
                continue;
            }
            threads.push(thread.clone());
        }
        let location = format!("{}:{}", hit.path, hit.line);
        let text = strip_markers(&hit.text).trim().to_string();
        // A consolidated entry often repeats a raw memory line for line: place it once.
        let lines = telling_lines(&text);
        let known = lines
            .iter()
            .filter(|line| placed_lines.contains(*line))
            .count();
        if !lines.is_empty() && known * 100 >= lines.len() * REPEATED_ENTRY_PERCENT {
            continue;
        }
        placed_lines.extend(lines);
        let overhead = location.len() + hit.project.len() + hit.title.len() + 8;
        let (text, cut) = if overhead + text.len() <= *remaining {
            (text, false)
        } else if *remaining >= overhead + MIN_CUT_ENTRY_BYTES {
            let room = *remaining - overhead - ENTRY_CUT_NOTE.len() - 1;
            (cut_with_note(&text, room, ENTRY_CUT_NOTE), true)
        } else {
            break;
        };
        *remaining = remaining.saturating_sub(overhead + text.len());
        placed.push(ContextEntry {
            path: hit.path.clone(),
            line: hit.line,
            kind: hit.kind,
            project: hit.project.clone(),
            cut,
        });
        sections.push(EntrySection {
            location,
            project: hit.project,
            title: hit.title,
            text,
        });
        if cut {
            break;
        }
    }
    (sections, placed)
}

/// The lines of `text` long enough to tell entries apart, trimmed.
fn telling_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| line.len() >= MIN_TELLING_LINE_BYTES)
        .map(str::to_string)
        .collect()
}

fn tokens_to_bytes(tokens: u64) -> usize {
    usize::try_from(tokens.saturating_mul(BYTES_PER_TOKEN)).unwrap_or(usize::MAX)
}

/// A summary file's text with our markers stripped; empty when missing or blank.
fn read_summary(path: &Path) -> Result<String, ReadPathError> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => Ok(strip_markers(&text)),
        Ok(_) => Ok(String::new()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(ReadPathError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The project's summary, markers stripped. A summary whose `# <key>` heading names another
/// project (a slug collision) is not used.
fn project_summary(memory_root: &Path, key: &ProjectKey) -> Result<String, ReadPathError> {
    let summary_file = format!("{}/{PROJECT_SUMMARY_FILE}", key.folder());
    let summary = read_summary(&memory_root.join(&summary_file))?;
    let names_another = summary
        .lines()
        .find(|line| !line.trim().is_empty())
        .and_then(|line| line.strip_prefix("# "))
        .is_some_and(|named| named.trim() != key.as_str());
    if names_another {
        tracing::warn!(file = %summary_file, project = %key, "a project summary names another project; not injected");
        return Ok(String::new());
    }
    Ok(summary.trim_end().to_string())
}

#[cfg(test)]
#[path = "session_context_tests.rs"]
mod tests;
