//! The `chat` provider: Chat-Completions-compatible servers (Ollama, vLLM, llama.cpp server,
//! LM Studio) at `POST {base_url}/chat/completions` with `stream: true`. Text comes from
//! `delta.content`, tool calls are assembled from `delta.tool_calls` fragments, usage is taken
//! when the server offers it, until `data: [DONE]`. It never falls back to an OpenAI model id:
//! without an explicit model it refuses to build. Every request carries `max_tokens`; an answer
//! counts only when a `finish_reason` arrived (a `[DONE]` without one is a cut-off answer, sent
//! again once), and an empty answer is an error of its own.

use std::collections::BTreeMap;

use std::time::Duration;

use serde_json::{Value, json};

use super::config::{MODEL_SETTING_NAMES, ProviderConfig};
use super::endpoint::StreamEndpoint;
use super::http::{self, ApiKey};
use super::request::DEFAULT_MAX_OUTPUT_TOKENS;
use super::retry::{RetryGate, RetryPolicy};
use super::sse::SseReader;
use super::structured::{StructuredOutput, StructuredOutputSetting, schema_instructions};
use super::{
    InputItem, ModelClient, ModelRequest, ModelResponse, ProviderError, Role, ToolCall, Usage,
};

/// The `data:` payload that ends a Chat Completions stream.
const DONE_MARKER: &str = "[DONE]";
/// The context window assumed for a `chat` model when neither the settings nor the server say.
pub const DEFAULT_CHAT_CONTEXT_WINDOW: u64 = 8192;
/// Times a cut-off answer is requested again within one call (the first attempt not counted).
const TRUNCATED_ANSWER_RETRIES: u32 = 1;

/// A client of a Chat-Completions-compatible server.
#[derive(Debug, Clone)]
pub struct ChatClient {
    endpoint: StreamEndpoint,
    model: String,
    context_window: u64,
    structured_output: StructuredOutputSetting,
    reasoning_effort: Option<String>,
    deadline: Duration,
}

impl ChatClient {
    /// Builds a client from settings: a base URL and a model are required, a key is optional.
    pub fn new(config: &ProviderConfig, key: Option<ApiKey>) -> Result<Self, ProviderError> {
        let Some(base_url) = config
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
        else {
            return Err(ProviderError::Config(
                "the chat provider needs the server's base URL (--base-url / base_url in codex-memories.toml), \
                 e.g. http://localhost:11434/v1 for Ollama"
                    .to_string(),
            ));
        };
        let Some(model) = config.model_name() else {
            return Err(ProviderError::Config(format!(
                "the chat provider at {base_url} needs an explicit model ({MODEL_SETTING_NAMES}); \
                 it never assumes an OpenAI model id"
            )));
        };
        Ok(Self {
            endpoint: StreamEndpoint::new(
                config,
                http::endpoint(base_url, "chat/completions"),
                key,
            )?,
            model: model.to_string(),
            context_window: config.context_window.unwrap_or(DEFAULT_CHAT_CONTEXT_WINDOW),
            structured_output: config.structured_output.clone(),
            reasoning_effort: config.reasoning_effort.clone(),
            deadline: config.request_deadline,
        })
    }

    /// Replaces the retry policy (tests use [`RetryPolicy::fast`]).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.endpoint.set_retry_policy(retry);
        self
    }

    /// Asks `gate` before every retry (the run budget counts retries as requests).
    pub fn with_retry_gate(mut self, gate: RetryGate) -> Self {
        self.endpoint.set_retry_gate(gate);
        self
    }

    /// The request body sent to `/chat/completions`, in the structured-output format the
    /// endpoint is currently known to accept.
    pub fn request_body(&self, request: &ModelRequest) -> Value {
        self.body_in_format(request, self.structured_output.current())
    }

    /// The request body asking for structured output the `format` way.
    pub fn body_in_format(&self, request: &ModelRequest, format: StructuredOutput) -> Value {
        let model = request.model.as_deref().unwrap_or(&self.model);
        let extra_instructions = match (&request.output_schema, format) {
            (Some(schema), StructuredOutput::JsonObject | StructuredOutput::None) => {
                schema_instructions(&schema.schema)
            }
            _ => String::new(),
        };
        let mut body = json!({
            "model": model,
            "messages": messages(request, &extra_instructions),
            "stream": true,
            "stream_options": { "include_usage": true },
        });
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|tool| {
                    json!({
                        "type": "function",
                        "function": {
                            "name": tool.name,
                            "description": tool.description,
                            "parameters": tool.parameters,
                        },
                    })
                })
                .collect();
        }
        if let Some(schema) = &request.output_schema {
            match format {
                StructuredOutput::JsonSchema => {
                    body["response_format"] = json!({
                        "type": "json_schema",
                        "json_schema": {
                            "name": schema.name,
                            "schema": schema.schema,
                            "strict": true,
                        },
                    });
                }
                // llama.cpp and llama-cpp-python turn `schema` into a grammar; others ignore it.
                StructuredOutput::JsonObject => {
                    body["response_format"] = json!({
                        "type": "json_object",
                        "schema": schema.schema,
                    });
                }
                StructuredOutput::None => {}
            }
        }
        // Local servers reject or misread reasoning_effort: only a configured one is sent.
        if let Some(effort) = &self.reasoning_effort {
            body["reasoning_effort"] = json!(effort);
        }
        body["max_tokens"] = json!(output_cap(request));
        body
    }

    /// Reads chunks until `[DONE]` (or the end of a stream that reported a finish reason).
    async fn read_stream(
        &self,
        mut reader: SseReader,
        limit: u32,
    ) -> Result<ModelResponse, ProviderError> {
        let mut answer = ChatAnswer::default();
        while let Some(event) = reader.next_event().await? {
            if event.data.trim() == DONE_MARKER {
                if answer.finish_reason.is_none() {
                    return Err(ProviderError::Truncated {
                        url: self.endpoint.url().to_string(),
                    });
                }
                return answer.finish(limit);
            }
            let chunk: Value = serde_json::from_str(&event.data)
                .map_err(|error| reader.stream_error(format!("a chunk is not JSON ({error})")))?;
            if chunk["error"].is_object() || chunk["error"].is_string() {
                return Err(ProviderError::Failed(
                    self.scrub(&describe_error(&chunk["error"])),
                ));
            }
            answer.take_chunk(&chunk);
        }
        if answer.finish_reason.is_some() {
            return answer.finish(limit);
        }
        Err(reader.stream_error("the stream ended before [DONE] and without a finish_reason"))
    }

    fn scrub(&self, text: &str) -> String {
        self.endpoint.scrub(text)
    }
}

#[async_trait::async_trait]
impl ModelClient for ChatClient {
    async fn complete(&self, request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        let deadline = self.deadline;
        tokio::time::timeout(deadline, self.complete_within_deadline(request))
            .await
            .unwrap_or_else(|_| {
                Err(ProviderError::Deadline {
                    url: self.endpoint.url().to_string(),
                    seconds: deadline.as_secs(),
                })
            })
    }

    fn provider_name(&self) -> &str {
        "chat"
    }

    fn default_model(&self) -> &str {
        &self.model
    }

    fn context_window(&self) -> Option<u64> {
        Some(self.context_window)
    }
}

impl ChatClient {
    async fn complete_within_deadline(
        &self,
        request: &ModelRequest,
    ) -> Result<ModelResponse, ProviderError> {
        let limit = output_cap(request);
        let mut retries_left = TRUNCATED_ANSWER_RETRIES;
        loop {
            let (reader, _format) = self
                .endpoint
                .open_with_format(
                    &self.structured_output,
                    request.output_schema.is_some(),
                    |format| self.body_in_format(request, format),
                )
                .await?;
            // From here on the body streams: only a cut-off answer is asked for again.
            match self.read_stream(reader, limit).await {
                Err(ProviderError::Truncated { url })
                    if retries_left > 0 && self.endpoint.may_send_again() =>
                {
                    tracing::debug!(%url, "the answer was cut off; asking again");
                    retries_left -= 1;
                }
                other => return other,
            }
        }
    }
}

/// The output-token cap of a request: its own, else [`DEFAULT_MAX_OUTPUT_TOKENS`].
fn output_cap(request: &ModelRequest) -> u32 {
    request
        .max_output_tokens
        .unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS)
}

/// The system message, then the conversation. Consecutive tool calls become one assistant
/// message with `tool_calls` (joined to a directly preceding assistant text message), as the
/// Chat Completions format requires. Developer messages go as `system`: local servers rarely
/// know the `developer` role.
fn messages(request: &ModelRequest, extra_instructions: &str) -> Vec<Value> {
    let mut messages = Vec::new();
    if !request.instructions.is_empty() || !extra_instructions.is_empty() {
        let system = format!("{}{extra_instructions}", request.instructions);
        messages.push(json!({ "role": "system", "content": system.trim_start() }));
    }
    for item in &request.input {
        match item {
            InputItem::Message { role, text } => {
                let role = match role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                    Role::Developer => "system",
                };
                messages.push(json!({ "role": role, "content": text }));
            }
            InputItem::ToolCall(call) => {
                let call = json!({
                    "id": call.call_id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments },
                });
                match messages.last_mut() {
                    Some(last) if last["role"] == "assistant" => {
                        if let Some(calls) = last["tool_calls"].as_array_mut() {
                            calls.push(call);
                        } else {
                            last["tool_calls"] = json!([call]);
                        }
                    }
                    _ => messages.push(json!({
                        "role": "assistant",
                        "content": null,
                        "tool_calls": [call],
                    })),
                }
            }
            InputItem::ToolOutput { call_id, output } => messages.push(json!({
                "role": "tool",
                "tool_call_id": call_id,
                "content": output,
            })),
        }
    }
    messages
}

/// `message (code)` from an error object or string.
fn describe_error(error: &Value) -> String {
    if let Some(text) = error.as_str() {
        return text.to_string();
    }
    let message = error["message"].as_str().unwrap_or("no message given");
    match &error["code"] {
        Value::String(code) => format!("{message} ({code})"),
        Value::Number(code) => format!("{message} ({code})"),
        _ => message.to_string(),
    }
}

/// A tool call being assembled from fragments.
#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// The answer being assembled from chunks (first choice only).
#[derive(Debug, Default)]
struct ChatAnswer {
    text: String,
    calls: BTreeMap<u64, PartialCall>,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    model: Option<String>,
}

impl ChatAnswer {
    fn take_chunk(&mut self, chunk: &Value) {
        if let Some(model) = chunk["model"].as_str() {
            self.model = Some(model.to_string());
        }
        if chunk["usage"].is_object() {
            let usage = &chunk["usage"];
            let input_tokens = usage["prompt_tokens"].as_u64().unwrap_or_default();
            let output_tokens = usage["completion_tokens"].as_u64().unwrap_or_default();
            self.usage = Some(Usage {
                input_tokens,
                output_tokens,
                total_tokens: usage["total_tokens"]
                    .as_u64()
                    .unwrap_or(input_tokens + output_tokens),
            });
        }
        let Some(choice) = chunk["choices"].as_array().and_then(|choices| {
            choices
                .iter()
                .find(|choice| choice["index"].as_u64().unwrap_or(0) == 0)
        }) else {
            return;
        };
        let delta = &choice["delta"];
        if let Some(text) = delta["content"].as_str() {
            self.text.push_str(text);
        }
        for (position, fragment) in delta["tool_calls"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let index = fragment["index"].as_u64().unwrap_or(position as u64);
            let call = self.calls.entry(index).or_default();
            if let Some(id) = fragment["id"].as_str().filter(|id| !id.is_empty()) {
                call.id = id.to_string();
            }
            // Names arrive whole in the first fragment; only arguments are split.
            if let Some(name) = fragment["function"]["name"].as_str()
                && call.name.is_empty()
            {
                call.name = name.to_string();
            }
            if let Some(arguments) = fragment["function"]["arguments"].as_str() {
                call.arguments.push_str(arguments);
            }
        }
        if let Some(reason) = choice["finish_reason"].as_str() {
            self.finish_reason = Some(reason.to_string());
        }
    }

    fn finish(self, limit: u32) -> Result<ModelResponse, ProviderError> {
        match self.finish_reason.as_deref() {
            Some("length") => {
                return Err(ProviderError::OutputLimit { limit: Some(limit) });
            }
            Some("content_filter") => {
                return Err(ProviderError::Incomplete(
                    "stopped by the content filter (finish_reason: content_filter)".to_string(),
                ));
            }
            _ => {}
        }
        if self.text.trim().is_empty() && self.calls.is_empty() {
            return Err(ProviderError::EmptyAnswer);
        }
        let tool_calls = self
            .calls
            .into_iter()
            .map(|(index, call)| ToolCall {
                call_id: if call.id.is_empty() {
                    format!("call_{index}")
                } else {
                    call.id
                },
                name: call.name,
                arguments: call.arguments,
            })
            .collect();
        Ok(ModelResponse {
            text: self.text,
            tool_calls,
            usage: self.usage,
            model: self.model,
        })
    }
}
