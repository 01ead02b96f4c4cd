//! Why a model request failed, in words a person can act on. Whether a failure may be retried
//! (and after how long) is decided here, once, for every provider.

use std::time::Duration;

use super::structured::is_format_rejection;

/// A failed model request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The response stopped before finishing for another reason than the output limit
    /// (`response.incomplete`, a content filter).
    #[error("the response is incomplete: {0}")]
    Incomplete(String),
    /// The model used up the output tokens it was allowed without finishing its answer.
    #[error(
        "the output limit was reached: the model wrote {} without finishing its answer (it may be looping)",
        limit.map_or_else(|| "as many tokens as the server allows".to_string(), |n| format!("its {n}-token cap"))
    )]
    OutputLimit {
        /// The cap sent with the request, when known.
        limit: Option<u32>,
    },
    /// The stream ended with `[DONE]` but no `finish_reason`: the server cut the answer off
    /// (llama.cpp does when another request interrupts a running one).
    #[error("the answer from {url} was cut off: the stream ended without a finish_reason")]
    Truncated {
        /// The endpoint.
        url: String,
    },
    /// The model finished normally with no text and no tool call.
    #[error("the model returned an empty answer")]
    EmptyAnswer,
    /// No complete answer within the per-request deadline.
    #[error(
        "no complete answer from {url} within {seconds} s (--request-timeout / request_timeout_seconds)"
    )]
    Deadline {
        /// The endpoint.
        url: String,
        /// The deadline.
        seconds: u64,
    },
    /// The server rejects the structured-output format, and there is no weaker one to try.
    #[error("{url} does not accept structured output `{format}`: {body}")]
    FormatUnsupported {
        /// The endpoint.
        url: String,
        /// The format it rejected.
        format: String,
        /// The start of its error body.
        body: String,
    },
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
            // A server that fails on the requested format fails the same way every time.
            Self::Http { status, .. } => *status >= 500 && !is_format_rejection(self),
            Self::Config(_)
            | Self::Stream { .. }
            | Self::Failed(_)
            | Self::Incomplete(_)
            | Self::OutputLimit { .. }
            | Self::Truncated { .. }
            | Self::EmptyAnswer
            | Self::Deadline { .. }
            | Self::FormatUnsupported { .. }
            | Self::Unreadable(_)
            | Self::BudgetExhausted(_) => false,
        }
    }

    /// When this failure would fail every other request of the run the same way (a bad
    /// setting, an unreachable server, a missing endpoint, a refused key, an unsupported
    /// format): a hint saying what to do. The run stops after the first such failure and
    /// charges no session a retry. `None` for failures of one request.
    pub fn run_level_hint(&self) -> Option<String> {
        match self {
            Self::Config(_) => Some(
                "check the provider flags and $CODEX_HOME/codex-memories.toml".to_string(),
            ),
            Self::Connect { url, .. } => Some(format!(
                "is the model server running and reachable at {url}? check --base-url"
            )),
            Self::Http {
                status: 401 | 403, ..
            } => Some(
                "the server refused the key: name the variable holding its key with                  --api-key-env (OPENAI_API_KEY is only sent to the OpenAI API)"
                    .to_string(),
            ),
            Self::Http {
                status: 404, url, ..
            } if url.ends_with("/responses") => Some(
                "this server has no Responses API (/responses); for a Chat-Completions server                  (llama.cpp, Ollama, vLLM, LM Studio) use --provider chat"
                    .to_string(),
            ),
            Self::Http {
                status: 404, ..
            } => Some(
                "no such endpoint or model: check --base-url (it usually ends in /v1) and --model"
                    .to_string(),
            ),
            Self::FormatUnsupported { .. } => Some(
                "let codex-memories find a format the server accepts: --structured-output auto                  (or structured_output = \"auto\" in codex-memories.toml)"
                    .to_string(),
            ),
            _ => None,
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
