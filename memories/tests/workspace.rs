//! The memory workspace against real repositories in temporary folders: creation and recovery,
//! what the diff sees, that scanning writes nothing, and that a baseline reset keeps one commit
//! and no trace of deleted text. Checks with the git CLI run only when `git` is installed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use codex_memories::workspace::{
    ChangeKind, DIFF_FILE_NAME, FileChange, FileMode, MemoryWorkspace, PrepareReport, WorkspaceDiff,
};
use pretty_assertions::assert_eq;

fn write(root: &Path, path: &str, content: &str) {
    let full = root.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

#[cfg(unix)]
fn set_executable(root: &Path, path: &str, executable: bool) {
    use std::os::unix::fs::PermissionsExt;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A prepared workspace holding `MEMORY.md` and `skills/a/SKILL.md`.
fn prepared() -> (tempfile::TempDir, MemoryWorkspace) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    write(
        &root,
        "MEMORY.md",
        "# Memory\n\none\ntwo\nthree\nfour\nfive\nsix\nseven\n",
    );
    write(&root, "skills/a/SKILL.md", "skill a\n");
    let (workspace, _) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    (dir, workspace)
}

/// Every file under `dir` with its size, relative paths.
fn files_under(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let entry = entry.unwrap();
            let metadata = entry.metadata().unwrap();
            if metadata.is_dir() {
                pending.push(entry.path());
            } else {
                let relative = entry.path().strip_prefix(dir).unwrap().to_path_buf();
                files.insert(relative, metadata.len());
            }
        }
    }
    files
}

fn git_installed() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// [`prepared`], or `None` (saying the test is skipped) when the git CLI is not installed.
fn prepared_for_git_cli() -> Option<(tempfile::TempDir, MemoryWorkspace)> {
    if !git_installed() {
        eprintln!("skipped: the git CLI is not installed");
        return None;
    }
    Some(prepared())
}

/// Runs the git CLI with `args` in `root`, failing on a non-zero exit; returns its stdout.
fn git_ok(root: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn prepare_creates_a_missing_folder_with_a_baseline_commit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    let (workspace, report) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    assert_eq!(
        report,
        PrepareReport {
            initialized: true,
            recovered: None,
            moved_aside: None
        }
    );
    assert!(root.join(".git").is_dir());
    let baseline = workspace.baseline().unwrap().expect("a baseline commit");
    assert_eq!(baseline.commit.len(), 40);
    assert!(workspace.diff().unwrap().is_empty());
}

#[test]
fn prepare_commits_the_files_already_there_and_keeps_a_usable_repository() {
    let (_dir, workspace) = prepared();
    assert_eq!(workspace.diff().unwrap(), WorkspaceDiff::default());
    let before = workspace.baseline().unwrap();
    let (again, report) = MemoryWorkspace::prepare(workspace.root(), chrono::Utc::now()).unwrap();
    assert_eq!(report, PrepareReport::default());
    assert_eq!(again.baseline().unwrap(), before);
}

#[test]
fn the_baseline_commit_uses_the_workspace_signature_not_the_users() {
    let (_dir, workspace) = prepared();
    let repo = gix::open_opts(workspace.root(), gix::open::Options::isolated()).unwrap();
    let commit = repo.head_commit().unwrap();
    let author = commit.author().unwrap();
    assert_eq!(author.name, "codex-memories");
    assert_eq!(author.email, "codex-memories@localhost");
    assert_eq!(
        commit.committer().unwrap().email,
        "codex-memories@localhost"
    );
}

/// Breaks `.git` with `breakage`, then checks `prepare` moves it aside and starts again.
fn assert_recovers(breakage: impl FnOnce(&Path)) {
    let (_dir, workspace) = prepared();
    let root = workspace.root().to_path_buf();
    breakage(&root.join(".git"));
    let (workspace, report) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    assert!(report.initialized, "{report:?}");
    assert!(report.recovered.is_some(), "{report:?}");
    let moved = report.moved_aside.clone().expect("moved aside");
    assert!(moved.exists(), "{report:?}");
    assert!(
        moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".git.corrupt-"),
        "{report:?}"
    );
    assert!(workspace.baseline().unwrap().is_some());
    // The files are the new baseline; the moved-aside repository is not part of the diff.
    assert_eq!(workspace.diff().unwrap(), WorkspaceDiff::default());
}

#[test]
fn prepare_recovers_from_a_garbage_head() {
    assert_recovers(|git| std::fs::write(git.join("HEAD"), "garbage\n").unwrap());
}

#[test]
fn prepare_recovers_from_a_head_pointing_nowhere() {
    assert_recovers(|git| std::fs::write(git.join("HEAD"), "ref: refs/heads/nowhere\n").unwrap());
}

#[test]
fn prepare_recovers_from_a_deleted_objects_folder() {
    assert_recovers(|git| std::fs::remove_dir_all(git.join("objects")).unwrap());
}

#[test]
fn prepare_recovers_from_a_missing_blob() {
    assert_recovers(|git| {
        let repo = gix::open_opts(git, gix::open::Options::isolated()).unwrap();
        let tree = repo.head_tree().unwrap();
        let entry = tree.find_entry("MEMORY.md").unwrap();
        let hex = entry.object_id().to_string();
        std::fs::remove_file(git.join("objects").join(&hex[..2]).join(&hex[2..])).unwrap();
    });
}

#[test]
fn prepare_recovers_from_a_git_file() {
    assert_recovers(|git| {
        std::fs::remove_dir_all(git).unwrap();
        std::fs::write(git, "gitdir: /somewhere/else\n").unwrap();
    });
}

#[test]
fn prepare_recovers_from_a_half_deleted_git_folder() {
    assert_recovers(|git| {
        std::fs::remove_file(git.join("HEAD")).unwrap();
        std::fs::remove_dir_all(git.join("refs")).unwrap();
    });
}

fn change(
    path: &str,
    kind: ChangeKind,
    old_mode: Option<FileMode>,
    new_mode: Option<FileMode>,
    unified: &str,
) -> FileChange {
    FileChange {
        path: path.to_string(),
        kind,
        old_mode,
        new_mode,
        binary: false,
        unified: unified.to_string(),
    }
}

#[cfg(unix)]
#[test]
fn diff_reports_added_modified_deleted_and_exec_bit_changes() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    write(root, "tools/run.sh", "#!/bin/sh\necho hi\n");
    workspace.reset_baseline(chrono::Utc::now()).unwrap();

    write(
        root,
        "MEMORY.md",
        "# Memory\n\none\ntwo\nthree\nFOUR\nfive\nsix\nseven\n",
    );
    write(root, "notes/new.md", "new note\n");
    std::fs::remove_file(root.join("skills/a/SKILL.md")).unwrap();
    set_executable(root, "tools/run.sh", true);

    let regular = Some(FileMode::Regular);
    let expected = WorkspaceDiff {
        changes: vec![
            change(
                "MEMORY.md",
                ChangeKind::Modified,
                regular,
                regular,
                "--- a/MEMORY.md\n+++ b/MEMORY.md\n@@ -3,7 +3,7 @@\n one\n two\n three\n-four\n+FOUR\n five\n six\n seven\n",
            ),
            change(
                "notes/new.md",
                ChangeKind::Added,
                None,
                regular,
                "--- /dev/null\n+++ b/notes/new.md\n@@ -0,0 +1 @@\n+new note\n",
            ),
            change(
                "skills/a/SKILL.md",
                ChangeKind::Deleted,
                regular,
                None,
                "--- a/skills/a/SKILL.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-skill a\n",
            ),
            change(
                "tools/run.sh",
                ChangeKind::ModeChanged,
                regular,
                Some(FileMode::Executable),
                "",
            ),
        ],
    };
    let diff = workspace.diff().unwrap();
    assert_eq!(diff, expected);
    assert_eq!(
        diff.changes[3].mode_change(),
        Some((FileMode::Regular, FileMode::Executable))
    );
    let markdown = diff.render_markdown(1 << 20);
    assert!(
        markdown.contains(
            "M MEMORY.md\nA notes/new.md\nD skills/a/SKILL.md\nmode tools/run.sh 100644 -> 100755\n"
        ),
        "{markdown}"
    );
}

#[test]
fn a_same_size_rewrite_with_the_old_mtime_is_still_detected() {
    let (_dir, workspace) = prepared();
    let path = workspace.root().join("skills/a/SKILL.md");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::fs::write(&path, "skill b\n").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let diff = workspace.diff().unwrap();
    assert_eq!(
        diff.changes
            .iter()
            .map(|c| (c.path.as_str(), c.kind))
            .collect::<Vec<_>>(),
        vec![("skills/a/SKILL.md", ChangeKind::Modified)]
    );
}

#[test]
fn binary_files_are_named_not_dumped() {
    let (_dir, workspace) = prepared();
    std::fs::write(workspace.root().join("blob.bin"), b"\x00\x01\x02secret").unwrap();
    let diff = workspace.diff().unwrap();
    assert_eq!(diff.changes.len(), 1);
    assert!(diff.changes[0].binary);
    assert_eq!(diff.changes[0].unified, "Binary file blob.bin added\n");
}

#[cfg(unix)]
#[test]
fn symlinks_are_recorded_as_links_and_never_followed() {
    let (dir, workspace) = prepared();
    let outside = dir.path().join("outside.txt");
    std::fs::write(&outside, "text outside the root\n").unwrap();
    std::os::unix::fs::symlink(&outside, workspace.root().join("link")).unwrap();
    std::os::unix::fs::symlink(dir.path(), workspace.root().join("dir-link")).unwrap();
    let diff = workspace.diff().unwrap();
    let paths: Vec<_> = diff
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.new_mode))
        .collect();
    assert_eq!(
        paths,
        vec![
            ("dir-link", Some(FileMode::Symlink)),
            ("link", Some(FileMode::Symlink))
        ]
    );
    let link = &diff.changes[1];
    assert!(
        link.unified.contains(&format!("+{}", outside.display())),
        "{}",
        link.unified
    );
    assert!(
        !link.unified.contains("text outside the root"),
        "{}",
        link.unified
    );
    // The baseline records the link itself.
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    assert!(workspace.diff().unwrap().is_empty());
}

#[test]
fn the_diff_file_and_moved_aside_repositories_are_not_part_of_the_diff() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    write(root, "notes/x.md", "x\n");
    let diff = workspace.diff().unwrap();
    let path = workspace.write_diff_file(&diff).unwrap();
    assert_eq!(path, root.join(DIFF_FILE_NAME));
    write(root, ".git.corrupt-123/HEAD", "garbage\n");
    assert_eq!(workspace.diff().unwrap(), diff);
    workspace.remove_diff_file().unwrap();
    assert!(!path.exists());
}

#[test]
fn scanning_writes_no_objects_and_touches_nothing_under_git() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    write(root, "MEMORY.md", "# Memory\n\nchanged\n");
    write(
        root,
        "notes/new.md",
        "brand new text that is not in any object\n",
    );
    std::fs::remove_file(root.join("skills/a/SKILL.md")).unwrap();
    let git = root.join(".git");
    let before = files_under(&git);
    let diff = workspace.diff().unwrap();
    assert_eq!(diff.changes.len(), 3);
    let _ = workspace.diff().unwrap();
    assert_eq!(files_under(&git), before);
}

#[test]
fn the_diff_file_is_capped_on_a_char_boundary() {
    let (_dir, workspace) = prepared();
    // One long line of two-byte characters: no line end within reach of the cap.
    write(workspace.root(), "wide.md", &"é".repeat(50_000));
    let diff = workspace.diff().unwrap();
    let full = diff.render_markdown(usize::MAX);
    for max_bytes in [10_001, 10_002, 30_000, 30_001] {
        let capped = diff.render_markdown(max_bytes);
        assert!(capped.len() <= max_bytes, "{} > {max_bytes}", capped.len());
        assert!(
            capped.len() > max_bytes - 400,
            "cut far too early: {}",
            capped.len()
        );
        assert!(capped.contains("_Truncated: the diff file is capped at"));
        assert!(capped.len() < full.len());
    }
}

#[test]
fn the_diff_file_holds_no_secret_of_the_changed_files() {
    let (_dir, workspace) = prepared();
    let token = "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";
    write(
        workspace.root(),
        "MEMORY.md",
        &format!("- deploy with {token}\n"),
    );
    let diff = workspace.diff().unwrap();
    let path = workspace.write_diff_file(&diff).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    assert!(!text.contains("OhbVrpoiVgRV5IfLBcbf"), "{text}");
    assert!(text.contains("+- deploy with [REDACTED_SECRET]"), "{text}");
}

/// Every loose object under `git`, decompressed; panics on pack files (a reset writes none).
fn loose_objects(git: &Path) -> Vec<Vec<u8>> {
    let mut objects = Vec::new();
    for (relative, _) in files_under(git) {
        let full = git.join(&relative);
        let name = relative.to_string_lossy();
        assert!(!name.ends_with(".pack"), "unexpected pack {name}");
        let is_loose = relative.starts_with("objects")
            && relative.components().count() == 3
            && relative.file_name().is_some_and(|f| f.len() == 38);
        if !is_loose {
            continue;
        }
        let mut reader = BufReader::new(std::fs::File::open(&full).unwrap());
        let mut state = gix::zlib::Decompress::new();
        let mut out = vec![0u8; 4 << 20];
        let written = gix::zlib::stream::inflate::read(&mut reader, &mut state, &mut out).unwrap();
        out.truncate(written);
        objects.push(out);
    }
    objects
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn a_baseline_reset_keeps_one_commit_and_no_object_holding_deleted_text() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    let sentence = "The deploy password is kept in the blue notebook";
    write(root, "notes/secret.md", &format!("{sentence}.\n"));
    write(root, "MEMORY.md", &format!("# Memory\n\n{sentence} too.\n"));
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    let git = root.join(".git");
    assert!(
        loose_objects(&git)
            .iter()
            .any(|object| contains(object, sentence))
    );

    std::fs::remove_file(root.join("notes/secret.md")).unwrap();
    write(root, "MEMORY.md", "# Memory\n\nnothing to see\n");
    let info = workspace.reset_baseline(chrono::Utc::now()).unwrap();

    let objects = loose_objects(&git);
    assert!(!objects.is_empty());
    assert!(!objects.iter().any(|object| contains(object, sentence)));
    for (relative, _) in files_under(&git) {
        let bytes = std::fs::read(git.join(&relative)).unwrap();
        assert!(
            !contains(&bytes, sentence),
            "{} holds the text",
            relative.display()
        );
    }
    let commits = objects
        .iter()
        .filter(|object| object.starts_with(b"commit "))
        .count();
    assert_eq!(commits, 1);
    let repo = gix::open_opts(root, gix::open::Options::isolated()).unwrap();
    let head = repo.head_commit().unwrap();
    assert_eq!(head.id().to_string(), info.commit);
    assert_eq!(head.parent_ids().count(), 0);
    assert!(workspace.diff().unwrap().is_empty());
    // Nothing of the reset is left beside `.git`.
    let leftovers: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".git."))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

#[test]
fn git_status_shows_a_clean_tree_after_prepare_and_reset() {
    let Some((_dir, workspace)) = prepared_for_git_cli() else {
        return;
    };
    let root = workspace.root();
    let status = || git_ok(root, &["-c", "safe.directory=*", "status", "--porcelain"]);
    assert_eq!(status(), "");
    write(root, "notes/n.md", "n\n");
    write(root, "MEMORY.md", "changed\n");
    assert_ne!(status(), "");
    workspace
        .write_diff_file(&workspace.diff().unwrap())
        .unwrap();
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    assert_eq!(status(), "");
    git_ok(root, &["-c", "safe.directory=*", "fsck", "--strict"]);
}

#[test]
fn the_diff_stays_right_after_the_git_cli_rewrote_the_index() {
    let Some((_dir, workspace)) = prepared_for_git_cli() else {
        return;
    };
    let root = workspace.root();
    write(root, "MEMORY.md", "# Memory\n\nrewritten\n");
    write(root, "notes/n.md", "n\n");
    let expected = workspace.diff().unwrap();
    git_ok(root, &["-c", "safe.directory=*", "status", "--porcelain"]);
    assert_eq!(workspace.diff().unwrap(), expected);
    assert_eq!(expected.changes.len(), 2);
}

#[test]
fn a_missing_index_only_costs_speed() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    write(root, "skills/a/SKILL.md", "skill a, revised\n");
    std::fs::remove_file(root.join(".git/index")).unwrap();
    let diff = workspace.diff().unwrap();
    assert_eq!(
        diff.changes
            .iter()
            .map(|c| (c.path.as_str(), c.kind))
            .collect::<Vec<_>>(),
        vec![("skills/a/SKILL.md", ChangeKind::Modified)]
    );
    // A reset writes it again.
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    assert!(root.join(".git/index").is_file());
    assert!(workspace.diff().unwrap().is_empty());
}

#[test]
fn non_utf8_content_is_binary_and_odd_names_are_quoted() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    std::fs::write(root.join("latin1.txt"), b"caf\xe9\n").unwrap();
    write(root, "two\nlines.md", "x\n");
    let diff = workspace.diff().unwrap();
    let summary: Vec<_> = diff
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.binary, c.unified.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("latin1.txt", true, "Binary file latin1.txt added\n"),
            (
                "\"two\\nlines.md\"",
                false,
                "--- /dev/null\n+++ \"b/two\\nlines.md\"\n@@ -0,0 +1 @@\n+x\n"
            ),
        ]
    );
}

#[cfg(unix)]
#[test]
fn an_executable_file_added_shows_its_mode() {
    let (_dir, workspace) = prepared();
    let root = workspace.root();
    write(root, "tools/go.sh", "#!/bin/sh\n");
    set_executable(root, "tools/go.sh", true);
    let diff = workspace.diff().unwrap();
    assert_eq!(diff.changes[0].new_mode, Some(FileMode::Executable));
    assert!(
        diff.render_markdown(1 << 20)
            .contains("diff --git a/tools/go.sh b/tools/go.sh\nnew file mode 100755\n")
    );
    workspace.reset_baseline(chrono::Utc::now()).unwrap();
    assert!(workspace.diff().unwrap().is_empty());
}

#[cfg(unix)]
#[test]
fn prepare_moves_aside_a_git_symlink_without_touching_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let (_other, _) = MemoryWorkspace::prepare(&elsewhere, chrono::Utc::now()).unwrap();
    let root = dir.path().join("memories");
    write(&root, "MEMORY.md", "m\n");
    std::os::unix::fs::symlink(elsewhere.join(".git"), root.join(".git")).unwrap();
    let (workspace, report) = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap();
    assert_eq!(
        report.recovered.as_deref(),
        Some("`.git` is not a directory")
    );
    assert!(root.join(".git").is_dir());
    assert!(elsewhere.join(".git/HEAD").is_file());
    assert!(workspace.diff().unwrap().is_empty());
}

#[test]
fn prepare_on_a_path_that_is_a_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("memories");
    std::fs::write(&root, "not a folder").unwrap();
    let error = MemoryWorkspace::prepare(&root, chrono::Utc::now()).unwrap_err();
    assert!(
        error.to_string().contains(&root.display().to_string()),
        "{error}"
    );
}

#[test]
fn a_baseline_tracking_the_diff_file_does_not_report_it() {
    let Some((_dir, workspace)) = prepared_for_git_cli() else {
        return;
    };
    let root = workspace.root();
    write(root, DIFF_FILE_NAME, "old diff\n");
    for args in [
        &["add", "-f", DIFF_FILE_NAME][..],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "track it",
        ][..],
    ] {
        git_ok(root, args);
    }
    std::fs::remove_file(root.join(DIFF_FILE_NAME)).unwrap();
    assert_eq!(workspace.diff().unwrap(), WorkspaceDiff::default());
}

/// Rewrites `path` with same-size different content, then makes its index entry claim the new
/// stat data (as a coarse-timestamp file system would) and sets the index file's mtime to
/// `index_mtime_offset` seconds after the file's mtime.
fn stale_entry_with_matching_stat(
    workspace: &MemoryWorkspace,
    path: &str,
    index_mtime_offset: u64,
) {
    let root = workspace.root();
    let file = root.join(path);
    let old = std::fs::read(&file).unwrap();
    std::fs::write(&file, vec![b'z'; old.len()]).unwrap();
    let index_path = root.join(".git/index");
    let mut index = gix::index::File::at(
        &index_path,
        gix::hash::Kind::Sha1,
        false,
        gix::index::decode::Options::default(),
    )
    .unwrap();
    let metadata = gix::index::fs::Metadata::from_path_no_follow(&file).unwrap();
    let stat = gix::index::entry::Stat::from_fs(&metadata).unwrap();
    let entry = index
        .entry_mut_by_path_and_stage(path.into(), gix::index::entry::Stage::Unconflicted)
        .unwrap();
    entry.stat = stat;
    index.write(gix::index::write::Options::default()).unwrap();
    let file_mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::fs::File::options()
        .write(true)
        .open(&index_path)
        .unwrap()
        .set_modified(file_mtime + std::time::Duration::from_secs(index_mtime_offset))
        .unwrap();
}

#[test]
fn a_matching_stat_in_an_index_newer_than_the_file_is_trusted_without_reading() {
    // Proves the stat cache is used: the content changed, but the index vouches for it, as git's
    // would (this is the state git itself would be in).
    let (_dir, workspace) = prepared();
    stale_entry_with_matching_stat(&workspace, "skills/a/SKILL.md", 10);
    assert_eq!(workspace.diff().unwrap(), WorkspaceDiff::default());
}

#[test]
fn a_racy_entry_is_hashed_even_when_its_stat_matches() {
    // The file's mtime is not older than the index: git's racy-clean rule says re-read it.
    let (_dir, workspace) = prepared();
    stale_entry_with_matching_stat(&workspace, "skills/a/SKILL.md", 0);
    let diff = workspace.diff().unwrap();
    assert_eq!(
        diff.changes
            .iter()
            .map(|c| (c.path.as_str(), c.kind))
            .collect::<Vec<_>>(),
        vec![("skills/a/SKILL.md", ChangeKind::Modified)]
    );
}
