//! The provider-neutral request and response: instructions, input items (messages and, for the
//! consolidation agent's tool loop, earlier tool calls and their outputs), an optional strict
//! JSON schema for the answer, optional function tools; and back the text, tool calls and usage.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::phase1::transcript::StageOneTranscript;

/// The output cap of a request that names none: every request is bounded.
pub const DEFAULT_MAX_OUTPUT_TOKENS: u32 = 4096;

/// Who wrote an input message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person (or the pipeline speaking for them).
    User,
    /// The model, in an earlier turn of a tool loop.
    Assistant,
    /// Developer instructions beside the system prompt.
    Developer,
}

/// One item of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    /// A text message.
    Message {
        /// Who wrote it.
        role: Role,
        /// The text.
        text: String,
    },
    /// A tool call the model made in an earlier turn (replayed in a tool loop).
    ToolCall(ToolCall),
    /// The result of a tool call, sent back to the model.
    ToolOutput {
        /// The call this answers.
        call_id: String,
        /// The tool's output text.
        output: String,
    },
}

/// A strict JSON schema the answer must follow (`text.format` / `response_format`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputSchema {
    /// The schema's name, e.g. `stage_one_memory`.
    pub name: String,
    /// The JSON schema (with `additionalProperties: false` and every property required).
    pub schema: serde_json::Value,
}

/// A function tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The tool's name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// The JSON schema of its arguments.
    pub parameters: serde_json::Value,
}

/// One request to a model. Another crate makes one with [`ModelRequest::new`] and the `with_*`
/// setters (more fields may come).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelRequest {
    /// The model; `None` uses the client's default.
    pub model: Option<String>,
    /// System instructions.
    pub instructions: String,
    /// The conversation.
    pub input: Vec<InputItem>,
    /// A strict schema for the answer, when structured output is wanted.
    pub output_schema: Option<OutputSchema>,
    /// Function tools offered to the model.
    pub tools: Vec<ToolSpec>,
    /// Reasoning effort (`low`, `medium`, `high`) where the model supports it.
    pub reasoning_effort: Option<String>,
    /// A cap on output tokens; `None` sends [`DEFAULT_MAX_OUTPUT_TOKENS`] (never unbounded).
    pub max_output_tokens: Option<u32>,
    /// For a stage-one request, the typed, redacted transcript its input was rendered from, so
    /// a provider without a model (offline) reads the entries instead of parsing text back.
    /// Never sent: what goes over the wire is `instructions` and `input`.
    #[serde(skip)]
    pub stage_one: Option<Arc<StageOneTranscript>>,
}

impl ModelRequest {
    /// A request with system `instructions` and the conversation `input`, for the client's
    /// default model, with no schema, no tools and the default output cap.
    pub fn new(instructions: impl Into<String>, input: Vec<InputItem>) -> Self {
        Self {
            instructions: instructions.into(),
            input,
            ..Self::default()
        }
    }

    /// Sent to `model`; `None` uses the client's default.
    #[must_use]
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model = model;
        self
    }

    /// Asking for an answer that follows `output_schema`.
    #[must_use]
    pub fn with_output_schema(mut self, output_schema: Option<OutputSchema>) -> Self {
        self.output_schema = output_schema;
        self
    }

    /// Offering the function `tools` to the model.
    #[must_use]
    pub fn with_tools(mut self, tools: Vec<ToolSpec>) -> Self {
        self.tools = tools;
        self
    }

    /// With `reasoning_effort` (`low`, `medium`, `high`) where the model supports it.
    #[must_use]
    pub fn with_reasoning_effort(mut self, reasoning_effort: Option<String>) -> Self {
        self.reasoning_effort = reasoning_effort;
        self
    }

    /// Capping the answer at `max_output_tokens`; `None` sends [`DEFAULT_MAX_OUTPUT_TOKENS`].
    #[must_use]
    pub fn with_max_output_tokens(mut self, max_output_tokens: Option<u32>) -> Self {
        self.max_output_tokens = max_output_tokens;
        self
    }
}

/// A tool call made by the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Links the call to its output.
    pub call_id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments, a JSON document as text.
    pub arguments: String,
}

/// Token usage of one response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// All tokens.
    pub total_tokens: u64,
}

impl Usage {
    /// Adds another response's usage to this one.
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// One complete answer. A model client of your own makes one with [`ModelResponse::new`] and
/// the `with_*` setters (more fields may come).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelResponse {
    /// The answer's text (all output text joined).
    pub text: String,
    /// Tool calls, in order.
    pub tool_calls: Vec<ToolCall>,
    /// Token usage, when the provider reports it.
    pub usage: Option<Usage>,
    /// The model that answered, when reported.
    pub model: Option<String>,
}

impl ModelResponse {
    /// An answer of `text`, with no tool calls and nothing reported.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Asking for `tool_calls`, in order.
    pub fn with_tool_calls(mut self, tool_calls: Vec<ToolCall>) -> Self {
        self.tool_calls = tool_calls;
        self
    }

    /// With the provider's `usage` report.
    pub fn with_usage(mut self, usage: Option<Usage>) -> Self {
        self.usage = usage;
        self
    }

    /// Answered by `model`.
    pub fn with_model(mut self, model: Option<String>) -> Self {
        self.model = model;
        self
    }
}
