//! Fault: `kill -9` of `codex-memories run` at seeded points across index, extract and
//! consolidate (against a slow mock model server and the agent consolidator). After each kill a
//! normal `run` exits 0; every database passes `PRAGMA integrity_check`; the only jobs still
//! `running` are the killed process's, under an unexpired lease; once the clock is moved past the
//! lease (the library with a `ManualClock`, since the binary uses the system clock) they are taken
//! over, every session ends with exactly one stage-1 result, and the memory folder's baseline is
//! a single valid commit.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codex_memories::OfflineConsolidator;
use codex_memories::RunBudget;
use codex_memories::provider::OfflineClient;
use codex_memories::workspace::MemoryWorkspace;
use codex_memories::{ExtractOptions, run_extraction};
use codex_memories::{Phase2Options, Phase2Outcome, run_phase2};
use codex_state::{Homes, ManualClock, MemoryStore, STAGE1_LEASE_SECONDS, StateRuntime};
use faults_support::{
    CHILD_DEADLINE, MockServer, Reply, agent_turn, answer, assert_integrity, command, db_path,
    git_log, is_agent_request, query, query_one, stage_one, tool_call, wait_bounded,
    write_sessions,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// One run's worth: the stage-1 running cap (8) bounds what one run claims.
const SESSIONS: u32 = 8;
const KILL_POINTS: u32 = 20;
/// The mock server's delay per request, so a run lasts long enough to be cut anywhere.
const REPLY_DELAY: Duration = Duration::from_millis(60);
/// The seed of the kill points unless `FAULTS_SEED` overrides it.
const DEFAULT_SEED: u64 = 0x5eed_f417;

fn slow_model(_index: usize, body: &Value) -> Reply {
    let reply = if is_agent_request(body) {
        let turn = agent_turn(body);
        match turn {
            0 => tool_call(
                "c1",
                "write_file",
                &json!({"path": "MEMORY.md", "content": "# Memory\n- prefers cargo nextest\n"}),
            ),
            1 => tool_call(
                "c2",
                "write_file",
                &json!({"path": "memory_summary.md", "content": "v1\nprefers nextest\n"}),
            ),
            _ => answer("done"),
        }
    } else {
        stage_one("prefers cargo nextest", "ran the tests with nextest")
    };
    Reply::Slow(REPLY_DELAY, Box::new(reply))
}

fn run_args(base_url: &str) -> Vec<String> {
    [
        "run",
        "--provider",
        "openai",
        "--base-url",
        base_url,
        "--model",
        "m",
        "--consolidator",
        "agent",
        "--json",
    ]
    .map(str::to_string)
    .to_vec()
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Moves the clock past every lease and finishes the work through the library, as the next run
/// after the lease would.
fn take_over_after_lease(home: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let later = chrono::Utc::now() + chrono::Duration::seconds(STAGE1_LEASE_SECONDS * 2);
        let clock = Arc::new(ManualClock::new(later));
        let state = StateRuntime::open_with_clock(Homes::under_codex_home(home), clock.clone())
            .await
            .unwrap();
        let store = MemoryStore::open(&state).await.unwrap();
        let extract = run_extraction(
            &store,
            Arc::new(OfflineClient),
            Arc::new(RunBudget::default()),
            &ExtractOptions::default(),
            &|_| {},
        )
        .await
        .unwrap();
        assert!(extract.failed.is_empty(), "{extract:#?}");
        let phase2 = run_phase2(
            &store,
            &home.join("memories"),
            &OfflineConsolidator,
            &Phase2Options::default(),
            later,
        )
        .await
        .unwrap();
        assert!(
            !matches!(
                phase2.outcome,
                Phase2Outcome::Failed { .. }
                    | Phase2Outcome::SkippedRunning { .. }
                    | Phase2Outcome::LostOwnership
            ),
            "{phase2:#?}"
        );
        store.close().await;
        state.close().await;
    });
}

/// Where the killed run was, read from what it left behind.
fn stage_at_kill(home: &Path) -> &'static str {
    let memories = db_path(home, "memories_1.sqlite");
    if !memories.exists()
        || query_one(
            &memories,
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'jobs'",
        ) == "0"
    {
        return "startup/index";
    }
    let count = |sql: &str| query_one(&memories, sql).parse::<u64>().unwrap_or(0);
    if count(
        "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_consolidate_global' AND status = 'running'",
    ) > 0
    {
        "consolidate"
    } else if count("SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND status = 'running'")
        > 0
    {
        "extract"
    } else if count("SELECT COUNT(*) FROM jobs") == 0 {
        "index"
    } else {
        "between phases / after"
    }
}

/// Asserts what must hold right after the recovery run: the only running jobs are the killed
/// process's.
fn assert_only_killed_jobs_running(home: &Path, killed_pid: u32) {
    let memories = db_path(home, "memories_1.sqlite");
    // Worker ids are `codex-memories-<pid>-<uuid>`, unique to each run.
    let killed = format!("codex-memories-{killed_pid}-");
    for row in query(
        &memories,
        "SELECT kind, job_key, worker_id FROM jobs WHERE status = 'running'",
    ) {
        assert!(
            row[2].as_deref().is_some_and(|id| id.starts_with(&killed)),
            "{row:?} is not the killed run's ({killed}…)"
        );
    }
}

fn assert_settled(home: &Path) {
    let memories = db_path(home, "memories_1.sqlite");
    assert_eq!(
        query_one(
            &memories,
            "SELECT COUNT(*) FROM jobs WHERE status = 'running'"
        ),
        "0"
    );
    assert_eq!(
        query_one(
            &memories,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND status = 'done'"
        ),
        SESSIONS.to_string()
    );
    let outputs: u32 = query_one(&memories, "SELECT COUNT(*) FROM stage1_outputs")
        .parse()
        .unwrap();
    assert!(outputs <= SESSIONS);
    assert_integrity(home);
    let (_, prepared) =
        MemoryWorkspace::prepare(&home.join("memories"), chrono::Utc::now()).unwrap();
    assert_eq!(prepared.recovered, None);
    if let Some(log) = git_log(home) {
        assert_eq!(log.len(), 1, "baseline commits: {log:?}");
    }
}

#[test]
fn kill_nine_at_seeded_points_loses_nothing_and_corrupts_nothing() {
    let seed = std::env::var("FAULTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    println!("FAULTS_SEED={seed}");
    let server = MockServer::start(slow_model);
    let args = run_args(&server.base_url);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // The normal run time bounds the kill delays.
    let normal = {
        let home = tempfile::tempdir().unwrap();
        write_sessions(home.path(), SESSIONS);
        let started = Instant::now();
        let output = wait_bounded(
            command(home.path(), &args).spawn().unwrap(),
            CHILD_DEADLINE,
            "the normal run",
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_settled(home.path());
        started.elapsed()
    };
    println!("normal run: {normal:?}");

    let mut state = seed | 1;
    for point in 0..KILL_POINTS {
        let home = tempfile::tempdir().unwrap();
        write_sessions(home.path(), SESSIONS);
        let delay = normal.mul_f64((xorshift(&mut state) % 1000) as f64 / 1000.0);
        let mut child = command(home.path(), &args).spawn().unwrap();
        let killed_pid = child.id();
        let started = Instant::now();
        let mut exited_first = false;
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                exited_first = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // SIGKILL: no destructor, no WAL checkpoint, no lease release.
        child.kill().ok();
        child.wait().unwrap();
        println!(
            "point {point}: killed after {delay:?} in {} (finished first: {exited_first})",
            stage_at_kill(home.path())
        );

        assert_integrity(home.path());
        let recovery = wait_bounded(
            command(home.path(), &args).spawn().unwrap(),
            CHILD_DEADLINE,
            "the recovery run",
        );
        assert!(
            recovery.status.success(),
            "point {point}: recovery exited {:?}: {}",
            recovery.status.code(),
            String::from_utf8_lossy(&recovery.stderr)
        );
        assert_integrity(home.path());
        assert_only_killed_jobs_running(home.path(), killed_pid);
        take_over_after_lease(home.path());
        assert_settled(home.path());
    }
}
