//! The `agent` consolidator: a tool loop over a model provider. The model gets the consolidation
//! prompt and the file tools; each turn's tool calls run (confined to the memory root) and their
//! results go back, until the model answers without calling a tool. Turns and tokens are bounded;
//! the run fails, changing nothing more, when either bound is hit. It is only called when the
//! inputs changed, so a model that ends without a tool call, or without changing any file, has
//! not consolidated: that is a failure saying so (the server may not support tools). A server
//! that rejects the `tools` parameter outright gets a single-shot consolidation instead.

use std::sync::Arc;

use crate::consolidator::single_shot::SingleShotConsolidator;
use crate::consolidator::tools::{AgentTools, tool_specs};
use crate::consolidator::{
    ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError, check_outputs,
};
use crate::provider::{InputItem, ModelClient, ModelRequest, ProviderError, Role};

/// Model turns allowed by default.
pub const DEFAULT_MAX_AGENT_TURNS: u32 = 40;
/// Tokens (input + output, all turns) allowed by default.
pub const DEFAULT_MAX_AGENT_TOKENS: u64 = 2_000_000;

const KICKOFF: &str =
    "Consolidate the memory folder now. Start by reading phase2_workspace_diff.md.";

/// Consolidation by a model with file tools.
pub struct AgentConsolidator {
    client: Arc<dyn ModelClient>,
    model: Option<String>,
    max_turns: u32,
    max_tokens: u64,
}

impl AgentConsolidator {
    /// An agent over `client`, using `model` (or the client's default).
    pub fn new(client: Arc<dyn ModelClient>, model: Option<String>) -> Self {
        Self {
            client,
            model,
            max_turns: DEFAULT_MAX_AGENT_TURNS,
            max_tokens: DEFAULT_MAX_AGENT_TOKENS,
        }
    }

    /// Changes the turn and token bounds.
    pub fn with_limits(mut self, max_turns: u32, max_tokens: u64) -> Self {
        self.max_turns = max_turns;
        self.max_tokens = max_tokens;
        self
    }
}

#[async_trait::async_trait]
impl Consolidator for AgentConsolidator {
    fn name(&self) -> &str {
        "agent"
    }

    async fn consolidate(
        &self,
        job: &ConsolidationJob,
    ) -> Result<ConsolidationReport, ConsolidatorError> {
        let mut report = ConsolidationReport::default();
        let mut tools =
            AgentTools::open(&job.memory_root).map_err(|error| ConsolidatorError::Io {
                path: job.memory_root.clone(),
                source: std::io::Error::other(error.to_string()),
            })?;
        let mut request = ModelRequest {
            model: self.model.clone(),
            instructions: job.prompt.clone(),
            input: vec![InputItem::Message {
                role: Role::User,
                text: KICKOFF.to_string(),
            }],
            tools: tool_specs(),
            ..ModelRequest::default()
        };
        let mut tool_calls = 0;
        loop {
            if report.turns >= self.max_turns {
                return Err(ConsolidatorError::TurnLimit(self.max_turns));
            }
            report.turns += 1;
            let response = match self.client.complete(&request).await {
                Ok(response) => response,
                Err(error) if report.turns == 1 && rejects_tools(&error) => {
                    tracing::warn!(%error, "the model server rejects tools; consolidating in a single request instead");
                    let single =
                        SingleShotConsolidator::new(self.client.clone(), self.model.clone());
                    let mut fallback = single.consolidate(job).await?;
                    fallback.summary = format!(
                        "{} — the server rejected tool calls, so the agent fell back to it",
                        fallback.summary
                    );
                    return Ok(fallback);
                }
                Err(error) => return Err(error.into()),
            };
            if let Some(usage) = response.usage {
                report.usage.add(usage);
            }
            if report.usage.total_tokens > self.max_tokens {
                return Err(ConsolidatorError::TokenBudget {
                    used: report.usage.total_tokens,
                    budget: self.max_tokens,
                });
            }
            if response.tool_calls.is_empty() {
                report.summary = response.text.trim().to_string();
                break;
            }
            if !response.text.trim().is_empty() {
                request.input.push(InputItem::Message {
                    role: Role::Assistant,
                    text: response.text.clone(),
                });
            }
            tool_calls += response.tool_calls.len();
            for call in response.tool_calls {
                let (name, arguments) = (call.name.clone(), call.arguments.clone());
                // File tools are blocking I/O; keep them off the async workers.
                let (returned, outcome) = tokio::task::spawn_blocking(move || {
                    let outcome = tools.run(&name, &arguments);
                    (tools, outcome)
                })
                .await
                .map_err(|error| ConsolidatorError::Io {
                    path: job.memory_root.clone(),
                    source: std::io::Error::other(error.to_string()),
                })?;
                tools = returned;
                tracing::debug!(tool = %call.name, changed = ?outcome.changed, "consolidation tool call");
                if let Some(changed) = outcome.changed
                    && !report.files_changed.contains(&changed)
                {
                    report.files_changed.push(changed);
                }
                let call_id = call.call_id.clone();
                request.input.push(InputItem::ToolCall(call));
                request.input.push(InputItem::ToolOutput {
                    call_id,
                    output: outcome.output,
                });
            }
        }
        if tool_calls == 0 {
            return Err(ConsolidatorError::NoToolCalls);
        }
        if report.files_changed.is_empty() {
            return Err(ConsolidatorError::NoFileChanged { tool_calls });
        }
        check_outputs(&job.memory_root)?;
        Ok(report)
    }
}

/// Whether a failed first request says the server does not take the `tools` parameter (llama.cpp
/// without `--jinja`, a chat template without tool support, …): a 4xx/5xx whose body names
/// tools or function calling.
fn rejects_tools(error: &ProviderError) -> bool {
    let ProviderError::Http { status, body, .. } = error else {
        return false;
    };
    let body = body.to_ascii_lowercase();
    (400..600).contains(status)
        && (body.contains("tool")
            || body.contains("function call")
            || body.contains("function_call"))
}
