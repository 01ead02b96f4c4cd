//! The memory tools over a small memory folder in a temp dir: pagination, search modes, the
//! path confinement and note writing.

use std::path::Path;

use chrono::{DateTime, Utc};
use pretty_assertions::assert_eq;

use super::*;
use crate::memory_folder::FolderError;

/// A memory folder with a few files, a `.git` and a `.git.lock`-style sibling.
fn memory_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "MEMORY.md",
        "# Memory\nUse uv, not pip.\nRun tests with cargo nextest.\n",
    );
    write("memory_summary.md", "v1\nPython projects use uv.\n");
    write(
        "rollout_summaries/2026-05-01T10-00-00-abcd-fix.md",
        "thread_id: x\n\nFixed the flaky Cargo build.\nPIP was slow.\n",
    );
    write("skills/release/SKILL.md", "# Release\nTag, then push.\n");
    write(".git/config", "[core]\nsecret = uv\n");
    write(".git.tmp/x", "uv\n");
    dir
}

fn paths(page: &ListPage) -> Vec<&str> {
    page.entries.iter().map(|e| e.path.as_str()).collect()
}

fn now() -> DateTime<Utc> {
    "2026-05-21T09:30:05Z".parse().unwrap()
}

fn query(queries: &[&str]) -> SearchQuery {
    SearchQuery {
        queries: queries.iter().map(|q| q.to_string()).collect(),
        ..SearchQuery::default()
    }
}

#[test]
fn list_walks_the_folder_depth_first_in_name_order_without_git() {
    let root = memory_root();
    let page = list(root.path(), None, None, None).unwrap();
    assert_eq!(
        paths(&page),
        vec![
            "MEMORY.md",
            "memory_summary.md",
            "rollout_summaries",
            "rollout_summaries/2026-05-01T10-00-00-abcd-fix.md",
            "skills",
            "skills/release",
            "skills/release/SKILL.md",
        ]
    );
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        page.entries[0],
        Entry {
            path: "MEMORY.md".to_string(),
            kind: EntryKind::File,
            bytes: 56,
        }
    );
    assert_eq!(page.entries[2].kind, EntryKind::Dir);
}

#[test]
fn list_pages_round_trip_through_the_cursor_and_the_last_page_has_none() {
    let root = memory_root();
    let whole = paths(&list(root.path(), None, None, None).unwrap())
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = list(root.path(), None, cursor.as_deref(), Some(3)).unwrap();
        pages += 1;
        seen.extend(page.entries.iter().map(|e| e.path.clone()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, whole);
    assert_eq!(pages, 3);
    // A page that ends exactly at the last entry has no cursor either.
    let exact = list(root.path(), None, None, Some(whole.len())).unwrap();
    assert_eq!(exact.next_cursor, None);
}

#[test]
fn list_of_a_subfolder_or_a_file_shows_only_that() {
    let root = memory_root();
    let page = list(root.path(), Some("skills"), None, None).unwrap();
    assert_eq!(
        paths(&page),
        vec!["skills/release", "skills/release/SKILL.md"]
    );
    let file = list(root.path(), Some("MEMORY.md"), None, None).unwrap();
    assert_eq!(paths(&file), vec!["MEMORY.md"]);
}

#[test]
fn list_refuses_bad_cursors_page_sizes_and_missing_paths() {
    let root = memory_root();
    let errors = [
        list(root.path(), None, Some("search:2"), None).unwrap_err(),
        list(root.path(), None, Some("garbage"), None).unwrap_err(),
        list(root.path(), None, None, Some(0)).unwrap_err(),
        list(root.path(), None, None, Some(MAX_LIST_RESULTS + 1)).unwrap_err(),
        list(root.path(), Some("nope"), None, None).unwrap_err(),
    ];
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        messages,
        vec![
            "bad cursor `search:2`: it was not issued by `list`; pass back the next_cursor of a previous call unchanged".to_string(),
            "bad cursor `garbage`: it has no `:`; pass back the next_cursor of a previous call unchanged".to_string(),
            "invalid `max_results`: must be at least 1".to_string(),
            format!("invalid `max_results`: must be at most {MAX_LIST_RESULTS}"),
            "`nope` does not exist in the memory folder".to_string(),
        ]
    );
}

#[test]
fn a_missing_memory_folder_is_reported_as_such() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    let error = list(&root, None, None, None).unwrap_err();
    assert!(
        matches!(
            error,
            MemoryToolError::Folder(FolderError::MissingRoot { .. })
        ),
        "{error}"
    );
    assert!(error.to_string().contains("does not exist yet"), "{error}");
}

#[test]
fn the_workspace_diff_is_listed_only_while_it_exists() {
    let root = memory_root();
    let listed = |root: &Path| {
        paths(&list(root, None, None, None).unwrap()).contains(&"phase2_workspace_diff.md")
    };
    assert!(!listed(root.path()));
    std::fs::write(root.path().join("phase2_workspace_diff.md"), "diff").unwrap();
    assert!(listed(root.path()));
}

#[test]
fn read_pages_through_a_file_by_line_offset() {
    let root = memory_root();
    let first = read(root.path(), "MEMORY.md", None, Some(2)).unwrap();
    assert_eq!(
        first,
        ReadPage {
            path: "MEMORY.md".to_string(),
            start_line: 1,
            lines: vec!["# Memory".to_string(), "Use uv, not pip.".to_string()],
            total_lines: 3,
            next_line_offset: Some(3),
        }
    );
    let last = read(root.path(), "MEMORY.md", first.next_line_offset, Some(2)).unwrap();
    assert_eq!(
        last.lines,
        vec!["Run tests with cargo nextest.".to_string()]
    );
    assert_eq!((last.start_line, last.next_line_offset), (3, None));
}

#[test]
fn read_refuses_offsets_past_the_end_folders_and_zero() {
    let root = memory_root();
    let messages: Vec<String> = [
        read(root.path(), "MEMORY.md", Some(9), None).unwrap_err(),
        read(root.path(), "MEMORY.md", Some(0), None).unwrap_err(),
        read(root.path(), "MEMORY.md", None, Some(MAX_READ_LINES + 1)).unwrap_err(),
        read(root.path(), "skills", None, None).unwrap_err(),
    ]
    .iter()
    .map(|e| e.to_string())
    .collect();
    assert_eq!(
        messages,
        vec![
            "`MEMORY.md` has 3 lines; line_offset 9 is past its end".to_string(),
            "invalid `line_offset`: lines are numbered from 1".to_string(),
            format!("invalid `max_lines`: must be between 1 and {MAX_READ_LINES}"),
            "`skills` is a folder, not a file; use `list` to see what it holds".to_string(),
        ]
    );
}

#[test]
fn read_of_an_empty_file_is_one_empty_page() {
    let root = memory_root();
    std::fs::write(root.path().join("empty.md"), "").unwrap();
    let page = read(root.path(), "empty.md", None, None).unwrap();
    assert_eq!(
        (page.lines.len(), page.total_lines, page.next_line_offset),
        (0, 0, None)
    );
}

#[test]
fn read_stops_a_page_at_the_byte_budget_and_cuts_overlong_lines() {
    let root = memory_root();
    let long_line = "x".repeat(MAX_LINE_BYTES * 2);
    let text = format!("{long_line}\n").repeat(MAX_READ_PAGE_BYTES / MAX_LINE_BYTES + 5);
    std::fs::write(root.path().join("big.md"), text).unwrap();
    let page = read(root.path(), "big.md", None, None).unwrap();
    let page_bytes: usize = page.lines.iter().map(String::len).sum();
    assert!(page_bytes <= MAX_READ_PAGE_BYTES, "{page_bytes}");
    assert!(page.lines[0].ends_with(LINE_CUT_MARKER));
    assert_eq!(page.next_line_offset, Some(1 + page.lines.len()));
}

#[test]
fn traversal_absolute_and_git_paths_are_refused_by_every_tool() {
    let root = memory_root();
    for path in [
        "../x",
        "/etc/passwd",
        ".git/config",
        "notes/../../x",
        ".git.tmp/x",
    ] {
        let read_error = read(root.path(), path, None, None).unwrap_err();
        let list_error = list(root.path(), Some(path), None, None).unwrap_err();
        let search_error = search(
            root.path(),
            &SearchQuery {
                path: Some(path.to_string()),
                ..query(&["uv"])
            },
        )
        .unwrap_err();
        for error in [read_error, list_error, search_error] {
            assert!(
                matches!(error, MemoryToolError::Folder(FolderError::Refused(_))),
                "{path}: {error}"
            );
            assert!(error.to_string().contains(path), "{path}: {error}");
        }
    }
}

#[cfg(unix)]
#[test]
fn links_are_refused_on_read_and_skipped_by_list_and_search() {
    let root = memory_root();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.md"), "uv outside secret\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.md"),
        root.path().join("leak.md"),
    )
    .unwrap();
    for path in ["leak.md", "escape/secret.md"] {
        let error = read(root.path(), path, None, None).unwrap_err();
        assert!(
            matches!(error, MemoryToolError::Folder(FolderError::Symlink { .. })),
            "{error}"
        );
    }
    let listed = paths(&list(root.path(), None, None, None).unwrap())
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    assert!(
        !listed
            .iter()
            .any(|p| p.contains("escape") || p.contains("leak")),
        "{listed:?}"
    );
    let found = search(root.path(), &query(&["outside secret"])).unwrap();
    assert_eq!(found.matches, Vec::new());
}

#[test]
fn search_ignores_case_by_default_and_respects_it_when_asked() {
    let root = memory_root();
    let found = search(root.path(), &query(&["pip"])).unwrap();
    let at: Vec<(String, usize)> = found
        .matches
        .iter()
        .map(|m| (m.path.clone(), m.line))
        .collect();
    assert_eq!(
        at,
        vec![
            ("MEMORY.md".to_string(), 2),
            (
                "rollout_summaries/2026-05-01T10-00-00-abcd-fix.md".to_string(),
                4
            ),
        ]
    );
    let exact = search(
        root.path(),
        &SearchQuery {
            case_sensitive: true,
            ..query(&["PIP"])
        },
    )
    .unwrap();
    assert_eq!(exact.matches.len(), 1);
    assert_eq!(exact.matches[0].text, "PIP was slow.");
}

#[test]
fn search_any_matches_either_query_and_all_needs_every_query_on_one_line() {
    let root = memory_root();
    let any = search(root.path(), &query(&["nextest", "tag"])).unwrap();
    let texts: Vec<&str> = any.matches.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["Run tests with cargo nextest.", "Tag, then push."]
    );
    let all = search(
        root.path(),
        &SearchQuery {
            match_mode: MatchMode::All,
            ..query(&["uv", "python"])
        },
    )
    .unwrap();
    let texts: Vec<&str> = all.matches.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, vec!["Python projects use uv."]);
    // `uv` and `nextest` are in the same file but never on the same line.
    let none = search(
        root.path(),
        &SearchQuery {
            match_mode: MatchMode::All,
            ..query(&["uv", "nextest"])
        },
    )
    .unwrap();
    assert_eq!(none.matches, Vec::new());
}

#[test]
fn search_returns_context_lines_clipped_at_the_file_edges() {
    let root = memory_root();
    let found = search(
        root.path(),
        &SearchQuery {
            context_lines: 1,
            path: Some("MEMORY.md".to_string()),
            ..query(&["memory", "nextest"])
        },
    )
    .unwrap();
    assert_eq!(
        found.matches,
        vec![
            SearchMatch {
                path: "MEMORY.md".to_string(),
                line: 1,
                end_line: None,
                text: "# Memory".to_string(),
                matched_queries: vec!["memory".to_string()],
                before: vec![],
                after: vec!["Use uv, not pip.".to_string()],
            },
            SearchMatch {
                path: "MEMORY.md".to_string(),
                line: 3,
                end_line: None,
                text: "Run tests with cargo nextest.".to_string(),
                matched_queries: vec!["nextest".to_string()],
                before: vec!["Use uv, not pip.".to_string()],
                after: vec![],
            },
        ]
    );
}

#[test]
fn search_pages_round_trip_through_the_cursor() {
    let root = memory_root();
    let whole = search(root.path(), &query(&["u"])).unwrap();
    assert!(whole.matches.len() >= 5, "{whole:?}");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = search(
            root.path(),
            &SearchQuery {
                cursor: cursor.clone(),
                max_results: Some(2),
                ..query(&["u"])
            },
        )
        .unwrap();
        assert!(page.matches.len() <= 2);
        seen.extend(page.matches);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, whole.matches);
    let bad = search(
        root.path(),
        &SearchQuery {
            cursor: Some("list:1".to_string()),
            ..query(&["u"])
        },
    )
    .unwrap_err();
    assert!(matches!(bad, MemoryToolError::BadCursor { .. }), "{bad}");
}

#[test]
fn search_refuses_empty_queries_and_too_much_context() {
    let root = memory_root();
    let messages: Vec<String> = [
        search(root.path(), &query(&[])).unwrap_err(),
        search(root.path(), &query(&["uv", ""])).unwrap_err(),
        search(
            root.path(),
            &SearchQuery {
                context_lines: MAX_CONTEXT_LINES + 1,
                ..query(&["uv"])
            },
        )
        .unwrap_err(),
    ]
    .iter()
    .map(|e| e.to_string())
    .collect();
    assert_eq!(
        messages,
        vec![
            "invalid `queries`: give `query` or at least one of `queries`".to_string(),
            "invalid `queries`: a query is empty".to_string(),
            format!("invalid `context_lines`: must be at most {MAX_CONTEXT_LINES}"),
        ]
    );
}

#[test]
fn add_note_writes_a_dated_redacted_note_and_seeds_the_extension() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    let token = "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";
    let written = add_note(
        &root,
        "Deploy: use the CI token!",
        &format!("The deploy token is {token}; never paste it.\n"),
        now(),
    )
    .unwrap();
    assert_eq!(
        written,
        NoteWritten {
            path: "extensions/ad_hoc/notes/2026-05-21T09-30-05-deploy-use-the-ci-token.md"
                .to_string(),
            bytes: 113,
            redactions: 1,
        }
    );
    let text = std::fs::read_to_string(root.join(&written.path)).unwrap();
    assert_eq!(
        text,
        "# Deploy: use the CI token!\n\nadded: 2026-05-21T09:30:05Z\n\nThe deploy token is [REDACTED_SECRET]; never paste it.\n"
    );
    assert!(root.join("extensions/ad_hoc/instructions.md").is_file());
    let notes = crate::phase2::extensions::ad_hoc_notes(&root).unwrap();
    assert_eq!(notes.len(), 1);
}

#[test]
fn add_note_never_overwrites_a_note_with_the_same_name() {
    let root = memory_root();
    let paths: Vec<String> = ["first", "second", "third"]
        .iter()
        .map(|body| {
            add_note(root.path(), "Same title", body, now())
                .unwrap()
                .path
        })
        .collect();
    let prefix = "extensions/ad_hoc/notes/2026-05-21T09-30-05-same-title";
    assert_eq!(
        paths,
        vec![
            format!("{prefix}.md"),
            format!("{prefix}-2.md"),
            format!("{prefix}-3.md"),
        ]
    );
    let bodies: Vec<bool> = paths
        .iter()
        .zip(["first", "second", "third"])
        .map(|(path, body)| {
            std::fs::read_to_string(root.path().join(path))
                .unwrap()
                .ends_with(&format!("{body}\n"))
        })
        .collect();
    assert_eq!(bodies, vec![true, true, true]);
}

#[test]
fn add_note_refuses_empty_or_oversized_input() {
    let root = memory_root();
    let big = "x".repeat(MAX_NOTE_BODY_BYTES + 1);
    let messages: Vec<String> = [
        add_note(root.path(), "  ", "body", now()).unwrap_err(),
        add_note(root.path(), "title", " \n", now()).unwrap_err(),
        add_note(root.path(), "title", &big, now()).unwrap_err(),
        add_note(root.path(), "two\nlines", "body", now()).unwrap_err(),
    ]
    .iter()
    .map(|e| e.to_string())
    .collect();
    assert_eq!(
        messages,
        vec![
            "invalid `title`: must not be empty".to_string(),
            "invalid `body`: must not be empty".to_string(),
            format!(
                "invalid `body`: is {} bytes; a note holds at most {MAX_NOTE_BODY_BYTES} bytes",
                MAX_NOTE_BODY_BYTES + 1
            ),
            format!("invalid `title`: must be one line of at most {MAX_NOTE_TITLE_BYTES} bytes"),
        ]
    );
    assert!(!root.path().join("extensions").exists());
}

#[cfg(unix)]
#[test]
fn add_note_refuses_an_extensions_folder_that_leads_outside() {
    let root = memory_root();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), root.path().join("extensions")).unwrap();
    let error = add_note(root.path(), "t", "b", now()).unwrap_err();
    assert!(
        matches!(error, MemoryToolError::Folder(FolderError::Symlink { .. })),
        "{error}"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn slugs_are_lowercase_ascii_words_joined_by_dashes_and_bounded() {
    assert_eq!(note_slug("Use UV -- not pip!"), "use-uv-not-pip");
    assert_eq!(note_slug("  ünïcode ✓ "), "n-code");
    assert_eq!(note_slug("✓✓"), "note");
    let long = note_slug(&"word ".repeat(40));
    assert!(
        long.len() <= MAX_NOTE_SLUG_BYTES && !long.ends_with('-'),
        "{long}"
    );
}

/// A folder holding one `MEMORY.md` with `text`.
fn one_file(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("MEMORY.md"), text).unwrap();
    dir
}

/// `(line, end_line, text, matched_queries)` of each match.
fn found(page: &SearchPage) -> Vec<(usize, Option<usize>, String, Vec<String>)> {
    page.matches
        .iter()
        .map(|m| {
            (
                m.line,
                m.end_line,
                m.text.clone(),
                m.matched_queries.clone(),
            )
        })
        .collect()
}

#[test]
fn all_within_lines_reports_the_smallest_windows_holding_every_query() {
    let root = one_file("alpha first\nmiddle\nneedle later\nalpha again needle together\n");
    let page = search(
        root.path(),
        &SearchQuery {
            match_mode: MatchMode::AllWithinLines { line_count: 3 },
            context_lines: 1,
            ..query(&["alpha", "needle"])
        },
    )
    .unwrap();
    let both = vec!["alpha".to_string(), "needle".to_string()];
    assert_eq!(
        found(&page),
        vec![
            (
                1,
                Some(3),
                "alpha first\nmiddle\nneedle later".to_string(),
                both.clone()
            ),
            (4, None, "alpha again needle together".to_string(), both),
        ]
    );
    assert_eq!(page.matches[1].before, vec!["needle later".to_string()]);
    let too_wide = search(
        root.path(),
        &SearchQuery {
            match_mode: MatchMode::AllWithinLines { line_count: 0 },
            ..query(&["alpha"])
        },
    )
    .unwrap_err();
    assert!(too_wide.to_string().contains("line_count"), "{too_wide}");
}

#[test]
fn normalized_search_ignores_separators_and_names_the_queries_found() {
    let root = one_file("MultiAgentV2\ncold-resume\nplain\n");
    let literal = search(root.path(), &query(&["multi agent v2", "cold resume"])).unwrap();
    assert_eq!(literal.matches, Vec::new());
    let normalized = search(
        root.path(),
        &SearchQuery {
            normalized: true,
            ..query(&["multi agent v2", "cold resume"])
        },
    )
    .unwrap();
    assert_eq!(
        found(&normalized),
        vec![
            (
                1,
                None,
                "MultiAgentV2".to_string(),
                vec!["multi agent v2".to_string()]
            ),
            (
                2,
                None,
                "cold-resume".to_string(),
                vec!["cold resume".to_string()]
            ),
        ]
    );
    let empty = search(
        root.path(),
        &SearchQuery {
            normalized: true,
            ..query(&["-"])
        },
    )
    .unwrap_err();
    assert_eq!(
        empty.to_string(),
        "invalid `queries`: `-` has no letters or digits to search for"
    );
}

#[test]
fn search_and_read_never_hand_out_a_secret() {
    let root = one_file("deploy with 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 today\n");
    let by_secret = search(root.path(), &query(&["OhbVrpoiVgRV"])).unwrap();
    assert_eq!(by_secret.matches, Vec::new());
    let by_word = search(root.path(), &query(&["deploy"])).unwrap();
    assert_eq!(
        by_word.matches[0].text,
        "deploy with [REDACTED_SECRET] today"
    );
    let page = read(root.path(), "MEMORY.md", None, None).unwrap();
    assert_eq!(
        page.lines,
        vec!["deploy with [REDACTED_SECRET] today".to_string()]
    );
}

#[test]
fn add_ad_hoc_note_takes_codex_file_names_and_never_overwrites() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    let name = "2026-05-21T09-30-05-prefer-uv.md";
    let written = add_ad_hoc_note(&root, name, "Prefer uv over pip.").unwrap();
    assert_eq!(
        written,
        NoteWritten {
            path: format!("extensions/ad_hoc/notes/{name}"),
            bytes: 20,
            redactions: 0,
        }
    );
    assert_eq!(
        std::fs::read_to_string(root.join(&written.path)).unwrap(),
        "Prefer uv over pip.\n"
    );
    let again = add_ad_hoc_note(&root, name, "Something else.").unwrap_err();
    assert!(
        matches!(again, MemoryToolError::Folder(FolderError::Exists { .. })),
        "{again}"
    );
    for bad in [
        "prefer-uv.md",
        "2026-05-21T09-30-05-Prefer.md",
        "2026-05-21T09-30-05-.md",
        "2026-13-21T09-30-05-x.md",
        "2026-05-21T09-30-05-x.txt",
        "2026-05-21T09-30-05-../x.md",
    ] {
        let error = add_ad_hoc_note(&root, bad, "note").unwrap_err();
        assert!(
            error.to_string().starts_with("invalid `filename`"),
            "{bad}: {error}"
        );
    }
}
