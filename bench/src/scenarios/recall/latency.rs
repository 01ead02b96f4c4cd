//! Search latency over a large memory folder: [`PROJECTS`] project `MEMORY.md` files and a
//! global one, holding `entries` `### …` entries in all, indexed once (not timed); then each
//! query is timed through `ranked_search` as a user gets it (the stat-only sync included),
//! scoped to one project, beside the substring search over the same folder.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use codex_memories::memory_tools::{self, MatchMode, SearchQuery};
use codex_memories::search_index::{RankedQuery, SearchScope, ranked_search, sync_index};
use codex_memories::{PROJECT_MEMORY_FILE, ProjectKey};
use codex_state::{Homes, MemoryStore, StateRuntime};

use crate::synthetic::Rng;

/// Projects the entries are spread over (plus the global `MEMORY.md`).
const PROJECTS: usize = 50;
/// Queries timed.
const QUERIES: usize = 400;
/// Words per entry body.
const BODY_WORDS: u64 = 40;
/// How old the written files are made (beyond the index's racy window).
const FILE_AGE: std::time::Duration = std::time::Duration::from_secs(60);
/// Hits asked for per query.
const LIMIT: u32 = 10;

const VOCABULARY: &[&str] = &[
    "tests",
    "dependencies",
    "database",
    "migration",
    "build",
    "failure",
    "header",
    "package",
    "install",
    "deploy",
    "release",
    "config",
    "staging",
    "port",
    "lint",
    "format",
    "commit",
    "branch",
    "review",
    "cache",
    "timeout",
    "retry",
    "logging",
    "schema",
    "index",
    "query",
    "fixture",
    "docker",
    "compose",
    "secret",
    "token",
    "python",
    "rust",
    "cargo",
    "poetry",
    "uv",
    "pytest",
    "nextest",
    "clippy",
    "mypy",
    "ruff",
    "black",
    "coverage",
    "benchmark",
    "profile",
    "memory",
    "thread",
    "socket",
    "runner",
    "workflow",
];

/// Latency figures, milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Latency {
    /// Entries indexed.
    pub entries: usize,
    /// Ranked search, median.
    pub ranked_p50_ms: f64,
    /// Ranked search, 99th percentile.
    pub ranked_p99_ms: f64,
    /// Substring search, median.
    pub substring_p50_ms: f64,
    /// Substring search, 99th percentile.
    pub substring_p99_ms: f64,
}

/// Writes the folder under `dir`, indexes it, and times [`QUERIES`] queries both ways.
pub async fn measure(dir: &Path, entries: usize) -> anyhow::Result<Latency> {
    let codex_home = dir.join("codex");
    let root = codex_home.join("memories");
    let mut rng = Rng::new(10_000);
    let keys: Vec<ProjectKey> = (0..PROJECTS)
        .filter_map(|index| ProjectKey::parse(&format!("github.com/bench/project-{index}")))
        .collect();
    write_folder(&root, &keys, entries, &mut rng)?;
    let state = StateRuntime::open(Homes::under_codex_home(&codex_home)).await?;
    let store = MemoryStore::open(&state).await?;
    let report = sync_index(&store, &root).await?;
    anyhow::ensure!(
        report.update.entries_written as usize >= entries,
        "indexed {} of {entries} entries",
        report.update.entries_written
    );
    let mut ranked = Vec::with_capacity(QUERIES);
    let mut substring = Vec::with_capacity(QUERIES);
    for index in 0..QUERIES {
        let first = VOCABULARY[rng.range(0, VOCABULARY.len() as u64) as usize];
        let second = VOCABULARY[rng.range(0, VOCABULARY.len() as u64) as usize];
        let query = RankedQuery::new(
            format!("how do we handle the {first} {second}"),
            SearchScope::project(&keys[index % keys.len()]),
        )
        .with_limit(LIMIT);
        let start = Instant::now();
        let hits = ranked_search(&store, &root, &query).await?;
        ranked.push(start.elapsed().as_secs_f64() * 1_000.0);
        std::hint::black_box(hits);
        let start = Instant::now();
        let page = memory_tools::search(
            &root,
            &SearchQuery::new(vec![first.to_string(), second.to_string()])
                .with_match_mode(MatchMode::All)
                .with_max_results(Some(LIMIT as usize)),
        )?;
        substring.push(start.elapsed().as_secs_f64() * 1_000.0);
        std::hint::black_box(page);
    }
    store.close().await;
    state.close().await;
    Ok(Latency {
        entries,
        ranked_p50_ms: percentile(&mut ranked, 50.0),
        ranked_p99_ms: percentile(&mut ranked, 99.0),
        substring_p50_ms: percentile(&mut substring, 50.0),
        substring_p99_ms: percentile(&mut substring, 99.0),
    })
}

/// Writes `entries` entries: a global `MEMORY.md` with one share, each project's the rest.
fn write_folder(
    root: &Path,
    keys: &[ProjectKey],
    entries: usize,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let per_file = entries.div_ceil(keys.len() + 1);
    let mut written = 0;
    let mut files: Vec<(std::path::PathBuf, String)> =
        vec![(root.join("MEMORY.md"), "# Memory".to_string())];
    for key in keys {
        files.push((
            root.join(key.folder()).join(PROJECT_MEMORY_FILE),
            format!("# {key}"),
        ));
    }
    for (path, heading) in files {
        let mut text = format!("{heading}\n");
        for _ in 0..per_file.min(entries - written) {
            let title = VOCABULARY[rng.range(0, VOCABULARY.len() as u64) as usize];
            write!(text, "\n### {title} note {written}\n\n")?;
            for word in 0..BODY_WORDS {
                let separator = if word == 0 { "" } else { " " };
                let word = VOCABULARY[rng.range(0, VOCABULARY.len() as u64) as usize];
                write!(text, "{separator}{word}")?;
            }
            text.push_str(".\n");
            written += 1;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        // Older than the index's racy window, so the timed syncs only stat the files.
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(std::time::SystemTime::now() - FILE_AGE)?;
    }
    Ok(())
}

/// The `percent` percentile (nearest rank) of `values`.
fn percentile(values: &mut [f64], percent: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((percent / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}
