//! Living beside Codex's own memory pipeline, over the real binary: with Codex's generation on
//! for our folder every command that would write the folder refuses before writing and says how
//! to get out; a folder whose baseline Codex made is replaced only by `consolidate --force`, after
//! a backup.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod controls_common;

use std::path::Path;

use controls_common::{example_home, files_under, run, run_ok};

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Makes `root` a repository whose one commit was made the way Codex's pipeline makes its
/// baselines (author `Codex <noreply@openai.com>`).
fn codex_baseline(root: &Path) {
    std::fs::create_dir_all(root).unwrap();
    std::fs::write(root.join("MEMORY.md"), "# Codex's own memory\n").unwrap();
    let repo = gix::ThreadSafeRepository::init_opts(
        root,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .unwrap()
    .to_thread_local();
    let blob = repo.write_blob(b"# Codex's own memory\n").unwrap().detach();
    let tree = gix::objs::Tree {
        entries: vec![gix::objs::tree::Entry {
            mode: gix::objs::tree::EntryKind::Blob.into(),
            filename: "MEMORY.md".into(),
            oid: blob,
        }],
    };
    let tree = repo.write_object(&tree).unwrap().detach();
    let signature = gix::actor::Signature {
        name: "Codex".into(),
        email: "noreply@openai.com".into(),
        time: gix::date::Time::new(1_780_000_000, 0),
    };
    let mut time = gix::date::parse::TimeBuf::default();
    let signature = signature.to_ref(&mut time);
    repo.commit_as(
        signature,
        signature,
        "HEAD",
        "Initialize Codex git baseline",
        tree,
        None::<gix::ObjectId>,
    )
    .unwrap();
}

#[test]
fn with_codex_generation_on_for_our_folder_nothing_is_written_and_the_way_out_is_named() {
    let home = example_home();
    std::fs::write(
        home.path().join("config.toml"),
        "[features]\nmemories = true\n\n[memories]\nversion = \"v1\"\n",
    )
    .unwrap();
    for args in [
        &["run", "--provider", "offline", "--consolidator", "offline"][..],
        &["consolidate", "--consolidator", "offline", "--force"][..],
        &["clear", "--yes"][..],
    ] {
        let output = run(home.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = stderr_of(&output);
        for needle in ["[features] memories = false", "--memory-dir", "config.toml"] {
            assert!(
                stderr.contains(needle),
                "{args:?}: {needle} missing in {stderr}"
            );
        }
        assert!(
            !home.path().join("memories").exists(),
            "{args:?} created the folder"
        );
    }
}

#[test]
fn with_codex_memories_off_or_not_generating_nothing_is_refused() {
    let home = example_home();
    std::fs::write(
        home.path().join("config.toml"),
        "[features]\nmemories = false\n\n[memories]\nversion = \"v1\"\n",
    )
    .unwrap();
    run_ok(
        home.path(),
        &["run", "--provider", "offline", "--consolidator", "offline"],
    );
    assert!(home.path().join("memories/memory_summary.md").is_file());
    // Codex reading our folder without generating is fine too.
    std::fs::write(
        home.path().join("config.toml"),
        "[features]\nmemories = true\n\n[memories]\nversion = \"v1\"\ngenerate_memories = false\n",
    )
    .unwrap();
    run_ok(
        home.path(),
        &["consolidate", "--consolidator", "offline", "--force"],
    );
}

#[test]
fn a_folder_codex_wrote_is_replaced_only_by_consolidate_force_after_a_backup() {
    let home = example_home();
    let root = home.path().join("memories");
    codex_baseline(&root);
    let refused = run(
        home.path(),
        &["run", "--provider", "offline", "--consolidator", "offline"],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = stderr_of(&refused);
    assert!(stderr.contains("consolidate --force"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(root.join("MEMORY.md")).unwrap(),
        "# Codex's own memory\n"
    );
    assert_eq!(
        files_under(&root)
            .iter()
            .filter(|p| !p.starts_with(root.join(".git")))
            .count(),
        1
    );

    run_ok(home.path(), &["extract", "--provider", "offline"]);
    let forced = run(
        home.path(),
        &["consolidate", "--consolidator", "offline", "--force"],
    );
    assert!(forced.status.success(), "{}", stderr_of(&forced));
    let stderr = stderr_of(&forced);
    assert!(stderr.contains("its contents are kept in"), "{stderr}");
    let backup = std::fs::read_dir(home.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().contains("memories.codex-backup-"))
        .expect("a backup folder beside memories/");
    assert_eq!(
        std::fs::read_to_string(backup.join("MEMORY.md")).unwrap(),
        "# Codex's own memory\n"
    );
    assert!(backup.join(".git").is_dir());
    // Now ours: a later run goes through without --force, and status says who wrote it.
    run_ok(
        home.path(),
        &["run", "--provider", "offline", "--consolidator", "offline"],
    );
    let status = run_ok(home.path(), &["status"]);
    assert!(
        status.contains("last written by codex-memories"),
        "{status}"
    );
}
