use super::*;
use pretty_assertions::assert_eq;

fn home_with_config(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config).unwrap();
    home
}

/// Commits the folder's (empty) tree as `name <email>`, the way a baseline is made.
fn commit_baseline(root: &Path, name: &str, email: &str) {
    std::fs::create_dir_all(root).unwrap();
    let repo = gix::ThreadSafeRepository::init_opts(
        root,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )
    .unwrap()
    .to_thread_local();
    let tree = repo
        .write_object(gix::objs::Tree::empty())
        .unwrap()
        .detach();
    let signature = gix::actor::Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time::new(1_780_000_000, 0),
    };
    let mut time = gix::date::parse::TimeBuf::default();
    let signature = signature.to_ref(&mut time);
    repo.commit_as(
        signature,
        signature,
        "HEAD",
        "baseline",
        tree,
        None::<gix::ObjectId>,
    )
    .unwrap();
}

#[test]
fn without_config_codex_generates_nothing_and_reads_nothing() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    let ownership = inspect(home.path(), &root);
    assert!(!ownership.codex_rewrites);
    assert!(!ownership.codex_reads);
    assert_eq!(ownership.last_writer, FolderWriter::Nobody);
    assert_eq!(
        check_writable(home.path(), &root, false),
        Ok(WriteClearance::Clear)
    );
}

#[test]
fn feature_on_with_v1_rewrites_our_folder_and_the_refusal_names_the_ways_out() {
    let home = home_with_config("[features]\nmemories = true\n\n[memories]\nversion = \"v1\"\n");
    let root = home.path().join("memories");
    let ownership = inspect(home.path(), &root);
    assert!(ownership.codex_rewrites && ownership.codex_reads);
    let refused = check_writable(home.path(), &root, true).unwrap_err();
    let message = refused.to_string();
    for needle in [
        "`[features] memories = true`",
        "version = \"v1\"",
        "config.toml",
        "`[features] memories = false`",
        "install codex",
        "--memory-dir",
        &root.display().to_string(),
    ] {
        assert!(message.contains(needle), "{needle} missing from: {message}");
    }
}

#[test]
fn feature_on_without_a_version_takes_memories_once_it_exists_or_we_would_create_it() {
    let home = home_with_config("[features]\nmemories = true\n");
    // Our folder is `memories/`: even before it exists, creating it makes it Codex's v1 folder.
    assert!(inspect(home.path(), &home.path().join("memories")).codex_rewrites);
    // Another folder of ours is safe while `memories/` does not exist (Codex then uses v2)…
    let elsewhere = home.path().join("codex-memories/memories");
    assert!(!inspect(home.path(), &elsewhere).codex_rewrites);
    assert_eq!(
        inspect(home.path(), &elsewhere).codex_folder,
        home.path().join("memories_v2")
    );
    // …and stays safe once `memories/` appears (Codex rewrites that one, not ours).
    std::fs::create_dir(home.path().join("memories")).unwrap();
    assert!(!inspect(home.path(), &elsewhere).codex_rewrites);
}

#[test]
fn feature_on_with_v2_leaves_memories_alone() {
    let home = home_with_config("[features]\nmemories = true\n[memories]\nversion = \"v2\"\n");
    let root = home.path().join("memories");
    let ownership = inspect(home.path(), &root);
    assert!(!ownership.codex_rewrites && !ownership.codex_reads);
    assert_eq!(
        check_writable(home.path(), &root, false),
        Ok(WriteClearance::Clear)
    );
}

#[test]
fn generation_off_lets_us_write_and_codex_still_reads_our_summary() {
    let home = home_with_config(
        "[features]\nmemories = true\n[memories]\nversion = \"v1\"\ngenerate_memories = false\n",
    );
    let root = home.path().join("memories");
    let ownership = inspect(home.path(), &root);
    assert!(!ownership.codex_rewrites);
    assert!(ownership.codex_reads);
    assert!(ownership.describe().contains("Codex reads"));
}

#[test]
fn a_profile_can_turn_the_feature_on() {
    let home = home_with_config(
        "profile = \"work\"\n[features]\nmemories = false\n[profiles.work.features]\nmemories = true\n",
    );
    assert_eq!(read_codex_settings(home.path()).feature, Some(true));
}

#[test]
fn an_invalid_config_is_reported_not_fatal() {
    let home = home_with_config("[features\nmemories = true");
    let settings = read_codex_settings(home.path());
    assert!(settings.unreadable.is_some());
    assert!(!settings.feature_on());
}

#[test]
fn a_folder_codex_wrote_needs_force_and_then_a_backup() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    commit_baseline(&root, "Codex", "noreply@openai.com");
    std::fs::write(root.join("MEMORY.md"), "codex's memory\n").unwrap();
    assert_eq!(
        last_writer(&root),
        FolderWriter::Codex {
            time_unix_seconds: 1_780_000_000
        }
    );
    let refused = check_writable(home.path(), &root, false).unwrap_err();
    assert!(matches!(refused, FolderRefused::WrittenByCodex { .. }));
    assert!(refused.to_string().contains("--force"), "{refused}");
    assert_eq!(
        check_writable(home.path(), &root, true),
        Ok(WriteClearance::BackUpFirst)
    );
    let backup = back_up_folder(&root).unwrap();
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("memories.codex-backup-")
    );
    assert_eq!(
        std::fs::read_to_string(backup.join("MEMORY.md")).unwrap(),
        "codex's memory\n"
    );
    assert_eq!(last_writer(&backup), last_writer(&root));
}

#[test]
fn our_own_baseline_is_recognised() {
    let home = tempfile::tempdir().unwrap();
    let root = home.path().join("memories");
    commit_baseline(&root, "codex-memories", crate::workspace::SIGNATURE_EMAIL);
    assert!(matches!(
        last_writer(&root),
        FolderWriter::CodexMemories { .. }
    ));
    assert_eq!(
        check_writable(home.path(), &root, false),
        Ok(WriteClearance::Clear)
    );
}

#[test]
fn traces_of_codex_pipeline_are_listed() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("memories.lock"), "").unwrap();
    std::fs::write(home.path().join("memories_v2_1.sqlite"), "").unwrap();
    std::fs::write(home.path().join("state_5.sqlite"), "").unwrap();
    std::fs::create_dir_all(home.path().join("memories_v2/.codex-baseline/.git")).unwrap();
    let traces = inspect(home.path(), &home.path().join("memories")).codex_traces;
    let names: Vec<String> = traces
        .iter()
        .map(|path| {
            path.strip_prefix(home.path())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        vec![
            "memories.lock".to_string(),
            "memories_v2_1.sqlite".to_string(),
            "memories_v2/.codex-baseline".to_string()
        ]
    );
}
