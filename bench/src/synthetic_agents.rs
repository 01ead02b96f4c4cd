//! Synthetic Claude Code transcripts and Gemini CLI chats for benchmarks, shaped like the real
//! ones in `../shared/fixtures/transcripts` (Claude Code 2.1.328, Gemini CLI 0.61.0): Claude's
//! message lines carrying `cwd`/`sessionId`/`version` with one line per content block, tool
//! results repeated in `toolUseResult`, attachments and bookkeeping lines; Gemini's header, `$set`
//! patches and gemini messages written twice (the second time with their `toolCalls` and
//! results). Grown to a requested size; deterministic for a given seed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::synthetic::{CountingWriter, Rng, SyntheticHome, uuid_for, words};

/// The working directory every synthetic session records.
const CWD: &str = "/work/project";

/// A time a day ago, so the sessions are idle and young (their version is their last line's).
fn timestamp() -> String {
    (chrono::Utc::now() - chrono::TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn write_line(out: &mut impl Write, line: &Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, line)?;
    out.write_all(b"\n")
}

/// Writes one Claude Code transcript of about `target_bytes` to `sink`.
fn write_claude_session(
    sink: impl Write,
    session_id: &str,
    target_bytes: u64,
    rng: &mut Rng,
) -> std::io::Result<u64> {
    let mut out = CountingWriter::new(sink);
    let ts = timestamp();
    let mut parent: Option<String> = None;
    let mut message_line =
        |kind: &str, message: Value, extra: Option<(&str, Value)>, rng: &mut Rng| {
            let uuid = uuid_for(rng).to_string();
            let mut line = json!({"parentUuid": parent, "isSidechain": false, "type": kind,
            "message": message, "uuid": uuid, "timestamp": ts, "userType": "external",
            "entrypoint": "cli", "cwd": CWD, "sessionId": session_id, "version": "2.1.328",
            "gitBranch": "main"});
            if let Some((key, value)) = extra {
                line[key] = value;
            }
            parent = Some(uuid);
            line
        };
    write_line(
        &mut out,
        &json!({"type": "queue-operation", "operation": "enqueue", "timestamp": ts,
                "sessionId": session_id, "content": "fix the failing test"}),
    )?;
    let prompt = words(rng, 200);
    let line = message_line(
        "user",
        json!({"role": "user", "content": prompt}),
        None,
        rng,
    );
    write_line(&mut out, &line)?;
    let mut call = 0u64;
    while out.bytes < target_bytes {
        call += 1;
        let id = format!("msg_{call:024}");
        let attachment = json!({"type": "attachment", "uuid": uuid_for(rng).to_string(),
            "timestamp": ts, "sessionId": session_id, "cwd": CWD,
            "attachment": {"type": "todo_reminder", "content": words(rng, 400)}});
        write_line(&mut out, &attachment)?;
        let usage =
            json!({"input_tokens": 1200, "cache_read_input_tokens": 30000, "output_tokens": 300});
        for block in [
            json!({"type": "thinking", "thinking": words(rng, 300), "signature": "s".repeat(200)}),
            json!({"type": "text", "text": words(rng, 120)}),
            json!({"type": "tool_use", "id": format!("toolu_{call}"), "name": "Bash",
                   "input": {"command": words(rng, 60), "description": "Run the tests"}}),
        ] {
            let message = json!({"model": "claude-opus-5-5", "id": id, "type": "message",
                "role": "assistant", "content": [block], "usage": usage});
            let line = message_line("assistant", message, None, rng);
            write_line(&mut out, &line)?;
        }
        let output_bytes = rng.range(200, 8_000) as usize;
        let output = words(rng, output_bytes);
        let is_error = rng.range(0, 5) == 0;
        let result = json!({"role": "user", "content": [{"type": "tool_result",
            "tool_use_id": format!("toolu_{call}"), "content": output, "is_error": is_error}]});
        let structured = json!({"stdout": output, "stderr": "", "interrupted": false});
        let line = message_line("user", result, Some(("toolUseResult", structured)), rng);
        write_line(&mut out, &line)?;
        write_line(
            &mut out,
            &json!({"type": "cost-state", "sessionId": session_id, "totalCostUSD": 0.01 * call as f64}),
        )?;
    }
    let answer = json!({"model": "claude-opus-5-5", "id": "msg_final", "type": "message",
        "role": "assistant", "content": [{"type": "text", "text": words(rng, 300)}]});
    let line = message_line("assistant", answer, None, rng);
    write_line(&mut out, &line)?;
    out.flush()?;
    Ok(out.bytes)
}

/// Writes one Gemini CLI chat of about `target_bytes` to `sink`.
fn write_gemini_session(
    sink: impl Write,
    session_id: &str,
    target_bytes: u64,
    rng: &mut Rng,
) -> std::io::Result<u64> {
    let mut out = CountingWriter::new(sink);
    let ts = timestamp();
    write_line(
        &mut out,
        &json!({"sessionId": session_id, "projectHash": "h".repeat(64), "startTime": ts,
                "lastUpdated": ts, "kind": "main"}),
    )?;
    let context =
        format!("<session_context>\n- **Workspace Directories:**\n  - {CWD}\n</session_context>");
    write_line(
        &mut out,
        &json!({"$set": {"messages": [{"id": "ctx", "timestamp": ts, "type": "user",
                "content": [{"text": context}]}]}}),
    )?;
    write_line(
        &mut out,
        &json!({"id": uuid_for(rng).to_string(), "timestamp": ts, "type": "user",
                "content": [{"text": words(rng, 200)}]}),
    )?;
    let mut call = 0u64;
    while out.bytes < target_bytes {
        call += 1;
        let id = uuid_for(rng).to_string();
        let text = words(rng, 150);
        let tokens = json!({"input": 9000, "output": 200, "cached": 0, "thoughts": 100, "tool": 0, "total": 9300});
        let first = json!({"id": id, "timestamp": ts, "type": "gemini", "content": text,
            "thoughts": [{"subject": "Running", "description": words(rng, 200), "timestamp": ts}],
            "tokens": tokens, "model": "gemini-3-pro"});
        write_line(&mut out, &first)?;
        let output_bytes = rng.range(200, 8_000) as usize;
        let output = words(rng, output_bytes);
        let mut second = first.clone();
        second["toolCalls"] = json!([{"id": format!("run_shell_command-{call}"),
            "name": "run_shell_command", "args": {"command": words(rng, 60)},
            "status": "success", "timestamp": ts,
            "result": [{"functionResponse": {"id": format!("run_shell_command-{call}"),
                "name": "run_shell_command", "response": {"output": output}}}],
            "resultDisplay": output}]);
        write_line(&mut out, &second)?;
        write_line(&mut out, &json!({"$set": {"lastUpdated": ts}}))?;
    }
    out.flush()?;
    Ok(out.bytes)
}

/// Writes Claude Code transcripts under `<claude_home>/projects/<project>/` and Gemini CLI chats
/// under `<gemini_home>/tmp/<project>/chats/`, alternating, until `total_bytes` are written, each
/// sized by `size_of` (given the file's index).
pub fn write_agent_homes(
    claude_home: &Path,
    gemini_home: &Path,
    total_bytes: u64,
    rng: &mut Rng,
    mut size_of: impl FnMut(usize, &mut Rng) -> u64,
) -> std::io::Result<SyntheticHome> {
    let mut home = SyntheticHome::default();
    while home.bytes < total_bytes {
        let index = home.files.len();
        let session_id = uuid_for(rng).to_string();
        let target = size_of(index, rng);
        let project = format!("project-{}", index % 20);
        let path: PathBuf = if index % 2 == 0 {
            claude_home
                .join("projects")
                .join(format!("-work-{project}"))
                .join(format!("{session_id}.jsonl"))
        } else {
            gemini_home
                .join("tmp")
                .join(&project)
                .join("chats")
                .join(format!(
                    "session-2026-04-01T10-00-{}.jsonl",
                    &session_id[..8]
                ))
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = BufWriter::new(std::fs::File::create(&path)?);
        let bytes = if index % 2 == 0 {
            write_claude_session(file, &session_id, target, rng)?
        } else {
            write_gemini_session(file, &session_id, target, rng)?
        };
        home.bytes += bytes;
        home.largest_bytes = home.largest_bytes.max(bytes);
        home.files.push(path);
    }
    Ok(home)
}
