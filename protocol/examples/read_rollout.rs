//! Reading a Codex rollout with `codex-protocol` alone: every readable line with its number and
//! what it records, then the lines that could not be read, each with its number and reason.
//!
//! `cargo run -p codex-protocol --example read_rollout -- PATH` reads a rollout of yours (plain
//! `.jsonl` or `.jsonl.zst`); without a path it reads a small one it writes first, whose last line
//! was cut off mid-write as a crash would leave it.

use std::path::PathBuf;

use codex_protocol::{EventMsg, ResponseItem, RolloutItem, RolloutReader};

/// A rollout in Codex's envelope format; the last line ends mid-write.
const SAMPLE: &str = concat!(
    r#"{"timestamp":"2026-11-20T10:00:00.000Z","type":"session_meta","payload":{"id":"019a93b9-f380-7600-98ff-940e6b99603c","timestamp":"2026-11-20T10:00:00.000Z","cwd":"/home/dev/src/ledger","originator":"codex_cli_rs","cli_version":"0.58.0","source":"cli"}}"#,
    "\n",
    r#"{"timestamp":"2026-11-20T10:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"why is the ledger rounding test flaky?"}}"#,
    "\n",
    r#"{"timestamp":"2026-11-20T10:00:02.000Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"command\":[\"cargo\",\"test\",\"-p\",\"ledger\"]}","call_id":"call_1"}}"#,
    "\n",
    r#"{"timestamp":"2026-11-20T10:00:09.000Z","type":"event_msg","payload":{"type":"agent_message","message":"It compared floats; it uses cents now."}}"#,
    "\n",
    r#"{"timestamp":"2026-11-20T10:00:10.000Z","type":"event_msg","payload":{"type":"agent_mes"#,
);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let scratch = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => {
            let path = scratch.path().join("rollout-sample.jsonl");
            std::fs::write(&path, SAMPLE)?;
            path
        }
    };

    let mut reader = RolloutReader::open(&path)?;
    let mut read = 0;
    while let Some((number, line)) = reader.next_line()? {
        read += 1;
        let what = match &line.item {
            RolloutItem::SessionMeta(meta) => format!("session {} in {}", meta.id, meta.cwd),
            RolloutItem::EventMsg(EventMsg::UserMessage { message, .. }) => {
                format!("the user: {message}")
            }
            RolloutItem::EventMsg(EventMsg::AgentMessage { message }) => {
                format!("the agent: {message}")
            }
            RolloutItem::ResponseItem(ResponseItem::FunctionCall { name, .. }) => {
                format!("a call of the {name} tool")
            }
            // Kinds this version does not know are kept as written, never an error; and the
            // item enums are non-exhaustive, so a newer version may add kinds.
            other => format!("{other:?}").chars().take(60).collect(),
        };
        println!("line {number}: {what}");
    }
    for bad in reader.bad_lines() {
        println!("skipped {bad}");
    }

    if std::env::args_os().nth(1).is_none() {
        // The sample: four lines read, and the cut-off fifth reported with its number.
        assert_eq!(read, 4);
        assert_eq!(reader.bad_line_count(), 1);
        assert_eq!(reader.bad_lines()[0].line_number, 5);
    }
    Ok(())
}
