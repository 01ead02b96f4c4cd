//! The real Claude Code 2.1.328 and Gemini CLI 0.61.0 sessions in `../shared/fixtures` read as
//! conversations: no unreadable line, each prompt a user message once, the compaction summary
//! never a user message, the subagent's sidechain inside its parent session. Skipped when the
//! fixtures are absent (a user's clone).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use codex_protocol::claude::read_claude_session;
use codex_protocol::gemini::read_gemini_session;
use codex_protocol::{ContentItem, ResponseItem, SessionItems};
use pretty_assertions::assert_eq;

fn fixtures(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/transcripts")
        .join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

/// The messages of `role`, text parts joined.
fn messages(session: &SessionItems, role: &str) -> Vec<String> {
    session
        .items
        .iter()
        .filter_map(|item| match item {
            ResponseItem::Message {
                role: item_role,
                content,
                ..
            } if item_role == role => Some(
                content
                    .iter()
                    .filter_map(ContentItem::text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            _ => None,
        })
        .collect()
}

fn claude(dir: &Path, project: &str) -> SessionItems {
    let project = dir.join(project);
    let file = std::fs::read_dir(&project)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            path.extension()
                .is_some_and(|extension| extension == "jsonl")
        })
        .unwrap();
    read_claude_session(&file).unwrap()
}

#[test]
fn claude_code_sessions_read_with_their_prompts_once_and_no_compaction_summary() {
    let Some(dir) = fixtures("claude-code-2.1.328") else {
        return;
    };
    let compacted = claude(&dir, "-home-dev-src-shell-backup");
    assert_eq!(compacted.bad_line_count, 0);
    assert_eq!(compacted.cwd, "/home/dev/src/shell-backup");
    assert_eq!(
        messages(&compacted, "user"),
        vec![
            "what does backup.sh do?",
            "add a --dry-run flag so I can see what it would delete"
        ]
    );
    let interactive = claude(&dir, "-home-dev-src-node-greet");
    assert_eq!(messages(&interactive, "user").len(), 2);
    let fixed = claude(&dir, "-home-dev-src-py-calc");
    assert_eq!(
        messages(&fixed, "user"),
        vec!["run the tests and fix the failing one"]
    );
}

#[test]
fn the_subagent_sidechain_reads_inside_its_parent_session() {
    let Some(dir) = fixtures("claude-code-2.1.328") else {
        return;
    };
    let session = claude(&dir, "-home-dev-src-rust-wc");
    assert_eq!(session.bad_line_count, 0);
    let subagent = messages(&session, "subagent");
    assert!(!subagent.is_empty(), "{:#?}", session.items);
    // The sidechain's work comes after the Agent call's output and before the final answer.
    let position =
        |wanted: &dyn Fn(&ResponseItem) -> bool| session.items.iter().position(wanted).unwrap();
    let agent_call = position(
        &|item| matches!(item, ResponseItem::FunctionCall { name, .. } if name == "Agent"),
    );
    let subagent_message =
        position(&|item| matches!(item, ResponseItem::Message { role, .. } if role == "subagent"));
    assert!(agent_call < subagent_message);
}

#[test]
fn gemini_cli_chats_read_with_each_message_once_and_the_exit_codes() {
    let Some(dir) = fixtures("gemini-cli-0.61.0") else {
        return;
    };
    let chat = |project: &str| {
        let chats = dir.join(project).join("chats");
        let file = std::fs::read_dir(&chats)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        read_gemini_session(&file).unwrap()
    };
    let resumed = chat("node-greet");
    assert_eq!(resumed.bad_line_count, 0);
    assert_eq!(resumed.cwd, "/home/dev/src/node-greet");
    assert_eq!(
        messages(&resumed, "user"),
        vec![
            "make sure the node tests pass",
            "which node version did that run on?"
        ]
    );
    let outputs: Vec<&ResponseItem> = resumed
        .items
        .iter()
        .filter(|item| matches!(item, ResponseItem::FunctionCallOutput { .. }))
        .collect();
    assert_eq!(outputs.len(), 3, "one output per tool call, none doubled");
    let fixed = chat("py-calc");
    assert_eq!(
        messages(&fixed, "user"),
        vec!["run the tests and fix the failing one"]
    );
}
