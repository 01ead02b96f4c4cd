//! One log row before it has an id ([`LogEntry`]) and the level it carries ([`LogLevel`]). The
//! entry is what the layer builds and the writer inserts; its `estimated_bytes` is the cost the
//! retention caps count, computed once here so every writer agrees on it.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a row costs beyond its text columns in the byte caps (id, timestamps, line, index
/// entries), in bytes.
pub const ROW_OVERHEAD_BYTES: i64 = 64;

/// A `tracing` level, as stored in the `level` column (`ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Very verbose diagnostics.
    Trace,
    /// Diagnostics for developers.
    Debug,
    /// What an operator wants to see.
    Info,
    /// Something went wrong but work continues.
    Warn,
    /// Something failed.
    Error,
}

impl LogLevel {
    /// Every level, least severe first.
    pub const ALL: [LogLevel; 5] = [
        LogLevel::Trace,
        LogLevel::Debug,
        LogLevel::Info,
        LogLevel::Warn,
        LogLevel::Error,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }

    /// This level and every more severe one (what `--level` selects).
    pub fn and_above(self) -> impl Iterator<Item = LogLevel> {
        Self::ALL.into_iter().filter(move |level| *level >= self)
    }
}

impl From<tracing::Level> for LogLevel {
    fn from(level: tracing::Level) -> Self {
        match level {
            tracing::Level::TRACE => LogLevel::Trace,
            tracing::Level::DEBUG => LogLevel::Debug,
            tracing::Level::INFO => LogLevel::Info,
            tracing::Level::WARN => LogLevel::Warn,
            tracing::Level::ERROR => LogLevel::Error,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not a level name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown log level `{0}`: expected error, warn, info, debug or trace")]
pub struct UnknownLogLevel(pub String);

impl FromStr for LogLevel {
    type Err = UnknownLogLevel;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_uppercase().as_str() {
            "TRACE" => Ok(LogLevel::Trace),
            "DEBUG" => Ok(LogLevel::Debug),
            "INFO" => Ok(LogLevel::Info),
            "WARN" | "WARNING" => Ok(LogLevel::Warn),
            "ERROR" => Ok(LogLevel::Error),
            _ => Err(UnknownLogLevel(text.to_string())),
        }
    }
}

/// A row to insert into `logs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Unix seconds.
    pub ts: i64,
    /// Nanoseconds within `ts`.
    pub ts_nanos: i64,
    /// The event's level.
    pub level: LogLevel,
    /// The event's target (usually its module path); borrowed from the callsite when it can be.
    pub target: Cow<'static, str>,
    /// The span chain then the event's message and fields.
    pub body: String,
    /// The Codex thread the event belongs to, if any.
    pub thread_id: Option<String>,
    /// The process that wrote the row; a writer's rows borrow its interned id, so the logging
    /// call copies nothing and touches no reference count shared with other threads.
    pub process_uuid: Cow<'static, str>,
    /// The module the event came from.
    pub module_path: Option<Cow<'static, str>>,
    /// The source file the event came from.
    pub file: Option<Cow<'static, str>>,
    /// The source line the event came from.
    pub line: Option<u32>,
}

impl LogEntry {
    /// The memory the row holds while it waits in the writer's queue, in bytes: the entry itself
    /// and the text it owns (target, module and file are borrowed from the callsite).
    pub fn queued_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.body.capacity()
            + self.thread_id.as_ref().map_or(0, String::capacity)
    }

    /// What the row costs against the retention byte caps.
    pub fn estimated_bytes(&self) -> i64 {
        let text = self.target.len()
            + self.body.len()
            + self.thread_id.as_ref().map_or(0, String::len)
            + self.process_uuid.len()
            + self.module_path.as_ref().map_or(0, |text| text.len())
            + self.file.as_ref().map_or(0, |text| text.len());
        i64::try_from(text)
            .unwrap_or(i64::MAX)
            .saturating_add(ROW_OVERHEAD_BYTES)
    }
}
