//! `codex-memories prompt`: prints the read-path developer instructions a host hands to a new
//! session — how to use the memory folder and cite it, with `memory_summary.md` (stripped of
//! framing markers, labelled as data) cut to a token budget between markers. Prints nothing (and
//! says why on stderr) when there is nothing to inject.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use codex_memories::config::load_config;
use codex_memories::layout::SUMMARY_FILE;
use codex_memories::read_path::{DEFAULT_SUMMARY_BUDGET_TOKENS, developer_instructions};

use crate::commands::HomeArgs;

/// Arguments of `prompt`.
#[derive(Debug, Args)]
pub struct PromptArgs {
    /// Tokens of memory_summary.md to include at most (4 bytes per token); a longer summary is
    /// cut on a character boundary with a note.
    #[arg(long, value_name = "TOKENS", default_value_t = DEFAULT_SUMMARY_BUDGET_TOKENS)]
    pub budget: u64,
}

/// Runs `prompt`.
pub async fn run(args: PromptArgs, home: &HomeArgs) -> anyhow::Result<ExitCode> {
    let homes = home.resolve()?;
    let (config, warnings) = load_config(&homes.codex_home)?;
    for warning in warnings {
        eprintln!("warning: config {}: {}", warning.key, warning.message);
    }
    if !config.use_memories {
        eprintln!("note: use_memories = false in config.toml; nothing to inject");
        return Ok(ExitCode::SUCCESS);
    }
    let memory_root = home.memory_root()?;
    let instructions = developer_instructions(&memory_root, args.budget).with_context(|| {
        format!(
            "cannot build the instructions from {}",
            memory_root.display()
        )
    })?;
    match instructions {
        Some(text) => {
            let mut stdout = std::io::stdout().lock();
            write!(stdout, "{text}")?;
            if !text.ends_with('\n') {
                writeln!(stdout)?;
            }
        }
        None => eprintln!(
            "note: {} is missing or blank; nothing to inject (run `codex-memories run` first)",
            memory_root.join(SUMMARY_FILE).display()
        ),
    }
    Ok(ExitCode::SUCCESS)
}
