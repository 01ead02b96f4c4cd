//! Model providers: one request/response shape for every backend, behind the [`ModelClient`]
//! trait (the seam where a host plugs in its own client). Built in: `openai` (Responses API over
//! SSE), `chat` (Chat-Completions-compatible servers) and `offline` (a deterministic extractive
//! summariser, no network). Retries happen only before a response body starts; a stream that
//! ends without completing is an error, never an empty answer. Nothing here logs a request body
//! or a key.

mod error;
mod offline;
mod request;

pub use error::ProviderError;
pub use offline::{OFFLINE_MODEL, OfflineClient};
pub use request::{
    InputItem, ModelRequest, ModelResponse, OutputSchema, Role, ToolCall, ToolSpec, Usage,
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
