//! `codex-memories extract` run as a real process against a local wiremock server speaking the
//! Responses API's SSE format: the memory is stored, `--max-requests` stops the run cleanly and a
//! later run finishes the rest, and two processes racing on one home send one request per session.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use codex_state::{Homes, MemoryStore, StateRuntime, ThreadId};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

// The SSE framing the memories crate's model tests use, shared rather than copied.
#[path = "../../memories/tests/mock_model/mod.rs"]
mod mock_model;

mod test_binary;
use test_binary::binary;

const KEY_ENV: &str = "CODEX_MEMORIES_TEST_KEY";
const MEMORY_JSON: &str = r#"{"raw_memory":"scope: /home/dev/src/ledger\noutcome: success\n- Run cargo test -p ledger before committing.","rollout_summary":"Fixed the ledger rounding test.","rollout_slug":"ledger-rounding"}"#;

/// Writes `count` day-old sessions into `codex_home`; returns their ids.
fn write_sessions(codex_home: &Path, count: usize) -> Vec<ThreadId> {
    let dir = codex_home.join("sessions/2026/11/20");
    std::fs::create_dir_all(&dir).unwrap();
    (0..count)
        .map(|index| {
            let id = ThreadId::new();
            let path = dir.join(format!("rollout-2026-11-20T10-00-{index:02}-{id}.jsonl"));
            // A session's version and age come from its lines' times: a day ago.
    let ts = (chrono::Utc::now() - chrono::Duration::seconds(24 * 3600 + index as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let request = format!("Fix ledger test number {index}.");
            let lines = [
                json!({"timestamp": ts, "type": "session_meta", "payload": {"id": id.to_string(),
                    "timestamp": ts, "cwd": "/home/dev/src/ledger", "originator": "codex_cli_rs",
                    "cli_version": "0.58.0", "instructions": null, "source": "cli", "model_provider": "openai"}}),
                json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "user_message", "message": request, "images": []}}),
                json!({"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": request}]}}),
                json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "agent_message", "message": "Fixed."}}),
            ];
            let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
            std::fs::write(&path, text).unwrap();
            let day_ago = SystemTime::now() - Duration::from_secs(24 * 3600 + index as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(day_ago)
                .unwrap();
            id
        })
        .collect()
}

/// The SSE body of a complete one-message answer.
fn answer_body(text: &str) -> String {
    let events = [
        json!({"type": "response.created", "sequence_number": 0,
               "response": {"id": "resp_1", "status": "in_progress", "model": "test-model", "output": []}}),
        json!({"type": "response.output_item.done", "sequence_number": 1, "output_index": 0,
               "item": {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                        "content": [{"type": "output_text", "annotations": [], "text": text}]}}),
        json!({"type": "response.completed", "sequence_number": 2, "response": {
               "id": "resp_1", "status": "completed", "model": "test-model",
               "usage": {"input_tokens": 500, "output_tokens": 40, "total_tokens": 540}}}),
    ];
    mock_model::sse(&events)
}

async fn mock_server(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(answer_body(MEMORY_JSON), "text/event-stream")
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    server
}

/// `codex-memories extract --json` on `home` against `server`, with the key in the child's env only.
fn extract(home: &Path, server: &MockServer, extra: &[&str]) -> Command {
    let mut command = binary();
    command
        .arg("--codex-home")
        .arg(home)
        .arg("--sqlite-home")
        .arg(home.join("db"))
        .args([
            "extract",
            "--json",
            "--provider",
            "openai",
            "--model",
            "test-model",
        ])
        .arg("--base-url")
        .arg(format!("{}/v1", server.uri()))
        .args(["--api-key-env", KEY_ENV])
        .args(extra)
        .env(KEY_ENV, "sk-test")
        .env_remove("OPENAI_API_KEY");
    command
}

fn report(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout).unwrap()["extract"].clone()
}

async fn stored_outputs(home: &Path, ids: &[ThreadId]) -> usize {
    let state = StateRuntime::open(Homes::new(home, home.join("db")))
        .await
        .unwrap();
    let store = MemoryStore::open(&state).await.unwrap();
    let mut stored = 0;
    for id in ids {
        stored += usize::from(store.stage1_output(*id).await.unwrap().is_some());
    }
    store.close().await;
    state.close().await;
    stored
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn extract_stores_a_memory_per_session_from_the_model() {
    let server = mock_server(Duration::ZERO).await;
    let home = tempfile::tempdir().unwrap();
    let ids = write_sessions(home.path(), 2);

    let output = extract(home.path(), &server, &[]).output().unwrap();

    let report = report(&output);
    assert_eq!(
        (report["claimed"].clone(), report["succeeded"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(report["usage"]["input_tokens"], 1000);
    assert_eq!(request_count(&server).await, 2);
    assert_eq!(stored_outputs(home.path(), &ids).await, 2);
    let body: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(body["model"], "test-model");
}

/// `codex-memories extract --json --provider offline` on `home`.
fn offline_extract(home: &Path, extra: &[&str]) -> Command {
    let mut command = binary();
    command
        .arg("--codex-home")
        .arg(home)
        .arg("--sqlite-home")
        .arg(home.join("db"))
        .args(["extract", "--json", "--provider", "offline"])
        .args(extra)
        .env_remove("OPENAI_API_KEY");
    command
}

async fn raw_memory(home: &Path, id: ThreadId) -> Option<String> {
    let state = StateRuntime::open(Homes::new(home, home.join("db")))
        .await
        .unwrap();
    let store = MemoryStore::open(&state).await.unwrap();
    let raw = store
        .stage1_output(id)
        .await
        .unwrap()
        .map(|row| row.raw_memory);
    store.close().await;
    state.close().await;
    raw
}

#[tokio::test(flavor = "multi_thread")]
async fn reextract_has_the_model_redo_what_an_offline_run_stored() {
    let server = mock_server(Duration::ZERO).await;
    let home = tempfile::tempdir().unwrap();
    let ids = write_sessions(home.path(), 2);
    let offline = offline_extract(home.path(), &[]).output().unwrap();
    let offline = report(&offline);
    assert_eq!(offline["claimed"], json!(2), "{offline}");
    // These two-line sessions hold too little for the offline extractor: no memory.
    assert_eq!(offline["no_output"], json!(2), "{offline}");
    assert_eq!(raw_memory(home.path(), ids[0]).await, None);

    // The offline provider would write the same again: refused, nothing flagged.
    let refused = offline_extract(home.path(), &["--reextract"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--reextract needs a model"), "{stderr}");

    let output = extract(home.path(), &server, &["--reextract"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let redone = report(&output);
    assert_eq!(redone["succeeded"], json!(2), "{redone}");
    assert!(
        stderr.contains("2 finished session(s) are extracted again"),
        "{stderr}"
    );
    assert_eq!(request_count(&server).await, 2);
    let model_memory = raw_memory(home.path(), ids[0]).await.unwrap();
    assert!(
        model_memory.contains("Run cargo test -p ledger"),
        "{model_memory}"
    );

    // Done once: a plain run has nothing left to re-extract.
    let again = extract(home.path(), &server, &[]).output().unwrap();
    assert_eq!(report(&again)["claimed"], json!(0));
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_requests_stops_the_run_and_a_later_run_extracts_the_rest() {
    let server = mock_server(Duration::ZERO).await;
    let home = tempfile::tempdir().unwrap();
    let ids = write_sessions(home.path(), 3);

    let first = report(
        &extract(home.path(), &server, &["--max-requests", "1"])
            .output()
            .unwrap(),
    );

    assert_eq!(request_count(&server).await, 1);
    assert_eq!(first["succeeded"], 1);
    assert_eq!(first["failed"], json!([]));
    assert!(first["budget_stopped"].is_string(), "{first}");
    assert_eq!(stored_outputs(home.path(), &ids).await, 1);

    let second = report(&extract(home.path(), &server, &[]).output().unwrap());

    assert_eq!(second["succeeded"], 2);
    assert_eq!(request_count(&server).await, 3);
    assert_eq!(stored_outputs(home.path(), &ids).await, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_extract_processes_send_one_request_per_session() {
    let sessions = 6;
    let server = mock_server(Duration::from_millis(300)).await;
    let home = tempfile::tempdir().unwrap();
    let ids = write_sessions(home.path(), sessions);

    let spawn = || {
        extract(home.path(), &server, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let reports = [
        report(&first.wait_with_output().unwrap()),
        report(&second.wait_with_output().unwrap()),
    ];

    assert_eq!(request_count(&server).await, sessions);
    let succeeded: u64 = reports
        .iter()
        .map(|report| report["succeeded"].as_u64().unwrap())
        .sum();
    assert_eq!(succeeded, sessions as u64);
    assert_eq!(stored_outputs(home.path(), &ids).await, sessions);
    let mut bodies: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| String::from_utf8(request.body.clone()).unwrap())
        .collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), sessions, "a session was sent twice");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_run_extracts_up_to_max_rollouts_sessions_not_just_the_concurrency() {
    let sessions = 12;
    let server = mock_server(Duration::ZERO).await;
    let home = tempfile::tempdir().unwrap();
    let ids = write_sessions(home.path(), sessions);

    let report = report(
        &extract(home.path(), &server, &["--max-rollouts", "12"])
            .output()
            .unwrap(),
    );

    assert_eq!(report["claimed"], sessions);
    assert_eq!(request_count(&server).await, sessions);
    assert_eq!(stored_outputs(home.path(), &ids).await, sessions);
}

/// `extract --json` with `provider_args`, with only `OPENAI_API_KEY` (a canary) in the env.
fn extract_with_openai_key_only(home: &Path, provider_args: &[&str]) -> Command {
    let mut command = binary();
    command
        .arg("--codex-home")
        .arg(home)
        .arg("--sqlite-home")
        .arg(home.join("db"))
        .args(["extract", "--json"])
        .args(provider_args)
        .env("OPENAI_API_KEY", "sk-canary-must-stay-home")
        .env_remove(KEY_ENV);
    command
}

#[tokio::test(flavor = "multi_thread")]
async fn openai_api_key_is_never_sent_to_a_custom_base_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/responses"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(answer_body(MEMORY_JSON), "text/event-stream"),
        )
        .mount(&server)
        .await;
    let chat_answer = format!(
        "data: {}\n\ndata: [DONE]\n\n",
        json!({"choices": [{"index": 0, "delta": {"content": MEMORY_JSON}, "finish_reason": "stop"}]})
    );
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(chat_answer, "text/event-stream"))
        .mount(&server)
        .await;
    let base_url = format!("{}/v1", server.uri());

    for provider in ["openai", "chat"] {
        let home = tempfile::tempdir().unwrap();
        write_sessions(home.path(), 1);
        let args = [
            "--provider",
            provider,
            "--base-url",
            base_url.as_str(),
            "--model",
            "test-model",
        ];
        let output = extract_with_openai_key_only(home.path(), &args)
            .output()
            .unwrap();
        assert_eq!(report(&output)["succeeded"], json!(1), "{provider}");
    }

    // Every request counts: the two model requests and chat's context-window probes.
    let requests = server.received_requests().await.unwrap();
    let model_requests = requests
        .iter()
        .filter(|request| {
            request.url.path().ends_with("/responses")
                || request.url.path().ends_with("/chat/completions")
        })
        .count();
    assert_eq!(model_requests, 2);
    let authorizations: Vec<_> = requests
        .iter()
        .filter_map(|request| request.headers.get("authorization"))
        .collect();
    assert_eq!(authorizations, Vec::<&wiremock::http::HeaderValue>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_variable_named_with_api_key_env_is_sent_to_a_custom_base_url() {
    let server = mock_server(Duration::ZERO).await;
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), 1);

    let output = extract(home.path(), &server, &[]).output().unwrap();

    assert_eq!(report(&output)["succeeded"], json!(1));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        "Bearer sk-test"
    );
}

#[test]
fn a_mistyped_provider_is_a_usage_error_that_lists_the_choices() {
    let home = tempfile::tempdir().unwrap();
    let output = extract_with_openai_key_only(home.path(), &["--provider", "olama"])
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("olama") && stderr.contains("openai, chat, offline"),
        "{stderr}"
    );
}
