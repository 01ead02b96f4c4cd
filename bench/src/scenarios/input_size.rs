//! `input_size`: what phase 1 sends per session. For every rollout of a corpus, the stage-one
//! input is built exactly as an extraction builds it (kept items, compact transcript, redaction,
//! budget fit) and its transcript bytes — and its whole request text (system prompt + input
//! message) — are set beside the bytes of a plain JSON serialization of the same kept items, one
//! per line (what a JSON dump would send). Corpora: the real rollouts under
//! `../shared/fixtures/rollouts/real/` (skipped with a note when absent) and a synthetic one.

use std::path::{Path, PathBuf};

use anyhow::Context;
use codex_memories::BYTES_PER_TOKEN;
use codex_memories::build_stage_one_input;
use codex_memories::provider::InputItem;
use codex_memories::redact;

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, write_home};

/// The real-rollout fixtures, relative to the workspace root.
const REAL_ROLLOUTS_DIR: &str = "../shared/fixtures/rollouts/real";
/// Synthetic sessions (full run / quick run), each 10–500 KB like most real sessions.
const FULL_SYNTHETIC_SESSIONS: usize = 60;
const QUICK_SYNTHETIC_SESSIONS: usize = 15;
const MIN_SYNTHETIC_BYTES: u64 = 10 * 1024;
const MAX_SYNTHETIC_BYTES: u64 = 500 * 1024;
/// Target: transcript bytes ≤ this × the JSON of the kept items.
const SIZE_RATIO_TARGET: f64 = 0.6;

/// Sizes summed over one corpus.
#[derive(Debug, Default)]
struct Totals {
    sessions: usize,
    transcript_bytes: usize,
    request_bytes: usize,
    kept_json_bytes: usize,
    cut_sessions: usize,
}

/// Measures both corpora.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    let real_dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(REAL_ROLLOUTS_DIR);
    let real = rollouts_in(&real_dir);
    if real.is_empty() {
        eprintln!(
            "  note: no real rollouts at {}; the real-corpus rows are skipped",
            real_dir.display()
        );
    } else {
        rows.extend(corpus_rows("real rollouts", &measure(&real)?));
    }

    let sessions = if options.quick {
        QUICK_SYNTHETIC_SESSIONS
    } else {
        FULL_SYNTHETIC_SESSIONS
    };
    let dir = tempfile::tempdir()?;
    let home = write_home(
        dir.path(),
        u64::MAX,
        sessions,
        &mut Rng::new(23),
        |_, rng| rng.range(MIN_SYNTHETIC_BYTES, MAX_SYNTHETIC_BYTES),
    )?;
    rows.extend(corpus_rows("synthetic", &measure(&home.files)?));
    Ok(rows)
}

/// The `.jsonl` files directly in `dir`, sorted; empty when it does not exist.
fn rollouts_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .collect();
    files.sort();
    files
}

fn measure(files: &[PathBuf]) -> anyhow::Result<Totals> {
    let mut totals = Totals::default();
    for path in files {
        let input = build_stage_one_input(path, None, None, &|text: &str| redact(text).text)
            .with_context(|| format!("cannot build the stage-one input of {}", path.display()))?;
        let message_bytes: usize = input
            .request
            .input
            .iter()
            .map(|item| match item {
                InputItem::Message { text, .. } => text.len(),
                _ => 0,
            })
            .sum();
        totals.sessions += 1;
        totals.transcript_bytes += input.transcript_bytes;
        totals.request_bytes += input.request.instructions.len() + message_bytes;
        totals.kept_json_bytes += input.kept_items_json_bytes;
        totals.cut_sessions += usize::from(input.omitted_blocks > 0);
    }
    Ok(totals)
}

fn corpus_rows(corpus: &str, totals: &Totals) -> Vec<Row> {
    let sessions = totals.sessions.max(1) as f64;
    let per_session = |bytes: usize| bytes as f64 / sessions / 1024.0;
    let tokens = |bytes: usize| bytes as f64 / sessions / BYTES_PER_TOKEN as f64;
    let baseline = format!("JSON of the kept items, {} sessions", totals.sessions);
    vec![
        Row::new(
            format!(
                "input_size ({corpus}): transcript per session ({} cut to fit)",
                totals.cut_sessions
            ),
            per_session(totals.transcript_bytes),
            "KiB",
        )
        .baseline(per_session(totals.kept_json_bytes), baseline.clone())
        .target_ratio(SIZE_RATIO_TARGET, Better::Lower),
        Row::new(
            format!("input_size ({corpus}): whole request per session (prompt + input)"),
            per_session(totals.request_bytes),
            "KiB",
        )
        .baseline(per_session(totals.kept_json_bytes), baseline.clone()),
        Row::new(
            format!("input_size ({corpus}): estimated input tokens per session (bytes / 4)"),
            tokens(totals.request_bytes),
            "tokens",
        )
        .baseline(tokens(totals.kept_json_bytes), baseline),
    ]
}
