//! `index`: the session indexer on a synthetic Codex home. First index throughput beside `cat`
//! of the same files (both from a warm page cache: dropping it needs root, so every file is read
//! once before either is timed); a no-change re-index of 10 000 files beside `find` stat-ing
//! them; peak RSS, which must not grow with the largest file.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, ensure};
use codex_state::{Homes, StateRuntime, SystemClock};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, realistic_rollout_bytes, write_home};

/// Total size of the throughput home (full run / quick run).
const FULL_HOME_BYTES: u64 = 1024 * 1024 * 1024;
const QUICK_HOME_BYTES: u64 = 100 * 1024 * 1024;
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
const THROUGHPUT_RATIO_TARGET: f64 = 0.5;
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
    let megabytes = home.bytes as f64 / 1e6;
    warm_page_cache(&home.files)?;
    let cat_seconds = cat_files(&home.files)?;
    let index_seconds = runtime.block_on(async {
        let start = Instant::now();
        let state = open(&big_home, &dir.path().join("db-big")).await?;
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

async fn open(codex_home: &Path, sqlite_home: &Path) -> anyhow::Result<StateRuntime> {
    Ok(
        StateRuntime::open_with_clock(Homes::new(codex_home, sqlite_home), Arc::new(SystemClock))
            .await?,
    )
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
