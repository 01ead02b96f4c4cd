//! The `agent` consolidator: a tool loop over a model provider. The model gets the consolidation
//! prompt and the file tools; each turn's tool calls run (confined to the memory root) and their
//! results go back, until the model answers without calling a tool. Turns and tokens are bounded;
//! the run fails, changing nothing more, when either bound is hit.

use std::sync::Arc;

use crate::consolidator::tools::{AgentTools, tool_specs};
use crate::consolidator::{
    ConsolidationJob, ConsolidationReport, Consolidator, ConsolidatorError, check_summary,
};
use crate::provider::{InputItem, ModelClient, ModelRequest, Role};

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
        loop {
            if report.turns >= self.max_turns {
                return Err(ConsolidatorError::TurnLimit(self.max_turns));
            }
            report.turns += 1;
            let response = self.client.complete(&request).await?;
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
        check_summary(&job.memory_root)?;
        Ok(report)
    }
}
