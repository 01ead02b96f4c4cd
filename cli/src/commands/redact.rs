//! `codex-memories redact [FILE|-] [--json]`: replaces every secret in a file (or standard
//! input) by `[REDACTED_SECRET]` and prints the result, or with `--json` lists what was found —
//! family, rule, line and byte offsets, never the secret values. Useful on its own before sharing
//! a log. Input that is not UTF-8 is read lossily (invalid bytes become U+FFFD), with a warning.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::commands::json_output::write_json;
use anyhow::Context;
use clap::Args;
use codex_memories::{Redacted, redact};
use serde::Serialize;

/// Arguments of `redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The file to redact; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    file: PathBuf,
    /// Print the findings as JSON (without the secret values) instead of the redacted text.
    #[arg(long)]
    json: bool,
}

/// What `--json` prints.
#[derive(Debug, Serialize)]
struct Report {
    findings: Vec<FindingReport>,
    count: usize,
}

/// One finding without its value: `line` is 1-based, `start`/`end` are byte offsets in the input.
#[derive(Debug, Serialize)]
struct FindingReport {
    family: &'static str,
    rule: &'static str,
    line: usize,
    start: usize,
    end: usize,
}

/// Runs `redact`.
pub fn run(args: RedactArgs) -> anyhow::Result<ExitCode> {
    let text = read_input(&args.file)?;
    let redacted = redact(&text);
    let mut stdout = std::io::stdout().lock();
    if args.json {
        write_json(&mut stdout, &report(&text, &redacted))?;
    } else {
        stdout.write_all(redacted.text.as_bytes())?;
    }
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn read_input(path: &Path) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    let name = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        "standard input".to_string()
    } else {
        bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        path.display().to_string()
    };
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("warning: {name} is not valid UTF-8; invalid bytes are shown as U+FFFD");
            String::from_utf8_lossy(error.as_bytes()).into_owned()
        }
    })
}

fn report(text: &str, redacted: &Redacted) -> Report {
    let mut line = 1;
    let mut counted_to = 0;
    let findings: Vec<FindingReport> = redacted
        .findings
        .iter()
        .map(|finding| {
            line += text[counted_to..finding.span.start].matches('\n').count();
            counted_to = finding.span.start;
            FindingReport {
                family: finding.family.as_str(),
                rule: finding.rule,
                line,
                start: finding.span.start,
                end: finding.span.end,
            }
        })
        .collect();
    Report {
        count: findings.len(),
        findings,
    }
}
