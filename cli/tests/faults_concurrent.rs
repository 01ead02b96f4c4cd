//! Fault: four `run` processes on one home at once, in rounds until every session is done.
//! Every session is extracted by exactly one process (the per-process counts add up to the
//! sessions), consolidations never overlap (the others see one running, or its cooldown; the
//! memory folder's baseline is a single commit), and every process exits 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use faults_support::{
    CHILD_DEADLINE, OFFLINE_RUN, assert_integrity, command, db_path, git_log, query_one,
    wait_bounded, write_sessions,
};
use pretty_assertions::assert_eq;
use serde_json::Value;

const SESSIONS: u32 = 20;
const PROCESSES: usize = 4;
/// Rounds of four processes at most (20 sessions need 3 under the running cap of 8).
const MAX_ROUNDS: usize = 5;

/// Sessions extracted (a memory or a no-output success) by all the processes reported.
fn extracted(reports: &[Value]) -> u64 {
    reports
        .iter()
        .map(|r| {
            r["extract"]["succeeded"].as_u64().unwrap()
                + r["extract"]["no_output"].as_u64().unwrap()
        })
        .sum()
}

#[test]
fn four_runs_at_once_extract_each_session_once_and_consolidate_once() {
    let home = tempfile::tempdir().unwrap();
    write_sessions(home.path(), SESSIONS);

    // The stage-1 running cap (8 jobs across all processes) means one round of four processes
    // extracts at most 8 sessions; rounds repeat until every session is done.
    let mut reports: Vec<Value> = Vec::new();
    for round in 0..MAX_ROUNDS {
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| command(home.path(), OFFLINE_RUN).spawn().unwrap())
            .collect();
        for (i, child) in children.into_iter().enumerate() {
            let output = wait_bounded(child, CHILD_DEADLINE, &format!("round {round} run #{i}"));
            assert!(
                output.status.success(),
                "round {round} run #{i} exited {:?}: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            );
            reports.push(serde_json::from_slice(&output.stdout).unwrap());
        }
        if extracted(&reports) >= u64::from(SESSIONS) {
            break;
        }
    }

    assert_eq!(extracted(&reports), u64::from(SESSIONS), "{reports:#?}");
    // Work stored while a consolidation runs is consolidated again without waiting for the
    // cooldown, so an early consolidation (with the outputs of its moment) may be followed by
    // another one; they never overlap: the others report `skipped_running` or the cooldown,
    // and the baseline stays one commit.
    let consolidated = reports
        .iter()
        .filter(|r| r["phase2"]["outcome"]["outcome"] == "consolidated")
        .count();
    assert!(consolidated >= 1, "no process consolidated: {reports:#?}");

    let memories = db_path(home.path(), "memories_1.sqlite");
    assert_eq!(
        query_one(
            &memories,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'memory_stage1' AND status = 'done'"
        ),
        SESSIONS.to_string()
    );
    assert_eq!(
        query_one(
            &memories,
            "SELECT COUNT(*) FROM jobs WHERE status = 'running'"
        ),
        "0"
    );
    let outputs: u64 = query_one(&memories, "SELECT COUNT(*) FROM stage1_outputs")
        .parse()
        .unwrap();
    assert!(outputs <= u64::from(SESSIONS));
    assert_integrity(home.path());
    if let Some(log) = git_log(home.path()) {
        assert_eq!(log.len(), 1, "baseline commits: {log:?}");
    }
}
