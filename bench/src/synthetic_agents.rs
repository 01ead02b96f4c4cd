//! Synthetic Claude Code transcripts and Gemini CLI chats for benchmarks, shaped like the real
//! ones in `../shared/fixtures/transcripts` (Claude Code 2.1.328, Gemini CLI 0.61.0): Claude's
//! message lines carrying `cwd`/`sessionId`/`version` with one line per content block, tool
//! results repeated in `toolUseResult`, attachments and bookkeeping lines; Gemini's header, `$set`
//! patches and gemini messages written twice (the second time with their `toolCalls` and
//! results). Grown to a requested size; deterministic for a given seed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::value::RawValue;

use crate::synthetic::{CountingWriter, Rng, SyntheticHome, uuid_for, words};

/// The working directory every synthetic session records.
const CWD: &str = "/work/project";

/// A time a day ago, so the sessions are idle and young (their version is their last line's).
fn timestamp() -> String {
    (chrono::Utc::now() - chrono::TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A JSON value already written out.
type Json = Box<RawValue>;

/// Any serialisable value as JSON.
fn json(value: impl Serialize) -> Json {
    serde_json::value::to_raw_value(&value).unwrap_or_default()
}

/// A JSON object with its keys in the order given. The agents write their keys in a fixed order
/// (`"type"` before `"message"`, `"role"` first in a message) and the indexer sniffs lines by
/// their first bytes, so the synthetic lines must keep that order; serde_json's `Value` would
/// sort the keys.
fn object(entries: Vec<(&str, Json)>) -> Json {
    struct Entries<'a>(Vec<(&'a str, Json)>);
    impl Serialize for Entries<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in &self.0 {
                map.serialize_entry(key, value)?;
            }
            map.end()
        }
    }
    json(Entries(entries))
}

fn write_line(out: &mut impl Write, line: &RawValue) -> std::io::Result<()> {
    out.write_all(line.get().as_bytes())?;
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
        |kind: &str, message: Json, extra: Option<(&str, Json)>, rng: &mut Rng| {
            let uuid = uuid_for(rng).to_string();
            let mut entries = vec![
                ("parentUuid", json(&parent)),
                ("isSidechain", json(false)),
                ("type", json(kind)),
                ("message", message),
                ("uuid", json(&uuid)),
                ("timestamp", json(&ts)),
                ("userType", json("external")),
                ("entrypoint", json("cli")),
                ("cwd", json(CWD)),
                ("sessionId", json(session_id)),
                ("version", json("2.1.328")),
                ("gitBranch", json("main")),
            ];
            entries.extend(extra);
            parent = Some(uuid);
            object(entries)
        };
    write_line(
        &mut out,
        &object(vec![
            ("type", json("queue-operation")),
            ("operation", json("enqueue")),
            ("timestamp", json(&ts)),
            ("sessionId", json(session_id)),
            ("content", json("fix the failing test")),
        ]),
    )?;
    let prompt = words(rng, 200);
    let prompt_message = object(vec![("role", json("user")), ("content", json(prompt))]);
    write_line(&mut out, &message_line("user", prompt_message, None, rng))?;
    let mut call = 0u64;
    while out.bytes < target_bytes {
        call += 1;
        let id = format!("msg_{call:024}");
        let attachment = object(vec![
            ("parentUuid", json(uuid_for(rng).to_string())),
            ("isSidechain", json(false)),
            (
                "attachment",
                object(vec![
                    ("type", json("todo_reminder")),
                    ("content", json(words(rng, 400))),
                ]),
            ),
            ("type", json("attachment")),
            ("uuid", json(uuid_for(rng).to_string())),
            ("timestamp", json(&ts)),
            ("sessionId", json(session_id)),
            ("cwd", json(CWD)),
        ]);
        write_line(&mut out, &attachment)?;
        let usage = || {
            object(vec![
                ("input_tokens", json(1200)),
                ("cache_read_input_tokens", json(30000)),
                ("output_tokens", json(300)),
            ])
        };
        let blocks = [
            object(vec![
                ("type", json("thinking")),
                ("thinking", json(words(rng, 300))),
                ("signature", json("s".repeat(200))),
            ]),
            object(vec![
                ("type", json("text")),
                ("text", json(words(rng, 120))),
            ]),
            object(vec![
                ("type", json("tool_use")),
                ("id", json(format!("toolu_{call}"))),
                ("name", json("Bash")),
                (
                    "input",
                    object(vec![
                        ("command", json(words(rng, 60))),
                        ("description", json("Run the tests")),
                    ]),
                ),
            ]),
        ];
        for block in blocks {
            let message = object(vec![
                ("model", json("claude-opus-5-5")),
                ("id", json(&id)),
                ("type", json("message")),
                ("role", json("assistant")),
                ("content", json([block])),
                ("usage", usage()),
            ]);
            write_line(&mut out, &message_line("assistant", message, None, rng))?;
        }
        let output_bytes = rng.range(200, 8_000) as usize;
        let output = words(rng, output_bytes);
        let is_error = rng.range(0, 5) == 0;
        let result = object(vec![
            ("role", json("user")),
            (
                "content",
                json([object(vec![
                    ("tool_use_id", json(format!("toolu_{call}"))),
                    ("type", json("tool_result")),
                    ("content", json(&output)),
                    ("is_error", json(is_error)),
                ])]),
            ),
        ]);
        let structured = object(vec![
            ("stdout", json(&output)),
            ("stderr", json("")),
            ("interrupted", json(false)),
        ]);
        let line = message_line("user", result, Some(("toolUseResult", structured)), rng);
        write_line(&mut out, &line)?;
        write_line(
            &mut out,
            &object(vec![
                ("type", json("cost-state")),
                ("sessionId", json(session_id)),
                ("totalCostUSD", json(0.01 * call as f64)),
            ]),
        )?;
    }
    let answer = object(vec![
        ("model", json("claude-opus-5-5")),
        ("id", json("msg_final")),
        ("type", json("message")),
        ("role", json("assistant")),
        (
            "content",
            json([object(vec![
                ("type", json("text")),
                ("text", json(words(rng, 300))),
            ])]),
        ),
    ]);
    write_line(&mut out, &message_line("assistant", answer, None, rng))?;
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
        &object(vec![
            ("sessionId", json(session_id)),
            ("projectHash", json("h".repeat(64))),
            ("startTime", json(&ts)),
            ("lastUpdated", json(&ts)),
            ("kind", json("main")),
        ]),
    )?;
    let context =
        format!("<session_context>\n- **Workspace Directories:**\n  - {CWD}\n</session_context>");
    let text_part = |text: String| json([object(vec![("text", json(text))])]);
    write_line(
        &mut out,
        &object(vec![(
            "$set",
            object(vec![(
                "messages",
                json([object(vec![
                    ("id", json("ctx")),
                    ("timestamp", json(&ts)),
                    ("type", json("user")),
                    ("content", text_part(context)),
                ])]),
            )]),
        )]),
    )?;
    write_line(
        &mut out,
        &object(vec![
            ("id", json(uuid_for(rng).to_string())),
            ("timestamp", json(&ts)),
            ("type", json("user")),
            ("content", text_part(words(rng, 200))),
        ]),
    )?;
    let mut call = 0u64;
    while out.bytes < target_bytes {
        call += 1;
        let id = uuid_for(rng).to_string();
        let text = words(rng, 150);
        let thought = words(rng, 200);
        // A gemini message is written twice: first as streamed, then with its tool calls.
        let message = |tool_calls: Option<Json>| {
            let mut entries = vec![
                ("id", json(&id)),
                ("timestamp", json(&ts)),
                ("type", json("gemini")),
                ("content", json(&text)),
                (
                    "thoughts",
                    json([object(vec![
                        ("subject", json("Running")),
                        ("description", json(&thought)),
                        ("timestamp", json(&ts)),
                    ])]),
                ),
                (
                    "tokens",
                    object(vec![
                        ("input", json(9000)),
                        ("output", json(200)),
                        ("cached", json(0)),
                        ("thoughts", json(100)),
                        ("tool", json(0)),
                        ("total", json(9300)),
                    ]),
                ),
                ("model", json("gemini-3-pro")),
            ];
            entries.extend(tool_calls.map(|calls| ("toolCalls", calls)));
            object(entries)
        };
        write_line(&mut out, &message(None))?;
        let output_bytes = rng.range(200, 8_000) as usize;
        let output = words(rng, output_bytes);
        let call_id = format!("run_shell_command-{call}");
        let tool_calls = json([object(vec![
            ("id", json(&call_id)),
            ("name", json("run_shell_command")),
            ("args", object(vec![("command", json(words(rng, 60)))])),
            ("status", json("success")),
            ("timestamp", json(&ts)),
            (
                "result",
                json([object(vec![(
                    "functionResponse",
                    object(vec![
                        ("id", json(&call_id)),
                        ("name", json("run_shell_command")),
                        ("response", object(vec![("output", json(&output))])),
                    ]),
                )])]),
            ),
            ("resultDisplay", json(&output)),
        ])]);
        write_line(&mut out, &message(Some(tool_calls)))?;
        write_line(
            &mut out,
            &object(vec![("$set", object(vec![("lastUpdated", json(&ts))]))]),
        )?;
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

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn synthetic_sessions_keep_the_agents_key_order_and_read_without_a_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let (claude, gemini) = (dir.path().join("claude"), dir.path().join("gemini"));
        let home =
            write_agent_homes(&claude, &gemini, 200_000, &mut Rng::new(5), |_, _| 50_000).unwrap();
        assert!(home.files.len() >= 4, "{:?}", home.files);
        for path in &home.files {
            let text = std::fs::read_to_string(path).unwrap();
            let is_claude = path.starts_with(&claude);
            for line in text.lines().filter(|line| line.contains(r#""message":{"#)) {
                // As Claude Code writes them: the line's kind before its message, the role first.
                let kind = line.find(r#""type":""#).unwrap();
                let message = line.find(r#""message":{"#).unwrap();
                assert!(kind < message, "{}", &line[..200]);
                assert!(
                    line[message..].starts_with(r#""message":{"role""#)
                        || line[message..].starts_with(r#""message":{"model""#),
                    "{}",
                    &line[..200]
                );
            }
            if !is_claude {
                for line in text.lines().filter(|line| line.starts_with(r#"{"id""#)) {
                    // As Gemini CLI writes them: id, timestamp, then the message type.
                    assert!(line.contains(r#"","type":""#), "{}", &line[..120]);
                }
            }
            let items = if is_claude {
                codex_protocol::claude::read_claude_session(path).unwrap()
            } else {
                codex_protocol::gemini::read_gemini_session(path).unwrap()
            };
            assert_eq!(items.bad_line_count, 0, "{}", path.display());
            assert_eq!(items.cwd, CWD);
        }
    }
}
