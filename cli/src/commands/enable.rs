//! `codex-memories enable <thread-id>`: undoes `forget`'s `disabled` mode (or a `polluted` one),
//! so the thread is extracted again on a later run once it is idle enough.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use codex_state::{JobKind, MemoryMode, ThreadId};

use crate::commands::HomeArgs;
use crate::commands::pipeline::Context;
use crate::error_output::NotFound;

/// Arguments of `enable`.
#[derive(Debug, Args)]
pub struct EnableArgs {
    /// The thread (session) id, a UUID as listed by `codex-memories threads`.
    #[arg(value_name = "THREAD_ID")]
    pub thread_id: ThreadId,
}

/// Runs `enable`.
pub async fn run(args: EnableArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let context = Context::open(home).await?;
    let id = args.thread_id;
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
    context
        .store
        .set_memory_mode(id, MemoryMode::Enabled)
        .await?;
    context.close().await;
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "thread {id}: memory enabled; it is extracted on a later `codex-memories run` once idle for min_rollout_idle_hours"
    )?;
    Ok(ExitCode::SUCCESS)
}
