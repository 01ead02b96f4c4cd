//! The startup scan: claim up to `max_claims` stage-1 jobs among the enabled, non-archived,
//! idle-enough threads updated within the age window, newest first, looking at no more than
//! `scan_limit` of them. A scan may be taken in one go ([`MemoryStore::claim_stage1_startup`]) or
//! in batches as work frees up ([`MemoryStore::start_stage1_scan`] then
//! [`MemoryStore::claim_stage1_batch`]): a cursor on (updated_at, id) carries each batch on from
//! where the last one stopped, so no thread is looked at twice in one run — in particular a claim
//! the run released is not taken again by its own next batch. Every batch's scan, decisions and
//! claims share one `BEGIN IMMEDIATE` transaction; the skip counts per reason are for the report.

use serde::Serialize;

use super::stage1_claim::{CANDIDATE_COLUMNS, CANDIDATE_FROM, MILLIS_PER_SECOND, Verdict, judge};
use super::{
    DEFAULT_STAGE1_RUNNING_CAP, MemoryStore, STAGE1_LEASE_SECONDS, STARTUP_THREAD_SCAN_LIMIT, key,
};
use crate::memory_store::Stage1Claim;
use crate::sources::AgentSelection;
use crate::{StateError, ThreadId};

/// Milliseconds per hour and per day (thread timestamps are milliseconds).
const MILLIS_PER_HOUR: i64 = 3_600_000;
const MILLIS_PER_DAY: i64 = 86_400_000;
/// Startup defaults from the `[memories]` config (§8).
const DEFAULT_MAX_ROLLOUT_AGE_DAYS: u32 = 30;
const DEFAULT_MIN_ROLLOUT_IDLE_HOURS: u32 = 6;
const DEFAULT_MAX_ROLLOUTS_PER_STARTUP: u32 = 16;

/// What the startup scan looks at and how much it may claim. Start from
/// [`StartupScanParams::default`] (the `[memories]` defaults) and change what you need with the
/// `with_*` setters (more settings may come).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartupScanParams {
    /// The caller's own thread, never claimed.
    pub exclude_thread: Option<ThreadId>,
    /// Only threads updated within this many days.
    pub max_rollout_age_days: u32,
    /// Only threads idle (not updated) for at least this many hours.
    pub min_rollout_idle_hours: u32,
    /// Stop after this many claims (`max_rollouts_per_startup`).
    pub max_claims: u32,
    /// Look at no more than this many eligible threads, newest first.
    pub scan_limit: u32,
    /// How many stage-1 jobs may hold a live lease at once.
    pub running_cap: u32,
    /// How long each claim owns its thread, in seconds.
    pub lease_seconds: i64,
    /// Whose threads may be claimed: [`AgentSelection::Only`] claims only the threads of those
    /// agents (`--agents`; the others are counted as left out); the default claims every
    /// agent's threads.
    pub agents: AgentSelection,
}

impl Default for StartupScanParams {
    fn default() -> Self {
        Self {
            exclude_thread: None,
            max_rollout_age_days: DEFAULT_MAX_ROLLOUT_AGE_DAYS,
            min_rollout_idle_hours: DEFAULT_MIN_ROLLOUT_IDLE_HOURS,
            max_claims: DEFAULT_MAX_ROLLOUTS_PER_STARTUP,
            scan_limit: STARTUP_THREAD_SCAN_LIMIT,
            running_cap: DEFAULT_STAGE1_RUNNING_CAP,
            lease_seconds: STAGE1_LEASE_SECONDS,
            agents: AgentSelection::Present,
        }
    }
}

impl StartupScanParams {
    /// Never claiming `thread` (the caller's own session).
    pub fn with_exclude_thread(mut self, thread: Option<ThreadId>) -> Self {
        self.exclude_thread = thread;
        self
    }

    /// Only threads updated within `days` days.
    pub fn with_max_rollout_age_days(mut self, days: u32) -> Self {
        self.max_rollout_age_days = days;
        self
    }

    /// Only threads idle for at least `hours` hours.
    pub fn with_min_rollout_idle_hours(mut self, hours: u32) -> Self {
        self.min_rollout_idle_hours = hours;
        self
    }

    /// Stopping after `max_claims` claims.
    pub fn with_max_claims(mut self, max_claims: u32) -> Self {
        self.max_claims = max_claims;
        self
    }

    /// Looking at no more than `scan_limit` eligible threads.
    pub fn with_scan_limit(mut self, scan_limit: u32) -> Self {
        self.scan_limit = scan_limit;
        self
    }

    /// With at most `running_cap` live stage-1 leases at once.
    pub fn with_running_cap(mut self, running_cap: u32) -> Self {
        self.running_cap = running_cap;
        self
    }

    /// With a lease of `lease_seconds` per claim.
    pub fn with_lease_seconds(mut self, lease_seconds: i64) -> Self {
        self.lease_seconds = lease_seconds;
        self
    }

    /// Claiming only the threads of `agents`.
    pub fn with_agents(mut self, agents: AgentSelection) -> Self {
        self.agents = agents;
        self
    }
}

/// Why threads were not claimed by a startup scan, counted per reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StartupSkips {
    /// Already extracted at this version.
    pub up_to_date: u64,
    /// Leased by another worker.
    pub running: u64,
    /// Refused because the running cap was reached.
    pub capped: u64,
    /// Failed recently; waiting for `retry_at`.
    pub in_backoff: u64,
    /// No attempts left at this version.
    pub retries_exhausted: u64,
    /// Updated less than `min_rollout_idle_hours` ago.
    pub too_fresh: u64,
    /// Not updated within `max_rollout_age_days`.
    pub too_old: u64,
    /// Memory mode `disabled` or `polluted`.
    pub not_enabled: u64,
    /// Archived threads.
    pub archived: u64,
    /// Threads of an agent the scan was told to leave out (`--agents`).
    pub agent_left_out: u64,
}

impl StartupSkips {
    /// The retries left of a claimable verdict; any other verdict is counted here under its
    /// reason (an abandoned job, which the caller marks `error`, as retries exhausted).
    fn claimable_or_count(&mut self, verdict: &Verdict) -> Option<i64> {
        let reason = match verdict {
            Verdict::Claimable { retry_remaining } => return Some(*retry_remaining),
            Verdict::UpToDate => &mut self.up_to_date,
            Verdict::Running { .. } => &mut self.running,
            Verdict::RetriesExhausted | Verdict::Abandoned => &mut self.retries_exhausted,
            Verdict::InBackoff { .. } => &mut self.in_backoff,
        };
        *reason += 1;
        None
    }

    /// Adds `other`'s counts to these.
    fn add(&mut self, other: &StartupSkips) {
        self.up_to_date += other.up_to_date;
        self.running += other.running;
        self.capped += other.capped;
        self.in_backoff += other.in_backoff;
        self.retries_exhausted += other.retries_exhausted;
        self.too_fresh += other.too_fresh;
        self.too_old += other.too_old;
        self.not_enabled += other.not_enabled;
        self.archived += other.archived;
        self.agent_left_out += other.agent_left_out;
    }
}

/// What a startup scan claimed and skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StartupClaimReport {
    /// The claims, newest thread first.
    pub claimed: Vec<Stage1Claim>,
    /// How many eligible threads were looked at before stopping.
    pub examined: u64,
    /// Why the others were not claimed.
    pub skipped: StartupSkips,
}

/// Eligible threads read per page while a batch looks for claimable ones.
const SCAN_PAGE_ROWS: u32 = 256;

/// A startup scan in progress: where it stopped, what it looked at and claimed so far. Made by
/// [`MemoryStore::start_stage1_scan`], advanced by [`MemoryStore::claim_stage1_batch`].
#[derive(Debug, Clone)]
pub struct StartupScan {
    params: StartupScanParams,
    /// The age and idle window on updated_at (unix ms), fixed when the scan started.
    window: (i64, i64),
    /// The last thread looked at: (updated_at ms, id); the next batch starts after it.
    cursor: Option<(i64, String)>,
    claimed: u32,
    examined: u64,
    skipped: StartupSkips,
    finished: bool,
}

impl StartupScan {
    /// Whether the scan has nothing left to claim: `max_claims` reached, `scan_limit` threads
    /// looked at, or no eligible thread left after the cursor.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Claims taken so far.
    pub fn claimed(&self) -> u32 {
        self.claimed
    }

    /// Eligible threads looked at so far.
    pub fn examined(&self) -> u64 {
        self.examined
    }

    /// Why threads were not claimed, so far (including those the filter left out).
    pub fn skipped(&self) -> StartupSkips {
        self.skipped
    }

    fn claims_left(&self) -> u32 {
        self.params.max_claims.saturating_sub(self.claimed)
    }

    fn examine_left(&self) -> u64 {
        u64::from(self.params.scan_limit).saturating_sub(self.examined)
    }
}

/// What one batch found, applied to the scan only once its transaction committed.
#[derive(Default)]
struct BatchOutcome {
    claimed: Vec<Stage1Claim>,
    cursor: Option<(i64, String)>,
    examined: u64,
    skipped: StartupSkips,
    rows_exhausted: bool,
}

impl MemoryStore {
    /// The startup scan in one go: claims up to `max_claims` enabled, non-archived, idle-enough
    /// threads updated within the age window, newest first, looking at no more than `scan_limit`.
    pub async fn claim_stage1_startup(
        &self,
        params: &StartupScanParams,
        worker_id: &str,
    ) -> Result<StartupClaimReport, StateError> {
        let mut scan = self.start_stage1_scan(params).await?;
        let claimed = self
            .claim_stage1_batch(&mut scan, worker_id, params.max_claims)
            .await?;
        Ok(StartupClaimReport {
            claimed,
            examined: scan.examined,
            skipped: scan.skipped,
        })
    }

    /// Starts a startup scan to be claimed in batches: fixes the window and counts the threads
    /// its filter leaves out. Claims nothing yet.
    pub async fn start_stage1_scan(
        &self,
        params: &StartupScanParams,
    ) -> Result<StartupScan, StateError> {
        let window = startup_window_millis(params, self.now());
        let mut scan = StartupScan {
            params: params.clone(),
            window,
            cursor: None,
            claimed: 0,
            examined: 0,
            skipped: StartupSkips::default(),
            finished: params.max_claims == 0 || params.scan_limit == 0,
        };
        self.count_ineligible(params, window, &mut scan.skipped)
            .await?;
        Ok(scan)
    }

    /// Claims up to `batch` more threads of `scan`, continuing after the last thread it looked
    /// at; returns them newest first (empty once the scan is finished).
    pub async fn claim_stage1_batch(
        &self,
        scan: &mut StartupScan,
        worker_id: &str,
        batch: u32,
    ) -> Result<Vec<Stage1Claim>, StateError> {
        let want = batch.min(scan.claims_left());
        if scan.finished || want == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let outcome = self
            .retry_busy(|| self.try_claim_stage1_batch(scan, worker_id, want, now))
            .await?;
        scan.claimed += u32::try_from(outcome.claimed.len()).unwrap_or(u32::MAX);
        scan.examined += outcome.examined;
        scan.skipped.add(&outcome.skipped);
        if outcome.cursor.is_some() {
            scan.cursor = outcome.cursor;
        }
        scan.finished =
            outcome.rows_exhausted || scan.claims_left() == 0 || scan.examine_left() == 0;
        Ok(outcome.claimed)
    }

    async fn try_claim_stage1_batch(
        &self,
        scan: &StartupScan,
        worker_id: &str,
        want: u32,
        now: i64,
    ) -> Result<BatchOutcome, StateError> {
        const OPERATION: &str = "startup stage-1 claim";
        let params = &scan.params;
        let (oldest_ms, newest_ms) = scan.window;
        let mut outcome = BatchOutcome {
            cursor: scan.cursor.clone(),
            ..BatchOutcome::default()
        };
        // Race prevented: two processes starting at once and scanning the same threads. The scan,
        // every decision and every claim of a batch share one BEGIN IMMEDIATE transaction, so the
        // other scan sees this one's claims as live leases (and counts them against the cap).
        let mut transaction = self.begin_immediate(OPERATION).await?;
        let sql = format!(
            "SELECT {CANDIDATE_COLUMNS} {CANDIDATE_FROM} \
             WHERE t.archived = 0 AND COALESCE(m.memory_mode, t.memory_mode) = 'enabled' \
               AND (?1 IS NULL OR t.id != ?1) AND t.updated_at >= ?2 AND t.updated_at <= ?3 \
               AND (?5 IS NULL OR t.updated_at < ?5 OR (t.updated_at = ?5 AND t.id < ?6)) \
               AND (?7 IS NULL OR t.agent IN (SELECT value FROM json_each(?7))) \
             ORDER BY t.updated_at DESC, t.id DESC LIMIT ?4"
        );
        let mut running = self.count_live_stage1(&mut transaction, now).await?;
        let chosen_agents = chosen_agents_json(&params.agents);
        'pages: while outcome.claimed.len() < want as usize {
            let examine_left = scan.examine_left().saturating_sub(outcome.examined);
            let page = u32::try_from(examine_left)
                .unwrap_or(u32::MAX)
                .min(SCAN_PAGE_ROWS);
            if page == 0 {
                break;
            }
            let (cursor_updated, cursor_id) = match &outcome.cursor {
                Some((updated, id)) => (Some(*updated), Some(id.clone())),
                None => (None, None),
            };
            let rows = sqlx::query(&sql)
                .bind(params.exclude_thread.map(key))
                .bind(oldest_ms)
                .bind(newest_ms)
                .bind(i64::from(page))
                .bind(cursor_updated)
                .bind(cursor_id)
                .bind(chosen_agents.as_deref())
                .fetch_all(&mut *transaction)
                .await
                .map_err(|source| self.query_error(OPERATION, source))?;
            let fetched = rows.len();
            for row in &rows {
                if outcome.claimed.len() >= want as usize {
                    break 'pages;
                }
                let candidate = self.candidate_from_row(row)?;
                outcome.examined += 1;
                outcome.cursor = Some((candidate.updated_at_ms, key(candidate.thread_id)));
                let skipped = &mut outcome.skipped;
                let verdict = judge(&candidate, now);
                let Some(retry_remaining) = skipped.claimable_or_count(&verdict) else {
                    if verdict == Verdict::Abandoned {
                        self.write_stage1_abandoned(&mut transaction, &candidate, now)
                            .await?;
                    }
                    continue;
                };
                if running >= params.running_cap {
                    skipped.capped += 1;
                    continue;
                }
                let claim = self
                    .write_stage1_claim(
                        &mut transaction,
                        &candidate,
                        worker_id,
                        now,
                        params.lease_seconds,
                        retry_remaining,
                    )
                    .await?;
                running += 1;
                outcome.claimed.push(claim);
            }
            if fetched < page as usize {
                outcome.rows_exhausted = true;
                break;
            }
        }
        self.commit(transaction, OPERATION).await?;
        Ok(outcome)
    }

    /// Counts the threads the startup scan's filter left out, per reason (a plain read, outside
    /// the claim transaction: the figures are for the report only).
    async fn count_ineligible(
        &self,
        params: &StartupScanParams,
        (oldest_ms, newest_ms): (i64, i64),
        skipped: &mut StartupSkips,
    ) -> Result<(), StateError> {
        // Threads of an agent left out are counted under that reason alone, whatever else
        // would have kept them from being claimed.
        let (archived, not_enabled, too_old, too_fresh, left_out): (i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT \
                     COALESCE(SUM(chosen AND archived = 1), 0), \
                     COALESCE(SUM(chosen AND archived = 0 AND mode != 'enabled'), 0), \
                     COALESCE(SUM(chosen AND archived = 0 AND mode = 'enabled' \
                                  AND updated_at < ?2), 0), \
                     COALESCE(SUM(chosen AND archived = 0 AND mode = 'enabled' \
                                  AND updated_at > ?3), 0), \
                     COALESCE(SUM(NOT chosen), 0) \
                 FROM (SELECT t.archived, t.updated_at, \
                              COALESCE(m.memory_mode, t.memory_mode) AS mode, \
                              (?4 IS NULL OR t.agent IN (SELECT value FROM json_each(?4))) \
                                  AS chosen \
                       FROM state.threads AS t \
                       LEFT JOIN thread_memory_modes AS m ON m.thread_id = t.id \
                       WHERE ?1 IS NULL OR t.id != ?1)",
            )
            .bind(params.exclude_thread.map(key))
            .bind(oldest_ms)
            .bind(newest_ms)
            .bind(chosen_agents_json(&params.agents))
            .fetch_one(&self.pool)
            .await
            .map_err(|source| self.query_error("count ineligible threads", source))?;
        skipped.archived = u64::try_from(archived).unwrap_or(0);
        skipped.not_enabled = u64::try_from(not_enabled).unwrap_or(0);
        skipped.too_old = u64::try_from(too_old).unwrap_or(0);
        skipped.too_fresh = u64::try_from(too_fresh).unwrap_or(0);
        skipped.agent_left_out = u64::try_from(left_out).unwrap_or(0);
        Ok(())
    }
}

/// The agents a scan is limited to, as the JSON array of names its SQL reads with `json_each`;
/// `None` when every agent's threads may be claimed.
fn chosen_agents_json(agents: &AgentSelection) -> Option<String> {
    match agents {
        AgentSelection::Only(chosen) => {
            let names: Vec<&str> = chosen.iter().map(|agent| agent.as_str()).collect();
            serde_json::to_string(&names).ok()
        }
        AgentSelection::Present => None,
    }
}

/// The startup window on thread updated_at (unix ms): (oldest allowed, newest allowed).
fn startup_window_millis(params: &StartupScanParams, now: i64) -> (i64, i64) {
    let now_ms = now.saturating_mul(MILLIS_PER_SECOND);
    let oldest = now_ms.saturating_sub(i64::from(params.max_rollout_age_days) * MILLIS_PER_DAY);
    let newest = now_ms.saturating_sub(i64::from(params.min_rollout_idle_hours) * MILLIS_PER_HOUR);
    (oldest, newest)
}
