//! Living beside Codex's own memory pipeline. Codex 0.169 can generate memories itself
//! (`[features] memories = true` in `$CODEX_HOME/config.toml`): its `v1` pipeline rewrites
//! `$CODEX_HOME/memories/` — git history, rollout summaries, `raw_memories.md` — and its `v2`
//! pipeline writes `$CODEX_HOME/memories_v2/`. This module reads Codex's settings and the
//! folder's own evidence (who made its baseline commit, Codex's lock and databases) and decides
//! whether we may write a memory folder. The invariant: we never write a folder that Codex's
//! pipeline will rewrite, and never overwrite one Codex wrote unless told to, after a backup.
//! It reads only; [`back_up_folder`] is the one function that writes, and only beside the folder.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::CONFIG_FILE_NAME;

/// The folder Codex's `v1` pipeline reads and rewrites, under the Codex home.
pub const CODEX_V1_FOLDER: &str = "memories";
/// The folder Codex's `v2` pipeline writes, under the Codex home.
pub const CODEX_V2_FOLDER: &str = "memories_v2";
/// Where Codex's `v2` pipeline keeps its git baseline, inside its folder.
pub const CODEX_V2_BASELINE_DIR: &str = ".codex-baseline";
/// Codex's lock file for its memory pipeline, at the Codex home root.
pub const CODEX_LOCK_FILE: &str = "memories.lock";
/// The author email of the baseline commits Codex's pipeline makes.
pub const CODEX_BASELINE_EMAIL: &str = "noreply@openai.com";
/// The author email of the baseline commits we make (see `workspace::SIGNATURE_EMAIL`).
const OUR_BASELINE_EMAIL: &str = crate::workspace::SIGNATURE_EMAIL;
/// Prefix of the backup folder made before overwriting a folder Codex wrote (then a UTC time).
pub const BACKUP_PREFIX: &str = ".codex-backup-";

/// What Codex's `config.toml` says about its own memory pipeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CodexMemorySettings {
    /// The file read (it may not exist).
    pub config_path: PathBuf,
    /// `[features] memories` (or the active profile's), when set.
    pub feature: Option<bool>,
    /// `[memories] version`, when set.
    pub version: Option<String>,
    /// `[memories] generate_memories` (Codex's default: true).
    pub generate_memories: bool,
    /// `[memories] use_memories` (Codex's default: true).
    pub use_memories: bool,
    /// Why the file could not be read, when it could not (the settings are then the defaults).
    pub unreadable: Option<String>,
}

impl CodexMemorySettings {
    /// Whether Codex's memory feature is on at all.
    pub fn feature_on(&self) -> bool {
        self.feature == Some(true)
    }

    /// The folder (name under the Codex home) Codex's pipeline uses, given whether
    /// `memories/` exists: `version = "v1"` → `memories`, `"v2"` → `memories_v2`, unset → `memories`
    /// when that folder exists (or is about to: we would create it), else `memories_v2`.
    pub fn folder_name(&self, v1_folder_exists: bool) -> &'static str {
        match self.version.as_deref().map(str::trim) {
            Some("v1") => CODEX_V1_FOLDER,
            Some("v2") => CODEX_V2_FOLDER,
            _ if v1_folder_exists => CODEX_V1_FOLDER,
            _ => CODEX_V2_FOLDER,
        }
    }

    /// The setting that turned the feature on, as a user would find it in the file.
    fn feature_setting(&self) -> String {
        let version = match self.version.as_deref() {
            Some(version) => format!(" with `[memories] version = \"{version}\"`"),
            None => " (`[memories] version` unset)".to_string(),
        };
        format!(
            "`[features] memories = true` in {}{version}",
            self.config_path.display()
        )
    }
}

/// Who made the memory folder's current baseline commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "writer", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FolderWriter {
    /// The folder has no usable git baseline (new, or never consolidated).
    Nobody,
    /// codex-memories made the baseline.
    CodexMemories {
        /// The commit time, unix seconds.
        time_unix_seconds: i64,
    },
    /// Codex's own pipeline made the baseline.
    Codex {
        /// The commit time, unix seconds.
        time_unix_seconds: i64,
    },
    /// Someone else (a person's own commit, another tool).
    Other {
        /// The author as `name <email>`.
        author: String,
        /// The commit time, unix seconds.
        time_unix_seconds: i64,
    },
}

impl fmt::Display for FolderWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Nobody => f.write_str("nobody yet (no baseline commit)"),
            Self::CodexMemories { .. } => f.write_str("codex-memories"),
            Self::Codex { .. } => f.write_str("Codex's own memory pipeline"),
            Self::Other { author, .. } => write!(f, "someone else ({author})"),
        }
    }
}

/// Everything known about who owns a memory folder, for `status` and for the write check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FolderOwnership {
    /// The memory folder we use.
    pub memory_root: PathBuf,
    /// Codex's settings.
    pub codex: CodexMemorySettings,
    /// The folder Codex's pipeline uses when its feature is on.
    pub codex_folder: PathBuf,
    /// Whether Codex's pipeline is on and will rewrite `memory_root` at its next startup.
    pub codex_rewrites: bool,
    /// Whether Codex reads `memory_root`'s `memory_summary.md` into new sessions (its feature on,
    /// `use_memories` true, and its folder is ours).
    pub codex_reads: bool,
    /// Who made the current baseline commit of `memory_root`.
    pub last_writer: FolderWriter,
    /// Traces of Codex's pipeline in the home (its lock, databases, `v2` baseline), as paths.
    pub codex_traces: Vec<PathBuf>,
}

impl FolderOwnership {
    /// One line for `status`: who last wrote the folder and whether Codex reads or rewrites it.
    pub fn describe(&self) -> String {
        let reads = if self.codex_rewrites {
            "Codex's own memory pipeline rewrites it at its next startup"
        } else if self.codex_reads {
            "Codex reads its memory_summary.md into new sessions"
        } else {
            "Codex does not read it (its memories feature is off or uses another folder)"
        };
        format!("last written by {}; {reads}", self.last_writer)
    }
}

/// Why a memory folder may not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FolderRefused {
    /// Codex's pipeline is on and uses this folder: whatever we write, it rewrites.
    #[error(
        "refusing to write {}: Codex's own memory pipeline is on ({setting}) and rewrites this \
         folder at its next startup, replacing what codex-memories writes there. Either turn \
         Codex's own memory generation off (`[features] memories = false` in {config}; \
         `codex-memories install codex` then gives every Codex session our summary), or point \
         codex-memories at another folder (`--memory-dir DIR`, or `memory_dir` in \
         codex-memories.toml)",
        memory_root.display(),
        config = config_path.display()
    )]
    CodexRewrites {
        /// The folder.
        memory_root: PathBuf,
        /// The setting that turned Codex's pipeline on.
        setting: String,
        /// Codex's config file.
        config_path: PathBuf,
    },
    /// Codex's pipeline wrote this folder's current baseline; overwriting needs `--force`.
    #[error(
        "refusing to write {}: its current contents were written by Codex's own memory pipeline \
         (baseline commit of {when}). Run `codex-memories consolidate --force` to replace them (the \
         folder is first copied to {backup_hint}), or point codex-memories at another folder \
         (`--memory-dir DIR`)",
        memory_root.display(),
        when = crate::codex_native::utc(*time_unix_seconds),
        backup_hint = backup_hint(memory_root).display()
    )]
    WrittenByCodex {
        /// The folder.
        memory_root: PathBuf,
        /// When Codex made its baseline, unix seconds.
        time_unix_seconds: i64,
    },
}

/// What a write check allows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteClearance {
    /// Write freely.
    Clear,
    /// Overwriting a folder Codex wrote was allowed: back it up first ([`back_up_folder`]).
    BackUpFirst,
}

/// Reads Codex's settings from `<codex_home>/config.toml`. A missing file gives Codex's defaults;
/// an unreadable or invalid one is reported in `unreadable` (Codex itself would refuse to start
/// on it, so its pipeline is not running either).
pub fn read_codex_settings(codex_home: &Path) -> CodexMemorySettings {
    let config_path = codex_home.join(CONFIG_FILE_NAME);
    let mut settings = CodexMemorySettings {
        config_path: config_path.clone(),
        generate_memories: true,
        use_memories: true,
        ..CodexMemorySettings::default()
    };
    let text = match std::fs::read_to_string(&config_path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return settings,
        Err(error) => {
            settings.unreadable = Some(error.to_string());
            return settings;
        }
    };
    let document: toml::Table = match text.parse() {
        Ok(document) => document,
        Err(error) => {
            settings.unreadable = Some(format!("not valid TOML: {error}"));
            return settings;
        }
    };
    let table = |value: Option<&toml::Value>| value.and_then(toml::Value::as_table).cloned();
    // A profile (`profile = "name"`) may set its own features, which win over the top level.
    let profile = document
        .get("profile")
        .and_then(toml::Value::as_str)
        .and_then(|name| table(document.get("profiles"))?.get(name).cloned());
    let feature = |features: Option<toml::Table>| {
        features.and_then(|features| features.get("memories").and_then(toml::Value::as_bool))
    };
    settings.feature = feature(table(profile.as_ref().and_then(|p| p.get("features"))))
        .or_else(|| feature(table(document.get("features"))));
    if let Some(memories) = table(document.get("memories")) {
        settings.version = memories
            .get("version")
            .and_then(toml::Value::as_str)
            .map(str::to_string);
        if let Some(generate) = memories
            .get("generate_memories")
            .and_then(toml::Value::as_bool)
        {
            settings.generate_memories = generate;
        }
        if let Some(use_memories) = memories.get("use_memories").and_then(toml::Value::as_bool) {
            settings.use_memories = use_memories;
        }
    }
    settings
}

/// Who owns `memory_root`, from Codex's settings under `codex_home` and the folder itself.
pub fn inspect(codex_home: &Path, memory_root: &Path) -> FolderOwnership {
    let codex = read_codex_settings(codex_home);
    let v1_folder = codex_home.join(CODEX_V1_FOLDER);
    // We are about to create our folder if it is missing; Codex then takes it as its v1 folder.
    let v1_exists = v1_folder.is_dir() || same_folder(memory_root, &v1_folder);
    let codex_folder = codex_home.join(codex.folder_name(v1_exists));
    let ours_is_codex_folder = same_folder(memory_root, &codex_folder);
    let codex_rewrites = codex.feature_on() && codex.generate_memories && ours_is_codex_folder;
    let codex_reads = codex.feature_on() && codex.use_memories && ours_is_codex_folder;
    FolderOwnership {
        memory_root: memory_root.to_path_buf(),
        codex_folder,
        codex_rewrites,
        codex_reads,
        last_writer: last_writer(memory_root),
        codex_traces: codex_traces(codex_home),
        codex,
    }
}

/// Decides whether the pipeline may write `memory_root` now. Codex's pipeline rewriting the
/// folder is always refused (no flag overrides it: whatever we wrote would be lost). A folder
/// whose baseline Codex made is refused unless `allow_overwrite_codex` (then: back it up first).
pub fn check_writable(
    codex_home: &Path,
    memory_root: &Path,
    allow_overwrite_codex: bool,
) -> Result<WriteClearance, FolderRefused> {
    let ownership = inspect(codex_home, memory_root);
    if ownership.codex_rewrites {
        return Err(FolderRefused::CodexRewrites {
            memory_root: memory_root.to_path_buf(),
            setting: ownership.codex.feature_setting(),
            config_path: ownership.codex.config_path.clone(),
        });
    }
    match ownership.last_writer {
        FolderWriter::Codex { .. } if allow_overwrite_codex => Ok(WriteClearance::BackUpFirst),
        FolderWriter::Codex { time_unix_seconds } => Err(FolderRefused::WrittenByCodex {
            memory_root: memory_root.to_path_buf(),
            time_unix_seconds,
        }),
        _ => Ok(WriteClearance::Clear),
    }
}

/// The check and its consequence in one call, for every command that writes the memory folder:
/// refuses as [`check_writable`] does, and when overwriting a folder Codex wrote is allowed,
/// backs it up first and returns the backup's path.
pub fn guard_memory_folder(
    codex_home: &Path,
    memory_root: &Path,
    allow_overwrite_codex: bool,
) -> Result<Option<PathBuf>, GuardError> {
    match check_writable(codex_home, memory_root, allow_overwrite_codex)? {
        WriteClearance::Clear => Ok(None),
        WriteClearance::BackUpFirst => {
            back_up_folder(memory_root)
                .map(Some)
                .map_err(|source| GuardError::Backup {
                    path: memory_root.to_path_buf(),
                    source,
                })
        }
    }
}

/// Why [`guard_memory_folder`] stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// Writing is refused.
    #[error(transparent)]
    Refused(#[from] FolderRefused),
    /// The backup before overwriting a folder Codex wrote failed; nothing was written.
    #[error("cannot back up {} before replacing it: {source}", path.display())]
    Backup {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Copies `memory_root` (with its `.git`) to a new sibling `<name>.codex-backup-<UTC time>`
/// and returns its path. Symbolic links are copied as links, never followed.
pub fn back_up_folder(memory_root: &Path) -> std::io::Result<PathBuf> {
    let stamp = chrono::Utc::now().format("%Y-%m-%dT%H-%M-%SZ").to_string();
    let mut backup = backup_path(memory_root, &stamp);
    let mut n = 1;
    while std::fs::symlink_metadata(&backup).is_ok() {
        backup = backup_path(memory_root, &format!("{stamp}-{n}"));
        n += 1;
    }
    copy_tree(memory_root, &backup)?;
    Ok(backup)
}

fn backup_path(memory_root: &Path, stamp: &str) -> PathBuf {
    let name = memory_root
        .file_name()
        .map_or_else(|| "memories".into(), |name| name.to_string_lossy());
    memory_root.with_file_name(format!("{name}{BACKUP_PREFIX}{stamp}"))
}

fn backup_hint(memory_root: &Path) -> PathBuf {
    backup_path(memory_root, "<time>")
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            copy_symlink(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn copy_symlink(from: &Path, to: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
}

#[cfg(not(unix))]
fn copy_symlink(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Who made the HEAD commit of `root/.git`, read without the user's git configuration.
pub fn last_writer(root: &Path) -> FolderWriter {
    let git_dir = root.join(".git");
    if !git_dir.is_dir() {
        return FolderWriter::Nobody;
    }
    let Ok(repo) = gix::open_opts(&git_dir, gix::open::Options::isolated()) else {
        return FolderWriter::Nobody;
    };
    let Ok(commit) = repo.head_commit() else {
        return FolderWriter::Nobody;
    };
    let Ok(author) = commit.author() else {
        return FolderWriter::Nobody;
    };
    let time_unix_seconds = commit.time().map_or(0, |time| time.seconds);
    let email = author.email.to_string();
    if email.eq_ignore_ascii_case(CODEX_BASELINE_EMAIL) {
        FolderWriter::Codex { time_unix_seconds }
    } else if email.eq_ignore_ascii_case(OUR_BASELINE_EMAIL) {
        FolderWriter::CodexMemories { time_unix_seconds }
    } else {
        FolderWriter::Other {
            author: format!("{} <{email}>", author.name),
            time_unix_seconds,
        }
    }
}

/// Traces of Codex's pipeline in the home: its lock, its memories databases, its `v2` baseline.
fn codex_traces(codex_home: &Path) -> Vec<PathBuf> {
    let mut traces = Vec::new();
    let lock = codex_home.join(CODEX_LOCK_FILE);
    if lock.exists() {
        traces.push(lock);
    }
    if let Ok(entries) = std::fs::read_dir(codex_home) {
        let mut databases: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.starts_with("memories_") && name.ends_with(".sqlite")
            })
            .map(|entry| entry.path())
            .collect();
        databases.sort();
        traces.extend(databases);
    }
    let v2_baseline = codex_home.join(CODEX_V2_FOLDER).join(CODEX_V2_BASELINE_DIR);
    if v2_baseline.is_dir() {
        traces.push(v2_baseline);
    }
    traces
}

/// Whether two paths name the same folder (by their canonical forms where they exist, else
/// textually after the existing parent is canonicalised).
fn same_folder(a: &Path, b: &Path) -> bool {
    normalise(a) == normalise(b)
}

fn normalise(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => parent
            .canonicalize()
            .map_or_else(|_| path.to_path_buf(), |parent| parent.join(name)),
        _ => path.to_path_buf(),
    }
}

/// `YYYY-MM-DD HH:MM UTC` for messages.
pub(crate) fn utc(unix_seconds: i64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(unix_seconds, 0).map_or_else(
        || unix_seconds.to_string(),
        |time| time.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

#[cfg(test)]
#[path = "codex_native_tests.rs"]
mod tests;
