//! `codex-memories demo`: the whole pipeline, offline (no network, no key), on the example
//! sessions built into the binary, in a temporary Codex home — then the tree of the memory folder
//! it produced and the start of `memory_summary.md`. It never reads or writes the user's homes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::Args;
use codex_memories::SUMMARY_FILE;
use codex_protocol::rebase_timestamps;

use crate::commands::HomeArgs;
use crate::commands::index::IndexFlags;
use crate::commands::pipeline::{ConsolidatorChoice, Context, ProviderArgs, ProviderChoice};
use crate::commands::run::{RunArgs, failed, run_report, write_report};

/// The example sessions (relative path under the Codex home, contents).
const EXAMPLES: &[(&str, &str)] = &[
    (
        "sessions/2026/05/04/rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl",
        include_str!(
            "../../../examples/codex-home/sessions/2026/05/04/rollout-2026-05-04T09-12-03-019df1d4-69b8-78f7-9da1-494c73cf256d.jsonl"
        ),
    ),
    (
        "sessions/2026/05/06/rollout-2026-05-06T14-40-10-019dfd4d-8810-7690-b372-969f7f65d54d.jsonl",
        include_str!(
            "../../../examples/codex-home/sessions/2026/05/06/rollout-2026-05-06T14-40-10-019dfd4d-8810-7690-b372-969f7f65d54d.jsonl"
        ),
    ),
    (
        "sessions/2026/05/08/rollout-2026-05-08T18-02-55-019e0853-df98-715a-8ba2-f285c9be7d01.jsonl",
        include_str!(
            "../../../examples/codex-home/sessions/2026/05/08/rollout-2026-05-08T18-02-55-019e0853-df98-715a-8ba2-f285c9be7d01.jsonl"
        ),
    ),
    (
        "sessions/2026/05/09/rollout-2026-05-09T10-00-01-019e0bc0-1fe8-7ebd-94d7-51b97b951ffb.jsonl",
        include_str!(
            "../../../examples/codex-home/sessions/2026/05/09/rollout-2026-05-09T10-00-01-019e0bc0-1fe8-7ebd-94d7-51b97b951ffb.jsonl"
        ),
    ),
    (
        "sessions/2025/04/20/rollout-2025-04-20T11-30-00-30529251-54bd-4db3-82be-2d5304bf22ea.jsonl",
        include_str!(
            "../../../examples/codex-home/sessions/2025/04/20/rollout-2025-04-20T11-30-00-30529251-54bd-4db3-82be-2d5304bf22ea.jsonl"
        ),
    ),
    (
        "archived_sessions/rollout-2026-04-28T12-15-44-019dd396-6c80-7e17-b30f-d3603106aabf.jsonl",
        include_str!(
            "../../../examples/codex-home/archived_sessions/rollout-2026-04-28T12-15-44-019dd396-6c80-7e17-b30f-d3603106aabf.jsonl"
        ),
    ),
];

/// The example sessions are moved in time to have finished a day ago, so the idle and age rules
/// admit them.
const EXAMPLE_AGE: Duration = Duration::from_secs(24 * 3600);
/// Lines of `memory_summary.md` printed.
const SUMMARY_LINES_SHOWN: usize = 15;

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Build the demo home here (must be empty or missing) and keep it, instead of a temporary
    /// folder that is removed at the end.
    #[arg(long, value_name = "DIR")]
    keep: Option<PathBuf>,
}

/// Runs `demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let temporary;
    let codex_home = match &args.keep {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                anyhow::bail!(
                    "{} is not empty; pass a new or empty folder to --keep",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            dir.clone()
        }
        None => {
            temporary = tempfile::Builder::new()
                .prefix("codex-memories-demo-")
                .tempdir()?;
            temporary.path().to_path_buf()
        }
    };
    write_examples(&codex_home)?;
    let home = HomeArgs {
        codex_home: Some(codex_home.clone()),
        sqlite_home: Some(codex_home.join("codex-memories")),
        // The demo reads and writes nothing of the user's other agents.
        memory_dir: Some(codex_home.join(codex_memories::MEMORY_DIR_NAME)),
        claude_home: Some(codex_home.join("no-claude-home")),
        gemini_home: Some(codex_home.join("no-gemini-home")),
    };
    let context = Context::open(&home).await?;
    let run_args = RunArgs {
        provider: ProviderArgs {
            provider: Some(ProviderChoice::Offline),
            ..ProviderArgs::default()
        },
        consolidator: Some(ConsolidatorChoice::Offline),
        max_rollouts: None,
        json: false,
        index: IndexFlags::default(),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "demo: {} example sessions in {}\n",
        EXAMPLES.len(),
        codex_home.display()
    )?;
    let report = run_report(&run_args, &context, Default::default()).await?;
    write_report(&mut out, &report, &context)?;
    writeln!(out, "\nmemory folder {}:", context.memory_root.display())?;
    for line in tree(&context.memory_root)? {
        writeln!(out, "  {line}")?;
    }
    let summary =
        std::fs::read_to_string(context.memory_root.join(SUMMARY_FILE)).unwrap_or_default();
    writeln!(out, "\n{SUMMARY_FILE} (first {SUMMARY_LINES_SHOWN} lines):")?;
    for line in summary.lines().take(SUMMARY_LINES_SHOWN) {
        writeln!(out, "  {line}")?;
    }
    if args.keep.is_some() {
        writeln!(
            out,
            "\nkept: try `codex-memories --codex-home {} status` or `... prompt`",
            codex_home.display()
        )?;
    }
    let failed = failed(&report);
    context.close().await;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn write_examples(codex_home: &Path) -> anyhow::Result<()> {
    let finished = SystemTime::now() - EXAMPLE_AGE;
    for (relative, text) in EXAMPLES {
        let path = codex_home.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // A session's age is the time of its last line: move each one to a day ago.
        let text = rebase_timestamps(text, DateTime::<Utc>::from(finished));
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(finished)?;
    }
    Ok(())
}

/// The folder's files as an indented tree, `.git` left out.
fn tree(root: &Path) -> std::io::Result<Vec<String>> {
    fn walk(dir: &Path, depth: usize, lines: &mut Vec<String>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.filter_map(Result::ok).collect();
        entries.sort_by_key(|entry| entry.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == ".git" || name.starts_with(".git.") {
                continue;
            }
            let indent = "  ".repeat(depth);
            if entry.file_type()?.is_dir() {
                lines.push(format!("{indent}{name}/"));
                walk(&entry.path(), depth + 1, lines)?;
            } else {
                lines.push(format!(
                    "{indent}{name} ({} bytes)",
                    entry.metadata()?.len()
                ));
            }
        }
        Ok(())
    }
    let mut lines = Vec::new();
    if root.is_dir() {
        walk(root, 0, &mut lines)?;
    }
    Ok(lines)
}
