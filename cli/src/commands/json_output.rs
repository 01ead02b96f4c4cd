//! Data reports on stdout for `--json`: one pretty-printed JSON document per command run, ending
//! in a newline, so every subcommand's machine-readable output has the same shape.

use std::io::Write;

use serde::Serialize;

/// Writes `value` to `out` as pretty JSON followed by a newline.
pub fn write_json(out: &mut impl Write, value: &impl Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}
