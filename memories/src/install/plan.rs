//! An install plan: whole-file edits (before and after texts) that a caller shows as a diff and
//! then applies. Applying backs up a file's pre-install bytes once (beside it, as
//! `<name>.codex-memories-backup`) before our first edit of it, and writes each file atomically.
//! Undoing prefers that backup: when the file without our entries is the backup (up to line
//! endings and final newlines), the backup's exact bytes come back and the backup goes away.

use std::path::{Path, PathBuf};

use serde::Serialize;
use similar::TextDiff;

use super::{Agent, BACKUP_SUFFIX, InstallError, read_optional};
use crate::fsutil::write_atomic;

/// One file's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEdit {
    /// The file.
    pub path: PathBuf,
    /// What the edit does, in words.
    pub purpose: &'static str,
    /// Its text now (`None`: it does not exist).
    pub before: Option<String>,
    /// Its text after the edit (`None`: it is deleted).
    pub after: Option<String>,
}

impl FileEdit {
    /// A unified diff of the edit, for a dry run.
    pub fn diff(&self) -> String {
        let path = self.path.display().to_string();
        let old_header = if self.before.is_some() {
            path.clone()
        } else {
            "/dev/null".to_string()
        };
        let new_header = if self.after.is_some() {
            path
        } else {
            "/dev/null".to_string()
        };
        TextDiff::from_lines(
            self.before.as_deref().unwrap_or_default(),
            self.after.as_deref().unwrap_or_default(),
        )
        .unified_diff()
        .context_radius(2)
        .header(&old_header, &new_header)
        .to_string()
    }
}

/// Whether a plan adds our entries or removes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// `install`.
    Install,
    /// `uninstall`.
    Uninstall,
}

/// The edits one install or uninstall makes, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallPlan {
    /// The agent.
    pub agent: Agent,
    /// Install or uninstall.
    pub direction: Direction,
    /// Files that change (files already as wanted are left out).
    pub edits: Vec<FileEdit>,
}

impl InstallPlan {
    pub(super) fn new(agent: Agent, direction: Direction) -> Self {
        Self {
            agent,
            direction,
            edits: Vec::new(),
        }
    }

    /// Adds an edit unless it changes nothing.
    pub(super) fn push(
        &mut self,
        path: &Path,
        purpose: &'static str,
        before: Option<String>,
        after: Option<String>,
    ) {
        if before != after {
            self.edits.push(FileEdit {
                path: path.to_path_buf(),
                purpose,
                before,
                after,
            });
        }
    }

    /// Whether the plan changes nothing.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}

/// What applying one edit did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppliedEdit {
    /// The file.
    pub path: PathBuf,
    /// Where its pre-install bytes were saved, when this edit saved them.
    pub backup: Option<PathBuf>,
    /// Whether the file was deleted.
    pub deleted: bool,
}

/// The backup of `path`.
fn backup_of(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(BACKUP_SUFFIX);
    path.with_file_name(name)
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> InstallError + 'a {
    move |source| InstallError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Applies `plan`. Each file is checked to still hold the text the plan was made from (else it
/// stops: someone edited the file meanwhile), its pre-install bytes are saved once, and the new
/// text is written atomically.
pub fn apply(plan: &InstallPlan) -> Result<Vec<AppliedEdit>, InstallError> {
    let mut applied = Vec::new();
    for edit in &plan.edits {
        let now = read_optional(&edit.path)?;
        if now != edit.before {
            return Err(InstallError::Parse {
                path: edit.path.clone(),
                detail: "it changed while the plan was being made; run the command again"
                    .to_string(),
            });
        }
        let backup = backup_of(&edit.path);
        let mut saved = None;
        // Save the pristine bytes before our first edit (an install over a file with no backup
        // yet); an uninstall that restores them removes the backup afterwards.
        if let (Direction::Install, Some(before)) = (plan.direction, &edit.before)
            && !backup.exists()
        {
            write_atomic(&backup, before.as_bytes()).map_err(io("back up", &backup))?;
            saved = Some(backup.clone());
        }
        match &edit.after {
            Some(after) => {
                write_atomic(&edit.path, after.as_bytes()).map_err(io("write", &edit.path))?
            }
            None => std::fs::remove_file(&edit.path).map_err(io("delete", &edit.path))?,
        }
        if plan.direction == Direction::Uninstall && restores_backup(edit, &backup) {
            std::fs::remove_file(&backup).map_err(io("remove the backup", &backup))?;
        }
        applied.push(AppliedEdit {
            path: edit.path.clone(),
            backup: saved,
            deleted: edit.after.is_none(),
        });
    }
    Ok(applied)
}

fn restores_backup(edit: &FileEdit, backup: &Path) -> bool {
    match (std::fs::read_to_string(backup), &edit.after) {
        (Ok(saved), Some(after)) => saved == *after,
        (Ok(saved), None) => saved.is_empty(),
        _ => false,
    }
}

/// How a file's text is compared with its backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    /// Up to line endings and final newlines; empty means nothing left.
    Text,
    /// As JSON values, an empty `mcpServers` object counting as none; `{}` means nothing left.
    Json,
}

impl Format {
    fn same(self, a: &str, b: &str) -> bool {
        match self {
            Self::Text => normalise(a) == normalise(b),
            Self::Json => json_value(a).is_some_and(|a| Some(a) == json_value(b)),
        }
    }

    fn is_empty(self, text: &str) -> bool {
        match self {
            Self::Text => text.trim().is_empty(),
            Self::Json => json_value(text).is_some_and(|value| value == serde_json::json!({})),
        }
    }
}

/// Text compared up to line endings and final newlines.
fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
        .trim_end_matches('\n')
        .to_string()
}

/// A JSON document with an empty top-level `mcpServers` dropped.
fn json_value(text: &str) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
    let empty_servers = value
        .get("mcpServers")
        .and_then(serde_json::Value::as_object)
        .is_some_and(serde_json::Map::is_empty);
    if empty_servers && let Some(object) = value.as_object_mut() {
        object.remove("mcpServers");
    }
    Some(value)
}

/// The text `path` should hold once our entries are gone, given `removed` (the file with our
/// entries taken out): the backup's exact bytes when they say the same, `None` (delete the file)
/// when it did not exist before and nothing else is left, else `removed` itself.
pub(super) fn restored(
    path: &Path,
    removed: String,
    format: Format,
) -> Result<Option<String>, InstallError> {
    let backup = backup_of(path);
    match read_optional(&backup)? {
        Some(saved) if format.same(&saved, &removed) => Ok(Some(saved)),
        Some(_) => Ok(Some(removed)),
        None if format.is_empty(&removed) => Ok(None),
        None => Ok(Some(removed)),
    }
}
