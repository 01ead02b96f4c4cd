use std::io::Write;
use std::path::Path;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};

use super::*;

const ID: &str = "019a93b9-f380-7600-98ff-940e6b99603c";
const OTHER_ID: &str = "019a0000-0000-7000-8000-000000000001";
const NAME: &str = "rollout-2025-11-17T15-30-28-019a93b9-f380-7600-98ff-940e6b99603c.jsonl";
const MTIME_NS: i64 = 1_763_400_000_123_456_789;

fn envelope(kind: &str, payload: Value) -> Value {
    json!({"timestamp": "2025-11-17T21:30:29.000Z", "type": kind, "payload": payload})
}

fn session_meta(id: &str, cwd: &str) -> Value {
    envelope(
        "session_meta",
        json!({
            "id": id,
            "timestamp": "2025-11-17T21:30:28.608Z",
            "cwd": cwd,
            "originator": "codex_cli_rs",
            "cli_version": "0.58.0",
            "source": "cli",
            "model_provider": "openai",
            "git": {"commit_hash": "abc123", "branch": "main", "repository_url": "git@example.com:x.git"}
        }),
    )
}

fn user_message(message: &str) -> Value {
    envelope(
        "event_msg",
        json!({"type": "user_message", "message": message, "images": []}),
    )
}

fn token_count(total: i64) -> Value {
    envelope(
        "event_msg",
        json!({"type": "token_count", "info": {"total_token_usage": {"total_tokens": total}}}),
    )
}

fn write_lines(dir: &Path, name: &str, lines: &[Value]) -> FileStat {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    write_bytes(dir, name, text.as_bytes())
}

fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> FileStat {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    FileStat {
        path,
        size: bytes.len() as u64,
        mtime_ns: MTIME_NS,
        inode: 7,
        ctime_ns: MTIME_NS + 1,
        archived: false,
        agent: Agent::Codex,
    }
}

fn extract(lines: &[Value]) -> ThreadRow {
    let dir = tempfile::tempdir().unwrap();
    extract_thread(&write_lines(dir.path(), NAME, lines)).unwrap()
}

#[test]
fn a_typical_rollout_gives_the_whole_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(
        dir.path(),
        NAME,
        &[
            session_meta(ID, "/work/project"),
            envelope(
                "turn_context",
                json!({"cwd": "/work/project", "model": "gpt-5.1-codex"}),
            ),
            user_message("fix the flaky test\nit fails on CI"),
            envelope(
                "response_item",
                json!({"type": "message", "role": "assistant", "content": []}),
            ),
            token_count(1234),
        ],
    );
    let row = extract_thread(&file).unwrap();
    assert_eq!(
        row,
        ThreadRow {
            id: ID.parse().unwrap(),
            rollout_path: file.path.clone(),
            created_at: 1_763_415_028_608,
            updated_at: 1_763_415_029_000,
            source: "cli".to_string(),
            model_provider: Some("openai".to_string()),
            model: Some("gpt-5.1-codex".to_string()),
            cwd: "/work/project".to_string(),
            title: "fix the flaky test".to_string(),
            first_user_message: "fix the flaky test\nit fails on CI".to_string(),
            preview: "fix the flaky test it fails on CI".to_string(),
            tokens_used: 1234,
            archived: false,
            git_sha: Some("abc123".to_string()),
            git_branch: Some("main".to_string()),
            git_origin_url: Some("git@example.com:x.git".to_string()),
            cli_version: "0.58.0".to_string(),
            memory_mode: MemoryMode::Enabled,
            file_size: file.size,
            file_mtime_ns: MTIME_NS,
            file_inode: 7,
            file_ctime_ns: MTIME_NS + 1,
            agent: Agent::Codex,
        }
    );
}

#[test]
fn identity_comes_from_the_first_session_meta_whose_id_matches_the_file_name() {
    let row = extract(&[
        session_meta(OTHER_ID, "/parent/of/fork"),
        session_meta(ID, "/the/thread"),
        session_meta(ID, "/a/later/copy"),
    ]);
    assert_eq!(row.id.to_string(), ID);
    assert_eq!(row.cwd, "/the/thread");
}

/// `line` with its envelope timestamp set to `timestamp`.
fn at(timestamp: &str, mut line: Value) -> Value {
    line["timestamp"] = json!(timestamp);
    line
}

#[test]
fn updated_at_is_the_time_of_the_last_complete_line_not_the_mtime() {
    let row = extract(&[
        session_meta(ID, "/x"),
        at("2025-11-18T08:00:00.250Z", user_message("go")),
        at(
            "2025-11-18T09:00:00.500Z",
            envelope("response_item", json!({"type": "reasoning"})),
        ),
    ]);
    assert_eq!(row.updated_at, 1_763_456_400_500);
}

#[test]
fn a_final_line_cut_off_mid_write_does_not_date_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let complete = format!(
        "{}\n{}\n",
        session_meta(ID, "/x"),
        at("2025-11-18T08:00:00Z", user_message("go"))
    );
    let cut =
        r#"{"timestamp":"2025-11-18T09:00:00Z","type":"response_item","payload":{"type":"mess"#;
    let row = extract_thread(&write_bytes(
        dir.path(),
        NAME,
        format!("{complete}{cut}").as_bytes(),
    ))
    .unwrap();
    assert_eq!(row.updated_at, 1_763_452_800_000);
}

#[test]
fn the_same_content_has_the_same_version_whatever_its_stat() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = write_lines(
        dir.path(),
        NAME,
        &[session_meta(ID, "/x"), user_message("go")],
    );
    let before = extract_thread(&file).unwrap();
    // Touched, copied or restored: new mtime, inode and ctime.
    file.mtime_ns += 86_400_000_000_000;
    file.inode += 1;
    file.ctime_ns += 86_400_000_000_000;
    let after = extract_thread(&file).unwrap();
    assert_eq!(after.updated_at, before.updated_at);
}

#[test]
fn a_file_without_any_time_falls_back_to_its_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let meta = json!({"type": "session_meta", "payload": {"id": ID, "timestamp": "yesterday"}});
    let file = write_lines(dir.path(), "renamed.jsonl", &[meta]);
    assert_eq!(
        extract_thread(&file).unwrap().updated_at,
        MTIME_NS / 1_000_000
    );
}

#[test]
fn created_at_is_the_session_meta_timestamp() {
    let row = extract(&[session_meta(ID, "/x")]);
    assert_eq!(row.created_at, 1_763_415_028_608);
}

#[test]
fn without_session_meta_the_file_name_gives_id_and_created_at() {
    let row = extract(&[user_message("hello")]);
    assert_eq!(row.id.to_string(), ID);
    // 2025-11-17T15:30:28, the name's timestamp read as UTC.
    assert_eq!(row.created_at, 1_763_393_428_000);
    assert_eq!(row.source, "unknown");
    assert_eq!(row.title, "hello");
}

#[test]
fn title_is_the_request_after_the_ide_marker_trimmed() {
    let row = extract(&[
        session_meta(ID, "/x"),
        user_message(
            "# Context from my IDE setup:\n\n## Open tabs:\n- main.rs\n\n## My request for Codex:\n  rename the struct  \n",
        ),
    ]);
    assert_eq!(
        (
            row.title.as_str(),
            row.first_user_message.as_str(),
            row.preview.as_str()
        ),
        (
            "rename the struct",
            "rename the struct",
            "rename the struct"
        )
    );
}

#[test]
fn title_comes_from_the_first_user_message_only() {
    let row = extract(&[
        session_meta(ID, "/x"),
        user_message("first request"),
        user_message("second request"),
    ]);
    assert_eq!(row.title, "first request");
}

#[test]
fn an_image_only_first_message_titles_as_image() {
    let row = extract(&[
        session_meta(ID, "/x"),
        envelope(
            "event_msg",
            json!({"type": "user_message", "message": "", "images": ["data:image/png;base64,AAAA"]}),
        ),
        user_message("later text"),
    ]);
    assert_eq!(
        (
            row.title.as_str(),
            row.first_user_message.as_str(),
            row.preview.as_str()
        ),
        ("[Image]", "[Image]", "[Image]")
    );
}

#[test]
fn environment_context_never_sets_the_title() {
    let row = extract(&[
        session_meta(ID, "/x"),
        envelope(
            "response_item",
            json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>"}]}),
        ),
    ]);
    assert_eq!(row.title, "");
    assert_eq!(row.first_user_message, "");
}

fn response_message(role: &str, text: &str) -> Value {
    envelope(
        "response_item",
        json!({"type": "message", "role": role, "content": [{"type": "input_text", "text": text}]}),
    )
}

fn completed_user_message(text: &str) -> Value {
    envelope(
        "event_msg",
        json!({"type": "item_completed", "thread_id": ID, "turn_id": "t",
               "item": {"type": "UserMessage", "id": "u", "content": [{"type": "text", "text": text, "text_elements": []}]}}),
    )
}

#[test]
fn a_user_message_event_wins_over_the_response_item_before_it() {
    let row = extract(&[
        session_meta(ID, "/x"),
        response_message("user", "## My request for Codex:\nthe model's copy"),
        user_message("## My request for Codex:\nwhat the user saw"),
    ]);
    assert_eq!(row.title, "what the user saw");
}

#[test]
fn codex_0_169_threads_are_titled_from_the_completed_user_message() {
    let row = extract(&[
        session_meta(ID, "/x"),
        response_message("developer", "<skills_instructions>…"),
        response_message(
            "user",
            "<environment_context>\n  <cwd>/x</cwd>\n</environment_context>",
        ),
        response_message("user", "run the tests"),
        completed_user_message("run the tests, please"),
        completed_user_message("a later message"),
    ]);
    assert_eq!(
        (
            row.title.as_str(),
            row.first_user_message.as_str(),
            row.preview.as_str()
        ),
        (
            "run the tests, please",
            "run the tests, please",
            "run the tests, please"
        )
    );
}

#[test]
fn without_any_user_event_the_first_user_response_item_titles_the_thread() {
    let row = extract(&[
        session_meta(ID, "/x"),
        response_message("user", "<environment_context>…</environment_context>"),
        response_message("assistant", "hello"),
        response_message("user", "fix the login page"),
        response_message("user", "and the footer"),
    ]);
    assert_eq!(row.title, "fix the login page");
}

#[test]
fn codex_0_169_tokens_and_model_come_from_their_new_records() {
    let row = extract(&[
        session_meta(ID, "/x"),
        envelope(
            "turn_context",
            json!({"cwd": "/x", "model": "gpt-5.1-codex"}),
        ),
        envelope(
            "event_msg",
            json!({"type": "thread_settings_applied", "thread_id": ID,
                   "thread_settings": {"model": "gpt-5.1-codex-mini", "cwd": "/x"}}),
        ),
        envelope(
            "token_usage_record",
            json!({"thread_id": ID, "usage": {"total_tokens": 5},
                   "thread_token_usage": {"input_tokens": 10104, "total_tokens": 10154}}),
        ),
    ]);
    assert_eq!(
        (row.model.as_deref(), row.tokens_used),
        (Some("gpt-5.1-codex-mini"), 10_154)
    );
}

#[test]
fn long_titles_and_previews_are_cut_with_an_ellipsis() {
    let long = "word ".repeat(100);
    let row = extract(&[session_meta(ID, "/x"), user_message(&long)]);
    assert_eq!(row.title.chars().count(), title::TITLE_MAX_CHARS);
    assert!(row.title.ends_with('…'));
    assert_eq!(row.preview.chars().count(), title::PREVIEW_MAX_CHARS);
    assert_eq!(row.first_user_message, long.trim());
}

#[test]
fn model_comes_from_the_last_turn_context() {
    let row = extract(&[
        session_meta(ID, "/x"),
        envelope("turn_context", json!({"cwd": "/x", "model": "gpt-5"})),
        envelope(
            "turn_context",
            json!({"cwd": "/x", "model": "gpt-5.1-codex"}),
        ),
        envelope("turn_context", json!({"cwd": "/x"})),
    ]);
    assert_eq!(row.model.as_deref(), Some("gpt-5.1-codex"));
}

#[test]
fn tokens_used_comes_from_the_last_token_count() {
    let row = extract(&[
        session_meta(ID, "/x"),
        token_count(100),
        token_count(5000),
        envelope("event_msg", json!({"type": "token_count", "info": null})),
    ]);
    assert_eq!(row.tokens_used, 5000);
}

#[test]
fn memory_mode_defaults_to_enabled() {
    assert_eq!(
        extract(&[session_meta(ID, "/x")]).memory_mode,
        MemoryMode::Enabled
    );
}

#[test]
fn memory_mode_comes_from_the_last_session_meta_that_sets_it() {
    let with_mode = |mode: &str| {
        let mut line = session_meta(ID, "/x");
        line["payload"]["memory_mode"] = json!(mode);
        line
    };
    let row = extract(&[
        session_meta(ID, "/x"),
        with_mode("disabled"),
        with_mode("polluted"),
        session_meta(ID, "/x"),
    ]);
    assert_eq!(row.memory_mode, MemoryMode::Polluted);
}

#[test]
fn archived_is_taken_from_where_the_file_lives() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = write_lines(dir.path(), NAME, &[session_meta(ID, "/x")]);
    file.archived = true;
    assert!(extract_thread(&file).unwrap().archived);
}

#[test]
fn legacy_files_are_indexed_from_their_header() {
    let row = extract(&[
        json!({"id": ID, "timestamp": "2025-04-01T10:00:00.000Z", "instructions": null,
               "git": {"commit_hash": "def456", "branch": "dev"}}),
        json!({"record_type": "state"}),
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}),
    ]);
    assert_eq!(row.id.to_string(), ID);
    assert_eq!(row.created_at, 1_743_501_600_000);
    // Legacy lines carry no time: the session's start is its version, not the file's mtime.
    assert_eq!(row.updated_at, row.created_at);
    assert_eq!(row.source, "vscode");
    assert_eq!(row.git_sha.as_deref(), Some("def456"));
    assert_eq!(row.title, "");
}

#[test]
fn compressed_rollouts_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let plain = format!("{}\n{}\n", session_meta(ID, "/zst"), user_message("packed"));
    let packed = zstd::encode_all(plain.as_bytes(), 3).unwrap();
    let file = write_bytes(dir.path(), &format!("{NAME}.zst"), &packed);
    let row = extract_thread(&file).unwrap();
    assert_eq!((row.cwd.as_str(), row.title.as_str()), ("/zst", "packed"));
}

#[test]
fn bad_lines_are_skipped_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    writeln!(bytes, "{}", session_meta(ID, "/x")).unwrap();
    writeln!(bytes, "{{not json").unwrap();
    bytes.extend_from_slice(b"\xff\xfe invalid utf8\n");
    writeln!(bytes, "{}", user_message("survives")).unwrap();
    bytes.extend_from_slice(br#"{"timestamp":"t","type":"event_msg","payload":{"type":"token_co"#);
    let row = extract_thread(&write_bytes(dir.path(), NAME, &bytes)).unwrap();
    assert_eq!(row.title, "survives");
}

#[test]
fn a_name_that_does_not_parse_uses_the_first_session_meta() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "renamed.jsonl", &[session_meta(ID, "/x")]);
    assert_eq!(extract_thread(&file).unwrap().id.to_string(), ID);
}

#[test]
fn no_name_and_no_session_meta_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_lines(dir.path(), "renamed.jsonl", &[user_message("x")]);
    let error = extract_thread(&file).unwrap_err();
    assert!(
        matches!(error, ExtractError::NoThreadId { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("renamed.jsonl"), "{error}");
}

#[test]
fn an_unreadable_file_is_an_open_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = FileStat {
        path: dir.path().join(NAME),
        size: 0,
        mtime_ns: 0,
        inode: 0,
        ctime_ns: 0,
        archived: false,
        agent: Agent::Codex,
    };
    assert!(matches!(extract_thread(&file), Err(ExtractError::Open(_))));
}

#[test]
fn a_corrupt_zstd_file_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_bytes(dir.path(), &format!("{NAME}.zst"), b"definitely not zstd");
    let error = extract_thread(&file).unwrap_err();
    assert!(
        matches!(error, ExtractError::Read { .. } | ExtractError::Open(_)),
        "{error:?}"
    );
}

/// A line in Codex's own layout (timestamp, type, payload), which the scan sniffs.
fn canonical(time: &str, kind: &str, payload: &str) -> String {
    format!(r#"{{"timestamp":"{time}","type":"{kind}","payload":{payload}}}"#)
}

fn extract_text(text: &str) -> ThreadRow {
    let dir = tempfile::tempdir().unwrap();
    extract_thread(&write_bytes(dir.path(), NAME, text.as_bytes())).unwrap()
}

#[test]
fn of_the_per_turn_lines_the_last_one_that_names_its_value_counts() {
    let lines = [
        session_meta(ID, "/x").to_string(),
        canonical(
            "2025-11-18T08:00:00Z",
            "turn_context",
            r#"{"cwd":"/x","model":"gpt-5"}"#,
        ),
        canonical(
            "2025-11-18T08:00:01Z",
            "event_msg",
            r#"{"type":"token_count","info":{"total_token_usage":{"total_tokens":100}}}"#,
        ),
        canonical(
            "2025-11-18T08:00:02Z",
            "event_msg",
            r#"{"type":"thread_settings_applied","thread_settings":{"model":"gpt-5.1-codex"}}"#,
        ),
        canonical(
            "2025-11-18T08:00:03Z",
            "event_msg",
            r#"{"type":"token_count","info":{"total_token_usage":{"total_tokens":5000}}}"#,
        ),
        // Neither names its value: the ones before stand.
        canonical("2025-11-18T08:00:04Z", "turn_context", r#"{"cwd":"/x"}"#),
        canonical(
            "2025-11-18T08:00:05Z",
            "event_msg",
            r#"{"type":"token_count","info":null}"#,
        ),
        canonical(
            "2025-11-18T08:00:06Z",
            "response_item",
            r#"{"type":"reasoning"}"#,
        ),
    ];
    let row = extract_text(&(lines.join("\n") + "\n"));
    assert_eq!(
        (row.model.as_deref(), row.tokens_used, row.updated_at),
        (Some("gpt-5.1-codex"), 5000, 1_763_452_806_000)
    );
}

#[test]
fn a_later_per_turn_line_read_whole_wins_over_the_kept_one_and_an_earlier_one_does_not() {
    let kept = canonical(
        "2025-11-18T08:00:01Z",
        "event_msg",
        r#"{"type":"token_count","info":{"total_token_usage":{"total_tokens":100}}}"#,
    );
    // Not in Codex's layout (keys sorted): read whole when it comes.
    let unusual = token_count(900).to_string();
    let meta = session_meta(ID, "/x").to_string();
    let later = extract_text(&format!("{meta}\n{kept}\n{unusual}\n"));
    assert_eq!(later.tokens_used, 900);
    let earlier = extract_text(&format!("{meta}\n{unusual}\n{kept}\n"));
    assert_eq!(earlier.tokens_used, 100);
    // A final line cut off after a complete value is read for what it says.
    let cut = canonical(
        "2025-11-18T08:00:02Z",
        "event_msg",
        r#"{"type":"token_count","info":{"total_token_usage":{"total_tokens":777}}}"#,
    );
    let row = extract_text(&format!("{meta}\n{kept}\n{cut}"));
    assert_eq!(row.tokens_used, 777);
}
