//! `search` on a real home: ranked hits limited to a project and global scope, `--all`, `--cwd`
//! inside a real repository, `--exact`, and an index that follows the folder's edits.

#![allow(clippy::unwrap_used)]

mod controls_common;

use std::path::Path;

use codex_memories::project_slug;
use controls_common::{run, run_json, run_ok};
use pretty_assertions::assert_eq;
use serde_json::Value;

const LEDGER: &str = "github.com/acme/ledger";
const BILLING: &str = "github.com/acme/billing";

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A home whose memory folder holds global, ledger and billing memories about tests.
fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    write(
        &root,
        "MEMORY.md",
        "# Memory\n\n### Commits\n\nThe user wants tests run before every commit.\n\n\
         ### Editor\n\nThe user edits in neovim.\n",
    );
    write(
        &root,
        &format!("projects/{}/MEMORY.md", project_slug(LEDGER)),
        "# github.com/acme/ledger\n\n### Running the test suite\n\nTests run with `just test`; \
         plain `cargo test` misses the fixtures.\n",
    );
    write(
        &root,
        &format!("projects/{}/MEMORY.md", project_slug(BILLING)),
        "# github.com/acme/billing\n\n### Running the test suite\n\nTests run with `make \
         check`.\n",
    );
    write(
        &root,
        "rollout_summaries/2026-05-05T16-53-20-Ab12-fixtures.md",
        &format!(
            "thread_id: 019df1d4-69b8-78f7-9da1-494c73cf256d\nupdated_at: \
             2026-05-05T16:53:20Z\nrollout_path: /h/r.jsonl\nproject: {LEDGER}\ncwd: \
             /w/ledger\n\nDownloaded the test fixtures with `just fixtures`.\n"
        ),
    );
    home
}

fn hits(report: &Value) -> Vec<(String, String)> {
    report["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            (
                hit["path"].as_str().unwrap().to_string(),
                hit["project"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_project_search_ranks_its_answer_first_and_never_shows_another_project() {
    let home = home();
    let report = run_json(
        home.path(),
        &[
            "search",
            "how",
            "do",
            "I",
            "run",
            "the",
            "tests",
            "--project",
            LEDGER,
            "--json",
        ],
    );
    let found = hits(&report);
    assert_eq!(
        found[0],
        (
            format!("projects/{}/MEMORY.md", project_slug(LEDGER)),
            LEDGER.to_string()
        )
    );
    assert!(
        found.iter().all(|(_, project)| project != BILLING),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(path, _)| path == "MEMORY.md"),
        "{found:?}"
    );
    let first = &report["hits"][0];
    assert_eq!(first["kind"], "memory");
    assert_eq!(first["line"], 3);
    assert_eq!(first["title"], "Running the test suite");
    assert!(first["snippet"].as_str().unwrap().contains("just test"));

    let all = hits(&run_json(
        home.path(),
        &["search", "make check", "--all", "--json"],
    ));
    assert_eq!(all[0].1, BILLING);
}

#[test]
fn cwd_inside_a_repository_searches_that_repositorys_project() {
    let home = home();
    let repo = home.path().join("work/ledger");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(
        repo.join(".git/config"),
        "[remote \"origin\"]\n\turl = git@github.com:acme/ledger.git\n",
    )
    .unwrap();
    std::fs::create_dir_all(repo.join("src")).unwrap();
    let cwd = repo.join("src").display().to_string();
    let found = hits(&run_json(
        home.path(),
        &["search", "test suite", "--cwd", &cwd, "--json"],
    ));
    assert_eq!(found[0].1, LEDGER);
    assert!(
        found.iter().all(|(_, project)| project != BILLING),
        "{found:?}"
    );
    let text = run_ok(home.path(), &["search", "test suite", "--cwd", &cwd]);
    assert!(
        text.starts_with(&format!(
            "1. projects/{}/MEMORY.md:3  [memory · {LEDGER}]\n   Running the test suite\n",
            project_slug(LEDGER)
        )),
        "{text}"
    );
}

#[test]
fn the_index_follows_edits_and_deletions_of_the_folder() {
    let home = home();
    let root = home.path().join("memories");
    let search = |words: &str| {
        hits(&run_json(
            home.path(),
            &["search", words, "--all", "--json"],
        ))
    };
    assert_eq!(search("neovim").len(), 1);
    write(
        &root,
        "MEMORY.md",
        "# Memory\n\n### Editor\n\nThe user edits in helix now.\n",
    );
    assert_eq!(search("neovim"), Vec::<(String, String)>::new());
    assert_eq!(search("helix").len(), 1);
    std::fs::remove_file(root.join("rollout_summaries/2026-05-05T16-53-20-Ab12-fixtures.md"))
        .unwrap();
    assert_eq!(search("fixtures downloaded").len(), 1); // ledger's MEMORY.md still names them
    assert!(
        search("fixtures downloaded")
            .iter()
            .all(|(path, _)| !path.starts_with("rollout_summaries/"))
    );
}

#[test]
fn exact_mode_prints_matching_lines_in_file_order() {
    let home = home();
    let text = run_ok(home.path(), &["search", "--exact", "Tests run with"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines.iter().all(|line| line.contains(":5: Tests run with")),
        "{text}"
    );
}

#[test]
fn no_hit_says_where_it_looked_and_how_to_widen() {
    let home = home();
    let output = run(home.path(), &["search", "kubernetes", "--project", LEDGER]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no memory matches"), "{stderr}");
    assert!(stderr.contains("--all"), "{stderr}");
    let usage = run(home.path(), &["search", "x", "--all", "--project", LEDGER]);
    assert_eq!(usage.status.code(), Some(2));
}
