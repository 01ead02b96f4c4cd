use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chrono::DateTime;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::{Clock, Homes, ManualClock, MemoryMode};

fn thread_id(n: u32) -> String {
    format!("019a93b9-f380-7600-98ff-{n:012x}")
}

fn rollout_text(id: &str, title: &str) -> String {
    let meta = json!({"timestamp": "2025-11-17T21:30:29.000Z", "type": "session_meta",
        "payload": {"id": id, "timestamp": "2025-11-17T21:30:28.608Z", "cwd": "/w", "cli_version": "0.58.0", "source": "cli"}});
    let user = json!({"timestamp": "2025-11-17T21:30:30.000Z", "type": "event_msg",
        "payload": {"type": "user_message", "message": title}});
    format!("{meta}\n{user}\n")
}

struct Home {
    _dir: tempfile::TempDir,
    homes: Homes,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let homes = Homes::under_codex_home(dir.path());
        Self { _dir: dir, homes }
    }

    fn rollout_path(&self, archived: bool, n: u32) -> PathBuf {
        let root = if archived {
            self.homes.archived_sessions_dir()
        } else {
            self.homes.sessions_dir()
        };
        root.join("2025/11/17").join(format!(
            "rollout-2025-11-17T15-30-28-{}.jsonl",
            thread_id(n)
        ))
    }

    /// Writes rollout `n` with mtime `n` seconds after a fixed instant, so order is by `n`.
    fn write(&self, archived: bool, n: u32, title: &str) -> PathBuf {
        let path = self.rollout_path(archived, n);
        write_file(&path, rollout_text(&thread_id(n), title).as_bytes(), n);
        path
    }

    async fn runtime(&self) -> StateRuntime {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_763_000_000, 0).unwrap(),
        ));
        StateRuntime::open_with_clock(self.homes.clone(), clock)
            .await
            .unwrap()
    }
}

fn write_file(path: &Path, bytes: &[u8], mtime_offset_seconds: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    let mtime = SystemTime::UNIX_EPOCH
        + Duration::from_secs(1_763_000_000 + u64::from(mtime_offset_seconds));
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
}

async fn index(runtime: &StateRuntime) -> IndexReport {
    runtime.index_sessions(&|_| {}).await.unwrap()
}

#[tokio::test]
async fn first_index_adds_every_thread() {
    let home = Home::new();
    home.write(false, 1, "one");
    home.write(false, 2, "two");
    home.write(true, 3, "three");
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!(
        IndexReport {
            bytes_parsed: 0,
            ..report.clone()
        },
        IndexReport {
            files_seen: 3,
            parsed: 3,
            threads_added: 3,
            ..IndexReport::default()
        }
    );
    assert!(report.bytes_parsed > 0);
}

#[tokio::test]
async fn a_second_index_of_an_unchanged_home_parses_nothing() {
    let home = Home::new();
    for n in 1..=5 {
        home.write(n % 2 == 0, n, "x");
    }
    let runtime = home.runtime().await;
    index(&runtime).await;
    assert_eq!(
        index(&runtime).await,
        IndexReport {
            files_seen: 5,
            unchanged: 5,
            ..IndexReport::default()
        }
    );
}

#[tokio::test]
async fn a_changed_file_is_parsed_again_and_its_row_updated() {
    let home = Home::new();
    home.write(false, 1, "before");
    home.write(false, 2, "untouched");
    let runtime = home.runtime().await;
    index(&runtime).await;
    home.write(false, 1, "after, longer");
    let report = index(&runtime).await;
    assert_eq!((report.parsed, report.unchanged, report.updated), (1, 1, 1));
    let row = runtime
        .get_thread(thread_id(1).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "after, longer");
}

#[tokio::test]
async fn a_deleted_file_removes_its_row() {
    let home = Home::new();
    let gone = home.write(false, 1, "gone");
    for n in 2..=4 {
        home.write(false, n, "stays");
    }
    let runtime = home.runtime().await;
    index(&runtime).await;
    std::fs::remove_file(gone).unwrap();
    let report = index(&runtime).await;
    assert_eq!(report.removed, 1);
    assert_eq!(
        runtime
            .get_thread(thread_id(1).parse().unwrap())
            .await
            .unwrap(),
        None
    );
    assert_eq!(runtime.count_threads().await.unwrap(), 3);
}

#[tokio::test]
async fn files_under_archived_sessions_are_flagged_archived() {
    let home = Home::new();
    home.write(false, 1, "live");
    home.write(true, 2, "archived");
    let runtime = home.runtime().await;
    index(&runtime).await;
    let flags: Vec<(String, bool)> = runtime
        .list_threads(10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.title, row.archived))
        .collect();
    assert_eq!(
        flags,
        vec![("archived".to_string(), true), ("live".to_string(), false)]
    );
}

#[tokio::test]
async fn archiving_a_file_moves_its_row_instead_of_removing_it() {
    let home = Home::new();
    let live = home.write(false, 1, "x");
    let runtime = home.runtime().await;
    index(&runtime).await;
    let archived = home.rollout_path(true, 1);
    std::fs::create_dir_all(archived.parent().unwrap()).unwrap();
    std::fs::rename(&live, &archived).unwrap();
    let report = index(&runtime).await;
    assert_eq!(
        (report.threads_added, report.updated, report.removed),
        (0, 1, 0)
    );
    let row = runtime
        .get_thread(thread_id(1).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.rollout_path, row.archived), (archived, true));
}

#[tokio::test]
async fn a_zst_file_is_skipped_when_its_plain_twin_exists() {
    let home = Home::new();
    let plain = home.write(false, 1, "plain");
    let packed = zstd::encode_all(rollout_text(&thread_id(1), "packed").as_bytes(), 3).unwrap();
    write_file(
        &PathBuf::from(format!("{}.zst", plain.display())),
        &packed,
        1,
    );
    // A lone .zst is indexed.
    let lone = home.rollout_path(false, 2);
    let packed = zstd::encode_all(rollout_text(&thread_id(2), "lone zst").as_bytes(), 3).unwrap();
    write_file(
        &PathBuf::from(format!("{}.zst", lone.display())),
        &packed,
        2,
    );

    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!(
        (report.files_seen, report.parsed, report.skipped),
        (3, 2, 1)
    );
    let titles: Vec<String> = runtime
        .list_threads(10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect();
    assert_eq!(titles, vec!["lone zst", "plain"]);
}

#[tokio::test]
async fn the_live_copy_wins_when_a_thread_is_both_live_and_archived() {
    let home = Home::new();
    let live = home.write(false, 1, "live copy");
    home.write(true, 1, "archived copy");
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!((report.parsed, report.skipped), (1, 1));
    let row = runtime
        .get_thread(thread_id(1).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.rollout_path, live);
}

#[tokio::test]
async fn unindexable_files_are_listed_remembered_and_retried_when_changed() {
    let home = Home::new();
    home.write(false, 1, "good");
    let bad = home.homes.sessions_dir().join("2025/11/17/notes.jsonl");
    write_file(&bad, b"{\"type\":\"event_msg\"}\n", 5);
    let runtime = home.runtime().await;

    let first = index(&runtime).await;
    assert_eq!(first.failed.len(), 1);
    assert_eq!(first.failed[0].path, bad);
    assert!(
        first.failed[0].reason.contains("no thread id"),
        "{}",
        first.failed[0].reason
    );
    assert_eq!(first.threads_added, 1);

    let second = index(&runtime).await;
    assert_eq!((second.parsed, second.unchanged), (0, 2));
    assert_eq!(second.failed, first.failed);

    write_file(&bad, rollout_text(&thread_id(9), "fixed").as_bytes(), 6);
    let third = index(&runtime).await;
    assert_eq!(
        (third.parsed, third.threads_added, third.failed.len()),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn a_symlink_loop_is_not_followed() {
    let home = Home::new();
    home.write(false, 1, "x");
    let day = home.homes.sessions_dir().join("2025/11/17");
    std::os::unix::fs::symlink(home.homes.sessions_dir(), day.join("loop")).unwrap();
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!((report.files_seen, report.threads_added), (1, 1));
}

#[tokio::test]
async fn a_missing_sessions_folder_is_an_empty_home() {
    let home = Home::new();
    let runtime = home.runtime().await;
    assert_eq!(index(&runtime).await, IndexReport::default());
    assert!(
        !home.homes.sessions_dir().exists(),
        "nothing written under the Codex home"
    );
}

#[tokio::test]
async fn threads_are_listed_newest_first_up_to_the_limit() {
    let home = Home::new();
    for n in 1..=4 {
        home.write(false, n, &format!("t{n}"));
    }
    let runtime = home.runtime().await;
    index(&runtime).await;
    let titles: Vec<String> = runtime
        .list_threads(3)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.title)
        .collect();
    assert_eq!(titles, vec!["t4", "t3", "t2"]);
}

#[tokio::test]
async fn progress_counts_every_parsed_file_and_byte() {
    let home = Home::new();
    let a = home.write(false, 1, "a");
    let b = home.write(false, 2, "b");
    let total = std::fs::metadata(a).unwrap().len() + std::fs::metadata(b).unwrap().len();
    let runtime = home.runtime().await;
    let seen = Mutex::new(Vec::new());
    runtime
        .index_sessions(&|progress| seen.lock().unwrap().push(progress))
        .await
        .unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen.last().copied(),
        Some(IndexProgress {
            files_total: 2,
            files_done: 2,
            bytes_total: total,
            bytes_done: total,
        })
    );
}

#[tokio::test]
async fn a_polluted_mark_survives_a_reindex_of_the_changed_file() {
    let home = Home::new();
    home.write(false, 1, "x");
    let runtime = home.runtime().await;
    index(&runtime).await;
    sqlx::query("UPDATE threads SET memory_mode = 'polluted'")
        .execute(runtime.pool())
        .await
        .unwrap();
    home.write(false, 1, "changed");
    index(&runtime).await;
    let row = runtime
        .get_thread(thread_id(1).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.title.as_str(), row.memory_mode),
        ("changed", MemoryMode::Polluted)
    );
}

#[tokio::test]
async fn more_files_than_one_batch_are_all_stored() {
    let home = Home::new();
    let count = BATCH_ROWS as u32 + 7;
    for n in 1..=count {
        home.write(false, n, "x");
    }
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!(report.threads_added, u64::from(count));
    assert_eq!(runtime.count_threads().await.unwrap(), u64::from(count));
}

/// The real rollouts in `../shared/fixtures` (absent from a user's clone: then skipped).
fn real_fixtures() -> Option<PathBuf> {
    fixture_dir("real")
}

/// `../shared/fixtures/rollouts/<name>`, when it exists.
fn fixture_dir(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/rollouts")
        .join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

#[tokio::test]
async fn real_codex_rollouts_index_with_their_metadata() {
    let Some(fixtures) = real_fixtures() else {
        return;
    };
    let home = Home::new();
    let day = home.homes.sessions_dir().join("2025/11/17");
    std::fs::create_dir_all(&day).unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), day.join(entry.file_name())).unwrap();
    }
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!(
        (report.parsed, report.threads_added, report.failed.len()),
        (2, 2, 0)
    );

    let cli = runtime
        .get_thread("019a93b9-f380-7600-98ff-940e6b99603c".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            cli.source.as_str(),
            cli.cwd.as_str(),
            cli.cli_version.as_str(),
            cli.model.as_deref(),
            cli.tokens_used,
            cli.git_branch.as_deref(),
            cli.created_at,
        ),
        (
            "cli",
            "/home/user/projects/temp/chatbot-ui",
            "0.58.0",
            Some("gpt-5.1-codex"),
            1_121_566,
            Some("main"),
            1_763_415_028_608,
        )
    );
    assert!(
        cli.title.starts_with("finish up the users work"),
        "{}",
        cli.title
    );

    let exec = runtime
        .get_thread("019e9625-802f-7e91-840a-cfe88d14117a".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            exec.source.as_str(),
            exec.model.as_deref(),
            exec.tokens_used,
            exec.title.as_str(),
            exec.memory_mode,
        ),
        (
            "exec",
            Some("gpt-5.5"),
            22549,
            "[REDACTED_PROMPT]",
            MemoryMode::Enabled
        )
    );
}

#[tokio::test]
async fn the_text_filter_rewrites_titles_and_previews_before_they_are_stored() {
    let home = Home::new();
    home.write(false, 1, "deploy with token SECRET-1234 please");
    let filter = TextFilter(Arc::new(|text: &str| text.replace("SECRET-1234", "[gone]")));
    let runtime = home.runtime().await.with_text_filter(filter);
    index(&runtime).await;

    let threads = runtime.list_threads(10).await.unwrap();
    let stored: Vec<(&str, &str, &str)> = threads
        .iter()
        .map(|t| {
            (
                t.title.as_str(),
                t.first_user_message.as_str(),
                t.preview.as_str(),
            )
        })
        .collect();
    let expected = "deploy with token [gone] please";
    assert_eq!(stored, vec![(expected, expected, expected)]);
}

#[tokio::test]
async fn a_file_replaced_with_the_same_size_and_mtime_is_read_again() {
    let home = Home::new();
    let path = home.write(false, 1, "first");
    let runtime = home.runtime().await;
    index(&runtime).await;
    // Same length, same mtime, other words: only the inode and ctime tell.
    let replacement = home.homes.codex_home.join("replacement.jsonl");
    write_file(
        &replacement,
        rollout_text(&thread_id(1), "other").as_bytes(),
        1,
    );
    std::fs::rename(&replacement, &path).unwrap();

    let report = index(&runtime).await;
    assert_eq!((report.parsed, report.unchanged), (1, 0));
    let row = runtime
        .get_thread(thread_id(1).parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "other");
}

#[tokio::test]
async fn touching_or_copying_a_rollout_keeps_its_version() {
    let home = Home::new();
    let path = home.write(false, 1, "x");
    let runtime = home.runtime().await;
    index(&runtime).await;
    let id = thread_id(1).parse().unwrap();
    let before = runtime.get_thread(id).await.unwrap().unwrap();

    // `touch`, then a copy without -p put in its place (new inode, ctime and mtime).
    write_file(&path, &std::fs::read(&path).unwrap(), 90_000);
    let copy = home.homes.codex_home.join("copy.jsonl");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    let report = index(&runtime).await;

    assert_eq!(report.parsed, 1, "the changed stat makes it read again");
    let after = runtime.get_thread(id).await.unwrap().unwrap();
    assert_eq!(
        (after.updated_at, after.created_at),
        (before.updated_at, before.created_at)
    );
    assert!(after.file_mtime_ns > before.file_mtime_ns);
}

#[tokio::test]
async fn an_appended_turn_advances_the_version() {
    let home = Home::new();
    let path = home.write(false, 1, "x");
    let runtime = home.runtime().await;
    index(&runtime).await;
    let id = thread_id(1).parse().unwrap();
    let before = runtime.get_thread(id).await.unwrap().unwrap();

    let turn = json!({"timestamp": "2025-11-18T09:00:00.000Z", "type": "event_msg",
        "payload": {"type": "user_message", "message": "one more thing"}});
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&format!("{turn}\n"));
    write_file(&path, text.as_bytes(), 1);
    index(&runtime).await;

    let after = runtime.get_thread(id).await.unwrap().unwrap();
    assert_eq!(
        (before.updated_at, after.updated_at),
        (1_763_415_030_000, 1_763_456_400_000)
    );
}

#[tokio::test]
async fn real_codex_0_169_rollouts_index_with_a_title_model_and_tokens() {
    let Some(fixtures) = fixture_dir("codex-0.169") else {
        return;
    };
    let home = Home::new();
    let day = home.homes.sessions_dir().join("2026/12/06");
    std::fs::create_dir_all(&day).unwrap();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), day.join(entry.file_name())).unwrap();
    }
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!((report.threads_added, report.failed.len()), (4, 0));

    let mut rows: Vec<(String, String, String, Option<String>, i64)> = runtime
        .list_threads(10)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.id.to_string(),
                row.title,
                row.cwd,
                row.model,
                row.tokens_used,
            )
        })
        .collect();
    rows.sort();
    let mini = || Some("gpt-5.1-codex-mini".to_string());
    assert_eq!(
        rows,
        vec![
            (
                "01a24c6a-728c-7451-9278-f18fa1ef7c82".to_string(),
                "run the tests".to_string(),
                "/home/dev/src/calc-py".to_string(),
                mini(),
                20_676
            ),
            (
                "01a24c6a-7d84-73b2-9e21-8291f1541120".to_string(),
                "run the tests".to_string(),
                "/home/dev/src/greet-js".to_string(),
                mini(),
                20_565
            ),
            (
                "01a24c6a-8953-7052-9008-ee40971a93db".to_string(),
                "run the tests with make".to_string(),
                "/home/dev/src/shell-tools".to_string(),
                mini(),
                20_561
            ),
            (
                "01a24c6c-0de5-76e2-b05e-036c8f9d12fc".to_string(),
                "use memory search to find what we know".to_string(),
                "/home/dev/src/calc-py".to_string(),
                mini(),
                23_513
            ),
        ]
    );
}

#[test]
fn a_free_thread_takes_the_next_file_while_another_reads_a_big_one() {
    // Item 0 (the biggest file) is read only once item 1 has been: handed out in runs, item 1
    // would wait behind item 0 on the same thread, and the wait would time out.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let read = Mutex::new(Vec::new());
    let item_read = std::sync::Condvar::new();
    let second_read_meanwhile = std::sync::atomic::AtomicBool::new(false);
    pool.install(|| {
        run_one_per_task((0..8).collect(), |item: usize| {
            if item == 0 {
                let (_read, wait) = item_read
                    .wait_timeout_while(read.lock().unwrap(), Duration::from_secs(10), |read| {
                        !read.contains(&1)
                    })
                    .unwrap();
                second_read_meanwhile.store(!wait.timed_out(), std::sync::atomic::Ordering::SeqCst);
            } else {
                read.lock().unwrap().push(item);
                item_read.notify_all();
            }
        });
    });
    assert!(second_read_meanwhile.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(read.lock().unwrap().len(), 7);
}
