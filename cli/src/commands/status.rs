//! `codex-memories status`: the state of the whole pipeline — the index, stage-1 jobs by state
//! with the latest errors, sessions waiting (too fresh, with the next eligible time, or too old),
//! the consolidation job (cooldown, backoff, last error), the memory folder's git baseline and
//! uncommitted edits — and, in plain words, why a run does nothing when it does nothing. It reads
//! only: the databases are opened read-only and never created or migrated (a missing or older one
//! is reported), nothing is logged into the logs DB, and a memory folder without a repository is
//! reported, not created.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use codex_memories::MemoriesConfig;
use codex_memories::codex_native::{self, FolderOwnership, FolderWriter};
use codex_memories::install::{Agent, InstallStatus, install_status};
use codex_memories::workspace::MemoryWorkspace;
use codex_state::{
    Clock, EligibilityFacts, JobStatus, MemoryStatus, MemoryStore, ReadOnlyOpen, SessionCheck,
    StateRuntime, SystemClock,
};
use serde::Serialize;

use crate::commands::HomeArgs;
use crate::commands::index::session_check_lines;
use crate::commands::install::agent_homes;
use crate::commands::json_output::write_report;
use crate::commands::pipeline::Context;
use crate::commands::report_text::when;

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the status as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The memory folder's repository.
#[derive(Debug, Serialize)]
struct WorkspaceStatus {
    memory_root: PathBuf,
    /// Whether the folder exists.
    exists: bool,
    /// The baseline commit, when the folder is a usable repository.
    baseline_commit: Option<String>,
    /// When the baseline was committed (unix seconds): the last successful consolidation.
    baseline_time: Option<i64>,
    /// Files that differ from the baseline (added, modified or deleted since).
    uncommitted_changes: Vec<String>,
    /// Why the folder could not be read, when it could not.
    error: Option<String>,
}

/// One of our databases, as `status` found it.
#[derive(Debug, Serialize)]
struct DatabaseStatus {
    /// `thread index` or `memories`.
    name: &'static str,
    path: PathBuf,
    /// `ready`, `missing` (not created yet) or `older` (written by an earlier build; the next
    /// command that writes upgrades it).
    state: &'static str,
}

/// Everything `status` reports.
#[derive(Debug, Serialize)]
struct StatusReport {
    config: MemoriesConfig,
    /// The databases read, and whether they exist.
    databases: Vec<DatabaseStatus>,
    /// Index size, newest activity, waiting sessions.
    eligibility: EligibilityFacts,
    /// Indexed threads per agent that wrote them (`codex`, `claude`, `gemini`).
    agents: BTreeMap<codex_protocol::Agent, u64>,
    /// Jobs and outputs.
    memory: MemoryStatus,
    /// Session folders that cannot be read, indexed files that are gone.
    sessions: SessionCheck,
    workspace: WorkspaceStatus,
    /// Who last wrote the memory folder, and whether Codex's own pipeline reads or rewrites it.
    ownership: FolderOwnership,
    /// Which agents `install` plugged the memory into.
    integrations: Vec<InstallStatus>,
    /// Why a run would do nothing (or what it would do), in plain words.
    reasons: Vec<String>,
}

/// What the databases say, read without creating or changing any of them.
struct StoredState {
    databases: Vec<DatabaseStatus>,
    eligibility: EligibilityFacts,
    agents: BTreeMap<codex_protocol::Agent, u64>,
    memory: MemoryStatus,
    sessions: SessionCheck,
}

/// Reads the thread index and the memories DB read-only.
async fn read_databases(
    homes: &codex_state::Homes,
    config: &MemoriesConfig,
) -> anyhow::Result<StoredState> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut stored = StoredState {
        databases: Vec::new(),
        eligibility: EligibilityFacts::default(),
        agents: BTreeMap::new(),
        memory: MemoryStatus {
            now: clock.now_unix_seconds(),
            ..MemoryStatus::default()
        },
        sessions: SessionCheck::default(),
    };
    let state = match StateRuntime::open_read_only(homes.clone(), Arc::clone(&clock)).await? {
        ReadOnlyOpen::Ready(state) => state,
        other => {
            stored.databases.push(database("thread index", &other));
            stored.databases.push(DatabaseStatus {
                name: "memories",
                path: homes.memories_db_path(),
                state: if homes.memories_db_path().exists() {
                    "not read"
                } else {
                    "missing"
                },
            });
            return Ok(stored);
        }
    };
    stored.databases.push(DatabaseStatus {
        name: "thread index",
        path: state.state_db_path(),
        state: "ready",
    });
    stored.sessions = state.check_sessions().await?;
    stored.agents = state.count_threads_by_agent().await?.into_iter().collect();
    let memories_path = homes.memories_db_path();
    let store = match MemoryStore::open_read_only(&state).await? {
        ReadOnlyOpen::Ready(store) => store,
        other => {
            stored.databases.push(database("memories", &other));
            state.close().await;
            return Ok(stored);
        }
    };
    stored.databases.push(DatabaseStatus {
        name: "memories",
        state: if memories_path.exists() {
            "ready"
        } else {
            "missing"
        },
        path: memories_path,
    });
    stored.eligibility = store
        .eligibility(config.min_rollout_idle_hours, config.max_rollout_age_days)
        .await?;
    stored.memory = store.status().await?;
    store.close().await;
    state.close().await;
    Ok(stored)
}

/// A database that could not be read: missing, or older than this build.
fn database<T>(name: &'static str, opened: &ReadOnlyOpen<T>) -> DatabaseStatus {
    match opened {
        ReadOnlyOpen::Missing { path } => DatabaseStatus {
            name,
            path: path.clone(),
            state: "missing",
        },
        ReadOnlyOpen::Older { path, .. } => DatabaseStatus {
            name,
            path: path.clone(),
            state: "older",
        },
        ReadOnlyOpen::Ready(_) => DatabaseStatus {
            name,
            path: PathBuf::new(),
            state: "ready",
        },
    }
}

/// Runs `status`.
pub async fn run(args: StatusArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let homes = home.resolve()?;
    let config = Context::load_config(&homes)?;
    let memory_root = home.memory_root()?;
    let StoredState {
        databases,
        eligibility,
        agents,
        memory,
        sessions,
    } = read_databases(&homes, &config).await?;
    let root = memory_root.clone();
    let workspace = tokio::task::spawn_blocking(move || workspace_status(&root)).await?;
    let ownership = codex_native::inspect(&homes.codex_home, &memory_root);
    let integrations = match agent_homes(home) {
        Ok(homes) => Agent::ALL
            .iter()
            .map(|agent| install_status(*agent, &homes))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut reasons = database_reasons(&databases);
    reasons.extend(self::reasons(&config, &eligibility, &memory));
    if ownership.codex_rewrites {
        reasons.insert(
            0,
            "Codex's own memory pipeline rewrites the memory folder: run, consolidate, forget and clear refuse to write it (see docs/codex.md for the ways out)".to_string(),
        );
    } else if matches!(ownership.last_writer, FolderWriter::Codex { .. }) {
        reasons.insert(
            0,
            "the memory folder was last written by Codex's own pipeline: `codex-memories consolidate --force` replaces it (after a backup)".to_string(),
        );
    }
    let report = StatusReport {
        config,
        databases,
        eligibility,
        agents,
        memory,
        sessions,
        workspace,
        ownership,
        integrations,
        reasons,
    };
    let mut stdout = std::io::stdout().lock();
    write_report(&mut stdout, args.json, &report, report_lines)?;
    Ok(ExitCode::SUCCESS)
}

fn workspace_status(root: &Path) -> WorkspaceStatus {
    let mut status = WorkspaceStatus {
        memory_root: root.to_path_buf(),
        exists: root.is_dir(),
        baseline_commit: None,
        baseline_time: None,
        uncommitted_changes: Vec::new(),
        error: None,
    };
    if !status.exists {
        return status;
    }
    let Some(workspace) = MemoryWorkspace::open_existing(root) else {
        return status;
    };
    match workspace.baseline() {
        Ok(Some(baseline)) => {
            status.baseline_commit = Some(baseline.commit);
            status.baseline_time = Some(baseline.time_unix_seconds);
        }
        Ok(None) => {}
        Err(error) => status.error = Some(error.to_string()),
    }
    match workspace.diff() {
        Ok(diff) => {
            status.uncommitted_changes = diff
                .changes
                .iter()
                .map(|change| format!("{} {}", change.kind.status(), change.path))
                .collect();
        }
        Err(error) => status.error = Some(error.to_string()),
    }
    status
}

/// What a missing or older database means, in plain words.
fn database_reasons(databases: &[DatabaseStatus]) -> Vec<String> {
    databases
        .iter()
        .filter_map(|db| match db.state {
            "missing" if db.name == "thread index" => Some(format!(
                "no thread index yet at {}: `codex-memories run` (or `index`) creates it; status creates nothing",
                db.path.display()
            )),
            "older" => Some(format!(
                "the {} database {} was written by an earlier codex-memories: status does not upgrade it; the next `codex-memories run` does",
                db.name,
                db.path.display()
            )),
            _ => None,
        })
        .collect()
}

/// Why a run does nothing, or what it would do, in plain words.
fn reasons(
    config: &MemoriesConfig,
    facts: &EligibilityFacts,
    memory: &MemoryStatus,
) -> Vec<String> {
    let now = memory.now;
    let mut reasons = Vec::new();
    if !config.generate_memories {
        reasons.push(
            "generate_memories = false in config.toml: runs neither extract nor consolidate"
                .to_string(),
        );
    }
    if !config.use_memories {
        reasons.push(
            "use_memories = false in config.toml: `codex-memories prompt` injects nothing"
                .to_string(),
        );
    }
    if facts.threads == 0 {
        reasons.push(
            "no sessions are indexed yet: `codex-memories run` indexes the Codex home first"
                .to_string(),
        );
    }
    if facts.eligible_now > 0 {
        reasons.push(format!(
            "{} session(s) are ready to extract on the next run",
            facts.eligible_now
        ));
    }
    // One line for sessions waiting after a failure (the eligibility view counts them inside
    // the window; the job view knows the next retry time).
    let next_retry = memory.next_retry_at.map_or_else(|| "now".to_string(), when);
    if facts.waiting_retry > 0 {
        reasons.push(format!(
            "{} session(s) failed and wait for a retry (next at {next_retry}, or when the session \
             changes once its retries are used up); `codex-memories extract --retry-failed` retries \
             them now",
            facts.waiting_retry
        ));
    }
    if facts.too_fresh > 0 {
        let next = facts
            .next_eligible_at
            .map_or_else(|| "soon".to_string(), when);
        reasons.push(format!(
            "{} session(s) are still too fresh: the next becomes eligible at {next} (min_rollout_idle_hours = {})",
            facts.too_fresh, config.min_rollout_idle_hours
        ));
    }
    if facts.too_old > 0 {
        reasons.push(format!(
            "{} session(s) are too old to extract: not updated in the last {} days (max_rollout_age_days = {})",
            facts.too_old, config.max_rollout_age_days, config.max_rollout_age_days
        ));
    }
    if memory.stage1.error > 0 && facts.waiting_retry == 0 {
        reasons.push(format!(
            "{} extraction(s) failed and wait for a retry (next at {next_retry})",
            memory.stage1.error
        ));
    }
    if memory.stage1.retries_exhausted > 0 {
        reasons.push(format!(
            "{} extraction(s) failed 3 times at their version; retried when the session changes",
            memory.stage1.retries_exhausted
        ));
    }
    if memory.stage1.running > 0 {
        reasons.push(format!(
            "{} extraction(s) are running in another process",
            memory.stage1.running
        ));
    }
    match &memory.phase2 {
        None => {
            if memory.outputs == 0 {
                reasons
                    .push("nothing to consolidate yet: no session has a stored memory".to_string());
            }
        }
        Some(job) => match job.status {
            JobStatus::Running if job.lease_until.is_some_and(|until| until > now) => {
                reasons.push(format!(
                    "a consolidation is running in another process (its lease ends {})",
                    when(job.lease_until.unwrap_or(now))
                ));
            }
            JobStatus::Error => {
                let retry = job.retry_at.filter(|at| *at > now).map_or_else(
                    || "it is retried on the next run".to_string(),
                    |at| format!("retried after {}", when(at)),
                );
                reasons.push(format!(
                    "the last consolidation failed: {}; {retry}",
                    job.last_error.as_deref().unwrap_or("no reason recorded")
                ));
            }
            JobStatus::Pending => reasons.push(
                "a consolidation is pending: the next run consolidates the new memories"
                    .to_string(),
            ),
            _ => {
                if let Some(until) = memory.phase2_cooldown_until {
                    reasons.push(format!(
                        "consolidation is cooling down until {} (6 h after the last success); `codex-memories consolidate --force` runs it now",
                        when(until)
                    ));
                }
            }
        },
    }
    reasons
}

fn report_lines(report: &StatusReport) -> Vec<String> {
    let facts = &report.eligibility;
    let memory = &report.memory;
    let per_agent: Vec<String> = report
        .agents
        .iter()
        .map(|(agent, count)| format!("{agent} {count}"))
        .collect();
    let per_agent = if per_agent.is_empty() {
        String::new()
    } else {
        format!(" ({})", per_agent.join(", "))
    };
    let mut lines = vec![format!(
        "index: {} session(s){per_agent}; newest session activity {}",
        facts.threads,
        facts
            .newest_thread_updated_at
            .map_or_else(|| "none".to_string(), when)
    )];
    lines.extend(session_check_lines(&report.sessions));
    let s = &memory.stage1;
    lines.push(format!(
        "extraction jobs: {} done, {} running, {} expired, {} failed (retrying), {} failed (no retries left), {} pending",
        s.done, s.running, s.expired, s.error, s.retries_exhausted, s.pending
    ));
    lines.push(format!(
        "memories: {} stored, {} in the consolidated memory",
        memory.outputs, memory.selected_outputs
    ));
    if !memory.recent_errors.is_empty() {
        lines.push("recent extraction errors:".to_string());
        for error in &memory.recent_errors {
            lines.push(format!(
                "  {}: {}{}",
                error.thread_id,
                error.last_error.as_deref().unwrap_or("no reason recorded"),
                error
                    .retry_at
                    .filter(|_| error.retry_remaining > 0)
                    .map_or_else(String::new, |at| format!(" (retry after {})", when(at)))
            ));
        }
    }
    match &memory.phase2 {
        None => lines.push("consolidation: never run".to_string()),
        Some(job) => {
            let mut line = format!(
                "consolidation: {}",
                format!("{:?}", job.status).to_lowercase()
            );
            if let Some(finished) = job.finished_at {
                line.push_str(&format!(", last finished {}", when(finished)));
            }
            if let Some(until) = memory.phase2_cooldown_until {
                line.push_str(&format!(", cooling down until {}", when(until)));
            }
            lines.push(line);
            if let Some(error) = &job.last_error {
                lines.push(format!("  last error: {error}"));
            }
        }
    }
    let workspace = &report.workspace;
    let folder = workspace.memory_root.display();
    if !workspace.exists {
        lines.push(format!("memory folder: {folder} does not exist yet"));
    } else {
        match (&workspace.baseline_commit, workspace.baseline_time) {
            (Some(commit), Some(time)) => lines.push(format!(
                "memory folder: {folder}; baseline {} committed {}",
                &commit[..commit.len().min(12)],
                when(time)
            )),
            _ => lines.push(format!(
                "memory folder: {folder}; no git baseline yet (the next consolidation creates one)"
            )),
        }
        if workspace.uncommitted_changes.is_empty() {
            if workspace.baseline_commit.is_some() {
                lines.push("  no uncommitted edits".to_string());
            }
        } else {
            lines.push(format!(
                "  {} uncommitted edit(s) since the baseline (the next consolidation takes them in):",
                workspace.uncommitted_changes.len()
            ));
            for change in &workspace.uncommitted_changes {
                lines.push(format!("    {change}"));
            }
        }
        if let Some(error) = &workspace.error {
            lines.push(format!("  cannot read the repository: {error}"));
        }
    }
    lines.push(format!("  {}", report.ownership.describe()));
    lines.extend(integration_lines(&report.integrations));
    if report.reasons.is_empty() {
        lines.push("nothing waiting: every session is extracted and consolidated".to_string());
    } else {
        lines.push("why a run does (or does not do) something now:".to_string());
        lines.extend(report.reasons.iter().map(|reason| format!("  - {reason}")));
    }
    lines
}

/// One line per agent: whether `install` plugged the memory in, and where.
fn integration_lines(integrations: &[InstallStatus]) -> Vec<String> {
    integrations
        .iter()
        .map(|status| {
            let agent = status.agent.as_str();
            match (&status.mcp_server, status.summary_block) {
                (None, false) => format!(
                    "{agent}: not installed (`codex-memories install {agent}` plugs the memory in)"
                ),
                (server, block) => {
                    let mut parts = Vec::new();
                    if server.is_some() {
                        parts.push(format!(
                            "MCP server registered in {}",
                            status.files.config.display()
                        ));
                    }
                    if block {
                        parts.push(format!(
                            "summary block in {}",
                            status.files.instructions.display()
                        ));
                    }
                    format!("{agent}: installed — {}", parts.join("; "))
                }
            }
        })
        .collect()
}
