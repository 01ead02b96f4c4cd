//! Classifying SQLite failures by their primary result code. The driver reports SQLite's
//! *extended* code (`SQLITE_BUSY_RECOVERY` = 261, `SQLITE_LOCKED_SHAREDCACHE` = 262,
//! `SQLITE_CORRUPT_INDEX` = 779, …), whose low byte is the primary code; every check of ours masks
//! it here, once, so no caller compares a code against a bare `"5"` and misses its variants.

/// The primary result codes we act on (<https://www.sqlite.org/rescode.html>).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_CORRUPT: i64 = 11;
const SQLITE_FULL: i64 = 13;
const SQLITE_NOTADB: i64 = 26;
/// The bits of an extended result code that hold its primary code.
const PRIMARY_CODE_MASK: i64 = 0xff;

/// What kind of SQLite failure a driver error is, by its primary result code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteFailure {
    /// `SQLITE_BUSY` or `SQLITE_LOCKED` and their extended codes: another connection holds a
    /// lock; the operation may succeed when run again.
    Busy,
    /// `SQLITE_CORRUPT` or `SQLITE_NOTADB` and their extended codes: the file is damaged or is not
    /// a database; running again cannot help.
    Corrupt,
    /// `SQLITE_FULL`: the disk (or `max_page_count`) is full.
    Full,
    /// Any other database error, or an error that did not come from SQLite.
    Other,
}

/// The primary result code of `error` when SQLite reported one (the extended code masked).
pub fn primary_result_code(error: &sqlx::Error) -> Option<i64> {
    let code = error.as_database_error()?.code()?;
    let extended: i64 = code.parse().ok()?;
    Some(extended & PRIMARY_CODE_MASK)
}

/// Classifies `error` by its primary result code.
pub fn classify(error: &sqlx::Error) -> SqliteFailure {
    match primary_result_code(error) {
        Some(SQLITE_BUSY | SQLITE_LOCKED) => SqliteFailure::Busy,
        Some(SQLITE_CORRUPT | SQLITE_NOTADB) => SqliteFailure::Corrupt,
        Some(SQLITE_FULL) => SqliteFailure::Full,
        _ => SqliteFailure::Other,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::borrow::Cow;
    use std::fmt;

    use pretty_assertions::assert_eq;
    use sqlx::error::{DatabaseError, ErrorKind};

    use super::*;

    /// A database error carrying `code`, as the driver reports one.
    #[derive(Debug)]
    pub(crate) struct CodedError(pub(crate) &'static str);

    impl fmt::Display for CodedError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "(code: {}) simulated", self.0)
        }
    }

    impl std::error::Error for CodedError {}

    impl DatabaseError for CodedError {
        fn message(&self) -> &str {
            "simulated"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    /// A driver error with SQLite result code `code`.
    pub(crate) fn coded(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(CodedError(code)))
    }

    #[test]
    fn extended_result_codes_are_classified_by_their_primary_code() {
        let cases = [
            ("5", SqliteFailure::Busy),
            ("261", SqliteFailure::Busy), // SQLITE_BUSY_RECOVERY
            ("517", SqliteFailure::Busy), // SQLITE_BUSY_SNAPSHOT
            ("773", SqliteFailure::Busy), // SQLITE_BUSY_TIMEOUT
            ("6", SqliteFailure::Busy),   // SQLITE_LOCKED
            ("262", SqliteFailure::Busy), // SQLITE_LOCKED_SHAREDCACHE
            ("518", SqliteFailure::Busy), // SQLITE_LOCKED_VTAB
            ("11", SqliteFailure::Corrupt),
            ("267", SqliteFailure::Corrupt), // SQLITE_CORRUPT_VTAB
            ("523", SqliteFailure::Corrupt), // SQLITE_CORRUPT_SEQUENCE
            ("779", SqliteFailure::Corrupt), // SQLITE_CORRUPT_INDEX
            ("26", SqliteFailure::Corrupt),  // SQLITE_NOTADB
            ("13", SqliteFailure::Full),
            ("1", SqliteFailure::Other),
            ("2067", SqliteFailure::Other), // SQLITE_CONSTRAINT_UNIQUE
        ];
        let classified: Vec<(&str, SqliteFailure)> = cases
            .iter()
            .map(|(code, _)| (*code, classify(&coded(code))))
            .collect();
        assert_eq!(classified, cases.to_vec());
        assert_eq!(classify(&sqlx::Error::RowNotFound), SqliteFailure::Other);
    }

    #[tokio::test]
    async fn a_stale_read_snapshot_upgrading_to_write_is_busy() {
        // A real extended code: a WAL reader whose snapshot is older than the last commit cannot
        // upgrade to a writer (SQLITE_BUSY_SNAPSHOT, 517), whatever the busy timeout.
        use sqlx::{Connection, SqliteConnection};
        let dir = tempfile::tempdir().unwrap();
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("x.sqlite"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let mut reader = SqliteConnection::connect_with(&options).await.unwrap();
        let mut writer = SqliteConnection::connect_with(&options).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&mut writer)
            .await
            .unwrap();
        sqlx::query("BEGIN").execute(&mut reader).await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM t")
            .execute(&mut reader)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut writer)
            .await
            .unwrap();
        let error = sqlx::query("INSERT INTO t VALUES (2)")
            .execute(&mut reader)
            .await
            .unwrap_err();
        assert_eq!(
            error.as_database_error().and_then(|e| e.code()).as_deref(),
            Some("517")
        );
        assert_eq!(classify(&error), SqliteFailure::Busy);
    }
}
