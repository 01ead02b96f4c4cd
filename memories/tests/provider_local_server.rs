//! The `chat` provider against wiremock servers that behave like real local servers do: one that
//! answers 500 to `response_format: json_schema` (llama-cpp-python), one that cuts a running
//! stream short with `[DONE]` and no `finish_reason` (llama.cpp when a second request arrives),
//! one that loops until `max_tokens`, one that never reports usage, one that answers nothing, and
//! one too slow for the request deadline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use codex_memories::provider::{
    ChatClient, DEFAULT_MAX_OUTPUT_TOKENS, InputItem, ModelClient, ModelRequest, OutputSchema,
    ProviderConfig, ProviderError, ProviderKind, RetryPolicy, Role, StructuredOutput,
    StructuredOutputSetting,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod mock_model;
use mock_model::received_bodies;

const LLAMA_CPP_PYTHON_500: &str = "Traceback (most recent call last): ... ValueError: \
    response_format type 'json_schema' is not supported";

fn chunks(chunks: &[Value], done: bool) -> ResponseTemplate {
    let mut body: String = chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn delta(content: &str, finish_reason: Option<&str>) -> Value {
    json!({"object": "chat.completion.chunk", "model": "smollm2",
           "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish_reason}]})
}

fn answer(text: &str) -> ResponseTemplate {
    chunks(&[delta(text, None), delta("", Some("stop"))], true)
}

fn config(server: &MockServer) -> ProviderConfig {
    ProviderConfig::new(ProviderKind::Chat)
        .with_base_url(Some(format!("{}/v1", server.uri())))
        .with_model(Some("smollm2".into()))
}

fn client_with(config: &ProviderConfig) -> ChatClient {
    ChatClient::new(config, None)
        .unwrap()
        .with_retry_policy(RetryPolicy::fast())
}

fn structured_request() -> ModelRequest {
    ModelRequest::new(
        "Extract a memory.",
        vec![InputItem::Message {
            role: Role::User,
            text: "transcript".into(),
        }],
    )
    .with_output_schema(Some(OutputSchema {
        name: "stage_one_memory".into(),
        schema: json!({"type": "object", "properties": {"raw_memory": {"type": "string"}},
                       "required": ["raw_memory"], "additionalProperties": false}),
    }))
    .with_reasoning_effort(Some("low".into()))
}

async fn reject_format(server: &MockServer, format: &str) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_partial_json(
            json!({"response_format": {"type": format}}),
        ))
        .respond_with(ResponseTemplate::new(500).set_body_string(LLAMA_CPP_PYTHON_500))
        .with_priority(1)
        .mount(server)
        .await;
}

async fn accept_anything(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .with_priority(5)
        .mount(server)
        .await;
}

fn format_of(body: &Value) -> Option<&str> {
    body["response_format"]["type"].as_str()
}

#[tokio::test]
async fn a_server_that_500s_on_json_schema_is_asked_with_json_object_and_the_schema_for_the_rest_of_the_run()
 {
    let server = MockServer::start().await;
    reject_format(&server, "json_schema").await;
    accept_anything(&server, answer(r#"{"raw_memory":"m"}"#)).await;
    let config = config(&server);
    let client = client_with(&config);

    let first = client.complete(&structured_request()).await.unwrap();
    let second = client.complete(&structured_request()).await.unwrap();

    assert_eq!(
        (first.text.as_str(), second.text.as_str()),
        (r#"{"raw_memory":"m"}"#, r#"{"raw_memory":"m"}"#)
    );
    let bodies = received_bodies(&server).await;
    let formats: Vec<_> = bodies.iter().map(format_of).collect();
    // One rejected request (not retried: the 500 names the format), then json_object for good.
    assert_eq!(
        formats,
        vec![
            Some("json_schema"),
            Some("json_object"),
            Some("json_object")
        ]
    );
    assert_eq!(
        bodies[1]["response_format"]["schema"]["required"],
        json!(["raw_memory"])
    );
    assert!(
        bodies[1]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("Answer with one JSON object"),
        "{}",
        bodies[1]["messages"][0]
    );
    assert_eq!(
        config.structured_output.current(),
        StructuredOutput::JsonObject
    );
}

#[tokio::test]
async fn a_server_that_rejects_every_format_is_asked_without_one_and_a_grammar_free_prompt() {
    let server = MockServer::start().await;
    reject_format(&server, "json_schema").await;
    reject_format(&server, "json_object").await;
    accept_anything(&server, answer(r#"{"raw_memory":"m"}"#)).await;

    client_with(&config(&server))
        .complete(&structured_request())
        .await
        .unwrap();

    let bodies = received_bodies(&server).await;
    let formats: Vec<_> = bodies.iter().map(format_of).collect();
    assert_eq!(
        formats,
        vec![Some("json_schema"), Some("json_object"), None]
    );
    let system = bodies[2]["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("\"raw_memory\""), "{system}");
}

#[tokio::test]
async fn a_fixed_format_the_server_rejects_is_a_format_unsupported_error() {
    let server = MockServer::start().await;
    reject_format(&server, "json_schema").await;
    accept_anything(&server, answer("{}")).await;
    let config = config(&server)
        .with_structured_output(StructuredOutputSetting::fixed(StructuredOutput::JsonSchema));

    let error = client_with(&config)
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::FormatUnsupported { .. }),
        "{error:?}"
    );
    assert!(
        error
            .run_level_hint()
            .unwrap()
            .contains("--structured-output auto")
    );
    assert_eq!(received_bodies(&server).await.len(), 1);
}

#[tokio::test]
async fn a_remembered_format_is_used_from_the_first_request() {
    let server = MockServer::start().await;
    accept_anything(&server, answer("{}")).await;
    let config = config(&server).with_structured_output(StructuredOutputSetting::auto_from(
        StructuredOutput::JsonObject,
    ));

    client_with(&config)
        .complete(&structured_request())
        .await
        .unwrap();

    let bodies = received_bodies(&server).await;
    assert_eq!(format_of(&bodies[0]), Some("json_object"));
}

#[tokio::test]
async fn a_stream_cut_off_without_a_finish_reason_is_asked_again_not_accepted() {
    let server = MockServer::start().await;
    // llama.cpp interrupting a running stream: some text, then [DONE], no finish_reason.
    Mock::given(method("POST"))
        .respond_with(chunks(&[delta("{\"raw_mem", None)], true))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    accept_anything(&server, answer(r#"{"raw_memory":"whole"}"#)).await;

    let response = client_with(&config(&server))
        .complete(&structured_request())
        .await
        .unwrap();

    assert_eq!(response.text, r#"{"raw_memory":"whole"}"#);
    assert_eq!(received_bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn a_stream_that_is_always_cut_off_is_a_truncated_error() {
    let server = MockServer::start().await;
    accept_anything(&server, chunks(&[delta("", None)], true)).await;

    let error = client_with(&config(&server))
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::Truncated { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("without a finish_reason"),
        "{error}"
    );
    assert_eq!(received_bodies(&server).await.len(), 2);
}

#[tokio::test]
async fn a_generation_that_loops_until_max_tokens_is_an_output_limit_named_as_such() {
    let server = MockServer::start().await;
    accept_anything(
        &server,
        chunks(
            &[delta(
                "{ 'from' -> { 12.4} } ".repeat(50).as_str(),
                Some("length"),
            )],
            true,
        ),
    )
    .await;
    let request = structured_request().with_max_output_tokens(Some(2048));

    let error = client_with(&config(&server))
        .complete(&request)
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::OutputLimit { limit: Some(2048) }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the output limit was reached: the model wrote its 2048-token cap without finishing its answer (it may be looping)"
    );
    assert_eq!(received_bodies(&server).await[0]["max_tokens"], 2048);
}

#[tokio::test]
async fn every_request_is_bounded_and_chat_gets_no_reasoning_effort_unless_configured() {
    let server = MockServer::start().await;
    accept_anything(&server, answer("{}")).await;
    let request = structured_request().with_max_output_tokens(None);

    client_with(&config(&server))
        .complete(&request)
        .await
        .unwrap();
    let configured = config(&server).with_reasoning_effort(Some("high".into()));
    client_with(&configured).complete(&request).await.unwrap();

    let bodies = received_bodies(&server).await;
    assert_eq!(bodies[0]["max_tokens"], DEFAULT_MAX_OUTPUT_TOKENS);
    assert_eq!(bodies[0].get("reasoning_effort"), None);
    assert_eq!(bodies[1]["reasoning_effort"], "high");
}

#[tokio::test]
async fn a_server_without_usage_still_gives_the_answer() {
    let server = MockServer::start().await;
    accept_anything(&server, answer("{\"raw_memory\":\"m\"}")).await;

    let response = client_with(&config(&server))
        .complete(&structured_request())
        .await
        .unwrap();

    assert_eq!(
        (response.text.as_str(), response.usage),
        ("{\"raw_memory\":\"m\"}", None)
    );
}

#[tokio::test]
async fn an_empty_answer_is_its_own_failure() {
    let server = MockServer::start().await;
    accept_anything(&server, answer("  ")).await;

    let error = client_with(&config(&server))
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(matches!(error, ProviderError::EmptyAnswer), "{error:?}");
    assert_eq!(error.to_string(), "the model returned an empty answer");
}

#[tokio::test]
async fn a_request_past_its_deadline_is_a_deadline_error() {
    let server = MockServer::start().await;
    accept_anything(&server, answer("{}").set_delay(Duration::from_secs(5))).await;
    let config = config(&server).with_request_deadline(Duration::from_millis(200));

    let error = client_with(&config)
        .complete(&structured_request())
        .await
        .unwrap_err();

    assert!(matches!(error, ProviderError::Deadline { .. }), "{error:?}");
}

#[tokio::test]
async fn a_refused_connection_says_so_and_stops_the_run() {
    // A port nothing listens on: bind, read the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let config = ProviderConfig::new(ProviderKind::Chat)
        .with_base_url(Some(format!("http://127.0.0.1:{port}/v1")))
        .with_model(Some("smollm2".into()));

    let error = client_with(&config)
        .complete(&structured_request())
        .await
        .unwrap_err();

    let message = error.to_string().to_ascii_lowercase();
    assert!(message.contains("connection refused"), "{message}");
    assert!(error.run_level_hint().is_some());
}
