//! Every `LogQuery` filter against a small, fixed set of rows.

use std::sync::Arc;

use chrono::DateTime;
use pretty_assertions::assert_eq;

use super::*;
use crate::ManualClock;
use crate::logs::{LogEntry, LogStore};

const NOW: i64 = 1_763_000_000;

fn entry(ts: i64, level: LogLevel, thread_id: Option<&str>, body: &str, file: &str) -> LogEntry {
    LogEntry {
        ts,
        ts_nanos: 500,
        level,
        target: "codex_memories::phase1".into(),
        body: body.to_string(),
        thread_id: thread_id.map(str::to_string),
        process_uuid: "p".into(),
        module_path: Some(format!("codex_memories::{}", file.trim_end_matches(".rs")).into()),
        file: Some(format!("memories/src/{file}").into()),
        line: Some(7),
    }
}

/// Five rows, oldest to newest; in one batch, so their ids follow retention scopes (t1, t2,
/// then the thread-less rows), not this order.
async fn store(dir: &tempfile::TempDir) -> LogStore {
    let clock = Arc::new(ManualClock::new(DateTime::from_timestamp(NOW, 0).unwrap()));
    let store = LogStore::open(&dir.path().join("logs_1.sqlite"), clock)
        .await
        .unwrap();
    store
        .insert(&[
            entry(
                NOW - 300,
                LogLevel::Debug,
                None,
                "startup scan",
                "phase1.rs",
            ),
            entry(
                NOW - 200,
                LogLevel::Info,
                Some("t1"),
                "claimed job",
                "phase1.rs",
            ),
            entry(
                NOW - 100,
                LogLevel::Warn,
                Some("t2"),
                "model retry 429",
                "client.rs",
            ),
            entry(
                NOW - 50,
                LogLevel::Error,
                Some("t1"),
                "job failed: 429",
                "phase1.rs",
            ),
            entry(NOW, LogLevel::Trace, None, "tick", "workspace.rs"),
        ])
        .await
        .unwrap();
    store
}

async fn bodies(store: &LogStore, query: LogQuery) -> Vec<String> {
    store
        .query(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.body)
        .collect()
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap()
}

#[tokio::test]
async fn every_filter_selects_exactly_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let oldest_first = LogQuery {
        order: LogOrder::OldestFirst,
        ..LogQuery::default()
    };
    let cases: Vec<(&str, LogQuery, Vec<&str>)> = vec![
        (
            "no filter, newest first",
            LogQuery::default(),
            vec![
                "tick",
                "job failed: 429",
                "model retry 429",
                "claimed job",
                "startup scan",
            ],
        ),
        (
            "oldest first",
            oldest_first.clone(),
            vec![
                "startup scan",
                "claimed job",
                "model retry 429",
                "job failed: 429",
                "tick",
            ],
        ),
        (
            "min level warn",
            LogQuery {
                min_level: Some(LogLevel::Warn),
                ..oldest_first.clone()
            },
            vec!["model retry 429", "job failed: 429"],
        ),
        (
            "min level debug",
            LogQuery {
                min_level: Some(LogLevel::Debug),
                ..oldest_first.clone()
            },
            vec![
                "startup scan",
                "claimed job",
                "model retry 429",
                "job failed: 429",
            ],
        ),
        (
            "since is inclusive of the nanoseconds",
            LogQuery {
                since: Some(at(NOW - 100) + chrono::Duration::nanoseconds(500)),
                ..oldest_first.clone()
            },
            vec!["model retry 429", "job failed: 429", "tick"],
        ),
        (
            "until is exclusive",
            LogQuery {
                until: Some(at(NOW - 100) + chrono::Duration::nanoseconds(500)),
                ..oldest_first.clone()
            },
            vec!["startup scan", "claimed job"],
        ),
        (
            "thread",
            LogQuery {
                thread_id: Some("t1".to_string()),
                ..oldest_first.clone()
            },
            vec!["claimed job", "job failed: 429"],
        ),
        (
            "text is a substring of the body",
            LogQuery {
                text: Some("429".to_string()),
                ..oldest_first.clone()
            },
            vec!["model retry 429", "job failed: 429"],
        ),
        (
            "text with pattern characters is literal",
            LogQuery {
                text: Some("%".to_string()),
                ..oldest_first.clone()
            },
            vec![],
        ),
        (
            "module or file",
            LogQuery {
                module_or_file: Some("client".into()),
                ..oldest_first.clone()
            },
            vec!["model retry 429"],
        ),
        (
            "commit order follows the retention scopes within a batch",
            LogQuery {
                order: LogOrder::Committed,
                ..LogQuery::default()
            },
            vec![
                "claimed job",
                "job failed: 429",
                "model retry 429",
                "startup scan",
                "tick",
            ],
        ),
        (
            "after id and up to id, for tailing",
            LogQuery {
                after_id: Some(1),
                up_to_id: Some(4),
                order: LogOrder::Committed,
                ..LogQuery::default()
            },
            vec!["job failed: 429", "model retry 429", "startup scan"],
        ),
        (
            "up to id bounds a newest-first read",
            LogQuery {
                up_to_id: Some(3),
                ..LogQuery::default()
            },
            vec!["job failed: 429", "model retry 429", "claimed job"],
        ),
        (
            "limit takes the newest",
            LogQuery {
                limit: Some(2),
                ..LogQuery::default()
            },
            vec!["tick", "job failed: 429"],
        ),
        (
            "filters combine",
            LogQuery {
                thread_id: Some("t1".to_string()),
                min_level: Some(LogLevel::Error),
                text: Some("failed".to_string()),
                ..oldest_first.clone()
            },
            vec!["job failed: 429"],
        ),
    ];
    for (name, query, want) in cases {
        let want: Vec<String> = want.into_iter().map(str::to_string).collect();
        assert_eq!((name, bodies(&store, query).await), (name, want));
    }
}

#[tokio::test]
async fn a_row_comes_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let rows = store
        .query(&LogQuery {
            thread_id: Some("t1".to_string()),
            limit: Some(1),
            order: LogOrder::OldestFirst,
            ..LogQuery::default()
        })
        .await
        .unwrap();
    let written = entry(
        NOW - 200,
        LogLevel::Info,
        Some("t1"),
        "claimed job",
        "phase1.rs",
    );
    assert_eq!(
        rows,
        vec![LogRow {
            id: 1,
            ts: NOW - 200,
            ts_nanos: 500,
            level: "INFO".to_string(),
            target: "codex_memories::phase1".into(),
            body: "claimed job".to_string(),
            thread_id: Some("t1".to_string()),
            process_uuid: "p".into(),
            module_path: Some("codex_memories::phase1".into()),
            file: Some("memories/src/phase1.rs".into()),
            line: Some(7),
            estimated_bytes: written.estimated_bytes(),
        }]
    );
    assert_eq!(
        rows[0].time(),
        Some(at(NOW - 200) + chrono::Duration::nanoseconds(500))
    );
}

/// SQLite's plan for `query`, one line per step.
async fn plan(store: &LogStore, query: &LogQuery) -> String {
    let head = format!("EXPLAIN QUERY PLAN {ROW_SELECT}");
    let steps: Vec<(i64, i64, i64, String)> = select(query, &head)
        .build_query_as()
        .fetch_all(store.pool())
        .await
        .unwrap();
    steps
        .into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn severe_levels_are_read_through_their_index_and_common_levels_scan_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    for level in [LogLevel::Warn, LogLevel::Error] {
        let query = LogQuery {
            min_level: Some(level),
            limit: Some(200),
            ..LogQuery::default()
        };
        let plan = plan(&store, &query).await;
        assert!(plan.contains("logs_by_severe_level"), "{level}: {plan}");
    }
    let info = LogQuery {
        min_level: Some(LogLevel::Info),
        limit: Some(200),
        ..LogQuery::default()
    };
    // Walked newest first through the time index; only the rows of one second (`ts`) are
    // sorted among themselves by nanoseconds and id, never the whole table.
    let plan = plan(&store, &info).await;
    assert!(plan.contains("USING INDEX logs_by_ts"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE FOR ORDER BY"), "{plan}");
    assert_eq!(
        bodies(&store, info).await,
        ["job failed: 429", "model retry 429", "claimed job"]
    );
}
