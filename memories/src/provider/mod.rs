//! Model providers: one request/response shape for every backend, behind the [`ModelClient`]
//! trait (the seam where a host plugs in its own client). Built in: `openai` (Responses API over
//! SSE), `chat` (Chat-Completions-compatible servers) and `offline` (a deterministic extractive
//! summariser, no network). Retries happen only before a response body starts; a stream that
//! ends without completing is an error, never an empty answer. Nothing here logs a request body
//! or a key.

mod chat;
mod config;
mod discovery;
mod endpoint;
mod error;
mod http;
mod offline;
mod openai;
mod profile;
mod request;
mod retry;
mod settings;
mod sse;
mod structured;

pub use chat::{ChatClient, DEFAULT_CHAT_CONTEXT_WINDOW};
pub use config::{
    CONNECT_TIMEOUT, DEFAULT_OPENAI_API_KEY_ENV, DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL,
    IDLE_STREAM_TIMEOUT, ProviderConfig, ProviderKind, REQUEST_DEADLINE, build_client,
    build_client_gated, build_client_with_env, known_context_window, resolve_kind,
};
pub use discovery::{DISCOVERY_TIMEOUT, WindowSource, discover_context_window};
pub use error::ProviderError;
pub use http::ApiKey;
pub use offline::{OFFLINE_MODEL, OfflineClient};
pub use openai::{OpenAiClient, takes_reasoning_effort};
pub use profile::{PreparedProvider, prepare_provider, remember_provider};
pub use request::{
    DEFAULT_MAX_OUTPUT_TOKENS, InputItem, ModelRequest, ModelResponse, OutputSchema, Role,
    ToolCall, ToolSpec, Usage,
};
pub use retry::{MAX_ATTEMPTS, RETRY_AFTER_CAP, RetryGate, RetryPolicy, parse_retry_after};
pub use settings::{
    DEFAULT_CONCURRENCY, LOCAL_CHAT_CONCURRENCY, ModelRole, ProviderOverrides, ResolvedProvider,
    resolve_provider,
};
pub use structured::{
    StructuredOutput, StructuredOutputSetting, is_format_rejection, schema_instructions,
};

/// A language model that answers one request at a time. Implementations must be cheap to share
/// (`Arc<dyn ModelClient>`) and safe to call concurrently.
#[async_trait::async_trait]
pub trait ModelClient: Send + Sync {
    /// Sends one request and waits for the whole answer.
    async fn complete(&self, request: &ModelRequest) -> Result<ModelResponse, ProviderError>;

    /// The provider's name for reports: `openai`, `chat`, `offline`, or a host's own.
    fn provider_name(&self) -> &str;

    /// The model requests go to when the request names none.
    fn default_model(&self) -> &str;

    /// The model's context window in tokens, when known (sizes the rollout budget).
    fn context_window(&self) -> Option<u64> {
        None
    }
}
