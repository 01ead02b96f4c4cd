//! Retention, run inside the insert transaction: rows older than the age limit go, each thread
//! (and each process, for its thread-less rows) keeps only its newest rows within a byte cap and
//! a row cap, and the whole file — every process's rows together — keeps only its newest rows
//! within one byte cap. Only the scopes a batch touched are checked, against running totals in
//! `log_usage` (the file's is its `file` row); a scope is trimmed only when it is over a cap, down
//! to the cap less a slack, and the trim reads only the rows it deletes (oldest first), so
//! retention costs about one index walk and one delete per row that goes, whatever the size of
//! the scope.

use std::collections::BTreeMap;
use std::path::Path;

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::logs::{
    DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_BYTES_PER_SCOPE, DEFAULT_MAX_ROWS_PER_PROCESS,
    DEFAULT_MAX_ROWS_PER_THREAD, DEFAULT_MAX_TOTAL_BYTES, DEFAULT_TRIM_SLACK_PERCENT, LogEntry,
    LogsError,
};

const SECONDS_PER_DAY: i64 = 86_400;
/// Scopes per running-totals upsert (4 parameters each, well under SQLite's 32 766).
const USAGE_UPSERT_CHUNK_SCOPES: usize = 1_024;
/// Rows a trim reads per page while walking a scope oldest first for its byte cap.
const TRIM_PAGE_ROWS: i64 = 256;

/// The retention limits. Caps count `estimated_bytes` and rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogRetention {
    /// Rows older than this many days are deleted.
    pub max_age_days: i64,
    /// Byte cap per thread.
    pub max_bytes_per_thread: i64,
    /// Row cap per thread.
    pub max_rows_per_thread: i64,
    /// Byte cap per process, for its thread-less rows.
    pub max_bytes_per_process: i64,
    /// Row cap per process, for its thread-less rows.
    pub max_rows_per_process: i64,
    /// Byte cap of the whole file: every process's rows, with and without a thread, together.
    pub max_total_bytes: i64,
    /// How far below a cap (in percent of it) an over-cap scope is trimmed; 0 trims to the cap.
    pub trim_slack_percent: i64,
}

impl LogRetention {
    /// Rows older than this many days are deleted.
    #[must_use]
    pub fn with_max_age_days(mut self, max_age_days: i64) -> Self {
        self.max_age_days = max_age_days;
        self
    }

    /// Byte cap per thread.
    #[must_use]
    pub fn with_max_bytes_per_thread(mut self, max_bytes_per_thread: i64) -> Self {
        self.max_bytes_per_thread = max_bytes_per_thread;
        self
    }

    /// Row cap per thread.
    #[must_use]
    pub fn with_max_rows_per_thread(mut self, max_rows_per_thread: i64) -> Self {
        self.max_rows_per_thread = max_rows_per_thread;
        self
    }

    /// Byte cap per process, for its thread-less rows.
    #[must_use]
    pub fn with_max_bytes_per_process(mut self, max_bytes_per_process: i64) -> Self {
        self.max_bytes_per_process = max_bytes_per_process;
        self
    }

    /// Row cap per process, for its thread-less rows.
    #[must_use]
    pub fn with_max_rows_per_process(mut self, max_rows_per_process: i64) -> Self {
        self.max_rows_per_process = max_rows_per_process;
        self
    }

    /// Byte cap of the whole file: every process's rows, with and without a thread, together.
    #[must_use]
    pub fn with_max_total_bytes(mut self, max_total_bytes: i64) -> Self {
        self.max_total_bytes = max_total_bytes;
        self
    }

    /// How far below a cap (in percent of it) an over-cap scope is trimmed; 0 trims to the cap.
    #[must_use]
    pub fn with_trim_slack_percent(mut self, trim_slack_percent: i64) -> Self {
        self.trim_slack_percent = trim_slack_percent;
        self
    }
}

impl Default for LogRetention {
    fn default() -> Self {
        Self {
            max_age_days: DEFAULT_MAX_AGE_DAYS,
            max_bytes_per_thread: DEFAULT_MAX_BYTES_PER_SCOPE,
            max_rows_per_thread: DEFAULT_MAX_ROWS_PER_THREAD,
            max_bytes_per_process: DEFAULT_MAX_BYTES_PER_SCOPE,
            max_rows_per_process: DEFAULT_MAX_ROWS_PER_PROCESS,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            trim_slack_percent: DEFAULT_TRIM_SLACK_PERCENT,
        }
    }
}

/// A retention scope: a thread, or a process's thread-less rows — or the whole file, which
/// every row also counts against.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Scope<'a> {
    Thread(&'a str),
    Process(&'a str),
    File,
}

impl<'a> Scope<'a> {
    pub(crate) fn of(entry: &'a LogEntry) -> Self {
        match &entry.thread_id {
            Some(thread_id) => Scope::Thread(thread_id),
            None => Scope::Process(&entry.process_uuid),
        }
    }

    fn parts(&self) -> (&'static str, &'a str) {
        match self {
            Scope::Thread(key) => ("thread", key),
            Scope::Process(key) => ("process", key),
            Scope::File => ("file", ""),
        }
    }
}

/// Rows and bytes added to each scope by one batch.
pub(crate) type ScopeTotals<'a> = BTreeMap<Scope<'a>, (i64, i64)>;

/// Deletes rows past the age limit, then adds `added` to the running totals and trims every
/// touched scope that is now over a cap, then the oldest rows of the file while it is over its
/// cap. Runs on the insert transaction's connection.
pub(crate) async fn enforce(
    conn: &mut SqliteConnection,
    path: &Path,
    added: &ScopeTotals<'_>,
    retention: &LogRetention,
    now_unix_seconds: i64,
) -> Result<(), LogsError> {
    let (expired_rows, expired_bytes) =
        delete_expired(conn, path, retention, now_unix_seconds).await?;
    // The whole file's change rides in the same upsert as the touched scopes: the batch comes in,
    // what expired goes.
    let (added_rows, added_bytes) = added
        .values()
        .fold((0, 0), |(rows, bytes), (r, b)| (rows + r, bytes + b));
    let file_change = (added_rows - expired_rows, added_bytes - expired_bytes);
    // Running totals: one upsert for all the touched scopes instead of a scan (or a statement)
    // per scope; RETURNING gives each scope's new totals.
    let touched: Vec<(&Scope<'_>, (i64, i64))> = added
        .iter()
        .map(|(scope, totals)| (scope, *totals))
        .chain(std::iter::once((&Scope::File, file_change)))
        .collect();
    let mut totals: Vec<(String, String, i64, i64)> = Vec::with_capacity(touched.len());
    for chunk in touched.chunks(USAGE_UPSERT_CHUNK_SCOPES) {
        let returned = usage_upsert(
            chunk.iter().copied(),
            " ON CONFLICT (scope, key) DO UPDATE SET rows = rows + excluded.rows, \
             bytes = bytes + excluded.bytes RETURNING scope, key, rows, bytes",
        )
        .build_query_as::<(String, String, i64, i64)>()
        .fetch_all(&mut *conn)
        .await
        .map_err(|source| query_error("update log usage", path, source))?;
        totals.extend(returned);
    }
    let mut file_totals = (0, 0);
    let mut trimmed = Vec::new();
    for (kind, key, total_rows, total_bytes) in &totals {
        let scope = match kind.as_str() {
            "thread" => Scope::Thread(key),
            "process" => Scope::Process(key),
            _ => {
                file_totals = (*total_rows, *total_bytes);
                continue;
            }
        };
        let (max_rows, max_bytes) = caps(&scope, retention);
        if *total_rows > max_rows || *total_bytes > max_bytes {
            let kept = trim(conn, path, &scope, retention, (*total_rows, *total_bytes)).await?;
            file_totals.0 -= total_rows - kept.0;
            file_totals.1 -= total_bytes - kept.1;
            trimmed.push((scope, kept));
        }
    }
    if !trimmed.is_empty() {
        trimmed.push((Scope::File, (file_totals.0.max(0), file_totals.1.max(0))));
    }
    set_totals(conn, path, &trimmed).await?;
    if file_totals.1 > retention.max_total_bytes {
        trim_file(conn, path, retention, file_totals).await?;
    }
    Ok(())
}

/// Deletes the file's oldest rows, whatever their scope, until its bytes are under the cap less
/// the slack, taking them off their scopes' totals and the file's.
async fn trim_file(
    conn: &mut SqliteConnection,
    path: &Path,
    retention: &LogRetention,
    (total_rows, total_bytes): (i64, i64),
) -> Result<(), LogsError> {
    let keep_percent = 100 - retention.trim_slack_percent.clamp(0, 99);
    let excess =
        total_bytes.saturating_sub(retention.max_total_bytes.saturating_mul(keep_percent) / 100);
    let mut boundary = None;
    let mut gone_bytes = 0;
    'walk: loop {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT id, estimated_bytes FROM logs WHERE id > ?1 ORDER BY id LIMIT ?2",
        )
        .bind(boundary.unwrap_or(i64::MIN))
        .bind(TRIM_PAGE_ROWS)
        .fetch_all(&mut *conn)
        .await
        .map_err(|source| query_error("find log retention boundary", path, source))?;
        let last_page = i64::try_from(rows.len()).unwrap_or(i64::MAX) < TRIM_PAGE_ROWS;
        for (id, bytes) in rows {
            if gone_bytes >= excess {
                break 'walk;
            }
            gone_bytes += bytes;
            boundary = Some(id);
        }
        if last_page {
            break;
        }
    }
    let Some(boundary) = boundary else {
        return Ok(());
    };
    let (rows, bytes) = delete_rows_by_scope(conn, path, "id <= ?1", boundary).await?;
    set_totals(
        conn,
        path,
        &[(
            Scope::File,
            ((total_rows - rows).max(0), (total_bytes - bytes).max(0)),
        )],
    )
    .await
}

/// Writes the trimmed scopes' new totals, all in one statement per chunk.
async fn set_totals(
    conn: &mut SqliteConnection,
    path: &Path,
    trimmed: &[(Scope<'_>, (i64, i64))],
) -> Result<(), LogsError> {
    for chunk in trimmed.chunks(USAGE_UPSERT_CHUNK_SCOPES) {
        usage_upsert(
            chunk.iter().map(|(scope, totals)| (scope, *totals)),
            " ON CONFLICT (scope, key) DO UPDATE SET rows = excluded.rows, \
             bytes = excluded.bytes",
        )
        .build()
        .execute(&mut *conn)
        .await
        .map_err(|source| query_error("update log usage", path, source))?;
    }
    Ok(())
}

/// `INSERT INTO log_usage` of (scope, (rows, bytes)) pairs, then `on_conflict` (what an existing
/// scope's row becomes, and what the statement returns).
fn usage_upsert<'q, 's: 'q>(
    scopes: impl Iterator<Item = (&'q Scope<'s>, (i64, i64))>,
    on_conflict: &str,
) -> QueryBuilder<'q, Sqlite> {
    let mut upsert = QueryBuilder::new("INSERT INTO log_usage (scope, key, rows, bytes) ");
    upsert.push_values(scopes, |mut row, (scope, (rows, bytes))| {
        let (kind, key) = scope.parts();
        row.push_bind(kind)
            .push_bind(key)
            .push_bind(rows)
            .push_bind(bytes);
    });
    upsert.push(on_conflict);
    upsert
}

fn caps(scope: &Scope<'_>, retention: &LogRetention) -> (i64, i64) {
    match scope {
        Scope::Thread(_) => (
            retention.max_rows_per_thread,
            retention.max_bytes_per_thread,
        ),
        Scope::Process(_) => (
            retention.max_rows_per_process,
            retention.max_bytes_per_process,
        ),
        Scope::File => (i64::MAX, retention.max_total_bytes),
    }
}

/// Deletes rows older than the age limit and takes them off their scopes' running totals (not
/// the file's: the caller does); returns how many rows and bytes went.
async fn delete_expired(
    conn: &mut SqliteConnection,
    path: &Path,
    retention: &LogRetention,
    now_unix_seconds: i64,
) -> Result<(i64, i64), LogsError> {
    let cutoff =
        now_unix_seconds.saturating_sub(retention.max_age_days.saturating_mul(SECONDS_PER_DAY));
    // MIN(ts) is one index probe; the grouped scan below only runs when something expired.
    let (oldest,): (Option<i64>,) = sqlx::query_as("SELECT MIN(ts) FROM logs")
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| query_error("find oldest log", path, source))?;
    if oldest.is_none_or(|oldest| oldest >= cutoff) {
        return Ok((0, 0));
    }
    delete_rows_by_scope(conn, path, "ts < ?1", cutoff).await
}

/// Deletes the rows matching `filter` (one bound parameter, `?1` = `value`) and takes them off
/// their thread and process scopes' running totals (not the file's); returns how many rows and
/// bytes went.
pub(crate) async fn delete_rows_by_scope(
    conn: &mut SqliteConnection,
    path: &Path,
    filter: &str,
    value: impl for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Clone + Send,
) -> Result<(i64, i64), LogsError> {
    // The filter is one of our constants, never user input; its value is bound.
    let groups: Vec<(Option<String>, String, i64, i64)> = sqlx::query_as(&format!(
        "SELECT thread_id, MIN(process_uuid), COUNT(*), SUM(estimated_bytes) FROM logs \
         WHERE {filter} GROUP BY thread_id, CASE WHEN thread_id IS NULL THEN process_uuid END"
    ))
    .bind(value.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(|source| query_error("count logs to delete", path, source))?;
    if groups.is_empty() {
        return Ok((0, 0));
    }
    sqlx::query(&format!("DELETE FROM logs WHERE {filter}"))
        .bind(value)
        .execute(&mut *conn)
        .await
        .map_err(|source| query_error("delete logs", path, source))?;
    let mut gone = (0, 0);
    for (thread_id, process_uuid, rows, bytes) in groups {
        gone.0 += rows;
        gone.1 += bytes;
        let (kind, key) = match &thread_id {
            Some(thread_id) => ("thread", thread_id.as_str()),
            None => ("process", process_uuid.as_str()),
        };
        sqlx::query(
            "UPDATE log_usage SET rows = rows - ?3, bytes = bytes - ?4 \
             WHERE scope = ?1 AND key = ?2",
        )
        .bind(kind)
        .bind(key)
        .bind(rows)
        .bind(bytes)
        .execute(&mut *conn)
        .await
        .map_err(|source| query_error("update log usage", path, source))?;
    }
    sqlx::query("DELETE FROM log_usage WHERE rows <= 0 AND scope != 'file'")
        .execute(&mut *conn)
        .await
        .map_err(|source| query_error("update log usage", path, source))?;
    Ok(gone)
}

/// Keeps the scope's newest rows within its caps less the slack and returns its new totals (rows,
/// bytes). The running totals say how many rows and bytes are too many, so the trim reads only
/// the rows that go, oldest first, from the scope's covering index — not the whole scope.
async fn trim(
    conn: &mut SqliteConnection,
    path: &Path,
    scope: &Scope<'_>,
    retention: &LogRetention,
    (total_rows, total_bytes): (i64, i64),
) -> Result<(i64, i64), LogsError> {
    let (max_rows, max_bytes) = caps(scope, retention);
    let keep_percent = 100 - retention.trim_slack_percent.clamp(0, 99);
    let excess_rows = total_rows.saturating_sub(max_rows.saturating_mul(keep_percent) / 100);
    let excess_bytes = total_bytes.saturating_sub(max_bytes.saturating_mul(keep_percent) / 100);
    let (_, key) = scope.parts();
    let filter = match scope {
        Scope::Thread(_) => "thread_id = ?1",
        Scope::Process(_) => "process_uuid = ?1 AND thread_id IS NULL",
        // The file's cap is kept by `trim_file`, which also corrects the scopes it cuts into.
        Scope::File => return Ok((total_rows, total_bytes)),
    };
    // The row cap: the oldest `excess_rows` go, counted and summed inside SQLite.
    let (mut boundary, mut gone_rows, mut gone_bytes): (Option<i64>, i64, i64) =
        sqlx::query_as(&format!(
            "SELECT MAX(id), COUNT(*), COALESCE(SUM(estimated_bytes), 0) FROM \
             (SELECT id, estimated_bytes FROM logs WHERE {filter} ORDER BY id LIMIT ?2)"
        ))
        .bind(key)
        .bind(excess_rows.max(0))
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| query_error("find log retention boundary", path, source))?;
    let mut scope_exhausted = gone_rows < excess_rows;
    // The byte cap, when it still binds: walk on, a page at a time, until enough bytes go.
    let page_sql = format!(
        "SELECT id, estimated_bytes FROM logs WHERE {filter} AND id > ?2 ORDER BY id LIMIT ?3"
    );
    'walk: while gone_bytes < excess_bytes && !scope_exhausted {
        let rows: Vec<(i64, i64)> = sqlx::query_as(&page_sql)
            .bind(key)
            .bind(boundary.unwrap_or(i64::MIN))
            .bind(TRIM_PAGE_ROWS)
            .fetch_all(&mut *conn)
            .await
            .map_err(|source| query_error("find log retention boundary", path, source))?;
        scope_exhausted = i64::try_from(rows.len()).unwrap_or(i64::MAX) < TRIM_PAGE_ROWS;
        for (id, bytes) in rows {
            if gone_bytes >= excess_bytes {
                scope_exhausted = false;
                break 'walk;
            }
            gone_rows += 1;
            gone_bytes += bytes;
            boundary = Some(id);
        }
    }
    if let Some(boundary) = boundary {
        sqlx::query(&format!("DELETE FROM logs WHERE {filter} AND id <= ?2"))
            .bind(key)
            .bind(boundary)
            .execute(&mut *conn)
            .await
            .map_err(|source| query_error("trim logs", path, source))?;
    }
    // Every row of the scope went (its totals had drifted above the truth): start again at zero.
    Ok(if scope_exhausted {
        (0, 0)
    } else {
        (total_rows - gone_rows, total_bytes - gone_bytes)
    })
}

pub(crate) fn query_error(operation: &'static str, path: &Path, source: sqlx::Error) -> LogsError {
    LogsError::Query {
        operation,
        path: path.to_path_buf(),
        source: crate::DatabaseError::driver(source),
    }
}

#[cfg(test)]
#[path = "retention_tests.rs"]
mod tests;
