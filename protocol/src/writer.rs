//! `RolloutWriter`: writes canonical rollout lines — one compact JSON object and a newline per
//! line, envelope or legacy as the line says. Used by tests, examples and benchmarks; never to
//! write into a real `sessions/` folder.

use std::io::{self, Write};

use crate::RolloutLine;

/// Writes rollout lines to any byte sink.
pub struct RolloutWriter<W> {
    sink: W,
}

impl<W: Write> RolloutWriter<W> {
    /// A writer over `sink`.
    pub fn new(sink: W) -> Self {
        Self { sink }
    }

    /// Writes one line and its newline.
    pub fn write_line(&mut self, line: &RolloutLine) -> io::Result<()> {
        serde_json::to_writer(&mut self.sink, &line.to_json())?;
        self.sink.write_all(b"\n")
    }

    /// The sink being written to.
    pub fn sink(&self) -> &W {
        &self.sink
    }

    /// Flushes and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.sink.flush()?;
        Ok(self.sink)
    }
}
