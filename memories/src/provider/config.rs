//! The provider settings and building a client from them: which kind (`openai`, `chat`,
//! `offline`), where it lives, which model, which env var holds the key, the timeouts, the
//! structured-output mode and the model's context window. Two invariants: a default OpenAI model
//! id is only ever sent to the default OpenAI base URL, and `OPENAI_API_KEY` only ever goes to
//! that URL too — any other server gets a key only from a variable the user named.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::chat::ChatClient;
use super::http::ApiKey;
use super::openai::OpenAiClient;
use super::retry::RetryGate;
use super::structured::StructuredOutputSetting;
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
/// The longest one model request may take, from sending to the last byte of its answer.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(600);
/// How a missing model is explained: the settings that name it.
pub const MODEL_SETTING_NAMES: &str = "--model / extract_model in codex-memories.toml";

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
                "unknown provider `{other}` (--provider / provider in codex-memories.toml): expected openai, chat or offline"
            ))),
        }
    }
}

/// The provider settings after config file and flags were merged. Another crate makes one with
/// [`ProviderConfig::new`] and the `with_*` setters (more settings may come).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// Which provider.
    pub kind: ProviderKind,
    /// The server's base URL (`…/v1`); `None` is the OpenAI API for `openai`, required for `chat`.
    pub base_url: Option<String>,
    /// The model; required unless `openai` talks to the default base URL.
    pub model: Option<String>,
    /// The env var holding the API key, named by the user. Unnamed, only `openai` at the
    /// default OpenAI base URL reads `OPENAI_API_KEY`; everything else sends no key.
    pub api_key_env: Option<String>,
    /// How long establishing a connection may take.
    pub connect_timeout: Duration,
    /// The longest silence accepted before headers or between stream chunks.
    pub idle_timeout: Duration,
    /// The longest one request may take, from sending to the end of its answer.
    pub request_deadline: Duration,
    /// The model's context window in tokens, overriding the table of known models.
    pub context_window: Option<u64>,
    /// How the answer's JSON shape is asked for, and what the endpoint was found to accept.
    pub structured_output: StructuredOutputSetting,
    /// Reasoning effort sent with every request when set; unset, only models known to take
    /// one get the request's own effort (and `chat` never does).
    pub reasoning_effort: Option<String>,
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
            request_deadline: REQUEST_DEADLINE,
            context_window: None,
            structured_output: StructuredOutputSetting::default(),
            reasoning_effort: None,
        }
    }

    /// At `base_url` (`…/v1`); `None` is the OpenAI API for `openai`, and `chat` needs one.
    #[must_use]
    pub fn with_base_url(mut self, base_url: Option<String>) -> Self {
        self.base_url = base_url;
        self
    }

    /// Asking for `model`; `None` is allowed only for `openai` at the default base URL.
    #[must_use]
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model = model;
        self
    }

    /// Reading the API key from the env var `api_key_env` (see [`Self::api_key_env_name`]).
    #[must_use]
    pub fn with_api_key_env(mut self, api_key_env: Option<String>) -> Self {
        self.api_key_env = api_key_env;
        self
    }

    /// Giving up on establishing a connection after `connect_timeout`.
    #[must_use]
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Giving up after `idle_timeout` of silence before headers or between stream chunks.
    #[must_use]
    pub fn with_idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }

    /// Giving up on one request after `request_deadline`, from sending to the end of its answer.
    #[must_use]
    pub fn with_request_deadline(mut self, request_deadline: Duration) -> Self {
        self.request_deadline = request_deadline;
        self
    }

    /// With a context window of `context_window` tokens, overriding the table of known models.
    #[must_use]
    pub fn with_context_window(mut self, context_window: Option<u64>) -> Self {
        self.context_window = context_window;
        self
    }

    /// Asking for the answer's JSON shape as `structured_output` says.
    #[must_use]
    pub fn with_structured_output(mut self, structured_output: StructuredOutputSetting) -> Self {
        self.structured_output = structured_output;
        self
    }

    /// Sending `reasoning_effort` with every request (`None`: only to models known to take one).
    #[must_use]
    pub fn with_reasoning_effort(mut self, reasoning_effort: Option<String>) -> Self {
        self.reasoning_effort = reasoning_effort;
        self
    }

    /// The env var the key is read from, if any: the one the user named, else
    /// `OPENAI_API_KEY` for `openai` at the default OpenAI base URL, else none — so a key only
    /// ever goes to the host it was made for.
    pub fn api_key_env_name(&self) -> Option<&str> {
        match self.api_key_env.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => Some(name),
            _ if self.kind == ProviderKind::OpenAi && self.uses_default_openai_url() => {
                Some(DEFAULT_OPENAI_API_KEY_ENV)
            }
            _ => None,
        }
    }

    /// The configured base URL, when one is named (blank counts as none).
    pub fn base_url_value(&self) -> Option<&str> {
        self.base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
    }

    /// Whether requests go to the OpenAI API itself (no base URL, or exactly the default one).
    pub fn uses_default_openai_url(&self) -> bool {
        self.base_url_value().is_none_or(|url| {
            url.trim_end_matches('/') == DEFAULT_OPENAI_BASE_URL.trim_end_matches('/')
        })
    }

    /// The base URL requests go to (`None` for `offline`, and for `chat` without one).
    pub fn effective_base_url(&self) -> Option<&str> {
        match self.kind {
            ProviderKind::Offline => None,
            ProviderKind::OpenAi => Some(self.base_url_value().unwrap_or(DEFAULT_OPENAI_BASE_URL)),
            ProviderKind::Chat => self.base_url_value(),
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

/// Builds the configured client, reading the API key (see
/// [`ProviderConfig::api_key_env_name`]) from the process environment. The offline client is
/// built by `offline` (it lives with the extraction code).
pub fn build_client(
    config: &ProviderConfig,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    build_with(config, None, |name| std::env::var(name).ok(), offline)
}

/// Like [`build_client`], with `gate` asked before every transport retry of the network
/// clients (the run budget passes one so retries count as requests).
pub fn build_client_gated(
    config: &ProviderConfig,
    gate: RetryGate,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    build_with(config, Some(gate), |name| std::env::var(name).ok(), offline)
}

/// [`build_client`] with the environment lookup injected (tests, hosts with their own
/// secrets). Only the variable [`ProviderConfig::api_key_env_name`] names is looked up.
pub fn build_client_with_env(
    config: &ProviderConfig,
    env: impl Fn(&str) -> Option<String>,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    build_with(config, None, env, offline)
}

fn build_with(
    config: &ProviderConfig,
    gate: Option<RetryGate>,
    env: impl Fn(&str) -> Option<String>,
    offline: impl FnOnce() -> Arc<dyn ModelClient>,
) -> Result<Arc<dyn ModelClient>, ProviderError> {
    let key = config
        .api_key_env_name()
        .and_then(env)
        .and_then(ApiKey::new);
    if key.is_none()
        && let Some(name) = config.api_key_env.as_deref().map(str::trim)
        && !name.is_empty()
        && config.kind != ProviderKind::Offline
    {
        return Err(ProviderError::Config(format!(
            "the API key variable {name} (--api-key-env / api_key_env) is not set or is empty"
        )));
    }
    match config.kind {
        ProviderKind::OpenAi => {
            let client = OpenAiClient::new(config, key)?;
            Ok(Arc::new(match gate {
                Some(gate) => client.with_retry_gate(gate),
                None => client,
            }))
        }
        ProviderKind::Chat => {
            let client = ChatClient::new(config, key)?;
            Ok(Arc::new(match gate {
                Some(gate) => client.with_retry_gate(gate),
                None => client,
            }))
        }
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
    fn openai_api_key_is_read_only_for_the_default_openai_url() {
        let openai = ProviderConfig::new(ProviderKind::OpenAi);
        assert_eq!(openai.api_key_env_name(), Some("OPENAI_API_KEY"));
        let explicit_default = ProviderConfig {
            base_url: Some("https://api.openai.com/v1/".into()),
            ..openai.clone()
        };
        assert_eq!(explicit_default.api_key_env_name(), Some("OPENAI_API_KEY"));
        let elsewhere = ProviderConfig {
            base_url: Some("https://proxy.example/v1".into()),
            ..openai
        };
        assert_eq!(elsewhere.api_key_env_name(), None);
        let named_elsewhere = ProviderConfig {
            api_key_env: Some("PROXY_KEY".into()),
            ..elsewhere
        };
        assert_eq!(named_elsewhere.api_key_env_name(), Some("PROXY_KEY"));
        let chat = ProviderConfig::new(ProviderKind::Chat);
        assert_eq!(chat.api_key_env_name(), None);
        let chat = ProviderConfig {
            api_key_env: Some("VLLM_KEY".into()),
            ..chat
        };
        assert_eq!(chat.api_key_env_name(), Some("VLLM_KEY"));
    }
}
