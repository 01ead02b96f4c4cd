//! Choosing and building a model provider from settings: which kind (`openai`, `chat`,
//! `offline`), where it lives, which model, which env var holds the key, the timeouts, and the
//! model's context window. The invariant: a default OpenAI model id is only ever sent to the
//! default OpenAI base URL; any other server needs a model named by the user.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::chat::ChatClient;
use super::http::ApiKey;
use super::openai::OpenAiClient;
use super::retry::RetryGate;
use super::{ModelClient, ProviderError};

/// The OpenAI API.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Where the `openai` provider finds its key unless configured otherwise.
pub const DEFAULT_OPENAI_API_KEY_ENV: &str = "OPENAI_API_KEY";
/// The model used against the default OpenAI base URL when none is configured.
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-5.1-codex-mini";
/// How long establishing a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest silence accepted while waiting for response headers or between stream chunks.
pub const IDLE_STREAM_TIMEOUT: Duration = Duration::from_secs(300);
/// How a missing model is explained: the settings that name it.
pub const MODEL_SETTING_NAMES: &str = "--model / [memories] extract_model";

/// Which built-in provider to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    /// The OpenAI Responses API.
    OpenAi,
    /// A Chat-Completions-compatible server (Ollama, vLLM, llama.cpp, LM Studio).
    Chat,
    /// No network: the deterministic extractive summariser.
    Offline,
}

impl ProviderKind {
    /// The name used in settings and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Chat => "chat",
            Self::Offline => "offline",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ProviderError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(Self::OpenAi),
            "chat" => Ok(Self::Chat),
            "offline" => Ok(Self::Offline),
            other => Err(ProviderError::Config(format!(
                "unknown provider `{other}` (--provider / [memories] provider): expected openai, chat or offline"
            ))),
        }
    }
}

/// The provider settings after config file and flags were merged.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderConfig {
    /// Which provider.
    pub kind: ProviderKind,
    /// The server's base URL (`…/v1`); `None` is the OpenAI API for `openai`, required for `chat`.
    pub base_url: Option<String>,
    /// The model; required unless `openai` talks to the default base URL.
    pub model: Option<String>,
    /// The env var holding the API key; `openai` defaults to `OPENAI_API_KEY`, `chat` to none.
    pub api_key_env: Option<String>,
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// The longest silence accepted before headers or between stream chunks.
    pub idle_timeout: Duration,
    /// The model's context window in tokens, overriding the table of known models.
    pub context_window: Option<u64>,
}

impl ProviderConfig {
    /// Settings for `kind` with every option at its default.
    pub fn new(kind: ProviderKind) -> Self {
        Self {
            kind,
            base_url: None,
            model: None,
            api_key_env: None,
            connect_timeout: CONNECT_TIMEOUT,
            idle_timeout: IDLE_STREAM_TIMEOUT,
            context_window: None,
        }
    }

    /// The env var the key is read from, if this provider uses one.
    pub fn api_key_env_name(&self) -> Option<&str> {
        match (self.kind, self.api_key_env.as_deref()) {
            (_, Some(name)) if !name.trim().is_empty() => Some(name.trim()),
            (ProviderKind::OpenAi, _) => Some(DEFAULT_OPENAI_API_KEY_ENV),
            _ => None,
        }
    }

    /// The configured model, when one is named (blank counts as none).
    pub fn model_name(&self) -> Option<&str> {
        self.model
            .as_deref()
            .map(str::trim)
            .filter(|model| !model.is_empty())
    }
}

/// Picks the provider: the explicit choice, else `openai` when an OpenAI key is in the
/// environment, else `offline` (so nothing is sent anywhere unless the user set something up).
pub fn resolve_kind(explicit: Option<ProviderKind>, env_has_key: bool) -> ProviderKind {
    match explicit {
        Some(kind) => kind,
        None if env_has_key => ProviderKind::OpenAi,
        None => ProviderKind::Offline,
    }
}

/// The context window of a known OpenAI model, by name prefix.
pub fn known_context_window(model: &str) -> Option<u64> {
    const KNOWN: &[(&str, u64)] = &[
        ("gpt-5", 272_000),
        ("gpt-4.1", 1_047_576),
        ("gpt-4o", 128_000),
        ("o3", 200_000),
        ("o4-mini", 200_000),
        ("codex-mini", 200_000),
    ];
    KNOWN
        .iter()
        .find(|(prefix, _)| model.starts_with(prefix))
        .map(|&(_, window)| window)
}

/// Builds the configured client, reading the API key from the process environment. The
/// offline client is built by `offline` (it lives with the extraction code).
pub fn build_client(
    config: &ProviderConfig,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    build_client_with_env(config, |name| std::env::var(name).ok(), offline)
}

/// Like [`build_client`], with `gate` asked before every transport retry of the network
/// clients (the run budget passes one so retries count as requests).
pub fn build_client_gated(
    config: &ProviderConfig,
    gate: RetryGate,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    let key = config
        .api_key_env_name()
        .and_then(|name| std::env::var(name).ok())
        .and_then(ApiKey::new);
    match config.kind {
        ProviderKind::OpenAi => Ok(Arc::new(
            OpenAiClient::new(config, key)?.with_retry_gate(gate),
        )),
        ProviderKind::Chat => Ok(Arc::new(
            ChatClient::new(config, key)?.with_retry_gate(gate),
        )),
        ProviderKind::Offline => Ok(offline()),
    }
}

/// [`build_client`] with the environment lookup injected (tests, hosts with their own secrets).
pub fn build_client_with_env(
    config: &ProviderConfig,
    env: impl Fn(&str) -> Option<String>,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    let key = config
        .api_key_env_name()
        .and_then(env)
        .and_then(ApiKey::new);
    match config.kind {
        ProviderKind::OpenAi => Ok(Arc::new(OpenAiClient::new(config, key)?)),
        ProviderKind::Chat => Ok(Arc::new(ChatClient::new(config, key)?)),
        ProviderKind::Offline => Ok(offline()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn provider_kinds_parse_and_display_their_names() {
        for kind in [
            ProviderKind::OpenAi,
            ProviderKind::Chat,
            ProviderKind::Offline,
        ] {
            assert_eq!(kind.to_string().parse::<ProviderKind>().unwrap(), kind);
        }
        assert_eq!(
            " OpenAI ".parse::<ProviderKind>().unwrap(),
            ProviderKind::OpenAi
        );
        let error = "anthropic".parse::<ProviderKind>().unwrap_err().to_string();
        assert!(
            error.contains("anthropic") && error.contains("--provider"),
            "{error}"
        );
    }

    #[test]
    fn offline_is_chosen_only_when_nothing_is_configured_and_no_key_is_set() {
        assert_eq!(resolve_kind(None, false), ProviderKind::Offline);
        assert_eq!(resolve_kind(None, true), ProviderKind::OpenAi);
        assert_eq!(
            resolve_kind(Some(ProviderKind::Chat), true),
            ProviderKind::Chat
        );
        assert_eq!(
            resolve_kind(Some(ProviderKind::Offline), true),
            ProviderKind::Offline
        );
    }

    #[test]
    fn known_models_have_context_windows() {
        assert_eq!(known_context_window("gpt-5.1-codex-mini"), Some(272_000));
        assert_eq!(known_context_window("gpt-4.1-mini"), Some(1_047_576));
        assert_eq!(known_context_window("gpt-4o"), Some(128_000));
        assert_eq!(known_context_window("gpt-oss:20b"), None);
        assert_eq!(known_context_window("llama3.1"), None);
    }

    #[test]
    fn the_key_env_defaults_only_for_openai() {
        let openai = ProviderConfig::new(ProviderKind::OpenAi);
        assert_eq!(openai.api_key_env_name(), Some("OPENAI_API_KEY"));
        let chat = ProviderConfig::new(ProviderKind::Chat);
        assert_eq!(chat.api_key_env_name(), None);
        let chat = ProviderConfig {
            api_key_env: Some("VLLM_KEY".into()),
            ..chat
        };
        assert_eq!(chat.api_key_env_name(), Some("VLLM_KEY"));
    }
}
