//! The `[memories]` table of `<codex_home>/config.toml`: what to generate and use, the limits of a
//! run, and which provider to call. Out-of-range numbers are clamped and reported, unknown keys
//! are warned about, and a missing file means the defaults; a value of the wrong type is an error
//! naming the key. Command-line flags override what is read here.

use std::path::{Path, PathBuf};

use serde::Serialize;

/// The config file under the Codex home.
pub const CONFIG_FILE_NAME: &str = "config.toml";
/// The table read.
const TABLE: &str = "memories";

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
    /// Environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// `agent` or `offline`.
    pub consolidator: Option<String>,
    /// Concurrent extractions (1..=64).
    pub concurrency: u32,
    /// Model requests allowed per run (None: unbounded).
    pub max_requests_per_run: Option<u64>,
    /// Input tokens allowed per run (None: unbounded).
    pub max_input_tokens_per_run: Option<u64>,
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
            concurrency: 8,
            max_requests_per_run: None,
            max_input_tokens_per_run: None,
        }
    }
}

/// Something in the config worth telling the user, without failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigWarning {
    /// The key, e.g. `memories.max_unused_days`.
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
    #[error("{}: `memories.{key}` must be {expected}", path.display())]
    Type {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// What it must be.
        expected: String,
    },
}

/// Reads `<codex_home>/config.toml`; a missing file gives the defaults.
pub fn load_config(codex_home: &Path) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
    let path = codex_home.join(CONFIG_FILE_NAME);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Ok((MemoriesConfig::default(), Vec::new()));
        }
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    parse_config(&path, &text)
}

/// Parses config text (`path` is only used in messages).
pub fn parse_config(
    path: &Path,
    text: &str,
) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
    let document: toml::Table =
        text.parse()
            .map_err(|error: toml::de::Error| ConfigError::Parse {
                path: path.to_path_buf(),
                message: error.to_string(),
            })?;
    let mut config = MemoriesConfig::default();
    let mut warnings = Vec::new();
    let Some(table) = document.get(TABLE) else {
        return Ok((config, warnings));
    };
    let Some(table) = table.as_table() else {
        return Err(ConfigError::Type {
            path: path.to_path_buf(),
            key: String::new(),
            expected: "a table ([memories])".to_string(),
        });
    };
    let mut reader = Reader {
        path,
        warnings: &mut warnings,
    };
    for (key, value) in table {
        match key.as_str() {
            "generate_memories" => config.generate_memories = reader.boolean(key, value)?,
            "use_memories" => config.use_memories = reader.boolean(key, value)?,
            "max_rollouts_per_startup" => {
                config.max_rollouts_per_startup = reader.ranged(key, value, 1, 128)?
            }
            "max_rollout_age_days" => {
                config.max_rollout_age_days = reader.ranged(key, value, 0, 90)?
            }
            "min_rollout_idle_hours" => {
                config.min_rollout_idle_hours = reader.ranged(key, value, 1, 48)?
            }
            "max_raw_memories_for_consolidation" => {
                config.max_raw_memories_for_consolidation = reader.ranged(key, value, 1, 4096)?;
            }
            "max_unused_days" => config.max_unused_days = reader.ranged(key, value, 0, 365)?,
            "concurrency" => config.concurrency = reader.ranged(key, value, 1, 64)?,
            "max_requests_per_run" => {
                config.max_requests_per_run =
                    Some(u64::from(reader.ranged(key, value, 1, u32::MAX)?))
            }
            "max_input_tokens_per_run" => {
                config.max_input_tokens_per_run = Some(reader.positive_u64(key, value)?);
            }
            "extract_model" => config.extract_model = Some(reader.string(key, value)?),
            "consolidation_model" => config.consolidation_model = Some(reader.string(key, value)?),
            "provider" => {
                config.provider = Some(reader.choice(key, value, &["openai", "chat", "offline"])?)
            }
            "consolidator" => {
                config.consolidator = Some(reader.choice(key, value, &["agent", "offline"])?)
            }
            "base_url" => config.base_url = Some(reader.string(key, value)?),
            "api_key_env" => config.api_key_env = Some(reader.string(key, value)?),
            other => reader.warnings.push(ConfigWarning {
                key: format!("{TABLE}.{other}"),
                message: "unknown key; ignored".to_string(),
            }),
        }
    }
    Ok((config, warnings))
}

struct Reader<'a> {
    path: &'a Path,
    warnings: &'a mut Vec<ConfigWarning>,
}

impl Reader<'_> {
    fn type_error(&self, key: &str, expected: impl Into<String>) -> ConfigError {
        ConfigError::Type {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            expected: expected.into(),
        }
    }

    fn boolean(&mut self, key: &str, value: &toml::Value) -> Result<bool, ConfigError> {
        value
            .as_bool()
            .ok_or_else(|| self.type_error(key, "true or false"))
    }

    fn string(&mut self, key: &str, value: &toml::Value) -> Result<String, ConfigError> {
        value
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| self.type_error(key, "a string"))
    }

    fn choice(
        &mut self,
        key: &str,
        value: &toml::Value,
        allowed: &[&str],
    ) -> Result<String, ConfigError> {
        let text = self.string(key, value)?;
        if allowed.contains(&text.as_str()) {
            Ok(text)
        } else {
            Err(self.type_error(key, format!("one of: {}", allowed.join(", "))))
        }
    }

    fn positive_u64(&mut self, key: &str, value: &toml::Value) -> Result<u64, ConfigError> {
        let number = value
            .as_integer()
            .ok_or_else(|| self.type_error(key, "an integer"))?;
        if number < 1 {
            self.warnings.push(ConfigWarning {
                key: format!("{TABLE}.{key}"),
                message: format!("{number} is below 1; using 1"),
            });
        }
        Ok(number.max(1) as u64)
    }

    fn ranged(
        &mut self,
        key: &str,
        value: &toml::Value,
        low: u32,
        high: u32,
    ) -> Result<u32, ConfigError> {
        let number = value
            .as_integer()
            .ok_or_else(|| self.type_error(key, "an integer"))?;
        let clamped = number.clamp(i64::from(low), i64::from(high));
        if clamped != number {
            let side = if number < i64::from(low) {
                "below"
            } else {
                "above"
            };
            let bound = if number < i64::from(low) { low } else { high };
            self.warnings.push(ConfigWarning {
                key: format!("{TABLE}.{key}"),
                message: format!("{number} is {side} {bound}; using {clamped}"),
            });
        }
        Ok(clamped as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> Result<(MemoriesConfig, Vec<ConfigWarning>), ConfigError> {
        parse_config(Path::new("/h/config.toml"), text)
    }

    #[test]
    fn a_missing_table_or_file_gives_the_defaults() {
        assert_eq!(
            parse("model = \"x\"\n").unwrap(),
            (MemoriesConfig::default(), vec![])
        );
        let home = tempfile::tempdir().unwrap();
        assert_eq!(
            load_config(home.path()).unwrap().0,
            MemoriesConfig::default()
        );
    }

    #[test]
    fn values_are_read_and_out_of_range_ones_clamped_and_reported() {
        let (config, warnings) = parse(
            "[memories]\ngenerate_memories = false\nmax_unused_days = 500\nmin_rollout_idle_hours = 0\nprovider = \"chat\"\nextract_model = \"qwen3\"\nsurprise = 1\n",
        )
        .unwrap();
        assert!(!config.generate_memories);
        assert_eq!(config.max_unused_days, 365);
        assert_eq!(config.min_rollout_idle_hours, 1);
        assert_eq!(config.provider.as_deref(), Some("chat"));
        assert_eq!(config.extract_model.as_deref(), Some("qwen3"));
        assert_eq!(
            warnings,
            vec![
                ConfigWarning {
                    key: "memories.max_unused_days".into(),
                    message: "500 is above 365; using 365".into()
                },
                ConfigWarning {
                    key: "memories.min_rollout_idle_hours".into(),
                    message: "0 is below 1; using 1".into()
                },
                ConfigWarning {
                    key: "memories.surprise".into(),
                    message: "unknown key; ignored".into()
                },
            ]
        );
    }

    #[test]
    fn a_wrong_type_is_an_error_naming_the_key_and_file() {
        let error = parse("[memories]\nuse_memories = \"yes\"\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "/h/config.toml: `memories.use_memories` must be true or false"
        );
    }

    #[test]
    fn invalid_toml_names_the_file() {
        let error = parse("[memories\n").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("/h/config.toml is not valid TOML"),
            "{error}"
        );
    }
}
