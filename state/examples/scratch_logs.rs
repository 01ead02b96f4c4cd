#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::sync::Arc;
use std::time::Instant;
use codex_state::SystemClock;
use codex_state::logs::{LogEntry, LogLevel, LogRetention, LogStore};

const THREAD_IDS: [&str; 8] = [
    "019a93b9-f380-7600-98ff-000000000001","019a93b9-f380-7600-98ff-000000000002",
    "019a93b9-f380-7600-98ff-000000000003","019a93b9-f380-7600-98ff-000000000004",
    "019a93b9-f380-7600-98ff-000000000005","019a93b9-f380-7600-98ff-000000000006",
    "019a93b9-f380-7600-98ff-000000000007","019a93b9-f380-7600-98ff-000000000008",
];

fn rows(events: usize) -> Vec<LogEntry> {
    let now = chrono::Utc::now();
    (0..events).map(|n| {
        let thread_id = (n % 2 == 0).then(|| THREAD_IDS[n / 2 % 8].to_string());
        let body = match &thread_id { Some(id) => format!("phase1{{thread_id={id}}}: claimed stage-1 job n={n} kind=bench"), None => format!("scanned rollouts n={n} kind=bench") };
        LogEntry { ts: now.timestamp(), ts_nanos: i64::from(now.timestamp_subsec_nanos()), level: LogLevel::Info,
            target: "bench::x".into(), body, thread_id, process_uuid: codex_state::logs::process_uuid().into(),
            module_path: Some("bench::x".into()), file: Some("bench/x.rs".into()), line: Some(42) }
    }).collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let batch: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(256);
    let all = rows(300_000);
    {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(&dir.path().join("logs_1.sqlite"), Arc::new(SystemClock)).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        let start = Instant::now();
        for _ in 0..10_000 { let _: (i64,) = sqlx::query_as("SELECT 1").fetch_one(&mut *conn).await.unwrap(); }
        println!("select 1: {:.1} us each", start.elapsed().as_secs_f64() * 1e6 / 10_000.0);
        let start = Instant::now();
        for _ in 0..10_000 { let _: (i64, i64) = sqlx::query_as("INSERT INTO log_usage (scope, key, rows, bytes) VALUES ('thread', 'k', 1, 2) ON CONFLICT (scope, key) DO UPDATE SET rows = rows + excluded.rows, bytes = bytes + excluded.bytes RETURNING rows, bytes").fetch_one(&mut *conn).await.unwrap(); }
        println!("upsert (autocommit): {:.1} us each", start.elapsed().as_secs_f64() * 1e6 / 10_000.0);
    }
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(&dir.path().join("logs_1.sqlite"), Arc::new(SystemClock)).await.unwrap().with_retention(LogRetention { max_bytes_per_thread: i64::MAX, max_rows_per_thread: i64::MAX, max_bytes_per_process: i64::MAX, max_rows_per_process: i64::MAX, ..LogRetention::default() });
        if let Ok(p) = std::env::var("SCRATCH_PRAGMA") { for stmt in p.split(';') { if !stmt.is_empty() { sqlx::query(stmt).execute(store.pool()).await.unwrap(); } } }
        let start = Instant::now();
        store.insert(&all).await.unwrap();
        println!("bulk: {:.0} rows/s", all.len() as f64 / start.elapsed().as_secs_f64());
        store.close().await;
    }
    for (name, retention) in [("default", LogRetention::default()), ("uncapped", LogRetention { max_bytes_per_thread: i64::MAX, max_rows_per_thread: i64::MAX, max_bytes_per_process: i64::MAX, max_rows_per_process: i64::MAX, ..LogRetention::default() })] {
        let dir = tempfile::tempdir().unwrap();
        let store = LogStore::open(&dir.path().join("logs_1.sqlite"), Arc::new(SystemClock)).await.unwrap().with_retention(retention);
        let start = Instant::now();
        for chunk in all.chunks(batch) { store.insert(chunk).await.unwrap(); }
        let s = start.elapsed().as_secs_f64();


        let t: Vec<String> = codex_state::logs::retention::T.iter().map(|a| format!("{:.2}", a.swap(0, std::sync::atomic::Ordering::Relaxed) as f64 / 1e6)).collect();
        println!("{name}: batch {batch}: {:.0} rows/s total {s:.2} [enforce, expired, boundary, delete, insert, commit] = {t:?}", all.len() as f64 / s);
        store.close().await;
    }
}
fn _unused() {}
