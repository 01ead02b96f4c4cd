//! `read`: how fast `RolloutReader` parses a large rollout, beside splitting the same bytes into
//! lines with a plain `BufRead::read_until` loop (the floor: no parsing at all).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::time::Instant;

use codex_protocol::{RolloutReader, ThreadId};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::{Rng, write_session};

/// Size of the synthetic rollout, in bytes (full run / quick run).
const FULL_BYTES: u64 = 200 * 1024 * 1024;
const QUICK_BYTES: u64 = 20 * 1024 * 1024;

/// Measures the reader against a line-splitting floor.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let path = dir
        .path()
        .join("rollout-2026-05-01T10-00-00-019a93b9-f380-7600-98ff-940e6b99603c.jsonl");
    let target = if options.quick {
        QUICK_BYTES
    } else {
        FULL_BYTES
    };
    let bytes = write_session(
        BufWriter::new(File::create(&path)?),
        ThreadId::new(),
        "/work/project",
        target,
        &mut Rng::new(7),
    )?;
    let megabytes = bytes as f64 / 1e6;

    // Warm the page cache so both passes read from memory.
    let floor_seconds = split_lines(&path)?;
    let floor_seconds = floor_seconds.min(split_lines(&path)?);

    let start = Instant::now();
    let mut reader = RolloutReader::open(&path)?;
    let mut items = 0u64;
    while reader.next_line()?.is_some() {
        items += 1;
    }
    let ours_seconds = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        reader.bad_line_count() == 0,
        "synthetic rollout had bad lines"
    );
    anyhow::ensure!(items > 0, "synthetic rollout had no lines");

    let peak_mib = crate::memory::peak_rss_mib()?;
    Ok(vec![
        Row::new(
            "read: full parse throughput",
            megabytes / ours_seconds,
            "MB/s",
        )
        .baseline(megabytes / floor_seconds, "read_until split")
        .target_ratio(0.1, Better::Higher),
        Row::new(
            format!("read: peak RSS reading a {megabytes:.0} MB rollout"),
            peak_mib,
            "MiB",
        )
        .target(PEAK_RSS_TARGET_MIB, Better::Lower),
    ])
}

/// Peak resident memory allowed while reading, in MiB: far below the file size, so memory
/// does not grow with the file.
const PEAK_RSS_TARGET_MIB: f64 = 64.0;

fn split_lines(path: &std::path::Path) -> anyhow::Result<f64> {
    let start = Instant::now();
    let mut reader = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let mut line = Vec::new();
    let mut lines = 0u64;
    while reader.read_until(b'\n', &mut line)? > 0 {
        lines += 1;
        line.clear();
    }
    anyhow::ensure!(lines > 0, "empty file");
    Ok(start.elapsed().as_secs_f64())
}
