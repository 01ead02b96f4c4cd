//! The `openai` provider: the Responses API (`POST {base_url}/responses`, `stream: true`),
//! read as server-sent events. The answer is built from `response.output_item.done` items and
//! the usage from `response.completed`; `response.failed`, `response.incomplete` and `error`
//! events become errors, and a stream that ends before `response.completed` is a stream error,
//! never an empty answer. Requests are retried only before the body starts (see `retry`).

use std::time::Duration;

use serde_json::{Value, json};

use super::config::{
    DEFAULT_OPENAI_BASE_URL, DEFAULT_OPENAI_MODEL, MODEL_SETTING_NAMES, ProviderConfig,
    known_context_window,
};
use super::endpoint::StreamEndpoint;
use super::http::{self, ApiKey};
use super::request::DEFAULT_MAX_OUTPUT_TOKENS;
use super::retry::{RetryGate, RetryPolicy};
use super::sse::SseReader;
use super::structured::{StructuredOutput, StructuredOutputSetting, schema_instructions};
use super::{
    InputItem, ModelClient, ModelRequest, ModelResponse, ProviderError, Role, ToolCall, Usage,
};

/// A client of the OpenAI Responses API (or a server speaking it).
#[derive(Debug, Clone)]
pub struct OpenAiClient {
    endpoint: StreamEndpoint,
    model: String,
    context_window: Option<u64>,
    structured_output: StructuredOutputSetting,
    reasoning_effort: Option<String>,
    deadline: Duration,
}

impl OpenAiClient {
    /// Builds a client from settings. The default base URL needs a key and may use the default
    /// model; any other base URL needs an explicit model (a key is then optional).
    pub fn new(config: &ProviderConfig, key: Option<ApiKey>) -> Result<Self, ProviderError> {
        let base_url = config
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .unwrap_or(DEFAULT_OPENAI_BASE_URL);
        let is_default_url =
            base_url.trim_end_matches('/') == DEFAULT_OPENAI_BASE_URL.trim_end_matches('/');
        let model = match (config.model_name(), is_default_url) {
            (Some(model), _) => model.to_string(),
            (None, true) => DEFAULT_OPENAI_MODEL.to_string(),
            (None, false) => {
                return Err(ProviderError::Config(format!(
                    "the openai provider at {base_url} needs an explicit model ({MODEL_SETTING_NAMES}); \
                     the default {DEFAULT_OPENAI_MODEL} is only used with {DEFAULT_OPENAI_BASE_URL}"
                )));
            }
        };
        if key.is_none() && is_default_url {
            let env = config.api_key_env_name().unwrap_or_default();
            return Err(ProviderError::Config(format!(
                "the openai provider needs an API key: set {env} (or name another variable with --api-key-env / api_key_env), \
                 or choose --provider offline"
            )));
        }
        Ok(Self {
            endpoint: StreamEndpoint::new(config, http::endpoint(base_url, "responses"), key)?,
            context_window: config
                .context_window
                .or_else(|| known_context_window(&model)),
            model,
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

    /// The request body sent to `/responses`, in the structured-output format the endpoint is
    /// currently known to accept.
    pub fn request_body(&self, request: &ModelRequest) -> Value {
        self.body_in_format(request, self.structured_output.current())
    }

    /// The request body asking for structured output the `format` way.
    pub fn body_in_format(&self, request: &ModelRequest, format: StructuredOutput) -> Value {
        let model = request.model.as_deref().unwrap_or(&self.model);
        let mut instructions = request.instructions.clone();
        if let Some(schema) = &request.output_schema
            && format != StructuredOutput::JsonSchema
        {
            instructions.push_str(&schema_instructions(&schema.schema));
        }
        let mut body = json!({
            "model": model,
            "instructions": instructions,
            "input": request.input.iter().map(input_item).collect::<Vec<_>>(),
            "stream": true,
            "store": false,
        });
        if !request.tools.is_empty() {
            body["tools"] = request
                .tools
                .iter()
                .map(|tool| {
                    json!({
                        "type": "function",
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                        "strict": false,
                    })
                })
                .collect();
        }
        if let Some(schema) = &request.output_schema {
            match format {
                StructuredOutput::JsonSchema => {
                    body["text"] = json!({
                        "format": {
                            "type": "json_schema",
                            "name": schema.name,
                            "schema": schema.schema,
                            "strict": true,
                        }
                    });
                }
                StructuredOutput::JsonObject => {
                    body["text"] = json!({ "format": { "type": "json_object" } });
                }
                StructuredOutput::None => {}
            }
        }
        let effort = match &self.reasoning_effort {
            Some(configured) => Some(configured),
            None => request
                .reasoning_effort
                .as_ref()
                .filter(|_| takes_reasoning_effort(model)),
        };
        if let Some(effort) = effort {
            body["reasoning"] = json!({ "effort": effort });
        }
        body["max_output_tokens"] = json!(output_cap(request));
        body
    }

    /// Reads the event stream until `response.completed` (or a failure).
    async fn read_stream(
        &self,
        mut reader: SseReader,
        limit: u32,
    ) -> Result<ModelResponse, ProviderError> {
        let mut answer = Answer::default();
        while let Some(event) = reader.next_event().await? {
            let data: Value = serde_json::from_str(&event.data)
                .map_err(|error| reader.stream_error(format!("an event is not JSON ({error})")))?;
            let kind = data["type"]
                .as_str()
                .or(event.event.as_deref())
                .unwrap_or_default();
            match kind {
                "response.output_item.done" => answer.take_item(&data["item"]),
                "response.completed" => return answer.finish(&data["response"]),
                "response.failed" => {
                    let error = &data["response"]["error"];
                    return Err(ProviderError::Failed(self.scrub(&describe_error(error))));
                }
                "response.incomplete" => {
                    let reason = data["response"]["incomplete_details"]["reason"]
                        .as_str()
                        .unwrap_or("no reason given");
                    if reason == "max_output_tokens" {
                        return Err(ProviderError::OutputLimit { limit: Some(limit) });
                    }
                    return Err(ProviderError::Incomplete(self.scrub(reason)));
                }
                "error" => {
                    let error = if data["error"].is_object() {
                        &data["error"]
                    } else {
                        &data
                    };
                    return Err(ProviderError::Failed(self.scrub(&describe_error(error))));
                }
                _ => {}
            }
        }
        Err(reader.stream_error("the stream ended before response.completed"))
    }

    fn scrub(&self, text: &str) -> String {
        self.endpoint.scrub(text)
    }
}

#[async_trait::async_trait]
impl ModelClient for OpenAiClient {
    async fn complete(&self, request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        let open_and_read = async {
            let (reader, _format) = self
                .endpoint
                .open_with_format(
                    &self.structured_output,
                    request.output_schema.is_some(),
                    |format| self.body_in_format(request, format),
                )
                .await?;
            // From here on the body streams: whatever happens, the request is not sent again.
            self.read_stream(reader, output_cap(request)).await
        };
        tokio::time::timeout(self.deadline, open_and_read)
            .await
            .unwrap_or_else(|_| {
                Err(ProviderError::Deadline {
                    url: self.endpoint.url().to_string(),
                    seconds: self.deadline.as_secs(),
                })
            })
    }

    fn provider_name(&self) -> &str {
        "openai"
    }

    fn default_model(&self) -> &str {
        &self.model
    }

    fn context_window(&self) -> Option<u64> {
        self.context_window
    }
}

/// Whether `model` is known to take a reasoning effort (OpenAI's reasoning models).
pub fn takes_reasoning_effort(model: &str) -> bool {
    const REASONING_PREFIXES: &[&str] = &["gpt-5", "o1", "o3", "o4", "codex-mini"];
    REASONING_PREFIXES
        .iter()
        .any(|prefix| model.starts_with(prefix))
}

/// The output-token cap of a request: its own, else [`DEFAULT_MAX_OUTPUT_TOKENS`].
fn output_cap(request: &ModelRequest) -> u32 {
    request
        .max_output_tokens
        .unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS)
}

/// One input item in the Responses API's shape.
fn input_item(item: &InputItem) -> Value {
    match item {
        InputItem::Message { role, text } => {
            let (role, content_type) = match role {
                Role::User => ("user", "input_text"),
                Role::Developer => ("developer", "input_text"),
                Role::Assistant => ("assistant", "output_text"),
            };
            json!({
                "type": "message",
                "role": role,
                "content": [{ "type": content_type, "text": text }],
            })
        }
        InputItem::ToolCall(call) => json!({
            "type": "function_call",
            "call_id": call.call_id,
            "name": call.name,
            "arguments": call.arguments,
        }),
        InputItem::ToolOutput { call_id, output } => json!({
            "type": "function_call_output",
            "call_id": call_id,
            "output": output,
        }),
    }
}

/// `message (code)` from an error object, whatever parts it has.
fn describe_error(error: &Value) -> String {
    let message = error["message"].as_str().unwrap_or("no message given");
    match error["code"].as_str() {
        Some(code) => format!("{message} ({code})"),
        None => message.to_string(),
    }
}

/// The answer being assembled from output items.
#[derive(Debug, Default)]
struct Answer {
    text: String,
    refusal: String,
    tool_calls: Vec<ToolCall>,
    items_seen: bool,
}

impl Answer {
    /// Takes one finished output item: message text, a refusal, or a function call.
    fn take_item(&mut self, item: &Value) {
        self.items_seen = true;
        match item["type"].as_str() {
            Some("message") => {
                for part in item["content"].as_array().into_iter().flatten() {
                    match part["type"].as_str() {
                        Some("output_text") => self
                            .text
                            .push_str(part["text"].as_str().unwrap_or_default()),
                        Some("refusal") => self
                            .refusal
                            .push_str(part["refusal"].as_str().unwrap_or_default()),
                        _ => {}
                    }
                }
            }
            Some("function_call") => self.tool_calls.push(ToolCall {
                call_id: item["call_id"].as_str().unwrap_or_default().to_string(),
                name: item["name"].as_str().unwrap_or_default().to_string(),
                arguments: item["arguments"].as_str().unwrap_or_default().to_string(),
            }),
            // Reasoning and other item kinds carry nothing the caller uses.
            _ => {}
        }
    }

    /// The final response from `response.completed`'s payload. Servers that send no
    /// `output_item.done` events still list the items in `response.output`.
    fn finish(mut self, response: &Value) -> Result<ModelResponse, ProviderError> {
        if !self.items_seen {
            for item in response["output"].as_array().into_iter().flatten() {
                self.take_item(item);
            }
        }
        if self.text.is_empty() && self.tool_calls.is_empty() && !self.refusal.is_empty() {
            return Err(ProviderError::Failed(format!(
                "the model refused: {}",
                self.refusal
            )));
        }
        if self.text.trim().is_empty() && self.tool_calls.is_empty() {
            return Err(ProviderError::EmptyAnswer);
        }
        let usage = &response["usage"];
        let usage = usage.is_object().then(|| {
            let input_tokens = usage["input_tokens"].as_u64().unwrap_or_default();
            let output_tokens = usage["output_tokens"].as_u64().unwrap_or_default();
            Usage {
                input_tokens,
                output_tokens,
                total_tokens: usage["total_tokens"]
                    .as_u64()
                    .unwrap_or(input_tokens + output_tokens),
            }
        });
        Ok(ModelResponse {
            text: self.text,
            tool_calls: self.tool_calls,
            usage,
            model: response["model"].as_str().map(str::to_string),
        })
    }
}
