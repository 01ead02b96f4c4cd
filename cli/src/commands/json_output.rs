//! Data reports on stdout: for `--json` one pretty-printed JSON document per command run, ending
//! in a newline, so every subcommand's machine-readable output has the same shape; otherwise the
//! report's plain-words lines.

use std::io::Write;

use serde::Serialize;

/// Writes `value` to `out` as pretty JSON followed by a newline.
pub fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Writes `report` as JSON when `json`, else the lines `lines` renders of it, one per line.
pub fn write_report<T: Serialize>(
    out: &mut impl Write,
    json: bool,
    report: &T,
    lines: impl FnOnce(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        return write_json(out, report);
    }
    for line in lines(report) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
