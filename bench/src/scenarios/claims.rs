//! `claims`: stage-1 claim throughput and latency of the memories DB under contention. Eight
//! claimers (tokio tasks on 2 runtime threads, each with its own `StateRuntime` + `MemoryStore`,
//! so its own pools and connections; being one process they share its per-file write gate) draw
//! from one shuffled queue holding every eligible thread twice, so each thread is raced for by
//! two claimers; each claim is finished at once with `stage1_succeeded` (output upsert + phase-2
//! enqueue). Zero duplicate claims is verified. The baseline, in the same run: eight writers,
//! each with its own pool, inserting the thread rows with one single-row autocommit INSERT each
//! (the cheapest write transaction on the same pragmas).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use codex_state::test_support::{insert_thread, thread_row};
use codex_state::{
    Clock, Homes, MemoryStore, Stage1ClaimOutcome, Stage1ClaimParams, Stage1OutputInput,
    StateRuntime, SystemClock, ThreadId,
};

use crate::report::{Better, Row};
use crate::scenarios::Options;
use crate::synthetic::Rng;

/// Eligible threads (full run / quick run).
const FULL_THREADS: usize = 10_000;
const QUICK_THREADS: usize = 2_000;
/// Concurrent claimers (and baseline writers).
const CLAIMERS: usize = 8;
/// Target claim throughput on the 2-core reference machine, claims per second.
const TARGET_CLAIMS_PER_SECOND: f64 = 1_000.0;
/// Thread versions are this old, in seconds (idle long enough for any startup scan).
const VERSION_AGE_SECONDS: i64 = 7 * 3600;

/// What one claimer did.
#[derive(Default)]
struct ClaimerResult {
    /// (thread, ownership token) of every successful claim.
    claims: Vec<(ThreadId, String)>,
    /// Duration of every claim call, successful or not.
    latencies: Vec<Duration>,
}

/// Measures claims against autocommit inserts.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let threads = if options.quick {
        QUICK_THREADS
    } else {
        FULL_THREADS
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(measure(threads))
}

async fn measure(threads: usize) -> anyhow::Result<Vec<Row>> {
    let dir = tempfile::tempdir()?;
    let homes = Homes::under_codex_home(dir.path());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Create and migrate both databases before the clocks start.
    let runtime = StateRuntime::open_with_clock(homes.clone(), Arc::clone(&clock)).await?;
    MemoryStore::open(&runtime).await?.close().await;

    let version_ms = (clock.now_unix_seconds() - VERSION_AGE_SECONDS) * 1000;
    let ids: Vec<ThreadId> = (0..threads).map(|_| ThreadId::new()).collect();
    let insert_seconds = insert_threads(&homes, &clock, &ids, version_ms).await?;

    let mut queue: Vec<ThreadId> = ids.iter().chain(ids.iter()).copied().collect();
    shuffle(&mut queue, &mut Rng::new(11));
    let queue = Arc::new(queue);
    let cursor = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for claimer in 0..CLAIMERS {
        let (homes, clock) = (homes.clone(), Arc::clone(&clock));
        let (queue, cursor) = (Arc::clone(&queue), Arc::clone(&cursor));
        tasks.push(tokio::spawn(async move {
            claim_loop(
                &homes,
                clock,
                &format!("claimer-{claimer}"),
                &queue,
                &cursor,
            )
            .await
        }));
    }
    let mut claims = Vec::new();
    let mut latencies = Vec::new();
    for task in tasks {
        let result = task.await??;
        claims.extend(result.claims);
        latencies.extend(result.latencies);
    }
    let claim_seconds = start.elapsed().as_secs_f64();

    let distinct: HashSet<ThreadId> = claims.iter().map(|(id, _)| *id).collect();
    let duplicates = claims.len() - distinct.len();
    ensure!(
        distinct.len() == threads,
        "{} of {threads} threads were claimed",
        distinct.len()
    );
    latencies.sort();
    let p99_index = (latencies.len() * 99 / 100).min(latencies.len().saturating_sub(1));
    let p99_ms = latencies
        .get(p99_index)
        .context("no claim latencies")?
        .as_secs_f64()
        * 1000.0;
    runtime.close().await;

    Ok(vec![
        Row::new(
            format!("claims: {CLAIMERS} claimers over {threads} threads (each raced twice)"),
            claims.len() as f64 / claim_seconds,
            "claims/s",
        )
        .baseline(
            threads as f64 / insert_seconds,
            format!("{CLAIMERS} writers, autocommit single-row INSERTs/s"),
        )
        .target(TARGET_CLAIMS_PER_SECOND, Better::Higher),
        Row::new("claims: p99 claim call latency", p99_ms, "ms"),
        Row::new("claims: duplicate claims", duplicates as f64, "claims")
            .target(0.0, Better::Lower),
    ])
}

/// Inserts the thread rows from `CLAIMERS` writers with their own pools; returns the seconds.
async fn insert_threads(
    homes: &Homes,
    clock: &Arc<dyn Clock>,
    ids: &[ThreadId],
    version_ms: i64,
) -> anyhow::Result<f64> {
    let chunk = ids.len().div_ceil(CLAIMERS);
    let mut writers = Vec::new();
    for _ in 0..CLAIMERS {
        writers.push(StateRuntime::open_with_clock(homes.clone(), Arc::clone(clock)).await?);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (writer, slice) in writers.into_iter().zip(ids.chunks(chunk)) {
        let slice = slice.to_vec();
        tasks.push(tokio::spawn(async move {
            for id in slice {
                insert_thread(&writer, &thread_row(id, version_ms)).await?;
            }
            writer.close().await;
            Ok::<(), codex_state::StateError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(start.elapsed().as_secs_f64())
}

/// One claimer: its own runtime and store; draws threads from the shared queue until it is empty.
async fn claim_loop(
    homes: &Homes,
    clock: Arc<dyn Clock>,
    worker: &str,
    queue: &[ThreadId],
    cursor: &AtomicUsize,
) -> anyhow::Result<ClaimerResult> {
    let runtime = StateRuntime::open_with_clock(homes.clone(), clock).await?;
    let store = MemoryStore::open(&runtime).await?;
    let params = Stage1ClaimParams::default();
    let output = Stage1OutputInput::new("- ran the tests; all green", "fixed the flaky test");
    let mut result = ClaimerResult::default();
    loop {
        let index = cursor.fetch_add(1, Ordering::Relaxed);
        let Some(thread_id) = queue.get(index) else {
            break;
        };
        let started = Instant::now();
        let outcome = store.claim_stage1(*thread_id, worker, &params).await?;
        result.latencies.push(started.elapsed());
        match outcome {
            Stage1ClaimOutcome::Claimed(claim) => {
                ensure!(
                    store.stage1_succeeded(&claim, &output).await?,
                    "{worker} lost its claim of {thread_id}"
                );
                result.claims.push((claim.thread_id, claim.ownership_token));
            }
            Stage1ClaimOutcome::UpToDate | Stage1ClaimOutcome::Running { .. } => {}
            other => anyhow::bail!("{worker}: unexpected outcome for {thread_id}: {other:?}"),
        }
    }
    store.close().await;
    runtime.close().await;
    Ok(result)
}

/// Fisher–Yates with the synthetic generator, so runs are repeatable.
fn shuffle(items: &mut [ThreadId], rng: &mut Rng) {
    for index in (1..items.len()).rev() {
        let other = rng.range(0, index as u64 + 1) as usize;
        items.swap(index, other);
    }
}
