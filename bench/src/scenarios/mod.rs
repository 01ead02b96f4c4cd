//! The registry of benchmark scenarios. A scenario is one module with a `run` function that
//! builds its workload, measures our code and its baseline in the same process, and returns rows.
//! To add one: write `scenarios/<name>.rs`, add its `mod` line and an entry in [`ALL`].

mod claims;
mod extract;
mod index;
mod input_size;
mod logs;
mod read;
mod recall;
mod redact;
mod workspace;

use codex_memories::provider::ProviderOverrides;

use crate::report::Row;

/// Settings every scenario receives.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Shrink workloads for a quick smoke run.
    pub quick: bool,
    /// The model phase 1 of the recall scenario uses (`--provider …`); the offline provider
    /// when `None`.
    pub model: Option<ProviderOverrides>,
    /// The recall home's size when given (`--projects`, `--sessions-per-project`).
    pub recall_size: RecallSize,
}

/// A recall home size from the command line; each `None` keeps the scenario's own.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecallSize {
    /// Projects.
    pub projects: Option<usize>,
    /// Sessions per project.
    pub sessions_per_project: Option<usize>,
}

/// One benchmark scenario.
pub struct Scenario {
    /// The name used on the command line.
    pub name: &'static str,
    /// One line saying what it measures.
    pub about: &'static str,
    /// Builds the workload, measures, and returns the rows.
    pub run: fn(&Options) -> anyhow::Result<Vec<Row>>,
}

/// Every scenario, in the order the table lists them.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "read",
        about: "rollout reader throughput beside reading the same bytes line by line",
        run: read::run,
    },
    Scenario {
        name: "redact",
        about: "secret redaction throughput (clean and secret-dense text) beside a memchr scan",
        run: redact::run,
    },
    Scenario {
        name: "index",
        about: "first index throughput beside cat, no-change re-index of 10 000 files, peak RSS",
        run: index::run,
    },
    Scenario {
        name: "claims",
        about: "stage-1 claims/s and p99 latency, 8 claimers, beside autocommit INSERTs",
        run: claims::run,
    },
    Scenario {
        name: "logs",
        about: "tracing events into the logs DB beside a one-transaction bulk insert; drops; call latency",
        run: logs::run,
    },
    Scenario {
        name: "workspace",
        about: "memory workspace diff (10 000 files, 1 changed) beside git status + git diff",
        run: workspace::run,
    },
    Scenario {
        name: "extract",
        about: "phase-1 wall time, 1 000 sessions at concurrency 8 from a 50 ms mock model, beside the ideal",
        run: extract::run,
    },
    Scenario {
        name: "input_size",
        about: "bytes and tokens sent per session beside a JSON dump of the same kept items",
        run: input_size::run,
    },
    Scenario {
        name: "recall",
        about: "the right memory at the right moment: injected recall, search recall@5/MRR, contamination, false memories over a 24-project home, offline",
        run: recall::run,
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|scenario| scenario.name == name)
}
