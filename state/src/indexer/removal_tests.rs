//! A vanished, unreadable or emptied session folder never empties the index.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::DateTime;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::*;
use crate::{Clock, Homes, ManualClock};

fn thread_id(n: u32) -> String {
    format!("019a93b9-f380-7600-98ff-{n:012x}")
}

struct Home {
    _dir: tempfile::TempDir,
    homes: Homes,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let homes = Homes::under_codex_home(dir.path());
        Self { _dir: dir, homes }
    }

    fn write(&self, n: u32) -> PathBuf {
        let id = thread_id(n);
        let path = self
            .homes
            .sessions_dir()
            .join("2025/11/17")
            .join(format!("rollout-2025-11-17T15-30-28-{id}.jsonl"));
        let meta = json!({"timestamp": "2025-11-17T21:30:29.000Z", "type": "session_meta",
            "payload": {"id": id, "timestamp": "2025-11-17T21:30:28.608Z", "cwd": "/w", "source": "cli"}});
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{meta}\n")).unwrap();
        path
    }

    fn write_many(&self, count: u32) -> Vec<PathBuf> {
        (1..=count).map(|n| self.write(n)).collect()
    }

    async fn runtime(&self) -> StateRuntime {
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(
            DateTime::from_timestamp(1_763_000_000, 0).unwrap(),
        ));
        StateRuntime::open_with_clock(self.homes.clone(), clock)
            .await
            .unwrap()
    }
}

async fn index(runtime: &StateRuntime) -> IndexReport {
    runtime.index_sessions(&|_| {}).await.unwrap()
}

async fn index_allowing_mass_removal(runtime: &StateRuntime) -> IndexReport {
    let options = IndexOptions {
        allow_mass_removal: true,
        ..IndexOptions::default()
    };
    runtime
        .index_sessions_with(&options, &|_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn a_vanished_sessions_folder_keeps_its_threads_and_is_reported() {
    let home = Home::new();
    home.write_many(3);
    let runtime = home.runtime().await;
    index(&runtime).await;

    let sessions = home.homes.sessions_dir();
    std::fs::rename(&sessions, sessions.with_file_name("sessions.away")).unwrap();
    let report = index(&runtime).await;

    assert_eq!(runtime.count_threads().await.unwrap(), 3);
    assert_eq!((report.removed, report.removal_held_back), (0, None));
    let [root] = report.unreadable_roots.as_slice() else {
        panic!("one unreadable root expected: {report:?}");
    };
    assert_eq!((&root.path, root.kept_threads), (&sessions, 3));
    assert!(root.reason.contains("os error 2"), "{}", root.reason);
    assert!(
        root.message().contains(&format!(
            "cannot read the session folder {}",
            sessions.display()
        )),
        "{}",
        root.message()
    );
}

#[tokio::test]
async fn moving_a_vanished_folder_back_reads_nothing_again() {
    let home = Home::new();
    home.write_many(3);
    let runtime = home.runtime().await;
    index(&runtime).await;
    let sessions = home.homes.sessions_dir();
    let away = sessions.with_file_name("sessions.away");
    std::fs::rename(&sessions, &away).unwrap();
    index(&runtime).await;
    std::fs::rename(&away, &sessions).unwrap();

    assert_eq!(
        index(&runtime).await,
        IndexReport {
            files_seen: 3,
            unchanged: 3,
            ..IndexReport::default()
        }
    );
}

#[tokio::test]
async fn a_home_that_never_had_archived_sessions_reports_nothing() {
    let home = Home::new();
    home.write_many(2);
    let runtime = home.runtime().await;
    let report = index(&runtime).await;
    assert_eq!(
        (report.unreadable_roots, report.removal_held_back),
        (vec![], None)
    );
}

#[tokio::test]
async fn a_dangling_symlink_sessions_folder_keeps_its_threads() {
    let home = Home::new();
    let volume = home.homes.codex_home.join("volume");
    std::fs::create_dir_all(&volume).unwrap();
    std::os::unix::fs::symlink(&volume, home.homes.sessions_dir()).unwrap();
    home.write_many(2);
    let runtime = home.runtime().await;
    assert_eq!(index(&runtime).await.threads_added, 2);

    // The volume is unmounted: the link points nowhere.
    std::fs::rename(&volume, volume.with_file_name("elsewhere")).unwrap();
    let report = index(&runtime).await;

    assert_eq!(runtime.count_threads().await.unwrap(), 2);
    let [root] = report.unreadable_roots.as_slice() else {
        panic!("one unreadable root expected: {report:?}");
    };
    assert_eq!(root.kept_threads, 2);
    assert!(root.reason.contains("symbolic link"), "{}", root.reason);
}

#[tokio::test]
async fn an_unreadable_sessions_folder_keeps_its_threads() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.write_many(2);
    let runtime = home.runtime().await;
    index(&runtime).await;
    let sessions = home.homes.sessions_dir();
    std::fs::set_permissions(&sessions, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&sessions).is_ok() {
        // Running as root: permissions do not stop reading, so EACCES cannot happen here.
        std::fs::set_permissions(&sessions, std::fs::Permissions::from_mode(0o755)).unwrap();
        eprintln!("skipping: permissions are not enforced for this user");
        return;
    }
    let report = index(&runtime).await;
    std::fs::set_permissions(&sessions, std::fs::Permissions::from_mode(0o755)).unwrap();

    assert_eq!(runtime.count_threads().await.unwrap(), 2);
    let [root] = report.unreadable_roots.as_slice() else {
        panic!("one unreadable root expected: {report:?}");
    };
    assert!(root.reason.contains("os error 13"), "{}", root.reason);
}

#[tokio::test]
async fn a_file_in_place_of_the_sessions_folder_keeps_its_threads() {
    let home = Home::new();
    home.write_many(2);
    let runtime = home.runtime().await;
    index(&runtime).await;
    let sessions = home.homes.sessions_dir();
    std::fs::rename(&sessions, sessions.with_file_name("sessions.away")).unwrap();
    std::fs::write(&sessions, "not a folder").unwrap();

    let report = index(&runtime).await;
    assert_eq!(runtime.count_threads().await.unwrap(), 2);
    assert_eq!(
        report
            .unreadable_roots
            .iter()
            .map(|root| (root.reason.as_str(), root.kept_threads))
            .collect::<Vec<_>>(),
        vec![("it is not a folder", 2)]
    );
}

#[tokio::test]
async fn removing_more_than_a_quarter_of_the_index_is_held_back_and_said_in_plain_words() {
    let home = Home::new();
    let files = home.write_many(8);
    let runtime = home.runtime().await;
    index(&runtime).await;
    for file in &files[..3] {
        std::fs::remove_file(file).unwrap();
    }

    let report = index(&runtime).await;
    assert_eq!(runtime.count_threads().await.unwrap(), 8);
    let held_back = HeldBackRemoval {
        threads: 3,
        indexed_threads: 8,
        limit: 2,
    };
    assert_eq!(
        (report.removed, report.removal_held_back),
        (0, Some(held_back))
    );
    let message = held_back.message();
    assert!(
        message.contains("3 of 8 indexed session(s) are gone")
            && message.contains("--allow-mass-removal"),
        "{message}"
    );

    let allowed = index_allowing_mass_removal(&runtime).await;
    assert_eq!((allowed.removed, allowed.removal_held_back), (3, None));
    assert_eq!(runtime.count_threads().await.unwrap(), 5);
}

#[tokio::test]
async fn an_emptied_sessions_folder_is_held_back_like_an_unmounted_volume() {
    let home = Home::new();
    let files = home.write_many(4);
    let runtime = home.runtime().await;
    index(&runtime).await;
    for file in &files {
        std::fs::remove_file(file).unwrap();
    }
    let report = index(&runtime).await;
    assert_eq!(report.removed, 0);
    assert_eq!(report.removal_held_back.map(|held| held.threads), Some(4));
    assert_eq!(runtime.count_threads().await.unwrap(), 4);
}

#[tokio::test]
async fn a_few_deleted_files_are_removed_without_asking() {
    let home = Home::new();
    let files = home.write_many(8);
    let runtime = home.runtime().await;
    index(&runtime).await;
    for file in &files[..2] {
        std::fs::remove_file(file).unwrap();
    }
    let report = index(&runtime).await;
    assert_eq!((report.removed, report.removal_held_back), (2, None));
}

#[tokio::test]
async fn no_run_removes_more_than_fifty_threads_unless_allowed() {
    assert_eq!(mass_removal_limit(3), 0);
    assert_eq!(mass_removal_limit(8), 2);
    assert_eq!(mass_removal_limit(200), 50);
    assert_eq!(mass_removal_limit(100_000), MASS_REMOVAL_MAX_THREADS);
}

#[tokio::test]
async fn allowing_mass_removal_drops_the_threads_of_a_folder_that_no_longer_exists() {
    let home = Home::new();
    home.write_many(3);
    let runtime = home.runtime().await;
    index(&runtime).await;
    std::fs::remove_dir_all(home.homes.sessions_dir()).unwrap();

    let report = index_allowing_mass_removal(&runtime).await;
    assert_eq!((report.removed, report.unreadable_roots), (3, vec![]));
    assert_eq!(runtime.count_threads().await.unwrap(), 0);
}

#[tokio::test]
async fn archiving_many_files_at_once_is_not_a_removal() {
    let home = Home::new();
    let files = home.write_many(4);
    let runtime = home.runtime().await;
    index(&runtime).await;
    let archived = home.homes.archived_sessions_dir();
    std::fs::create_dir_all(&archived).unwrap();
    for file in &files {
        std::fs::rename(file, archived.join(file.file_name().unwrap())).unwrap();
    }
    let report = index(&runtime).await;
    assert_eq!(
        (report.updated, report.removed, report.removal_held_back),
        (4, 0, None)
    );
}

#[tokio::test]
async fn the_session_check_explains_a_vanished_folder_and_gone_files() {
    let home = Home::new();
    let files = home.write_many(8);
    let runtime = home.runtime().await;
    index(&runtime).await;
    assert_eq!(
        runtime.check_sessions().await.unwrap(),
        SessionCheck {
            indexed_threads: 8,
            ..SessionCheck::default()
        }
    );

    for file in &files[..3] {
        std::fs::remove_file(file).unwrap();
    }
    let check = runtime.check_sessions().await.unwrap();
    assert_eq!(
        (check.missing_files, check.removal_would_be_held_back),
        (3, true)
    );

    let sessions = home.homes.sessions_dir();
    std::fs::rename(&sessions, sessions.with_file_name("sessions.away")).unwrap();
    let check = runtime.check_sessions().await.unwrap();
    assert_eq!(check.missing_files, 0);
    assert_eq!(
        check
            .unreadable_roots
            .iter()
            .map(|root| (root.path.clone(), root.kept_threads))
            .collect::<Vec<_>>(),
        vec![(sessions, 8)]
    );
}
