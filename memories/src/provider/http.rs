//! One POST of a JSON body to a streaming endpoint, up to the response status: the transport
//! both network providers share. A success hands back the unread response; a failure becomes a
//! [`ProviderError`] the retry policy can judge. The API key lives in [`ApiKey`], whose `Debug`
//! hides it, and is scrubbed from any server text we quote; request bodies are never logged.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};

use super::ProviderError;
use super::retry::parse_retry_after;

/// How much of an error response body is quoted in an error.
pub const MAX_ERROR_BODY_BYTES: usize = 2048;

/// What replaces the key wherever a server echoes it back.
const KEY_PLACEHOLDER: &str = "[REDACTED_KEY]";

/// A secret bearer token. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key; blank keys count as none.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_string();
        (!key.is_empty()).then_some(Self(key))
    }

    /// Replaces every occurrence of the key in `text`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        text.replace(&self.0, KEY_PLACEHOLDER)
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(..)")
    }
}

/// Scrubs `key` (when there is one) from server-provided text.
pub(crate) fn scrub(key: Option<&ApiKey>, text: &str) -> String {
    match key {
        Some(key) => key.scrub(text),
        None => text.to_string(),
    }
}

/// Builds the HTTP client with the connect timeout.
pub(crate) fn client(connect_timeout: Duration) -> Result<reqwest::Client, ProviderError> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|error| ProviderError::Config(format!("cannot build the HTTP client: {error}")))
}

/// Sends one POST and waits (at most `header_timeout`) for the status. 2xx → the response with
/// its body unread; 429 → `RateLimited` with `Retry-After`; other statuses → `Http` quoting the
/// start of the error body; transport failures → `Connect`.
pub(crate) async fn post_for_stream(
    http: &reqwest::Client,
    url: &str,
    key: Option<&ApiKey>,
    body: &serde_json::Value,
    header_timeout: Duration,
) -> Result<reqwest::Response, ProviderError> {
    let started = Instant::now();
    let request = stream_request(http, url, key, body);
    let connect_error = |detail: String| ProviderError::Connect {
        url: url.to_string(),
        detail: scrub(key, &detail),
    };
    let response = tokio::time::timeout(header_timeout, request.send())
        .await
        .map_err(|_| {
            connect_error(format!(
                "no response within {} s",
                header_timeout.as_secs_f64()
            ))
        })?
        .map_err(|error| connect_error(cause_chain(&error)))?;
    let status = response.status();
    tracing::debug!(
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "model request answered"
    );
    if status.is_success() {
        return expect_event_stream(response, url, key, header_timeout).await;
    }
    if status.as_u16() == 429 {
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, Utc::now()));
        return Err(ProviderError::RateLimited {
            url: url.to_string(),
            retry_after,
        });
    }
    let text = tokio::time::timeout(header_timeout, response.text())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Err(ProviderError::Http {
        url: url.to_string(),
        status: status.as_u16(),
        body: scrub(key, cut_at_char_boundary(text.trim(), MAX_ERROR_BODY_BYTES)),
    })
}

/// The POST itself. The key goes only into `Authorization`, which `bearer_auth` marks
/// sensitive (so no `Debug` of the request or its headers prints it).
fn stream_request(
    http: &reqwest::Client,
    url: &str,
    key: Option<&ApiKey>,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    let request = http
        .post(url)
        .header(ACCEPT, "text/event-stream")
        .header(CONTENT_TYPE, "application/json")
        .json(body);
    match key {
        Some(key) => request.bearer_auth(&key.0),
        None => request,
    }
}

/// Passes a success response on unless it says it is JSON: a server that ignored `stream: true`
/// (or answers an error with 200) would otherwise look like a stream cut before completion.
/// The body is not streaming yet, so this is still decided before any event was read.
async fn expect_event_stream(
    response: reqwest::Response,
    url: &str,
    key: Option<&ApiKey>,
    body_timeout: Duration,
) -> Result<reqwest::Response, ProviderError> {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        return Ok(response);
    }
    let text = tokio::time::timeout(body_timeout, response.text())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    Err(ProviderError::Stream {
        url: url.to_string(),
        detail: scrub(
            key,
            &format!(
                "expected an event stream (text/event-stream) but got {content_type}: {}",
                cut_at_char_boundary(text.trim(), MAX_ERROR_BODY_BYTES)
            ),
        ),
    })
}

/// An error and its causes, `outer: inner: root` — reqwest's own message ("error sending
/// request") hides the part a person acts on ("Connection refused").
pub(crate) fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The longest prefix of `text` of at most `max` bytes that ends on a char boundary.
fn cut_at_char_boundary(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `base_url` + `/` + `path`, without doubled slashes.
pub(crate) fn endpoint(base_url: &str, path: &str) -> String {
    format!("{}/{}", base_url.trim_end_matches('/'), path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn api_key_debug_and_scrub_hide_the_secret() {
        let key = ApiKey::new("sk-test-123").unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(..)");
        assert_eq!(key.scrub("bad key sk-test-123!"), "bad key [REDACTED_KEY]!");
        assert_eq!(ApiKey::new("  "), None);
    }

    #[test]
    fn the_authorization_header_is_marked_sensitive() {
        let key = ApiKey::new("sk-test-123").unwrap();
        let http = reqwest::Client::new();
        let request = stream_request(&http, "http://h/v1/x", Some(&key), &serde_json::json!({}))
            .build()
            .unwrap();
        let header = request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("sk-test-123"));
        let request = stream_request(&http, "http://h/v1/x", None, &serde_json::json!({}))
            .build()
            .unwrap();
        assert!(
            request
                .headers()
                .get(reqwest::header::AUTHORIZATION)
                .is_none()
        );
    }

    #[test]
    fn error_bodies_are_cut_on_a_char_boundary() {
        assert_eq!(cut_at_char_boundary("aé", 2), "a");
        assert_eq!(cut_at_char_boundary("abc", 5), "abc");
    }

    #[test]
    fn endpoints_join_without_double_slashes() {
        assert_eq!(
            endpoint("http://h/v1/", "responses"),
            "http://h/v1/responses"
        );
        assert_eq!(
            endpoint("http://h/v1", "chat/completions"),
            "http://h/v1/chat/completions"
        );
    }
}
