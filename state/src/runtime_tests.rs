use std::sync::Arc;

use chrono::DateTime;

use super::*;
use crate::ManualClock;

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(
        DateTime::from_timestamp(1_763_000_000, 0).unwrap(),
    ))
}

#[tokio::test]
async fn opens_the_state_db_under_the_sqlite_home_only() {
    let dir = tempfile::tempdir().unwrap();
    let homes = Homes::under_codex_home(dir.path());
    let runtime = StateRuntime::open_with_clock(homes.clone(), clock())
        .await
        .unwrap();
    assert!(dir.path().join("codex-memories/state_1.sqlite").is_file());
    assert!(!dir.path().join("state_1.sqlite").exists());
    assert_eq!(runtime.homes(), &homes);
    runtime.close().await;
}

#[tokio::test]
async fn refuses_a_sqlite_home_at_the_codex_home_root() {
    let dir = tempfile::tempdir().unwrap();
    let homes = Homes::new(dir.path(), dir.path());
    let error = StateRuntime::open_with_clock(homes, clock())
        .await
        .unwrap_err();
    assert!(
        matches!(error, StateError::SqliteHomeIsCodexHome { .. }),
        "{error:?}"
    );
    assert!(!dir.path().join("state_1.sqlite").exists());
}
