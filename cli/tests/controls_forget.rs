//! `forget` and `enable` on a real home: a sentence planted in one session reaches the memory
//! folder, and after `forget` no database page, no memory file and no git object (reachable or
//! not, loose or packed) holds it; the thread stays disabled and is not extracted again.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::path::Path;
use std::sync::Arc;

use codex_state::SystemClock;
use codex_state::logs::{LogEntry, LogLevel, LogStore};

use controls_common::{
    PYTHON_THREAD, RUST_THREAD, example_home, files_under, offline_run, rollout_of, run, run_json,
    run_ok,
};
use pretty_assertions::assert_eq;

/// Said only in the Rust session.
const SENTENCE: &str = "The zebra quartz marmalade sings at midnight";

/// Plants [`SENTENCE`] in the Rust session's user request (both copies of it).
fn plant_sentence(home: &Path) {
    let path = rollout_of(home, RUST_THREAD);
    let text = std::fs::read_to_string(&path).unwrap();
    let anchor = "I always want clippy clean.";
    assert!(text.contains(anchor));
    let planted = text.replace(anchor, &format!("{anchor} {SENTENCE}."));
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, planted).unwrap();
    controls_common::set_mtime(&path, mtime);
}

/// Whether any zlib stream starting anywhere in `bytes` inflates to text holding `needle`.
fn inflated_contains(bytes: &[u8], needle: &[u8]) -> bool {
    let mut out = vec![0u8; 4 * 1024 * 1024];
    (0..bytes.len()).filter(|&i| bytes[i] == 0x78).any(|start| {
        let mut inflate = gix::zlib::Inflate::default();
        match inflate.once(&bytes[start..], &mut out) {
            Ok((_, _, written)) => contains(&out[..written], needle),
            Err(_) => false,
        }
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Files under `dir` holding `needle`, raw or inside a zlib stream.
fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|path| {
            // A WAL file SQLite removed after the listing held nothing more.
            let Ok(bytes) = std::fs::read(path) else {
                return false;
            };
            contains(&bytes, needle.as_bytes()) || inflated_contains(&bytes, needle.as_bytes())
        })
        .map(|path| path.display().to_string())
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Writes log rows into the home's logs DB as a run would.
fn plant_log_rows(home: &Path, rows: &[(Option<&str>, &str)]) {
    let entries: Vec<LogEntry> = rows
        .iter()
        .map(|(thread_id, body)| LogEntry {
            ts: chrono::Utc::now().timestamp(),
            ts_nanos: 0,
            level: LogLevel::Warn,
            target: "codex_memories::phase1::run".into(),
            body: (*body).to_string(),
            thread_id: thread_id.map(str::to_string),
            process_uuid: "test-process".into(),
            module_path: None,
            file: None,
            line: None,
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = LogStore::open(
            &home.join("codex-memories/logs_1.sqlite"),
            Arc::new(SystemClock),
        )
        .await
        .unwrap();
        store.insert(&entries).await.unwrap();
        // Everything in the main file before the test reads it (closing the pool finishes on
        // the driver's thread, after this returns).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(codex_state::test_support::log_store_pool(&store))
            .await
            .unwrap();
        store.close().await;
    });
}

#[test]
fn forget_leaves_no_trace_of_the_thread_in_the_db_the_folder_or_git() {
    let home = example_home();
    plant_sentence(home.path());
    offline_run(home.path());
    let memories = home.path().join("memories");
    let before = files_holding(&memories, SENTENCE);
    assert!(
        before.iter().any(|f| f.ends_with("raw_memories.md")),
        "the planted sentence should reach raw_memories.md: {before:?}"
    );
    assert!(
        before.iter().any(|f| f.contains("/.git/")),
        "the baseline should hold it in git before forget: {before:?}"
    );

    // Leftovers of earlier trouble: a .git moved aside as corrupt while it held the sentence,
    // a diff file a crashed consolidation left; and a moved-aside .git about nothing of it.
    let corrupt = memories.join(".git.corrupt-1760000000");
    copy_dir(&memories.join(".git"), &corrupt);
    let raw = std::fs::read_to_string(memories.join("raw_memories.md")).unwrap();
    let diff: String = raw.lines().map(|line| format!("+{line}\n")).collect();
    std::fs::write(memories.join("phase2_workspace_diff.md"), diff).unwrap();
    let unrelated = memories.join(".git.corrupt-1760000001");
    std::fs::create_dir_all(&unrelated).unwrap();
    std::fs::write(unrelated.join("HEAD"), "ref: refs/heads/main\n").unwrap();

    let rollout = rollout_of(home.path(), RUST_THREAD);
    let stem = rollout.file_stem().unwrap().to_string_lossy().into_owned();
    let logs_db = |home: &Path| -> Vec<String> {
        files_under(home)
            .into_iter()
            .filter(|f| {
                f.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("logs_")
            })
            .map(|f| f.display().to_string())
            .collect()
    };
    let logs_holding = |needle: &str| -> Vec<String> {
        let mut holding = files_holding(home.path(), needle);
        holding.retain(|f| logs_db(home.path()).contains(f));
        holding
    };
    // Rows a run can write about the thread: tagged with it, naming its rollout file, quoting
    // its text in a failure; and one about another thread, which stays.
    plant_log_rows(
        home.path(),
        &[
            (Some(RUST_THREAD), "stage1{phase=extract}: extracting"),
            (
                None,
                &format!("phase2 read rollout_summaries of {stem}.jsonl"),
            ),
            (
                Some(RUST_THREAD),
                &format!("stage-1 extraction failed: model answer rejected: \"{SENTENCE}\""),
            ),
            (Some(PYTHON_THREAD), "stage1{phase=extract}: kept row"),
        ],
    );
    assert!(!logs_holding(RUST_THREAD).is_empty());
    assert!(
        files_holding(home.path(), SENTENCE)
            .iter()
            .any(|f| f.contains("state_1.sqlite")),
        "the index copies the first message"
    );

    let out = run_ok(
        home.path(),
        &[
            "forget",
            RUST_THREAD,
            "--provider",
            "offline",
            "--consolidator",
            "offline",
        ],
    );
    assert!(out.contains("memory mode set to disabled"), "{out}");
    assert!(
        out.contains("no file or git object holds its text"),
        "{out}"
    );
    assert!(
        out.contains("blanked the title, first message and preview"),
        "{out}"
    );
    assert!(out.contains("log row"), "{out}");
    assert!(
        out.contains("nothing of the thread remains in any of them"),
        "{out}"
    );

    // The whole home, byte by byte: the memories DB, the thread index and the logs DB with their
    // -wal and -shm files (free pages and log frames included), the memory folder and its .git.
    // Left alone: the session file itself (the user's).
    let holding: Vec<String> = files_holding(home.path(), SENTENCE)
        .into_iter()
        .filter(|f| Path::new(f) != rollout)
        .collect();
    assert_eq!(holding, Vec::<String>::new());
    // Neither the logs DB nor the memory folder names the thread or its rollout file; the index
    // keeps the id and path in its tombstone row, the memories DB its disabled mode.
    for needle in [RUST_THREAD, stem.as_str()] {
        assert_eq!(logs_holding(needle), Vec::<String>::new(), "{needle}");
        assert_eq!(
            files_holding(&memories, needle),
            Vec::<String>::new(),
            "{needle}"
        );
    }

    assert!(!corrupt.exists());
    assert!(unrelated.join("HEAD").exists());
    assert!(
        out.contains("deleted .git.corrupt-1760000000 (codex-memories' own leftover"),
        "{out}"
    );
    let kept = run_ok(home.path(), &["logs", "--thread", PYTHON_THREAD]);
    assert!(kept.contains("kept row"), "{kept}");

    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["memory_mode"], "disabled");
    assert_eq!(shown["stage1_output"], serde_json::Value::Null);
    assert_eq!(shown["stage1_job"], serde_json::Value::Null);

    // A later run (even after the session changes) does not extract it again, and indexing it
    // again does not bring its text back into the index.
    controls_common::finish_session_at(
        &rollout,
        std::time::SystemTime::now() - controls_common::DAY / 2,
    );
    offline_run(home.path());
    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["stage1_output"], serde_json::Value::Null);
    let other = run_json(home.path(), &["show", PYTHON_THREAD, "--json"]);
    assert_eq!(other["memory_mode"], "enabled");
    let in_index: Vec<String> = files_holding(home.path(), SENTENCE)
        .into_iter()
        .filter(|f| f.contains("state_1.sqlite"))
        .collect();
    assert_eq!(in_index, Vec::<String>::new());

    // `enable` lets it back in.
    run_ok(home.path(), &["enable", RUST_THREAD]);
    offline_run(home.path());
    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["memory_mode"], "enabled");
    assert!(shown["stage1_output"]["raw_memory"].is_string());
}

#[test]
fn forget_without_consolidation_removes_inputs_and_says_memory_md_keeps_the_text() {
    let home = example_home();
    plant_sentence(home.path());
    offline_run(home.path());
    let output = run(home.path(), &["forget", RUST_THREAD, "--no-consolidate"]);
    let out = String::from_utf8_lossy(&output.stdout);
    // What remains is named, and the exit code says so.
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("MEMORY.md"), "{out}");
    assert!(out.contains("until the next consolidation"), "{out}");
    assert!(out.contains("STILL PRESENT"), "{out}");
    let memories = home.path().join("memories");
    assert!(
        out.contains("MEMORY.md: a line of the memory it removed"),
        "{out}"
    );
    // After a consolidation, forgetting again finds nothing left.
    run_ok(
        home.path(),
        &[
            "consolidate",
            "--force",
            "--consolidator",
            "offline",
            "--provider",
            "offline",
        ],
    );
    let again = run_json(
        home.path(),
        &["forget", RUST_THREAD, "--no-consolidate", "--json"],
    );
    assert_eq!(again["check"]["remains"], serde_json::json!([]));
    assert_eq!(again["check"]["checked"].as_array().unwrap().len(), 4);
    let raw = std::fs::read_to_string(memories.join("raw_memories.md")).unwrap();
    assert!(!raw.contains(RUST_THREAD), "{raw}");
    assert!(raw.contains(PYTHON_THREAD), "{raw}");
    let summaries = files_holding(&memories.join("rollout_summaries"), RUST_THREAD);
    assert_eq!(summaries, Vec::<String>::new());
}

#[test]
fn forget_of_an_unknown_thread_names_it_and_fails() {
    let home = example_home();
    offline_run(home.path());
    let unknown = "019a93b9-f380-7600-98ff-000000000001";
    let output = run(home.path(), &["forget", unknown, "--no-consolidate"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(unknown), "{stderr}");
    let bad = run(home.path(), &["forget", "not-a-uuid"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn search_finds_a_consolidated_thread_and_nothing_of_it_after_forget() {
    let home = example_home();
    plant_sentence(home.path());
    offline_run(home.path());
    let search = || {
        run_json(
            home.path(),
            &["search", "zebra quartz marmalade", "--all", "--json"],
        )["hits"]
            .as_array()
            .unwrap()
            .clone()
    };
    let before = search();
    // One hit per session: its raw memory, rollout summary and the consolidated entry citing it
    // collapse into the best-ranked of them.
    let of_thread: Vec<&serde_json::Value> = before
        .iter()
        .filter(|hit| hit["thread_id"] == RUST_THREAD)
        .collect();
    assert_eq!(of_thread.len(), 1, "{before:?}");
    run_ok(
        home.path(),
        &[
            "forget",
            RUST_THREAD,
            "--provider",
            "offline",
            "--consolidator",
            "offline",
        ],
    );
    assert_eq!(search(), Vec::<serde_json::Value>::new());
    // Not even a stemmed word of it is left in the index's pages ("marmalade" → "marmalad").
    let database = std::fs::read(home.path().join("codex-memories/memories_1.sqlite")).unwrap();
    assert!(!contains(&database, b"marmalad"));
    let python = run_json(home.path(), &["search", "pytest", "--all", "--json"]);
    assert!(
        python["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|hit| hit["thread_id"] != RUST_THREAD),
        "{python}"
    );
}

#[test]
fn forget_fails_naming_the_logs_db_while_another_process_keeps_its_wal_in_use() {
    use sqlx::Connection as _;
    let home = example_home();
    offline_run(home.path());
    let logs_db = home.path().join("codex-memories/logs_1.sqlite");
    plant_log_rows(
        home.path(),
        &[(Some(RUST_THREAD), "stage-1 extraction failed")],
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Another process reading the logs DB (a `logs --follow`): its snapshot pins the WAL.
    let (mut reader, _) = runtime.block_on(async {
        let mut reader =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}", logs_db.display()))
                .await
                .unwrap();
        sqlx::query("BEGIN").execute(&mut reader).await.unwrap();
        let rows: Vec<(i64,)> = sqlx::query_as("SELECT id FROM logs")
            .fetch_all(&mut reader)
            .await
            .unwrap();
        (reader, rows)
    });
    let output = run(
        home.path(),
        &[
            "forget",
            RUST_THREAD,
            "--provider",
            "offline",
            "--consolidator",
            "offline",
        ],
    );
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "WARNING: cannot empty the write-ahead log of {}",
            logs_db.display()
        )),
        "{out}"
    );
    runtime.block_on(async {
        sqlx::query("COMMIT").execute(&mut reader).await.unwrap();
        reader.close().await.unwrap();
    });
    // With the reader gone, forgetting again empties it and finds nothing left.
    let again = run_json(
        home.path(),
        &["forget", RUST_THREAD, "--no-consolidate", "--json"],
    );
    assert_eq!(again["warnings"], serde_json::json!([]));
    assert_eq!(again["check"]["remains"], serde_json::json!([]));
}
