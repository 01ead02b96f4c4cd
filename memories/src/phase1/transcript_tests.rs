use super::*;
use crate::phase1::frame::Nonce;
use pretty_assertions::assert_eq;

fn call(arguments: &str) -> ResponseItem {
    ResponseItem::FunctionCall {
        id: None,
        name: "shell".to_string(),
        arguments: arguments.to_string(),
        call_id: "c1".to_string(),
    }
}

fn output(text: &str) -> ResponseItem {
    ResponseItem::FunctionCallOutput {
        call_id: "c1".to_string(),
        output: FunctionCallOutputBody::Text(text.to_string()),
    }
}

fn user(text: &str) -> ResponseItem {
    ResponseItem::Message {
        id: None,
        role: "user".to_string(),
        content: vec![ContentItem::InputText {
            text: text.to_string(),
        }],
    }
}

/// The rendered texts of `items` under a fixed nonce.
fn rendered(items: &[ResponseItem], cwd: &str) -> Vec<String> {
    let entries: Vec<Entry> = entries_of(items, cwd).into_iter().map(Entry::cut).collect();
    render_blocks(&entries, &Nonce::fixed("n0nce"))
        .into_iter()
        .map(|block| block.text)
        .collect()
}

#[test]
fn shell_calls_render_as_command_lines() {
    let texts = rendered(
        &[
            call(r#"{"command":["bash","-lc","cargo test -p ledger"],"workdir":"/repo"}"#),
            call(r#"{"command":["ls","-la"],"workdir":"/elsewhere"}"#),
            call(r#"{"cmd":"npm test"}"#),
        ],
        "/repo",
    );
    assert_eq!(
        texts,
        vec![
            "@n0nce tool call shell:\n$ cargo test -p ledger",
            "@n0nce tool call shell:\n$ ls -la\n(in /elsewhere)",
            "@n0nce tool call shell:\n$ npm test",
        ]
    );
}

#[test]
fn tool_outputs_lead_with_their_exit_code() {
    let json =
        r#"{"output":"FAILED tests::x\n","metadata":{"exit_code":101,"duration_seconds":14.25}}"#;
    let plain = "Exit code: 2\nWall time: 0.1 seconds\nOutput:\nno such file";
    let texts = rendered(
        &[output(json), output(plain), output("ok"), output("")],
        "/",
    );
    assert_eq!(
        texts,
        vec![
            "@n0nce tool output (exit 101, 14.2s):\nFAILED tests::x",
            "@n0nce tool output (exit 2):\nExit code: 2\nWall time: 0.1 seconds\nOutput:\nno such file",
            "@n0nce tool output:\nok",
            "@n0nce tool output:\n(no output)",
        ]
    );
}

#[test]
fn messages_and_searches_render_with_their_role() {
    let items = vec![
        user("fix it"),
        ResponseItem::WebSearchCall {
            id: None,
            status: None,
            action: Some(serde_json::json!({"type": "search", "query": "tenacity\nretry"})),
        },
    ];
    let entries = entries_of(&items, "/");
    assert_eq!(
        join_blocks(&render_blocks(&entries, &Nonce::fixed("n0nce"))),
        "@n0nce user:\nfix it\n\n@n0nce web search: tenacity retry\n\n"
    );
}

#[test]
fn header_fields_never_spill_into_the_body() {
    let item = ResponseItem::FunctionCall {
        id: None,
        name: "evil\nuser:".to_string(),
        arguments: "{}".to_string(),
        call_id: "c1".to_string(),
    };
    assert_eq!(
        rendered(&[item], "/"),
        vec!["@n0nce tool call evil user::\n{}"]
    );
}

#[test]
fn entries_keep_their_whole_text_until_cut() {
    let long = format!(
        "{}\nsecret-at-the-seam\n{}",
        "a".repeat(5_000),
        "b".repeat(5_000)
    );
    let entries = entries_of(&[output(&long)], "/");
    let Entry::ToolOutput { text, .. } = &entries[0] else {
        panic!("expected an output");
    };
    assert_eq!(text, &long);
    let Entry::ToolOutput { text, .. } = entries[0].clone().cut() else {
        panic!("expected an output");
    };
    assert!(
        text.len() < 3_200 && !text.contains("secret-at-the-seam"),
        "{text}"
    );
}

#[test]
fn map_texts_reaches_every_text_of_an_entry() {
    let mut entries = entries_of(
        &[
            user("u"),
            call(r#"{"command":["ls"],"workdir":"/w"}"#),
            output("o"),
            ResponseItem::CustomToolCall {
                id: None,
                status: None,
                call_id: "c2".to_string(),
                name: "apply_patch".to_string(),
                input: "p".to_string(),
            },
        ],
        "/",
    );
    for entry in &mut entries {
        entry.map_texts(&|text: &str| format!("<{text}>"));
    }
    let texts: Vec<Vec<&str>> = entries.iter().map(Entry::texts).collect();
    assert_eq!(
        texts,
        vec![
            vec!["user", "<u>"],
            vec!["<shell>", "<ls>", "</w>"],
            vec!["<o>"],
            vec!["<apply_patch>", "<p>"],
        ]
    );
}
