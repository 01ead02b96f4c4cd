//! `bytes_per_token`: measures how many bytes of a stage-one request make one token, with a real
//! tokenizer (tiktoken's o200k_base, OpenAI's current one), on the requests phase 1 really sends
//! for the fixture rollouts (`../shared/fixtures/rollouts/`) and the example home. The pipeline
//! estimates tokens from bytes (`phase1::budget::BYTES_PER_TOKEN`); this is where that figure
//! comes from (docs/providers.md). Run: `cargo run --release -p codex-memories-bench --bin
//! bytes_per_token [DIR…]`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use codex_memories::build_stage_one_input;
use codex_memories::provider::InputItem;
use codex_memories::redact;

/// Where to look when no directory is given, relative to the workspace root.
const DEFAULT_DIRS: &[&str] = &["../shared/fixtures/rollouts", "examples/codex-home"];
/// A window large enough that no transcript is cut: the whole session is measured.
const UNCUT_WINDOW_TOKENS: u64 = 100_000_000;

fn main() -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dirs: Vec<PathBuf> = match std::env::args().skip(1).collect::<Vec<_>>() {
        args if args.is_empty() => DEFAULT_DIRS.iter().map(|dir| root.join(dir)).collect(),
        args => args.into_iter().map(PathBuf::from).collect(),
    };
    let tokenizer = tiktoken_rs::o200k_base().context("cannot load the o200k tokenizer")?;
    let mut files = Vec::new();
    for dir in &dirs {
        collect_rollouts(dir, &mut files);
    }
    files.sort();
    let (mut total_bytes, mut total_tokens) = (0usize, 0usize);
    println!("| rollout | request bytes | o200k tokens | bytes/token |");
    println!("|---|---:|---:|---:|");
    for path in &files {
        let input =
            match build_stage_one_input(path, Some(UNCUT_WINDOW_TOKENS), None, &|text: &str| {
                redact(text).text
            }) {
                Ok(input) => input,
                Err(error) => {
                    eprintln!("skipped {}: {error}", path.display());
                    continue;
                }
            };
        let mut text = input.request.instructions.clone();
        for item in &input.request.input {
            if let InputItem::Message { text: message, .. } = item {
                text.push_str(message);
            }
        }
        let tokens = tokenizer.encode_ordinary(&text).len();
        total_bytes += text.len();
        total_tokens += tokens;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "| {} | {} | {} | {:.2} |",
            name.chars().take(60).collect::<String>(),
            text.len(),
            tokens,
            text.len() as f64 / tokens.max(1) as f64
        );
    }
    println!(
        "| **all {} requests** | {total_bytes} | {total_tokens} | {:.2} |",
        files.len(),
        total_bytes as f64 / total_tokens.max(1) as f64
    );
    Ok(())
}

fn collect_rollouts(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("note: {} is not readable; skipped", dir.display());
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rollouts(&path, files);
        } else if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("rollout-"))
            && path.extension().is_some_and(|ext| ext == "jsonl")
        {
            files.push(path);
        }
    }
}
