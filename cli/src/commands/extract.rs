//! `codex-memories extract`: phase 1 only — index, then claim finished sessions and extract one
//! raw memory each with the selected provider, within the run budget, with a progress bar and a
//! final report (claimed / stored / no output / failed with reasons / skipped and why / tokens).
//! Ctrl-C (or SIGTERM) stops it and gives its unfinished sessions back first.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use codex_memories::request_reextraction;
use codex_memories::{ExtractProgress, run_extraction};
use codex_state::{ReextractRequest, ReextractScope};

use crate::commands::HomeArgs;
use crate::commands::index::{IndexFlags, print_warnings};
use crate::commands::interrupt::Interrupt;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::{Context, DestinationNote, ProviderArgs};
use crate::commands::report_text::{extract_lines, index_line};
use crate::terminal::{finish_progress_bar, notice, progress_bar};

const PROGRESS_TEMPLATE: &str = "{spinner} extracting [{bar:30}] {pos}/{len} sessions {msg}";

/// Arguments of `extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    #[command(flatten)]
    provider: ProviderArgs,
    /// Sessions to extract at most in this run [default: max_rollouts_per_startup]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_rollouts: Option<u32>,
    /// Retry failed sessions now: lift their backoff and refill their retries (after fixing
    /// what made them fail: the server is up, the key is set)
    #[arg(long)]
    retry_failed: bool,
    /// Extract again, with the model now configured, the sessions an offline run covered
    /// (`offline`, the default) or every finished session (`all`). Each keeps its memory until
    /// the new one is stored; sessions are taken within --max-rollouts and the age window, so a
    /// large home takes several runs. Refused with the offline provider
    #[arg(long, value_enum, value_name = "WHICH", num_args = 0..=1,
          default_missing_value = "offline", require_equals = true)]
    reextract: Option<ReextractArg>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    index: IndexFlags,
}

/// What `--reextract` takes again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReextractArg {
    /// Sessions the offline provider extracted.
    Offline,
    /// Every finished session, whoever extracted it.
    All,
}

impl From<ReextractArg> for ReextractScope {
    fn from(arg: ReextractArg) -> Self {
        match arg {
            ReextractArg::Offline => ReextractScope::Offline,
            ReextractArg::All => ReextractScope::All,
        }
    }
}

/// Runs `extract`.
pub async fn run(args: ExtractArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    if !context.config.generate_memories {
        eprintln!("generate_memories = false in [memories]; nothing extracted");
        context.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let index_options = args.index.options();
    let index = context
        .state
        .index_sessions_with(&index_options, &|_| {})
        .await?;
    print_warnings(&index);
    let budget = context.budget(&args.provider);
    if args.retry_failed {
        let lifted = context.store.retry_failed_stage1_now().await?;
        notice(&format!(
            "note: {lifted} failed session(s) are retried now (--retry-failed)"
        ));
    }
    let (client, resolved, prepared) = context.extract_client(&args.provider, &budget).await?;
    if let Some(which) = args.reextract {
        let request = request_reextraction(&context.store, client.as_ref(), which.into()).await?;
        notice(&reextract_line(&request, which));
    }
    let mut options = context.extract_options(&resolved, args.max_rollouts, index_options.agents);
    let interrupt = Interrupt::install()?;
    options.cancel = interrupt.token();
    let eligible = context
        .store
        .eligibility(
            context.config.min_rollout_idle_hours,
            context.config.max_rollout_age_days,
        )
        .await?
        .eligible_now;
    let note = DestinationNote::new(
        &resolved,
        client.as_ref(),
        eligible.min(u64::from(options.scan.max_claims)),
    );
    let bar = progress_bar(PROGRESS_TEMPLATE);
    let report = run_extraction(
        &context.store,
        client,
        budget,
        &options,
        &|progress| match progress {
            ExtractProgress::Claimed { total } => {
                note.say_once();
                bar.set_length(total as u64);
            }
            ExtractProgress::Finished { thread_id, .. } => {
                bar.inc(1);
                bar.set_message(thread_id.to_string());
            }
            // A progress step added to the library later: nothing to show for it yet.
            _ => {}
        },
    )
    .await;
    finish_progress_bar(&bar);
    let report = report?;
    context.remember_provider(&resolved, &prepared).await;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(
            &mut stdout,
            &serde_json::json!({"index": index, "extract": report}),
        )?;
    } else {
        writeln!(stdout, "{}", index_line(&index))?;
        for line in extract_lines(&report, &context.config) {
            writeln!(stdout, "{line}")?;
        }
    }
    context.close().await;
    if let Some(code) = interrupt.exit_code() {
        return Ok(code);
    }
    Ok(if report.failed.is_empty() && report.stopped.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The one line `--reextract` prints: what it flagged, and what it left alone and why.
fn reextract_line(request: &ReextractRequest, which: ReextractArg) -> String {
    let mut line = format!(
        "note: {} finished session(s) are extracted again (--reextract={})",
        request.flagged,
        match which {
            ReextractArg::Offline => "offline",
            ReextractArg::All => "all",
        }
    );
    if which == ReextractArg::Offline && request.unknown_producer > 0 {
        line.push_str(&format!(
            "; {} finished before codex-memories recorded who extracted them and are left \
             alone (--reextract=all takes them too)",
            request.unknown_producer
        ));
    }
    line
}
