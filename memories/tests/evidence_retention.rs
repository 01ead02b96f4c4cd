//! The compact transcript keeps the evidence a memory needs: on every example session, each user
//! message, each command with its exit code, and each error line present in the kept items
//! appears in what we send — while the transcript stays well under a JSON dump of the same items.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::{Path, PathBuf};

use codex_memories::build_stage_one_input;
use codex_memories::provider::InputItem;
use codex_memories::read_kept_items;
use codex_memories::transcript_of;
use codex_protocol::{ContentItem, ResponseItem};
use serde_json::Value;

fn example_sessions() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/codex-home");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 5, "examples missing: {files:?}");
    files
}

fn sent_transcript(path: &Path) -> (String, usize) {
    let input = build_stage_one_input(path, None, None, &|text: &str| text.to_string()).unwrap();
    let InputItem::Message { text, .. } = &input.request.input[0] else {
        panic!("expected a message");
    };
    (
        transcript_of(text).unwrap().0.to_string(),
        input.kept_items_json_bytes,
    )
}

/// Evidence a reader must find: user texts, command lines, `exit N`, error lines.
fn expected_evidence(items: &[ResponseItem]) -> Vec<String> {
    let mut evidence = Vec::new();
    for item in items {
        match item {
            ResponseItem::Message { role, content, .. } if role == "user" => {
                for part in content {
                    if let ContentItem::InputText { text } = part {
                        evidence.extend(
                            text.lines()
                                .filter(|l| !l.trim().is_empty())
                                .map(|l| l.trim().to_string()),
                        );
                    }
                }
            }
            ResponseItem::FunctionCall { arguments, .. } => {
                let value: Value = serde_json::from_str(arguments).unwrap();
                let command = value["command"].as_array().unwrap();
                evidence.push(command.last().unwrap().as_str().unwrap().to_string());
            }
            ResponseItem::FunctionCallOutput { output, .. } => {
                let value: Value = serde_json::from_str(&output.to_text()).unwrap();
                evidence.push(format!("exit {}", value["metadata"]["exit_code"]));
                for line in value["output"].as_str().unwrap().lines() {
                    let lower = line.to_lowercase();
                    if lower.contains("error")
                        || lower.contains("failed")
                        || lower.contains("panicked")
                    {
                        evidence.push(line.trim().to_string());
                    }
                }
            }
            _ => {}
        }
    }
    evidence
}

#[test]
fn every_user_message_command_exit_code_and_error_line_is_sent() {
    for path in example_sessions() {
        let kept = read_kept_items(&path, codex_protocol::Agent::Codex).unwrap();
        let (transcript, _) = sent_transcript(&path);
        let missing: Vec<String> = expected_evidence(&kept.items)
            .into_iter()
            .filter(|evidence| !transcript.contains(evidence.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{}: missing {missing:#?}\n---\n{transcript}",
            path.display()
        );
    }
}

#[test]
fn the_transcript_is_much_smaller_than_a_json_dump_of_the_same_items() {
    let (mut ours, mut json) = (0usize, 0usize);
    for path in example_sessions() {
        let (transcript, json_bytes) = sent_transcript(&path);
        ours += transcript.len();
        json += json_bytes;
    }
    let ratio = ours as f64 / json as f64;
    println!(
        "example sessions: transcript {ours} bytes, JSON of kept items {json} bytes, ratio {ratio:.2}"
    );
    assert!(ratio <= 0.6, "ratio {ratio:.2}");
}

#[test]
fn reasoning_developer_text_and_images_never_reach_the_transcript() {
    for path in example_sessions() {
        let (transcript, _) = sent_transcript(&path);
        assert!(!transcript.contains("gAAAAB"), "{}", path.display());
        assert!(
            !transcript.contains("data:image/png;base64"),
            "{}",
            path.display()
        );
        assert!(!transcript.contains("**Reproducing"), "{}", path.display());
    }
}
