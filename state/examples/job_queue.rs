//! Using `codex-state` alone as a leased job queue worked by two tasks: index a Codex home's
//! sessions, then let two workers claim the threads that are due a memory one at a time, each
//! claim a lease that no other worker can take, and mark each one done. Every thread is worked
//! exactly once, whichever worker gets it.
//!
//! `cargo run -p codex-state --example job_queue` runs it on a temporary Codex home it fills with
//! four small sessions; nothing outside that folder is read or written.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use codex_state::{
    Clock, Homes, ManualClock, MemoryStore, Stage1OutputInput, StartupScanParams, StateRuntime,
    ThreadId,
};

/// Four sessions that ended on 2026-11-20; the clock reads two days later, so all are idle.
const SESSIONS: usize = 4;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let home = tempfile::tempdir()?;
    let day = home.path().join("sessions/2026/11/20");
    std::fs::create_dir_all(&day)?;
    for n in 0..SESSIONS {
        let id = ThreadId::new();
        let rollout = format!(
            concat!(
                r#"{{"timestamp":"2026-11-20T1{n}:00:00.000Z","type":"session_meta","payload":{{"id":"{id}","timestamp":"2026-11-20T1{n}:00:00.000Z","cwd":"/home/dev/src/ledger","originator":"codex_cli_rs","cli_version":"0.58.0","source":"cli"}}}}"#,
                "\n",
                r#"{{"timestamp":"2026-11-20T1{n}:00:01.000Z","type":"event_msg","payload":{{"type":"user_message","message":"task {n}"}}}}"#,
                "\n",
            ),
            n = n,
            id = id,
        );
        std::fs::write(
            day.join(format!("rollout-2026-11-20T1{n}-00-00-{id}.jsonl")),
            rollout,
        )?;
    }

    // The host decides where the databases go and what time it is.
    let homes = Homes::resolve(Some(home.path()), None)?;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0)
            .single()
            .ok_or("bad date")?,
    ));
    let state = StateRuntime::open_with_clock(homes, clock).await?;
    let indexed = state.index_sessions(&|_progress| {}).await?;
    println!("indexed {} sessions", indexed.threads_added);

    // The queue: `memories_1.sqlite` beside the thread index. Each claim leases one thread.
    let store = Arc::new(MemoryStore::open(&state).await?);
    let workers = ["worker-a", "worker-b"].map(|worker| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { work(&store, worker).await })
    });
    let mut done = Vec::new();
    for worker in workers {
        done.extend(worker.await??);
    }
    let worked = done.len();
    done.sort();
    done.dedup();
    println!("{worked} claims done, {} threads", done.len());
    assert_eq!(
        (worked, done.len()),
        (SESSIONS, SESSIONS),
        "every thread worked exactly once"
    );

    store.close().await;
    state.close().await;
    Ok(())
}

/// Claims one due thread at a time until none is left, "extracts" it and stores the result
/// under the claim's token. Returns the threads this worker did.
async fn work(store: &MemoryStore, worker: &str) -> Result<Vec<ThreadId>, codex_state::StateError> {
    let one_at_a_time = StartupScanParams::default().with_max_claims(1);
    let mut done = Vec::new();
    loop {
        let report = store.claim_stage1_startup(&one_at_a_time, worker).await?;
        let Some(claim) = report.claimed.into_iter().next() else {
            return Ok(done);
        };
        println!(
            "{worker} holds {} until {}",
            claim.thread_id, claim.lease_until
        );
        let output = Stage1OutputInput::new(
            format!("what {} taught", claim.thread_id),
            "a short session",
        );
        // `false` would mean the lease was lost (taken over after it expired): nothing written.
        if store.stage1_succeeded(&claim, &output).await? {
            done.push(claim.thread_id);
        }
    }
}
