use std::path::PathBuf;

use chrono::DateTime;
use pretty_assertions::assert_eq;

use super::*;
use crate::ManualClock;
use crate::runtime::STATE_MIGRATOR;

fn clock() -> ManualClock {
    ManualClock::new(DateTime::from_timestamp(1_763_000_000, 0).unwrap())
}

async fn table_names(pool: &SqlitePool) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|(name,)| name).collect()
}

#[tokio::test]
async fn migration_from_an_empty_directory_creates_the_folder_and_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not/yet/there/state_1.sqlite");
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    assert_eq!(
        table_names(&pool).await,
        vec![
            "_sqlx_migrations",
            "forgotten_threads",
            "index_failures",
            "threads"
        ]
    );
    let (journal_mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(journal_mode, "wal");
    let (busy_timeout_ms,): (i64,) = sqlx::query_as("PRAGMA busy_timeout")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(busy_timeout_ms, 5000);
}

#[tokio::test]
async fn reopening_a_migrated_database_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_1.sqlite");
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    sqlx::query(
        "INSERT INTO index_failures (rollout_path, file_size, file_mtime_ns, reason) \
         VALUES ('/x.jsonl', 1, 2, 'bad')",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM index_failures")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_1.sqlite");
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9001, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("CREATE TABLE future_table (x INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let error = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "{} was written by a newer codex-memories (schema version(s) 9001 are unknown to \
             this build, which knows up to {}); upgrade codex-memories, or point --sqlite-home at \
             another folder",
            path.display(),
            STATE_MIGRATOR.iter().map(|m| m.version).max().unwrap()
        )
    );

    // Still intact for the newer version: its migration row and table are there.
    let options = SqliteConnectOptions::new().filename(&path);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let versions: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut expected: Vec<(i64,)> = STATE_MIGRATOR.iter().map(|m| (m.version,)).collect();
    expected.push((9001,));
    assert_eq!(versions, expected);
    assert!(
        table_names(&pool)
            .await
            .contains(&"future_table".to_string())
    );
}

fn expected_move_command(path: &std::path::Path) -> String {
    let path = path.display();
    let aside = format!("{path}.corrupt-20251113-021320");
    format!(
        "mv {path} {aside} && for s in -wal -shm; do if [ -e {path}$s ]; then mv {path}$s {aside}$s; fi; done"
    )
}

#[tokio::test]
async fn a_file_of_random_bytes_is_reported_with_the_command_to_move_it_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("state_1.sqlite");
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let error = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err();
    let StateError::Corrupt {
        path: reported,
        move_aside_command,
        ..
    } = &error
    else {
        panic!("expected Corrupt, got {error:?}");
    };
    assert_eq!(reported, &path);
    assert_eq!(move_aside_command, &expected_move_command(&path));
    assert!(error.to_string().contains(&expected_move_command(&path)));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "file left as it was"
    );
}

#[tokio::test]
async fn a_damaged_file_with_a_sqlite_header_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("state_1.sqlite");
    let mut bytes = SQLITE_HEADER.to_vec();
    bytes.extend((0..8192u32).map(|i| (i * 31 % 256) as u8));
    std::fs::write(&path, &bytes).unwrap();

    let error = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StateError::Corrupt { move_aside_command, .. }
            if *move_aside_command == expected_move_command(&path)),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_move_aside_command_moves_the_wal_and_shm_with_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("my home/state_1.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"not a database at all, just text").unwrap();
    // The log of the damaged file: left beside a fresh database, SQLite would replay it there.
    std::fs::write(dir.path().join("my home/state_1.sqlite-wal"), b"old log").unwrap();
    std::fs::write(dir.path().join("my home/state_1.sqlite-shm"), b"old index").unwrap();
    let error = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err();
    let StateError::Corrupt {
        move_aside_command, ..
    } = &error
    else {
        panic!("expected Corrupt, got {error:?}");
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(move_aside_command)
        .status()
        .unwrap();
    assert!(status.success(), "{move_aside_command}");
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("my home"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "state_1.sqlite.corrupt-20251113-021320",
            "state_1.sqlite.corrupt-20251113-021320-shm",
            "state_1.sqlite.corrupt-20251113-021320-wal",
        ]
    );
    assert_eq!(
        std::fs::read(
            dir.path()
                .join("my home/state_1.sqlite.corrupt-20251113-021320-wal")
        )
        .unwrap(),
        b"old log"
    );
    // The next open starts a fresh database.
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    assert!(table_names(&pool).await.contains(&"threads".to_string()));

    // Without sidecars the same command moves the database alone and succeeds.
    pool.close().await;
    std::fs::remove_dir_all(dir.path().join("my home")).unwrap();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"not a database at all, just text").unwrap();
    let StateError::Corrupt {
        move_aside_command, ..
    } = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err()
    else {
        panic!("expected Corrupt");
    };
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&move_aside_command)
        .status()
        .unwrap();
    assert!(status.success(), "{move_aside_command}");
    assert!(!path.exists());
}

#[test]
fn an_extended_corrupt_code_is_reported_as_corrupt_with_the_move_command() {
    let path = std::path::Path::new("/tmp/x/state_1.sqlite");
    // SQLITE_CORRUPT_INDEX (779) and SQLITE_CORRUPT_SEQUENCE (523): primary code 11.
    for code in ["779", "523", "11", "26"] {
        let error = open_error(path, crate::sqlite_codes::tests::coded(code), &clock());
        assert!(
            matches!(&error, StateError::Corrupt { move_aside_command, .. }
                if *move_aside_command == expected_move_command(path)),
            "{code}: {error:?}"
        );
    }
    let busy = open_error(path, crate::sqlite_codes::tests::coded("261"), &clock());
    assert!(busy.is_busy(), "{busy:?}");
}

#[test]
fn paths_with_spaces_are_quoted_in_the_move_command() {
    assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    assert_eq!(shell_quote("/plain/path.sqlite"), "/plain/path.sqlite");
}

#[tokio::test]
async fn refusing_a_newer_database_does_not_even_change_its_journal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_1.sqlite");
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    sqlx::query(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO _sqlx_migrations VALUES (1, 'threads', 0, 1, x'00', 0), (9002, 'next', 0, 1, x'00', 0)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let before = std::fs::read(&path).unwrap();

    let error = open_sqlite(&path, &STATE_MIGRATOR, &clock())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StateError::NewerSchema { unknown_versions, .. } if unknown_versions == "9002"),
        "{error:?}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "file bytes unchanged"
    );
    assert!(!dir.path().join("state_1.sqlite-wal").exists());
}

#[tokio::test]
async fn a_schema_step_recorded_by_another_build_is_refused_with_the_command_to_move_the_file_aside()
 {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("logs_1.sqlite");
    let logs = &crate::logs::LOGS_MIGRATOR;
    let pool = open_sqlite(&path, logs, &clock()).await.unwrap();
    // As a development build left it: step 1 recorded with other contents, later steps not yet
    // run.
    sqlx::query("UPDATE _sqlx_migrations SET checksum = x'00' WHERE version = 1")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version >= 2")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let error = open_sqlite(&path, logs, &clock()).await.unwrap_err();
    let StateError::Corrupt {
        reason,
        move_aside_command,
        ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert!(reason.contains("schema step 1"), "{reason}");
    assert!(
        move_aside_command.starts_with("mv "),
        "{move_aside_command}"
    );
    // Nothing was migrated: the record is as the other build left it.
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .read_only(true);
    let pool = SqlitePool::connect_with(options).await.unwrap();
    let versions: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(versions, vec![(1, vec![0])]);
}

#[tokio::test]
async fn scrubbing_checks_the_checkpoint_and_fails_naming_the_file_while_a_reader_holds_the_wal() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_1.sqlite");
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    sqlx::query("INSERT INTO index_failures (rollout_path, file_size, file_mtime_ns, file_inode, file_ctime_ns, reason) VALUES ('a', 1, 1, 1, 1, 'zebra quartz marmalade')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM index_failures")
        .execute(&pool)
        .await
        .unwrap();
    // Another process reading: its snapshot keeps the log in use.
    let mut reader = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mut snapshot = reader.begin().await.unwrap();
    let _: Vec<(String,)> = sqlx::query_as("SELECT reason FROM index_failures")
        .fetch_all(&mut *snapshot)
        .await
        .unwrap();
    let mut connection = pool.acquire().await.unwrap();
    // Each checkpoint waits this long for the reader (5 s in use); the test need not.
    sqlx::query("PRAGMA busy_timeout = 100")
        .execute(&mut *connection)
        .await
        .unwrap();
    let error = scrub_database(&mut connection, "main", &path)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StateError::WalInUse { path: named, .. } if *named == path),
        "{error}"
    );
    snapshot.commit().await.unwrap();
    reader.close().await.unwrap();
    scrub_database(&mut connection, "main", &path)
        .await
        .unwrap();
    let wal = std::fs::metadata(dir.path().join("state_1.sqlite-wal")).unwrap();
    assert_eq!(wal.len(), 0);
    for file in ["state_1.sqlite", "state_1.sqlite-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap();
        assert!(!bytes.windows(12).any(|w| w == b"zebra quartz"), "{file}");
    }
}

/// sqlx spawns a maintenance task for a pool with an idle timeout or a maximum lifetime; in
/// sqlx 0.8.6 its reaper loop can spin forever (launchbadge/sqlx#3645) and hang the runtime's
/// shutdown at exit. Our pools set neither, so no such task runs.
#[tokio::test]
async fn our_pools_run_no_maintenance_task() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state_1.sqlite");
    let pool = open_sqlite(&path, &STATE_MIGRATOR, &clock()).await.unwrap();
    let ReadOnlyOpen::Ready(read_only) =
        open_sqlite_read_only(&path, &STATE_MIGRATOR, &[], &clock())
            .await
            .unwrap()
    else {
        panic!("the database was just created");
    };
    for pool in [&pool, &read_only] {
        assert_eq!(
            (
                pool.options().get_idle_timeout(),
                pool.options().get_max_lifetime(),
                pool.options().get_min_connections()
            ),
            (None, None, 0)
        );
    }
    read_only.close().await;
    pool.close().await;
}
