use pretty_assertions::assert_eq;

use super::test_helpers::{Fixture, T0, output};
use super::*;
use crate::test_support::delete_thread;
use crate::{MemoryMode, ThreadId};

const DAY: i64 = 86_400;

fn sorted(mut ids: Vec<ThreadId>) -> Vec<ThreadId> {
    ids.sort();
    ids
}

async fn selected_ids(f: &Fixture, limit: u32) -> Vec<ThreadId> {
    f.store
        .select_phase2_inputs(limit, 30)
        .await
        .unwrap()
        .iter()
        .map(|input| input.thread_id)
        .collect()
}

#[tokio::test]
async fn selection_ranks_by_usage_then_recent_use_keeps_fresh_unused_and_drops_stale_and_excluded()
{
    let f = Fixture::new().await;
    let stale_used = f.thread(T0 - 7200).await;
    f.extract(stale_used, "stale").await;
    for _ in 0..3 {
        f.store.record_usage(&[stale_used]).await.unwrap();
    }

    f.advance(21 * DAY);
    let version = f.now() - 7200;
    let heavy = f.thread(version).await;
    let light_old = f.thread(version).await;
    let light_recent = f.thread(version).await;
    let fresh_unused = f.thread(version).await;
    let polluted = f.thread(version).await;
    let disabled = f.thread(version).await;
    let deleted = f.thread(version).await;
    let blank = f.thread(version).await;
    for thread in [
        heavy,
        light_old,
        light_recent,
        fresh_unused,
        polluted,
        disabled,
        deleted,
    ] {
        f.extract(thread, "m").await;
    }
    let claim = f.claimed(blank, "w").await;
    let mut empty = output("blank");
    empty.raw_memory = "  \n".to_string();
    f.store.stage1_succeeded(&claim, &empty).await.unwrap();
    f.store
        .record_usage(&[heavy, heavy, light_old])
        .await
        .unwrap();
    f.store.record_usage(&[heavy]).await.unwrap();
    f.store
        .record_usage(&[polluted, disabled, deleted])
        .await
        .unwrap();
    f.store
        .set_memory_mode(polluted, MemoryMode::Polluted)
        .await
        .unwrap();
    f.set_thread(disabled, version, MemoryMode::Disabled).await;
    delete_thread(&f.runtime, deleted).await.unwrap();

    f.advance(10 * DAY);
    f.store.record_usage(&[light_recent]).await.unwrap();

    assert_eq!(selected_ids(&f, 1).await, vec![heavy]);
    assert_eq!(selected_ids(&f, 2).await, sorted(vec![heavy, light_recent]));
    assert_eq!(
        selected_ids(&f, 3).await,
        sorted(vec![heavy, light_recent, light_old])
    );
    assert_eq!(
        selected_ids(&f, 100).await,
        sorted(vec![heavy, light_recent, light_old, fresh_unused])
    );
    assert_eq!(selected_ids(&f, 0).await, Vec::<ThreadId>::new());

    let inputs = f.store.select_phase2_inputs(1, 30).await.unwrap();
    assert_eq!(
        inputs,
        vec![Phase2Input {
            thread_id: heavy,
            source_updated_at: version,
            raw_memory: "raw m".to_string(),
            rollout_summary: "summary m".to_string(),
            rollout_slug: Some("m".to_string()),
            rollout_path: format!("/sessions/rollout-{heavy}.jsonl").into(),
            cwd: "/work/project".to_string(),
            git_branch: None,
            git_origin_url: None,
            agent: codex_protocol::Agent::Codex,
            usage_count: 2,
            last_usage: Some(T0 + 21 * DAY),
            selected_for_phase2: false,
            selected_for_phase2_source_updated_at: None,
        }]
    );
}

#[tokio::test]
async fn selection_reads_more_than_one_page() {
    let f = Fixture::new().await;
    let mut all = Vec::new();
    for index in 0..(SELECTION_PAGE_SIZE as i64 + 3) {
        let thread = f.thread(T0 - 7200 - index).await;
        let claim = f.claimed(thread, "w").await;
        f.store
            .stage1_succeeded(&claim, &output("x"))
            .await
            .unwrap();
        all.push(thread);
    }
    let expected: Vec<ThreadId> = sorted(all.clone());
    assert_eq!(selected_ids(&f, SELECTION_PAGE_SIZE + 10).await, expected);
    // The newest 514 of 515 (the oldest version ranks last).
    let without_oldest = sorted(all[..all.len() - 1].to_vec());
    assert_eq!(
        selected_ids(&f, SELECTION_PAGE_SIZE + 2).await,
        without_oldest
    );
}

#[tokio::test]
async fn prune_deletes_only_unselected_stale_rows_stalest_first_within_its_batch() {
    let f = Fixture::new().await;
    let s1 = f.thread(T0 - 40 * DAY).await;
    let s2 = f.thread(T0 - 39 * DAY).await;
    let s3 = f.thread(T0 - 38 * DAY).await;
    let selected = f.thread(T0 - 50 * DAY).await;
    let used = f.thread(T0 - 45 * DAY).await;
    let fresh = f.thread(T0 - 7200).await;
    for thread in [s1, s2, s3, selected, used, fresh] {
        f.extract(thread, "m").await;
    }
    f.store.record_usage(&[used]).await.unwrap();
    let Phase2ClaimOutcome::Claimed(claim) = f
        .store
        .claim_phase2("w", &Phase2ClaimParams::default())
        .await
        .unwrap()
    else {
        panic!("no phase-2 claim");
    };
    let consumed = [SelectedInput {
        thread_id: selected,
        source_updated_at: T0 - 50 * DAY,
    }];
    assert!(f.store.phase2_succeeded(&claim, &consumed).await.unwrap());

    assert_eq!(f.store.prune_stale_outputs(30, 2).await.unwrap(), 2);
    assert_eq!(f.store.stage1_output(s1).await.unwrap(), None);
    assert_eq!(f.store.stage1_output(s2).await.unwrap(), None);
    assert!(f.store.stage1_output(s3).await.unwrap().is_some());
    assert_eq!(f.store.prune_stale_outputs(30, 10).await.unwrap(), 1);
    assert_eq!(f.store.prune_stale_outputs(30, 10).await.unwrap(), 0);
    for kept in [selected, used, fresh] {
        assert!(f.store.stage1_output(kept).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn deleting_or_polluting_a_selected_thread_enqueues_phase2_and_others_do_not() {
    let f = Fixture::new().await;
    let selected = f.thread(T0 - 7200).await;
    let other = f.thread(T0 - 7200).await;
    let polluted = f.thread(T0 - 7200).await;
    for thread in [selected, other, polluted] {
        f.extract(thread, "m").await;
    }
    let Phase2ClaimOutcome::Claimed(claim) = f
        .store
        .claim_phase2("w", &Phase2ClaimParams::default())
        .await
        .unwrap()
    else {
        panic!("no phase-2 claim");
    };
    let consumed: Vec<SelectedInput> = [selected, polluted]
        .iter()
        .map(|thread| SelectedInput {
            thread_id: *thread,
            source_updated_at: T0 - 7200,
        })
        .collect();
    assert!(f.store.phase2_succeeded(&claim, &consumed).await.unwrap());
    let watermark = || async { f.phase2_job().await.unwrap().input_watermark.unwrap() };
    let before = watermark().await;

    assert_eq!(
        f.store.delete_thread_memory(other).await.unwrap(),
        DeleteOutcome {
            deleted: true,
            was_selected: false
        }
    );
    assert!(
        !f.store
            .set_memory_mode(other, MemoryMode::Disabled)
            .await
            .unwrap()
    );
    assert_eq!(watermark().await, before);
    assert_eq!(f.phase2_job().await.unwrap().status, JobStatus::Done);

    assert_eq!(
        f.store.delete_thread_memory(selected).await.unwrap(),
        DeleteOutcome {
            deleted: true,
            was_selected: true
        }
    );
    let after_delete = watermark().await;
    assert!(after_delete > before);
    assert_eq!(f.phase2_job().await.unwrap().status, JobStatus::Pending);
    assert_eq!(
        f.store.delete_thread_memory(selected).await.unwrap(),
        DeleteOutcome::default()
    );

    assert!(
        f.store
            .set_memory_mode(polluted, MemoryMode::Polluted)
            .await
            .unwrap()
    );
    assert!(watermark().await > after_delete);
    assert_eq!(
        f.store.effective_memory_mode(polluted).await.unwrap(),
        Some(MemoryMode::Polluted)
    );
}

#[tokio::test]
async fn clearing_memory_data_removes_outputs_and_jobs_but_keeps_memory_modes() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    let running = f.thread(T0 - 7200).await;
    f.extract(thread, "m").await;
    let claim = f.claimed(running, "w").await;
    f.store
        .set_memory_mode(thread, MemoryMode::Disabled)
        .await
        .unwrap();
    f.store.clear_all_memory_data().await.unwrap();
    assert_eq!(f.store.stage1_output(thread).await.unwrap(), None);
    assert_eq!(f.stage1_job(thread).await, None);
    assert_eq!(f.phase2_job().await, None);
    assert!(
        !f.store
            .stage1_succeeded(&claim, &output("late"))
            .await
            .unwrap()
    );
    assert_eq!(f.store.stage1_output(running).await.unwrap(), None);
    assert_eq!(
        f.store.effective_memory_mode(thread).await.unwrap(),
        Some(MemoryMode::Disabled)
    );
    // A re-index rewriting the thread row does not undo the user's choice.
    f.set_thread(thread, T0 - 60, MemoryMode::Enabled).await;
    assert_eq!(
        f.store.effective_memory_mode(thread).await.unwrap(),
        Some(MemoryMode::Disabled)
    );
    assert_eq!(
        f.store
            .effective_memory_mode(ThreadId::new())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn usage_counts_each_cited_thread_once_and_ignores_unknown_ids() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    f.extract(thread, "m").await;
    f.advance(5);
    assert_eq!(
        f.store
            .record_usage(&[thread, ThreadId::new(), thread])
            .await
            .unwrap(),
        1
    );
    let row = f.store.stage1_output(thread).await.unwrap().unwrap();
    assert_eq!((row.usage_count, row.last_usage), (1, Some(T0 + 5)));
    assert_eq!(f.store.record_usage(&[]).await.unwrap(), 0);
}

#[tokio::test]
async fn the_memories_db_cannot_write_the_attached_state_db() {
    let f = Fixture::new().await;
    let thread = f.thread(T0 - 7200).await;
    let error = sqlx::query("UPDATE state.threads SET memory_mode = 'disabled' WHERE id = ?")
        .bind(thread.to_string())
        .execute(f.store.pool())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("readonly"), "{error}");
    assert!(
        f.dir
            .path()
            .join("codex-memories/memories_1.sqlite")
            .is_file()
    );
}

#[tokio::test]
async fn a_write_transaction_on_the_memories_db_does_not_lock_the_state_db() {
    let f = Fixture::new().await;
    let mut transaction = f.store.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    let (threads,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM state.threads")
        .fetch_one(&mut *transaction)
        .await
        .unwrap();
    assert_eq!(threads, 0);
    // The indexer can still write the thread index meanwhile.
    f.thread(T0 - 7200).await;
    transaction.commit().await.unwrap();
}
