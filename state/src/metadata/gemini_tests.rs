use pretty_assertions::assert_eq;

use super::*;

const CONTEXT: &str = r#"<session_context>\nThis is the Gemini CLI.\n- **Workspace Directories:**\n  - /home/dev/src/node-greet\n- **Directory Structure:**\n</session_context>"#;

fn chat(lines: &[String]) -> (tempfile::TempDir, FileStat) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join("node-greet/chats/session-2026-12-06T17-47-32b79f31.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    std::fs::write(&path, text).unwrap();
    let stat = FileStat::from_metadata(
        path.clone(),
        &std::fs::metadata(&path).unwrap(),
        Agent::Gemini,
        false,
    );
    (dir, stat)
}

fn header(start: &str) -> String {
    format!(
        r#"{{"sessionId":"32b79f31-97fe-49ef-96ac-b266301d8ba9","projectHash":"bfcc","startTime":"{start}","lastUpdated":"{start}","kind":"main"}}"#
    )
}

fn gemini(id: &str, total: i64, tool_calls: &str) -> String {
    format!(
        r#"{{"id":"{id}","timestamp":"2026-12-06T17:47:09.000Z","type":"gemini","content":"","thoughts":[],"tokens":{{"input":1,"output":2,"cached":0,"thoughts":0,"tool":0,"total":{total}}},"model":"gemini-3.8-flash"{tool_calls}}}"#
    )
}

#[test]
fn a_resumed_chat_is_one_thread_titled_by_its_first_prompt_with_each_message_counted_once() {
    let (_dir, file) = chat(&[
        header("2026-12-06T17:47:08.651Z"),
        format!(r#"{{"$set":{{"messages":[{{"id":"ctx","timestamp":"t","type":"user","content":[{{"text":"{CONTEXT}"}}]}}]}}}}"#),
        r#"{"id":"u1","timestamp":"2026-12-06T17:47:08.734Z","type":"user","content":[{"text":"make sure the node tests pass"}]}"#.to_string(),
        r#"{"$set":{"lastUpdated":"2026-12-06T17:47:08.735Z"}}"#.to_string(),
        gemini("g1", 269, ""),
        gemini("g1", 269, r#","toolCalls":[{"id":"c","name":"run_shell_command","args":{"command":"npm test","model":"x"}}]"#),
        r#"{"id":"u2","timestamp":"t","type":"user","content":[{"functionResponse":{"id":"c","name":"run_shell_command","response":{"output":"ok"}}}]}"#.to_string(),
        header("2026-12-06T17:47:13.911Z"),
        r#"{"id":"u3","timestamp":"t","type":"user","content":[{"text":"which node version?"}]}"#.to_string(),
        gemini("g2", 1003, ""),
        r#"{"$set":{"lastUpdated":"2026-12-06T17:47:14.923Z"}}"#.to_string(),
    ]);
    let row = extract_gemini_chat(&file).unwrap();
    assert_eq!(
        (
            row.id.to_string(),
            row.agent,
            row.title.as_str(),
            row.cwd.as_str(),
            row.model.as_deref(),
            row.tokens_used,
            row.source.as_str(),
            row.created_at,
            row.updated_at,
        ),
        (
            "32b79f31-97fe-49ef-96ac-b266301d8ba9".to_string(),
            Agent::Gemini,
            "make sure the node tests pass",
            "/home/dev/src/node-greet",
            Some("gemini-3.8-flash"),
            269 + 1003,
            "cli",
            1_796_579_228_651,
            1_796_579_234_923,
        )
    );
}

#[test]
fn the_recorded_project_root_names_the_folder_first() {
    let (dir, file) = chat(&[
        header("2026-12-06T17:47:08.651Z"),
        r#"{"id":"u1","timestamp":"t","type":"user","content":[{"text":"hi"}]}"#.to_string(),
    ]);
    std::fs::write(
        dir.path().join("node-greet/.project_root"),
        "/srv/node-greet\n",
    )
    .unwrap();
    assert_eq!(extract_gemini_chat(&file).unwrap().cwd, "/srv/node-greet");
}

#[test]
fn the_model_is_found_before_the_tokens_as_well_as_after_them() {
    let model_first = r#"{"id":"g2","timestamp":"2026-12-06T17:47:10.000Z","type":"gemini","content":"","model":"gemini-9-pro","tokens":{"total":5},"toolCalls":[{"args":{"model":"not-this"}}]}"#;
    let (_dir, file) = chat(&[
        header("2026-12-06T17:47:08.651Z"),
        gemini("g1", 7, ""),
        model_first.to_string(),
    ]);
    let row = extract_gemini_chat(&file).unwrap();
    assert_eq!(
        (row.model.as_deref(), row.tokens_used),
        (Some("gemini-9-pro"), 12)
    );
}

#[test]
fn a_tokens_total_is_read_where_it_stands_and_any_other_shape_is_parsed() {
    let total = |text: &str| tokens_total(text.as_bytes());
    assert_eq!(total(r#"{"input":1,"total":42},"model":"m"}"#), Some(42));
    assert_eq!(total(r#"{"total":7}}"#), Some(7));
    assert_eq!(total(r#"{ "input": 1, "total" : 9 }"#), Some(9));
    assert_eq!(total(r#"{"total":-3,"input":1}"#), Some(-3));
    assert_eq!(total(r#"{"input":1}"#), Some(0));
    assert_eq!(total(r#"{"total":"many"}"#), None);
    assert_eq!(total(r#"{"input":1,"tot"#), None);
}
