use std::path::{Path, PathBuf};
use std::process::Command;

use pretty_assertions::assert_eq;

use super::*;
use crate::scope::slug::MAX_SLUG_BYTES;

const LEDGER: &str = "github.com/acme/ledger";

#[test]
fn every_form_of_an_origin_url_names_one_project() {
    for url in [
        "git@github.com:acme/ledger.git",
        "git@github.com:acme/ledger",
        "github.com:acme/ledger.git/",
        "https://github.com/acme/ledger",
        "https://github.com/acme/ledger.git",
        "https://github.com/acme/ledger/",
        "https://user:token@github.com/acme/ledger",
        "https://ghp_abc123@GitHub.COM/Acme/Ledger.git",
        "HTTPS://github.com//acme/ledger//",
        "http://github.com:80/acme/ledger?ref=main#readme",
        "ssh://git@github.com:22/acme/ledger.git",
        "ssh://git@github.com/acme/ledger.git",
        "git+ssh://git@github.com/acme/ledger",
        "git://github.com/acme/ledger.git",
        "  https://github.com/acme/ledger.git\n",
    ] {
        assert_eq!(normalize_origin(url).as_deref(), Some(LEDGER), "{url}");
    }
}

#[test]
fn hosts_with_case_sensitive_paths_keep_the_path_case() {
    assert_eq!(
        normalize_origin("git@Git.Example.COM:Team/Tool.git").as_deref(),
        Some("git.example.com/Team/Tool")
    );
    assert_eq!(
        normalize_origin("https://gitlab.com/Group/Sub/Repo.git").as_deref(),
        Some("gitlab.com/group/sub/repo")
    );
}

#[test]
fn azure_devops_ssh_and_https_are_one_project() {
    let https = normalize_origin("https://org@dev.azure.com/org/proj/_git/repo");
    assert_eq!(https.as_deref(), Some("dev.azure.com/org/proj/_git/repo"));
    assert_eq!(
        normalize_origin("git@ssh.dev.azure.com:v3/org/proj/repo"),
        https
    );
}

#[test]
fn local_remotes_key_by_path_and_relative_or_blank_ones_name_nothing() {
    assert_eq!(
        normalize_origin("/srv/git/ledger.git").as_deref(),
        Some("/srv/git/ledger")
    );
    assert_eq!(
        normalize_origin("file:///srv/git/ledger.git/").as_deref(),
        Some("/srv/git/ledger")
    );
    for url in [
        "",
        "   ",
        "../ledger.git",
        "./ledger",
        "ledger",
        "https://",
        "git@:x",
    ] {
        assert_eq!(normalize_origin(url), None, "{url:?}");
    }
}

#[test]
fn a_credential_in_a_url_never_reaches_the_key() {
    let key = normalize_origin("https://oauth2:glpat-SECRETSECRET@gitlab.example.com/a/b.git");
    assert_eq!(key.as_deref(), Some("gitlab.example.com/a/b"));
}

#[test]
fn slugs_are_readable_stable_and_tell_similar_keys_apart() {
    let ledger = project_slug(LEDGER);
    assert!(ledger.starts_with("acme-ledger-"), "{ledger}");
    assert_eq!(ledger, project_slug(LEDGER));
    // Fixed forever: the folder of a project must not move between builds.
    assert_eq!(ledger, "acme-ledger-g0puclqk");
    let others = [
        project_slug("gitlab.com/acme/ledger"),
        project_slug("github.com/acme-ledger"),
        project_slug("github.com/acme/Ledger"),
        project_slug("/home/me/ledger"),
    ];
    for other in &others {
        assert_ne!(other, &ledger);
    }
    assert!(others[3].starts_with("ledger-"), "{}", others[3]);
    assert!(project_slug("/").starts_with("project-"));
    let long = project_slug(&format!("github.com/acme/{}", "x".repeat(200)));
    assert!(long.len() <= MAX_SLUG_BYTES + 9, "{long}");
    let odd = project_slug("/home/me/Ünïcode proj (copy)");
    assert!(
        odd.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)),
        "{odd}"
    );
}

#[test]
fn a_recorded_origin_decides_the_project() {
    assert_eq!(
        session_scope(
            "/nowhere/ledger/src",
            Some("git@github.com:acme/ledger.git")
        ),
        project(LEDGER)
    );
}

#[test]
fn a_session_without_a_folder_is_global() {
    assert_eq!(session_scope("", None), Scope::Global);
    assert_eq!(session_scope("  ", Some("")), Scope::Global);
}

#[test]
fn a_folder_outside_any_repository_is_its_own_project() {
    let home = tempfile::tempdir().unwrap();
    let scratch = home.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    let expected = project(&scratch.display().to_string());
    assert_eq!(folder_scope(&scratch), expected);
    assert_eq!(folder_scope(&home.path().join("scratch/./")), expected);
    // The session's folder may be gone by now: its path is still its key.
    let gone = home.path().join("gone/sub");
    assert_eq!(
        session_scope(&gone.display().to_string(), None),
        project(&gone.display().to_string())
    );
}

#[test]
fn a_repository_without_origin_keys_by_its_top_level_from_any_subfolder() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("ledger");
    init_repo(&repo, None);
    let deep = repo.join("src/app");
    std::fs::create_dir_all(&deep).unwrap();
    let expected = project(&repo.display().to_string());
    assert_eq!(folder_scope(&deep), expected);
    assert_eq!(folder_scope(&repo), expected);
    assert_eq!(session_scope(&deep.display().to_string(), None), expected);
}

#[test]
fn a_repository_with_origin_keys_by_it_when_the_session_recorded_none() {
    let home = tempfile::tempdir().unwrap();
    let repo = home.path().join("checkout");
    init_repo(&repo, Some("https://github.com/acme/ledger.git"));
    std::fs::create_dir_all(repo.join("docs")).unwrap();
    assert_eq!(folder_scope(&repo.join("docs")), project(LEDGER));
    assert_eq!(
        session_scope(&repo.join("docs").display().to_string(), None),
        project(LEDGER)
    );
}

#[test]
fn the_innermost_of_nested_repositories_wins() {
    let home = tempfile::tempdir().unwrap();
    let outer = home.path().join("outer");
    init_repo(&outer, Some("git@github.com:acme/outer.git"));
    let inner = outer.join("vendor/inner");
    init_repo(&inner, None);
    std::fs::create_dir_all(inner.join("lib")).unwrap();
    assert_eq!(
        folder_scope(&inner.join("lib")),
        project(&inner.display().to_string())
    );
    std::fs::create_dir_all(outer.join("vendor/other")).unwrap();
    assert_eq!(
        folder_scope(&outer.join("vendor/other")),
        project("github.com/acme/outer")
    );
}

#[test]
fn a_linked_worktree_belongs_to_its_main_repository() {
    // The layout `git worktree add` writes: a `.git` file naming a folder under the main
    // repository's `.git/worktrees/`, whose `commondir` leads back to the main `.git`.
    let home = tempfile::tempdir().unwrap();
    let main = home.path().join("ledger");
    init_repo(&main, None);
    let admin = main.join(".git/worktrees/feature");
    std::fs::create_dir_all(&admin).unwrap();
    std::fs::write(admin.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
    std::fs::write(admin.join("commondir"), "../..\n").unwrap();
    let linked = home.path().join("ledger-feature");
    std::fs::create_dir_all(linked.join("src")).unwrap();
    std::fs::write(
        linked.join(".git"),
        format!("gitdir: {}\n", admin.display()),
    )
    .unwrap();
    assert_eq!(
        folder_scope(&linked.join("src")),
        project(&main.display().to_string())
    );
    // With an origin in the main repository's config, the worktree has it too.
    add_origin(&main, "git@github.com:acme/ledger.git");
    assert_eq!(folder_scope(&linked), project(LEDGER));
}

#[test]
fn a_worktree_made_by_the_git_cli_belongs_to_its_main_repository() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: the git CLI is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let main = home.path().join("main");
    std::fs::create_dir_all(&main).unwrap();
    git(&main, &["init", "-q"]);
    git(
        &main,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "one",
        ],
    );
    let linked = home.path().join("linked");
    git(
        &main,
        &["worktree", "add", "-q", &linked.display().to_string()],
    );
    assert_eq!(folder_scope(&linked), project(&main.display().to_string()));
}

#[test]
fn a_submodule_is_its_own_project() {
    let home = tempfile::tempdir().unwrap();
    let parent = home.path().join("app");
    init_repo(&parent, Some("git@github.com:acme/app.git"));
    // `.git` file of a submodule: its git folder lives in the parent's `.git/modules/`.
    let modules = parent.join(".git/modules/lib");
    init_bare_like(&modules, Some("git@github.com:acme/lib.git"));
    let sub = parent.join("lib");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join(".git"), "gitdir: ../.git/modules/lib\n").unwrap();
    assert_eq!(folder_scope(&sub), project("github.com/acme/lib"));
}

#[test]
fn a_broken_dot_git_is_not_a_repository() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("odd");
    std::fs::create_dir_all(folder.join(".git")).unwrap(); // no HEAD
    std::fs::create_dir_all(home.path().join("dangling")).unwrap();
    std::fs::write(home.path().join("dangling/.git"), "gitdir: /no/such/dir\n").unwrap();
    assert_eq!(
        folder_scope(&folder),
        project(&folder.display().to_string())
    );
    let dangling = home.path().join("dangling");
    assert_eq!(
        folder_scope(&dangling),
        project(&dangling.display().to_string())
    );
}

#[test]
fn scopes_read_back_from_their_header_value() {
    for scope in [Scope::Global, project(LEDGER), project("/home/me/x")] {
        assert_eq!(Scope::from_header_value(scope.header_value()), scope);
    }
}

fn project(key: &str) -> Scope {
    Scope::Project(ProjectKey::parse(key).unwrap())
}

/// A real repository (gix) at `folder`, with `origin` set when given.
fn init_repo(folder: &Path, origin: Option<&str>) {
    std::fs::create_dir_all(folder).unwrap();
    gix::ThreadSafeRepository::init_opts(
        folder,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .unwrap();
    if let Some(url) = origin {
        add_origin(folder, url);
    }
}

/// A git folder without worktree (as in `.git/modules/<name>`), with `origin` when given.
fn init_bare_like(git_dir: &Path, origin: Option<&str>) {
    std::fs::create_dir_all(git_dir).unwrap();
    gix::ThreadSafeRepository::init_opts(
        git_dir,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .unwrap();
    if let Some(url) = origin {
        append_origin(&git_dir.join("config"), url);
    }
}

fn add_origin(repo: &Path, url: &str) {
    append_origin(&repo.join(".git/config"), url);
}

fn append_origin(config: &PathBuf, url: &str) {
    let mut text = std::fs::read_to_string(config).unwrap();
    text.push_str(&format!(
        "[remote \"origin\"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
    ));
    std::fs::write(config, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
