//! Why a model request failed, in words a person can act on. Whether a failure may be retried
//! (and after how long) is decided here, once, for every provider.

use std::time::Duration;

/// A failed model request.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider is misconfigured (missing key, missing model for a non-OpenAI server, …).
    #[error("model provider configuration: {0}")]
    Config(String),
    /// Could not connect, or the connection failed before a response started.
    #[error("cannot reach {url}: {detail}")]
    Connect {
        /// The endpoint.
        url: String,
        /// The transport's message.
        detail: String,
    },
    /// The server answered 429.
    #[error("rate limited by {url} (HTTP 429){}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The endpoint.
        url: String,
        /// The server's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// The server answered with another non-success status.
    #[error("HTTP {status} from {url}: {body}")]
    Http {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the error body (never the request).
        body: String,
    },
    /// The stream broke, went idle past the timeout, or ended before the response completed.
    #[error("response stream from {url} ended early: {detail}")]
    Stream {
        /// The endpoint.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The model reported a failure (`response.failed`, an `error` event).
    #[error("the model failed: {0}")]
    Failed(String),
    /// The response stopped before finishing (`response.incomplete`, e.g. max tokens).
    #[error("the response is incomplete: {0}")]
    Incomplete(String),
    /// The answer could not be read (not the expected JSON shape).
    #[error("unreadable answer: {0}")]
    Unreadable(String),
    /// The run's budget refused the request before it was sent.
    #[error("not sent: {0}")]
    BudgetExhausted(String),
}

impl ProviderError {
    /// Whether sending the same request again may succeed: connection failures, 429 and 5xx
    /// before any body was streamed. Never true once a stream began.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::RateLimited { .. } => true,
            Self::Http { status, .. } => *status >= 500,
            Self::Config(_)
            | Self::Stream { .. }
            | Self::Failed(_)
            | Self::Incomplete(_)
            | Self::Unreadable(_)
            | Self::BudgetExhausted(_) => false,
        }
    }

    /// How long the server asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
