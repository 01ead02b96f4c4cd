//! Fault: a hostile corpus under `sessions/`. Truncated lines, invalid UTF-8, a 50 MB line,
//! unknown item kinds, a legacy file, a corrupt `.zst`, an empty file, a directory named like a
//! rollout, a symlink loop, a file without session_meta and a name that does not parse: `index`
//! exits 0 without a panic, lists every unreadable file with its path and a reason, indexes the
//! good files, and the whole offline pipeline still completes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod faults_support;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use faults_support::{OFFLINE_RUN, age_one_day, run, run_json, thread_id, write_session};
use pretty_assertions::assert_eq;
use serde_json::json;

/// Size of the one-line file.
const HUGE_LINE_BYTES: usize = 50 * 1024 * 1024;
/// The huge line is written in pieces of this size so it is never held in memory whole.
const WRITE_CHUNK_BYTES: usize = 1024 * 1024;

fn rollout_path(home: &Path, n: u32, ext: &str) -> PathBuf {
    home.join("sessions/2026/11/20").join(format!(
        "rollout-2026-11-20T10-00-00-{}.{ext}",
        thread_id(n)
    ))
}

fn meta_line(n: u32) -> String {
    let ts = "2026-11-20T10:00:00.000Z";
    json!({"timestamp": ts, "type": "session_meta",
        "payload": {"id": thread_id(n), "timestamp": ts, "cwd": "/work", "source": "cli"}})
    .to_string()
}

fn user_line(text: &str) -> String {
    json!({"timestamp": "2026-11-20T10:00:01.000Z", "type": "event_msg",
        "payload": {"type": "user_message", "message": text}})
    .to_string()
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    age_one_day(path);
}

/// Builds the corpus; returns (good thread ids, files that must be reported as failed).
fn hostile_corpus(home: &Path) -> (BTreeSet<String>, BTreeSet<PathBuf>) {
    let mut good = BTreeSet::new();
    let mut bad = BTreeSet::new();

    // Ordinary sessions.
    for n in 1..=3 {
        write_session(home, n, "make the build faster", "{}", "ok");
        good.insert(thread_id(n));
    }

    // Truncated last line (a writer killed mid-line): the complete lines still count.
    let truncated = format!(
        "{}\n{}\n{{\"timestamp\":\"2026-11-20T10:00:02.000Z\",\"type\":\"resp",
        meta_line(10),
        user_line("truncated session")
    );
    write_bytes(&rollout_path(home, 10, "jsonl"), truncated.as_bytes());
    good.insert(thread_id(10));

    // Invalid UTF-8 inside a line.
    let mut invalid = format!("{}\n", meta_line(11)).into_bytes();
    invalid.extend_from_slice(b"{\"timestamp\":\"2026-11-20T10:00:01.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"bad \xff\xfe bytes\"}}\n");
    invalid.extend_from_slice(format!("{}\n", user_line("after the bad line")).as_bytes());
    write_bytes(&rollout_path(home, 11, "jsonl"), &invalid);
    good.insert(thread_id(11));

    // A 50 MB single line after the meta line, written in chunks.
    let huge = rollout_path(home, 12, "jsonl");
    {
        let mut file = std::fs::File::create(&huge).unwrap();
        writeln!(file, "{}", meta_line(12)).unwrap();
        write!(
            file,
            "{{\"timestamp\":\"2026-11-20T10:00:01.000Z\",\"type\":\"response_item\",\"payload\":{{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\""
        )
        .unwrap();
        let chunk = "x".repeat(WRITE_CHUNK_BYTES);
        for _ in 0..HUGE_LINE_BYTES / WRITE_CHUNK_BYTES {
            file.write_all(chunk.as_bytes()).unwrap();
        }
        writeln!(file, "\"}}}}").unwrap();
        writeln!(file, "{}", user_line("after the huge line")).unwrap();
    }
    age_one_day(&huge);
    good.insert(thread_id(12));

    // Unknown item kinds from a future Codex.
    let unknown = format!(
        "{}\n{}\n{}\n{}\n",
        meta_line(13),
        json!({"timestamp": "2026-11-20T10:00:01.000Z", "type": "hologram", "payload": {"x": 1}}),
        json!({"timestamp": "2026-11-20T10:00:01.000Z", "type": "response_item", "payload": {"type": "quantum_call", "q": [1, 2]}}),
        user_line("unknown kinds around me")
    );
    write_bytes(&rollout_path(home, 13, "jsonl"), unknown.as_bytes());
    good.insert(thread_id(13));

    // A legacy (pre-`type`) file from the examples.
    let examples =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/codex-home/sessions/2025/04/20");
    for entry in std::fs::read_dir(&examples).unwrap() {
        let entry = entry.unwrap();
        let target = home.join("sessions/2025/04/20").join(entry.file_name());
        write_bytes(&target, &std::fs::read(entry.path()).unwrap());
        good.insert("30529251-54bd-4db3-82be-2d5304bf22ea".to_string());
    }

    // A corrupt zstd file.
    let zst = rollout_path(home, 14, "jsonl.zst");
    write_bytes(&zst, b"\x28\xb5\x2f\xfd this is not a zstd frame at all");
    bad.insert(zst);

    // An empty file (a session that had just started): its name still identifies the thread.
    write_bytes(&rollout_path(home, 15, "jsonl"), b"");
    good.insert(thread_id(15));

    // A directory named like a rollout.
    std::fs::create_dir_all(rollout_path(home, 16, "jsonl")).unwrap();

    // A symlink loop.
    let loop_dir = home.join("sessions/2026/loop");
    std::fs::create_dir_all(&loop_dir).unwrap();
    std::os::unix::fs::symlink(home.join("sessions/2026"), loop_dir.join("again")).unwrap();
    std::os::unix::fs::symlink(loop_dir.join("b"), loop_dir.join("a")).unwrap();
    std::os::unix::fs::symlink(loop_dir.join("a"), loop_dir.join("b")).unwrap();

    // No session_meta line: the name identifies the thread.
    write_bytes(
        &rollout_path(home, 17, "jsonl"),
        format!("{}\n", user_line("who am I")).as_bytes(),
    );
    good.insert(thread_id(17));

    // A name that does not parse: the session_meta line identifies the thread.
    let bad_name = home.join("sessions/2026/11/20/rollout-not-a-date-nor-an-id.jsonl");
    write_bytes(&bad_name, format!("{}\n", meta_line(18)).as_bytes());
    good.insert(thread_id(18));

    // Neither: nothing says which thread this is.
    let anonymous = home.join("sessions/2026/11/20/rollout-anonymous.jsonl");
    write_bytes(&anonymous, format!("{}\n", user_line("nobody")).as_bytes());
    bad.insert(anonymous);
    (good, bad)
}

#[test]
fn hostile_corpus_is_reported_file_by_file_and_the_pipeline_still_completes() {
    let home = tempfile::tempdir().unwrap();
    let (good, bad) = hostile_corpus(home.path());

    let report = run_json(home.path(), &["index", "--json"]);
    let failed: Vec<(PathBuf, String)> = report["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                PathBuf::from(f["path"].as_str().unwrap()),
                f["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    println!("index report: {report:#}");
    for (path, reason) in &failed {
        assert!(
            !reason.trim().is_empty(),
            "{} has no reason",
            path.display()
        );
    }
    let failed_paths: BTreeSet<PathBuf> = failed.iter().map(|(p, _)| p.clone()).collect();
    assert_eq!(failed_paths, bad, "{failed:#?}");

    let threads = run_json(home.path(), &["threads", "--json", "--limit", "100"]);
    let indexed: BTreeSet<String> = threads
        .as_array()
        .or_else(|| threads["threads"].as_array())
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    for id in &good {
        assert!(indexed.contains(id), "{id} not indexed: {indexed:?}");
    }

    // A second index changes nothing and still succeeds.
    let again = run(home.path(), &["index", "--json"]);
    assert!(again.status.success());

    let pipeline = run_json(home.path(), OFFLINE_RUN);
    assert_eq!(
        pipeline["extract"]["failed"].as_array().map(Vec::len),
        Some(0),
        "{pipeline:#}"
    );
    assert!(
        pipeline["extract"]["succeeded"].as_u64().unwrap()
            + pipeline["extract"]["no_output"].as_u64().unwrap()
            >= 3,
        "{pipeline:#}"
    );
}
