use pretty_assertions::assert_eq;

use super::test_helpers::{Fixture, T0, output};
use super::*;
use crate::{MAX_POOL_CONNECTIONS, MemoryMode, ThreadId};

#[tokio::test]
async fn stage1_claim_runs_the_thread_version_and_success_makes_it_up_to_date() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    let claim = f.claimed(thread, "w1").await;
    assert_eq!(claim.input_watermark, T0 - 7200);
    assert_eq!(claim.lease_until, T0 + STAGE1_LEASE_SECONDS);
    assert_eq!(claim.cwd, "/work/project");
    assert_eq!(
        f.stage1_job(thread).await.unwrap(),
        JobRow {
            kind: JobKind::Stage1,
            job_key: thread.to_string(),
            status: JobStatus::Running,
            worker_id: Some("w1".to_string()),
            ownership_token: Some(claim.ownership_token.clone()),
            started_at: Some(T0),
            finished_at: None,
            lease_until: Some(T0 + STAGE1_LEASE_SECONDS),
            retry_at: None,
            retry_remaining: RETRIES_PER_JOB_VERSION,
            last_error: None,
            input_watermark: Some(T0 - 7200),
            last_success_watermark: None,
            skip_cooldown: false,
        }
    );
    assert_eq!(f.phase2_job().await, None);

    f.advance(60);
    assert!(
        f.store
            .stage1_succeeded(&claim, &output("a"))
            .await
            .unwrap()
    );
    let job = f.stage1_job(thread).await.unwrap();
    assert_eq!(
        (
            job.status,
            job.finished_at,
            job.lease_until,
            job.last_success_watermark
        ),
        (JobStatus::Done, Some(T0 + 60), None, Some(T0 - 7200))
    );
    assert_eq!(
        f.store.stage1_output(thread).await.unwrap().unwrap(),
        Stage1OutputRow {
            thread_id: thread,
            source_updated_at: T0 - 7200,
            raw_memory: "raw a".to_string(),
            rollout_summary: "summary a".to_string(),
            rollout_slug: Some("a".to_string()),
            generated_at: T0 + 60,
            usage_count: 0,
            last_usage: None,
            selected_for_phase2: false,
            selected_for_phase2_source_updated_at: None,
        }
    );
    assert_eq!(f.phase2_job().await.unwrap().status, JobStatus::Pending);
    assert_eq!(f.claim(thread, "w2").await, Stage1ClaimOutcome::UpToDate);
}

#[tokio::test]
async fn a_live_lease_is_refused_an_expired_one_is_taken_over_and_the_stale_owner_changes_nothing()
{
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    let first = f.claimed(thread, "w1").await;
    f.advance(STAGE1_LEASE_SECONDS - 1);
    assert_eq!(
        f.claim(thread, "w2").await,
        Stage1ClaimOutcome::Running {
            lease_until: first.lease_until
        }
    );
    f.advance(1);
    let second = f.claimed(thread, "w2").await;
    assert_ne!(second.ownership_token, first.ownership_token);
    let before = f.stage1_job(thread).await;

    assert!(
        !f.store
            .stage1_succeeded(&first, &output("stale"))
            .await
            .unwrap()
    );
    assert!(
        !f.store
            .stage1_succeeded_no_output(&first, None)
            .await
            .unwrap()
    );
    assert!(!f.store.stage1_failed(&first, "stale", 60).await.unwrap());
    assert_eq!(f.stage1_job(thread).await, before);
    assert_eq!(f.store.stage1_output(thread).await.unwrap(), None);
    assert_eq!(f.phase2_job().await, None);

    assert!(
        f.store
            .stage1_succeeded(&second, &output("new"))
            .await
            .unwrap()
    );
    assert_eq!(
        f.store
            .stage1_output(thread)
            .await
            .unwrap()
            .unwrap()
            .raw_memory,
        "raw new"
    );
}

#[tokio::test]
async fn failures_back_off_then_exhaust_and_a_newer_thread_version_lifts_both() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    for attempt in 1..=RETRIES_PER_JOB_VERSION {
        let claim = f.claimed(thread, "w1").await;
        assert!(
            f.store
                .stage1_failed(&claim, &format!("model said no {attempt}"), 100)
                .await
                .unwrap()
        );
        let job = f.stage1_job(thread).await.unwrap();
        assert_eq!(
            (
                job.status,
                job.retry_remaining,
                job.retry_at,
                job.last_error.as_deref()
            ),
            (
                JobStatus::Error,
                RETRIES_PER_JOB_VERSION - attempt,
                Some(f.now() + 100),
                Some(format!("model said no {attempt}").as_str())
            )
        );
        if attempt < RETRIES_PER_JOB_VERSION {
            assert_eq!(
                f.claim(thread, "w1").await,
                Stage1ClaimOutcome::InBackoff {
                    retry_at: f.now() + 100
                }
            );
            f.advance(100);
        }
    }
    f.advance(100);
    assert_eq!(
        f.claim(thread, "w1").await,
        Stage1ClaimOutcome::RetriesExhausted
    );

    // The session continued: its file (and so its version) moved forward.
    f.set_thread(thread, T0 - 60, MemoryMode::Enabled).await;
    let claim = f.claimed(thread, "w1").await;
    assert_eq!(claim.input_watermark, T0 - 60);
    let job = f.stage1_job(thread).await.unwrap();
    assert_eq!(
        (job.retry_remaining, job.retry_at),
        (RETRIES_PER_JOB_VERSION, None)
    );
    assert!(f.store.stage1_failed(&claim, "again", 3600).await.unwrap());
    // Backoff applies again to the new version, and a newer one lifts it at once.
    assert!(matches!(
        f.claim(thread, "w1").await,
        Stage1ClaimOutcome::InBackoff { .. }
    ));
    f.set_thread(thread, T0 - 30, MemoryMode::Enabled).await;
    assert!(matches!(
        f.claim(thread, "w1").await,
        Stage1ClaimOutcome::Claimed(_)
    ));
}

#[tokio::test]
async fn success_with_no_output_drops_the_old_output_and_enqueues_phase2_only_then() {
    let f = Fixture::new().await;
    let quiet = f.thread(T0 - 7200).await;
    let claim = f.claimed(quiet, "w1").await;
    assert!(
        f.store
            .stage1_succeeded_no_output(&claim, None)
            .await
            .unwrap()
    );
    assert_eq!(f.stage1_job(quiet).await.unwrap().status, JobStatus::Done);
    assert_eq!(f.phase2_job().await, None);

    let thread = f.thread(T0 - 7200).await;
    f.extract(thread, "a").await;
    let watermark = f.phase2_job().await.unwrap().input_watermark.unwrap();
    f.set_thread(thread, T0 - 3600, MemoryMode::Enabled).await;
    let claim = f.claimed(thread, "w1").await;
    assert!(
        f.store
            .stage1_succeeded_no_output(&claim, None)
            .await
            .unwrap()
    );
    assert_eq!(f.store.stage1_output(thread).await.unwrap(), None);
    assert!(f.phase2_job().await.unwrap().input_watermark.unwrap() > watermark);
}

#[tokio::test]
async fn a_newer_output_keeps_usage_and_selection_of_the_row() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    f.extract(thread, "a").await;
    assert_eq!(f.store.record_usage(&[thread]).await.unwrap(), 1);
    f.set_thread(thread, T0 - 3600, MemoryMode::Enabled).await;
    f.advance(10);
    f.extract(thread, "b").await;
    let row = f.store.stage1_output(thread).await.unwrap().unwrap();
    assert_eq!(
        (
            row.source_updated_at,
            row.raw_memory.as_str(),
            row.usage_count,
            row.last_usage
        ),
        (T0 - 3600, "raw b", 1, Some(T0))
    );
}

#[tokio::test]
async fn the_running_cap_counts_only_other_live_jobs() {
    let f = Fixture::new().await;
    let params = Stage1ClaimParams {
        lease_seconds: 100,
        running_cap: 2,
    };
    let a = f.thread(T0 - 7200).await;
    let b = f.thread(T0 - 7200).await;
    let c = f.thread(T0 - 7200).await;
    for thread in [a, b] {
        assert!(matches!(
            f.store.claim_stage1(thread, "w", &params).await.unwrap(),
            Stage1ClaimOutcome::Claimed(_)
        ));
    }
    assert_eq!(
        f.store.claim_stage1(c, "w", &params).await.unwrap(),
        Stage1ClaimOutcome::Capped { running: 2 }
    );
    // Expired leases do not count.
    f.advance(100);
    assert!(matches!(
        f.store.claim_stage1(c, "w", &params).await.unwrap(),
        Stage1ClaimOutcome::Claimed(_)
    ));
}

#[tokio::test]
async fn unknown_and_not_enabled_threads_are_not_claimed() {
    let f = Fixture::new().await;
    assert_eq!(
        f.claim(ThreadId::new(), "w").await,
        Stage1ClaimOutcome::UnknownThread
    );
    let polluted = ThreadId::new();
    f.set_thread(polluted, T0 - 7200, MemoryMode::Polluted)
        .await;
    assert_eq!(
        f.claim(polluted, "w").await,
        Stage1ClaimOutcome::NotEnabled {
            mode: MemoryMode::Polluted
        }
    );
    // A user override wins over the indexed mode, both ways.
    f.store
        .set_memory_mode(polluted, MemoryMode::Enabled)
        .await
        .unwrap();
    assert!(matches!(
        f.claim(polluted, "w").await,
        Stage1ClaimOutcome::Claimed(_)
    ));
    let forgotten = f.thread(T0 - 7200).await;
    f.store
        .set_memory_mode(forgotten, MemoryMode::Disabled)
        .await
        .unwrap();
    assert_eq!(
        f.claim(forgotten, "w").await,
        Stage1ClaimOutcome::NotEnabled {
            mode: MemoryMode::Disabled
        }
    );
}

#[tokio::test]
async fn the_startup_scan_claims_eligible_threads_newest_first_and_says_why_others_were_skipped() {
    let f = Fixture::new().await;
    let hour = 3600;
    let day = 86_400;
    let own = f.thread(T0 - 7 * hour).await;
    let newest = f.thread(T0 - 8 * hour).await;
    let middle = f.thread(T0 - 9 * hour).await;
    let oldest = f.thread(T0 - 10 * hour).await;
    let done = f.thread(T0 - 11 * hour).await;
    f.extract(done, "done").await;
    let _too_fresh = f.thread(T0 - hour).await;
    let _too_old = f.thread(T0 - 31 * day).await;
    let disabled = ThreadId::new();
    f.set_thread(disabled, T0 - 8 * hour, MemoryMode::Disabled)
        .await;
    let archived = ThreadId::new();
    let mut row = crate::test_support::thread_row(archived, (T0 - 8 * hour) * 1000);
    row.archived = true;
    crate::test_support::insert_thread(&f.runtime, &row)
        .await
        .unwrap();

    let params = StartupScanParams {
        exclude_thread: Some(own),
        max_claims: 2,
        ..StartupScanParams::default()
    };
    let report = f.store.claim_stage1_startup(&params, "w1").await.unwrap();
    let claimed: Vec<ThreadId> = report.claimed.iter().map(|c| c.thread_id).collect();
    assert_eq!(claimed, vec![newest, middle]);
    assert_eq!(report.examined, 2);
    assert_eq!(
        report.skipped,
        StartupSkips {
            too_fresh: 1,
            too_old: 1,
            not_enabled: 1,
            archived: 1,
            ..StartupSkips::default()
        }
    );

    // A second process starting now sees the first one's leases.
    let params = StartupScanParams {
        exclude_thread: Some(own),
        ..StartupScanParams::default()
    };
    let report = f.store.claim_stage1_startup(&params, "w2").await.unwrap();
    let claimed: Vec<ThreadId> = report.claimed.iter().map(|c| c.thread_id).collect();
    assert_eq!(claimed, vec![oldest]);
    assert_eq!(
        (
            report.examined,
            report.skipped.running,
            report.skipped.up_to_date
        ),
        (4, 2, 1)
    );
}

#[tokio::test]
async fn the_startup_scan_respects_the_running_cap_and_the_scan_limit() {
    let f = Fixture::new().await;
    for index in 0..6 {
        f.thread(T0 - 7 * 3600 - index).await;
    }
    let params = StartupScanParams {
        running_cap: 2,
        scan_limit: 5,
        ..StartupScanParams::default()
    };
    let report = f.store.claim_stage1_startup(&params, "w1").await.unwrap();
    assert_eq!(report.claimed.len(), 2);
    assert_eq!((report.examined, report.skipped.capped), (5, 3));
}

#[tokio::test]
async fn status_counts_jobs_and_lists_errors_with_their_retry_times() {
    let f = Fixture::new().await;
    let failed = f.thread(T0 - 7200).await;
    let running = f.thread(T0 - 7200).await;
    let done = f.thread(T0 - 7200).await;
    let claim = f.claimed(failed, "w").await;
    f.store
        .stage1_failed(&claim, "429 storm", 600)
        .await
        .unwrap();
    f.claimed(running, "w").await;
    f.extract(done, "d").await;
    let status = f.store.status().await.unwrap();
    assert_eq!(
        status.stage1,
        Stage1StatusCounts {
            running: 1,
            done: 1,
            error: 1,
            ..Stage1StatusCounts::default()
        }
    );
    assert_eq!(
        status.recent_errors,
        vec![Stage1Error {
            thread_id: failed.to_string(),
            last_error: Some("429 storm".to_string()),
            finished_at: Some(T0),
            retry_at: Some(T0 + 600),
            retry_remaining: RETRIES_PER_JOB_VERSION - 1,
        }]
    );
    assert_eq!(status.next_retry_at, Some(T0 + 600));
    assert_eq!(status.phase2.unwrap().status, JobStatus::Pending);
    assert_eq!((status.outputs, status.selected_outputs), (1, 0));
    serde_json::to_string(&f.store.status().await.unwrap()).unwrap();
}

/// Reads and judges `thread` for `worker` as the fast path does, expecting "claimable".
async fn judged(
    f: &Fixture,
    thread: ThreadId,
    worker: &str,
    params: &Stage1ClaimParams,
) -> (super::stage1_claim::Candidate, i64) {
    let row = f
        .store
        .read_single_candidate(f.store.pool(), thread, f.now())
        .await
        .unwrap();
    let _ = worker;
    match f.store.decide_single(row, params, f.now()).unwrap() {
        super::stage1_claim::Decision::Claim {
            candidate,
            retry_remaining,
        } => (candidate, retry_remaining),
        super::stage1_claim::Decision::Refused(outcome) => panic!("refused: {outcome:?}"),
        super::stage1_claim::Decision::Abandon { .. } => panic!("abandoned"),
    }
}

#[tokio::test]
async fn the_fast_claim_writes_nothing_when_anything_it_judged_changed_since_its_read() {
    let f = Fixture::new().await;
    let params = Stage1ClaimParams {
        lease_seconds: 100,
        running_cap: 1,
    };
    // A missing job row that another worker creates first.
    let fresh = f.thread(T0 - 7200).await;
    let (candidate, retries) = judged(&f, fresh, "w1", &params).await;
    let winner = f.claimed(fresh, "w2").await;
    let fast = f
        .store
        .claim_if_unchanged(&candidate, "w1", &params, f.now(), retries)
        .await
        .unwrap();
    assert_eq!(fast, None);
    assert!(f.store.stage1_failed(&winner, "boom", 0).await.unwrap());

    // An existing (failed) job row that another worker claims first.
    let (candidate, retries) = judged(&f, fresh, "w1", &params).await;
    let winner = f.claimed(fresh, "w2").await;
    let fast = f
        .store
        .claim_if_unchanged(&candidate, "w1", &params, f.now(), retries)
        .await
        .unwrap();
    assert_eq!(fast, None);
    assert_eq!(
        f.stage1_job(fresh).await.unwrap().ownership_token,
        Some(winner.ownership_token.clone())
    );
    assert!(
        f.store
            .stage1_succeeded_no_output(&winner, None)
            .await
            .unwrap()
    );

    // The running cap filled by another thread's claim.
    let a = f.thread(T0 - 7200).await;
    let b = f.thread(T0 - 7200).await;
    let (candidate, retries) = judged(&f, a, "w1", &params).await;
    assert!(matches!(
        f.store.claim_stage1(b, "w2", &params).await.unwrap(),
        Stage1ClaimOutcome::Claimed(_)
    ));
    let fast = f
        .store
        .claim_if_unchanged(&candidate, "w1", &params, f.now(), retries)
        .await
        .unwrap();
    assert_eq!(fast, None);

    // Unchanged: the fast claim succeeds.
    f.advance(100);
    let (candidate, retries) = judged(&f, a, "w1", &params).await;
    let fast = f
        .store
        .claim_if_unchanged(&candidate, "w1", &params, f.now(), retries)
        .await
        .unwrap();
    assert_eq!(fast.map(|claim| claim.thread_id), Some(a));
}

#[tokio::test]
async fn a_failed_claim_transaction_names_the_bad_row_and_leaves_no_lock_behind() {
    let f = Fixture::new().await;
    let good = f.thread(T0 - 7 * 3600).await;
    let mut bad = crate::test_support::thread_row(ThreadId::new(), (T0 - 8 * 3600) * 1000);
    bad.rollout_path = "/sessions/bad.jsonl".into();
    crate::test_support::insert_thread(&f.runtime, &bad)
        .await
        .unwrap();
    sqlx::query("UPDATE threads SET id = 'not-a-uuid' WHERE rollout_path = '/sessions/bad.jsonl'")
        .execute(f.runtime.pool())
        .await
        .unwrap();
    let error = f
        .store
        .claim_stage1_startup(&StartupScanParams::default(), "w1")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not-a-uuid"), "{error}");

    // The failed transaction was rolled back: every connection can still write at once.
    sqlx::query("DELETE FROM threads WHERE id = 'not-a-uuid'")
        .execute(f.runtime.pool())
        .await
        .unwrap();
    for _ in 0..MAX_POOL_CONNECTIONS * 2 {
        f.store.enqueue_phase2().await.unwrap();
    }
    let report = f
        .store
        .claim_stage1_startup(&StartupScanParams::default(), "w1")
        .await
        .unwrap();
    assert_eq!(report.claimed[0].thread_id, good);
}

#[tokio::test]
async fn a_scan_in_batches_claims_every_thread_once_newest_first_across_pages() {
    let f = Fixture::new().await;
    // More threads than one scan page, some sharing an updated_at (the cursor's tie-break on id).
    let mut threads = Vec::new();
    for index in 0..300 {
        threads.push((
            T0 - 7 * 3600 - index / 3,
            f.thread(T0 - 7 * 3600 - index / 3).await,
        ));
    }
    let mut scan = start_scan(
        &f,
        StartupScanParams {
            max_claims: 1000,
            running_cap: 1000,
            ..StartupScanParams::default()
        },
    )
    .await;
    let mut claimed = Vec::new();
    let mut batches = 0;
    while !scan.is_finished() {
        let batch = batch(&f, &mut scan, "w1", 7).await;
        assert!(batch.len() <= 7);
        claimed.extend(batch.iter().map(|claim| claim.thread_id));
        batches += 1;
        assert!(batches <= 50, "the scan never finished");
    }
    assert_eq!(claimed.len(), 300);
    assert_eq!((scan.claimed(), scan.examined()), (300, 300));
    let unique: std::collections::HashSet<_> = claimed.iter().collect();
    assert_eq!(unique.len(), 300, "a thread was claimed twice");
    threads.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.to_string().cmp(&a.1.to_string())));
    let newest_first: Vec<ThreadId> = threads.iter().map(|(_, id)| *id).collect();
    assert_eq!(claimed, newest_first);
}

#[tokio::test]
async fn a_claim_released_mid_scan_is_not_taken_again_by_the_same_scan() {
    let f = Fixture::new().await;
    let newer = f.thread(T0 - 7 * 3600).await;
    let older = f.thread(T0 - 8 * 3600).await;
    let mut scan = start_scan(&f, StartupScanParams::default()).await;
    let first = batch(&f, &mut scan, "w1", 1).await;
    assert_eq!(first[0].thread_id, newer);
    assert!(f.store.release_stage1(&first[0]).await.unwrap());

    let second = batch(&f, &mut scan, "w1", 1).await;
    assert_eq!(second[0].thread_id, older);
    assert!(batch(&f, &mut scan, "w1", 1).await.is_empty());
    assert!(scan.is_finished());
    assert_eq!(
        f.stage1_job(newer).await.unwrap().status,
        JobStatus::Pending
    );
}

#[tokio::test]
async fn a_batch_respects_the_scan_limit_and_max_claims_across_batches() {
    let f = Fixture::new().await;
    for index in 0..10 {
        f.thread(T0 - 7 * 3600 - index).await;
    }
    let mut scan = start_scan(
        &f,
        StartupScanParams {
            max_claims: 5,
            running_cap: 100,
            ..StartupScanParams::default()
        },
    )
    .await;
    assert_eq!(batch(&f, &mut scan, "w1", 3).await.len(), 3);
    assert_eq!(batch(&f, &mut scan, "w1", 3).await.len(), 2);
    assert!(scan.is_finished());

    let mut limited = start_scan(
        &f,
        StartupScanParams {
            scan_limit: 8,
            running_cap: 100,
            ..StartupScanParams::default()
        },
    )
    .await;
    // The first five are leased by w1: looked at and skipped as running; three more are claimed.
    let claims = batch(&f, &mut limited, "w2", 10).await;
    assert_eq!(claims.len(), 3);
    assert_eq!((limited.examined(), limited.skipped().running), (8, 5));
    assert!(limited.is_finished());
}

/// A startup scan over the fixture's store.
async fn start_scan(f: &Fixture, params: StartupScanParams) -> StartupScan {
    f.store.start_stage1_scan(&params).await.unwrap()
}

/// The next batch of up to `n` claims of `scan` for `worker`.
async fn batch(f: &Fixture, scan: &mut StartupScan, worker: &str, n: u32) -> Vec<Stage1Claim> {
    f.store.claim_stage1_batch(scan, worker, n).await.unwrap()
}

#[tokio::test]
async fn no_worker_re_takes_a_live_lease_not_even_its_own() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7 * 3600).await;
    let first = f.claimed(thread, "run-a").await;
    // The same worker id asking again (a second task of the run that lost track, or an id
    // reused by another process) is refused like anyone else: the thread must not run twice.
    assert_eq!(
        f.claim(thread, "run-a").await,
        Stage1ClaimOutcome::Running {
            lease_until: first.lease_until
        }
    );
    let mut scan = start_scan(&f, StartupScanParams::default()).await;
    assert_eq!(batch(&f, &mut scan, "run-a", 8).await, Vec::new());
    assert_eq!(scan.skipped().running, 1);
    assert_eq!(
        f.stage1_job(thread).await.unwrap().ownership_token,
        Some(first.ownership_token)
    );
}

#[tokio::test]
async fn the_fast_claim_writes_nothing_when_only_the_ownership_token_changed() {
    let f = Fixture::new().await;
    let params = Stage1ClaimParams::default();
    let thread = f.thread(T0 - 7200).await;
    let released = f.claimed(thread, "w1").await;
    assert!(f.store.release_stage1(&released).await.unwrap());
    let (candidate, retries) = judged(&f, thread, "w1", &params).await;
    // Every judged column stays as read; only the token differs (another claim's row).
    sqlx::query("UPDATE jobs SET ownership_token = 'someone-else' WHERE job_key = ?")
        .bind(thread.to_string())
        .execute(f.store.pool())
        .await
        .unwrap();
    let fast = f
        .store
        .claim_if_unchanged(&candidate, "w1", &params, f.now(), retries)
        .await
        .unwrap();
    assert_eq!(fast, None);
    assert_eq!(
        f.stage1_job(thread)
            .await
            .unwrap()
            .ownership_token
            .as_deref(),
        Some("someone-else")
    );
}

#[tokio::test]
async fn taking_over_an_expired_lease_counts_as_an_attempt_and_the_last_one_ends_as_an_error() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    // A session that kills its worker every time: claimed, never finished, lease expires.
    let mut retries_seen = Vec::new();
    for _ in 0..RETRIES_PER_JOB_VERSION {
        let claim = f.claimed(thread, &format!("run-{}", f.now())).await;
        retries_seen.push(f.stage1_job(thread).await.unwrap().retry_remaining);
        f.advance(claim.lease_until - f.now());
    }
    assert_eq!(retries_seen, vec![3, 2, 1]);
    assert_eq!(
        f.claim(thread, "run-last").await,
        Stage1ClaimOutcome::RetriesExhausted
    );
    let job = f.stage1_job(thread).await.unwrap();
    assert_eq!(
        (
            job.status,
            job.retry_remaining,
            job.lease_until,
            job.ownership_token,
            job.last_error.as_deref()
        ),
        (
            JobStatus::Error,
            0,
            None,
            None,
            Some(STAGE1_ABANDONED_REASON)
        )
    );
    let status = f.store.status().await.unwrap();
    assert_eq!(
        (status.stage1.retries_exhausted, status.stage1.expired),
        (1, 0)
    );
    assert_eq!(
        status.recent_errors[0].last_error.as_deref(),
        Some(STAGE1_ABANDONED_REASON)
    );
    // It stays put until the session changes; then it is tried afresh.
    f.advance(10 * STAGE1_LEASE_SECONDS);
    assert_eq!(
        f.claim(thread, "later").await,
        Stage1ClaimOutcome::RetriesExhausted
    );
    f.set_thread(thread, T0, MemoryMode::Enabled).await;
    f.claimed(thread, "later").await;
    assert_eq!(
        f.stage1_job(thread).await.unwrap().retry_remaining,
        RETRIES_PER_JOB_VERSION
    );
}

#[tokio::test]
async fn the_startup_scan_counts_a_takeover_as_an_attempt_and_marks_the_last_one_failed() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7 * 3600).await;
    for round in 0..RETRIES_PER_JOB_VERSION {
        let mut scan = start_scan(&f, StartupScanParams::default()).await;
        let claims = batch(&f, &mut scan, &format!("run-{round}"), 8).await;
        assert_eq!(claims.len(), 1, "round {round}");
        f.advance(STAGE1_LEASE_SECONDS);
    }
    let mut scan = start_scan(&f, StartupScanParams::default()).await;
    assert_eq!(batch(&f, &mut scan, "run-last", 8).await, Vec::new());
    assert_eq!(scan.skipped().retries_exhausted, 1);
    let job = f.stage1_job(thread).await.unwrap();
    assert_eq!(
        (job.status, job.last_error.as_deref()),
        (JobStatus::Error, Some(STAGE1_ABANDONED_REASON))
    );
}

#[tokio::test]
async fn a_lease_further_ahead_than_the_maximum_counts_as_expired() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    // A longer lease than the maximum is cut to it.
    let long = Stage1ClaimParams {
        lease_seconds: 100 * MAX_LEASE_SECONDS,
        ..Stage1ClaimParams::default()
    };
    let Stage1ClaimOutcome::Claimed(first) =
        f.store.claim_stage1(thread, "w1", &long).await.unwrap()
    else {
        panic!("expected a claim");
    };
    assert_eq!(first.lease_until, T0 + MAX_LEASE_SECONDS);
    // A clock that ran a day ahead wrote this lease (or ours was set back since).
    sqlx::query("UPDATE jobs SET lease_until = ? WHERE job_key = ?")
        .bind(T0 + 86_400)
        .bind(thread.to_string())
        .execute(f.store.pool())
        .await
        .unwrap();
    let status = f.store.status().await.unwrap();
    assert_eq!((status.stage1.running, status.stage1.expired), (0, 1));
    let second = f.claimed(thread, "w2").await;
    assert_ne!(second.ownership_token, first.ownership_token);
    // The stale owner can no longer finish.
    assert!(
        !f.store
            .stage1_succeeded(&first, &output("stale"))
            .await
            .unwrap()
    );
    // One lease ahead exactly is still live.
    f.advance(1);
    sqlx::query("UPDATE jobs SET lease_until = ? WHERE job_key = ?")
        .bind(f.now() + MAX_LEASE_SECONDS)
        .bind(thread.to_string())
        .execute(f.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        f.claim(thread, "w3").await,
        Stage1ClaimOutcome::Running { .. }
    ));
}

#[tokio::test]
async fn a_startup_scan_limited_to_some_agents_claims_only_their_threads_and_counts_the_rest() {
    let f = Fixture::new().await;
    let codex = f.thread(T0 - 7 * 3600).await;
    let mut claude_row = crate::test_support::thread_row(ThreadId::new(), (T0 - 8 * 3600) * 1000);
    claude_row.agent = codex_protocol::Agent::Claude;
    crate::test_support::insert_thread(&f.runtime, &claude_row)
        .await
        .unwrap();

    let params = StartupScanParams {
        agents: crate::AgentSelection::Only([codex_protocol::Agent::Claude].into()),
        ..StartupScanParams::default()
    };
    let report = f.store.claim_stage1_startup(&params, "w1").await.unwrap();
    let claimed: Vec<ThreadId> = report.claimed.iter().map(|c| c.thread_id).collect();
    assert_eq!(claimed, vec![claude_row.id]);
    assert_eq!(
        report.skipped,
        StartupSkips {
            agent_left_out: 1,
            ..StartupSkips::default()
        }
    );

    // Without the limit the Codex thread is claimed as before.
    let report = f
        .store
        .claim_stage1_startup(&StartupScanParams::default(), "w2")
        .await
        .unwrap();
    let claimed: Vec<ThreadId> = report.claimed.iter().map(|c| c.thread_id).collect();
    assert_eq!(claimed, vec![codex]);
}
