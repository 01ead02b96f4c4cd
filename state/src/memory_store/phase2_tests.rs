use pretty_assertions::assert_eq;

use super::test_helpers::{Fixture, T0};
use super::*;

async fn claim(f: &Fixture, worker: &str) -> Phase2ClaimOutcome {
    f.store
        .claim_phase2(worker, &Phase2ClaimParams::default())
        .await
        .unwrap()
}

async fn claimed(f: &Fixture, worker: &str) -> Phase2Claim {
    match claim(f, worker).await {
        Phase2ClaimOutcome::Claimed(claim) => claim,
        other => panic!("expected a phase-2 claim, got {other:?}"),
    }
}

#[tokio::test]
async fn phase2_claim_creates_the_job_and_only_one_claimer_runs_until_the_lease_expires() {
    let f = Fixture::new().await;
    let first = claimed(&f, "w1").await;
    assert_eq!(
        first,
        Phase2Claim {
            worker_id: "w1".to_string(),
            ownership_token: first.ownership_token.clone(),
            input_watermark: T0,
            lease_until: T0 + PHASE2_LEASE_SECONDS,
            lease_seconds: PHASE2_LEASE_SECONDS,
        }
    );
    assert_eq!(
        claim(&f, "w2").await,
        Phase2ClaimOutcome::Running {
            lease_until: T0 + PHASE2_LEASE_SECONDS
        }
    );
    f.advance(PHASE2_HEARTBEAT_SECONDS);
    assert!(f.store.heartbeat_phase2(&first).await.unwrap());
    let extended = T0 + PHASE2_HEARTBEAT_SECONDS + PHASE2_LEASE_SECONDS;
    assert_eq!(f.phase2_job().await.unwrap().lease_until, Some(extended));
    f.advance(PHASE2_LEASE_SECONDS - 1);
    assert_eq!(
        claim(&f, "w2").await,
        Phase2ClaimOutcome::Running {
            lease_until: extended
        }
    );
    f.advance(1);
    let second = claimed(&f, "w2").await;
    let before = f.phase2_job().await;
    assert!(!f.store.heartbeat_phase2(&first).await.unwrap());
    assert!(!f.store.phase2_succeeded(&first, &[]).await.unwrap());
    assert!(!f.store.phase2_failed(&first, "late", 60).await.unwrap());
    assert_eq!(f.phase2_job().await, before);
    assert!(f.store.phase2_succeeded(&second, &[]).await.unwrap());
}

#[tokio::test]
async fn concurrent_phase2_claimers_get_exactly_one_claim() {
    let f = Fixture::new().await;
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let store = f.store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .claim_phase2(&format!("w{worker}"), &Phase2ClaimParams::default())
                .await
                .unwrap()
        }));
    }
    let mut claims = 0;
    for task in tasks {
        match task.await.unwrap() {
            Phase2ClaimOutcome::Claimed(_) => claims += 1,
            Phase2ClaimOutcome::Running { .. } => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(claims, 1);
}

#[tokio::test]
async fn a_success_starts_the_cooldown_even_when_new_work_is_enqueued() {
    let f = Fixture::new().await;
    let first = claimed(&f, "w1").await;
    assert!(f.store.phase2_succeeded(&first, &[]).await.unwrap());
    f.store.enqueue_phase2().await.unwrap();
    assert_eq!(
        claim(&f, "w1").await,
        Phase2ClaimOutcome::CoolingDown {
            until: T0 + PHASE2_SUCCESS_COOLDOWN_SECONDS
        }
    );
    assert_eq!(
        f.store.status().await.unwrap().phase2_cooldown_until,
        Some(T0 + PHASE2_SUCCESS_COOLDOWN_SECONDS)
    );
    f.advance(PHASE2_SUCCESS_COOLDOWN_SECONDS);
    claimed(&f, "w1").await;
}

#[tokio::test]
async fn a_failure_backs_off_with_retries_flooring_at_zero_and_no_cooldown() {
    let f = Fixture::new().await;
    for _ in 0..RETRIES_PER_JOB_VERSION + 1 {
        let claim_ = claimed(&f, "w1").await;
        assert!(
            f.store
                .phase2_failed(&claim_, "failed_agent", 300)
                .await
                .unwrap()
        );
        assert_eq!(
            claim(&f, "w1").await,
            Phase2ClaimOutcome::InBackoff {
                retry_at: f.now() + 300
            }
        );
        f.advance(300);
    }
    let job = f.phase2_job().await.unwrap();
    assert_eq!(
        (job.status, job.retry_remaining, job.last_error.as_deref()),
        (JobStatus::Error, 0, Some("failed_agent"))
    );
    // An enqueue after a failure does not put it in a success cooldown.
    f.store.enqueue_phase2().await.unwrap();
    claimed(&f, "w1").await;
}

#[tokio::test]
async fn a_claim_that_ignores_the_backoff_runs_at_once_but_never_over_a_live_lease() {
    let f = Fixture::new().await;
    let first = claimed(&f, "w1").await;
    assert!(
        f.store
            .phase2_failed(&first, "failed_agent", 3600)
            .await
            .unwrap()
    );
    let forced = Phase2ClaimParams {
        ignore_backoff: true,
        ..Phase2ClaimParams::default()
    };
    assert!(matches!(
        claim(&f, "w1").await,
        Phase2ClaimOutcome::InBackoff { .. }
    ));
    let taken = f.store.claim_phase2("w2", &forced).await.unwrap();
    assert!(matches!(taken, Phase2ClaimOutcome::Claimed(_)), "{taken:?}");
    let again = f.store.claim_phase2("w3", &forced).await.unwrap();
    assert!(
        matches!(again, Phase2ClaimOutcome::Running { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn the_enqueue_watermark_only_moves_forward_and_a_running_job_stays_running() {
    let f = Fixture::new().await;
    let first = f.store.enqueue_phase2().await.unwrap();
    let second = f.store.enqueue_phase2().await.unwrap();
    assert_eq!((first, second), (T0, T0 + 1));
    let claim_ = claimed(&f, "w1").await;
    assert_eq!(claim_.input_watermark, T0 + 1);
    let during = f.store.enqueue_phase2().await.unwrap();
    assert_eq!(during, T0 + 2);
    assert_eq!(f.phase2_job().await.unwrap().status, JobStatus::Running);
    // The clock going backwards does not move it back either.
    f.advance(-1000);
    assert_eq!(f.store.enqueue_phase2().await.unwrap(), T0 + 3);

    // Success records max(old, claimed): a larger recorded success is never lowered.
    sqlx::query("UPDATE jobs SET last_success_watermark = ? WHERE job_key = 'global'")
        .bind(T0 + 50)
        .execute(f.store.pool())
        .await
        .unwrap();
    assert!(f.store.phase2_succeeded(&claim_, &[]).await.unwrap());
    let job = f.phase2_job().await.unwrap();
    // Work was enqueued while it ran, so the job is left pending (see the test below).
    assert_eq!(
        (job.status, job.input_watermark, job.last_success_watermark),
        (JobStatus::Pending, Some(T0 + 3), Some(T0 + 50))
    );
}

#[tokio::test]
async fn an_enqueue_during_a_run_leaves_the_job_pending_and_claimable_after_its_success() {
    let f = Fixture::new().await;
    f.store.enqueue_phase2().await.unwrap();
    let run = claimed(&f, "run-a").await;
    // A memory extracted (or a thread forgotten) while the consolidation runs: it did not see it.
    f.advance(30);
    f.store.enqueue_phase2().await.unwrap();
    f.advance(30);
    assert!(f.store.phase2_succeeded(&run, &[]).await.unwrap());
    let job = f.phase2_job().await.unwrap();
    assert_eq!(
        (
            job.status,
            job.skip_cooldown,
            job.last_error,
            job.finished_at
        ),
        (JobStatus::Pending, true, None, Some(T0 + 60))
    );
    // Not held back by the success cooldown: the next run consolidates what this one missed.
    assert_eq!(f.store.status().await.unwrap().phase2_cooldown_until, None);
    let next = claimed(&f, "run-b").await;
    assert!(f.store.phase2_succeeded(&next, &[]).await.unwrap());
    // Nothing arrived during that one: done, and the cooldown holds the one after.
    let job = f.phase2_job().await.unwrap();
    assert_eq!((job.status, job.skip_cooldown), (JobStatus::Done, false));
    assert_eq!(
        claim(&f, "run-c").await,
        Phase2ClaimOutcome::CoolingDown {
            until: T0 + 60 + PHASE2_SUCCESS_COOLDOWN_SECONDS
        }
    );
}

#[tokio::test]
async fn a_success_refills_the_retries_of_the_consolidation_job() {
    let f = Fixture::new().await;
    for _ in 0..2 {
        let failing = claimed(&f, "w1").await;
        assert!(
            f.store
                .phase2_failed(&failing, "failed_agent", 0)
                .await
                .unwrap()
        );
    }
    assert_eq!(
        f.phase2_job().await.unwrap().retry_remaining,
        RETRIES_PER_JOB_VERSION - 2
    );
    let good = claimed(&f, "w1").await;
    assert!(f.store.phase2_succeeded(&good, &[]).await.unwrap());
    assert_eq!(
        f.phase2_job().await.unwrap().retry_remaining,
        RETRIES_PER_JOB_VERSION
    );
}

#[tokio::test]
async fn taking_over_an_expired_consolidation_counts_as_a_failed_attempt_and_says_so() {
    let f = Fixture::new().await;
    let dead = claimed(&f, "run-a").await;
    f.advance(PHASE2_LEASE_SECONDS);
    let next = claimed(&f, "run-b").await;
    let job = f.phase2_job().await.unwrap();
    assert_eq!(
        (
            job.retry_remaining,
            job.last_error.as_deref(),
            job.ownership_token.as_deref()
        ),
        (
            RETRIES_PER_JOB_VERSION - 1,
            Some(PHASE2_ABANDONED_REASON),
            Some(next.ownership_token.as_str())
        )
    );
    assert!(!f.store.phase2_succeeded(&dead, &[]).await.unwrap());
}

#[tokio::test]
async fn a_phase2_lease_further_ahead_than_the_maximum_counts_as_expired() {
    let f = Fixture::new().await;
    let long = Phase2ClaimParams {
        lease_seconds: 10 * MAX_LEASE_SECONDS,
        ..Phase2ClaimParams::default()
    };
    let Phase2ClaimOutcome::Claimed(first) = f.store.claim_phase2("w1", &long).await.unwrap()
    else {
        panic!("expected a claim");
    };
    assert_eq!(
        (first.lease_until, first.lease_seconds),
        (T0 + MAX_LEASE_SECONDS, MAX_LEASE_SECONDS)
    );
    sqlx::query("UPDATE jobs SET lease_until = ? WHERE job_key = 'global'")
        .bind(T0 + 86_400)
        .execute(f.store.pool())
        .await
        .unwrap();
    let second = claimed(&f, "w2").await;
    assert_ne!(second.ownership_token, first.ownership_token);
}

#[tokio::test]
async fn success_marks_only_the_consumed_snapshots_that_were_not_refreshed_mid_run() {
    let f = Fixture::new().await;
    let kept = f.thread(T0 - 7200).await;
    let refreshed = f.thread(T0 - 7200).await;
    let dropped = f.thread(T0 - 7200).await;
    for thread in [kept, refreshed, dropped] {
        f.extract(thread, "v1").await;
    }
    // A first consolidation selected `dropped`.
    let first = claimed(&f, "w1").await;
    let dropped_input = SelectedInput {
        thread_id: dropped,
        source_updated_at: T0 - 7200,
    };
    assert!(
        f.store
            .phase2_succeeded(&first, &[dropped_input])
            .await
            .unwrap()
    );
    f.advance(PHASE2_SUCCESS_COOLDOWN_SECONDS);

    let second = claimed(&f, "w1").await;
    let consumed: Vec<SelectedInput> = f
        .store
        .select_phase2_inputs(3, 30)
        .await
        .unwrap()
        .iter()
        .filter(|input| input.thread_id != dropped)
        .map(Phase2Input::selected)
        .collect();
    assert_eq!(consumed.len(), 2);
    // `refreshed` gets a newer memory while the consolidation runs.
    f.set_thread(refreshed, T0 - 60, crate::MemoryMode::Enabled)
        .await;
    f.extract(refreshed, "v2").await;
    assert!(f.store.phase2_succeeded(&second, &consumed).await.unwrap());

    let flags = |row: Stage1OutputRow| {
        (
            row.selected_for_phase2,
            row.selected_for_phase2_source_updated_at,
        )
    };
    let kept_row = f.store.stage1_output(kept).await.unwrap().unwrap();
    assert_eq!(flags(kept_row), (true, Some(T0 - 7200)));
    let refreshed_row = f.store.stage1_output(refreshed).await.unwrap().unwrap();
    assert_eq!(flags(refreshed_row), (false, None));
    let dropped_row = f.store.stage1_output(dropped).await.unwrap().unwrap();
    assert_eq!(flags(dropped_row), (false, None));
}

#[tokio::test]
async fn the_fallback_failure_recovers_a_running_row_without_a_token() {
    let f = Fixture::new().await;
    let claim_ = claimed(&f, "w1").await;
    assert!(
        !f.store
            .phase2_failed_if_unowned("failed_prepare_workspace", 60)
            .await
            .unwrap()
    );
    sqlx::query("UPDATE jobs SET ownership_token = NULL WHERE job_key = 'global'")
        .execute(f.store.pool())
        .await
        .unwrap();
    assert!(
        f.store
            .phase2_failed_if_unowned("failed_prepare_workspace", 60)
            .await
            .unwrap()
    );
    let job = f.phase2_job().await.unwrap();
    assert_eq!(
        (job.status, job.retry_at, job.last_error.as_deref()),
        (
            JobStatus::Error,
            Some(T0 + 60),
            Some("failed_prepare_workspace")
        )
    );
    assert!(!f.store.phase2_succeeded(&claim_, &[]).await.unwrap());
}
