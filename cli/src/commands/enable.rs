//! `codex-memories enable <thread-id>`: undoes `forget`'s `disabled` mode (or a `polluted` one),
//! so the thread is extracted again on a later run once it is idle enough; `enable --cleared`
//! undoes what `clear` disabled (every thread at once, none that was forgotten).

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use codex_memories::{enable_cleared, enable_thread};
use codex_state::{JobKind, ThreadId};

use crate::commands::HomeArgs;
use crate::commands::pipeline::Context;
use crate::error_output::NotFound;

/// Arguments of `enable`.
#[derive(Debug, Args)]
pub struct EnableArgs {
    /// The thread (session) id, a UUID as listed by `codex-memories threads`.
    #[arg(value_name = "THREAD_ID", required_unless_present = "cleared")]
    pub thread_id: Option<ThreadId>,
    /// Enable every thread `clear` disabled (threads forgotten or disabled one by one stay
    /// disabled).
    #[arg(long, conflicts_with = "thread_id")]
    pub cleared: bool,
}

/// Runs `enable`.
pub async fn run(args: EnableArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    let Some(id) = args.thread_id else {
        let enabled = enable_cleared(&context.store).await;
        context.close().await;
        let enabled = enabled?;
        writeln!(
            std::io::stdout().lock(),
            "{enabled} thread{} disabled by `clear` enabled again; {} extracted on a later `codex-memories run` once idle for min_rollout_idle_hours",
            if enabled == 1 { "" } else { "s" },
            if enabled == 1 { "it is" } else { "they are" },
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    let indexed = context.state.get_thread(id).await?.is_some();
    let known = indexed
        || context.store.effective_memory_mode(id).await?.is_some()
        || context
            .store
            .job(JobKind::Stage1, &id.to_string())
            .await?
            .is_some();
    if !known {
        context.close().await;
        return Err(NotFound(format!(
            "thread {id} is not indexed and has no memory settings; check the id with `codex-memories threads`"
        ))
        .into());
    }
    let enabled = enable_thread(&context.store, &context.state, id).await;
    context.close().await;
    enabled?;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "thread {id}: memory enabled; it is extracted on a later `codex-memories run` once idle for min_rollout_idle_hours"
    )?;
    Ok(ExitCode::SUCCESS)
}
