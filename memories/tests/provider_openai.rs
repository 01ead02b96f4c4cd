//! The `openai` provider against a local wiremock server speaking the Responses API's real
//! server-sent-event format: answers, request bodies, retries, and every way a stream can fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codex_memories::provider::{
    ApiKey, InputItem, ModelClient, ModelRequest, ModelResponse, OpenAiClient, OutputSchema,
    ProviderConfig, ProviderError, ProviderKind, RetryPolicy, Role, ToolCall, ToolSpec, Usage,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod mock_model;
use mock_model::{received_bodies, sse};

const KEY: &str = "sk-test-0123456789abcdef";

fn stream(events: &[Value]) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_raw(sse(events), "text/event-stream")
}

fn message_item(text: &str) -> Value {
    json!({
        "id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
        "content": [{ "type": "output_text", "annotations": [], "text": text }],
    })
}

/// The events the API sends for a one-message answer, deltas and all.
fn answer_events(text: &str) -> Vec<Value> {
    let (head, tail) = text.split_at(text.len() / 2);
    vec![
        json!({ "type": "response.created", "sequence_number": 0,
                "response": { "id": "resp_1", "status": "in_progress", "model": "gpt-test", "output": [] } }),
        json!({ "type": "response.in_progress", "sequence_number": 1,
                "response": { "id": "resp_1", "status": "in_progress" } }),
        json!({ "type": "response.output_item.added", "sequence_number": 2, "output_index": 0,
                "item": { "id": "rs_1", "type": "reasoning", "summary": [] } }),
        json!({ "type": "response.output_item.done", "sequence_number": 3, "output_index": 0,
                "item": { "id": "rs_1", "type": "reasoning", "summary": [] } }),
        json!({ "type": "response.output_item.added", "sequence_number": 4, "output_index": 1,
                "item": { "id": "msg_1", "type": "message", "status": "in_progress", "role": "assistant", "content": [] } }),
        json!({ "type": "response.output_text.delta", "sequence_number": 5, "item_id": "msg_1",
                "output_index": 1, "content_index": 0, "delta": head }),
        json!({ "type": "response.output_text.delta", "sequence_number": 6, "item_id": "msg_1",
                "output_index": 1, "content_index": 0, "delta": tail }),
        json!({ "type": "response.output_text.done", "sequence_number": 7, "item_id": "msg_1",
                "output_index": 1, "content_index": 0, "text": text }),
        json!({ "type": "response.output_item.done", "sequence_number": 8, "output_index": 1,
                "item": message_item(text) }),
    ]
}

fn completed(input_tokens: u64, output_tokens: u64) -> Value {
    json!({ "type": "response.completed", "sequence_number": 99, "response": {
        "id": "resp_1", "status": "completed", "model": "gpt-test",
        "usage": { "input_tokens": input_tokens, "input_tokens_details": { "cached_tokens": 0 },
                   "output_tokens": output_tokens, "output_tokens_details": { "reasoning_tokens": 0 },
                   "total_tokens": input_tokens + output_tokens } } })
}

fn client(server: &MockServer) -> OpenAiClient {
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(format!("{}/v1", server.uri())))
        .with_model(Some("gpt-test".into()));
    OpenAiClient::new(&config, ApiKey::new(KEY))
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
async fn a_completed_stream_gives_the_text_usage_and_model() {
    let server = MockServer::start().await;
    let mut events = answer_events("{\"raw_memory\":\"m\"}");
    events.push(completed(1200, 34));
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(stream(&events))
        .expect(1)
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(
        response,
        ModelResponse::new("{\"raw_memory\":\"m\"}")
            .with_usage(Some(Usage {
                input_tokens: 1200,
                output_tokens: 34,
                total_tokens: 1234
            }))
            .with_model(Some("gpt-test".into()))
    );
}

#[tokio::test]
async fn the_request_body_asks_for_strict_structured_output_without_storing() {
    let server = MockServer::start().await;
    let mut events = answer_events("{}");
    events.push(completed(1, 1));
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(stream(&events))
        .mount(&server)
        .await;
    let schema = json!({
        "type": "object",
        "properties": { "raw_memory": { "type": "string" } },
        "required": ["raw_memory"],
        "additionalProperties": false,
    });
    let request = request()
        .with_output_schema(Some(OutputSchema {
            name: "stage_one_memory".into(),
            schema: schema.clone(),
        }))
        .with_reasoning_effort(Some("low".into()))
        .with_max_output_tokens(Some(4096));

    client(&server).complete(&request).await.unwrap();

    assert_eq!(
        received_bodies(&server).await,
        vec![json!({
            "model": "gpt-test",
            "instructions": "Summarise the session.",
            "input": [{ "type": "message", "role": "user",
                        "content": [{ "type": "input_text", "text": "transcript" }] }],
            "stream": true,
            "store": false,
            "text": { "format": { "type": "json_schema", "name": "stage_one_memory",
                                  "schema": schema, "strict": true } },
            // No "reasoning": gpt-test is not a model known to take a reasoning effort.
            "max_output_tokens": 4096,
        })]
    );
}

#[tokio::test]
async fn reasoning_effort_goes_only_to_models_known_to_take_it_unless_configured() {
    let server = MockServer::start().await;
    let mut events = answer_events("{}");
    events.push(completed(1, 1));
    Mock::given(method("POST"))
        .respond_with(stream(&events))
        .mount(&server)
        .await;
    let request = request().with_reasoning_effort(Some("low".into()));
    let with = |model: &str, configured: Option<&str>| {
        ProviderConfig::new(ProviderKind::OpenAi)
            .with_base_url(Some(format!("{}/v1", server.uri())))
            .with_model(Some(model.into()))
            .with_reasoning_effort(configured.map(str::to_string))
    };

    for config in [
        with("gpt-5.1-codex-mini", None),
        with("gpt-4.1", None),
        with("gpt-4.1", Some("high")),
    ] {
        OpenAiClient::new(&config, ApiKey::new(KEY))
            .unwrap()
            .complete(&request)
            .await
            .unwrap();
    }

    let efforts: Vec<Value> = received_bodies(&server)
        .await
        .into_iter()
        .map(|body| body["reasoning"].clone())
        .collect();
    assert_eq!(
        efforts,
        vec![
            json!({"effort": "low"}),
            Value::Null,
            json!({"effort": "high"})
        ]
    );
}

#[tokio::test]
async fn function_tools_are_offered_and_tool_calls_come_back_in_order() {
    let server = MockServer::start().await;
    let call = |id: &str, name: &str, arguments: &str| {
        json!({ "type": "response.output_item.done", "output_index": 0,
                "item": { "id": format!("fc_{id}"), "type": "function_call", "status": "completed",
                          "call_id": id, "name": name, "arguments": arguments } })
    };
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(stream(&[
            call("call_1", "read_file", "{\"path\":\"MEMORY.md\"}"),
            call("call_2", "list_dir", "{\"path\":\".\"}"),
            completed(50, 20),
        ]))
        .mount(&server)
        .await;
    let parameters = json!({ "type": "object", "properties": { "path": { "type": "string" } } });
    let request = ModelRequest::new(
        "Summarise the session.",
        vec![
            InputItem::Message {
                role: Role::User,
                text: "consolidate".into(),
            },
            InputItem::ToolCall(ToolCall {
                call_id: "call_0".into(),
                name: "list_dir".into(),
                arguments: "{}".into(),
            }),
            InputItem::ToolOutput {
                call_id: "call_0".into(),
                output: "MEMORY.md".into(),
            },
            InputItem::Message {
                role: Role::Assistant,
                text: "Reading it.".into(),
            },
        ],
    )
    .with_tools(vec![ToolSpec {
        name: "read_file".into(),
        description: "Reads a file.".into(),
        parameters: parameters.clone(),
    }]);

    let response = client(&server).complete(&request).await.unwrap();

    assert_eq!(
        response.tool_calls,
        vec![
            ToolCall {
                call_id: "call_1".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"MEMORY.md\"}".into(),
            },
            ToolCall {
                call_id: "call_2".into(),
                name: "list_dir".into(),
                arguments: "{\"path\":\".\"}".into(),
            },
        ]
    );
    assert_eq!(response.text, "");
    let body = &received_bodies(&server).await[0];
    assert_eq!(
        body["tools"],
        json!([{ "type": "function", "name": "read_file", "description": "Reads a file.",
                 "parameters": parameters, "strict": false }])
    );
    assert_eq!(
        body["input"],
        json!([
            { "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "consolidate" }] },
            { "type": "function_call", "call_id": "call_0", "name": "list_dir", "arguments": "{}" },
            { "type": "function_call_output", "call_id": "call_0", "output": "MEMORY.md" },
            { "type": "message", "role": "assistant", "content": [{ "type": "output_text", "text": "Reading it." }] },
        ])
    );
}

#[tokio::test]
async fn a_rate_limit_with_retry_after_is_retried_once_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    let mut events = answer_events("ok");
    events.push(completed(3, 1));
    Mock::given(method("POST"))
        .respond_with(stream(&events))
        .expect(1)
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(response.text, "ok");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn server_errors_fail_after_exactly_three_requests() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("{\"error\":\"boom\"}"))
        .expect(3)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::Http { status: 500, body, .. } if body.contains("boom")),
        "{error:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad schema"))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(error, ProviderError::Http { status: 400, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_stream_cut_before_completion_is_an_error_and_is_not_sent_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream(&answer_events("half an answer")))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::Stream { detail, .. } if detail.contains("response.completed")),
        "{error:?}"
    );
}

#[tokio::test]
async fn response_failed_reports_the_models_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream(&[json!({ "type": "response.failed", "response": {
            "id": "resp_1", "status": "failed",
            "error": { "code": "server_error", "message": "The model crashed." } } })]))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "the model failed: The model crashed. (server_error)"
    );
}

#[tokio::test]
async fn response_incomplete_at_max_output_tokens_is_the_output_limit() {
    let server = MockServer::start().await;
    let mut events = answer_events("{\"raw_mem");
    events.push(json!({ "type": "response.incomplete", "response": {
        "id": "resp_1", "status": "incomplete",
        "incomplete_details": { "reason": "max_output_tokens" } } }));
    Mock::given(method("POST"))
        .respond_with(stream(&events))
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::OutputLimit { limit: Some(_) }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("the output limit was reached"),
        "{error}"
    );
}

#[tokio::test]
async fn an_error_event_fails_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream(&[json!({ "type": "error", "sequence_number": 1,
            "code": "context_length_exceeded", "message": "Input is too long.", "param": null })]))
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "the model failed: Input is too long. (context_length_exceeded)"
    );
}

#[tokio::test]
async fn the_key_goes_in_the_bearer_header_and_never_into_errors() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!(
            "{{\"error\":{{\"message\":\"Incorrect API key: {KEY}\"}}}}"
        )))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    let shown = format!("{error} {error:?} {:?}", client(&server));
    assert!(
        matches!(error, ProviderError::Http { status: 401, .. }),
        "{shown}"
    );
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("Incorrect API key"), "{shown}");
}

#[tokio::test]
async fn a_server_that_stalls_before_answering_is_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(stream(&[completed(1, 1)]).set_delay(Duration::from_secs(5)))
        .expect(3)
        .mount(&server)
        .await;
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(server.uri()))
        .with_model(Some("gpt-test".into()))
        .with_idle_timeout(Duration::from_millis(50));
    let client = OpenAiClient::new(&config, None)
        .unwrap()
        .with_retry_policy(RetryPolicy::fast());

    let error = client.complete(&request()).await.unwrap_err();

    assert!(matches!(error, ProviderError::Connect { .. }), "{error:?}");
}

#[test]
fn a_non_default_base_url_needs_an_explicit_model() {
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some("http://localhost:8000/v1".into()));

    let error = OpenAiClient::new(&config, ApiKey::new(KEY)).unwrap_err();

    assert!(matches!(error, ProviderError::Config(_)), "{error:?}");
    assert!(error.to_string().contains("--model"), "{error}");
}

#[test]
fn the_default_base_url_uses_the_default_model_and_needs_a_key() {
    let config = ProviderConfig::new(ProviderKind::OpenAi);

    let client = OpenAiClient::new(&config, ApiKey::new(KEY)).unwrap();
    assert_eq!(client.default_model(), "gpt-5.1-codex-mini");
    assert_eq!(client.context_window(), Some(272_000));

    let error = OpenAiClient::new(&config, None).unwrap_err();
    assert!(error.to_string().contains("OPENAI_API_KEY"), "{error}");
}

/// A one-route HTTP server on a loopback port that answers every POST with the SSE headers and
/// `first_chunk`, then stays silent with the connection open. Returns its base URL and a counter
/// of the requests it accepted.
fn stalling_server(first_chunk: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            read_request(&mut stream);
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
            let chunk = format!("{:x}\r\n{first_chunk}\r\n", first_chunk.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(chunk.as_bytes()).unwrap();
            stream.flush().unwrap();
            open.push(stream);
        }
    });
    (url, accepted)
}

/// Reads one request's headers and its `content-length` body.
fn read_request(stream: &mut std::net::TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
        if line == "\r\n" || line.is_empty() {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
}

#[tokio::test]
async fn a_stream_that_goes_idle_is_a_stream_error_and_is_not_sent_again() {
    let first = sse(&answer_events("partial")[..2]);
    let (url, accepted) = stalling_server(first);
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(url))
        .with_model(Some("gpt-test".into()))
        .with_idle_timeout(Duration::from_millis(200));
    let client = OpenAiClient::new(&config, None)
        .unwrap()
        .with_retry_policy(RetryPolicy::fast());

    let error = client.complete(&request()).await.unwrap_err();

    assert!(
        matches!(&error, ProviderError::Stream { detail, .. } if detail.contains("idle")),
        "{error:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn items_listed_only_in_response_completed_still_make_the_answer() {
    let server = MockServer::start().await;
    let mut done = completed(10, 2);
    done["response"]["output"] = json!([message_item("from completed")]);
    Mock::given(method("POST"))
        .respond_with(stream(&[done]))
        .mount(&server)
        .await;

    let response = client(&server).complete(&request()).await.unwrap();

    assert_eq!(response.text, "from completed");
}

#[tokio::test]
async fn a_refusal_without_other_output_fails() {
    let server = MockServer::start().await;
    let refusal = json!({ "type": "response.output_item.done", "output_index": 0, "item": {
        "id": "msg_1", "type": "message", "role": "assistant",
        "content": [{ "type": "refusal", "refusal": "I can't help with that." }] } });
    Mock::given(method("POST"))
        .respond_with(stream(&[refusal, completed(10, 5)]))
        .mount(&server)
        .await;

    let error = client(&server).complete(&request()).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        "the model failed: the model refused: I can't help with that."
    );
}
