//! `LogsError`: what opening, writing or querying the logs DB can fail with. Each variant names
//! the database file involved; the layer itself never returns these (it counts drops instead).

use std::path::PathBuf;

use crate::{DatabaseError, StateError};

/// An error from the logs database or its writer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogsError {
    /// Opening or migrating the database failed.
    #[error(transparent)]
    Open(#[from] StateError),

    /// A statement failed.
    #[error("{operation} failed on {path}: {source}")]
    Query {
        /// What was being done, e.g. `insert logs`.
        operation: &'static str,
        /// The database file.
        path: PathBuf,
        /// What SQLite reported.
        source: DatabaseError,
    },

    /// The writer could not commit the rows a flush waited for.
    #[error("cannot write logs to {path}: {reason}")]
    Write {
        /// The database file.
        path: PathBuf,
        /// The failure of the batch.
        reason: String,
    },

    /// The writer thread has stopped (after a shutdown, or it could not start).
    #[error("the log writer for {path} has stopped")]
    WriterStopped {
        /// The database file.
        path: PathBuf,
    },

    /// A flush or shutdown did not finish in time (the writer may be waiting on a lock).
    #[error("the log writer for {path} did not flush within {waited:?}")]
    FlushTimedOut {
        /// The database file.
        path: PathBuf,
        /// How long the caller waited.
        waited: std::time::Duration,
    },

    /// The writer thread could not be started.
    #[error("cannot start the log writer for {path}: {source}")]
    Spawn {
        /// The database file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// A stored row could not be read back.
    #[error("bad row {id} in {path}: {detail}")]
    BadRow {
        /// The database file.
        path: PathBuf,
        /// The row id.
        id: i64,
        /// What was wrong.
        detail: String,
    },
}
