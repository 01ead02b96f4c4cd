//! `RolloutWriter`: writes canonical rollout lines — one compact JSON object and a newline per
//! line, envelope or legacy as the line says, with keys in Codex's order (`timestamp`, `ordinal`,
//! `type`, `payload`, `metadata`; inside a payload, its `type` tag first) so written files look like real ones to
//! readers that peek at a line's first bytes. Used by tests, examples and benchmarks; never to
//! write into a real `sessions/` folder.

use std::io::{self, Write};

use crate::{RolloutFormat, RolloutLine};

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
        match line.format {
            RolloutFormat::Legacy => serde_json::to_writer(&mut self.sink, &line.to_json())?,
            RolloutFormat::Envelope => {
                self.sink.write_all(b"{")?;
                if let Some(timestamp) = &line.timestamp {
                    self.sink.write_all(br#""timestamp":"#)?;
                    serde_json::to_writer(&mut self.sink, timestamp)?;
                    self.sink.write_all(b",")?;
                }
                if let Some(ordinal) = line.ordinal {
                    write!(self.sink, r#""ordinal":{ordinal},"#)?;
                }
                self.sink.write_all(br#""type":"#)?;
                serde_json::to_writer(&mut self.sink, line.item.kind())?;
                self.sink.write_all(br#","payload":"#)?;
                line.item.write_payload(&mut self.sink)?;
                if let Some(metadata) = &line.metadata {
                    self.sink.write_all(br#","metadata":"#)?;
                    serde_json::to_writer(&mut self.sink, metadata)?;
                }
                self.sink.write_all(b"}")?;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventMsg, RolloutItem, RolloutReader};
    use pretty_assertions::assert_eq;

    #[test]
    fn envelope_lines_keep_codex_key_order_and_read_back() {
        let line = RolloutLine::envelope(
            "2025-11-17T21:30:29.000Z",
            RolloutItem::EventMsg(EventMsg::UserMessage {
                message: "hi".to_string(),
                images: None,
            }),
        );
        let mut writer = RolloutWriter::new(Vec::new());
        writer.write_line(&line).unwrap();
        let bytes = writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"timestamp\":\"2025-11-17T21:30:29.000Z\",\"type\":\"event_msg\",\"payload\":{\"type\":\"user_message\",\"message\":\"hi\"}}\n"
        );
        let read: Vec<RolloutLine> = RolloutReader::from_reader(
            std::path::Path::new("mem.jsonl"),
            std::io::Cursor::new(bytes),
            false,
        )
        .unwrap()
        .map(|next| next.unwrap().1)
        .collect();
        assert_eq!(read, vec![line]);
    }
}
