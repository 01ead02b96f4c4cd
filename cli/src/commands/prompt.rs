//! `codex-memories prompt`: prints the read-path developer instructions a host hands to a new
//! session — how to use the memory folder and cite it, then the memory itself (stripped of
//! framing markers, labelled as data) within a token budget: `memory_summary.md`, and with
//! `--cwd` the session's project summary, and with `--query` the best-ranked entries for its
//! request from that project and global scope. Prints nothing (and says why on stderr) when
//! there is nothing to inject.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use codex_memories::DEFAULT_SUMMARY_BUDGET_TOKENS;
use codex_memories::SUMMARY_FILE;
use codex_memories::load_config;
use codex_memories::{ContextRequest, SessionContext, global_context, session_context};

use crate::commands::HomeArgs;
use crate::commands::json_output::write_json;
use crate::commands::pipeline::Context;

/// Arguments of `prompt`.
#[derive(Debug, Args)]
pub struct PromptArgs {
    /// Tokens of memory to include at most (about 3 bytes per token); longer text is cut on a
    /// character boundary with a note. The fixed instructions around the memory come on top.
    #[arg(long, value_name = "TOKENS", default_value_t = DEFAULT_SUMMARY_BUDGET_TOKENS)]
    pub budget: u64,
    /// The folder the session runs in: adds its project's summary (projects/<slug>/summary.md;
    /// the project is the folder's git origin, else its repository's top folder, else the
    /// folder). Another project's memories are never included.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<PathBuf>,
    /// The session's first request: adds the memory entries that match it best, from the
    /// project of --cwd (the current directory when --cwd is not given) and global memory.
    #[arg(long, value_name = "TEXT")]
    pub query: Option<String>,
    /// Print the instructions with what went into them (project, entries placed, tokens) as
    /// JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs `prompt`.
pub async fn run(args: PromptArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let memory_root = home.memory_root()?;
    let session = (args.cwd.is_some() || args.query.is_some()).then(|| SessionRequest {
        cwd: args.cwd.clone(),
        query: args.query.clone(),
    });
    let Some(context) = build_context(home, session, args.budget).await? else {
        eprintln!("note: use_memories = false in config.toml; nothing to inject");
        if args.json {
            write_json(&mut std::io::stdout().lock(), &serde_json::Value::Null)?;
        }
        return Ok(ExitCode::SUCCESS);
    };
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &context)?;
    } else if let Some(text) = &context.instructions {
        write!(stdout, "{text}")?;
        if !text.ends_with('\n') {
            writeln!(stdout)?;
        }
    }
    if context.instructions.is_none() {
        eprintln!(
            "note: {} is missing or blank and no project memory applies; nothing to inject (run \
             `codex-memories run` first)",
            memory_root.join(SUMMARY_FILE).display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A session's folder and first request, as `prompt --cwd --query` and the MCP `context` tool
/// take them.
#[derive(Debug, Clone, Default)]
pub struct SessionRequest {
    /// The folder the session runs in (relative to the current directory, which is also the
    /// default).
    pub cwd: Option<PathBuf>,
    /// Its first request.
    pub query: Option<String>,
}

/// What `prompt` prints as JSON: the instructions for a session described by `session` (the
/// global summary alone when `None`) within `budget_tokens`; `None` when `use_memories =
/// false`. The MCP `context` tool answers with the same value.
pub async fn build_context(
    home: &HomeArgs,
    session: Option<SessionRequest>,
    budget_tokens: u64,
) -> anyhow::Result<Option<SessionContext>> {
    let homes = home.resolve()?;
    let (config, warnings) = load_config(&homes.codex_home)?;
    for warning in warnings {
        eprintln!("warning: config {}: {}", warning.key, warning.message);
    }
    if !config.use_memories {
        return Ok(None);
    }
    let context = match session {
        Some(session) => session_for(&session, home, budget_tokens).await?,
        None => {
            let memory_root = home.memory_root()?;
            global_context(&memory_root, budget_tokens).with_context(|| {
                format!(
                    "cannot build the instructions from {}",
                    memory_root.display()
                )
            })?
        }
    };
    Ok(Some(context))
}

/// The instructions for a session in `cwd` (or the current directory) with `query`.
async fn session_for(
    session: &SessionRequest,
    home: &HomeArgs,
    budget_tokens: u64,
) -> anyhow::Result<SessionContext> {
    let cwd = match &session.cwd {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("cannot resolve --cwd {}", dir.display()))?,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let context = Context::open(home).await?;
    let memory_root = context.memory_root.clone();
    let built = session_context(
        &context.store,
        &memory_root,
        &ContextRequest::default()
            .with_cwd(Some(cwd))
            .with_query(session.query.clone())
            .with_budget_tokens(budget_tokens),
    )
    .await;
    context.close().await;
    built.with_context(|| {
        format!(
            "cannot build the instructions from {}",
            memory_root.display()
        )
    })
}
