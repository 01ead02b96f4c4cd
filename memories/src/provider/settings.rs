//! The one resolver from what the user said — command-line overrides, the config files, the
//! environment — to the provider settings of a run: which provider, where, which model, which key
//! variable, how many requests at once, the structured-output mode, the context window and the
//! deadline. The key rule lives in [`ProviderConfig::api_key_env_name`]: `OPENAI_API_KEY` goes only
//! to the OpenAI API itself; any other base URL gets a key only from a variable the user named.

use std::time::Duration;

use super::ProviderError;
use super::config::{DEFAULT_OPENAI_API_KEY_ENV, ProviderConfig, ProviderKind, resolve_kind};
use super::structured::{StructuredOutput, StructuredOutputSetting};
use crate::config::MemoriesConfig;

/// Requests in flight at once against a `chat` server on this machine: local servers usually
/// have one slot, and llama.cpp cuts a running stream short when a second request arrives.
pub const LOCAL_CHAT_CONCURRENCY: usize = 1;
/// Requests in flight at once otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// What the command line asked for; every `Some` wins over the config files.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ProviderOverrides {
    /// `--provider`.
    pub provider: Option<ProviderKind>,
    /// `--model`.
    pub model: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--api-key-env`.
    pub api_key_env: Option<String>,
    /// `--context-window`.
    pub context_window: Option<u64>,
    /// `--structured-output`: `None` inside means `auto`.
    pub structured_output: Option<Option<StructuredOutput>>,
    /// `--concurrency`.
    pub concurrency: Option<u32>,
    /// `--request-timeout`, in seconds.
    pub request_timeout_seconds: Option<u64>,
}

impl ProviderOverrides {
    /// `--provider`.
    #[must_use]
    pub fn with_provider(mut self, provider: Option<ProviderKind>) -> Self {
        self.provider = provider;
        self
    }

    /// `--model`.
    #[must_use]
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model = model;
        self
    }

    /// `--base-url`.
    #[must_use]
    pub fn with_base_url(mut self, base_url: Option<String>) -> Self {
        self.base_url = base_url;
        self
    }

    /// `--api-key-env`.
    #[must_use]
    pub fn with_api_key_env(mut self, api_key_env: Option<String>) -> Self {
        self.api_key_env = api_key_env;
        self
    }

    /// `--context-window`.
    #[must_use]
    pub fn with_context_window(mut self, context_window: Option<u64>) -> Self {
        self.context_window = context_window;
        self
    }

    /// `--structured-output`: `None` inside means `auto`.
    #[must_use]
    pub fn with_structured_output(
        mut self,
        structured_output: Option<Option<StructuredOutput>>,
    ) -> Self {
        self.structured_output = structured_output;
        self
    }

    /// `--concurrency`.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: Option<u32>) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// `--request-timeout`, in seconds.
    #[must_use]
    pub fn with_request_timeout_seconds(mut self, request_timeout_seconds: Option<u64>) -> Self {
        self.request_timeout_seconds = request_timeout_seconds;
        self
    }
}

/// Which phase the model serves (they may use different models).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelRole {
    /// Phase 1: `extract_model`.
    Extraction,
    /// Phase 2: `consolidation_model`.
    Consolidation,
}

/// The settings of one run's provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedProvider {
    /// The client settings.
    pub config: ProviderConfig,
    /// Model requests in flight at once.
    pub concurrency: usize,
}

impl ResolvedProvider {
    /// The host (and port) transcripts are sent to when it is not this machine; `None` for the
    /// offline provider and for loopback URLs.
    pub fn remote_host(&self) -> Option<String> {
        let url = self.config.effective_base_url()?;
        let host = host_of(url)?;
        (!is_loopback_host(&host)).then_some(host)
    }
}

/// Resolves the provider settings: overrides, then `file` (our settings file over Codex's
/// table), then the defaults. `env` reads environment variables (only to see whether a key is
/// set when no provider is named: then `openai` is chosen if one is, else `offline`).
pub fn resolve_provider(
    overrides: &ProviderOverrides,
    file: &MemoriesConfig,
    role: ModelRole,
    env: impl Fn(&str) -> Option<String>,
) -> Result<ResolvedProvider, ProviderError> {
    let explicit = match overrides.provider {
        Some(kind) => Some(kind),
        None => file.provider.as_deref().map(str::parse).transpose()?,
    };
    let api_key_env = overrides
        .api_key_env
        .clone()
        .or_else(|| file.api_key_env.clone())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty());
    let key_set = |name: &str| env(name).is_some_and(|key| !key.trim().is_empty());
    let env_has_key = match api_key_env.as_deref() {
        Some(name) => key_set(name),
        None => key_set(DEFAULT_OPENAI_API_KEY_ENV),
    };
    let mut config = ProviderConfig::new(resolve_kind(explicit, env_has_key));
    config.base_url = overrides.base_url.clone().or_else(|| file.base_url.clone());
    config.api_key_env = api_key_env;
    config.model = overrides.model.clone().or_else(|| match role {
        ModelRole::Extraction => file.extract_model.clone(),
        ModelRole::Consolidation => file.consolidation_model.clone(),
    });
    config.context_window = overrides.context_window.or(file.context_window);
    config.reasoning_effort = file.reasoning_effort.clone();
    if let Some(seconds) = overrides
        .request_timeout_seconds
        .or(file.request_timeout_seconds)
    {
        config.request_deadline = Duration::from_secs(seconds.max(1));
    }
    let structured = match &overrides.structured_output {
        Some(choice) => *choice,
        None => match file.structured_output.as_deref() {
            None | Some("auto") => None,
            Some(name) => Some(StructuredOutput::parse(name).ok_or_else(|| {
                ProviderError::Config(format!(
                    "unknown structured_output `{name}`: expected auto, json_schema, json_object or none"
                ))
            })?),
        },
    };
    config.structured_output = match structured {
        Some(mode) => StructuredOutputSetting::fixed(mode),
        None => StructuredOutputSetting::default(),
    };
    let mut resolved = ResolvedProvider {
        config,
        concurrency: DEFAULT_CONCURRENCY,
    };
    resolved.concurrency = match overrides.concurrency.or(file.concurrency) {
        Some(n) => n.max(1) as usize,
        None if resolved.config.kind == ProviderKind::Chat && resolved.remote_host().is_none() => {
            LOCAL_CHAT_CONCURRENCY
        }
        None => DEFAULT_CONCURRENCY,
    };
    Ok(resolved)
}

/// `host[:port]` of an absolute URL.
fn host_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url.trim()).ok()?;
    let host = parsed.host_str()?.to_string();
    Some(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Whether `host` (as `host_of` gives it) names this machine's loopback interface.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        // `[::1]:8080` keeps its brackets; a bare IPv6 address has no port here.
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) && !name.is_empty() => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
