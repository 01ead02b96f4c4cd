//! `forget` and `enable` on a real home: a sentence planted in one session reaches the memory
//! folder, and after `forget` no database page, no memory file and no git object (reachable or
//! not, loose or packed) holds it; the thread stays disabled and is not extracted again.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::path::Path;

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
            let bytes = std::fs::read(path).unwrap();
            contains(&bytes, needle.as_bytes()) || inflated_contains(&bytes, needle.as_bytes())
        })
        .map(|path| path.display().to_string())
        .collect()
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

    // The whole home: the memories and logs databases (raw bytes, free pages included), the
    // memory folder and its .git. Left alone: the session file itself (the user's) and the
    // thread index (state_1.sqlite), which mirrors the session's first message.
    let rollout = rollout_of(home.path(), RUST_THREAD);
    let holding: Vec<String> = files_holding(home.path(), SENTENCE)
        .into_iter()
        .filter(|f| Path::new(f) != rollout && !f.contains("state_1.sqlite"))
        .collect();
    assert_eq!(holding, Vec::<String>::new());

    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["memory_mode"], "disabled");
    assert_eq!(shown["stage1_output"], serde_json::Value::Null);
    assert_eq!(shown["stage1_job"], serde_json::Value::Null);

    // A later run (even after the session changes) does not extract it again.
    controls_common::finish_session_at(
        &rollout,
        std::time::SystemTime::now() - controls_common::DAY / 2,
    );
    offline_run(home.path());
    let shown = run_json(home.path(), &["show", RUST_THREAD, "--json"]);
    assert_eq!(shown["stage1_output"], serde_json::Value::Null);
    let other = run_json(home.path(), &["show", PYTHON_THREAD, "--json"]);
    assert_eq!(other["memory_mode"], "enabled");

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
    let out = run_ok(home.path(), &["forget", RUST_THREAD, "--no-consolidate"]);
    assert!(out.contains("MEMORY.md"), "{out}");
    assert!(out.contains("until the next consolidation"), "{out}");
    let memories = home.path().join("memories");
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
    assert!(
        before
            .iter()
            .any(|hit| hit["thread_id"] == RUST_THREAD && hit["kind"] == "raw_memory"),
        "{before:?}"
    );
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
