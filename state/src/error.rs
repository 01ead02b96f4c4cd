//! `StateError`: everything the state crate can fail with. Each variant names the database file,
//! rollout path or thread involved and, where there is one, what the user should do next.

use std::path::PathBuf;

use crate::DatabaseError;

/// An error from the state databases or the indexer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// No home directory to put the default Codex home in.
    #[error("cannot find a home directory: set CODEX_HOME or pass --codex-home")]
    NoHomeDirectory,

    /// The sqlite home resolves to the Codex home root, where Codex keeps its own databases.
    #[error(
        "the sqlite home {path} is the Codex home itself, where Codex keeps its own databases; \
         use its default ({default}) or another folder"
    )]
    SqliteHomeIsCodexHome {
        /// The offending folder.
        path: PathBuf,
        /// The default sqlite home for this Codex home.
        default: PathBuf,
    },

    /// A folder could not be created.
    #[error("cannot create {path}: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// A file that should be a SQLite database is not one (or is damaged).
    #[error(
        "{path} is not a usable SQLite database ({reason}); move it aside with `{move_aside_command}` \
         and run again to start a fresh one"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
        /// The shell command that moves the file out of the way.
        move_aside_command: String,
    },

    /// The database was migrated by a newer codex-memories; this build must not touch it.
    #[error(
        "{path} was written by a newer codex-memories (schema version(s) {unknown_versions} are \
         unknown to this build, which knows up to {latest_known}); upgrade codex-memories, or \
         point --sqlite-home at another folder"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The applied versions this build does not know, comma-separated.
        unknown_versions: String,
        /// The newest version embedded in this build.
        latest_known: i64,
    },

    /// The database could not be opened.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        source: DatabaseError,
    },

    /// A migration failed.
    #[error("cannot migrate database {path}: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// What the migration reported.
        source: DatabaseError,
    },

    /// A query failed.
    #[error("{operation} failed on {path}: {source}")]
    Query {
        /// What was being done, e.g. `upsert threads`.
        operation: &'static str,
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        source: DatabaseError,
    },

    /// A stored value could not be read back (e.g. a thread id that is not a UUID).
    #[error("bad value in {path}, {what}: {detail}")]
    BadRow {
        /// The database file.
        path: PathBuf,
        /// Which column or row.
        what: String,
        /// What was wrong.
        detail: String,
    },

    /// A rollout folder could not be walked.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// A database path that SQLite cannot be handed as a URI.
    #[error(
        "cannot attach {path}: the path is not valid UTF-8; choose a sqlite home with a UTF-8 path"
    )]
    NonUtf8Path {
        /// The database file.
        path: PathBuf,
    },

    /// Another connection kept part of the WAL in use, so the log could not be emptied: the
    /// text of deleted rows may still be in it.
    #[error(
        "cannot empty the write-ahead log of {path}: another process keeps reading it ({detail}); \
         stop it (a running `codex-memories mcp`, `logs --follow` or `run`) and try again"
    )]
    WalInUse {
        /// The database file.
        path: PathBuf,
        /// What the checkpoint reported.
        detail: String,
    },

    /// A background parsing task died.
    #[error("the indexer's worker task failed: {0}")]
    Worker(String),
}

impl StateError {
    /// What SQLite reported, when this error came from a statement, an open or a migration.
    pub fn database_error(&self) -> Option<&DatabaseError> {
        match self {
            StateError::Open { source, .. }
            | StateError::Query { source, .. }
            | StateError::Migrate { source, .. } => Some(source),
            _ => None,
        }
    }

    /// Whether SQLite failed only because another connection held a lock (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED` or any of their extended codes), so running the operation again may work.
    pub fn is_busy(&self) -> bool {
        self.database_error().is_some_and(DatabaseError::is_busy)
    }
}
