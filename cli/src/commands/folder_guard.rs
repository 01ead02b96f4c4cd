//! The check every command that writes the memory folder makes first: never write a folder that
//! Codex's own memory pipeline rewrites, and replace one Codex wrote only with `consolidate
//! --force`, after a backup (`codex_memories::codex_native` decides; this only reports).

use std::path::Path;

use codex_memories::codex_native::guard_memory_folder;

use crate::commands::HomeArgs;

/// Refuses (with the reason and the ways out) when the memory folder may not be written; with
/// `allow_overwrite_codex`, backs up a folder Codex wrote and says where the backup is.
pub fn ensure_folder_writable(
    home: &HomeArgs,
    memory_root: &Path,
    allow_overwrite_codex: bool,
) -> anyhow::Result<()> {
    let codex_home = home.resolve()?.codex_home;
    if let Some(backup) = guard_memory_folder(&codex_home, memory_root, allow_overwrite_codex)? {
        eprintln!(
            "note: {} was written by Codex's own memory pipeline; its contents are kept in {}",
            memory_root.display(),
            backup.display()
        );
        tracing::warn!(backup = %backup.display(), "backed up a memory folder Codex wrote before replacing it");
    }
    Ok(())
}
