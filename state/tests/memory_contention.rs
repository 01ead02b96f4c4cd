//! Stage-1 claims under contention: tokio tasks with their own pools, and separate OS processes
//! (this test binary re-run as workers), all claiming the same 500 threads. Every thread must be
//! claimed exactly once per version, no more than the cap may run at once, and no "database is
//! locked" error may surface. Time is a `ManualClock` that never moves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use codex_state::test_support::{insert_thread, thread_row};
use codex_state::{
    Clock, Homes, ManualClock, MemoryStore, Stage1ClaimOutcome, Stage1ClaimParams,
    StartupScanParams, StateRuntime, ThreadId,
};
use pretty_assertions::assert_eq;

const T0: i64 = 1_763_000_000;
const THREADS: usize = 500;
const WORKERS: usize = 6;
const RUNNING_CAP: u32 = 3;
/// Versions are 7 hours old: idle enough for the startup scan's default 6 hours.
const VERSION_AGE_SECONDS: i64 = 7 * 3600;

const WORKER_HOME_ENV: &str = "MEMORY_CONTENTION_WORKER_HOME";
const WORKER_ID_ENV: &str = "MEMORY_CONTENTION_WORKER_ID";
const WORKER_OUT_ENV: &str = "MEMORY_CONTENTION_WORKER_OUT";

/// One claim a worker made: the thread, the version, and the most running jobs it saw while
/// holding the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClaimRecord {
    thread_id: ThreadId,
    version: i64,
    running_seen: u32,
}

async fn open(home: &Path) -> (StateRuntime, MemoryStore) {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::at_unix_seconds(T0));
    let runtime = StateRuntime::open_with_clock(Homes::under_codex_home(home), clock)
        .await
        .unwrap();
    let store = MemoryStore::open(&runtime).await.unwrap();
    (runtime, store)
}

/// Inserts `THREADS` threads at `version` (unix seconds), returning their ids.
async fn seed(runtime: &StateRuntime, ids: &[ThreadId], version: i64) {
    for id in ids {
        insert_thread(runtime, &thread_row(*id, version * 1000))
            .await
            .unwrap();
    }
}

async fn live_running(store: &MemoryStore) -> u32 {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM jobs \
         WHERE kind = 'memory_stage1' AND status = 'running' AND lease_until > ?",
    )
    .bind(T0)
    .fetch_one(codex_state::test_support::memory_store_pool(store))
    .await
    .unwrap();
    u32::try_from(count).unwrap()
}

/// Claims threads one by one until every one is up to date, finishing each claim at once.
async fn single_claim_worker(
    store: &MemoryStore,
    worker: &str,
    ids: &[ThreadId],
) -> Vec<ClaimRecord> {
    let params = Stage1ClaimParams::default().with_running_cap(RUNNING_CAP);
    let mut records = Vec::new();
    let mut todo: Vec<ThreadId> = ids.to_vec();
    while !todo.is_empty() {
        let mut again = Vec::new();
        for id in todo {
            match store.claim_stage1(id, worker, &params).await.unwrap() {
                Stage1ClaimOutcome::Claimed(claim) => {
                    let running_seen = live_running(store).await;
                    records.push(ClaimRecord {
                        thread_id: id,
                        version: claim.input_watermark,
                        running_seen,
                    });
                    assert!(
                        store
                            .stage1_succeeded_no_output(&claim, None)
                            .await
                            .unwrap()
                    );
                }
                Stage1ClaimOutcome::UpToDate => {}
                Stage1ClaimOutcome::Running { .. } | Stage1ClaimOutcome::Capped { .. } => {
                    again.push(id);
                }
                other => panic!("{worker}: unexpected outcome for {id}: {other:?}"),
            }
        }
        todo = again;
        tokio::task::yield_now().await;
    }
    records
}

/// Runs startup scans until one finds every thread up to date.
async fn startup_worker(store: &MemoryStore, worker: &str) -> Vec<ClaimRecord> {
    let params = StartupScanParams::default()
        .with_max_claims(4)
        .with_running_cap(RUNNING_CAP);
    let mut records = Vec::new();
    loop {
        let report = store.claim_stage1_startup(&params, worker).await.unwrap();
        if report.claimed.is_empty() && report.skipped.up_to_date == THREADS as u64 {
            return records;
        }
        let running_seen = live_running(store).await;
        for claim in report.claimed {
            records.push(ClaimRecord {
                thread_id: claim.thread_id,
                version: claim.input_watermark,
                running_seen,
            });
            assert!(
                store
                    .stage1_succeeded_no_output(&claim, None)
                    .await
                    .unwrap()
            );
        }
        tokio::task::yield_now().await;
    }
}

/// Every (thread, version) claimed exactly once, and never more than the cap running.
fn check(records: &[ClaimRecord], ids: &[ThreadId], versions: &[i64]) {
    let mut claims: BTreeMap<(ThreadId, i64), usize> = BTreeMap::new();
    for record in records {
        *claims
            .entry((record.thread_id, record.version))
            .or_default() += 1;
        assert!(
            record.running_seen <= RUNNING_CAP,
            "{} running while holding {}",
            record.running_seen,
            record.thread_id
        );
    }
    let mut expected = BTreeMap::new();
    for id in ids {
        for version in versions {
            expected.insert((*id, *version), 1);
        }
    }
    assert_eq!(claims, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_claim_every_thread_exactly_once_per_version_within_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _store) = open(dir.path()).await;
    let ids: Vec<ThreadId> = (0..THREADS).map(|_| ThreadId::new()).collect();
    let versions = [T0 - VERSION_AGE_SECONDS, T0 - VERSION_AGE_SECONDS + 1];
    let mut records = Vec::new();
    for version in versions {
        seed(&runtime, &ids, version).await;
        let mut tasks = Vec::new();
        for worker in 0..WORKERS {
            let home = dir.path().to_path_buf();
            let ids = ids.clone();
            tasks.push(tokio::spawn(async move {
                // Each task has its own pool, as separate processes would.
                let (_runtime, store) = open(&home).await;
                single_claim_worker(&store, &format!("task-{worker}"), &ids).await
            }));
        }
        for task in tasks {
            records.extend(task.await.unwrap());
        }
    }
    check(&records, &ids, &versions);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_startup_scans_claim_every_thread_exactly_once_within_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _store) = open(dir.path()).await;
    let ids: Vec<ThreadId> = (0..THREADS).map(|_| ThreadId::new()).collect();
    let version = T0 - VERSION_AGE_SECONDS;
    seed(&runtime, &ids, version).await;
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let home = dir.path().to_path_buf();
        tasks.push(tokio::spawn(async move {
            let (_runtime, store) = open(&home).await;
            startup_worker(&store, &format!("scan-{worker}")).await
        }));
    }
    let mut records = Vec::new();
    for task in tasks {
        records.extend(task.await.unwrap());
    }
    check(&records, &ids, &[version]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_claim_every_thread_exactly_once_within_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, _store) = open(dir.path()).await;
    let ids: Vec<ThreadId> = (0..THREADS).map(|_| ThreadId::new()).collect();
    let version = T0 - VERSION_AGE_SECONDS;
    seed(&runtime, &ids, version).await;
    let exe = std::env::current_exe().unwrap();
    let mut children = Vec::new();
    for worker in 0..WORKERS {
        let out = dir.path().join(format!("worker-{worker}.txt"));
        let child = Command::new(&exe)
            .args(["worker_process_entry", "--exact", "--nocapture"])
            .env(WORKER_HOME_ENV, dir.path())
            .env(WORKER_ID_ENV, format!("process-{worker}"))
            .env(WORKER_OUT_ENV, &out)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        children.push((child, out));
    }
    let mut records = Vec::new();
    for (mut child, out) in children {
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "worker {} failed: {status}",
            out.display()
        );
        records.extend(read_records(&out));
    }
    check(&records, &ids, &[version]);
}

/// The body of one worker process; a no-op when run as an ordinary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_process_entry() {
    let (Some(home), Some(worker), Some(out)) = (
        std::env::var_os(WORKER_HOME_ENV),
        std::env::var(WORKER_ID_ENV).ok(),
        std::env::var_os(WORKER_OUT_ENV),
    ) else {
        return;
    };
    let (runtime, store) = open(Path::new(&home)).await;
    let ids: Vec<ThreadId> = runtime
        .list_threads(u32::MAX)
        .await
        .unwrap()
        .iter()
        .map(|thread| thread.id)
        .collect();
    let records = single_claim_worker(&store, &worker, &ids).await;
    write_records(&PathBuf::from(out), &records);
}

fn write_records(path: &Path, records: &[ClaimRecord]) {
    let text: String = records
        .iter()
        .map(|record| {
            format!(
                "{} {} {}\n",
                record.thread_id, record.version, record.running_seen
            )
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

fn read_records(path: &Path) -> Vec<ClaimRecord> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let mut fields = line.split(' ');
            ClaimRecord {
                thread_id: fields.next().unwrap().parse().unwrap(),
                version: fields.next().unwrap().parse().unwrap(),
                running_seen: fields.next().unwrap().parse().unwrap(),
            }
        })
        .collect()
}
