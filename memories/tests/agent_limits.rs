//! The consolidation agent may only do what consolidation needs: a scripted agent (a mock
//! `ModelClient` that issues tool calls) tries each forbidden thing through a real phase-2 run —
//! editing `raw_memories.md`, deleting a rollout summary, rewriting a note, writing through `.GIT`
//! or a link, a file over 256 KiB, a 65th file — and each call comes back with a tool result that
//! says why, the run goes on and succeeds, and the inputs are untouched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Mutex;

use codex_memories::AgentConsolidator;
use codex_memories::memory_tools::add_note;
use codex_memories::provider::{
    InputItem, ModelClient, ModelRequest, ModelResponse, ProviderError, ToolCall,
};
use codex_memories::{MAX_WRITTEN_FILE_BYTES, MAX_WRITTEN_FILES_PER_RUN};
use codex_memories::{MEMORY_FILE, RAW_MEMORIES_FILE, SUMMARY_FILE};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

mod phase2_support;
use phase2_support::*;

/// A model that answers the n-th request with the n-th scripted turn (tool calls, or a final
/// text when empty) and keeps every request.
pub struct ScriptedModel {
    turns: Vec<Vec<(String, Value)>>,
    requests: Mutex<Vec<ModelRequest>>,
}

impl ScriptedModel {
    fn new(turns: Vec<Vec<(&str, Value)>>) -> Self {
        Self {
            turns: turns
                .into_iter()
                .map(|turn| {
                    turn.into_iter()
                        .map(|(name, arguments)| (name.to_string(), arguments))
                        .collect()
                })
                .collect(),
            requests: Mutex::new(Vec::new()),
        }
    }

    /// The tool results the agent sent back, as `(call id, output)`, in order.
    fn tool_results(&self) -> Vec<(String, String)> {
        let requests = self.requests.lock().unwrap();
        let Some(last) = requests.last() else {
            return Vec::new();
        };
        last.input
            .iter()
            .filter_map(|item| match item {
                InputItem::ToolOutput { call_id, output } => {
                    Some((call_id.clone(), output.clone()))
                }
                _ => None,
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl ModelClient for ScriptedModel {
    async fn complete(&self, request: &ModelRequest) -> Result<ModelResponse, ProviderError> {
        let turn = {
            let mut requests = self.requests.lock().unwrap();
            requests.push(request.clone());
            requests.len() - 1
        };
        let calls = self.turns.get(turn).cloned().unwrap_or_default();
        let text = if calls.is_empty() { "Done." } else { "" };
        Ok(ModelResponse::new(text)
            .with_tool_calls(
                calls
                    .into_iter()
                    .enumerate()
                    .map(|(index, (name, arguments))| ToolCall {
                        call_id: format!("t{turn}-{index}"),
                        name,
                        arguments: arguments.to_string(),
                    })
                    .collect(),
            )
            .with_model(Some("scripted".to_string())))
    }

    fn provider_name(&self) -> &str {
        "scripted"
    }

    fn default_model(&self) -> &str {
        "scripted"
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scripted_agent_is_refused_each_forbidden_change_with_the_reason_and_goes_on() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    let root = fixture.root();
    add_note(
        &root,
        "Deploy days",
        "Deploys happen on Tuesdays only.",
        "2026-05-21T09:30:05Z".parse().unwrap(),
    )
    .unwrap();
    let note = "extensions/ad_hoc/notes/2026-05-21T09-30-05-deploy-days.md";
    #[cfg(unix)]
    {
        let outside = fixture.dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
    }
    // With the summary and MEMORY.md, these make the 64 files one run may change.
    let many: Vec<(&str, Value)> = (0..MAX_WRITTEN_FILES_PER_RUN - 2)
        .map(|index| {
            (
                "write_file",
                json!({"path": format!("skills/s{index}/SKILL.md"), "content": "step\n"}),
            )
        })
        .collect();
    let model = std::sync::Arc::new(ScriptedModel::new(vec![
        vec![
            (
                "write_file",
                json!({"path": SUMMARY_FILE, "content": "v1\n- alpha was consolidated\n"}),
            ),
            (
                "read_file",
                json!({"path": RAW_MEMORIES_FILE, "start_line": null, "end_line": null}),
            ),
            (
                "edit_file",
                json!({"path": RAW_MEMORIES_FILE, "search": "raw memory", "replace": "x"}),
            ),
            ("delete_file", json!({"path": "rollout_summaries"})),
            ("write_file", json!({"path": note, "content": "rewritten"})),
            ("delete_file", json!({"path": note})),
            (
                "write_file",
                json!({"path": ".GIT/config", "content": "pwned"}),
            ),
            (
                "write_file",
                json!({"path": "escape/x.md", "content": "pwned"}),
            ),
            (
                "write_file",
                json!({"path": MEMORY_FILE, "content": "x".repeat(MAX_WRITTEN_FILE_BYTES + 1)}),
            ),
            (
                "write_file",
                json!({"path": MEMORY_FILE, "content": "# Memory\n- alpha; deploys on Tuesdays.\n"}),
            ),
        ],
        many,
        vec![(
            "write_file",
            json!({"path": "skills/one-more/SKILL.md", "content": "x"}),
        )],
        vec![],
    ]));
    let agent = AgentConsolidator::new(model.clone(), None);

    let report = fixture.run(&agent).await;

    assert_eq!(outcome_name(&report.outcome), "consolidated", "{report:?}");
    let results = model.tool_results();
    let first_turn: Vec<&str> = results[1..10]
        .iter()
        .map(|(_, output)| output.as_str())
        .collect();
    assert!(
        first_turn[0].starts_with("1: # Raw Memories"),
        "{}",
        first_turn[0]
    );
    let expect_refused = [
        (
            1,
            "`raw_memories.md` is read-only for the consolidation: it is written from the database",
        ),
        (
            2,
            "`rollout_summaries` is read-only for the consolidation: rollout summaries are the evidence",
        ),
        (
            3,
            "is read-only for the consolidation: notes are the user's",
        ),
        (
            4,
            "is read-only for the consolidation: notes are the user's",
        ),
        (
            5,
            "path `.GIT/config` refused: the .git folder is off limits",
        ),
        (
            7,
            &format!("a file written here holds at most {MAX_WRITTEN_FILE_BYTES} bytes"),
        ),
    ];
    for (index, why) in expect_refused {
        assert!(
            first_turn[index].starts_with("error: ") && first_turn[index].contains(why),
            "call {index}: {}",
            first_turn[index]
        );
    }
    #[cfg(unix)]
    assert!(first_turn[6].contains("symbolic link"), "{}", first_turn[6]);
    assert!(first_turn[8].starts_with("wrote "), "{}", first_turn[8]);
    // The summary, MEMORY.md and 62 skills make 64 files; one more skill is refused.
    let last = &results.last().unwrap().1;
    assert!(
        last.starts_with("error: ") && last.contains("already changed 64 files"),
        "{last}"
    );

    // The inputs and the note are untouched; the agent's allowed edits are in.
    assert!(
        std::fs::read_to_string(root.join(RAW_MEMORIES_FILE))
            .unwrap()
            .contains("raw memory alpha")
    );
    assert_eq!(
        std::fs::read_dir(root.join("rollout_summaries"))
            .unwrap()
            .count(),
        1
    );
    assert!(
        std::fs::read_to_string(root.join(note))
            .unwrap()
            .contains("Tuesdays only")
    );
    assert_eq!(
        std::fs::read_to_string(root.join(MEMORY_FILE)).unwrap(),
        "# Memory\n- alpha; deploys on Tuesdays.\n"
    );
    assert!(!fixture.dir.path().join("outside/x.md").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_that_reads_but_changes_no_file_has_not_consolidated() {
    let fixture = Fixture::new().await;
    fixture.thread("alpha").await;
    fixture.run(&codex_memories::OfflineConsolidator).await;
    fixture.thread("beta").await;
    let before = snapshot(&fixture.root());
    let model = std::sync::Arc::new(ScriptedModel::new(vec![
        vec![(
            "read_file",
            json!({"path": "phase2_workspace_diff.md", "start_line": null, "end_line": null}),
        )],
        vec![],
    ]));

    let report = fixture.run(&AgentConsolidator::new(model, None)).await;

    let codex_memories::Phase2Outcome::Failed { reason } = &report.outcome else {
        panic!("expected a failure, got {:?}", report.outcome);
    };
    assert_eq!(
        reason,
        "failed_agent: the model made 1 tool calls but changed no file, so the memory was not updated; try `--consolidator offline` (or `--consolidator single-shot`)"
    );
    assert_eq!(snapshot(&fixture.root()), before);
}
