//! Retention through `LogStore::insert`, the writer's own insert path, with a manual clock.

use std::sync::Arc;

use chrono::DateTime;
use pretty_assertions::assert_eq;

use super::*;
use crate::logs::{LogLevel, LogOrder, LogQuery, LogStore};
use crate::{Clock, ManualClock};

const NOW: i64 = 1_763_000_000;
const PROCESS: &str = "process-a";
const THREAD_A: &str = "thread-a";
const THREAD_B: &str = "thread-b";

fn entry(thread_id: Option<&str>, ts: i64, body: &str) -> LogEntry {
    LogEntry {
        ts,
        ts_nanos: 0,
        level: LogLevel::Info,
        target: "t".into(),
        body: body.to_string(),
        thread_id: thread_id.map(str::to_string),
        process_uuid: PROCESS.into(),
        module_path: None,
        file: None,
        line: None,
    }
}

/// Exact caps (no slack) unless a test says otherwise.
fn retention() -> LogRetention {
    LogRetention {
        trim_slack_percent: 0,
        ..LogRetention::default()
    }
}

async fn store(dir: &tempfile::TempDir, retention: LogRetention) -> (LogStore, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
    let shared: Arc<dyn Clock> = clock.clone();
    let store = LogStore::open(&dir.path().join("logs_1.sqlite"), shared)
        .await
        .unwrap()
        .with_retention(retention);
    (store, clock)
}

/// (thread, body) of every row, oldest first.
async fn contents(store: &LogStore) -> Vec<(Option<String>, String)> {
    store
        .query(&LogQuery {
            order: LogOrder::OldestFirst,
            ..LogQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.thread_id, row.body))
        .collect()
}

fn expected(thread_id: Option<&str>, bodies: &[&str]) -> Vec<(Option<String>, String)> {
    bodies
        .iter()
        .map(|body| (thread_id.map(str::to_string), body.to_string()))
        .collect()
}

/// The per-thread and per-process running totals (the file's is [`file_total`]).
async fn usage(store: &LogStore) -> Vec<(String, String, i64, i64)> {
    sqlx::query_as(
        "SELECT scope, key, rows, bytes FROM log_usage WHERE scope != 'file' ORDER BY scope, key",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn rows_older_than_the_age_limit_are_deleted_by_the_next_insert() {
    let dir = tempfile::tempdir().unwrap();
    let (store, clock) = store(&dir, retention()).await;
    let day = 86_400;
    store
        .insert(&[
            entry(Some(THREAD_A), NOW - 9 * day, "nine days old"),
            entry(None, NOW - 2 * day, "two days old"),
        ])
        .await
        .unwrap();
    clock.advance(chrono::Duration::days(2));
    store
        .insert(&[entry(None, NOW + 2 * day, "new")])
        .await
        .unwrap();
    assert_eq!(
        contents(&store).await,
        vec![
            (None, "two days old".to_string()),
            (None, "new".to_string()),
        ]
    );
    // The expired thread's totals went with its rows.
    let bytes =
        entry(None, 0, "two days old").estimated_bytes() + entry(None, 0, "new").estimated_bytes();
    assert_eq!(
        usage(&store).await,
        vec![("process".to_string(), PROCESS.to_string(), 2, bytes)]
    );
}

#[tokio::test]
async fn each_thread_keeps_only_its_newest_rows_within_the_row_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_rows_per_thread: 3,
            ..retention()
        },
    )
    .await;
    let a: Vec<String> = (0..5).map(|n| format!("a{n}")).collect();
    let mut batch: Vec<LogEntry> = a
        .iter()
        .map(|body| entry(Some(THREAD_A), NOW, body))
        .collect();
    batch.push(entry(Some(THREAD_B), NOW, "b0"));
    batch.push(entry(None, NOW, "no thread"));
    store.insert(&batch).await.unwrap();
    store
        .insert(&[entry(Some(THREAD_A), NOW, "a5")])
        .await
        .unwrap();
    let mut want = expected(Some(THREAD_A), &["a3", "a4"]);
    want.extend(expected(Some(THREAD_B), &["b0"]));
    want.extend(expected(None, &["no thread"]));
    want.extend(expected(Some(THREAD_A), &["a5"]));
    assert_eq!(contents(&store).await, want);
}

#[tokio::test]
async fn each_thread_keeps_only_its_newest_rows_within_the_byte_cap() {
    let dir = tempfile::tempdir().unwrap();
    let row_bytes = entry(Some(THREAD_A), NOW, "0123456789").estimated_bytes();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_bytes_per_thread: row_bytes * 2 + row_bytes / 2,
            ..retention()
        },
    )
    .await;
    let batch: Vec<LogEntry> = ["0000000000", "1111111111", "2222222222", "3333333333"]
        .iter()
        .map(|body| entry(Some(THREAD_A), NOW, body))
        .collect();
    store.insert(&batch).await.unwrap();
    assert_eq!(
        contents(&store).await,
        expected(Some(THREAD_A), &["2222222222", "3333333333"])
    );
    assert_eq!(
        usage(&store).await,
        vec![("thread".to_string(), THREAD_A.to_string(), 2, row_bytes * 2)]
    );
}

#[tokio::test]
async fn thread_less_rows_are_capped_per_process_and_thread_rows_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_rows_per_process: 2,
            ..retention()
        },
    )
    .await;
    // One second apart, so reading oldest first gives them back in this order.
    let mut other_process = entry(None, NOW - 4, "other process");
    other_process.process_uuid = "process-b".into();
    store
        .insert(&[
            other_process,
            entry(None, NOW - 3, "p0"),
            entry(Some(THREAD_A), NOW - 2, "thread row"),
            entry(None, NOW - 1, "p1"),
            entry(None, NOW, "p2"),
        ])
        .await
        .unwrap();
    let mut want = expected(None, &["other process"]);
    want.extend(expected(Some(THREAD_A), &["thread row"]));
    want.extend(expected(None, &["p1", "p2"]));
    assert_eq!(contents(&store).await, want);
}

#[tokio::test]
async fn an_over_cap_scope_is_trimmed_below_the_cap_by_the_slack() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_rows_per_thread: 10,
            trim_slack_percent: 50,
            ..retention()
        },
    )
    .await;
    let bodies: Vec<String> = (0..10).map(|n| n.to_string()).collect();
    let batch: Vec<LogEntry> = bodies
        .iter()
        .map(|body| entry(Some(THREAD_A), NOW, body))
        .collect();
    store.insert(&batch).await.unwrap();
    // At the cap: nothing is trimmed yet.
    assert_eq!(contents(&store).await.len(), 10);
    store
        .insert(&[entry(Some(THREAD_A), NOW, "10")])
        .await
        .unwrap();
    assert_eq!(
        contents(&store).await,
        expected(Some(THREAD_A), &["6", "7", "8", "9", "10"])
    );
}

#[tokio::test]
async fn trims_over_many_batches_keep_exactly_the_newest_rows_and_totals_that_match_a_recount() {
    let dir = tempfile::tempdir().unwrap();
    // Bodies of varying length, a byte cap that binds before the row cap and a trim deep enough
    // to walk several pages, checked against a model after every batch.
    let retention = LogRetention {
        max_rows_per_thread: 400,
        max_bytes_per_thread: 30_000,
        trim_slack_percent: 40,
        ..retention()
    };
    let (store, _clock) = store(&dir, retention).await;
    let mut model: Vec<LogEntry> = Vec::new();
    for batch_number in 0..12 {
        let batch: Vec<LogEntry> = (0..150)
            .map(|n| {
                let body = "x".repeat((batch_number * 150 + n) % 97 + 1);
                entry(Some(THREAD_A), NOW, &format!("{batch_number}-{n}-{body}"))
            })
            .collect();
        store.insert(&batch).await.unwrap();
        model.extend(batch);
        let (rows, bytes) = (
            i64::try_from(model.len()).unwrap(),
            model.iter().map(LogEntry::estimated_bytes).sum::<i64>(),
        );
        if rows > retention.max_rows_per_thread || bytes > retention.max_bytes_per_thread {
            // Oldest first, drop until both totals are within the caps less the slack.
            let (keep_rows, keep_bytes) = (400 * 60 / 100, 30_000 * 60 / 100);
            let (mut rows, mut bytes) = (rows, bytes);
            while rows > keep_rows || bytes > keep_bytes {
                bytes -= model.remove(0).estimated_bytes();
                rows -= 1;
            }
        }
        let want: Vec<(Option<String>, String)> = model
            .iter()
            .map(|entry| (entry.thread_id.clone(), entry.body.clone()))
            .collect();
        assert_eq!(contents(&store).await, want, "after batch {batch_number}");
        let recount: (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COALESCE(SUM(estimated_bytes), 0) FROM logs WHERE thread_id = ?1",
        )
        .bind(THREAD_A)
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(
            usage(&store).await,
            vec![(
                "thread".to_string(),
                THREAD_A.to_string(),
                recount.0,
                recount.1
            )],
            "after batch {batch_number}"
        );
    }
}

#[tokio::test]
async fn totals_that_overstate_a_scope_heal_when_the_trim_runs_out_of_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_rows_per_thread: 5,
            ..retention()
        },
    )
    .await;
    store
        .insert(&[entry(Some(THREAD_A), NOW, "a")])
        .await
        .unwrap();
    sqlx::query("UPDATE log_usage SET rows = 1000 WHERE key = ?1")
        .bind(THREAD_A)
        .execute(store.pool())
        .await
        .unwrap();
    store
        .insert(&[entry(Some(THREAD_A), NOW, "b")])
        .await
        .unwrap();
    assert!(contents(&store).await.is_empty());
    assert_eq!(
        usage(&store).await,
        vec![("thread".to_string(), THREAD_A.to_string(), 0, 0)]
    );
    store
        .insert(&[entry(Some(THREAD_A), NOW, "c")])
        .await
        .unwrap();
    assert_eq!(contents(&store).await, expected(Some(THREAD_A), &["c"]));
}

#[tokio::test]
async fn a_batch_touching_more_scopes_than_one_upsert_holds_keeps_every_total_and_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_rows_per_thread: 1,
            ..retention()
        },
    )
    .await;
    let threads: Vec<String> = (0..1_500).map(|n| format!("thread-{n:04}")).collect();
    let batch = |body: &str| -> Vec<LogEntry> {
        threads
            .iter()
            .map(|thread| entry(Some(thread), NOW, body))
            .collect()
    };
    store.insert(&batch("first")).await.unwrap();
    store.insert(&batch("second")).await.unwrap();
    let rows = contents(&store).await;
    assert_eq!(rows.len(), 1_500);
    assert!(rows.iter().all(|(_, body)| body == "second"));
    let usage = usage(&store).await;
    assert_eq!(usage.len(), 1_500);
    let row_bytes = entry(Some("thread-0000"), NOW, "second").estimated_bytes();
    assert!(
        usage
            .iter()
            .all(|(scope, _, rows, bytes)| scope == "thread" && *rows == 1 && *bytes == row_bytes)
    );
}

/// A thread-less row of `process`.
fn process_entry(process: &'static str, body: &str) -> LogEntry {
    LogEntry {
        process_uuid: process.into(),
        ..entry(None, NOW, body)
    }
}

/// The whole file's running totals (rows, bytes).
async fn file_total(store: &LogStore) -> (i64, i64) {
    sqlx::query_as("SELECT rows, bytes FROM log_usage WHERE scope = 'file'")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_whole_file_keeps_one_byte_cap_across_processes() {
    const PROCESSES: [&str; 5] = ["p0", "p1", "p2", "p3", "p4"];
    let dir = tempfile::tempdir().unwrap();
    let row_bytes = process_entry("p0", "row 0").estimated_bytes();
    // Each process stays far under its own caps; together they pass the file's.
    let (store, _clock) = store(
        &dir,
        LogRetention {
            max_total_bytes: 10 * row_bytes,
            ..retention()
        },
    )
    .await;
    for process in PROCESSES {
        let batch: Vec<LogEntry> = (0..4)
            .map(|n| process_entry(process, &format!("row {n}")))
            .collect();
        store.insert(&batch).await.unwrap();
    }
    // The ten newest rows are kept, whichever process wrote the others.
    let kept: Vec<(String, String)> = store
        .query(&LogQuery {
            order: LogOrder::Committed,
            ..LogQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.process_uuid, row.body))
        .collect();
    let mut expected = vec![("p2".to_string(), "row 2".to_string())];
    expected.push(("p2".to_string(), "row 3".to_string()));
    for process in ["p3", "p4"] {
        for n in 0..4 {
            expected.push((process.to_string(), format!("row {n}")));
        }
    }
    assert_eq!(kept, expected);
    assert_eq!(file_total(&store).await, (10, 10 * row_bytes));
    // The scopes the file's trim cut into were corrected: totals match a recount.
    assert_eq!(
        usage(&store).await,
        vec![
            ("process".to_string(), "p2".to_string(), 2, 2 * row_bytes),
            ("process".to_string(), "p3".to_string(), 4, 4 * row_bytes),
            ("process".to_string(), "p4".to_string(), 4, 4 * row_bytes),
        ]
    );
}
