//! Helpers for tests of this crate and of crates above it: build a thread row and insert it into
//! the state DB's `threads` table directly, standing in for the indexer. Not for production
//! paths: the indexer is the only real writer of `threads`. Tests and benchmarks that must
//! inspect a database with their own SQL get its pool here; the driver's types are public only
//! with the `test-support` feature.

use std::path::PathBuf;

use crate::threads::{THREAD_COLUMNS, THREAD_PLACEHOLDERS, bind_thread_columns};
use crate::{MemoryMode, StateError, StateRuntime, ThreadId, ThreadRow};

/// An enabled, non-archived thread updated at `updated_at_ms` (unix ms), with a rollout path
/// and cwd derived from its id.
pub fn thread_row(id: ThreadId, updated_at_ms: i64) -> ThreadRow {
    ThreadRow {
        id,
        rollout_path: PathBuf::from(format!("/sessions/rollout-{id}.jsonl")),
        created_at: updated_at_ms,
        updated_at: updated_at_ms,
        source: "cli".to_string(),
        model_provider: None,
        model: None,
        cwd: "/work/project".to_string(),
        title: String::new(),
        first_user_message: String::new(),
        preview: String::new(),
        tokens_used: 0,
        archived: false,
        git_sha: None,
        git_branch: None,
        git_origin_url: None,
        cli_version: String::new(),
        memory_mode: MemoryMode::Enabled,
        file_size: 0,
        file_mtime_ns: updated_at_ms.saturating_mul(1_000_000),
        file_inode: 0,
        file_ctime_ns: 0,
        agent: codex_protocol::Agent::Codex,
    }
}

/// Inserts (or replaces) `row` in the state DB's `threads` table.
pub async fn insert_thread(runtime: &StateRuntime, row: &ThreadRow) -> Result<(), StateError> {
    let sql =
        format!("INSERT OR REPLACE INTO threads ({THREAD_COLUMNS}) VALUES ({THREAD_PLACEHOLDERS})");
    let rollout_path = row.rollout_path.to_string_lossy();
    bind_thread_columns(sqlx::query(&sql), row, &rollout_path)
        .execute(runtime.pool())
        .await
        .map_err(|source| runtime.query_error("insert thread", source))?;
    Ok(())
}

/// Deletes a thread from the state DB's `threads` table (a rollout that disappeared).
pub async fn delete_thread(runtime: &StateRuntime, id: ThreadId) -> Result<(), StateError> {
    sqlx::query("DELETE FROM threads WHERE id = ?")
        .bind(id.to_string())
        .execute(runtime.pool())
        .await
        .map_err(|source| runtime.query_error("delete thread", source))?;
    Ok(())
}

/// The memories DB's connection pool (the state DB attached as `state`, read-only), for tests
/// that check rows with their own SQL.
pub fn memory_store_pool(store: &crate::MemoryStore) -> &sqlx::SqlitePool {
    store.pool()
}

/// The logs DB's connection pool, for benchmarks that checkpoint or insert with their own SQL.
pub fn log_store_pool(store: &crate::logs::LogStore) -> &sqlx::SqlitePool {
    store.pool()
}

pub use crate::logs::store::insert_rows;
