//! `index`: the session indexer on a synthetic Codex home, and on synthetic Claude Code and
//! Gemini CLI homes. First index throughput beside `cat` of the same files (both from a warm page
//! cache: dropping it needs root, so every file is read once before either is timed; and both
//! after `sync`, so the kernel writing back the 1.6 GB the generator just wrote does not take a
//! core from either timed pass — no real home has its sessions' write-back pending); a no-change
//! re-index of 10 000 files beside `find` stat-ing them; peak RSS, which must not grow with the
//! largest file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use codex_state::{Homes, StateRuntime, SystemClock};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, SyntheticHome, realistic_rollout_bytes, write_home};
use crate::synthetic_agents::write_agent_homes;

/// Total size of the throughput home (full run / quick run).
const FULL_HOME_BYTES: u64 = 1024 * 1024 * 1024;
const QUICK_HOME_BYTES: u64 = 100 * 1024 * 1024;
/// Total size of the Claude Code + Gemini CLI homes (full run / quick run).
const FULL_AGENT_HOMES_BYTES: u64 = 512 * 1024 * 1024;
const QUICK_AGENT_HOMES_BYTES: u64 = 50 * 1024 * 1024;
/// The first file is this big, so the largest file is known (full / quick).
const FULL_LARGEST_BYTES: u64 = 50 * 1024 * 1024;
const QUICK_LARGEST_BYTES: u64 = 20 * 1024 * 1024;
/// Files in the no-change re-index home (full / quick), and the size each is grown to.
const FULL_SMALL_FILES: usize = 10_000;
const QUICK_SMALL_FILES: usize = 2_000;
const SMALL_FILE_BYTES: u64 = 2 * 1024;
/// Paths per `cat` process.
const CAT_BATCH_FILES: usize = 200;
/// Targets.
const THROUGHPUT_RATIO_TARGET: f64 = 0.8;
const REINDEX_TARGET_SECONDS: f64 = 0.5;
const PEAK_RSS_TARGET_MIB: f64 = 64.0;

/// Builds both homes, measures, returns the rows.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start a tokio runtime")?;
    let dir = tempfile::tempdir()?;
    let (total, largest, small_files) = if options.quick {
        (QUICK_HOME_BYTES, QUICK_LARGEST_BYTES, QUICK_SMALL_FILES)
    } else {
        (FULL_HOME_BYTES, FULL_LARGEST_BYTES, FULL_SMALL_FILES)
    };

    let big_home = dir.path().join("big");
    eprintln!("  writing a {} MB synthetic home …", total / 1_000_000);
    let home = write_home(
        &big_home,
        total,
        usize::MAX,
        &mut Rng::new(11),
        |index, rng| {
            if index == 0 {
                largest
            } else {
                realistic_rollout_bytes(rng)
            }
        },
    )?;
    let codex_homes = Homes::new(&big_home, dir.path().join("db-big"));
    let (cat_seconds, index_seconds) = time_first_index(&runtime, &home, codex_homes)?;

    let agents_dir = dir.path().join("agents");
    let agents_total = if options.quick {
        QUICK_AGENT_HOMES_BYTES
    } else {
        FULL_AGENT_HOMES_BYTES
    };
    eprintln!(
        "  writing {} MB of synthetic Claude Code and Gemini CLI sessions …",
        agents_total / 1_000_000
    );
    let agents = write_agent_homes(
        &agents_dir.join("claude"),
        &agents_dir.join("gemini"),
        agents_total,
        &mut Rng::new(13),
        |_, rng| realistic_rollout_bytes(rng).min(largest),
    )?;
    let agent_homes = Homes::new(agents_dir.join("codex"), agents_dir.join("db")).with_agent_homes(
        Some(&agents_dir.join("claude")),
        Some(&agents_dir.join("gemini")),
    );
    let (agents_cat_seconds, agents_index_seconds) =
        time_first_index(&runtime, &agents, agent_homes)?;

    let small_home = dir.path().join("small");
    eprintln!("  writing {small_files} small rollouts …");
    let small = write_home(
        &small_home,
        u64::MAX,
        small_files,
        &mut Rng::new(12),
        |_, _| SMALL_FILE_BYTES,
    )?;
    let find_seconds = find_stat(&small_home.join("sessions"))?;
    let reindex_seconds = runtime.block_on(async {
        let sqlite_home = dir.path().join("db-small");
        let state = open(&small_home, &sqlite_home).await?;
        state.index_sessions(&|_| {}).await?;
        state.close().await;
        let start = Instant::now();
        let state = open(&small_home, &sqlite_home).await?;
        let report = state.index_sessions(&|_| {}).await?;
        let seconds = start.elapsed().as_secs_f64();
        ensure!(
            report.parsed == 0 && report.unchanged == small.files.len() as u64,
            "re-index parsed {} files",
            report.parsed
        );
        state.close().await;
        Ok(seconds)
    })?;
    let peak_mib = crate::memory::peak_rss_mib()?;

    let megabytes = home.bytes as f64 / 1e6;
    let agents_megabytes = agents.bytes as f64 / 1e6;
    Ok(vec![
        Row::new(
            format!(
                "index: first index of {} files, {megabytes:.0} MB (warm cache)",
                home.files.len()
            ),
            megabytes / index_seconds,
            "MB/s",
        )
        .baseline(megabytes / cat_seconds, "cat, warm cache")
        .target_ratio(THROUGHPUT_RATIO_TARGET, Better::Higher),
        Row::new(
            format!(
                "index: first index of {} Claude Code + Gemini CLI files, {agents_megabytes:.0} MB (warm cache)",
                agents.files.len()
            ),
            agents_megabytes / agents_index_seconds,
            "MB/s",
        )
        .baseline(agents_megabytes / agents_cat_seconds, "cat, warm cache")
        .target_ratio(THROUGHPUT_RATIO_TARGET, Better::Higher),
        Row::new(
            format!("index: no-change re-index of {} files", small.files.len()),
            reindex_seconds,
            "s",
        )
        .baseline(find_seconds, "find -printf size,mtime")
        .target(REINDEX_TARGET_SECONDS, Better::Lower),
        Row::new(
            format!(
                "index: peak RSS (largest file {:.0} MB)",
                home.largest_bytes as f64 / 1e6
            ),
            peak_mib,
            "MiB",
        )
        .target(PEAK_RSS_TARGET_MIB, Better::Lower),
    ])
}

/// Seconds for `cat` of every file of `home`, then for a first index of `homes` (opening and
/// migrating the database included), both from a warm page cache.
fn time_first_index(
    runtime: &tokio::runtime::Runtime,
    home: &SyntheticHome,
    homes: Homes,
) -> anyhow::Result<(f64, f64)> {
    flush_written_files()?;
    warm_page_cache(&home.files)?;
    let cat_seconds = cat_files(&home.files)?;
    let index_seconds = runtime.block_on(async {
        let start = Instant::now();
        let state = StateRuntime::open_with_clock(homes, Arc::new(SystemClock)).await?;
        let report = state.index_sessions(&|_| {}).await?;
        ensure!(
            report.parsed == home.files.len() as u64 && report.failed.is_empty(),
            "first index parsed {} of {} files, {} failed",
            report.parsed,
            home.files.len(),
            report.failed.len()
        );
        state.close().await;
        Ok(start.elapsed().as_secs_f64())
    })?;
    Ok((cat_seconds, index_seconds))
}

async fn open(codex_home: &Path, sqlite_home: &Path) -> anyhow::Result<StateRuntime> {
    Ok(
        StateRuntime::open_with_clock(Homes::new(codex_home, sqlite_home), Arc::new(SystemClock))
            .await?,
    )
}

/// Waits until the files written so far are on disk (`sync`), so no write-back runs beside the
/// timed passes.
fn flush_written_files() -> anyhow::Result<()> {
    let status = Command::new("sync").status().context("cannot run sync")?;
    ensure!(status.success(), "sync failed: {status}");
    Ok(())
}

/// Reads every file once so the timed passes all start from the page cache.
fn warm_page_cache(files: &[PathBuf]) -> anyhow::Result<()> {
    cat_files(files).map(|_| ())
}

/// Seconds for `cat` to copy every file to /dev/null, in batches of paths per process.
fn cat_files(files: &[PathBuf]) -> anyhow::Result<f64> {
    let start = Instant::now();
    for batch in files.chunks(CAT_BATCH_FILES) {
        let status = Command::new("cat")
            .args(batch)
            .stdout(Stdio::null())
            .status()
            .context("cannot run cat")?;
        ensure!(status.success(), "cat failed: {status}");
    }
    Ok(start.elapsed().as_secs_f64())
}

/// Seconds for `find` to stat every file (size and mtime), the floor of a no-change check.
fn find_stat(root: &Path) -> anyhow::Result<f64> {
    let start = Instant::now();
    let status = Command::new("find")
        .arg(root)
        .args(["-type", "f", "-printf", "%s %T@\\n"])
        .stdout(Stdio::null())
        .status()
        .context("cannot run find")?;
    ensure!(status.success(), "find failed: {status}");
    Ok(start.elapsed().as_secs_f64())
}
