//! `StateRuntime`: the open state database (the thread index) plus the resolved homes and the
//! clock every write uses. It owns the connection pool; queries live beside the tables they
//! touch (`threads.rs`, `indexer/`). Opening never touches Codex's own database files.

use std::path::Path;
use std::sync::Arc;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;

use crate::sqlite::{ReadOnlyOpen, open_sqlite, open_sqlite_read_only};
use crate::{Clock, Homes, StateError, SystemClock};

/// The state DB's schema, embedded at build time from `state/migrations/`.
pub(crate) static STATE_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// The open state database, with the homes it belongs to and the injected clock.
#[derive(Debug, Clone)]
pub struct StateRuntime {
    homes: Homes,
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    text_filter: Option<TextFilter>,
}

/// A rewrite applied to the user text the indexer stores (title, first user message, preview),
/// e.g. secret redaction; the library above this crate supplies it.
#[derive(Clone)]
pub struct TextFilter(pub Arc<dyn Fn(&str) -> String + Send + Sync>);

impl std::fmt::Debug for TextFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TextFilter")
    }
}

impl StateRuntime {
    /// Opens (creating and migrating as needed) `<sqlite_home>/state_1.sqlite` with the system
    /// clock.
    pub async fn open(homes: Homes) -> Result<Self, StateError> {
        Self::open_with_clock(homes, Arc::new(SystemClock)).await
    }

    /// Opens the state database with an injected clock (tests pass a `ManualClock`).
    pub async fn open_with_clock(homes: Homes, clock: Arc<dyn Clock>) -> Result<Self, StateError> {
        refuse_codex_home_root(&homes)?;
        let pool = open_sqlite(&homes.state_db_path(), &STATE_MIGRATOR, clock.as_ref()).await?;
        Ok(Self {
            homes,
            pool,
            clock,
            text_filter: None,
        })
    }

    /// Opens the state database for reading only, as `status` does: nothing is created or
    /// migrated; a missing or older database is reported as such instead of being opened.
    pub async fn open_read_only(
        homes: Homes,
        clock: Arc<dyn Clock>,
    ) -> Result<ReadOnlyOpen<Self>, StateError> {
        refuse_codex_home_root(&homes)?;
        let opened =
            open_sqlite_read_only(&homes.state_db_path(), &STATE_MIGRATOR, &[], clock.as_ref())
                .await?;
        Ok(opened.map(|pool| Self {
            homes,
            pool,
            clock,
            text_filter: None,
        }))
    }

    /// Applies `filter` to the user text the indexer stores from now on.
    pub fn with_text_filter(mut self, filter: TextFilter) -> Self {
        self.text_filter = Some(filter);
        self
    }

    /// The filter the indexer applies to stored user text, if any.
    pub fn text_filter(&self) -> Option<&TextFilter> {
        self.text_filter.as_ref()
    }

    /// The resolved homes.
    pub fn homes(&self) -> &Homes {
        &self.homes
    }

    /// The state database's connection pool.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The clock every timestamp comes from.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The state database file.
    pub fn state_db_path(&self) -> std::path::PathBuf {
        self.homes.state_db_path()
    }

    /// Closes the pool, checkpointing the WAL; later queries fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Our databases must not sit at the Codex home root, beside Codex's own `state_*.sqlite`.
pub(crate) fn refuse_codex_home_root(homes: &Homes) -> Result<(), StateError> {
    if same_folder(&homes.sqlite_home, &homes.codex_home) {
        return Err(StateError::SqliteHomeIsCodexHome {
            path: homes.sqlite_home.clone(),
            default: Homes::under_codex_home(&homes.codex_home).sqlite_home,
        });
    }
    Ok(())
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
#[path = "runtime_tests.rs"]
mod tests;
