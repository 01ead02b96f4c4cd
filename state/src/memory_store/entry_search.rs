//! The memory folder's search index, read side: a free-text question turned into an FTS5 query
//! (every word a quoted term, OR-ed, so a user's text can never be FTS5 syntax), ranked by BM25
//! with titles weighing more than text, optionally limited to some scopes and kinds. Two
//! ranking rules sit on top of BM25. An entry's kind weighs its relevance ([`kind_weight`]): a
//! consolidated `MEMORY.md` entry is the distilled, reviewed knowledge; a raw memory or a rollout
//! summary is one session's record of it (the rollout summary even quotes what the user only
//! wondered about or took back), so when they say the same thing the consolidated entry comes
//! first. And the entries of one session (its raw memory, its rollout summary, a consolidated
//! entry citing only it) collapse into the best-ranked one, so one fact does not fill every slot.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::Row;

use super::MemoryStore;
use super::entry_index::EntryKind;
use crate::StateError;

/// How much more a word in an entry's title counts than one in its text (BM25 column weight).
pub const TITLE_WEIGHT: f64 = 2.0;
/// Most words of a question used in a query; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 32;
/// Words of a snippet around the best match.
const SNIPPET_TOKENS: i64 = 24;
/// Candidates read per hit asked for, so that hits collapsed into their session's best entry
/// can be replaced (a session has up to three entries: raw memory, rollout summary, one
/// consolidated entry citing it).
const CANDIDATES_PER_HIT: u32 = 4;
/// Words too common to tell entries apart; dropped from questions. The classic English function
/// words, the filler of a request ("anything else", "something"), and the pieces the tokenizer
/// cuts from contractions (`I'm` → `i`, `m`; `don't` → `don`, `t`).
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "anything",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "but",
    "by",
    "can",
    "could",
    "d",
    "did",
    "didn",
    "do",
    "does",
    "doesn",
    "don",
    "else",
    "everything",
    "for",
    "from",
    "had",
    "has",
    "have",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "isn",
    "it",
    "its",
    "just",
    "let",
    "lets",
    "ll",
    "m",
    "me",
    "my",
    "need",
    "nothing",
    "now",
    "of",
    "on",
    "or",
    "our",
    "please",
    "re",
    "s",
    "should",
    "so",
    "some",
    "something",
    "t",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "this",
    "to",
    "up",
    "us",
    "ve",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
];

/// How much an entry's kind multiplies its BM25 relevance. A consolidated entry, a note the user
/// or an agent left on purpose and a skill count fully; a summary (a digest of everything, also
/// injected into every session) a little less; a raw memory (one session's unreviewed
/// extraction) less, and a rollout summary (the session's record, which also quotes the
/// questions and withdrawn requests around a fact) least.
fn kind_weight(kind: EntryKind) -> f64 {
    match kind {
        EntryKind::Memory | EntryKind::Note | EntryKind::Skill => 1.0,
        EntryKind::Summary => 0.75,
        EntryKind::RawMemory => 0.6,
        EntryKind::RolloutSummary => 0.5,
    }
}

/// A ranked search of the index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntrySearch {
    /// The question, in plain words (not FTS5 syntax).
    pub text: String,
    /// Only entries of these scopes (`""` = global, else a project slug); every scope when
    /// `None`.
    pub scopes: Option<Vec<String>>,
    /// Only entries of these kinds; every kind when `None`.
    pub kinds: Option<Vec<EntryKind>>,
    /// Most hits returned.
    pub limit: u32,
}

/// One ranked hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryHit {
    /// The file, relative to the memory root.
    pub path: String,
    /// The entry's first line (1-based).
    pub line: i64,
    /// What it is.
    pub kind: EntryKind,
    /// `""` for global, else the project slug.
    pub scope: String,
    /// The project key, when known.
    pub project: Option<String>,
    /// The session it came from, when known.
    pub thread_id: Option<String>,
    /// Its heading.
    pub title: String,
    /// Its whole text.
    pub body: String,
    /// A few words around the best match.
    pub snippet: String,
    /// The BM25 score weighed by the entry's kind (lower is better; SQLite's sign).
    pub score: f64,
}

/// The FTS5 query for a plain-words `text`: its words (letters and digits, as the index's
/// tokenizer splits them) without stop words, each quoted, joined by `OR`; `None` when no word
/// is left.
pub fn fts_query(text: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.is_empty() || STOP_WORDS.contains(&word.as_str()) || terms.contains(&word) {
            continue;
        }
        terms.push(word);
        if terms.len() == MAX_QUERY_TERMS {
            break;
        }
    }
    if terms.is_empty() {
        return None;
    }
    // Words hold letters and digits only, so quoting needs no escaping.
    Some(
        terms
            .iter()
            .map(|term| format!("\"{term}\""))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

impl MemoryStore {
    /// The best `search.limit` entries for `search.text`, best first (BM25 weighed by kind, one
    /// entry per session); none when the text has no searchable word.
    pub async fn search_entries(&self, search: &EntrySearch) -> Result<Vec<EntryHit>, StateError> {
        const OPERATION: &str = "search the memory index";
        let Some(query) = fts_query(&search.text) else {
            return Ok(Vec::new());
        };
        let json = |values: Vec<&str>| serde_json::to_string(&values).unwrap_or_default();
        let scopes = search
            .scopes
            .as_ref()
            .map(|scopes| json(scopes.iter().map(String::as_str).collect()));
        let kinds = search
            .kinds
            .as_ref()
            .map(|kinds| json(kinds.iter().map(|kind| kind.as_str()).collect()));
        // Candidates beyond the limit stand in for hits collapsed into their session's best.
        let rows = sqlx::query(
            "SELECT e.path, e.line, e.kind, e.scope, e.thread_id, e.title, e.body, \
                    COALESCE(e.project, (SELECT p.project FROM memory_index_entries AS p \
                                         WHERE p.scope = e.scope AND e.scope <> '' \
                                           AND p.project IS NOT NULL LIMIT 1)) AS project, \
                    snippet(memory_index_fts, -1, '', '', '…', ?5) AS snippet, \
                    bm25(memory_index_fts, ?6, 1.0) * CASE e.kind \
                        WHEN 'memory' THEN ?7 WHEN 'summary' THEN ?8 \
                        WHEN 'raw_memory' THEN ?9 WHEN 'rollout_summary' THEN ?10 \
                        WHEN 'note' THEN ?11 WHEN 'skill' THEN ?12 ELSE 1.0 END AS score \
             FROM memory_index_fts \
             JOIN memory_index_entries AS e ON e.id = memory_index_fts.rowid \
             WHERE memory_index_fts MATCH ?1 \
               AND (?2 IS NULL OR e.scope IN (SELECT value FROM json_each(?2))) \
               AND (?3 IS NULL OR e.kind IN (SELECT value FROM json_each(?3))) \
             ORDER BY score, e.path, e.line \
             LIMIT ?4",
        )
        .bind(&query)
        .bind(scopes)
        .bind(kinds)
        .bind(i64::from(search.limit.saturating_mul(CANDIDATES_PER_HIT)))
        .bind(SNIPPET_TOKENS)
        .bind(TITLE_WEIGHT)
        .bind(kind_weight(EntryKind::Memory))
        .bind(kind_weight(EntryKind::Summary))
        .bind(kind_weight(EntryKind::RawMemory))
        .bind(kind_weight(EntryKind::RolloutSummary))
        .bind(kind_weight(EntryKind::Note))
        .bind(kind_weight(EntryKind::Skill))
        .fetch_all(&self.pool)
        .await
        .map_err(|source| self.query_error(OPERATION, source))?;
        let get =
            |error: sqlx::Error| self.bad_row("memory index hit".to_string(), error.to_string());
        let mut sessions: HashSet<String> = HashSet::new();
        let mut hits: Vec<EntryHit> = Vec::new();
        for row in &rows {
            let thread_id: Option<String> = row.try_get("thread_id").map_err(get)?;
            if let Some(thread_id) = &thread_id
                && !sessions.insert(thread_id.clone())
            {
                continue;
            }
            let kind_text: String = row.try_get("kind").map_err(get)?;
            let kind = EntryKind::parse(&kind_text).ok_or_else(|| {
                self.bad_row(
                    "memory_index_entries.kind".to_string(),
                    format!("unknown kind {kind_text:?}"),
                )
            })?;
            hits.push(EntryHit {
                path: row.try_get("path").map_err(get)?,
                line: row.try_get("line").map_err(get)?,
                kind,
                scope: row.try_get("scope").map_err(get)?,
                project: row.try_get("project").map_err(get)?,
                thread_id,
                title: row.try_get("title").map_err(get)?,
                body: row.try_get("body").map_err(get)?,
                snippet: row.try_get("snippet").map_err(get)?,
                score: row.try_get("score").map_err(get)?,
            });
            if hits.len() == search.limit as usize {
                break;
            }
        }
        Ok(hits)
    }
}
