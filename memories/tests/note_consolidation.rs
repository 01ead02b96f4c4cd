//! A note left through the memory tools (as the MCP `add_note` tool does) is picked up by the
//! next consolidation: it is one of the ad hoc notes phase 2 hands to the consolidator, and the
//! offline consolidator folds it, redacted, into MEMORY.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use codex_memories::ad_hoc_notes;
use codex_memories::memory_tools::add_note;
use codex_memories::{ConsolidationJob, Consolidator, OfflineConsolidator};
use pretty_assertions::assert_eq;

#[tokio::test]
async fn a_note_added_through_the_tools_reaches_memory_md_on_the_next_consolidation() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    let token = "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";
    let written = add_note(
        &root,
        "Deploys",
        &format!("Deploys happen on Fridays only. The bot token is {token}."),
        "2026-05-21T09:30:05Z".parse().unwrap(),
    )
    .unwrap();

    let notes = ad_hoc_notes(&root).unwrap();
    let paths: Vec<&str> = notes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, vec![written.path.as_str()]);

    let job = ConsolidationJob {
        memory_root: root.clone(),
        prompt: String::new(),
        inputs: Vec::new(),
        notes,
    };
    OfflineConsolidator.consolidate(&job).await.unwrap();
    let memory = std::fs::read_to_string(root.join("MEMORY.md")).unwrap();
    assert!(
        memory.contains("Deploys happen on Fridays only."),
        "{memory}"
    );
    assert!(!memory.contains(token), "{memory}");
}
