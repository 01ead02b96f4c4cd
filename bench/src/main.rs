//! `codex-memories-bench`: runs each benchmark scenario in its own child process (so one
//! scenario's heap and caches do not colour the next), collects the rows they print as JSON,
//! and prints one table: scenario, our figure, the baseline measured in the same run, the ratio,
//! the target and pass/fail. `--quick` shrinks every workload for a CI smoke run.

mod cpu;
mod memory;
mod recall_home;
mod report;
mod scenarios;
mod synthetic;
mod synthetic_agents;

use std::process::{Command, ExitCode};

use anyhow::{Context, bail};
use clap::Parser;

use crate::report::Row;

/// Benchmarks for codex-memories, each beside a baseline measured in the same run.
#[derive(Debug, Parser)]
#[command(name = "codex-memories-bench", about)]
struct Args {
    /// Smaller workloads (finishes in under 2 minutes); figures are indicative only.
    #[arg(long)]
    quick: bool,
    /// Run only these scenarios (default: all). See `--list`.
    #[arg(value_name = "SCENARIO")]
    only: Vec<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Print the table as Markdown (for docs/benchmarks.md).
    #[arg(long)]
    markdown: bool,
    /// Internal: run one scenario in this process and print its rows as JSON.
    #[arg(long, hide = true, value_name = "SCENARIO")]
    child: Option<String>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = scenarios::Options { quick: args.quick };
    if let Some(name) = &args.child {
        let scenario = scenarios::find(name).with_context(|| format!("no scenario `{name}`"))?;
        let rows = (scenario.run)(&options)?;
        println!("{}", serde_json::to_string(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    if args.list {
        for scenario in scenarios::ALL {
            println!("{:<16} {}", scenario.name, scenario.about);
        }
        return Ok(ExitCode::SUCCESS);
    }
    for name in &args.only {
        if scenarios::find(name).is_none() {
            bail!("no scenario `{name}`; `--list` shows them");
        }
    }
    let mut rows: Vec<Row> = Vec::new();
    for scenario in scenarios::ALL {
        if !args.only.is_empty() && !args.only.iter().any(|name| name == scenario.name) {
            continue;
        }
        eprintln!("running {} …", scenario.name);
        rows.extend(run_child(scenario.name, args.quick)?);
    }
    let table = if args.markdown {
        report::markdown(&rows)
    } else {
        report::plain(&rows)
    };
    print!("{table}");
    let all_pass = rows.iter().all(|row| row.pass != Some(false));
    Ok(if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn run_child(name: &str, quick: bool) -> anyhow::Result<Vec<Row>> {
    let exe = std::env::current_exe().context("cannot find the benchmark binary")?;
    let mut command = Command::new(exe);
    command.arg("--child").arg(name);
    if quick {
        command.arg("--quick");
    }
    let output = command
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start scenario {name}"))?;
    if !output.status.success() {
        bail!("scenario {name} failed ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("scenario {name} printed no rows"))
}
