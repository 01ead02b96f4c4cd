//! `extract`: phase-1 pipeline overhead. A synthetic Codex home of day-old rollouts (10–100 KB
//! each) is indexed (not timed), then `run_extraction` with the real `openai` client, the real
//! SQLite store and concurrency 8 extracts every session from a local mock HTTP server that
//! answers each request after a fixed 50 ms with a valid Responses-API SSE answer. The baseline
//! is the ideal: sessions × 50 ms / 8. The mock is a plain std TCP server, one thread per
//! connection (keep-alive), so its own cost is a thread wake-up per request.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, ensure};
use codex_memories::RunBudget;
use codex_memories::provider::{
    ApiKey, ModelClient, OpenAiClient, ProviderConfig, ProviderKind, RetryPolicy,
};
use codex_memories::{ExtractOptions, run_extraction};
use codex_state::{Homes, MemoryStore, StartupScanParams, StateRuntime};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, write_home};

/// Sessions extracted (full run / quick run).
const FULL_SESSIONS: usize = 1_000;
const QUICK_SESSIONS: usize = 200;
/// Extractions at once.
const CONCURRENCY: usize = 8;
/// The mock server's fixed answer delay.
const MODEL_LATENCY: Duration = Duration::from_millis(50);
/// Synthetic rollout sizes, in bytes.
const MIN_ROLLOUT_BYTES: u64 = 10 * 1024;
const MAX_ROLLOUT_BYTES: u64 = 100 * 1024;
/// Rollouts are last modified this long ago (idle enough for the startup scan).
const ROLLOUT_AGE: Duration = Duration::from_secs(24 * 3600);
/// Target: wall time ≤ this × the ideal.
const OVERHEAD_RATIO_TARGET: f64 = 1.10;

/// Builds the home, starts the mock, measures one extraction run.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let sessions = if options.quick {
        QUICK_SESSIONS
    } else {
        FULL_SESSIONS
    };
    let dir = tempfile::tempdir()?;
    eprintln!("  writing {sessions} synthetic sessions …");
    let home = write_home(
        dir.path(),
        u64::MAX,
        sessions,
        &mut Rng::new(7),
        |_, rng| rng.range(MIN_ROLLOUT_BYTES, MAX_ROLLOUT_BYTES),
    )?;
    let day_ago = SystemTime::now() - ROLLOUT_AGE;
    for path in &home.files {
        std::fs::File::options()
            .write(true)
            .open(path)?
            .set_modified(day_ago)?;
    }
    let mock = MockModel::start()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start a tokio runtime")?
        .block_on(measure(dir.path(), sessions, &mock))
}

async fn measure(
    codex_home: &std::path::Path,
    sessions: usize,
    mock: &MockModel,
) -> anyhow::Result<Vec<Row>> {
    let state = StateRuntime::open(Homes::under_codex_home(codex_home)).await?;
    let index = state.index_sessions(&|_| {}).await?;
    ensure!(
        index.threads_added as usize == sessions,
        "indexed {} of {sessions} sessions",
        index.threads_added
    );
    let store = MemoryStore::open(&state).await?;
    let config = ProviderConfig::new(ProviderKind::OpenAi)
        .with_base_url(Some(format!("http://{}/v1", mock.address)))
        .with_model(Some("bench-model".to_string()));
    let client: Arc<dyn ModelClient> = Arc::new(
        OpenAiClient::new(&config, ApiKey::new("sk-bench"))?.with_retry_policy(RetryPolicy::fast()),
    );
    let claims = u32::try_from(sessions)?;
    let options = ExtractOptions::default()
        .with_scan(
            StartupScanParams::default()
                .with_max_claims(claims)
                .with_running_cap(claims),
        )
        .with_concurrency(CONCURRENCY)
        .with_model(Some("bench-model".to_string()));

    let start = Instant::now();
    let report = run_extraction(
        &store,
        client,
        Arc::new(RunBudget::default()),
        &options,
        &|_| {},
    )
    .await?;
    let seconds = start.elapsed().as_secs_f64();

    ensure!(
        report.succeeded == sessions,
        "{} of {sessions} sessions stored; failures: {:?}",
        report.succeeded,
        report.failed.first()
    );
    ensure!(
        mock.requests.load(Ordering::SeqCst) == sessions,
        "the mock saw {} requests for {sessions} sessions",
        mock.requests.load(Ordering::SeqCst)
    );
    store.close().await;
    state.close().await;
    let ideal = sessions as f64 * MODEL_LATENCY.as_secs_f64() / CONCURRENCY as f64;
    Ok(vec![
        Row::new(
            format!(
                "extract: {sessions} sessions, concurrency {CONCURRENCY}, model answers in {} ms",
                MODEL_LATENCY.as_millis()
            ),
            seconds,
            "s",
        )
        .baseline(ideal, "ideal: sessions × 50 ms / 8")
        .target_ratio(OVERHEAD_RATIO_TARGET, Better::Lower),
        Row::new(
            "extract: sessions per second",
            sessions as f64 / seconds,
            "sessions/s",
        )
        .baseline(sessions as f64 / ideal, "ideal"),
    ])
}

/// A local HTTP/1.1 server answering every request after [`MODEL_LATENCY`] with one SSE answer.
struct MockModel {
    address: std::net::SocketAddr,
    requests: Arc<AtomicUsize>,
}

impl MockModel {
    fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || serve(stream, &counter));
            }
        });
        Ok(Self { address, requests })
    }
}

/// Serves requests on one keep-alive connection until the client closes it.
fn serve(stream: TcpStream, requests: &AtomicUsize) {
    let body = answer_body();
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0usize;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut request_body = vec![0; content_length];
        if reader.read_exact(&mut request_body).is_err() {
            return;
        }
        requests.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(MODEL_LATENCY);
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// A complete Responses-API SSE answer carrying a valid stage-one memory.
fn answer_body() -> String {
    let memory = serde_json::json!({
        "raw_memory": "scope: /work/project\noutcome: success\n- run `cargo test` before committing; the user wants clippy clean",
        "rollout_summary": "Fixed the failing test and kept the public API unchanged.",
        "rollout_slug": "fix-failing-test",
    })
    .to_string();
    let events = [
        serde_json::json!({"type": "response.created", "sequence_number": 0,
            "response": {"id": "resp_1", "status": "in_progress", "model": "bench-model", "output": []}}),
        serde_json::json!({"type": "response.output_item.done", "sequence_number": 1, "output_index": 0,
            "item": {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                     "content": [{"type": "output_text", "annotations": [], "text": memory}]}}),
        serde_json::json!({"type": "response.completed", "sequence_number": 2, "response": {
            "id": "resp_1", "status": "completed", "model": "bench-model",
            "usage": {"input_tokens": 4000, "output_tokens": 80, "total_tokens": 4080}}}),
    ];
    events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap_or("")
            )
        })
        .collect()
}
