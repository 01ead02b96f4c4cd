use pretty_assertions::assert_eq;

use super::EligibilityFacts;
use super::test_helpers::{Fixture, T0};
use crate::{MemoryMode, ThreadId};

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

#[tokio::test]
async fn eligibility_counts_waiting_threads_and_the_next_idle_time() {
    let fx = Fixture::new().await;
    // Idle for 2 h and 1 h under a 6 h idle rule: eligible at T0 + 4 h and T0 + 5 h.
    fx.thread(T0 - 2 * HOUR).await;
    fx.thread(T0 - HOUR).await;
    // Old: 40 days under a 30-day window.
    fx.thread(T0 - 40 * DAY).await;
    // Ready now, and one already extracted.
    fx.thread(T0 - DAY).await;
    let done = fx.thread(T0 - 2 * DAY).await;
    fx.extract(done, "done").await;
    // Disabled: not waiting at all.
    fx.set_thread(ThreadId::new(), T0 - 3 * HOUR, MemoryMode::Disabled)
        .await;

    let facts = fx.store.eligibility(6, 30).await.unwrap();
    assert_eq!(
        facts,
        EligibilityFacts {
            threads: 6,
            newest_thread_updated_at: Some(T0 - HOUR),
            too_fresh: 2,
            next_eligible_at: Some(T0 + 4 * HOUR),
            too_old: 1,
            eligible_now: 1,
            waiting_retry: 0,
        }
    );
}

#[tokio::test]
async fn a_session_in_backoff_is_waiting_for_a_retry_not_ready() {
    let fx = Fixture::new().await;
    let ready = fx.thread(T0 - DAY).await;
    let failed = fx.thread(T0 - DAY).await;
    let claim = fx.claimed(failed, "w1").await;
    assert!(
        fx.store
            .stage1_failed(&claim, "model request failed", HOUR)
            .await
            .unwrap()
    );

    let facts = fx.store.eligibility(6, 30).await.unwrap();

    assert_eq!(
        (facts.eligible_now, facts.waiting_retry),
        (1, 1),
        "{ready} ready, {failed} failed"
    );
}

#[tokio::test]
async fn delete_stage1_job_lets_an_enabled_thread_be_extracted_again() {
    let fx = Fixture::new().await;
    let id = fx.thread(T0 - DAY).await;
    fx.extract(id, "memory").await;
    fx.store.delete_thread_memory(id).await.unwrap();
    assert!(fx.store.delete_stage1_job(id).await.unwrap());
    assert!(!fx.store.delete_stage1_job(id).await.unwrap());
    fx.store.scrub_deleted_text().await.unwrap();
    let facts = fx.store.eligibility(6, 30).await.unwrap();
    assert_eq!(facts.eligible_now, 1);
}
