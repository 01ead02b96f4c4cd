//! `search`: plain-text search over the files of the memory folder (or one file or folder in
//! it). A match is one line holding any query ([`MatchMode::Any`]) or every query
//! ([`MatchMode::All`]), or — Codex's windowed mode — the smallest run of at most `line_count`
//! consecutive lines that holds every query ([`MatchMode::AllWithinLines`]). Queries are plain
//! text, optionally compared with separators removed (`normalized`: `multi agent v2` finds
//! `MultiAgentV2`). Matches come in walk order with optional context lines, one page at a time;
//! files are redacted before they are searched, and files holding NUL bytes are skipped.

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

pub use crate::memory_folder::limits::MAX_READ_FILE_BYTES as MAX_SEARCH_FILE_BYTES;
use crate::memory_folder::limits::bounded_line;
use crate::memory_folder::{EntryKind, FolderError, FolderPath, MemoryFolder};
use crate::memory_tools::{Cursor, MemoryToolError, page_size};

/// Matches per page when the caller does not say.
pub const DEFAULT_SEARCH_RESULTS: usize = 50;
/// Most matches per page a caller may ask for.
pub const MAX_SEARCH_RESULTS: usize = 500;
/// Most context lines on each side of a match.
pub const MAX_CONTEXT_LINES: usize = 10;
/// Most queries in one search.
pub const MAX_SEARCH_QUERIES: usize = 16;
/// Widest window of [`MatchMode::AllWithinLines`], in lines.
pub const MAX_MATCH_WINDOW_LINES: usize = 200;
/// The tool name carried in `search` cursors.
const SEARCH_CURSOR_TOOL: &str = "search";

/// How several queries combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatchMode {
    /// A line matches when it contains at least one query.
    #[default]
    Any,
    /// A line matches when it contains every query (Codex: `all_on_same_line`).
    All,
    /// The smallest runs of at most `line_count` consecutive lines that together contain every
    /// query; a run that holds a smaller such run is not reported.
    AllWithinLines {
        /// The widest run, in lines (at least 1).
        line_count: usize,
    },
}

/// What to search for, and where. Another crate makes one with [`SearchQuery::new`] and the
/// `with_*` setters (more options may come).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchQuery {
    /// The texts to look for (plain text, not patterns); at least one, none empty.
    pub queries: Vec<String>,
    /// How the queries combine.
    pub match_mode: MatchMode,
    /// Match letter case exactly (default: ignore case).
    pub case_sensitive: bool,
    /// Compare with everything but letters and digits removed from queries and lines.
    pub normalized: bool,
    /// Lines shown before and after each match (at most [`MAX_CONTEXT_LINES`]).
    pub context_lines: usize,
    /// A file or folder to search in, relative to the root; the whole folder when `None`.
    pub path: Option<String>,
    /// A `next_cursor` from the previous page.
    pub cursor: Option<String>,
    /// Matches per page (default [`DEFAULT_SEARCH_RESULTS`]).
    pub max_results: Option<usize>,
}

impl SearchQuery {
    /// A search for any of `queries` (plain text, at least one, none empty) over the whole
    /// folder: case ignored, one line per match, the first page.
    pub fn new(queries: Vec<String>) -> Self {
        Self {
            queries,
            ..Self::default()
        }
    }

    /// Combining the queries as `match_mode` says.
    #[must_use]
    pub fn with_match_mode(mut self, match_mode: MatchMode) -> Self {
        self.match_mode = match_mode;
        self
    }

    /// Matching letter case exactly when `case_sensitive`.
    #[must_use]
    pub fn with_case_sensitive(mut self, case_sensitive: bool) -> Self {
        self.case_sensitive = case_sensitive;
        self
    }

    /// Comparing only letters and digits when `normalized`.
    #[must_use]
    pub fn with_normalized(mut self, normalized: bool) -> Self {
        self.normalized = normalized;
        self
    }

    /// Showing `context_lines` lines before and after each match (at most
    /// [`MAX_CONTEXT_LINES`]).
    #[must_use]
    pub fn with_context_lines(mut self, context_lines: usize) -> Self {
        self.context_lines = context_lines;
        self
    }

    /// Searching only `path` (a file or folder relative to the root); `None` is the whole folder.
    #[must_use]
    pub fn with_path(mut self, path: Option<String>) -> Self {
        self.path = path;
        self
    }

    /// Going on from `cursor`, a `next_cursor` of the previous page.
    #[must_use]
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// At most `max_results` matches per page; `None` is [`DEFAULT_SEARCH_RESULTS`].
    #[must_use]
    pub fn with_max_results(mut self, max_results: Option<usize>) -> Self {
        self.max_results = max_results;
        self
    }
}

/// One match: a line, or a run of lines in the windowed mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchMatch {
    /// Path relative to the memory root.
    pub path: String,
    /// The (first) matching line's number (1-based).
    pub line: usize,
    /// The last line of a windowed match; absent for a one-line match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    /// The matching line's text (a window's lines joined by `\n`).
    pub text: String,
    /// The queries found in it, in the order given.
    pub matched_queries: Vec<String>,
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
    let base = FolderPath::parse(query.path.as_deref().unwrap_or(""))?;
    let folder = MemoryFolder::open(root)?;
    let mut seen = 0;
    let mut matches = Vec::new();
    for walked in folder.walk(&base)? {
        let walked = walked?;
        if walked.kind != EntryKind::File || walked.bytes > MAX_SEARCH_FILE_BYTES {
            continue;
        }
        let text = match folder.read(&walked.path) {
            Ok(bytes) if memchr::memchr(0, &bytes).is_none() => {
                crate::redact::redact(&String::from_utf8_lossy(&bytes)).text
            }
            Ok(_) => continue,
            // Deleted, grown past the cap or turned into a link since it was listed.
            Err(FolderError::NotFound { .. } | FolderError::FileTooLarge { .. }) => continue,
            Err(FolderError::Symlink { .. }) => continue,
            Err(error) => return Err(error.into()),
        };
        let lines: Vec<&str> = text.lines().collect();
        for (first, last) in matcher.matches(&lines) {
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
            let window = &lines[first..=last];
            matches.push(SearchMatch {
                path: walked.path.to_string(),
                line: first + 1,
                end_line: (last > first).then_some(last + 1),
                text: window
                    .iter()
                    .map(|line| bounded_line(line))
                    .collect::<Vec<_>>()
                    .join("\n"),
                matched_queries: matcher.found_in(window),
                before: lines[first.saturating_sub(context)..first]
                    .iter()
                    .map(|line| bounded_line(line))
                    .collect(),
                after: lines[last + 1..(last + 1 + context).min(lines.len())]
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

/// The queries, prepared for comparison (folded to lower case unless case sensitive, stripped
/// to letters and digits when normalized).
struct Matcher {
    queries: Vec<String>,
    needles: Vec<String>,
    mode: MatchMode,
    case_sensitive: bool,
    normalized: bool,
}

impl Matcher {
    fn new(query: &SearchQuery) -> Result<Self, MemoryToolError> {
        let invalid =
            |argument, reason: String| MemoryToolError::InvalidArgument { argument, reason };
        if query.queries.is_empty() {
            return Err(invalid(
                "queries",
                "give `query` or at least one of `queries`".to_string(),
            ));
        }
        if query.queries.len() > MAX_SEARCH_QUERIES {
            return Err(invalid(
                "queries",
                format!("at most {MAX_SEARCH_QUERIES} queries"),
            ));
        }
        if let MatchMode::AllWithinLines { line_count } = query.match_mode
            && !(1..=MAX_MATCH_WINDOW_LINES).contains(&line_count)
        {
            return Err(invalid(
                "match_mode",
                format!(
                    "all_within_lines.line_count must be between 1 and {MAX_MATCH_WINDOW_LINES}"
                ),
            ));
        }
        let mut matcher = Self {
            queries: query.queries.clone(),
            needles: Vec::new(),
            mode: query.match_mode,
            case_sensitive: query.case_sensitive,
            normalized: query.normalized,
        };
        for text in &query.queries {
            let needle = matcher.prepare(text).into_owned();
            if needle.trim().is_empty() {
                let reason = if matcher.normalized && !text.trim().is_empty() {
                    format!("`{text}` has no letters or digits to search for")
                } else {
                    "a query is empty".to_string()
                };
                return Err(invalid("queries", reason));
            }
            matcher.needles.push(needle);
        }
        Ok(matcher)
    }

    /// `text` as it is compared.
    fn prepare<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let text = if self.normalized {
            Cow::Owned(text.chars().filter(|c| c.is_alphanumeric()).collect())
        } else {
            Cow::Borrowed(text)
        };
        if self.case_sensitive {
            text
        } else {
            Cow::Owned(text.to_lowercase())
        }
    }

    /// For each line, which needles it holds (a bit per needle; at most 16 queries).
    fn hits(&self, line: &str) -> u32 {
        let haystack = self.prepare(line);
        self.needles
            .iter()
            .enumerate()
            .filter(|(_, needle)| haystack.contains(needle.as_str()))
            .fold(0, |bits, (index, _)| bits | (1 << index))
    }

    /// The matches of `lines` as `(first, last)` line indexes, in order.
    fn matches(&self, lines: &[&str]) -> Vec<(usize, usize)> {
        let all = (1u32 << self.needles.len()) - 1;
        let hits: Vec<u32> = lines.iter().map(|line| self.hits(line)).collect();
        match self.mode {
            MatchMode::Any => (0..lines.len())
                .filter(|&index| hits[index] != 0)
                .map(|index| (index, index))
                .collect(),
            MatchMode::All => (0..lines.len())
                .filter(|&index| hits[index] == all)
                .map(|index| (index, index))
                .collect(),
            MatchMode::AllWithinLines { line_count } => windows(&hits, all, line_count),
        }
    }

    /// The queries (as given) found in `lines`.
    fn found_in(&self, lines: &[&str]) -> Vec<String> {
        let bits = lines.iter().fold(0, |bits, line| bits | self.hits(line));
        self.queries
            .iter()
            .enumerate()
            .filter(|(index, _)| bits & (1 << index) != 0)
            .map(|(_, query)| query.clone())
            .collect()
    }
}

/// The smallest windows of at most `line_count` lines whose `hits` together cover `all`. For
/// each first line the shortest covering window is found; since that window's end never moves
/// back as the first line moves on, a window holds a smaller one exactly when the next first
/// line's window ends on the same line — those are dropped.
fn windows(hits: &[u32], all: u32, line_count: usize) -> Vec<(usize, usize)> {
    let shortest = |first: usize| -> Option<usize> {
        let mut covered = 0;
        for (offset, bits) in hits[first..].iter().take(line_count).enumerate() {
            covered |= bits;
            if covered == all {
                return Some(first + offset);
            }
        }
        None
    };
    let ends: Vec<Option<usize>> = (0..hits.len()).map(shortest).collect();
    (0..hits.len())
        .filter_map(|first| {
            let last = ends[first]?;
            let holds_smaller = ends.get(first + 1).copied().flatten() == Some(last);
            (!holds_smaller).then_some((first, last))
        })
        .collect()
}
