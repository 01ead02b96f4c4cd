//! Opening one SQLite database: pragmas (WAL, `synchronous=NORMAL`, 5 s busy timeout), a small
//! pool, and the embedded migrations. Every database of ours opens through [`open_sqlite`], which
//! refuses a file written by a newer version of us and a file that is not SQLite, before
//! changing anything in it.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::sqlite_codes::{SqliteFailure, classify};
use crate::{Clock, StateError};

/// How long a statement waits for another connection's lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections per database pool.
pub const MAX_POOL_CONNECTIONS: u32 = 4;
/// How often a migration that failed without another process having applied anything
/// meanwhile is tried again. A failure while another process applied a step (SQLite has no
/// migration lock, so several first opens race) does not count: each such loss means the
/// schema moved forward, so the losses are bounded by the number of migrations.
const MIGRATION_ATTEMPTS: usize = 3;
/// The first bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// The files SQLite keeps beside a database in WAL mode: the log and its shared-memory index.
const SIDECAR_SUFFIXES: [&str; 2] = ["-wal", "-shm"];
/// Attempts at emptying a WAL that another connection still reads from. Each attempt itself
/// waits up to the busy timeout (5 s) for the readers to finish, so two attempts wait ~10 s.
const TRUNCATE_WAL_ATTEMPTS: u32 = 2;
/// Pause between those attempts.
const TRUNCATE_WAL_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Opening attempts when another process holds a lock the busy timeout does not cover.
const OPEN_ATTEMPTS: usize = 20;
/// Pause between those attempts.
const OPEN_RETRY_DELAY: Duration = Duration::from_millis(50);

/// Opens (creating if missing) the database at `path` and brings its schema up to `migrator`.
/// Fails with [`StateError::NewerSchema`] when the file holds migrations this build does not
/// know (checked through a read-only connection first), and with [`StateError::Corrupt`] (naming
/// the `mv` command to move it aside) when it is not a SQLite database; in both cases the file
/// is left as it was.
pub async fn open_sqlite(
    path: &Path,
    migrator: &'static Migrator,
    clock: &dyn Clock,
) -> Result<SqlitePool, StateError> {
    open_sqlite_with_page_size(path, migrator, None, clock).await
}

/// Like [`open_sqlite`], creating a missing file with pages of `page_size` bytes (a power of two
/// from 512 to 65 536) instead of SQLite's 4 096. An existing file keeps the page size it was
/// created with: in WAL mode SQLite ignores the setting once the file has content.
pub async fn open_sqlite_with_page_size(
    path: &Path,
    migrator: &'static Migrator,
    page_size: Option<u32>,
    clock: &dyn Clock,
) -> Result<SqlitePool, StateError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| StateError::CreateDir {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let existing = check_header(path, clock)?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        match connect_and_migrate(path, existing, migrator, page_size, clock).await {
            Err(error) if attempt < OPEN_ATTEMPTS && error.is_busy() => {
                tokio::time::sleep(OPEN_RETRY_DELAY).await;
            }
            result => return result,
        }
    }
}

/// One attempt at opening: refuse a newer schema (read-only), connect (setting WAL), migrate.
async fn connect_and_migrate(
    path: &Path,
    existing: bool,
    migrator: &'static Migrator,
    page_size: Option<u32>,
    clock: &dyn Clock,
) -> Result<SqlitePool, StateError> {
    if existing {
        refuse_newer_schema(path, migrator, clock).await?;
    }
    let pool = connect(path, &[], page_size, clock).await?;
    migrate(path, &pool, migrator, clock).await?;
    Ok(pool)
}

/// What opening a database read-only found ([`crate::StateRuntime::open_read_only`] and
/// [`crate::MemoryStore::open_read_only`] never create, migrate or otherwise change a file).
#[derive(Debug)]
pub enum ReadOnlyOpen<T> {
    /// There is no database at the path yet.
    Missing {
        /// The database file.
        path: PathBuf,
    },
    /// The file misses schema steps this build would apply: it is not read (its tables may lack
    /// columns this build asks for); the next command that may write upgrades it.
    Older {
        /// The database file.
        path: PathBuf,
        /// The newest step the file has (0 for none).
        applied: i64,
        /// The newest step this build knows.
        latest: i64,
    },
    /// Open for reading, at this build's schema.
    Ready(T),
}

impl<T> ReadOnlyOpen<T> {
    /// The same outcome around another value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ReadOnlyOpen<U> {
        match self {
            ReadOnlyOpen::Missing { path } => ReadOnlyOpen::Missing { path },
            ReadOnlyOpen::Older {
                path,
                applied,
                latest,
            } => ReadOnlyOpen::Older {
                path,
                applied,
                latest,
            },
            ReadOnlyOpen::Ready(value) => ReadOnlyOpen::Ready(f(value)),
        }
    }
}

/// Opens the database at `path` for reading only: no file is created, no migration runs, the
/// journal mode is left as it is. A damaged file or one written by a newer build fails as in
/// [`open_sqlite`]; each of `attachments` is ATTACHed read-only when its file exists.
pub async fn open_sqlite_read_only(
    path: &Path,
    migrator: &'static Migrator,
    attachments: &[Attachment],
    clock: &dyn Clock,
) -> Result<ReadOnlyOpen<SqlitePool>, StateError> {
    if !check_header(path, clock)? {
        return Ok(ReadOnlyOpen::Missing {
            path: path.to_path_buf(),
        });
    }
    let mut attach = Vec::with_capacity(attachments.len());
    for attachment in attachments.iter().filter(|a| a.path.exists()) {
        attach.push((attachment.alias, read_only_uri(&attachment.path)?));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = pool_options(&attach)
        .connect_with(options)
        .await
        .map_err(|source| open_error(path, source, clock))?;
    let applied = match applied_versions(path, &pool, clock).await {
        Ok(applied) => applied,
        Err(error) => {
            pool.close().await;
            return Err(error);
        }
    };
    let known = known_versions(migrator);
    if let Err(error) = refuse_unknown_versions(path, &applied, &known) {
        pool.close().await;
        return Err(error);
    }
    if !known.is_subset(&applied) {
        pool.close().await;
        return Ok(ReadOnlyOpen::Older {
            path: path.to_path_buf(),
            applied: applied.last().copied().unwrap_or(0),
            latest: known.last().copied().unwrap_or(0),
        });
    }
    Ok(ReadOnlyOpen::Ready(pool))
}

/// A database that lives in memory only, migrated to `migrator`, with `attachments` ATTACHed
/// read-only: for reading the attached files through queries written for the migrated schema
/// (an empty memories DB over an existing thread index) without writing any file. One
/// connection, since each connection to `:memory:` is a database of its own.
pub async fn open_sqlite_in_memory(
    migrator: &'static Migrator,
    attachments: &[Attachment],
) -> Result<SqlitePool, StateError> {
    let mut attach = Vec::with_capacity(attachments.len());
    for attachment in attachments.iter().filter(|a| a.path.exists()) {
        attach.push((attachment.alias, read_only_uri(&attachment.path)?));
    }
    let memory = PathBuf::from(":memory:");
    let options = SqliteConnectOptions::new().in_memory(true);
    let pool = pool_options(&attach)
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|source| StateError::Open {
            path: memory.clone(),
            source: crate::DatabaseError::driver(source),
        })?;
    migrator
        .run(&pool)
        .await
        .map_err(|source| StateError::Migrate {
            path: memory,
            source: crate::DatabaseError::migrate(source),
        })?;
    Ok(pool)
}

/// Another database file ATTACHed read-only to every connection of a pool, under `alias`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The schema name queries use, e.g. `state` in `state.threads`.
    pub alias: &'static str,
    /// The database file; it must already exist (it is opened read-only, never created).
    pub path: PathBuf,
}

/// Like [`open_sqlite`], then ATTACHes each of `attachments` read-only on every connection of the
/// returned pool, so queries can join across files while writes can only go to `path`. The
/// migrations run on a pool without the attachments, so an unqualified name in them (or in
/// `_sqlx_migrations`) can never resolve to a table of an attached file.
pub async fn open_sqlite_attached(
    path: &Path,
    migrator: &'static Migrator,
    attachments: &[Attachment],
    clock: &dyn Clock,
) -> Result<SqlitePool, StateError> {
    let migrating = open_sqlite(path, migrator, clock).await?;
    migrating.close().await;
    let mut attach = Vec::with_capacity(attachments.len());
    for attachment in attachments {
        attach.push((attachment.alias, read_only_uri(&attachment.path)?));
    }
    connect(path, &attach, None, clock).await
}

/// A pool over `path` with our pragmas; `attach` holds (alias, read-only URI) pairs, `page_size`
/// the page size of a file this creates.
async fn connect(
    path: &Path,
    attach: &[(&'static str, String)],
    page_size: Option<u32>,
    clock: &dyn Clock,
) -> Result<SqlitePool, StateError> {
    let mut options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    if let Some(page_size) = page_size {
        options = options.page_size(page_size);
    }
    pool_options(attach)
        .connect_with(options)
        .await
        .map_err(|source| open_error(path, source, clock))
}

/// Our pool settings, ATTACHing `attach` ((alias, read-only URI) pairs) on every connection.
fn pool_options(attach: &[(&'static str, String)]) -> SqlitePoolOptions {
    // No ping before each acquire: the file is local, and the ping is one more round trip to
    // the connection's thread inside every write transaction. No idle timeout and no maximum
    // lifetime: a local file gains nothing from reaping its connections, and with neither set
    // sqlx spawns no maintenance task, whose reaper loop can spin a core forever and hang the
    // runtime's shutdown (sqlx 0.8.6's `num_idle` underflow, launchbadge/sqlx#3645; seen once as
    // a `codex-memories run` that printed its report and never exited).
    let mut pool_options = SqlitePoolOptions::new()
        .max_connections(MAX_POOL_CONNECTIONS)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false);
    if !attach.is_empty() {
        let attach: Arc<Vec<(&'static str, String)>> = Arc::new(attach.to_vec());
        pool_options = pool_options.after_connect(move |connection, _| {
            let attach = Arc::clone(&attach);
            Box::pin(async move {
                for (alias, uri) in attach.iter() {
                    // The alias is one of our constants, never user input; the file is bound.
                    sqlx::query(&format!("ATTACH DATABASE ? AS {alias}"))
                        .bind(uri)
                        .execute(&mut *connection)
                        .await?;
                }
                Ok(())
            })
        });
    }
    pool_options
}

/// `file:<path>?mode=ro`, escaping the characters SQLite's URI parser treats specially.
fn read_only_uri(path: &Path) -> Result<String, StateError> {
    let Some(text) = path.to_str() else {
        return Err(StateError::NonUtf8Path {
            path: path.to_path_buf(),
        });
    };
    let mut uri = String::from("file:");
    for character in text.chars() {
        match character {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            other => uri.push(other),
        }
    }
    uri.push_str("?mode=ro");
    Ok(uri)
}

/// Looks at a database written before, through a read-only connection that changes nothing (not
/// even the journal mode), and fails if it holds migrations this build does not know.
async fn refuse_newer_schema(
    path: &Path,
    migrator: &'static Migrator,
    clock: &dyn Clock,
) -> Result<(), StateError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    let probe = SqlitePoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(|source| open_error(path, source, clock))?;
    let applied = applied_versions(path, &probe, clock).await;
    probe.close().await;
    refuse_unknown_versions(path, &applied?, &known_versions(migrator))
}

fn known_versions(migrator: &Migrator) -> BTreeSet<i64> {
    migrator.iter().map(|migration| migration.version).collect()
}

/// Refuses an existing non-empty file that does not start with the SQLite header; true when
/// there is such a file (a database written before).
fn check_header(path: &Path, clock: &dyn Clock) -> Result<bool, StateError> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut header = Vec::with_capacity(SQLITE_HEADER.len());
    (&mut file)
        .take(SQLITE_HEADER.len() as u64)
        .read_to_end(&mut header)
        .map_err(|source| StateError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if header.is_empty() {
        return Ok(false);
    }
    if header == SQLITE_HEADER {
        return Ok(true);
    }
    Err(corrupt(
        path,
        "the file does not start with the SQLite header".to_string(),
        clock,
    ))
}

async fn migrate(
    path: &Path,
    pool: &SqlitePool,
    migrator: &'static Migrator,
    clock: &dyn Clock,
) -> Result<(), StateError> {
    let known = known_versions(migrator);
    let mut attempt = 0;
    let mut applied_before: Option<BTreeSet<i64>> = None;
    loop {
        let applied = applied_versions(path, pool, clock).await?;
        // A race lost to a process that applied a step is progress, not a failed attempt.
        let progressed = applied_before.as_ref() != Some(&applied);
        attempt = if progressed { 1 } else { attempt + 1 };
        applied_before = Some(applied.clone());
        refuse_unknown_versions(path, &applied, &known)?;
        if known.is_subset(&applied) {
            return Ok(());
        }
        match migrator.run(pool).await {
            Ok(()) => return Ok(()),
            // A development build changed a migration after this file recorded it: no later
            // migration can be trusted on it, and retrying cannot help.
            Err(MigrateError::VersionMismatch(version)) => {
                let reason = format!(
                    "its schema step {version} was written by a different build of \
                     codex-memories than this one"
                );
                return Err(corrupt(path, reason, clock));
            }
            // Another process may have applied the same migration between our check and our
            // run (SQLite has no migration lock); the next pass sees it applied.
            Err(_) if attempt < MIGRATION_ATTEMPTS => continue,
            Err(source) => {
                return Err(StateError::Migrate {
                    path: path.to_path_buf(),
                    source: crate::DatabaseError::migrate(source),
                });
            }
        }
    }
}

/// The versions recorded in `_sqlx_migrations`, empty for a fresh database.
async fn applied_versions(
    path: &Path,
    pool: &SqlitePool,
    clock: &dyn Clock,
) -> Result<BTreeSet<i64>, StateError> {
    let table: Option<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await
    .map_err(|source| open_error(path, source, clock))?;
    if table.is_none() {
        return Ok(BTreeSet::new());
    }
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .map_err(|source| open_error(path, source, clock))?;
    Ok(rows.into_iter().map(|(version,)| version).collect())
}

fn refuse_unknown_versions(
    path: &Path,
    applied: &BTreeSet<i64>,
    known: &BTreeSet<i64>,
) -> Result<(), StateError> {
    let unknown: Vec<String> = applied
        .difference(known)
        .map(|version| version.to_string())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(StateError::NewerSchema {
        path: path.to_path_buf(),
        unknown_versions: unknown.join(", "),
        latest_known: known.last().copied().unwrap_or(0),
    })
}

/// Maps a driver error to `Corrupt` when SQLite says the file is damaged or not a database (any
/// extended code of `SQLITE_CORRUPT` or `SQLITE_NOTADB`).
fn open_error(path: &Path, source: sqlx::Error, clock: &dyn Clock) -> StateError {
    match classify(&source) {
        SqliteFailure::Corrupt => corrupt(path, source.to_string(), clock),
        _ => StateError::Open {
            path: path.to_path_buf(),
            source: crate::DatabaseError::driver(source),
        },
    }
}

fn corrupt(path: &Path, reason: String, clock: &dyn Clock) -> StateError {
    StateError::Corrupt {
        path: path.to_path_buf(),
        reason,
        move_aside_command: move_aside_command(path, clock),
    }
}

/// The POSIX shell command that moves the database at `path` to `<path>.corrupt-<date>`
/// together with its `-wal` and `-shm` files (as `<path>.corrupt-<date>-wal`, …), so the moved
/// copy stays openable with its log, and a fresh database created at `path` never meets the old
/// one's log (SQLite would replay it into the new file). The sidecars are moved only if they
/// exist when the command runs: SQLite creates and deletes them as connections come and go.
fn move_aside_command(path: &Path, clock: &dyn Clock) -> String {
    let date = clock.now().format("%Y%m%d-%H%M%S");
    let shown = shell_quote(&path.display().to_string());
    let aside = shell_quote(&format!("{}.corrupt-{date}", path.display()));
    let suffixes = SIDECAR_SUFFIXES.join(" ");
    format!(
        "mv {shown} {aside} && for s in {suffixes}; do if [ -e {shown}$s ]; then mv {shown}$s {aside}$s; fi; done"
    )
}

/// Quotes a path for a POSIX shell only when it needs it.
fn shell_quote(text: &str) -> String {
    let plain = text
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"/._-+:@%,".contains(&byte));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Rewrites the database `schema` of `connection` (`VACUUM`: no free page keeps the text of
/// deleted rows) and empties its WAL (`wal_checkpoint(TRUNCATE)`: no frame keeps it either),
/// checking the checkpoint's result. A checkpoint that another connection's reads held back is
/// tried again (about ten seconds in all), then fails with [`StateError::WalInUse`] naming the file:
/// the text may still be in the log, and the caller must say so.
pub async fn scrub_database(
    connection: &mut sqlx::SqliteConnection,
    schema: &'static str,
    path: &Path,
) -> Result<(), StateError> {
    let query_error = |operation, source| StateError::Query {
        operation,
        path: path.to_path_buf(),
        source: crate::DatabaseError::driver(source),
    };
    // The schema name is one of our constants (`main`), never user input. VACUUM and the
    // checkpoint name it: unqualified, a checkpoint would also try attached (read-only) files.
    sqlx::query(&format!("VACUUM {schema}"))
        .execute(&mut *connection)
        .await
        .map_err(|source| query_error("vacuum", source))?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (busy, log_frames, checkpointed): (i64, i64, i64) =
            sqlx::query_as(&format!("PRAGMA {schema}.wal_checkpoint(TRUNCATE)"))
                .fetch_one(&mut *connection)
                .await
                .map_err(|source| query_error("empty the write-ahead log", source))?;
        // TRUNCATE reports (0, 0, 0) once the log is empty; -1 frames means not in WAL mode.
        if busy == 0 && log_frames <= 0 && checkpointed <= 0 {
            return Ok(());
        }
        if attempt >= TRUNCATE_WAL_ATTEMPTS {
            return Err(StateError::WalInUse {
                path: path.to_path_buf(),
                detail: format!(
                    "busy = {busy}, {log_frames} frame(s) in the log, {checkpointed} copied"
                ),
            });
        }
        tokio::time::sleep(TRUNCATE_WAL_RETRY_DELAY).await;
    }
}

#[cfg(test)]
#[path = "sqlite_tests.rs"]
mod tests;
