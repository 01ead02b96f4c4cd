//! The one retry policy every network provider shares: a request is sent again only when no
//! response body has started (connect errors, 429, 5xx), at most [`MAX_ATTEMPTS`] times in all,
//! waiting the server's `Retry-After` (capped at [`RETRY_AFTER_CAP`]) or a jittered exponential
//! backoff. Once a success status arrived and its body streams, nothing here sends again.

use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::ProviderError;

/// Attempts per request, the first included.
pub const MAX_ATTEMPTS: u32 = 3;
/// The backoff before the second attempt; doubled for each later one.
pub const BASE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest computed backoff.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The longest wait a server's `Retry-After` can impose.
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// Backoffs are multiplied by a random factor in `[1 - JITTER_FRACTION, 1 + JITTER_FRACTION)`.
pub const JITTER_FRACTION: f64 = 0.25;

/// Asked before every retry (never before the first attempt): `false` means no more requests may
/// be sent — the run's budget uses it so transport retries count as requests too.
#[derive(Clone)]
pub struct RetryGate(pub std::sync::Arc<dyn Fn() -> bool + Send + Sync>);

impl std::fmt::Debug for RetryGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RetryGate(..)")
    }
}

/// How often and how patiently a request is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The backoff before the second attempt.
    pub base_delay: Duration,
    /// The longest computed backoff.
    pub max_delay: Duration,
    /// The longest wait a `Retry-After` header can impose.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            base_delay: BASE_BACKOFF,
            max_delay: MAX_BACKOFF,
            retry_after_cap: RETRY_AFTER_CAP,
        }
    }
}

impl RetryPolicy {
    /// The same attempts with millisecond waits, for tests against a mock server.
    pub fn fast() -> Self {
        Self {
            max_attempts: MAX_ATTEMPTS,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            retry_after_cap: Duration::from_millis(20),
        }
    }

    /// How long to wait after failed attempt number `attempt` (1-based) ended with `error`:
    /// the server's `Retry-After` when it gave one (capped), else the jittered backoff.
    pub fn delay_after(&self, attempt: u32, error: &ProviderError) -> Duration {
        if let Some(asked) = error.retry_after() {
            return asked.min(self.retry_after_cap);
        }
        let doublings = attempt.saturating_sub(1).min(16);
        let backoff = self
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay);
        backoff.mul_f64(jitter_factor())
    }

    /// Runs `send` until it succeeds, fails with an error that may not be retried, or the
    /// attempts are used up; the last error is returned. `send` must return as soon as the
    /// response status is known, before reading a success body.
    pub async fn run<T, F, Fut>(&self, send: F) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        self.run_gated(None, send).await
    }

    /// Like [`RetryPolicy::run`], asking `gate` before each retry; a refused retry returns the
    /// last error.
    pub async fn run_gated<T, F, Fut>(
        &self,
        gate: Option<&RetryGate>,
        mut send: F,
    ) -> Result<T, ProviderError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let mut attempt = 1;
        loop {
            let error = match send().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if !error.is_retryable() || attempt >= self.max_attempts.max(1) {
                return Err(error);
            }
            let delay = self.delay_after(attempt, &error);
            tracing::debug!(
                attempt,
                delay_ms = delay.as_millis() as u64,
                "model request failed before streaming, retrying: {error}"
            );
            tokio::time::sleep(delay).await;
            if gate.is_some_and(|gate| !(gate.0)()) {
                tracing::debug!(attempt, "retry refused by the run budget");
                return Err(error);
            }
            attempt += 1;
        }
    }
}

/// Reads a `Retry-After` header value: delay-seconds or an HTTP date (relative to `now`).
/// A date in the past means "now"; anything unreadable is ignored.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A random factor around 1; std's per-process random hasher keys are entropy enough here.
fn jitter_factor() -> f64 {
    let random = RandomState::new().hash_one(std::time::SystemTime::now());
    let unit = (random >> 11) as f64 / (1u64 << 53) as f64;
    1.0 - JITTER_FRACTION + 2.0 * JITTER_FRACTION * unit
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T07:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn server_error() -> ProviderError {
        ProviderError::Http {
            url: "http://x/responses".into(),
            status: 503,
            body: String::new(),
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("7", now()), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 07:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 06:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let policy = RetryPolicy::default();
        let error = ProviderError::RateLimited {
            url: "http://x".into(),
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(policy.delay_after(1, &error), RETRY_AFTER_CAP);
    }

    #[test]
    fn backoff_doubles_within_the_jitter_band() {
        let policy = RetryPolicy::default();
        for (attempt, nominal) in [(1, 1.0), (2, 2.0), (3, 4.0), (10, 30.0)] {
            let delay = policy.delay_after(attempt, &server_error()).as_secs_f64();
            assert!(
                delay >= nominal * (1.0 - JITTER_FRACTION)
                    && delay < nominal * (1.0 + JITTER_FRACTION),
                "attempt {attempt}: {delay}"
            );
        }
    }

    #[tokio::test]
    async fn retryable_errors_stop_after_max_attempts() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = RetryPolicy::fast()
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(server_error())
            })
            .await;
        assert!(matches!(
            result,
            Err(ProviderError::Http { status: 503, .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), MAX_ATTEMPTS);
    }

    #[tokio::test]
    async fn errors_after_streaming_began_are_never_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = RetryPolicy::fast()
            .run(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ProviderError::Stream {
                    url: "http://x".into(),
                    detail: "cut".into(),
                })
            })
            .await;
        assert!(matches!(result, Err(ProviderError::Stream { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
