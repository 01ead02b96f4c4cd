//! The run budget: a cap on model requests and on input tokens shared by every phase of one
//! run. Work reserves before it spends; once a reservation is refused, no new request starts and
//! the run reports that it stopped on its budget. [`BudgetedClient`] puts the check in front of
//! any model client, so the consolidation agent's tool loop is bounded the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::provider::{
    InputItem, ModelClient, ModelRequest, ModelResponse, ProviderError, RetryGate, Usage,
};

/// Limits of one run; `None` means unbounded.
#[derive(Debug, Default)]
pub struct RunBudget {
    max_requests: Option<u64>,
    max_input_tokens: Option<u64>,
    requests: AtomicU64,
    input_tokens: AtomicU64,
    output_tokens: AtomicU64,
    exhausted: AtomicBool,
}

/// A reservation the budget refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the run budget is used up: {0}")]
pub struct BudgetExhausted(pub String);

impl RunBudget {
    /// A budget of at most `max_requests` requests and `max_input_tokens` input tokens.
    pub fn new(max_requests: Option<u64>, max_input_tokens: Option<u64>) -> Self {
        Self {
            max_requests,
            max_input_tokens,
            ..Self::default()
        }
    }

    /// Reserves one request of about `estimated_input_tokens`, or refuses when either cap would
    /// be passed (and from then on refuses everything).
    pub fn reserve(&self, estimated_input_tokens: u64) -> Result<(), BudgetExhausted> {
        if self.exhausted.load(Ordering::SeqCst) {
            return Err(BudgetExhausted(
                "an earlier request hit the limit".to_string(),
            ));
        }
        let requests = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(max) = self.max_requests.filter(|max| requests > *max) {
            self.requests.fetch_sub(1, Ordering::SeqCst);
            self.exhausted.store(true, Ordering::SeqCst);
            return Err(BudgetExhausted(format!(
                "max_requests_per_run = {max} reached"
            )));
        }
        let tokens = self
            .input_tokens
            .fetch_add(estimated_input_tokens, Ordering::SeqCst)
            + estimated_input_tokens;
        if let Some(max) = self.max_input_tokens.filter(|max| tokens > *max) {
            self.input_tokens
                .fetch_sub(estimated_input_tokens, Ordering::SeqCst);
            self.requests.fetch_sub(1, Ordering::SeqCst);
            self.exhausted.store(true, Ordering::SeqCst);
            return Err(BudgetExhausted(format!(
                "max_input_tokens_per_run = {max} would be passed (next request ≈ {estimated_input_tokens} tokens)"
            )));
        }
        Ok(())
    }

    /// A gate that reserves one request (and no tokens) per transport retry, so every HTTP
    /// attempt counts against `max_requests_per_run`.
    pub fn retry_gate(self: &Arc<Self>) -> RetryGate {
        let budget = Arc::clone(self);
        RetryGate(Arc::new(move || budget.reserve(0).is_ok()))
    }

    /// Replaces a reservation's estimate with the usage the provider reported.
    pub fn settle(&self, estimated_input_tokens: u64, usage: Option<Usage>) {
        if let Some(usage) = usage {
            self.input_tokens
                .fetch_sub(estimated_input_tokens, Ordering::SeqCst);
            self.input_tokens
                .fetch_add(usage.input_tokens, Ordering::SeqCst);
            self.output_tokens
                .fetch_add(usage.output_tokens, Ordering::SeqCst);
        }
    }

    /// Requests still allowed (`None` when unbounded).
    pub fn remaining_requests(&self) -> Option<u64> {
        self.max_requests
            .map(|max| max.saturating_sub(self.requests.load(Ordering::SeqCst)))
    }

    /// Whether a reservation has been refused.
    pub fn is_exhausted(&self) -> bool {
        self.exhausted.load(Ordering::SeqCst)
    }

    /// Requests reserved so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Tokens spent so far (input as reported, or estimated where not reported).
    pub fn usage(&self) -> Usage {
        let input_tokens = self.input_tokens.load(Ordering::SeqCst);
        let output_tokens = self.output_tokens.load(Ordering::SeqCst);
        Usage {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
        }
    }
}

/// Estimated input tokens of a request (4 bytes per token).
pub fn estimate_request_tokens(request: &ModelRequest) -> u64 {
    let bytes: usize = request.instructions.len()
        + request
            .input
            .iter()
            .map(|item| match item {
                InputItem::Message { text, .. } => text.len(),
                InputItem::ToolCall(call) => call.name.len() + call.arguments.len(),
                InputItem::ToolOutput { output, .. } => output.len(),
            })
            .sum::<usize>();
    (bytes as u64).div_ceil(crate::phase1::budget::BYTES_PER_TOKEN)
}

/// A model client that reserves from a [`RunBudget`] before every request.
pub struct BudgetedClient {
    inner: Arc<dyn ModelClient>,
    budget: Arc<RunBudget>,
}

impl BudgetedClient {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ModelClient>, budget: Arc<RunBudget>) -> Self {
        Self { inner, budget }
    }
}

#[async_trait::async_trait]
impl ModelClient for BudgetedClient {
    async fn complete(&self, request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        let estimate = estimate_request_tokens(request);
        self.budget
            .reserve(estimate)
            .map_err(|exhausted| ProviderError::BudgetExhausted(exhausted.0))?;
        let response = self.inner.complete(request).await;
        self.budget
            .settle(estimate, response.as_ref().ok().and_then(|r| r.usage));
        response
    }

    fn provider_name(&self) -> &str {
        self.inner.provider_name()
    }

    fn default_model(&self) -> &str {
        self.inner.default_model()
    }

    fn context_window(&self) -> Option<u64> {
        self.inner.context_window()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_past_the_cap_are_refused_and_stay_refused() {
        let budget = RunBudget::new(Some(2), None);
        assert!(budget.reserve(10).is_ok());
        assert!(budget.reserve(10).is_ok());
        assert!(budget.reserve(10).is_err());
        assert!(budget.is_exhausted());
        assert_eq!(budget.requests(), 2);
        assert_eq!(budget.remaining_requests(), Some(0));
    }

    #[test]
    fn input_tokens_past_the_cap_are_refused() {
        let budget = RunBudget::new(None, Some(100));
        assert!(budget.reserve(60).is_ok());
        let refused = budget.reserve(60).unwrap_err();
        assert!(refused.0.contains("max_input_tokens_per_run = 100"));
        assert_eq!(budget.usage().input_tokens, 60);
    }

    #[test]
    fn the_retry_gate_spends_requests_from_the_same_budget() {
        let budget = Arc::new(RunBudget::new(Some(2), None));
        let gate = budget.retry_gate();
        budget.reserve(10).unwrap();
        assert!((gate.0)());
        assert!(!(gate.0)());
        assert_eq!(budget.requests(), 2);
    }

    #[test]
    fn settling_replaces_the_estimate_with_reported_usage() {
        let budget = RunBudget::new(None, None);
        budget.reserve(100).unwrap();
        budget.settle(
            100,
            Some(Usage {
                input_tokens: 80,
                output_tokens: 20,
                total_tokens: 100,
            }),
        );
        assert_eq!(
            budget.usage(),
            Usage {
                input_tokens: 80,
                output_tokens: 20,
                total_tokens: 100
            }
        );
    }
}
