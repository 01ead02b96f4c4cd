//! One generated session written as a Codex rollout: `session_meta` with the folder and the git
//! origin the session recorded, then its turns — user messages (as `event_msg/user_message` and
//! the matching `response_item` message), shell commands with their output and exit code — and a
//! final answer. Times are given by the caller, so a home's sessions are idle enough to extract.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

/// One step of a session.
#[derive(Debug, Clone)]
pub enum Turn {
    /// A message from the user.
    User(String),
    /// A shell command the agent ran, with its exit code and output.
    Command {
        /// The command line.
        line: String,
        /// Its exit code.
        exit_code: i64,
        /// What it printed.
        output: String,
    },
}

/// A whole session.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    /// The folder it ran in.
    pub cwd: PathBuf,
    /// The origin URL it recorded, when it ran in a repository with one.
    pub origin: Option<String>,
    /// Its steps.
    pub turns: Vec<Turn>,
    /// The agent's last answer.
    pub final_answer: String,
}

/// The thread id of generated session `n` (a UUIDv7-shaped id).
pub fn thread_id(n: usize) -> String {
    format!("019a93b9-f380-7600-98ff-{n:012x}")
}

/// Writes session `n` under `codex_home/sessions/`, its last line at `finished`.
pub fn write_session(
    codex_home: &Path,
    n: usize,
    finished: DateTime<Utc>,
    spec: &SessionSpec,
) -> std::io::Result<PathBuf> {
    let id = thread_id(n);
    // One second per line, ending at `finished`.
    let line_count = 2 + spec.turns.len() * 2 + 1;
    let start = finished - Duration::seconds(line_count as i64);
    let dir = codex_home.join(start.format("sessions/%Y/%m/%d").to_string());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!(
        "rollout-{}-{id}.jsonl",
        start.format("%Y-%m-%dT%H-%M-%S")
    ));
    let mut tick = 0;
    let mut stamp = || {
        tick += 1;
        (start + Duration::seconds(tick)).to_rfc3339_opts(SecondsFormat::Millis, true)
    };
    let mut meta = json!({"id": id, "timestamp": stamp(), "cwd": spec.cwd.display().to_string(),
        "originator": "codex_cli_rs", "cli_version": "0.58.0", "source": "cli",
        "model_provider": "openai"});
    if let Some(origin) = &spec.origin {
        meta["git"] = json!({"commit_hash": "0123456789abcdef0123456789abcdef01234567",
            "branch": "main", "repository_url": origin});
    }
    let mut lines: Vec<Value> = vec![json!({"timestamp": stamp(), "type": "session_meta",
        "payload": meta})];
    for (index, turn) in spec.turns.iter().enumerate() {
        let ts = stamp();
        match turn {
            Turn::User(text) => {
                lines.push(json!({"timestamp": ts, "type": "event_msg", "payload": {
                    "type": "user_message", "message": text, "images": []}}));
                lines.push(
                    json!({"timestamp": ts, "type": "response_item", "payload": {
                    "type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": text}]}}),
                );
            }
            Turn::Command {
                line,
                exit_code,
                output,
            } => {
                let call_id = format!("call_{index}");
                let arguments = json!({"command": ["bash", "-lc", line]}).to_string();
                let result = json!({"output": output, "metadata": {"exit_code": exit_code}});
                lines.push(
                    json!({"timestamp": ts, "type": "response_item", "payload": {
                    "type": "function_call", "name": "shell", "arguments": arguments,
                    "call_id": call_id}}),
                );
                lines.push(
                    json!({"timestamp": ts, "type": "response_item", "payload": {
                    "type": "function_call_output", "call_id": call_id,
                    "output": result.to_string()}}),
                );
            }
        }
    }
    lines.push(
        json!({"timestamp": stamp(), "type": "response_item", "payload": {
        "type": "message", "role": "assistant",
        "content": [{"type": "output_text", "text": spec.final_answer}]}}),
    );
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for line in &lines {
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    drop(file);
    let modified = std::time::SystemTime::from(finished);
    std::fs::File::options()
        .write(true)
        .open(&path)?
        .set_modified(modified)?;
    Ok(path)
}
