//! `search`: plain-text search over the files of the memory folder (or one file or folder in
//! it), line by line: a line matches when it contains any (or, with [`MatchMode::All`], every)
//! query — `All` is per line, not per file. Matches come in walk order (path, then line) with
//! optional context lines, one page at a time. Files too large or holding NUL bytes are skipped.

use std::borrow::Cow;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::memory_tools::walk::{EntryKind, Walk, resolve_existing};
use crate::memory_tools::{Cursor, MemoryToolError, bounded_line, page_size};

/// Matches per page when the caller does not say.
pub const DEFAULT_SEARCH_RESULTS: usize = 50;
/// Most matches per page a caller may ask for.
pub const MAX_SEARCH_RESULTS: usize = 500;
/// Most context lines on each side of a match.
pub const MAX_CONTEXT_LINES: usize = 10;
/// Most queries in one search.
pub const MAX_SEARCH_QUERIES: usize = 16;
/// Largest file searched, in bytes; larger files are skipped.
pub const MAX_SEARCH_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// The tool name carried in `search` cursors.
const SEARCH_CURSOR_TOOL: &str = "search";

/// How several queries combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMode {
    /// A line matches when it contains at least one query.
    #[default]
    Any,
    /// A line matches when it contains every query.
    All,
}

/// What to search for, and where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// The texts to look for (plain text, not patterns); at least one, none empty.
    pub queries: Vec<String>,
    /// How the queries combine on a line.
    pub match_mode: MatchMode,
    /// Match letter case exactly (default: ignore case).
    pub case_sensitive: bool,
    /// Lines shown before and after each match (at most [`MAX_CONTEXT_LINES`]).
    pub context_lines: usize,
    /// A file or folder to search in, relative to the root; the whole folder when `None`.
    pub path: Option<String>,
    /// A `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Matches per page (default [`DEFAULT_SEARCH_RESULTS`]).
    pub max_results: Option<usize>,
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchMatch {
    /// Path relative to the memory root.
    pub path: String,
    /// The line's number (1-based).
    pub line: usize,
    /// The line's text.
    pub text: String,
    /// Up to `context_lines` lines before it, in file order.
    pub before: Vec<String>,
    /// Up to `context_lines` lines after it, in file order.
    pub after: Vec<String>,
}

/// One page of matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    /// The matches, in path then line order.
    pub matches: Vec<SearchMatch>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Searches the memory `root` for `query`.
pub fn search(root: &Path, query: &SearchQuery) -> Result<SearchPage, MemoryToolError> {
    let matcher = Matcher::new(query)?;
    let offset = Cursor::decode(SEARCH_CURSOR_TOOL, query.cursor.as_deref())?;
    let limit = page_size(
        query.max_results,
        DEFAULT_SEARCH_RESULTS,
        MAX_SEARCH_RESULTS,
    )?;
    if query.context_lines > MAX_CONTEXT_LINES {
        return Err(MemoryToolError::InvalidArgument {
            argument: "context_lines",
            reason: format!("must be at most {MAX_CONTEXT_LINES}"),
        });
    }
    let (base, shown) = resolve_existing(root, query.path.as_deref())?;
    let mut seen = 0;
    let mut matches = Vec::new();
    for walked in Walk::new(&base, &shown)? {
        let walked = walked?;
        if walked.kind != EntryKind::File || walked.bytes > MAX_SEARCH_FILE_BYTES {
            continue;
        }
        let bytes = std::fs::read(&walked.absolute)
            .map_err(|error| MemoryToolError::io(walked.relative.as_str(), error))?;
        if memchr::memchr(0, &bytes).is_some() {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if !matcher.is_match(line) {
                continue;
            }
            seen += 1;
            if seen <= offset {
                continue;
            }
            if matches.len() == limit {
                let next = Cursor {
                    tool: SEARCH_CURSOR_TOOL,
                    offset: offset + limit,
                };
                return Ok(SearchPage {
                    matches,
                    next_cursor: Some(next.encode()),
                });
            }
            let context = query.context_lines;
            matches.push(SearchMatch {
                path: walked.relative.clone(),
                line: index + 1,
                text: bounded_line(line),
                before: lines[index.saturating_sub(context)..index]
                    .iter()
                    .map(|line| bounded_line(line))
                    .collect(),
                after: lines[index + 1..(index + 1 + context).min(lines.len())]
                    .iter()
                    .map(|line| bounded_line(line))
                    .collect(),
            });
        }
    }
    Ok(SearchPage {
        matches,
        next_cursor: None,
    })
}

/// The queries, folded to lower case unless the search is case sensitive.
struct Matcher {
    needles: Vec<String>,
    mode: MatchMode,
    case_sensitive: bool,
}

impl Matcher {
    fn new(query: &SearchQuery) -> Result<Self, MemoryToolError> {
        let invalid = |reason: String| MemoryToolError::InvalidArgument {
            argument: "queries",
            reason,
        };
        if query.queries.is_empty() {
            return Err(invalid(
                "give `query` or at least one of `queries`".to_string(),
            ));
        }
        if query.queries.len() > MAX_SEARCH_QUERIES {
            return Err(invalid(format!("at most {MAX_SEARCH_QUERIES} queries")));
        }
        if query.queries.iter().any(|q| q.is_empty()) {
            return Err(invalid("a query is empty".to_string()));
        }
        let needles = query
            .queries
            .iter()
            .map(|q| {
                if query.case_sensitive {
                    q.clone()
                } else {
                    q.to_lowercase()
                }
            })
            .collect();
        Ok(Self {
            needles,
            mode: query.match_mode,
            case_sensitive: query.case_sensitive,
        })
    }

    fn is_match(&self, line: &str) -> bool {
        let haystack = if self.case_sensitive {
            Cow::Borrowed(line)
        } else {
            Cow::Owned(line.to_lowercase())
        };
        match self.mode {
            MatchMode::Any => self.needles.iter().any(|n| haystack.contains(n.as_str())),
            MatchMode::All => self.needles.iter().all(|n| haystack.contains(n.as_str())),
        }
    }
}
