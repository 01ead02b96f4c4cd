//! Where the command's `tracing` goes: human-readable lines on stderr (filtered by `RUST_LOG`,
//! default `warn`) and every event of interest into the logs DB under the sqlite home. stdout is
//! never written here: it belongs to `--json` output and the MCP server. A logs DB that cannot
//! be opened costs one warning on stderr, never the command.

use std::sync::Arc;

use codex_memories::redacting_filter;
use codex_state::SystemClock;
use codex_state::logs::{LogGuard, LogWriterConfig, logs_db_path, start_log_writer};
use tracing::level_filters::LevelFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::commands::HomeArgs;

/// The target of the row recording a failed command, which `main` also prints as `error: …`.
pub const FAILURE_TARGET: &str = "codex_memories_cli::failure";
/// The stderr filter when `RUST_LOG` is unset or invalid (the failure row is already printed).
const DEFAULT_STDERR_FILTER: &str = "warn,codex_memories_cli::failure=off";
/// Our own crates, recorded in the logs DB from DEBUG up; everything else from INFO up.
const OUR_TARGETS: &[&str] = &[
    "codex_memories",
    "codex_memories_cli",
    "codex_state",
    "codex_protocol",
];

/// Installs the global subscriber. Keep the returned guard until the command ends: dropping it
/// commits the last rows (waiting a bounded time).
pub fn init(home: &HomeArgs) -> Option<LogGuard> {
    let stderr_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_STDERR_FILTER));
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(crate::terminal::StderrThroughBar)
        .with_filter(stderr_filter);
    let (db_layer, guard) = match open_logs_db(home) {
        Ok((layer, guard)) => (Some(layer.with_filter(db_filter())), Some(guard)),
        Err(error) => {
            eprintln!("warning: not recording logs: {error:#}");
            (None, None)
        }
    };
    let installed = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(db_layer)
        .try_init();
    if let Err(error) = installed {
        eprintln!("warning: not recording logs: {error}");
    }
    guard
}

/// Installs a stderr-only subscriber (for `demo`, which must not touch the user's homes).
pub fn init_stderr_only() {
    let stderr_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_STDERR_FILTER));
    let stderr_layer = tracing_subscriber::fmt::layer()
        .with_writer(crate::terminal::StderrThroughBar)
        .with_filter(stderr_filter);
    let _ = tracing_subscriber::registry().with(stderr_layer).try_init();
}

fn open_logs_db(home: &HomeArgs) -> anyhow::Result<(codex_state::logs::LogLayer, LogGuard)> {
    let homes = home.resolve()?;
    // A row may quote a model answer or a session (a failure reason): redacted before written.
    let config = LogWriterConfig::default().with_body_filter(Some(redacting_filter()));
    let layer_and_guard = start_log_writer(&logs_db_path(&homes)?, config, Arc::new(SystemClock))?;
    Ok(layer_and_guard)
}

fn db_filter() -> Targets {
    OUR_TARGETS
        .iter()
        .fold(
            Targets::new().with_default(LevelFilter::INFO),
            |targets, target| targets.with_target(*target, LevelFilter::DEBUG),
        )
        .with_target("sqlx", LevelFilter::OFF)
}
