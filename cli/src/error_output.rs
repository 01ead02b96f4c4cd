//! How a failed command reports: `error: …` on stderr, as always, and — when `--json` was asked
//! for — the same as one JSON document on stdout, `{"error": {"kind": …, "message": …}}`, so a
//! script reading stdout gets JSON whether the command worked or not. Exit codes are unchanged:
//! 1 for a failure, 2 for a usage error (clap's, or a [`UsageError`] a command returns).

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use codex_state::StateError;
use codex_state::logs::LogsError;
use serde::Serialize;

/// Exit code of a usage error (clap's own).
pub const EXIT_USAGE: u8 = 2;

/// A usage error a command finds itself (e.g. `clear` without `--yes` and no terminal to ask
/// on): exit 2, like clap's.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// An id the user named that nothing is stored about (exit 1, kind `not_found`).
#[derive(Debug)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

/// What went wrong, for scripts: a stable word, the message for people.
#[derive(Debug, Serialize)]
struct JsonError<'a> {
    kind: &'static str,
    message: &'a str,
}

/// Whether the command line asks for JSON output (`--json` before any `--`).
pub fn wants_json(args: impl IntoIterator<Item = OsString>) -> bool {
    args.into_iter()
        .take_while(|arg| arg != "--")
        .any(|arg| arg == "--json")
}

/// Reports a command's error and returns its exit code.
pub fn report_failure(error: &anyhow::Error, json: bool) -> ExitCode {
    let message = format!("{error:#}");
    eprintln!("error: {message}");
    let kind = error_kind(error);
    if json {
        write_json_error(kind, &message);
    }
    if kind == "usage" {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::FAILURE
    }
}

/// Reports a command line clap refused (or its help and version, which are not errors) and
/// returns its exit code.
pub fn report_parse_error(error: &clap::Error, json: bool) -> ExitCode {
    let _ = error.print();
    if json && error.use_stderr() {
        let message = error.kind().to_string();
        let rendered = error.render().to_string();
        let detail = rendered
            .lines()
            .next()
            .map(|line| line.trim_start_matches("error: ").to_string())
            .unwrap_or(message);
        write_json_error("usage", &detail);
    }
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE))
}

/// A stable word for what kind of error this is.
fn error_kind(error: &anyhow::Error) -> &'static str {
    for cause in error.chain() {
        if cause.is::<UsageError>() {
            return "usage";
        }
        if cause.is::<NotFound>() {
            return "not_found";
        }
        if let Some(state) = cause.downcast_ref::<StateError>() {
            return match state {
                StateError::Corrupt { .. } => "corrupt_database",
                StateError::NewerSchema { .. } => "newer_database",
                _ => "database",
            };
        }
        if cause.is::<LogsError>() {
            return "database";
        }
        if cause.is::<std::io::Error>() {
            return "io";
        }
    }
    "failure"
}

fn write_json_error(kind: &'static str, message: &str) {
    let document = serde_json::json!({ "error": JsonError { kind, message } });
    let mut stdout = std::io::stdout().lock();
    let _ = serde_json::to_writer_pretty(&mut stdout, &document);
    let _ = writeln!(stdout);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_asked_for_only_before_a_double_dash() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(wants_json(args(&["codex-memories", "status", "--json"])));
        assert!(!wants_json(args(&["codex-memories", "status"])));
        assert!(!wants_json(args(&[
            "codex-memories",
            "redact",
            "--",
            "--json"
        ])));
    }

    #[test]
    fn errors_are_classified_through_their_causes() {
        let usage = anyhow::Error::new(UsageError("pass --yes".into()));
        assert_eq!(error_kind(&usage), "usage");
        let io = anyhow::Error::new(std::io::Error::other("disk")).context("cannot write");
        assert_eq!(error_kind(&io), "io");
        assert_eq!(error_kind(&anyhow::anyhow!("unknown thread")), "failure");
    }
}
