//! `logs`: the logs DB layer under load. Events/s sustained through `tracing` → layer → queue →
//! writer → SQLite with 1, 4 and 16 emitting threads, beside the rate of inserting the same rows
//! in one transaction with the same multi-row statements and no retention (the floor the writer
//! cannot beat); events dropped at a paced 10 000 events/s; p99 latency of the `tracing` call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use codex_state::SystemClock;
use codex_state::logs::{
    LogEntry, LogLevel, LogRetention, LogStore, LogWriter, LogWriterConfig, start_log_writer,
};
use codex_state::test_support::{insert_rows, log_store_pool};
use tracing_subscriber::layer::SubscriberExt;

use crate::report::{Better, Row};
use crate::scenarios::Options;

/// Events per throughput run (full run / quick run).
const FULL_EVENTS: usize = 300_000;
const QUICK_EVENTS: usize = 30_000;
/// Emitting threads per throughput run.
const EMITTER_COUNTS: [usize; 3] = [1, 4, 16];
/// Emitting threads of the run whose retention caps are never reached.
const DIAGNOSTIC_EMITTERS: usize = 4;
/// Emitters pause while the queue is fuller than this share of it, so the throughput runs
/// measure the sustained rate rather than the drop rate.
const BACKPRESSURE_FILL_PERCENT: usize = 75;
/// How long an emitter pauses when the queue is that full.
const BACKPRESSURE_PAUSE: Duration = Duration::from_millis(1);
/// The paced run: events per second and its length (full / quick).
const PACED_EVENTS_PER_SECOND: u64 = 10_000;
const FULL_PACED_SECONDS: u64 = 5;
const QUICK_PACED_SECONDS: u64 = 1;
/// Targets from the issue.
const TARGET_RATIO_TO_BULK: f64 = 0.6;
const TARGET_P99_MICROS: f64 = 5.0;
/// Codex thread ids the events are spread over (every other event has none).
const THREAD_IDS: [&str; 8] = [
    "019a93b9-f380-7600-98ff-000000000001",
    "019a93b9-f380-7600-98ff-000000000002",
    "019a93b9-f380-7600-98ff-000000000003",
    "019a93b9-f380-7600-98ff-000000000004",
    "019a93b9-f380-7600-98ff-000000000005",
    "019a93b9-f380-7600-98ff-000000000006",
    "019a93b9-f380-7600-98ff-000000000007",
    "019a93b9-f380-7600-98ff-000000000008",
];
/// How many times each throughput configuration runs, each run paired with a run of the bulk
/// baseline; the best rate of each side is kept, so a busy moment on the shared machine lowers
/// neither, and both sides get the same number of tries.
const BEST_OF_RUNS: usize = 3;
/// How long the final checkpoint of a throughput run may wait for the writer's own.
const FINAL_CHECKPOINT_WAIT: Duration = Duration::from_secs(60);
/// The bulk baseline's page cache, in KiB.
const BULK_CACHE_KIB: u32 = 256 * 1024;

/// Measures the layer and writer against a bulk insert of the same rows.
pub fn run(options: &Options) -> anyhow::Result<Vec<Row>> {
    let events = if options.quick {
        QUICK_EVENTS
    } else {
        FULL_EVENTS
    };
    // The same pipeline with caps no run reaches: what the layer and writer cost without the
    // steady-state retention deletes (which, at the caps, remove as many rows as they insert).
    let uncapped = LogRetention::default()
        .with_max_bytes_per_thread(i64::MAX)
        .with_max_rows_per_thread(i64::MAX)
        .with_max_bytes_per_process(i64::MAX)
        .with_max_rows_per_process(i64::MAX);
    let runs = EMITTER_COUNTS
        .iter()
        .map(|&emitters| (emitters, LogRetention::default()))
        .chain([(DIAGNOSTIC_EMITTERS, uncapped)]);
    // Each of our runs is paired with a run of the floor just before it, so both sides see the
    // same moments of the shared machine; each row compares the best of its configuration's runs
    // with the best of the floor runs paired with them (the same number of samples on each side).
    let mut rows = Vec::new();
    for (emitters, retention) in runs {
        let (mut ours, mut floor, mut dropped) = (0.0_f64, 0.0_f64, 0);
        for _ in 0..BEST_OF_RUNS {
            floor = floor.max(bulk_insert_rate(events)?);
            let (rate, run_dropped) = layer_rate(events, emitters, retention)?;
            ours = ours.max(rate);
            dropped += run_dropped;
        }
        let label = if retention == uncapped {
            format!(
                "logs: events/s into the DB, {emitters} emitting threads, caps never reached, {dropped} dropped"
            )
        } else {
            format!("logs: events/s into the DB, {emitters} emitting thread(s), {dropped} dropped")
        };
        rows.push(
            Row::new(label, ours, "events/s")
                .baseline(floor, "one-transaction bulk insert")
                .target_ratio(TARGET_RATIO_TO_BULK, Better::Higher),
        );
    }
    let seconds = if options.quick {
        QUICK_PACED_SECONDS
    } else {
        FULL_PACED_SECONDS
    };
    let (dropped, p50_micros, p99_micros) = paced(seconds)?;
    let (bare_p50, bare_p99) = paced_without_layer(seconds);
    rows.push(
        Row::new(
            format!("logs: events dropped at {PACED_EVENTS_PER_SECOND} events/s for {seconds} s"),
            dropped as f64,
            "events",
        )
        .target(0.0, Better::Lower),
    );
    rows.push(
        Row::new(
            format!("logs: p50 latency of the tracing call at {PACED_EVENTS_PER_SECOND} events/s"),
            p50_micros,
            "µs",
        )
        .baseline(bare_p50, "same call, no logs layer"),
    );
    rows.push(
        Row::new(
            format!("logs: p99 latency of the tracing call at {PACED_EVENTS_PER_SECOND} events/s"),
            p99_micros,
            "µs",
        )
        .baseline(bare_p99, "same call, no logs layer")
        .target(TARGET_P99_MICROS, Better::Lower),
    );
    Ok(rows)
}

/// Starts a writer with the default configuration (and `retention`) on a fresh DB in `dir`.
fn start(
    dir: &tempfile::TempDir,
    retention: LogRetention,
) -> anyhow::Result<(tracing::Dispatch, codex_state::logs::LogGuard)> {
    let (layer, guard) = start_log_writer(
        &dir.path().join("logs_1.sqlite"),
        LogWriterConfig::default().with_retention(retention),
        Arc::new(SystemClock),
    )?;
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    Ok((dispatch, guard))
}

/// One event as an instrumented program would emit it: every other one inside a thread span.
/// Returns how long the event macro itself took (span creation and entry excluded).
fn emit(n: usize) -> Duration {
    if n.is_multiple_of(2) {
        let span = tracing::info_span!("phase1", thread_id = THREAD_IDS[n / 2 % THREAD_IDS.len()]);
        let _entered = span.enter();
        let before = Instant::now();
        tracing::info!(n, kind = "bench", "claimed stage-1 job");
        before.elapsed()
    } else {
        let before = Instant::now();
        tracing::info!(n, kind = "bench", "scanned rollouts");
        before.elapsed()
    }
}

/// Written events per second from the first event until a flush has committed the last, and
/// the events dropped on the way.
fn layer_rate(
    events: usize,
    emitters: usize,
    retention: LogRetention,
) -> anyhow::Result<(f64, u64)> {
    let dir = tempfile::tempdir()?;
    let (dispatch, guard) = start(&dir, retention)?;
    let writer = guard.writer().clone();
    let checkpoint = FinalCheckpoint::connect(writer.path())?;
    let per_thread = events / emitters;
    let start = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..emitters {
            let dispatch = dispatch.clone();
            let writer = writer.clone();
            scope.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    for n in 0..per_thread {
                        wait_for_room(&writer);
                        let _ = emit(thread * per_thread + n);
                    }
                });
            });
        }
    });
    writer
        .flush_blocking(Duration::from_secs(120))
        .context("flushing the log writer")?;
    checkpoint.run()?;
    let seconds = start.elapsed().as_secs_f64();
    let stats = writer.stats();
    drop(guard);
    Ok((
        stats.enqueued as f64 / seconds,
        stats.dropped_queue_full + stats.lost_write_failed,
    ))
}

/// The writer leaves checkpoints to a background task, while the floor's commit checkpoints its
/// whole WAL before it returns; so a run of ours ends only when every row is in the database
/// file too (a FULL checkpoint, waiting for the background one), and both sides pay for
/// checkpointing all their rows. The connection is opened before the clock starts.
struct FinalCheckpoint {
    runtime: tokio::runtime::Runtime,
    store: LogStore,
}

impl FinalCheckpoint {
    fn connect(path: &std::path::Path) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let store = runtime.block_on(LogStore::open(path, Arc::new(SystemClock)))?;
        Ok(Self { runtime, store })
    }

    /// Checkpoints the whole WAL, retrying while the writer's background checkpoint holds
    /// SQLite's checkpoint lock (which a checkpoint does not wait for).
    fn run(self) -> anyhow::Result<()> {
        self.runtime.block_on(async {
            let deadline = Instant::now() + FINAL_CHECKPOINT_WAIT;
            loop {
                let (busy, log, checkpointed): (i64, i64, i64) =
                    sqlx::query_as("PRAGMA wal_checkpoint(FULL)")
                        .fetch_one(log_store_pool(&self.store))
                        .await?;
                if busy == 0 && log == checkpointed {
                    break;
                }
                anyhow::ensure!(
                    Instant::now() < deadline,
                    "final checkpoint incomplete after {FINAL_CHECKPOINT_WAIT:?}: busy {busy}, \
                     {checkpointed} of {log} WAL frames"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            self.store.close().await;
            Ok(())
        })
    }
}

fn wait_for_room(writer: &LogWriter) {
    let limit = writer.queue_capacity() * BACKPRESSURE_FILL_PERCENT / 100;
    while writer.queued() > limit {
        std::thread::sleep(BACKPRESSURE_PAUSE);
    }
}

/// Emits at a fixed rate for `seconds` through our layer: the events dropped, and the p50 and p99
/// of each call in µs.
fn paced(seconds: u64) -> anyhow::Result<(u64, f64, f64)> {
    let dir = tempfile::tempdir()?;
    let (dispatch, guard) = start(&dir, LogRetention::default())?;
    let (p50, p99) = paced_latencies(&dispatch, seconds);
    guard
        .writer()
        .flush_blocking(Duration::from_secs(120))
        .context("flushing the log writer")?;
    let stats = guard.writer().stats();
    drop(guard);
    Ok((stats.dropped_queue_full + stats.lost_write_failed, p50, p99))
}

/// The same paced calls with a bare registry and no logs layer: what the `tracing` call and the
/// machine's own jitter cost, as a reference for the latency rows.
fn paced_without_layer(seconds: u64) -> (f64, f64) {
    paced_latencies(
        &tracing::Dispatch::new(tracing_subscriber::registry()),
        seconds,
    )
}

/// The p50 and p99, in µs, of [`emit`] called at [`PACED_EVENTS_PER_SECOND`] for `seconds`.
fn paced_latencies(dispatch: &tracing::Dispatch, seconds: u64) -> (f64, f64) {
    let total = (PACED_EVENTS_PER_SECOND * seconds) as usize;
    let interval = Duration::from_secs(1) / PACED_EVENTS_PER_SECOND as u32;
    let mut latencies = Vec::with_capacity(total);
    tracing::dispatcher::with_default(dispatch, || {
        let start = Instant::now();
        for n in 0..total {
            let due = start + interval * n as u32;
            // Spin rather than sleep: sleeping is far coarser than 100 µs.
            while Instant::now() < due {
                std::hint::spin_loop();
            }
            latencies.push(emit(n));
        }
    });
    latencies.sort_unstable();
    let percentile_micros = |percent: usize| {
        latencies
            .get(latencies.len() * percent / 100)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e6
    };
    (percentile_micros(50), percentile_micros(99))
}

/// The rows the layer would write for `events` events.
fn same_rows(events: usize) -> Vec<LogEntry> {
    let now = chrono::Utc::now();
    (0..events)
        .map(|n| {
            let thread_id =
                (n.is_multiple_of(2)).then(|| THREAD_IDS[n / 2 % THREAD_IDS.len()].to_string());
            let body = match &thread_id {
                Some(id) => {
                    format!("phase1{{thread_id={id}}}: claimed stage-1 job n={n} kind=bench")
                }
                None => format!("scanned rollouts n={n} kind=bench"),
            };
            LogEntry {
                ts: now.timestamp(),
                ts_nanos: i64::from(now.timestamp_subsec_nanos()),
                level: LogLevel::Info,
                target: module_path!().into(),
                body,
                thread_id,
                process_uuid: codex_state::logs::process_uuid().into(),
                module_path: Some(module_path!().into()),
                file: Some(file!().into()),
                line: Some(line!()),
            }
        })
        .collect()
}

/// Rows per second inserting `events` rows in one transaction, no retention.
fn bulk_insert_rate(events: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let rows = same_rows(events);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store =
            LogStore::open(&dir.path().join("logs_1.sqlite"), Arc::new(SystemClock)).await?;
        let mut conn = log_store_pool(&store).acquire().await?;
        // A cache that holds the whole transaction and statement journals in memory (as the
        // writer's connection has), so the floor is not slowed by spilling.
        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
            .execute(&mut *conn)
            .await?;
        sqlx::query("PRAGMA temp_store = MEMORY")
            .execute(&mut *conn)
            .await?;
        let start = Instant::now();
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        // The writer's own statements, without its retention or its batching.
        insert_rows(&mut tx, &rows).await?;
        tx.commit().await?;
        let seconds = start.elapsed().as_secs_f64();
        drop(conn);
        store.close().await;
        Ok(events as f64 / seconds)
    })
}
