//! `prompt` (the read path) and `cite` (usage from a saved answer) on a real home.

#![allow(clippy::unwrap_used)]

mod controls_common;

use controls_common::{
    PYTHON_THREAD, RUST_THREAD, example_home, offline_run, run, run_json, run_ok,
};
use pretty_assertions::assert_eq;

#[test]
fn prompt_prints_nothing_without_a_summary_and_the_summary_between_markers_after_a_run() {
    let home = example_home();
    let empty = run(home.path(), &["prompt"]);
    assert!(empty.status.success());
    assert_eq!(String::from_utf8_lossy(&empty.stdout), "");
    assert!(String::from_utf8_lossy(&empty.stderr).contains("memory_summary.md"));

    offline_run(home.path());
    let text = run_ok(home.path(), &["prompt"]);
    let summary = std::fs::read_to_string(home.path().join("memories/memory_summary.md")).unwrap();
    let begin = text.find("<memory_summary>").unwrap();
    let end = text.find("</memory_summary>").unwrap();
    assert!(begin < end);
    let first_line = summary.lines().find(|l| !l.trim().is_empty()).unwrap();
    assert!(text[begin..end].contains(first_line), "{text}");

    let small = run_ok(home.path(), &["prompt", "--budget", "10"]);
    assert!(small.len() < text.len());

    std::fs::write(
        home.path().join("config.toml"),
        "[memories]\nuse_memories = false\n",
    )
    .unwrap();
    let off = run(home.path(), &["prompt"]);
    assert!(off.status.success());
    assert_eq!(String::from_utf8_lossy(&off.stdout), "");
    assert!(String::from_utf8_lossy(&off.stderr).contains("use_memories = false"));
}

fn usage_count(home: &std::path::Path, thread: &str) -> i64 {
    let shown = run_json(home, &["show", thread, "--json"]);
    shown["stage1_output"]["usage_count"].as_i64().unwrap()
}

#[test]
fn cite_records_usage_for_new_and_legacy_blocks_and_prints_the_visible_text() {
    let home = example_home();
    offline_run(home.path());
    assert_eq!(usage_count(home.path(), RUST_THREAD), 0);

    let answer = format!(
        "Use bankers rounding.\n<oai-mem-citation>\n<citation_entries>\nMEMORY.md:1-4|note=[rounding]\nnot a citation line\n</citation_entries>\n<rollout_ids>\n{RUST_THREAD}\n{RUST_THREAD}\n</rollout_ids>\n</oai-mem-citation>\n"
    );
    let file = home.path().join("answer.md");
    std::fs::write(&file, &answer).unwrap();
    let text = run_ok(home.path(), &["cite", file.to_str().unwrap()]);
    assert_eq!(text, "Use bankers rounding.\n");
    assert_eq!(usage_count(home.path(), RUST_THREAD), 1);

    let legacy = format!(
        "Use uv.\n<oai-mem-citation><citation_entries>MEMORY.md:2-3|note=[uv]</citation_entries><thread_ids>{PYTHON_THREAD} {RUST_THREAD}</thread_ids></oai-mem-citation>"
    );
    std::fs::write(&file, &legacy).unwrap();
    let json = run_json(home.path(), &["cite", file.to_str().unwrap(), "--json"]);
    assert_eq!(json["visible_text"], "Use uv.");
    assert_eq!(json["usage_rows_updated"], 2);
    assert_eq!(json["entries"][0]["path"], "MEMORY.md");
    assert_eq!(usage_count(home.path(), RUST_THREAD), 2);
    assert_eq!(usage_count(home.path(), PYTHON_THREAD), 1);
}
