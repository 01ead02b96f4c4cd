use std::path::Path;
use std::sync::Arc;

use codex_state::{Homes, ManualClock, StateRuntime};
use pretty_assertions::assert_eq;

use super::*;
use crate::memory_tools::{self, MatchMode, SearchQuery};
use crate::scope::project_slug;

const LEDGER: &str = "github.com/acme/ledger";
const BILLING: &str = "github.com/acme/billing";

struct Home {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: MemoryStore,
}

async fn home() -> Home {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at_unix_seconds(1_778_000_000));
    let runtime = StateRuntime::open_with_clock(Homes::under_codex_home(dir.path()), clock)
        .await
        .unwrap();
    let store = MemoryStore::open(&runtime).await.unwrap();
    let root = dir.path().join("memories");
    std::fs::create_dir_all(&root).unwrap();
    Home {
        _dir: dir,
        root,
        store,
    }
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn summary_file(project: &str, body: &str) -> String {
    format!(
        "thread_id: 019df1d4-69b8-78f7-9da1-494c73cf256d\nupdated_at: 2026-05-05T16:53:20Z\nrollout_path: /h/r.jsonl\nproject: {project}\ncwd: /w\n\n{body}\n"
    )
}

fn query(text: &str, scope: SearchScope) -> RankedQuery {
    RankedQuery {
        text: text.to_string(),
        scope,
        kinds: None,
        limit: 10,
    }
}

fn paths(hits: &[RankedHit]) -> Vec<&str> {
    hits.iter().map(|hit| hit.path.as_str()).collect()
}

fn ledger() -> SearchScope {
    SearchScope::project(&ProjectKey::parse(LEDGER).unwrap())
}

#[tokio::test]
async fn a_sync_indexes_the_folder_and_an_unchanged_folder_writes_nothing() {
    let home = home().await;
    write(
        &home.root,
        "MEMORY.md",
        "# Memory\n\n### Shell\n\nThe user works in fish.\n",
    );
    write(
        &home.root,
        "rollout_summaries/2026-05-05T16-53-20-Ab12-lock_deps.md",
        &summary_file(LEDGER, "Ran `uv lock` to pin dependencies."),
    );
    write(&home.root, "phase2_workspace_diff.md", "uv fish\n");
    let first = sync_index(&home.store, &home.root).await.unwrap();
    assert_eq!(first.files_seen, 2);
    assert!(first.update.reset);
    assert_eq!(first.update.entries_written, 2);
    let again = sync_index(&home.store, &home.root).await.unwrap();
    // Files just written fall in the racy window: re-hashed, not re-cut.
    assert_eq!(again.update.entries_written, 0);
    assert_eq!(again.update.files_reindexed, 0);
    let hits = search_synced(&home.store, &query("dependency pinning", SearchScope::All))
        .await
        .unwrap();
    assert_eq!(
        paths(&hits),
        vec!["rollout_summaries/2026-05-05T16-53-20-Ab12-lock_deps.md"]
    );
    assert_eq!(hits[0].project, LEDGER);
    assert_eq!(
        hits[0].project_slug.as_deref(),
        Some(project_slug(LEDGER).as_str())
    );
    assert_eq!(hits[0].kind, EntryKind::RolloutSummary);
    assert_eq!(hits[0].line, 7);
}

#[tokio::test]
async fn edits_and_deletions_reach_the_index_on_the_next_search() {
    let home = home().await;
    write(
        &home.root,
        "MEMORY.md",
        "### Package manager\n\nUse pnpm.\n",
    );
    write(
        &home.root,
        "extensions/ad_hoc/notes/n.md",
        "# Note\n\npnpm store lives in /cache\n",
    );
    let scope = SearchScope::All;
    assert_eq!(
        ranked_search(&home.store, &home.root, &query("pnpm", scope.clone()))
            .await
            .unwrap()
            .len(),
        2
    );
    write(
        &home.root,
        "MEMORY.md",
        "### Package manager\n\nUse yarn berry.\n",
    );
    std::fs::remove_file(home.root.join("extensions/ad_hoc/notes/n.md")).unwrap();
    assert!(
        ranked_search(&home.store, &home.root, &query("pnpm", scope.clone()))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        paths(
            &ranked_search(&home.store, &home.root, &query("yarn", scope))
                .await
                .unwrap()
        ),
        vec!["MEMORY.md"]
    );
}

#[tokio::test]
async fn a_project_search_sees_global_and_its_own_entries_only() {
    let home = home().await;
    write(
        &home.root,
        "MEMORY.md",
        "### Tests\n\nAlways run tests before committing.\n",
    );
    let ledger_slug = project_slug(LEDGER);
    let billing_slug = project_slug(BILLING);
    write(
        &home.root,
        &format!("projects/{ledger_slug}/MEMORY.md"),
        "### Tests\n\nRun tests with `just test`.\n",
    );
    write(
        &home.root,
        &format!("projects/{billing_slug}/MEMORY.md"),
        "### Tests\n\nRun tests with `make check`.\n",
    );
    write(
        &home.root,
        "rollout_summaries/2026-05-05T16-53-20-Ab12-tests.md",
        &summary_file(LEDGER, "ran the tests"),
    );
    let hits = ranked_search(&home.store, &home.root, &query("run the tests", ledger()))
        .await
        .unwrap();
    let mut found = paths(&hits);
    found.sort();
    assert_eq!(
        found,
        vec![
            "MEMORY.md".to_string(),
            format!("projects/{ledger_slug}/MEMORY.md"),
            "rollout_summaries/2026-05-05T16-53-20-Ab12-tests.md".to_string(),
        ]
    );
    // The project folder's entry takes its key from the summary of the same project.
    let own = hits
        .iter()
        .find(|hit| hit.path.starts_with("projects/"))
        .unwrap();
    assert_eq!(own.project, LEDGER);
    let all = ranked_search(
        &home.store,
        &home.root,
        &query("make check", SearchScope::All),
    )
    .await
    .unwrap();
    assert_eq!(all[0].project, format!("projects/{billing_slug}"));
    let global = ranked_search(
        &home.store,
        &home.root,
        &query("tests", SearchScope::Global),
    )
    .await
    .unwrap();
    assert_eq!(paths(&global), vec!["MEMORY.md"]);
}

#[tokio::test]
async fn ranking_puts_the_answer_first_where_substring_search_does_not() {
    let home = home().await;
    write(
        &home.root,
        "MEMORY.md",
        "# Memory\n\n\
         ### Release notes\n\nThe release script runs from CI; never run it by hand.\n\n\
         ### Editor\n\nThe user runs neovim and wants tests in a split.\n\n\
         ### Running the test suite\n\nTests are run with `just test`; `cargo test` misses the \
         fixtures. Testing needs the fixtures downloaded first.\n",
    );
    let question = "how do I run the tests";
    // Substring search (today's mode, and Codex's) over the words of the question.
    let words: Vec<String> = vec!["run".into(), "tests".into()];
    let substring = memory_tools::search(
        &home.root,
        &SearchQuery {
            queries: words,
            match_mode: MatchMode::Any,
            ..SearchQuery::default()
        },
    )
    .unwrap();
    let first_substring = &substring.matches[0].text;
    assert!(
        !first_substring.contains("just test"),
        "substring search already puts the answer first: {first_substring}"
    );
    let ranked = ranked_search(&home.store, &home.root, &query(question, SearchScope::All))
        .await
        .unwrap();
    assert_eq!(ranked[0].title, "Running the test suite");
    assert!(ranked[0].text.contains("just test"));
    // The whole question as one substring finds nothing at all.
    let whole = memory_tools::search(
        &home.root,
        &SearchQuery {
            queries: vec![question.to_string()],
            ..SearchQuery::default()
        },
    )
    .unwrap();
    assert!(whole.matches.is_empty());
}

#[tokio::test]
async fn another_memory_root_replaces_the_index() {
    let home = home().await;
    write(&home.root, "MEMORY.md", "### A\n\nalpha\n");
    sync_index(&home.store, &home.root).await.unwrap();
    let other = home.root.parent().unwrap().join("other-memories");
    write(&other, "MEMORY.md", "### B\n\nbeta\n");
    let report = sync_index(&home.store, &other).await.unwrap();
    assert!(report.update.reset);
    assert!(
        search_synced(&home.store, &query("alpha", SearchScope::All))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn symlinks_and_unrelated_files_are_not_indexed() {
    let home = home().await;
    let outside = home.root.parent().unwrap().join("outside.md");
    std::fs::write(&outside, "### Secret\n\nzebra\n").unwrap();
    std::os::unix::fs::symlink(&outside, home.root.join("MEMORY.md")).unwrap();
    write(&home.root, "notes.md", "### X\n\nzebra\n");
    write(&home.root, "rollout_summaries/deep/x.md", "zebra\n");
    let report = sync_index(&home.store, &home.root).await.unwrap();
    assert_eq!(report.files_seen, 0);
}

#[tokio::test]
async fn a_consolidated_entry_of_one_session_collapses_with_that_sessions_records() {
    let home = home().await;
    let thread = "019df1d4-69b8-78f7-9da1-494c73cf256d";
    let summary = "rollout_summaries/2026-05-05T16-53-20-Ab12-add_httpx.md";
    write(
        &home.root,
        summary,
        &summary_file(
            LEDGER,
            "Request: add httpx.\n\nLater user messages:\n- Manage dependencies with uv, never pip.",
        ),
    );
    write(
        &home.root,
        "raw_memories.md",
        &format!(
            "# Raw memories\n\n## Thread `{thread}`\nproject: {LEDGER}\nrollout_summary_file: {}\n\n\
             - request: add httpx\n- user preference: \"manage dependencies with uv, never pip\"\n",
            summary.trim_start_matches("rollout_summaries/")
        ),
    );
    write(
        &home.root,
        &format!("projects/{}/MEMORY.md", project_slug(LEDGER)),
        &format!(
            "# {LEDGER}\n\n### Dependencies\n\nsource: {summary}\n\nDependencies are managed \
             with uv, never pip.\n\n### Release\n\nsource: rollout_summaries/other.md\n\n\
             Releases are cut on Fridays.\n"
        ),
    );
    let hits = ranked_search(
        &home.store,
        &home.root,
        &query("manage dependencies with uv", ledger()),
    )
    .await
    .unwrap();
    let found: Vec<(&str, Option<&str>)> = hits
        .iter()
        .map(|hit| (hit.title.as_str(), hit.thread_id.as_deref()))
        .collect();
    assert_eq!(found, vec![("Dependencies", Some(thread))]);
    assert_eq!(hits[0].kind, EntryKind::Memory);
}

#[test]
fn only_an_entry_citing_one_summary_has_a_sole_source() {
    use super::sources::sole_source;
    assert_eq!(
        sole_source("x\nsource: rollout_summaries/a.md, rollout_summaries/a.md\n").as_deref(),
        Some("rollout_summaries/a.md")
    );
    assert_eq!(
        sole_source(
            "said in a (2026-12-05), source: rollout_summaries/a.md\nsaid in b, source: rollout_summaries/b.md"
        ),
        None
    );
    // A path outside rollout_summaries/ (or deeper in it) is no source.
    assert_eq!(sole_source("source: rollout_summaries/../MEMORY.md"), None);
    assert_eq!(sole_source("see rollout_summaries/a.md"), None);
}
