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
/// The environment variable naming another memory folder (after `--memory-dir`).
pub const MEMORY_DIR_ENV: &str = "CODEX_MEMORIES_DIR";

/// The memory folder: `explicit` (the `--memory-dir` flag), else `$CODEX_MEMORIES_DIR`, else
/// `configured` (`memory_dir` in codex-memories.toml; relative to the Codex home), else
/// `<codex_home>/memories` — the folder Codex's own `v1` pipeline also uses, which is why another
/// one can be chosen.
pub fn resolve_memory_root(
    codex_home: &std::path::Path,
    explicit: Option<&std::path::Path>,
    configured: Option<&std::path::Path>,
) -> std::path::PathBuf {
    explicit
        .map(std::path::Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(MEMORY_DIR_ENV)
                .filter(|dir| !dir.is_empty())
                .map(std::path::PathBuf::from)
        })
        .or_else(|| configured.map(|dir| codex_home.join(dir)))
        .unwrap_or_else(|| codex_home.join(MEMORY_DIR_NAME))
}
