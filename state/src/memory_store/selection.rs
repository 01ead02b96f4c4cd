//! Phase-2 input selection: which stage-1 outputs the next consolidation reads. Only non-blank
//! outputs of threads still in the index whose effective memory mode is `enabled`, used within
//! the window (or never used and updated within it); ranked by usage count, then last use (or
//! update), then version, then thread id, all descending; the top N returned by thread id.
//! Read-only: marking what phase 2 consumed is `phase2_succeeded`'s job.

use std::path::PathBuf;

use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{MemoryStore, SELECTION_PAGE_SIZE, days_before};
use crate::{StateError, ThreadId};
use codex_protocol::Agent;

/// One selected input of phase 2: the output and the thread facts its artifacts name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase2Input {
    /// The thread.
    pub thread_id: ThreadId,
    /// The thread version the memory was built from (unix seconds).
    pub source_updated_at: i64,
    /// The raw memory.
    pub raw_memory: String,
    /// The rollout summary.
    pub rollout_summary: String,
    /// The rollout slug, if any.
    pub rollout_slug: Option<String>,
    /// The thread's rollout file.
    pub rollout_path: PathBuf,
    /// The thread's working directory.
    pub cwd: String,
    /// The thread's git branch, when recorded.
    pub git_branch: Option<String>,
    /// The `origin` URL the session recorded when it started, if any (its project's key).
    pub git_origin_url: Option<String>,
    /// The agent that wrote the session.
    pub agent: Agent,
    /// How many answers cited it.
    pub usage_count: i64,
    /// When it was last cited.
    pub last_usage: Option<i64>,
    /// Whether the last successful phase 2 consumed it.
    pub selected_for_phase2: bool,
    /// The version the last successful phase 2 consumed.
    pub selected_for_phase2_source_updated_at: Option<i64>,
}

/// What phase 2 consumed of one input: the snapshot `phase2_succeeded` marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SelectedInput {
    /// The thread.
    pub thread_id: ThreadId,
    /// The version consumed.
    pub source_updated_at: i64,
}

impl Phase2Input {
    /// The snapshot of this input, to pass to `phase2_succeeded`.
    pub fn selected(&self) -> SelectedInput {
        SelectedInput {
            thread_id: self.thread_id,
            source_updated_at: self.source_updated_at,
        }
    }
}

impl MemoryStore {
    /// The top `limit` inputs for phase 2 by the ranking above, sorted by thread id; rows unused
    /// for more than `max_unused_days` (or, never used, not updated within it) are left out.
    pub async fn select_phase2_inputs(
        &self,
        limit: u32,
        max_unused_days: u32,
    ) -> Result<Vec<Phase2Input>, StateError> {
        const OPERATION: &str = "select phase-2 inputs";
        let cutoff = days_before(self.now(), max_unused_days);
        // Pages are read in one read transaction, so they come from one snapshot.
        let mut transaction = self
            .pool
            .begin()
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
        let mut inputs: Vec<Phase2Input> = Vec::new();
        while inputs.len() < limit as usize {
            let remaining = limit - u32::try_from(inputs.len()).unwrap_or(limit);
            let page = remaining.min(SELECTION_PAGE_SIZE);
            let rows = sqlx::query(
                "SELECT o.thread_id, o.source_updated_at, o.raw_memory, o.rollout_summary, \
                        o.rollout_slug, o.usage_count, o.last_usage, o.selected_for_phase2, \
                        o.selected_for_phase2_source_updated_at, \
                        t.rollout_path, t.cwd, t.git_branch, t.git_origin_url, t.agent \
                 FROM stage1_outputs AS o \
                 JOIN state.threads AS t ON t.id = o.thread_id \
                 LEFT JOIN thread_memory_modes AS m ON m.thread_id = o.thread_id \
                 WHERE COALESCE(m.memory_mode, t.memory_mode) = 'enabled' \
                   AND length(trim(o.raw_memory, char(32, 9, 10, 13))) > 0 \
                   AND ((o.last_usage IS NOT NULL AND o.last_usage >= ?1) \
                        OR (o.last_usage IS NULL AND o.source_updated_at >= ?1)) \
                 ORDER BY o.usage_count DESC, COALESCE(o.last_usage, o.source_updated_at) DESC, \
                          o.source_updated_at DESC, o.thread_id DESC \
                 LIMIT ?2 OFFSET ?3",
            )
            .bind(cutoff)
            .bind(i64::from(page))
            .bind(i64::try_from(inputs.len()).unwrap_or(i64::MAX))
            .fetch_all(&mut *transaction)
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
            let short = rows.len() < page as usize;
            for row in &rows {
                inputs.push(self.input_from_row(row)?);
            }
            if short {
                break;
            }
        }
        transaction
            .rollback()
            .await
            .map_err(|source| self.query_error(OPERATION, source))?;
        // Uuid order is byte order, the same as the stored lowercase-hex text order.
        inputs.sort_by_key(|input| input.thread_id);
        Ok(inputs)
    }

    fn input_from_row(&self, row: &SqliteRow) -> Result<Phase2Input, StateError> {
        let get = |error: sqlx::Error| self.bad_row("phase-2 input".to_string(), error.to_string());
        let id_text: String = row.try_get("thread_id").map_err(get)?;
        let rollout_path: String = row.try_get("rollout_path").map_err(get)?;
        Ok(Phase2Input {
            thread_id: self.parse_thread_id(&id_text, "stage1_outputs.thread_id")?,
            source_updated_at: row.try_get("source_updated_at").map_err(get)?,
            raw_memory: row.try_get("raw_memory").map_err(get)?,
            rollout_summary: row.try_get("rollout_summary").map_err(get)?,
            rollout_slug: row.try_get("rollout_slug").map_err(get)?,
            rollout_path: PathBuf::from(rollout_path),
            cwd: row.try_get("cwd").map_err(get)?,
            git_branch: row.try_get("git_branch").map_err(get)?,
            git_origin_url: row.try_get("git_origin_url").map_err(get)?,
            agent: super::stage1_claim::parse_agent(row.try_get("agent").map_err(get)?),
            usage_count: row.try_get("usage_count").map_err(get)?,
            last_usage: row.try_get("last_usage").map_err(get)?,
            selected_for_phase2: row.try_get("selected_for_phase2").map_err(get)?,
            selected_for_phase2_source_updated_at: row
                .try_get("selected_for_phase2_source_updated_at")
                .map_err(get)?,
        })
    }
}
