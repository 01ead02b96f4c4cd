//! Settings of the memories pipeline, from two files under the Codex home. Codex's own
//! `[memories]` table in `config.toml` is read for the keys Codex defines that mean the same for
//! us (and Codex's other keys are accepted silently); our own keys live in
//! `codex-memories.toml`, a file Codex does not validate, because `codex exec --strict-config`
//! rejects unknown `[memories]` keys. Old settings of ours found in `config.toml` are still read,
//! with one notice saying how to move them; this module never edits either file. Out-of-range
//! numbers are clamped and reported, unknown keys of our file are warned about, a missing file
//! means the defaults, and a value of the wrong type is an error naming the file and key.

mod keys;
mod read;

use std::path::{Path, PathBuf};

use serde::Serialize;

use keys::{KeySource, apply_table};

/// Codex's config file under the Codex home.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// Our own settings file under the Codex home (Codex does not read it).
pub const OWN_CONFIG_FILE_NAME: &str = "codex-memories.toml";
/// Codex's table in `config.toml` whose shared keys we read.
const CODEX_TABLE: &str = "memories";

/// Settings of the memories pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemoriesConfig {
    /// Run phase 1 and phase 2 at all.
    pub generate_memories: bool,
    /// Inject the summary into new sessions (the read path).
    pub use_memories: bool,
    /// Sessions extracted per run (1..=128).
    pub max_rollouts_per_startup: u32,
    /// Sessions older than this are not extracted, in days (0..=90).
    pub max_rollout_age_days: u32,
    /// Sessions idle for less than this are not extracted yet, in hours (1..=48).
    pub min_rollout_idle_hours: u32,
    /// Raw memories consolidated at most (1..=4096).
    pub max_raw_memories_for_consolidation: u32,
    /// Memories unused for this long drop out of consolidation, in days (0..=365).
    pub max_unused_days: u32,
    /// Model for phase 1.
    pub extract_model: Option<String>,
    /// Model for phase 2.
    pub consolidation_model: Option<String>,
    /// `openai`, `chat` or `offline`.
    pub provider: Option<String>,
    /// The provider's base URL.
    pub base_url: Option<String>,
    /// Environment variable holding the API key (needed for any base URL but OpenAI's own).
    pub api_key_env: Option<String>,
    /// `agent` or `offline`.
    pub consolidator: Option<String>,
    /// Concurrent extractions (1..=64); `None`: 1 for `chat` on a loopback URL, else 8.
    pub concurrency: Option<u32>,
    /// The model's context window in tokens; `None`: known models, the server, else 8 192.
    pub context_window: Option<u64>,
    /// `auto`, `json_schema`, `json_object` or `none`.
    pub structured_output: Option<String>,
    /// Reasoning effort sent to every model (`None`: only to models known to take it).
    pub reasoning_effort: Option<String>,
    /// The longest one model request may take, in seconds.
    pub request_timeout_seconds: Option<u64>,
    /// Model requests allowed per run (None: unbounded).
    pub max_requests_per_run: Option<u64>,
    /// Input tokens allowed per run (None: unbounded).
    pub max_input_tokens_per_run: Option<u64>,
    /// The memory folder, when not `<codex home>/memories` (relative: to the Codex home).
    pub memory_dir: Option<std::path::PathBuf>,
}

impl Default for MemoriesConfig {
    fn default() -> Self {
        Self {
            generate_memories: true,
            use_memories: true,
            max_rollouts_per_startup: 16,
            max_rollout_age_days: 30,
            min_rollout_idle_hours: 6,
            max_raw_memories_for_consolidation: 256,
            max_unused_days: 30,
            extract_model: None,
            consolidation_model: None,
            provider: None,
            base_url: None,
            api_key_env: None,
            consolidator: None,
            concurrency: None,
            context_window: None,
            structured_output: None,
            reasoning_effort: None,
            request_timeout_seconds: None,
            max_requests_per_run: None,
            max_input_tokens_per_run: None,
            memory_dir: None,
        }
    }
}

/// Something in the config worth telling the user, without failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigWarning {
    /// The key, e.g. `memories.max_unused_days` or `codex-memories.toml:provider`.
    pub key: String,
    /// What happened, e.g. `500 is above 365; using 365`.
    pub message: String,
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{} is not valid TOML: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A key has the wrong type.
    #[error("{}: `{key}` must be {expected}", path.display())]
    Type {
        /// The file.
        path: PathBuf,
        /// The key as written in that file (`memories.x` in config.toml, `x` in ours).
        key: String,
        /// What it must be.
        expected: String,
    },
}

/// Reads `config.toml`'s `[memories]` table, then `codex-memories.toml` over it; missing files
/// give the defaults.
pub fn load_config(codex_home: &Path) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
    let codex_path = codex_home.join(CONFIG_FILE_NAME);
    let own_path = codex_home.join(OWN_CONFIG_FILE_NAME);
    let codex_text = read_optional(&codex_path)?;
    let own_text = read_optional(&own_path)?;
    parse_configs(
        (&codex_path, codex_text.as_deref()),
        (&own_path, own_text.as_deref()),
    )
}

/// Parses Codex's config text (only its `[memories]` table) and then our own file's text over
/// it. A `None` text is a missing file; the paths are only used in messages.
pub fn parse_configs(
    codex: (&Path, Option<&str>),
    own: (&Path, Option<&str>),
) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
    let mut config = MemoriesConfig::default();
    let mut warnings = Vec::new();
    let mut moved = Vec::new();
    if let (path, Some(text)) = codex {
        let document = parse_toml(path, text)?;
        if let Some(table) = document.get(CODEX_TABLE) {
            let Some(table) = table.as_table() else {
                return Err(ConfigError::Type {
                    path: path.to_path_buf(),
                    key: CODEX_TABLE.to_string(),
                    expected: "a table ([memories])".to_string(),
                });
            };
            moved = apply_table(
                table,
                &KeySource::CodexTable { path },
                &mut config,
                &mut warnings,
            )?;
        }
    }
    if !moved.is_empty() {
        warnings.push(move_notice(codex.0, own.0, &moved));
    }
    if let (path, Some(text)) = own {
        let document = parse_toml(path, text)?;
        apply_table(
            &document,
            &KeySource::OwnFile { path },
            &mut config,
            &mut warnings,
        )?;
    }
    Ok((config, warnings))
}

/// The one line that says our settings sit in Codex's table and how to move them.
fn move_notice(codex_path: &Path, own_path: &Path, keys: &[String]) -> ConfigWarning {
    ConfigWarning {
        key: keys
            .iter()
            .map(|key| format!("{CODEX_TABLE}.{key}"))
            .collect::<Vec<_>>()
            .join(", "),
        message: format!(
            "codex-memories settings in {} are read for now, but Codex rejects them under \
             --strict-config; move them (same names, top level) to {} and delete them from [{CODEX_TABLE}]",
            codex_path.display(),
            own_path.display()
        ),
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn parse_toml(path: &Path, text: &str) -> Result<toml::Table, ConfigError> {
    text.parse()
        .map_err(|error: toml::de::Error| ConfigError::Parse {
            path: path.to_path_buf(),
            message: error.to_string(),
        })
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
