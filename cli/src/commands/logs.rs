//! `codex-memories logs`: prints rows of the logs DB as `<time> <LEVEL> [thread|-] <target> -
//! <body>` lines (or JSON lines with `--json`), the newest `--limit` matching rows oldest first,
//! and with `--follow` keeps polling for newer rows until interrupted (Ctrl-C exits 0). Reading
//! never writes a log row of its own, so following does not echo itself.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use clap::Args;
use codex_state::SystemClock;
use codex_state::logs::{
    LogLevel, LogOrder, LogQuery, LogRow, LogStore, logs_db_path, sort_by_time,
};

use crate::commands::HomeArgs;
use crate::commands::printable::printable;

/// Rows printed without `--limit`.
const DEFAULT_LIMIT: u32 = 200;
/// How often `--follow` looks for new rows.
const FOLLOW_POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Rows fetched per query while following; a poll reads pages until it has every row committed
/// before it began, then prints them in time order.
const FOLLOW_PAGE_ROWS: u32 = 1_000;

/// Arguments of `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Only this level and more severe ones (error, warn, info, debug, trace).
    #[arg(long, value_name = "LEVEL")]
    level: Option<LogLevel>,
    /// Only rows of this thread id.
    #[arg(long, value_name = "THREAD_ID")]
    thread: Option<String>,
    /// Only rows whose body contains this text (case-sensitive).
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
    /// Only rows since this time: RFC 3339 (2026-05-04T09:00:00Z) or an age such as 10m, 2h, 3d.
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    since: Option<DateTime<Utc>>,
    /// Print at most this many rows (the newest), oldest first.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_LIMIT)]
    limit: u32,
    /// Keep printing new rows as they are written, until interrupted.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Print one JSON object per row and line instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `logs`.
pub async fn run(args: LogsArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let homes = home.resolve()?;
    let path = logs_db_path(&homes)?;
    let store = LogStore::open(&path, Arc::new(SystemClock))
        .await
        .with_context(|| format!("cannot open the logs database {}", path.display()))?;
    let result = print_logs(&store, &args).await;
    store.close().await;
    result
}

async fn print_logs(store: &LogStore, args: &LogsArgs) -> anyhow::Result<ExitCode> {
    let filters = LogQuery::default()
        .with_min_level(args.level)
        .with_since(args.since)
        .with_thread_id(args.thread.clone())
        .with_text(args.search.clone());
    // Everything committed up to `tail_from` is printed now; later rows only by `--follow`.
    let mut tail_from = store.last_id().await?;
    let mut newest = store
        .query(
            &filters
                .clone()
                .with_order(LogOrder::NewestFirst)
                .with_limit(Some(args.limit))
                .with_up_to_id(tail_from),
        )
        .await?;
    newest.reverse();
    if !print_rows(&newest, args.json)? || !args.follow {
        return Ok(ExitCode::SUCCESS);
    }
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            _ = &mut interrupted => return Ok(ExitCode::SUCCESS),
            () = tokio::time::sleep(FOLLOW_POLL_INTERVAL) => {}
        }
        let last_id = store.last_id().await?;
        if last_id <= tail_from {
            // Smaller when retention deleted the newest rows (every row past its age, say):
            // SQLite then hands their ids out again, and those new rows must not be skipped.
            tail_from = last_id;
            continue;
        }
        let mut fresh = committed_between(store, &filters, tail_from, last_id).await?;
        tail_from = last_id;
        // A batch's ids follow retention scopes, not time: show what arrived in time order.
        sort_by_time(&mut fresh);
        if !print_rows(&fresh, args.json)? {
            return Ok(ExitCode::SUCCESS);
        }
    }
}

/// The rows matching `filters` with an id above `after_id` and up to `up_to_id`, a page at a
/// time in commit order.
async fn committed_between(
    store: &LogStore,
    filters: &LogQuery,
    mut after_id: Option<i64>,
    up_to_id: Option<i64>,
) -> anyhow::Result<Vec<LogRow>> {
    let mut rows = Vec::new();
    loop {
        let page = store
            .query(
                &filters
                    .clone()
                    .with_order(LogOrder::Committed)
                    .with_after_id(after_id)
                    .with_up_to_id(up_to_id)
                    .with_limit(Some(FOLLOW_PAGE_ROWS)),
            )
            .await?;
        let full = page.len() == FOLLOW_PAGE_ROWS as usize;
        after_id = page.last().map(|row| row.id).or(after_id);
        rows.extend(page);
        if !full {
            return Ok(rows);
        }
    }
}

/// Prints rows; false when stdout has been closed (e.g. piped into `head`).
fn print_rows(rows: &[LogRow], json: bool) -> anyhow::Result<bool> {
    let mut stdout = std::io::stdout().lock();
    let written = rows
        .iter()
        .try_for_each(|row| write_row(&mut stdout, row, json))
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(error) => Err(error).context("cannot write to stdout"),
    }
}

fn write_row(out: &mut impl Write, row: &LogRow, json: bool) -> std::io::Result<()> {
    if json {
        serde_json::to_writer(&mut *out, row)?;
        return writeln!(out);
    }
    let time = row.time().map_or_else(
        || row.ts.to_string(),
        |time| time.to_rfc3339_opts(SecondsFormat::Millis, true),
    );
    let thread = row.thread_id.as_deref().unwrap_or("-");
    // Bodies carry text from sessions and tools: no escape sequence reaches the terminal.
    let line = format!(
        "{time} {:<5} [{thread}] {} - {}",
        row.level, row.target, row.body
    );
    writeln!(out, "{}", printable(&line))
}

/// An RFC 3339 time, or an age (`30s`, `10m`, `2h`, `3d`) counted back from now.
fn parse_since(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(split);
    let Ok(number) = number.parse::<i64>() else {
        bail!("expected an RFC 3339 time or an age such as 10m, 2h, 3d; got `{text}`");
    };
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => bail!("unknown unit `{unit}` in `{text}`: use s, m, h or d"),
    };
    let age = chrono::Duration::try_seconds(number.saturating_mul(seconds))
        .with_context(|| format!("`{text}` is too far back"))?;
    Utc::now()
        .checked_sub_signed(age)
        .with_context(|| format!("`{text}` is too far back"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_rfc3339_and_ages_and_rejects_the_rest() {
        assert_eq!(
            parse_since("2026-05-04T09:00:00Z").unwrap(),
            DateTime::parse_from_rfc3339("2026-05-04T09:00:00Z").unwrap()
        );
        let two_hours_ago = parse_since("2h").unwrap();
        let age = Utc::now() - two_hours_ago;
        assert!(age >= chrono::Duration::hours(2) && age < chrono::Duration::hours(3));
        assert!(parse_since("3x").is_err());
        assert!(parse_since("yesterday").is_err());
        assert!(parse_since("").is_err());
    }
}
