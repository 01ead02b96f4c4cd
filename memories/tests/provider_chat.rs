//! The `chat` provider against a local wiremock server speaking the Chat Completions streaming
//! format (`data: {chunk}` lines until `data: [DONE]`), as Ollama, vLLM, llama.cpp and LM Studio do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use codex_memories::provider::{
    ApiKey, ChatClient, InputItem, ModelClient, ModelRequest, ModelResponse, OutputSchema,
    ProviderConfig, ProviderError, ProviderKind, RetryPolicy, Role, ToolCall, ToolSpec, Usage,
    build_client_with_env,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod mock_model;
use mock_model::received_bodies;

/// An SSE body of `data:` chunks, optionally closed by `data: [DONE]`.
fn sse(chunks: &[Value], done: bool) -> ResponseTemplate {
    let mut body: String = chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_raw(body, "text/event-stream")
}

fn chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1763790000,
        "model": "qwen2.5-coder:7b", "system_fingerprint": "fp_ollama",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
    })
}

fn usage_chunk(prompt: u64, completion: u64) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1763790000,
        "model": "qwen2.5-coder:7b", "choices": [],
        "usage": { "prompt_tokens": prompt, "completion_tokens": completion,
                   "total_tokens": prompt + completion },
    })
}

fn config(server: &MockServer) -> ProviderConfig {
    ProviderConfig::new(ProviderKind::Chat)
        .with_base_url(Some(format!("{}/v1", server.uri())))
        .with_model(Some("qwen2.5-coder:7b".into()))
}

fn client(server: &MockServer) -> ChatClient {
    ChatClient::new(&config(server), None)
        .unwrap()
        .with_retry_policy(RetryPolicy::fast())
}

fn request() -> ModelRequest {
    ModelRequest::new(
        "Summarise the session.",
        vec![InputItem::Message {
            role: Role::User,
            text: "transcript".into(),
        }],
    )
}

#[tokio::test]
async fn text_tool_call_fragments_and_usage_are_assembled_until_done() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(sse(
            &[
                chunk(json!({ "role": "assistant", "content": "" }), None),
                chunk(json!({ "content": "Let me " }), None),
                chunk(json!({ "content": "look." }), None),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "id": "call_a", "type": "function",
                        "function": { "name": "read_file", "arguments": "" } }] }),
                    None,
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "{\"path\":" } }] }),
                    None,
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 1, "id": "call_b", "type": "function",
                        "function": { "name": "list_dir", "arguments": "{}" } }] }),
                    None,
                ),
                chunk(
                    json!({ "tool_calls": [{ "index": 0, "function": { "arguments": "\"MEMORY.md\"}" } }] }),
                    None,
                ),
                chunk(json!({}), Some("tool_calls")),
                usage_chunk(812, 40),
            ],
            true,
        ))
        .expect(1)
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(
        response,
        ModelResponse::new("Let me look.")
            .with_tool_calls(vec![
                ToolCall {
                    call_id: "call_a".into(),
                    name: "read_file".into(),
                    arguments: "{\"path\":\"MEMORY.md\"}".into(),
                },
                ToolCall {
                    call_id: "call_b".into(),
                    name: "list_dir".into(),
                    arguments: "{}".into(),
                },
            ])
            .with_usage(Some(Usage {
                input_tokens: 812,
                output_tokens: 40,
                total_tokens: 852
            }))
            .with_model(Some("qwen2.5-coder:7b".into()))
    );
}

#[tokio::test]
async fn the_request_body_streams_with_usage_and_a_strict_response_format() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[chunk(json!({ "content": "{}" }), Some("stop"))],
            true,
        ))
        .mount(&server)
        .await;
    let schema = json!({
        "type": "object",
        "properties": { "raw_memory": { "type": "string" } },
        "required": ["raw_memory"],
        "additionalProperties": false,
    });
    let parameters = json!({ "type": "object", "properties": {} });
    let request = ModelRequest::new(
        "Summarise the session.",
        vec![
            InputItem::Message {
                role: Role::User,
                text: "transcript".into(),
            },
            InputItem::Message {
                role: Role::Assistant,
                text: "Looking.".into(),
            },
            InputItem::ToolCall(ToolCall {
                call_id: "call_1".into(),
                name: "list_dir".into(),
                arguments: "{}".into(),
            }),
            InputItem::ToolCall(ToolCall {
                call_id: "call_2".into(),
                name: "list_dir".into(),
                arguments: "{\"path\":\"skills\"}".into(),
            }),
            InputItem::ToolOutput {
                call_id: "call_1".into(),
                output: "MEMORY.md".into(),
            },
        ],
    )
    .with_output_schema(Some(OutputSchema {
        name: "stage_one_memory".into(),
        schema: schema.clone(),
    }))
    .with_tools(vec![ToolSpec {
        name: "list_dir".into(),
        description: "Lists a folder.".into(),
        parameters: parameters.clone(),
    }])
    .with_max_output_tokens(Some(2048));

    let response = client(&server).complete(&request).await.unwrap();

    assert_eq!(response.text, "{}");
    assert_eq!(
        received_bodies(&server).await,
        vec![json!({
            "model": "qwen2.5-coder:7b",
            "messages": [
                { "role": "system", "content": "Summarise the session." },
                { "role": "user", "content": "transcript" },
                { "role": "assistant", "content": "Looking.", "tool_calls": [
                    { "id": "call_1", "type": "function",
                      "function": { "name": "list_dir", "arguments": "{}" } },
                    { "id": "call_2", "type": "function",
                      "function": { "name": "list_dir", "arguments": "{\"path\":\"skills\"}" } },
                ] },
                { "role": "tool", "tool_call_id": "call_1", "content": "MEMORY.md" },
            ],
            "stream": true,
            "stream_options": { "include_usage": true },
            "tools": [{ "type": "function", "function": {
                "name": "list_dir", "description": "Lists a folder.", "parameters": parameters } }],
            "response_format": { "type": "json_schema", "json_schema": {
                "name": "stage_one_memory", "schema": schema, "strict": true } },
            "max_tokens": 2048,
        })]
    );
}

#[tokio::test]
async fn no_key_sends_no_authorization_and_a_configured_key_is_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[chunk(json!({ "content": "hi" }), Some("stop"))],
            true,
        ))
        .mount(&server)
        .await;

    client(&server).complete(&request()).await.unwrap();
    ChatClient::new(&config(&server), ApiKey::new("local-secret"))
        .unwrap()
        .complete(&request())
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let authorization: Vec<Option<&str>> = requests
        .iter()
        .map(|request| {
            request
                .headers
                .get("authorization")
                .map(|value| value.to_str().unwrap())
        })
        .collect();
    assert_eq!(authorization, vec![None, Some("Bearer local-secret")]);
}

#[tokio::test]
async fn a_stream_without_done_or_finish_reason_is_a_stream_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(&[chunk(json!({ "content": "half" }), None)], false))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::Stream { detail, .. } if detail.contains("[DONE]")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_finished_stream_without_done_is_accepted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[chunk(json!({ "content": "all" }), Some("stop"))],
            false,
        ))
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(response.text, "all");
    assert_eq!(response.usage, None);
}

#[tokio::test]
async fn finish_reason_length_is_the_output_limit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[chunk(json!({ "content": "{\"raw" }), Some("length"))],
            true,
        ))
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(error, ProviderError::OutputLimit { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_chunk_fails_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[json!({ "error": { "message": "model 'llama9' not found", "code": 404 } })],
            false,
        ))
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "the model failed: model 'llama9' not found (404)"
    );
}

#[tokio::test]
async fn service_unavailable_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("loading model"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(sse(
            &[chunk(json!({ "content": "ok" }), Some("stop"))],
            true,
        ))
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(response.text, "ok");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[test]
fn chat_without_a_model_is_a_config_error_naming_the_setting() {
    let config = ProviderConfig::new(ProviderKind::Chat)
        .with_base_url(Some("http://localhost:11434/v1".into()));

    let error = ChatClient::new(&config, None).unwrap_err();

    assert!(matches!(error, ProviderError::Config(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("--model") && message.contains("extract_model"),
        "{message}"
    );
}

#[test]
fn chat_without_a_base_url_is_a_config_error() {
    let config = ProviderConfig::new(ProviderKind::Chat).with_model(Some("llama3.1".into()));

    let error = ChatClient::new(&config, None).unwrap_err();

    assert!(error.to_string().contains("--base-url"), "{error}");
}

/// Stands in for the offline client the extraction code provides.
struct Canned;

#[async_trait::async_trait]
impl ModelClient for Canned {
    async fn complete(&self, _: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        Ok(ModelResponse::default())
    }
    fn provider_name(&self) -> &str {
        "offline"
    }
    fn default_model(&self) -> &str {
        "offline"
    }
}

#[test]
fn build_client_picks_each_provider_and_reads_the_configured_key_env() {
    let offline = || Arc::new(Canned) as Arc<dyn ModelClient>;
    let env = |name: &str| (name == "LOCAL_KEY").then(|| "secret".to_string());

    let built = build_client_with_env(&ProviderConfig::new(ProviderKind::Offline), env, offline);
    assert_eq!(built.unwrap().provider_name(), "offline");

    let chat = ProviderConfig::new(ProviderKind::Chat)
        .with_base_url(Some("http://localhost:11434/v1".into()))
        .with_model(Some("llama3.1".into()))
        .with_api_key_env(Some("LOCAL_KEY".into()))
        .with_context_window(Some(131_072));
    let built = build_client_with_env(&chat, env, offline).unwrap();
    assert_eq!(
        (
            built.provider_name(),
            built.default_model(),
            built.context_window()
        ),
        ("chat", "llama3.1", Some(131_072))
    );

    let openai = ProviderConfig::new(ProviderKind::OpenAi);
    let error = build_client_with_env(&openai, env, offline).err().unwrap();
    assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
}

#[tokio::test]
async fn a_server_that_ignores_streaming_is_reported_as_such() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "chat.completion",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": "hi" } }],
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::Stream { detail, .. } if detail.contains("expected an event stream")),
        "{error:?}"
    );
}
