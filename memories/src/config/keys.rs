//! Which key means what, and where it may live. Codex's `[memories]` keys that mean the same for
//! us are read from either file; Codex's other keys are accepted silently in its table; our own
//! keys belong in `codex-memories.toml` and are still read from Codex's table (returned so the
//! caller can say how to move them). Unknown keys are Codex's business in its table and a
//! warning in ours.

use std::path::Path;

use super::read::ValueReader;
use super::{ConfigError, ConfigWarning, MemoriesConfig};

/// Keys Codex 0.169 defines in `[memories]` that mean nothing to us.
pub(super) const CODEX_ONLY_KEYS: &[&str] = &[
    "version",
    "dual_write",
    "dedicated_tools",
    "disable_on_external_context",
    "consolidation_service_tier",
    "min_rate_limit_remaining_percent",
];

/// Our own keys: never in Codex's table.
pub(super) const OWN_KEYS: &[&str] = &[
    "provider",
    "base_url",
    "api_key_env",
    "concurrency",
    "context_window",
    "structured_output",
    "reasoning_effort",
    "request_timeout_seconds",
    "max_requests_per_run",
    "max_input_tokens_per_run",
    "consolidator",
    "memory_dir",
];

/// The values `structured_output` takes.
pub const STRUCTURED_OUTPUT_CHOICES: &[&str] = &["auto", "json_schema", "json_object", "none"];
/// The largest context window accepted, in tokens.
const MAX_CONTEXT_WINDOW_TOKENS: u64 = 10_000_000;
/// The smallest context window accepted, in tokens.
const MIN_CONTEXT_WINDOW_TOKENS: u64 = 1024;
/// The longest request timeout accepted, in seconds.
const MAX_REQUEST_TIMEOUT_SECONDS: u64 = 24 * 3600;

/// Where a table comes from.
pub(super) enum KeySource<'a> {
    /// `[memories]` of Codex's `config.toml`.
    CodexTable { path: &'a Path },
    /// The top level of `codex-memories.toml`.
    OwnFile { path: &'a Path },
}

/// Applies every key of `table` to `config`; returns our own keys found in Codex's table.
pub(super) fn apply_table(
    table: &toml::Table,
    source: &KeySource<'_>,
    config: &mut MemoriesConfig,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Vec<String>, ConfigError> {
    let (path, prefix, in_codex_table) = match source {
        KeySource::CodexTable { path } => (*path, "memories.", true),
        KeySource::OwnFile { path } => (*path, "", false),
    };
    let mut reader = ValueReader {
        path,
        prefix,
        warnings,
    };
    let mut moved = Vec::new();
    for (key, value) in table {
        let key = key.as_str();
        if in_codex_table && OWN_KEYS.contains(&key) {
            moved.push(key.to_string());
        }
        match key {
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
            "extract_model" => config.extract_model = Some(reader.string(key, value)?),
            "consolidation_model" => config.consolidation_model = Some(reader.string(key, value)?),
            "concurrency" => config.concurrency = Some(reader.ranged(key, value, 1, 64)?),
            "context_window" => {
                config.context_window = Some(reader.ranged_u64(
                    key,
                    value,
                    MIN_CONTEXT_WINDOW_TOKENS,
                    MAX_CONTEXT_WINDOW_TOKENS,
                )?)
            }
            "structured_output" => {
                config.structured_output =
                    Some(reader.choice(key, value, STRUCTURED_OUTPUT_CHOICES)?)
            }
            "reasoning_effort" => {
                config.reasoning_effort =
                    Some(reader.choice(key, value, &["minimal", "low", "medium", "high"])?)
            }
            "request_timeout_seconds" => {
                config.request_timeout_seconds =
                    Some(reader.ranged_u64(key, value, 1, MAX_REQUEST_TIMEOUT_SECONDS)?)
            }
            "max_requests_per_run" => {
                config.max_requests_per_run =
                    Some(u64::from(reader.ranged(key, value, 1, u32::MAX)?))
            }
            "max_input_tokens_per_run" => {
                config.max_input_tokens_per_run = Some(reader.positive_u64(key, value)?);
            }
            "provider" => {
                config.provider = Some(reader.choice(key, value, &["openai", "chat", "offline"])?)
            }
            "consolidator" => {
                config.consolidator =
                    Some(reader.choice(key, value, &["agent", "single-shot", "offline"])?)
            }
            "base_url" => config.base_url = Some(reader.string(key, value)?),
            "memory_dir" => config.memory_dir = Some(reader.string(key, value)?.into()),
            "api_key_env" => config.api_key_env = Some(reader.string(key, value)?),
            // Codex's own keys, and keys a newer Codex may add, are Codex's to validate.
            _ if in_codex_table => {}
            other if CODEX_ONLY_KEYS.contains(&other) => reader.unknown(
                other,
                "a key of Codex's own [memories] table that codex-memories does not use; ignored",
            ),
            other => reader.unknown(other, "unknown key; ignored"),
        }
    }
    Ok(moved)
}
