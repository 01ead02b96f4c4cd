use pretty_assertions::assert_eq;

use super::*;
use crate::scope::project_slug;

fn summary(kind: EntryKind, entries: &[IndexedEntry]) -> Vec<(i64, String, String, String)> {
    entries
        .iter()
        .inspect(|e| assert_eq!(e.kind, kind))
        .map(|e| (e.line, e.scope.clone(), e.title.clone(), e.body.clone()))
        .collect()
}

#[test]
fn roles_follow_the_folder_layout() {
    let global = || String::new();
    assert_eq!(
        file_role("MEMORY.md"),
        Some(FileRole::Memory { scope: global() })
    );
    assert_eq!(
        file_role("projects/acme-ledger-x/MEMORY.md"),
        Some(FileRole::Memory {
            scope: "acme-ledger-x".to_string()
        })
    );
    assert_eq!(
        file_role("projects/acme-ledger-x/summary.md"),
        Some(FileRole::Summary {
            scope: "acme-ledger-x".to_string()
        })
    );
    assert_eq!(
        file_role("memory_summary.md"),
        Some(FileRole::Summary { scope: global() })
    );
    assert_eq!(file_role("raw_memories.md"), Some(FileRole::RawMemories));
    assert_eq!(
        file_role("rollout_summaries/a.md"),
        Some(FileRole::RolloutSummary)
    );
    assert_eq!(
        file_role("extensions/ad_hoc/notes/n.md"),
        Some(FileRole::Note)
    );
    assert_eq!(
        file_role("skills/deploy/SKILL.md"),
        Some(FileRole::Skill { scope: global() })
    );
    for ignored in [
        "phase2_workspace_diff.md",
        "extensions/ad_hoc/instructions.md",
        "rollout_summaries/a.txt",
        "projects/x/other.md",
        "skills/deploy/notes.md",
    ] {
        assert_eq!(file_role(ignored), None, "{ignored}");
    }
}

#[test]
fn memory_md_gives_one_entry_per_h3_and_per_section_with_its_own_text() {
    let text = "# Memory\n\n<!-- codex-memories:offline:begin -->\n\n## Notes from the user\n\n> Prefer tabs.\n\n## Testing\n\n### Run the tests (2026-05-01)\n\nsource: rollout_summaries/x.md\n\n- worked: `just test`\n\n```sh\n### not a heading inside a fence\n```\n### Lint\n- clippy -D warnings\n";
    let entries = entries_of("MEMORY.md", &file_role("MEMORY.md").unwrap(), text);
    assert_eq!(
        summary(EntryKind::Memory, &entries),
        vec![
            (5, String::new(), "Notes from the user".to_string(), "> Prefer tabs.".to_string()),
            (
                11,
                String::new(),
                "Run the tests (2026-05-01)".to_string(),
                "source: rollout_summaries/x.md\n\n- worked: `just test`\n\n```sh\n### not a heading inside a fence\n```".to_string()
            ),
            (20, String::new(), "Lint".to_string(), "- clippy -D warnings".to_string()),
        ]
    );
}

#[test]
fn a_memory_file_without_headings_is_one_entry() {
    let entries = entries_of(
        "projects/p-1/MEMORY.md",
        &file_role("projects/p-1/MEMORY.md").unwrap(),
        "\nuse uv\nnot poetry\n",
    );
    assert_eq!(
        summary(EntryKind::Memory, &entries),
        vec![(
            2,
            "p-1".to_string(),
            String::new(),
            "use uv\nnot poetry".to_string()
        )]
    );
}

#[test]
fn raw_memory_blocks_carry_their_thread_and_project() {
    let text = "# Raw Memories\n\n## Thread `019df1d4-69b8-78f7-9da1-494c73cf256d`\nupdated_at: 2026-05-05T16:53:20Z\nproject: github.com/acme/ledger\ncwd: /w/ledger\nrollout_path: /h/r.jsonl\nrollout_summary_file: rollout_summaries/2026-05-05T16-53-20-Ab12-fix_rounding.md\n\n- request: fix rounding\n\n## Thread `019dfd4d-8810-7690-b372-969f7f65d54d`\nupdated_at: 2026-05-06T00:00:00Z\nproject: global\ncwd: \n\n- user preference: always answer in English\n";
    let entries = entries_of("raw_memories.md", &FileRole::RawMemories, text);
    assert_eq!(entries.len(), 2);
    assert_eq!(
        entries[0],
        IndexedEntry {
            line: 3,
            kind: EntryKind::RawMemory,
            scope: project_slug("github.com/acme/ledger"),
            project: Some("github.com/acme/ledger".to_string()),
            thread_id: Some("019df1d4-69b8-78f7-9da1-494c73cf256d".to_string()),
            title: "fix rounding".to_string(),
            body: "- request: fix rounding".to_string(),
        }
    );
    assert_eq!(entries[1].scope, "");
    assert_eq!(entries[1].project, None);
    assert_eq!(entries[1].line, 12);
}

#[test]
fn a_rollout_summary_without_a_project_header_is_scoped_by_its_cwd() {
    let text = "thread_id: 019df1d4-69b8-78f7-9da1-494c73cf256d\nupdated_at: 2026-05-05T16:53:20Z\nrollout_path: /h/r.jsonl\ncwd: /nowhere/scratch\n\nRequest: tidy up\n";
    let path = "rollout_summaries/2026-05-05T16-53-20-Ab12-tidy_up.md";
    let entries = entries_of(path, &FileRole::RolloutSummary, text);
    assert_eq!(
        entries,
        vec![IndexedEntry {
            line: 6,
            kind: EntryKind::RolloutSummary,
            scope: project_slug("/nowhere/scratch"),
            project: Some("/nowhere/scratch".to_string()),
            thread_id: Some("019df1d4-69b8-78f7-9da1-494c73cf256d".to_string()),
            title: "tidy up".to_string(),
            body: "Request: tidy up".to_string(),
        }]
    );
}

#[test]
fn notes_and_skills_are_one_entry_titled_by_their_heading() {
    let note = entries_of(
        "extensions/ad_hoc/notes/2026-05-01T10-00-00-deploys.md",
        &FileRole::Note,
        "# Deploys\n\nOnly on Fridays.\n",
    );
    assert_eq!(
        summary(EntryKind::Note, &note),
        vec![(
            1,
            String::new(),
            "Deploys".to_string(),
            "# Deploys\n\nOnly on Fridays.".to_string()
        )]
    );
    assert!(
        entries_of(
            "skills/x/SKILL.md",
            &FileRole::Skill {
                scope: String::new()
            },
            "  \n"
        )
        .is_empty()
    );
}

#[test]
fn a_project_file_names_its_key_in_its_first_heading_only_when_the_slug_agrees() {
    let key = "github.com/acme/ledger";
    let path = format!("projects/{}/MEMORY.md", project_slug(key));
    let role = file_role(&path).unwrap();
    let named = entries_of(
        &path,
        &role,
        &format!("# {key}\n\n### Tests\n\njust test\n"),
    );
    assert_eq!(named[0].project.as_deref(), Some(key));
    let wrong = entries_of(
        &path,
        &role,
        "# github.com/acme/other\n\n### Tests\n\njust test\n",
    );
    assert!(
        wrong.iter().all(|entry| entry.project.is_none()),
        "{wrong:?}"
    );
}
