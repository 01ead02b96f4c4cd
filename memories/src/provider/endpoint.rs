//! `StreamEndpoint`: what both network providers share to open a response stream — the HTTP
//! client, the endpoint URL, the key, the idle timeout and the retry rules (with the run budget's
//! gate). Retries happen only until a response is accepted; the returned reader is never
//! re-requested, whatever happens while it streams.

use std::time::Duration;

use serde_json::Value;

use super::http::{self, ApiKey};
use super::retry::{RetryGate, RetryPolicy};
use super::sse::SseReader;
use super::structured::{StructuredOutput, StructuredOutputSetting, is_format_rejection};
use super::{ProviderConfig, ProviderError};

/// One streaming endpoint of a provider.
#[derive(Debug, Clone)]
pub(crate) struct StreamEndpoint {
    http: reqwest::Client,
    url: String,
    key: Option<ApiKey>,
    idle_timeout: Duration,
    retry: RetryPolicy,
    retry_gate: Option<RetryGate>,
}

impl StreamEndpoint {
    /// An endpoint at `url` with the timeouts of `config` and the default retry policy.
    pub(crate) fn new(
        config: &ProviderConfig,
        url: String,
        key: Option<ApiKey>,
    ) -> Result<Self, ProviderError> {
        Ok(Self {
            http: http::client(config.connect_timeout)?,
            url,
            key,
            idle_timeout: config.idle_timeout,
            retry: RetryPolicy::default(),
            retry_gate: None,
        })
    }

    /// Replaces the retry policy.
    pub(crate) fn set_retry_policy(&mut self, retry: RetryPolicy) {
        self.retry = retry;
    }

    /// Asks `gate` before every retry.
    pub(crate) fn set_retry_gate(&mut self, gate: RetryGate) {
        self.retry_gate = Some(gate);
    }

    /// POSTs `body` (retrying only before a response is accepted) and returns the stream reader.
    pub(crate) async fn open(&self, body: &Value) -> Result<SseReader, ProviderError> {
        let response = self
            .retry
            .run_gated(self.retry_gate.as_ref(), || {
                http::post_for_stream(
                    &self.http,
                    &self.url,
                    self.key.as_ref(),
                    body,
                    self.idle_timeout,
                )
            })
            .await?;
        Ok(SseReader::new(response, self.idle_timeout, &self.url))
    }

    /// POSTs the body `body_for(format)` asks for, stepping down the structured-output ladder
    /// while the server rejects the format (only when the request has a schema): the way a
    /// request is sent again after a rejection, which the retry gate (the run budget) must allow.
    /// Returns the stream reader and the format that was accepted.
    pub(crate) async fn open_with_format(
        &self,
        setting: &StructuredOutputSetting,
        has_schema: bool,
        body_for: impl Fn(StructuredOutput) -> Value,
    ) -> Result<(SseReader, StructuredOutput), ProviderError> {
        let mut format = setting.current();
        loop {
            let error = match self.open(&body_for(format)).await {
                Ok(reader) => return Ok((reader, format)),
                Err(error) => error,
            };
            if !has_schema || !is_format_rejection(&error) {
                return Err(error);
            }
            let body = match &error {
                ProviderError::Http { body, .. } => body.clone(),
                _ => String::new(),
            };
            let Some(next) = setting.step_down(format) else {
                return Err(ProviderError::FormatUnsupported {
                    url: self.url.clone(),
                    format: format.to_string(),
                    body,
                });
            };
            if !self.may_send_again() {
                return Err(error);
            }
            format = next;
        }
    }

    /// Whether the run budget allows one more request (always, without a gate).
    pub(crate) fn may_send_again(&self) -> bool {
        self.retry_gate.as_ref().is_none_or(|gate| (gate.0)())
    }

    /// The endpoint's URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// `text` with the key replaced, for quoting server text in errors.
    pub(crate) fn scrub(&self, text: &str) -> String {
        http::scrub(self.key.as_ref(), text)
    }
}
