//! The names of everything in the memory folder (`<codex_home>/memories/`), in one place.

/// The consolidated memory, maintained by consolidation.
pub const MEMORY_FILE: &str = "MEMORY.md";
/// The short summary injected into new sessions (first line `v1`).
pub const SUMMARY_FILE: &str = "memory_summary.md";
/// The raw memories written from the database.
pub const RAW_MEMORIES_FILE: &str = "raw_memories.md";
/// Folder of rollout summaries written from the database.
pub const ROLLOUT_SUMMARIES_DIR: &str = "rollout_summaries";
/// Folder of skills (`skills/<name>/SKILL.md`).
pub const SKILLS_DIR: &str = "skills";
/// The workspace diff, present only while a consolidation runs.
pub const DIFF_FILE_NAME: &str = "phase2_workspace_diff.md";
/// The memory folder's name under the Codex home.
pub const MEMORY_DIR_NAME: &str = "memories";
