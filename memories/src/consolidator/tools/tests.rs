//! The agent's tools over a real temporary folder: what they do, what they refuse and why, the
//! caps, and redaction of everything read and written.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;

const GITHUB_TOKEN: &str = "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";

fn tools() -> (tempfile::TempDir, AgentTools) {
    let root = tempfile::tempdir().unwrap();
    let tools = AgentTools::open(root.path()).unwrap();
    (root, tools)
}

fn call(tools: &mut AgentTools, name: &str, arguments: Value) -> ToolOutcome {
    tools.run(name, &arguments.to_string())
}

#[test]
fn write_read_edit_search_and_delete_inside_the_root() {
    let (_root, mut tools) = tools();
    let wrote = call(
        &mut tools,
        "write_file",
        json!({"path": "MEMORY.md", "content": "# Memory\nuse uv\n"}),
    );
    assert_eq!(wrote.output, "wrote 16 bytes to MEMORY.md");
    assert_eq!(wrote.changed.as_deref(), Some("MEMORY.md"));
    assert_eq!(
        call(
            &mut tools,
            "read_file",
            json!({"path": "MEMORY.md", "start_line": 2, "end_line": null})
        )
        .output,
        "2: use uv"
    );
    let edited = call(
        &mut tools,
        "edit_file",
        json!({"path": "MEMORY.md", "search": "use uv", "replace": "use uv, not pip"}),
    );
    assert_eq!(edited.output, "edited MEMORY.md");
    assert_eq!(
        call(
            &mut tools,
            "search",
            json!({"query": "NOT PIP", "path": null})
        )
        .output,
        "MEMORY.md:2: use uv, not pip"
    );
    assert_eq!(
        call(&mut tools, "list_dir", json!({"path": ""})).output,
        "MEMORY.md (25 bytes)"
    );
    assert_eq!(
        call(&mut tools, "delete_file", json!({"path": "MEMORY.md"}))
            .changed
            .as_deref(),
        Some("MEMORY.md")
    );
}

#[test]
fn an_edit_whose_search_text_is_not_unique_is_refused() {
    let (root, mut tools) = tools();
    std::fs::write(root.path().join("a.md"), "x\nx\n").unwrap();
    let outcome = call(
        &mut tools,
        "edit_file",
        json!({"path": "a.md", "search": "x", "replace": "y"}),
    );
    assert!(
        outcome.output.contains("occurs 2 times"),
        "{}",
        outcome.output
    );
    assert_eq!(outcome.changed, None);
    let missing = call(
        &mut tools,
        "edit_file",
        json!({"path": "a.md", "search": "zzz", "replace": "y"}),
    );
    assert!(missing.output.contains("occurs 0 times"));
}

#[test]
fn escaping_paths_are_refused_and_nothing_is_written() {
    let (root, mut tools) = tools();
    let outside = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join(".git")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), root.path().join("link")).unwrap();
    let absolute = format!("{}/x.md", outside.path().display());
    for path in [
        absolute.as_str(),
        "../x.md",
        ".git/config",
        ".GIT/config",
        "link/x.md",
    ] {
        let outcome = call(
            &mut tools,
            "write_file",
            json!({"path": path, "content": "pwned"}),
        );
        assert!(
            outcome.output.starts_with("error: "),
            "{path}: {}",
            outcome.output
        );
        assert_eq!(outcome.changed, None);
    }
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    assert!(!root.path().join(".git/config").exists());
}

#[test]
fn the_inputs_are_read_only_and_each_refusal_says_why() {
    let (root, mut tools) = tools();
    for file in [
        "raw_memories.md",
        "rollout_summaries/a.md",
        "extensions/ad_hoc/notes/n.md",
        "extensions/web/notes/n.md",
        "phase2_workspace_diff.md",
    ] {
        let full = root.path().join(file);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, "original\n").unwrap();
    }
    let attempts = [
        (
            "write_file",
            json!({"path": "raw_memories.md", "content": "x"}),
            "written from the database",
        ),
        (
            "edit_file",
            json!({"path": "rollout_summaries/a.md", "search": "original", "replace": "x"}),
            "evidence",
        ),
        (
            "delete_file",
            json!({"path": "rollout_summaries/a.md"}),
            "evidence",
        ),
        (
            "write_file",
            json!({"path": "rollout_summaries/new.md", "content": "x"}),
            "evidence",
        ),
        (
            "delete_file",
            json!({"path": "extensions/ad_hoc/notes/n.md"}),
            "notes are the user's",
        ),
        (
            "edit_file",
            json!({"path": "Extensions/Web/Notes/n.md", "search": "original", "replace": "x"}),
            "notes are the user's",
        ),
        (
            "write_file",
            json!({"path": "RAW_MEMORIES.md", "content": "x"}),
            "written from the database",
        ),
        (
            "delete_file",
            json!({"path": "phase2_workspace_diff.md"}),
            "this run's input",
        ),
    ];
    for (tool, arguments, why) in attempts {
        let outcome = call(&mut tools, tool, arguments.clone());
        assert!(
            outcome.output.starts_with("error: ")
                && outcome.output.contains("is read-only")
                && outcome.output.contains(why),
            "{tool} {arguments}: {}",
            outcome.output
        );
        assert_eq!(outcome.changed, None);
    }
    for file in [
        "raw_memories.md",
        "rollout_summaries/a.md",
        "extensions/ad_hoc/notes/n.md",
        "extensions/web/notes/n.md",
    ] {
        assert_eq!(
            std::fs::read_to_string(root.path().join(file)).unwrap(),
            "original\n",
            "{file}"
        );
    }
    assert!(!root.path().join("rollout_summaries/new.md").exists());
    // Reading them is what consolidation needs.
    assert_eq!(
        call(
            &mut tools,
            "read_file",
            json!({"path": "raw_memories.md", "start_line": null, "end_line": null})
        )
        .output,
        "1: original"
    );
}

#[test]
fn a_file_over_the_size_cap_and_files_past_the_run_cap_are_refused() {
    let (root, mut tools) = tools();
    let big = "x".repeat(MAX_WRITTEN_FILE_BYTES + 1);
    let outcome = call(
        &mut tools,
        "write_file",
        json!({"path": "MEMORY.md", "content": big}),
    );
    assert!(
        outcome.output.starts_with("error: ")
            && outcome.output.contains(&MAX_WRITTEN_FILE_BYTES.to_string()),
        "{}",
        outcome.output
    );
    assert!(!root.path().join("MEMORY.md").exists());

    for index in 0..MAX_WRITTEN_FILES_PER_RUN {
        let outcome = call(
            &mut tools,
            "write_file",
            json!({"path": format!("skills/s{index}/SKILL.md"), "content": "step"}),
        );
        assert!(!outcome.output.starts_with("error"), "{}", outcome.output);
    }
    let over = call(
        &mut tools,
        "write_file",
        json!({"path": "MEMORY.md", "content": "one more"}),
    );
    assert!(
        over.output.starts_with("error: ") && over.output.contains("already changed 64 files"),
        "{}",
        over.output
    );
    assert!(!root.path().join("MEMORY.md").exists());
    // A file already changed in this run may still be rewritten.
    let again = call(
        &mut tools,
        "write_file",
        json!({"path": "skills/s0/SKILL.md", "content": "step two"}),
    );
    assert_eq!(again.output, "wrote 8 bytes to skills/s0/SKILL.md");
}

#[test]
fn what_the_agent_reads_and_writes_is_redacted() {
    let (root, mut tools) = tools();
    std::fs::create_dir(root.path().join("rollout_summaries")).unwrap();
    std::fs::write(
        root.path().join("rollout_summaries/a.md"),
        format!("the deploy used token {GITHUB_TOKEN}\n"),
    )
    .unwrap();
    let read = call(
        &mut tools,
        "read_file",
        json!({"path": "rollout_summaries/a.md", "start_line": null, "end_line": null}),
    );
    assert_eq!(read.output, "1: the deploy used token [REDACTED_SECRET]");
    let found = call(
        &mut tools,
        "search",
        json!({"query": "deploy", "path": null}),
    );
    assert_eq!(
        found.output,
        "rollout_summaries/a.md:1: the deploy used token [REDACTED_SECRET]"
    );
    let not_found = call(
        &mut tools,
        "search",
        json!({"query": "OhbVrpoi", "path": null}),
    );
    assert_eq!(not_found.output, "no matches for `OhbVrpoi`");

    let wrote = call(
        &mut tools,
        "write_file",
        json!({"path": "MEMORY.md", "content": format!("- deploy with {GITHUB_TOKEN}\n")}),
    );
    assert_eq!(
        wrote.output,
        "wrote 32 bytes to MEMORY.md (1 secret replaced by [REDACTED_SECRET])"
    );
    let edited = call(
        &mut tools,
        "edit_file",
        json!({"path": "MEMORY.md", "search": "deploy", "replace": format!("deploy (old key {GITHUB_TOKEN})")}),
    );
    assert!(
        edited.output.starts_with("edited MEMORY.md (1 secret"),
        "{}",
        edited.output
    );
    let memory = std::fs::read_to_string(root.path().join("MEMORY.md")).unwrap();
    assert_eq!(
        memory,
        "- deploy (old key [REDACTED_SECRET]) with [REDACTED_SECRET]\n"
    );
}

#[test]
fn unknown_tools_and_bad_arguments_come_back_as_errors() {
    let (_root, mut tools) = tools();
    assert!(
        tools
            .run("rm_rf", "{}")
            .output
            .starts_with("error: unknown tool")
    );
    assert!(
        tools
            .run("read_file", "not json")
            .output
            .starts_with("error: bad arguments")
    );
}
