//! `DatabaseError`: what SQLite or its driver reported, kept opaque so that the driver (sqlx) is
//! no part of this crate's public API. A caller asks it what it needs to decide — is it a lock
//! held by another connection ([`DatabaseError::is_busy`]), a damaged file, a full disk — and
//! prints it; the driver's own error stays reachable through `std::error::Error::source`.

use std::fmt;

use crate::sqlite_codes::{SqliteFailure, classify};

/// A failure reported by SQLite or the driver, carried in [`crate::StateError`] and
/// [`crate::logs::LogsError`]. Its text is the driver's.
pub struct DatabaseError(Inner);

enum Inner {
    Driver(sqlx::Error),
    Migrate(sqlx::migrate::MigrateError),
}

impl DatabaseError {
    pub(crate) fn driver(source: sqlx::Error) -> Self {
        Self(Inner::Driver(source))
    }

    pub(crate) fn migrate(source: sqlx::migrate::MigrateError) -> Self {
        Self(Inner::Migrate(source))
    }

    /// The driver error underneath, when a statement (or a migration's statement) failed.
    pub(crate) fn as_driver(&self) -> Option<&sqlx::Error> {
        match &self.0 {
            Inner::Driver(source)
            | Inner::Migrate(sqlx::migrate::MigrateError::Execute(source)) => Some(source),
            Inner::Migrate(_) => None,
        }
    }

    fn failure(&self) -> SqliteFailure {
        self.as_driver().map_or(SqliteFailure::Other, classify)
    }

    /// Whether SQLite failed only because another connection held a lock (`SQLITE_BUSY`,
    /// `SQLITE_LOCKED` or any of their extended codes), so running the operation again may work.
    pub fn is_busy(&self) -> bool {
        self.failure() == SqliteFailure::Busy
    }

    /// Whether the file is damaged or is not a database (`SQLITE_CORRUPT`, `SQLITE_NOTADB`):
    /// running again cannot help; the file has to be moved aside.
    pub fn is_corrupt(&self) -> bool {
        self.failure() == SqliteFailure::Corrupt
    }

    /// Whether the disk (or SQLite's page limit) is full (`SQLITE_FULL`).
    pub fn is_disk_full(&self) -> bool {
        self.failure() == SqliteFailure::Full
    }
}

impl fmt::Display for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Driver(source) => source.fmt(f),
            Inner::Migrate(source) => source.fmt(f),
        }
    }
}

impl fmt::Debug for DatabaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Driver(source) => source.fmt(f),
            Inner::Migrate(source) => source.fmt(f),
        }
    }
}

impl std::error::Error for DatabaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Inner::Driver(source) => source.source(),
            Inner::Migrate(source) => source.source(),
        }
    }
}
