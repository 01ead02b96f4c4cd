//! The `codex-memories` command. Each subcommand lives in its own module under `commands/`;
//! this file only parses arguments, sets up output (see `logging`), and maps errors to exit
//! codes (0 ok, 1 failure, 2 usage — clap's own) and, with `--json`, to a JSON error on stdout
//! (see `error_output`).

mod commands;
mod error_output;
mod logging;
mod terminal;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use crate::commands::{Command, HomeArgs};

/// Memories for coding agents, built from their session recordings.
#[derive(Debug, Parser)]
#[command(name = "codex-memories", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    home: HomeArgs,
    /// Print no notes on stderr (where transcripts go, which provider runs); warnings and
    /// errors still print.
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// How long the runtime may take to stop its remaining tasks once the command is done. Past it
/// the process exits anyway: a task wedged inside a library (a sqlx pool's maintenance loop
/// spinning was seen once, after `run` had printed its report) must not keep a finished command
/// alive.
const RUNTIME_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(run_command());
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    code
}

/// Parses the arguments, runs the command and maps its result to an exit code.
async fn run_command() -> ExitCode {
    let json = error_output::wants_json(std::env::args_os());
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return error_output::report_parse_error(&error, json),
    };
    terminal::set_quiet(cli.quiet);
    // The demo works in a temporary home and must not touch the user's databases; `status`
    // reads only, creating no database (the logs DB included); `forget` must not write back into
    // the logs DB what it removes from it.
    let logs = if matches!(
        cli.command,
        Command::Demo(_) | Command::Status(_) | Command::Forget(_)
    ) {
        logging::init_stderr_only();
        None
    } else {
        logging::init(&cli.home)
    };
    let name = cli.command.name();
    // `logs` records nothing of its own, so following the logs does not echo itself.
    if !matches!(cli.command, Command::Logs(_)) {
        tracing::info!(
            command = name,
            version = env!("CARGO_PKG_VERSION"),
            "codex-memories started"
        );
    }
    let code = match commands::run(cli.command, &cli.home).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(target: logging::FAILURE_TARGET, command = name, "{error:#}");
            error_output::report_failure(&error, json)
        }
    };
    // Commit the last rows before the process ends.
    drop(logs);
    code
}
