use pretty_assertions::assert_eq;

use super::test_helpers::Fixture;
use super::*;

const ROOT: &str = "/home/me/.codex/memories";

fn file(path: &str, hash: &str) -> IndexedFile {
    IndexedFile {
        path: path.to_string(),
        size: 10,
        modified_ns: 1,
        content_hash: hash.to_string(),
    }
}

fn entry(line: i64, scope: &str, title: &str, body: &str) -> IndexedEntry {
    IndexedEntry {
        line,
        kind: EntryKind::Memory,
        scope: scope.to_string(),
        project: None,
        thread_id: None,
        title: title.to_string(),
        body: body.to_string(),
    }
}

fn update(path: &str, entries: Vec<IndexedEntry>) -> FileUpdate {
    FileUpdate {
        file: file(path, &format!("{}", entries.len())),
        entries: Some(entries),
    }
}

fn search(text: &str, scopes: Option<&[&str]>) -> EntrySearch {
    EntrySearch {
        text: text.to_string(),
        scopes: scopes.map(|s| s.iter().map(|s| s.to_string()).collect()),
        kinds: None,
        limit: 10,
    }
}

fn hit_titles(hits: &[EntryHit]) -> Vec<&str> {
    hits.iter().map(|hit| hit.title.as_str()).collect()
}

#[test]
fn questions_become_quoted_terms_without_stop_words() {
    assert_eq!(
        fts_query("How do I run the tests? (NEAR \"x\" OR y*)").as_deref(),
        Some("\"run\" OR \"tests\" OR \"near\" OR \"x\" OR \"y\"")
    );
    assert_eq!(fts_query("the of and ?!"), None);
    assert_eq!(fts_query(""), None);
    let many: String = (0..100).map(|i| format!("w{i} ")).collect();
    assert_eq!(
        fts_query(&many).unwrap().matches(" OR ").count(),
        MAX_QUERY_TERMS_FOR_TEST - 1
    );
}

const MAX_QUERY_TERMS_FOR_TEST: usize = super::entry_search::MAX_QUERY_TERMS;

#[tokio::test]
async fn stemming_finds_other_forms_and_bm25_ranks_the_closer_entry_first() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    store
        .update_entry_index(
            ROOT,
            &[update(
                "MEMORY.md",
                vec![
                    entry(
                        3,
                        "",
                        "Deploys",
                        "Deployment happens on Fridays after the freeze.",
                    ),
                    entry(
                        9,
                        "",
                        "Testing",
                        "Tests run with `just test`; the tested crate is ledger.",
                    ),
                    entry(15, "", "Formatting", "Run rustfmt before committing."),
                ],
            )],
            &[],
        )
        .await
        .unwrap();
    let hits = store
        .search_entries(&search("how are tests run", None))
        .await
        .unwrap();
    assert_eq!(hit_titles(&hits), vec!["Testing", "Formatting"]);
    assert_eq!(hits[0].path, "MEMORY.md");
    assert_eq!(hits[0].line, 9);
    assert!(hits[0].snippet.contains("just test"), "{}", hits[0].snippet);
    let hits = store
        .search_entries(&search("deploying", None))
        .await
        .unwrap();
    assert_eq!(hit_titles(&hits), vec!["Deploys"]);
}

#[tokio::test]
async fn scopes_and_kinds_limit_the_hits() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    let mut raw = entry(1, "ledger-1", "raw", "uv installs dependencies");
    raw.kind = EntryKind::RawMemory;
    store
        .update_entry_index(
            ROOT,
            &[
                update(
                    "MEMORY.md",
                    vec![entry(1, "", "global", "use uv everywhere")],
                ),
                update(
                    "projects/ledger-1/MEMORY.md",
                    vec![entry(1, "ledger-1", "ledger", "uv sync before tests")],
                ),
                update(
                    "projects/billing-2/MEMORY.md",
                    vec![entry(1, "billing-2", "billing", "poetry, not uv")],
                ),
                update("raw_memories.md", vec![raw]),
            ],
            &[],
        )
        .await
        .unwrap();
    let mut titles = hit_titles(
        &store
            .search_entries(&search("uv", Some(&["", "ledger-1"])))
            .await
            .unwrap(),
    )
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    titles.sort();
    assert_eq!(titles, vec!["global", "ledger", "raw"]);
    let mut only_memory = search("uv", None);
    only_memory.kinds = Some(vec![EntryKind::RawMemory]);
    assert_eq!(
        hit_titles(&store.search_entries(&only_memory).await.unwrap()),
        vec!["raw"]
    );
    assert_eq!(
        store
            .search_entries(&search("uv", None))
            .await
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn a_changed_file_replaces_its_entries_and_a_removed_one_takes_them_away() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    store
        .update_entry_index(
            ROOT,
            &[
                update("MEMORY.md", vec![entry(1, "", "old", "pnpm workspace")]),
                update(
                    "rollout_summaries/a.md",
                    vec![entry(1, "", "a", "pnpm install")],
                ),
            ],
            &[],
        )
        .await
        .unwrap();
    let report = store
        .update_entry_index(
            ROOT,
            &[
                update("MEMORY.md", vec![entry(1, "", "new", "yarn workspace")]),
                FileUpdate {
                    file: file("notes/n.md", "h"),
                    entries: None,
                },
            ],
            &["rollout_summaries/a.md".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(
        report,
        IndexUpdateReport {
            reset: false,
            files_reindexed: 1,
            files_touched: 1,
            files_removed: 1,
            entries_written: 1,
        }
    );
    assert!(
        store
            .search_entries(&search("pnpm", None))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        hit_titles(&store.search_entries(&search("yarn", None)).await.unwrap()),
        vec!["new"]
    );
    let paths: Vec<String> = store
        .indexed_files()
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert_eq!(paths, vec!["MEMORY.md", "notes/n.md"]);
}

#[tokio::test]
async fn another_root_starts_the_index_afresh() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    store
        .update_entry_index(
            ROOT,
            &[update("MEMORY.md", vec![entry(1, "", "a", "alpha")])],
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store.entry_index_root().await.unwrap().as_deref(),
        Some(ROOT)
    );
    let report = store
        .update_entry_index("/elsewhere/memories", &[], &[])
        .await
        .unwrap();
    assert!(report.reset);
    assert!(store.indexed_files().await.unwrap().is_empty());
    assert!(
        store
            .search_entries(&search("alpha", None))
            .await
            .unwrap()
            .is_empty()
    );
    store.clear_entry_index().await.unwrap();
    assert_eq!(store.entry_index_root().await.unwrap(), None);
}

#[tokio::test]
async fn a_forgotten_text_leaves_no_token_in_the_database_file() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    let secret_word = "zanzibarquokka";
    store
        .update_entry_index(
            ROOT,
            &[update(
                "raw_memories.md",
                vec![entry(1, "", "t", secret_word)],
            )],
            &[],
        )
        .await
        .unwrap();
    store
        .update_entry_index(ROOT, &[], &["raw_memories.md".to_string()])
        .await
        .unwrap();
    store.compact_entry_index().await.unwrap();
    store.scrub_deleted_text().await.unwrap();
    let bytes = std::fs::read(store.path()).unwrap();
    assert!(
        !bytes
            .windows(secret_word.len())
            .any(|w| w == secret_word.as_bytes()),
        "the forgotten word is still in {}",
        store.path().display()
    );
}

#[test]
fn filler_words_of_a_question_are_not_search_terms() {
    // "anything", "else" and the "m" of "I'm" match almost every session record ("nothing else
    // changed"); they must not decide the ranking.
    assert_eq!(
        fts_query("I'm about to commit; anything else to run first?").as_deref(),
        Some("\"commit\" OR \"run\" OR \"first\"")
    );
}

fn kind_entry(kind: EntryKind, title: &str, body: &str, thread: Option<&str>) -> IndexedEntry {
    IndexedEntry {
        kind,
        thread_id: thread.map(str::to_string),
        ..entry(1, "", title, body)
    }
}

#[tokio::test]
async fn a_consolidated_entry_ranks_above_session_records_that_match_more_words() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    store
        .update_entry_index(
            ROOT,
            &[
                update(
                    "raw_memories.md",
                    vec![kind_entry(
                        EntryKind::RawMemory,
                        "lint config",
                        "ran the linter config check; the linter config is strict",
                        Some("t-raw"),
                    )],
                ),
                update(
                    "rollout_summaries/x.md",
                    vec![kind_entry(
                        EntryKind::RolloutSummary,
                        "lint config",
                        "Request: fix the linter config. Commands run: linter config check",
                        Some("t-summary"),
                    )],
                ),
                update(
                    "MEMORY.md",
                    vec![entry(
                        5,
                        "",
                        "Linting",
                        "The linter config lives in ruff.toml; never relax it.",
                    )],
                ),
            ],
            &[],
        )
        .await
        .unwrap();
    let hits = store
        .search_entries(&search("linter config", None))
        .await
        .unwrap();
    assert_eq!(
        hit_titles(&hits),
        vec!["Linting", "lint config", "lint config"]
    );
    assert_eq!(hits[0].kind, EntryKind::Memory);
}

#[tokio::test]
async fn hits_of_one_session_collapse_into_its_best_entry() {
    let fixture = Fixture::new().await;
    let store = &fixture.store;
    let session = Some("019df1d4-0000-7000-8000-000000000001");
    let mut consolidated = kind_entry(
        EntryKind::Memory,
        "Package manager",
        "Dependencies are managed with uv, never pip.\nsource: rollout_summaries/a.md",
        session,
    );
    consolidated.line = 3;
    store
        .update_entry_index(
            ROOT,
            &[
                update(
                    "raw_memories.md",
                    vec![kind_entry(
                        EntryKind::RawMemory,
                        "add httpx",
                        "- user preference: \"manage dependencies with uv, never pip\"",
                        session,
                    )],
                ),
                update(
                    "rollout_summaries/a.md",
                    vec![kind_entry(
                        EntryKind::RolloutSummary,
                        "add httpx",
                        "Later user messages:\n- manage dependencies with uv, never pip",
                        session,
                    )],
                ),
                update("MEMORY.md", vec![consolidated]),
                update(
                    "rollout_summaries/b.md",
                    vec![kind_entry(
                        EntryKind::RolloutSummary,
                        "bump dependencies",
                        "Updated the dependencies of reports.",
                        Some("019df1d4-0000-7000-8000-000000000002"),
                    )],
                ),
            ],
            &[],
        )
        .await
        .unwrap();
    let hits = store
        .search_entries(&search("dependencies manager", None))
        .await
        .unwrap();
    let found: Vec<(&str, i64)> = hits
        .iter()
        .map(|hit| (hit.path.as_str(), hit.line))
        .collect();
    assert_eq!(found, vec![("MEMORY.md", 3), ("rollout_summaries/b.md", 1)]);
    // Entries without a session never collapse.
    let hits = store.search_entries(&search("uv", None)).await.unwrap();
    assert_eq!(hits.len(), 1);
}
