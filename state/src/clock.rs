//! The injectable clock. Every timestamp the state crate writes comes from a [`Clock`], so tests
//! move time with a [`ManualClock`] instead of sleeping. The clock only answers "now"; it does
//! not schedule anything.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// The current instant in whole unix seconds (the memories DB's unit).
    fn now_unix_seconds(&self) -> i64 {
        self.now().timestamp()
    }

    /// The current instant in unix milliseconds (the thread index's unit).
    fn now_unix_millis(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; for tests, in this crate and in others.
/// Millisecond resolution.
#[derive(Debug)]
pub struct ManualClock {
    unix_millis: AtomicI64,
}

impl ManualClock {
    /// A clock showing `at` (truncated to the millisecond).
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            unix_millis: AtomicI64::new(at.timestamp_millis()),
        }
    }

    /// A clock showing the given unix time in seconds.
    pub fn at_unix_seconds(seconds: i64) -> Self {
        Self {
            unix_millis: AtomicI64::new(seconds.saturating_mul(1000)),
        }
    }

    /// Moves the clock forward (or back, for a negative duration).
    pub fn advance(&self, by: Duration) {
        self.unix_millis
            .fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.unix_millis
            .store(at.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let millis = self.unix_millis.load(Ordering::SeqCst);
        DateTime::from_timestamp_millis(millis).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_unix_seconds(1_700_000_000);
        assert_eq!(clock.now_unix_seconds(), 1_700_000_000);
        clock.advance(Duration::seconds(90));
        assert_eq!(clock.now_unix_seconds(), 1_700_000_090);
        assert_eq!(clock.now_unix_millis(), 1_700_000_090_000);
        clock.set(DateTime::from_timestamp(5, 0).unwrap());
        assert_eq!(clock.now_unix_seconds(), 5);
    }
}
