//! The `threads` table: one row per indexed session, and the queries that read it. Rows are
//! written only by the indexer (`indexer/store.rs`); everything here is read-only. Times are
//! unix milliseconds; `updated_at` is the time of the session's last complete line, so copying or
//! touching a file does not change it.

use std::path::PathBuf;

use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::indexer::inode_column;
use crate::{StateError, StateRuntime, ThreadId};
use codex_protocol::Agent;

/// Whether a thread may feed memories (`memory_mode` column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MemoryMode {
    /// The default: the thread may be used.
    #[default]
    Enabled,
    /// The session opted out.
    Disabled,
    /// Marked as containing content that must not be remembered.
    Polluted,
}

impl MemoryMode {
    /// `enabled`, `disabled` or `polluted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Polluted => "polluted",
        }
    }

    /// Parses the stored or recorded name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            "polluted" => Some(Self::Polluted),
            _ => None,
        }
    }
}

/// One row of the thread index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadRow {
    /// The thread id.
    pub id: ThreadId,
    /// The rollout file this row was read from.
    pub rollout_path: PathBuf,
    /// When the session started (unix ms): its `session_meta` timestamp, else its file name's.
    pub created_at: i64,
    /// The session's last activity (unix ms): the timestamp of its file's last complete line
    /// (the file's mtime only when no line carries one). Its version for extraction.
    pub updated_at: i64,
    /// Which surface started it: `cli`, `vscode`, `exec`, `mcp`, `subagent`, … or `unknown`.
    pub source: String,
    /// The model provider id, when recorded.
    pub model_provider: Option<String>,
    /// The model of the last turn, when recorded.
    pub model: Option<String>,
    /// The working directory the session started in.
    pub cwd: String,
    /// The first line of the first user message (capped), `[Image]` for image-only.
    pub title: String,
    /// The first user message (the request after the IDE marker, trimmed, capped).
    pub first_user_message: String,
    /// The first user message with whitespace collapsed (capped).
    pub preview: String,
    /// Total tokens of the last token count.
    pub tokens_used: i64,
    /// Whether the file lives under `archived_sessions/`.
    pub archived: bool,
    /// HEAD commit when the session started.
    pub git_sha: Option<String>,
    /// Branch when the session started.
    pub git_branch: Option<String>,
    /// `origin` URL when the session started.
    pub git_origin_url: Option<String>,
    /// The agent version that wrote the file.
    pub cli_version: String,
    /// Whether the thread may feed memories.
    pub memory_mode: MemoryMode,
    /// The file's size when it was indexed, in bytes.
    pub file_size: u64,
    /// The file's mtime when it was indexed, in nanoseconds since the Unix epoch.
    pub file_mtime_ns: i64,
    /// The file's inode when it was indexed; 0 where the platform has none.
    pub file_inode: u64,
    /// The file's ctime when it was indexed, in nanoseconds since the Unix epoch; 0 where none.
    pub file_ctime_ns: i64,
    /// The agent that wrote the session.
    pub agent: Agent,
}

/// Every column, in the order [`thread_from_row`] reads them.
pub(crate) const THREAD_COLUMNS: &str = "id, rollout_path, created_at, updated_at, source, \
    model_provider, model, cwd, title, first_user_message, preview, tokens_used, archived, \
    git_sha, git_branch, git_origin_url, cli_version, memory_mode, file_size, file_mtime_ns, \
    file_inode, file_ctime_ns, agent";

/// `?` placeholders for every column of [`THREAD_COLUMNS`] (only `test_support` inserts a whole
/// row by hand).
#[cfg(any(test, feature = "test-support"))]
pub(crate) const THREAD_PLACEHOLDERS: &str =
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";

/// A statement being bound, as every query in this crate builds it.
pub(crate) type SqliteQuery<'q> =
    sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds the values of [`THREAD_COLUMNS`], in order, for `row` stored under `rollout_path`.
pub(crate) fn bind_thread_columns<'q>(
    query: SqliteQuery<'q>,
    row: &'q ThreadRow,
    rollout_path: &'q str,
) -> SqliteQuery<'q> {
    query
        .bind(row.id.to_string())
        .bind(rollout_path)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(&row.source)
        .bind(&row.model_provider)
        .bind(&row.model)
        .bind(&row.cwd)
        .bind(&row.title)
        .bind(&row.first_user_message)
        .bind(&row.preview)
        .bind(row.tokens_used)
        .bind(row.archived)
        .bind(&row.git_sha)
        .bind(&row.git_branch)
        .bind(&row.git_origin_url)
        .bind(&row.cli_version)
        .bind(row.memory_mode.as_str())
        .bind(i64::try_from(row.file_size).unwrap_or(i64::MAX))
        .bind(row.file_mtime_ns)
        .bind(inode_column(row.file_inode))
        .bind(row.file_ctime_ns)
        .bind(row.agent.as_str())
}

impl StateRuntime {
    /// Up to `limit` indexed threads, most recently updated first.
    pub async fn list_threads(&self, limit: u32) -> Result<Vec<ThreadRow>, StateError> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads ORDER BY updated_at DESC, id DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(|source| self.query_error("list threads", source))?;
        rows.iter().map(|row| self.thread_from_row(row)).collect()
    }

    /// Up to `limit` indexed threads written by `agent`, most recently updated first.
    pub async fn list_agent_threads(
        &self,
        agent: Agent,
        limit: u32,
    ) -> Result<Vec<ThreadRow>, StateError> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE agent = ? \
             ORDER BY updated_at DESC, id DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(agent.as_str())
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await
            .map_err(|source| self.query_error("list an agent's threads", source))?;
        rows.iter().map(|row| self.thread_from_row(row)).collect()
    }

    /// How many threads each agent's sessions gave, in [`Agent::ALL`] order; agents without a
    /// thread are left out, and so is a name this build does not know (a newer build's row).
    pub async fn count_threads_by_agent(&self) -> Result<Vec<(Agent, u64)>, StateError> {
        let counts: Vec<(String, i64)> =
            sqlx::query_as("SELECT agent, COUNT(*) FROM threads GROUP BY agent")
                .fetch_all(self.pool())
                .await
                .map_err(|source| self.query_error("count threads by agent", source))?;
        let mut counts: Vec<(Agent, u64)> = counts
            .into_iter()
            .filter_map(|(name, count)| {
                Some((name.parse().ok()?, u64::try_from(count).unwrap_or(0)))
            })
            .collect();
        counts.sort();
        Ok(counts)
    }

    /// The indexed thread with this id, if any.
    pub async fn get_thread(&self, id: ThreadId) -> Result<Option<ThreadRow>, StateError> {
        let sql = format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(|source| self.query_error("get thread", source))?;
        row.map(|row| self.thread_from_row(&row)).transpose()
    }

    /// How many threads are indexed.
    pub async fn count_threads(&self) -> Result<u64, StateError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM threads")
            .fetch_one(self.pool())
            .await
            .map_err(|source| self.query_error("count threads", source))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    pub(crate) fn query_error(&self, operation: &'static str, source: sqlx::Error) -> StateError {
        StateError::Query {
            operation,
            path: self.state_db_path(),
            source: crate::DatabaseError::driver(source),
        }
    }

    fn thread_from_row(&self, row: &SqliteRow) -> Result<ThreadRow, StateError> {
        thread_from_row(row).map_err(|(what, detail)| StateError::BadRow {
            path: self.state_db_path(),
            what,
            detail,
        })
    }
}

/// Reads a row selected with [`THREAD_COLUMNS`]; the error names the column (and thread).
fn thread_from_row(row: &SqliteRow) -> Result<ThreadRow, (String, String)> {
    let get_error = |error: sqlx::Error| ("threads row".to_string(), error.to_string());
    let id_text: String = row.try_get("id").map_err(get_error)?;
    let id = id_text
        .parse::<ThreadId>()
        .map_err(|error| (format!("threads.id {id_text:?}"), error.to_string()))?;
    let mode_text: String = row.try_get("memory_mode").map_err(get_error)?;
    let memory_mode = MemoryMode::parse(&mode_text).ok_or_else(|| {
        (
            format!("threads.memory_mode of {id}"),
            format!("unknown mode {mode_text:?}"),
        )
    })?;
    let agent_text: String = row.try_get("agent").map_err(get_error)?;
    let agent = agent_text
        .parse::<Agent>()
        .map_err(|error| (format!("threads.agent of {id}"), error.to_string()))?;
    let rollout_path: String = row.try_get("rollout_path").map_err(get_error)?;
    let file_size: i64 = row.try_get("file_size").map_err(get_error)?;
    let file_inode: i64 = row.try_get("file_inode").map_err(get_error)?;
    Ok(ThreadRow {
        id,
        rollout_path: PathBuf::from(rollout_path),
        created_at: row.try_get("created_at").map_err(get_error)?,
        updated_at: row.try_get("updated_at").map_err(get_error)?,
        source: row.try_get("source").map_err(get_error)?,
        model_provider: row.try_get("model_provider").map_err(get_error)?,
        model: row.try_get("model").map_err(get_error)?,
        cwd: row.try_get("cwd").map_err(get_error)?,
        title: row.try_get("title").map_err(get_error)?,
        first_user_message: row.try_get("first_user_message").map_err(get_error)?,
        preview: row.try_get("preview").map_err(get_error)?,
        tokens_used: row.try_get("tokens_used").map_err(get_error)?,
        archived: row.try_get("archived").map_err(get_error)?,
        git_sha: row.try_get("git_sha").map_err(get_error)?,
        git_branch: row.try_get("git_branch").map_err(get_error)?,
        git_origin_url: row.try_get("git_origin_url").map_err(get_error)?,
        cli_version: row.try_get("cli_version").map_err(get_error)?,
        memory_mode,
        file_size: u64::try_from(file_size).unwrap_or(0),
        file_mtime_ns: row.try_get("file_mtime_ns").map_err(get_error)?,
        file_inode: file_inode.cast_unsigned(),
        file_ctime_ns: row.try_get("file_ctime_ns").map_err(get_error)?,
        agent,
    })
}
