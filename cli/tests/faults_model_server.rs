//! Fault: a model server answering with 429 storms, 500s, garbage, cut streams, hang-ups and
//! very slow responses. The run ends within its deadline, the HTTP requests the server receives
//! stay within `--max-requests` model calls times the provider's attempts per call, the exit code
//! says the run failed, and every failed session's job is in backoff with a readable reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::time::Duration;

use codex_memories::provider::MAX_ATTEMPTS;
use faults_support::{
    MockServer, Reply, assert_integrity, db_path, query, run, stage_one, write_sessions,
};
use pretty_assertions::assert_eq;
use serde_json::Value;

const SESSIONS: u32 = 12;
const MAX_REQUESTS: usize = 8;
/// A slow answer: long enough to be slow, short enough for the suite.
const SLOW_REPLY: Duration = Duration::from_millis(1500);

/// The server's behaviour for request `index`: a storm of 429s first, then the other faults.
fn hostile(index: usize) -> Reply {
    let valid = || stage_one("prefers cargo nextest", "ran the tests with nextest");
    match index {
        0..=4 => Reply::Status(429, r#"{"error":{"message":"slow down"}}"#.into()),
        _ => match index % 6 {
            0 => Reply::Status(500, "internal error".into()),
            1 => Reply::RawStream("data: this is not json\n\n".into()),
            2 => Reply::RawStream(
                "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{}}\n\n"
                    .into(),
            ),
            3 => Reply::Slow(SLOW_REPLY, Box::new(valid())),
            4 => Reply::Hangup,
            _ => valid(),
        },
    }
}

#[test]
fn hostile_model_server_stays_within_budget_and_leaves_failed_jobs_in_backoff() {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), SESSIONS);
    let server = MockServer::start(|index, _body: &Value| hostile(index));

    let max = MAX_REQUESTS.to_string();
    let output = run(
        home.path(),
        &[
            "run",
            "--provider",
            "openai",
            "--base-url",
            &server.base_url,
            "--model",
            "m",
            "--consolidator",
            "offline",
            "--max-requests",
            &max,
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}): {stderr}"));
    let failed = report["extract"]["failed"].as_array().unwrap();
    assert!(!failed.is_empty(), "{report:#}");
    assert_eq!(output.status.code(), Some(1), "a failed run exits 1");

    let received = server.request_count();
    println!(
        "HTTP requests received: {received} (max-requests {MAX_REQUESTS}, attempts per call {MAX_ATTEMPTS})"
    );
    // Transport retries spend from the same budget, so the server never sees more HTTP
    // requests than --max-requests allows.
    assert!(
        received <= MAX_REQUESTS,
        "{received} HTTP requests for --max-requests {MAX_REQUESTS}"
    );
    let attempted = report["extract"]["succeeded"].as_u64().unwrap() as usize
        + report["extract"]["no_output"].as_u64().unwrap() as usize
        + failed.len();
    assert!(attempted <= MAX_REQUESTS, "{report:#}");

    let memories = db_path(home.path(), "memories_1.sqlite");
    for entry in failed {
        let thread = entry["thread_id"].as_str().unwrap();
        let rows = query(
            &memories,
            &format!(
                "SELECT status, last_error, retry_at > finished_at FROM jobs \
                 WHERE kind = 'memory_stage1' AND job_key = '{thread}'"
            ),
        );
        assert_eq!(rows.len(), 1, "{thread}");
        let [status, last_error, in_backoff] = rows[0].as_slice() else {
            unreachable!()
        };
        assert_eq!(
            (status.as_deref(), in_backoff.as_deref()),
            (Some("error"), Some("1")),
            "{thread}"
        );
        let reason = last_error.clone().unwrap_or_default();
        assert!(
            reason.contains("model request failed") || reason.contains("stage-one memory"),
            "{thread}: unreadable reason {reason:?}"
        );
        println!("{thread}: {reason}");
    }
    assert_eq!(
        query(
            &memories,
            "SELECT COUNT(*) FROM jobs WHERE status = 'running'"
        )[0][0]
            .as_deref(),
        Some("0")
    );
    assert_integrity(home.path());
}
