//! `codex-memories-bench`: runs each benchmark scenario in its own child process (so one
//! scenario's heap and caches do not colour the next), collects the rows they print as JSON,
//! and prints one table: scenario, our figure, the baseline measured in the same run, the ratio,
//! the target and pass/fail. `--quick` shrinks every workload for a CI smoke run. The recall
//! scenario also takes `extract`'s provider flags (`--provider …`: phase 1 with a real model) and
//! the size of its home (`--projects`, `--sessions-per-project`); children get them forwarded.

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
use codex_memories::provider::{ProviderKind, ProviderOverrides, StructuredOutput};

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
    #[command(flatten)]
    model: ModelArgs,
}

/// The recall scenario's model and home size. The provider flags are `codex-memories extract`'s
/// and resolve the same way (without reading any codex-memories.toml: the home is generated).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Recall with a model")]
struct ModelArgs {
    /// Run the recall scenario's phase 1 with this provider (openai, chat or offline) instead
    /// of the offline one; consolidation stays offline
    #[arg(long, value_name = "NAME")]
    provider: Option<String>,
    /// The model (required for chat and for any non-default base URL)
    #[arg(long, value_name = "MODEL", requires = "provider")]
    model: Option<String>,
    /// The provider's base URL, e.g. http://127.0.0.1:8080/v1 for a llama.cpp server
    #[arg(long, value_name = "URL", requires = "provider")]
    base_url: Option<String>,
    /// Environment variable holding the API key (OPENAI_API_KEY only ever goes to the OpenAI
    /// API itself)
    #[arg(long, value_name = "VAR", requires = "provider")]
    api_key_env: Option<String>,
    /// The model's context window in tokens [default: known OpenAI models; for chat, what the
    /// server reports, else 8192]
    #[arg(long, value_name = "TOKENS", requires = "provider",
          value_parser = clap::value_parser!(u64).range(1024..))]
    context_window: Option<u64>,
    /// How the answer's JSON shape is requested: auto, json_schema, json_object or none
    /// [default: auto]
    #[arg(long, value_name = "MODE", requires = "provider")]
    structured_output: Option<String>,
    /// Model requests in flight at once [default: 1 for chat on a loopback URL, else 8]
    #[arg(long, value_name = "N", requires = "provider",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: Option<u32>,
    /// The longest one model request may take, in seconds [default: 600]
    #[arg(long, value_name = "SECONDS", requires = "provider",
          value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout: Option<u64>,
    /// Projects in the recall home (a model run wants a small one) [default: 24; 20 with
    /// --quick]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=26))]
    projects: Option<u64>,
    /// Sessions per project in the recall home, at least the 8 planted ones [default: 22; 10
    /// with --quick]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(8..=1000))]
    sessions_per_project: Option<u64>,
}

impl ModelArgs {
    /// The provider overrides, when `--provider` was given.
    fn overrides(&self) -> anyhow::Result<Option<ProviderOverrides>> {
        let Some(provider) = &self.provider else {
            return Ok(None);
        };
        let structured_output = match self.structured_output.as_deref() {
            None | Some("auto") => None,
            Some(name) => Some(Some(StructuredOutput::parse(name).with_context(|| {
                format!(
                    "unknown --structured-output `{name}`: expected auto, json_schema, json_object or none"
                )
            })?)),
        };
        Ok(Some(
            ProviderOverrides::default()
                .with_provider(Some(provider.parse::<ProviderKind>()?))
                .with_model(self.model.clone())
                .with_base_url(self.base_url.clone())
                .with_api_key_env(self.api_key_env.clone())
                .with_context_window(self.context_window)
                .with_structured_output(structured_output)
                .with_concurrency(self.concurrency)
                .with_request_timeout_seconds(self.request_timeout),
        ))
    }

    /// The same flags for a scenario's child process.
    fn forwarded(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut add = |flag: &str, value: Option<String>| {
            if let Some(value) = value {
                args.push(format!("--{flag}"));
                args.push(value);
            }
        };
        add("provider", self.provider.clone());
        add("model", self.model.clone());
        add("base-url", self.base_url.clone());
        add("api-key-env", self.api_key_env.clone());
        add("context-window", self.context_window.map(|n| n.to_string()));
        add("structured-output", self.structured_output.clone());
        add("concurrency", self.concurrency.map(|n| n.to_string()));
        add(
            "request-timeout",
            self.request_timeout.map(|n| n.to_string()),
        );
        add("projects", self.projects.map(|n| n.to_string()));
        add(
            "sessions-per-project",
            self.sessions_per_project.map(|n| n.to_string()),
        );
        args
    }
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
    let options = scenarios::Options {
        quick: args.quick,
        model: args.model.overrides()?,
        recall_size: scenarios::RecallSize {
            projects: args.model.projects.map(|n| n as usize),
            sessions_per_project: args.model.sessions_per_project.map(|n| n as usize),
        },
    };
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
    let model_args = args.model.forwarded();
    for scenario in scenarios::ALL {
        if !args.only.is_empty() && !args.only.iter().any(|name| name == scenario.name) {
            continue;
        }
        eprintln!("running {} …", scenario.name);
        rows.extend(run_child(scenario.name, args.quick, &model_args)?);
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

fn run_child(name: &str, quick: bool, forwarded: &[String]) -> anyhow::Result<Vec<Row>> {
    let exe = std::env::current_exe().context("cannot find the benchmark binary")?;
    let mut command = Command::new(exe);
    command.arg("--child").arg(name).args(forwarded);
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
