//! Preparing a run's provider from what is known about its endpoint, and keeping what the run
//! learned: the structured-output way the endpoint accepts (under `auto`, an earlier run's
//! finding is the starting point) and, for `chat`, the context window the server reports
//! (asked once per run; else the remembered one; else [`DEFAULT_CHAT_CONTEXT_WINDOW`]). Stored in
//! the memories DB per endpoint URL and model.

use codex_state::{EndpointProfile, MemoryStore, StateError};

use super::chat::DEFAULT_CHAT_CONTEXT_WINDOW;
use super::discovery::discover_context_window;
use super::settings::ResolvedProvider;
use super::structured::{StructuredOutput, StructuredOutputSetting};
use super::{ProviderKind, http};

/// Where the context window of a run came from, for the note the CLI prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedProvider {
    /// The context window used, in tokens, when the provider has one.
    pub context_window: Option<u64>,
    /// How it was decided, in words (`the server's /props`, `--context-window`, …).
    pub context_window_source: String,
    /// The structured-output way requests start with.
    pub structured_output: Option<StructuredOutput>,
}

/// The key a provider's endpoint is remembered under: its request URL and model.
fn endpoint_key(resolved: &ResolvedProvider) -> Option<(String, String)> {
    let base = resolved.config.effective_base_url()?;
    let path = match resolved.config.kind {
        ProviderKind::Chat => "chat/completions",
        ProviderKind::OpenAi => "responses",
        ProviderKind::Offline => return None,
    };
    let model = resolved.config.model_name().unwrap_or_default().to_string();
    Some((http::endpoint(base, path), model))
}

/// Applies what the memories DB remembers about the endpoint and asks a `chat` server for its
/// context window when none is configured.
pub async fn prepare_provider(
    store: &MemoryStore,
    resolved: &mut ResolvedProvider,
) -> Result<PreparedProvider, StateError> {
    let Some((endpoint, model)) = endpoint_key(resolved) else {
        return Ok(PreparedProvider {
            context_window: None,
            context_window_source: "no model".to_string(),
            structured_output: None,
        });
    };
    let remembered = store.endpoint_profile(&endpoint, &model).await?;
    let config = &mut resolved.config;
    if config.structured_output.is_adaptive()
        && let Some(format) = remembered
            .as_ref()
            .and_then(|profile| profile.structured_output.as_deref())
            .and_then(StructuredOutput::parse)
    {
        config.structured_output = StructuredOutputSetting::auto_from(format);
    }
    let source = if config.context_window.is_some() {
        "the settings (--context-window / context_window)".to_string()
    } else if config.kind != ProviderKind::Chat {
        "the table of known models".to_string()
    } else if let Some((window, source)) = discover_context_window(config).await {
        config.context_window = Some(window);
        format!("the server's {}", source.endpoint())
    } else if let Some(window) = remembered
        .as_ref()
        .and_then(|profile| profile.context_window)
    {
        config.context_window = Some(window);
        "what the server reported on an earlier run".to_string()
    } else {
        config.context_window = Some(DEFAULT_CHAT_CONTEXT_WINDOW);
        "the default for chat servers that do not report one (set --context-window)".to_string()
    };
    Ok(PreparedProvider {
        context_window: config.context_window,
        context_window_source: source,
        structured_output: Some(config.structured_output.current()),
    })
}

/// Stores what the run ended up knowing about the endpoint (only what `auto` learned, and the
/// context window a `chat` server reported).
pub async fn remember_provider(
    store: &MemoryStore,
    resolved: &ResolvedProvider,
    prepared: &PreparedProvider,
) -> Result<(), StateError> {
    let Some((endpoint, model)) = endpoint_key(resolved) else {
        return Ok(());
    };
    let config = &resolved.config;
    let learned_format = config
        .structured_output
        .is_adaptive()
        .then(|| config.structured_output.current().as_str().to_string());
    let source = &prepared.context_window_source;
    let reported_window = (source.starts_with("the server's")
        || source.starts_with("what the server reported"))
    .then_some(prepared.context_window)
    .flatten();
    if learned_format.is_none() && reported_window.is_none() {
        return Ok(());
    }
    store
        .record_endpoint_profile(
            &endpoint,
            &model,
            &EndpointProfile {
                structured_output: learned_format,
                context_window: reported_window,
            },
        )
        .await
}
