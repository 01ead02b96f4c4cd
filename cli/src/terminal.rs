//! What this process writes to stderr besides `--json` data: notices (silenced by `--quiet`),
//! the progress bar, and the log lines `tracing` prints. While a bar is drawn, every line goes
//! through it (`ProgressBar::suspend`), so a warning never lands on top of the bar.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tracing_subscriber::fmt::MakeWriter;

/// How often a progress bar redraws on its own.
const PROGRESS_TICK: Duration = Duration::from_millis(120);

static QUIET: AtomicBool = AtomicBool::new(false);
static ACTIVE_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Silences notices (`--quiet`); errors and warnings still print.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::SeqCst);
}

/// Prints an informational line on stderr unless `--quiet` was given.
pub fn notice(line: &str) {
    if !QUIET.load(Ordering::SeqCst) {
        eprint_line(line);
    }
}

/// Prints one line on stderr, above the progress bar when one is drawn.
pub fn eprint_line(line: &str) {
    write_stderr(format!("{line}\n").as_bytes());
}

fn write_stderr(bytes: &[u8]) {
    let bar = ACTIVE_BAR.lock().ok().and_then(|bar| bar.clone());
    let write = || {
        let _ = std::io::stderr().lock().write_all(bytes);
    };
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// A bar on stderr when it is a terminal, hidden otherwise; while it lives, stderr lines of this
/// module and of `tracing` are printed above it. End it with [`finish_progress_bar`].
pub fn progress_bar(template: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(PROGRESS_TICK);
    if let Ok(mut active) = ACTIVE_BAR.lock() {
        *active = Some(bar.clone());
    }
    bar
}

/// Clears the bar and lets stderr lines print directly again.
pub fn finish_progress_bar(bar: &ProgressBar) {
    if let Ok(mut active) = ACTIVE_BAR.lock() {
        *active = None;
    }
    bar.finish_and_clear();
}

/// `tracing`'s stderr writer: each event goes through the active progress bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrThroughBar;

impl<'a> MakeWriter<'a> for StderrThroughBar {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::new())
    }
}

/// Collects one formatted event and prints it whole when dropped.
#[derive(Debug)]
pub struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            write_stderr(&self.0);
        }
    }
}

/// Asks a yes/no question on stderr and reads the answer from stdin; `false` unless the answer is
/// yes, and without asking when stdin or stderr is not a terminal.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        return Ok(false);
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
