//! What the fault-injection tests share: temporary homes with sessions a day old, the binary run
//! under a deadline, and a small local HTTP server speaking the Responses API whose answer to
//! each request is chosen by the test (success, status error, garbage, cut stream, slow).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

#[path = "../../../memories/tests/folder_snapshot/mod.rs"]
mod folder_snapshot;
#[allow(unused_imports)] // not every test binary compares folders
pub use folder_snapshot::{leftovers, snapshot};

#[path = "../test_binary/mod.rs"]
mod test_binary;
#[allow(unused_imports)] // not every test starts the binary itself
pub use test_binary::{BIN, binary};
/// The longest any single child process may run before the test kills it and fails.
pub const CHILD_DEADLINE: Duration = Duration::from_secs(60);
/// How often a waiting test polls a child for its exit.
const CHILD_POLL: Duration = Duration::from_millis(10);

/// The thread id of synthetic session `n`.
pub fn thread_id(n: u32) -> String {
    format!("019a93b9-f380-7600-98ff-{n:012x}")
}

/// Moves a session in time so that its last line is from a day ago (its version and age come
/// from its content), old enough for the idle window and young enough for the age window; its
/// mtime is set to match.
pub fn age_one_day(path: &Path) {
    let mtime = SystemTime::now() - Duration::from_secs(24 * 3600);
    let bytes = std::fs::read(path).unwrap();
    // Line by line, so a line that is not UTF-8 (the corpus's invalid lines) keeps its bytes.
    let lines: Vec<&[u8]> = bytes.split(|&byte| byte == b'\n').collect();
    let latest = lines
        .iter()
        .filter_map(|line| std::str::from_utf8(line).ok())
        .filter_map(codex_protocol::latest_timestamp)
        .max();
    if let Some(latest) = latest {
        let by = chrono::DateTime::<chrono::Utc>::from(mtime) - latest;
        let shifted: Vec<Vec<u8>> = lines
            .iter()
            .map(|line| match std::str::from_utf8(line) {
                Ok(text) => codex_protocol::shift_timestamps(text, by).into_bytes(),
                Err(_) => line.to_vec(),
            })
            .collect();
        std::fs::write(path, shifted.join(&b'\n')).unwrap();
    }
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

/// Writes session `n` (a user message, a tool call with its output and an answer, each carrying
/// the given texts) under `sessions/`, a day old, and returns its path.
pub fn write_session(
    codex_home: &Path,
    n: u32,
    user: &str,
    tool_arguments: &str,
    tool_output: &str,
) -> PathBuf {
    let id = thread_id(n);
    let path = codex_home
        .join("sessions/2026/11/20")
        .join(format!("rollout-2026-11-20T10-00-00-{id}.jsonl"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let ts = "2026-11-20T10:00:00.000Z";
    let lines = [
        json!({"timestamp": ts, "type": "session_meta", "payload": {"id": id, "timestamp": ts,
            "cwd": "/work/project", "originator": "codex_cli_rs", "cli_version": "0.58.0",
            "source": "cli", "model_provider": "openai"}}),
        json!({"timestamp": ts, "type": "event_msg", "payload": {"type": "user_message", "message": user, "images": []}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "user",
            "content": [{"type": "input_text", "text": user}]}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "function_call",
            "name": "shell", "arguments": tool_arguments, "call_id": format!("call_{n}")}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "function_call_output",
            "call_id": format!("call_{n}"), "output": tool_output}}),
        json!({"timestamp": ts, "type": "response_item", "payload": {"type": "message", "role": "assistant",
            "content": [{"type": "output_text", "text": format!("Done with task {n}: the build now uses the cache and tests pass.")}]}}),
    ];
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    age_one_day(&path);
    path
}

/// Writes `count` ordinary sessions numbered from 1.
pub fn write_sessions(codex_home: &Path, count: u32) {
    for n in 1..=count {
        write_session(
            codex_home,
            n,
            &format!("Task {n}: make the CI build of crate-{n} faster; I prefer cargo nextest."),
            &format!(r#"{{"command":["bash","-lc","cargo nextest run -p crate-{n}"]}}"#),
            &format!("test result: ok. {n} passed; 0 failed"),
        );
    }
}

/// The binary with `args` on `codex_home`, environment cleaned.
pub fn command(codex_home: &Path, args: &[&str]) -> Command {
    let mut command = binary();
    command
        .args(args)
        .arg("--codex-home")
        .arg(codex_home)
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_MEMORIES_SQLITE_HOME")
        .env_remove("OPENAI_API_KEY")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Waits for `child` at most `deadline`, killing it (and failing) past that.
pub fn wait_bounded(mut child: Child, deadline: Duration, what: &str) -> Output {
    let started = Instant::now();
    // Drain the pipes on threads so a chatty child never blocks on a full pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).ok();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).ok();
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{what} did not finish within {deadline:?}");
        }
        std::thread::sleep(CHILD_POLL);
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Runs the binary to completion under [`CHILD_DEADLINE`].
pub fn run(codex_home: &Path, args: &[&str]) -> Output {
    let child = command(codex_home, args).spawn().unwrap();
    wait_bounded(child, CHILD_DEADLINE, &format!("codex-memories {args:?}"))
}

/// Runs the binary, asserts success and reads its JSON report.
pub fn run_json(codex_home: &Path, args: &[&str]) -> Value {
    let output = run(codex_home, args);
    assert!(
        output.status.success(),
        "{args:?} exited {:?}: {}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The offline pipeline, which needs no server.
pub const OFFLINE_RUN: &[&str] = &[
    "run",
    "--provider",
    "offline",
    "--consolidator",
    "offline",
    "--json",
];

/// `<home>/codex-memories/<name>`.
pub fn db_path(codex_home: &Path, name: &str) -> PathBuf {
    codex_home.join("codex-memories").join(name)
}

/// The three databases of a home.
pub const DB_NAMES: [&str; 3] = ["state_1.sqlite", "memories_1.sqlite", "logs_1.sqlite"];

/// Runs one SQL query on a database through a fresh tokio runtime; each row as text columns.
pub fn query(db: &Path, sql: &str) -> Vec<Vec<Option<String>>> {
    use sqlx::Row as _;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // Read-write (never creating): after a kill -9 the first reader may have to recover the
        // WAL, which a read-only connection cannot do.
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(db)
            .create_if_missing(false);
        let mut conn = sqlx::ConnectOptions::connect(&options)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.display()));
        let rows = sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{}: {sql}: {e}", db.display()));
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i).unwrap_or_else(|_| {
                            row.try_get::<Option<i64>, _>(i)
                                .unwrap()
                                .map(|v| v.to_string())
                        })
                    })
                    .collect()
            })
            .collect()
    })
}

/// One value of a one-row, one-column query.
pub fn query_one(db: &Path, sql: &str) -> String {
    let rows = query(db, sql);
    rows[0][0].clone().unwrap_or_default()
}

/// Asserts `PRAGMA integrity_check` is `ok` on each database of the home that exists.
pub fn assert_integrity(codex_home: &Path) {
    for name in DB_NAMES {
        let db = db_path(codex_home, name);
        if db.exists() {
            assert_eq!(
                query_one(&db, "PRAGMA integrity_check"),
                "ok",
                "{}",
                db.display()
            );
        }
    }
}

/// The commits of the memory folder's baseline, newest first (empty when git is missing).
pub fn git_log(codex_home: &Path) -> Option<Vec<String>> {
    let output = Command::new("git")
        .arg("-C")
        .arg(codex_home.join("memories"))
        .args(["log", "--format=%H"])
        .output()
        .ok()?;
    if !output.status.success() {
        return Some(Vec::new());
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_string)
            .collect(),
    )
}

/// What the mock server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A 200 event stream with these events, then close.
    Stream(Vec<Value>),
    /// A status with a body (and a `Retry-After: 0` header for 429).
    Status(u16, String),
    /// A 200 event stream whose bytes are these, then close.
    RawStream(String),
    /// Closes the connection without an answer.
    Hangup,
    /// Waits, then replies.
    Slow(Duration, Box<Reply>),
}

/// The events of a one-message answer.
pub fn answer(text: &str) -> Reply {
    Reply::Stream(vec![
        json!({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": []}}),
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"id": "msg_1",
            "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "annotations": [], "text": text}]}}),
        completed(),
    ])
}

/// The events of a turn calling one tool.
pub fn tool_call(call_id: &str, name: &str, arguments: &Value) -> Reply {
    Reply::Stream(vec![
        json!({"type": "response.output_item.done", "output_index": 0, "item": {"id": "fc_1",
            "type": "function_call", "status": "completed", "call_id": call_id, "name": name,
            "arguments": arguments.to_string()}}),
        completed(),
    ])
}

fn completed() -> Value {
    json!({"type": "response.completed", "response": {"id": "resp_1", "status": "completed",
        "model": "m", "usage": {"input_tokens": 100, "output_tokens": 20, "total_tokens": 120}}})
}

/// A stage-one JSON answer whose memory is `bullet` under the `scope:` and `outcome:` lines the
/// quality gate asks for.
pub fn stage_one(bullet: &str, summary: &str) -> Reply {
    let raw_memory = format!("scope: /work/project\noutcome: success\n- {bullet}");
    answer(
        &json!({"raw_memory": raw_memory, "rollout_summary": summary, "rollout_slug": "task"})
            .to_string(),
    )
}

/// Whether a captured request is a consolidation-agent turn (it offers tools).
pub fn is_agent_request(body: &Value) -> bool {
    body["tools"]
        .as_array()
        .is_some_and(|tools| !tools.is_empty())
}

/// Which turn of the consolidation agent a request is: the tool results it already carries.
pub fn agent_turn(body: &Value) -> usize {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .count()
}

/// All text of a request's input items, joined.
pub fn request_text(body: &Value) -> String {
    let mut text = String::new();
    for item in body["input"].as_array().into_iter().flatten() {
        for part in item["content"].as_array().into_iter().flatten() {
            text.push_str(part["text"].as_str().unwrap_or_default());
            text.push('\n');
        }
        if let Some(output) = item["output"].as_str() {
            text.push_str(output);
            text.push('\n');
        }
    }
    text
}

type Handler = dyn Fn(usize, &Value) -> Reply + Send + Sync;

/// A local HTTP server; every request's body is kept, and `handler(index, body)` decides the reply.
pub struct MockServer {
    /// `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl MockServer {
    /// Starts serving on an ephemeral port; each connection on its own thread.
    pub fn start(handler: impl Fn(usize, &Value) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (requests, count, stop) = (requests.clone(), count.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (requests, count, handler) =
                        (requests.clone(), count.clone(), handler.clone());
                    std::thread::spawn(move || serve(stream, &requests, &count, handler.as_ref()));
                }
            });
        }
        Self {
            base_url,
            requests,
            count,
            stop,
        }
    }

    /// Requests received so far.
    pub fn request_count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// The bodies received so far.
    pub fn bodies(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let address = self
            .base_url
            .trim_start_matches("http://")
            .trim_end_matches("/v1");
        TcpStream::connect(address).ok();
    }
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<String>>, count: &AtomicUsize, handler: &Handler) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    let mut first = String::new();
    if reader.read_line(&mut first).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let index = count.fetch_add(1, Ordering::SeqCst);
    requests.lock().unwrap().push(body.clone());
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let reply = handler(index, &parsed);
    write_reply(stream, reply);
}

fn write_reply(mut stream: TcpStream, reply: Reply) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
    match reply {
        Reply::Slow(delay, inner) => {
            std::thread::sleep(delay);
            return write_reply(stream, *inner);
        }
        Reply::Stream(events) => {
            let mut text = head.to_string();
            for event in events {
                text.push_str(&format!(
                    "event: {}\ndata: {event}\n\n",
                    event["type"].as_str().unwrap_or("message")
                ));
            }
            stream.write_all(text.as_bytes()).ok();
        }
        Reply::RawStream(bytes) => {
            stream.write_all(head.as_bytes()).ok();
            stream.write_all(bytes.as_bytes()).ok();
        }
        Reply::Status(status, body) => {
            let retry = if status == 429 {
                "retry-after: 0\r\n"
            } else {
                ""
            };
            let text = format!(
                "HTTP/1.1 {status} Error\r\ncontent-type: application/json\r\n{retry}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(text.as_bytes()).ok();
        }
        Reply::Hangup => {}
    }
    stream.flush().ok();
    stream.shutdown(std::net::Shutdown::Both).ok();
}

/// Runs phase 2 once through the library, offline, on a clock moved past every lease — as the
/// next run after a killed one's lease would — and returns its report.
pub fn phase2_after_lease(codex_home: &Path) -> codex_memories::Phase2Report {
    use codex_memories::OfflineConsolidator;
    use codex_memories::{Phase2Options, run_phase2};
    use codex_state::{Homes, ManualClock, MemoryStore, PHASE2_LEASE_SECONDS, StateRuntime};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let later = chrono::Utc::now() + chrono::Duration::seconds(PHASE2_LEASE_SECONDS * 2);
        let clock = Arc::new(ManualClock::new(later));
        let state = StateRuntime::open_with_clock(Homes::under_codex_home(codex_home), clock)
            .await
            .unwrap();
        let store = MemoryStore::open(&state).await.unwrap();
        let mut options = Phase2Options::default();
        options.claim.cooldown_seconds = 0;
        let report = run_phase2(
            &store,
            &codex_home.join("memories"),
            &OfflineConsolidator,
            &options,
            later,
        )
        .await
        .unwrap();
        store.close().await;
        state.close().await;
        report
    })
}
