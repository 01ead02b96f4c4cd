//! Reading the logs DB: [`LogQuery`] (level, time range, thread, text, module/file, after-id,
//! order, limit) and the [`LogRow`]s it returns. Filters are bound parameters of one `SELECT`;
//! text matching is a case-sensitive substring (`instr`), so no pattern characters need escaping.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::logs::retention::query_error;
use crate::logs::{LogLevel, LogsError};

/// The condition of the partial index `logs_by_severe_level` (migration 0002), repeated in
/// queries for WARN and above so the planner can read the severe rows through it.
const SEVERE_LEVELS_TERM: &str = " AND level IN ('WARN', 'ERROR')";

/// Which rows come first. Time is the event's (`ts`, `ts_nanos`); rows of the same instant
/// keep their id order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogOrder {
    /// Latest first (with a limit: the newest rows).
    #[default]
    NewestFirst,
    /// Earliest first.
    OldestFirst,
    /// Lowest id first: the order batches were committed in, for paging through new rows with
    /// `after_id` (tailing). Within one batch ids follow retention scopes, not time (see
    /// `insert_batch`), so sort the rows of a page with [`sort_by_time`] before showing them.
    Committed,
}

/// Sorts `rows` into [`LogOrder::OldestFirst`] order.
pub fn sort_by_time(rows: &mut [LogRow]) {
    rows.sort_by_key(|row| (row.ts, row.ts_nanos, row.id));
}

/// Which rows to read. Every filter is optional; all given ones must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogQuery {
    /// Only this level and more severe ones.
    pub min_level: Option<LogLevel>,
    /// Only rows at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// Only rows before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only rows of this Codex thread.
    pub thread_id: Option<String>,
    /// Only rows whose body contains this text.
    pub text: Option<String>,
    /// Only rows whose module path or file contains this text.
    pub module_or_file: Option<String>,
    /// Only rows with a larger id (for tailing).
    pub after_id: Option<i64>,
    /// Only rows with this id or a smaller one: bounds a read to the rows committed by the time
    /// of [`LogStore::last_id`](crate::logs::LogStore::last_id), so a tail can go on from there.
    pub up_to_id: Option<i64>,
    /// Row order.
    pub order: LogOrder,
    /// At most this many rows.
    pub limit: Option<u32>,
}

impl LogQuery {
    /// Only this level and more severe ones.
    #[must_use]
    pub fn with_min_level(mut self, min_level: Option<LogLevel>) -> Self {
        self.min_level = min_level;
        self
    }

    /// Only rows at or after this instant.
    #[must_use]
    pub fn with_since(mut self, since: Option<DateTime<Utc>>) -> Self {
        self.since = since;
        self
    }

    /// Only rows before this instant.
    #[must_use]
    pub fn with_until(mut self, until: Option<DateTime<Utc>>) -> Self {
        self.until = until;
        self
    }

    /// Only rows of this Codex thread.
    #[must_use]
    pub fn with_thread_id(mut self, thread_id: Option<String>) -> Self {
        self.thread_id = thread_id;
        self
    }

    /// Only rows whose body contains this text.
    #[must_use]
    pub fn with_text(mut self, text: Option<String>) -> Self {
        self.text = text;
        self
    }

    /// Only rows whose module path or file contains this text.
    #[must_use]
    pub fn with_module_or_file(mut self, module_or_file: Option<String>) -> Self {
        self.module_or_file = module_or_file;
        self
    }

    /// Only rows with a larger id (for tailing).
    #[must_use]
    pub fn with_after_id(mut self, after_id: Option<i64>) -> Self {
        self.after_id = after_id;
        self
    }

    /// Only rows with this id or a smaller one: bounds a read to the rows committed by the time
    /// of [`LogStore::last_id`](crate::logs::LogStore::last_id), so a tail can go on from there.
    #[must_use]
    pub fn with_up_to_id(mut self, up_to_id: Option<i64>) -> Self {
        self.up_to_id = up_to_id;
        self
    }

    /// Row order.
    #[must_use]
    pub fn with_order(mut self, order: LogOrder) -> Self {
        self.order = order;
        self
    }

    /// At most this many rows.
    #[must_use]
    pub fn with_limit(mut self, limit: Option<u32>) -> Self {
        self.limit = limit;
        self
    }
}

/// One stored log row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LogRow {
    /// The row id; larger in every later batch (within a batch ids follow retention scopes).
    pub id: i64,
    /// Unix seconds.
    pub ts: i64,
    /// Nanoseconds within `ts`.
    pub ts_nanos: i64,
    /// `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE`.
    pub level: String,
    /// The event's target.
    pub target: String,
    /// The span chain then the event's message and fields.
    pub body: String,
    /// The Codex thread, if any.
    pub thread_id: Option<String>,
    /// The process that wrote it.
    pub process_uuid: String,
    /// The module the event came from.
    pub module_path: Option<String>,
    /// The source file.
    pub file: Option<String>,
    /// The source line.
    pub line: Option<i64>,
    /// What the row counts against the byte caps.
    pub estimated_bytes: i64,
}

impl LogRow {
    /// The row's instant.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.ts, u32::try_from(self.ts_nanos).unwrap_or(0))
    }
}

/// The columns of a [`LogRow`], as the query selects them.
const ROW_SELECT: &str = "SELECT id, ts, ts_nanos, level, target, body, thread_id, process_uuid, \
     module_path, file, line, estimated_bytes FROM logs WHERE 1 = 1";

/// The highest row id, `None` for an empty table.
pub(crate) async fn last_id(pool: &SqlitePool, path: &Path) -> Result<Option<i64>, LogsError> {
    let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM logs")
        .fetch_one(pool)
        .await
        .map_err(|source| query_error("find the last log id", path, source))?;
    Ok(last)
}

pub(crate) async fn run(
    pool: &SqlitePool,
    path: &Path,
    query: &LogQuery,
) -> Result<Vec<LogRow>, LogsError> {
    select(query, ROW_SELECT)
        .build_query_as::<LogRow>()
        .fetch_all(pool)
        .await
        .map_err(|source| query_error("query logs", path, source))
}

/// `head` (a `SELECT … FROM logs WHERE 1 = 1`) followed by the query's filters, order and limit.
fn select<'q>(query: &LogQuery, head: &str) -> QueryBuilder<'q, Sqlite> {
    let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new(head);
    if let Some(min_level) = query.min_level {
        if min_level >= LogLevel::Warn {
            // The partial index's own condition, word for word, so SQLite may use it.
            sql.push(SEVERE_LEVELS_TERM);
        }
        sql.push(" AND level IN (");
        let mut levels = sql.separated(", ");
        for level in min_level.and_above() {
            levels.push_bind(level.as_str());
        }
        sql.push(")");
    }
    if let Some(since) = query.since {
        // (ts, ts_nanos) >= (since): whole seconds first, then the nanoseconds within.
        sql.push(" AND (ts > ")
            .push_bind(since.timestamp())
            .push(" OR (ts = ")
            .push_bind(since.timestamp())
            .push(" AND ts_nanos >= ")
            .push_bind(i64::from(since.timestamp_subsec_nanos()))
            .push("))");
    }
    if let Some(until) = query.until {
        sql.push(" AND (ts < ")
            .push_bind(until.timestamp())
            .push(" OR (ts = ")
            .push_bind(until.timestamp())
            .push(" AND ts_nanos < ")
            .push_bind(i64::from(until.timestamp_subsec_nanos()))
            .push("))");
    }
    if let Some(thread_id) = &query.thread_id {
        sql.push(" AND thread_id = ").push_bind(thread_id.clone());
    }
    if let Some(text) = &query.text {
        sql.push(" AND instr(body, ")
            .push_bind(text.clone())
            .push(") > 0");
    }
    if let Some(needle) = &query.module_or_file {
        sql.push(" AND (instr(COALESCE(module_path, ''), ")
            .push_bind(needle.clone())
            .push(") > 0 OR instr(COALESCE(file, ''), ")
            .push_bind(needle.clone())
            .push(") > 0)");
    }
    if let Some(after_id) = query.after_id {
        sql.push(" AND id > ").push_bind(after_id);
    }
    if let Some(up_to_id) = query.up_to_id {
        sql.push(" AND id <= ").push_bind(up_to_id);
    }
    sql.push(match query.order {
        LogOrder::NewestFirst => " ORDER BY ts DESC, ts_nanos DESC, id DESC",
        LogOrder::OldestFirst => " ORDER BY ts, ts_nanos, id",
        LogOrder::Committed => " ORDER BY id",
    });
    if let Some(limit) = query.limit {
        sql.push(" LIMIT ").push_bind(i64::from(limit));
    }
    sql
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
