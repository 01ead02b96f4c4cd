//! Synthetic rollouts for benchmarks: sessions shaped like real Codex ones (session_meta, turn
//! contexts, user messages, tool calls with outputs, reasoning, token counts), written with the
//! protocol crate's writer, grown to a requested size. Deterministic for a given seed.

use std::io::Write;

use codex_protocol::{
    ContentItem, EventMsg, FunctionCallOutputBody, ResponseItem, RolloutItem, RolloutLine,
    RolloutWriter, SessionMeta, SessionSource, ThreadId, TokenUsage, TokenUsageInfo, TurnContext,
};

/// A small deterministic generator (xorshift64*), so workloads repeat across runs.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value; zero is remapped).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value in `low..high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }
}

const WORDS: &[&str] = &[
    "cargo",
    "build",
    "src/lib.rs",
    "fn",
    "let",
    "match",
    "warning",
    "test",
    "passed",
    "index",
    "thread",
    "session",
    "rollout",
    "memory",
    "sqlite",
    "query",
    "the",
    "a",
    "of",
    "to",
    "in",
    "is",
    "compile",
    "borrow",
    "checker",
    "lifetime",
    "async",
    "tokio",
];

/// One line in this many of generated output reports a failure, as in real build and test logs.
const ERROR_LINE_ONE_IN: u64 = 40;

/// About `bytes` of build-log-like words, with a failure line now and then.
pub fn words(rng: &mut Rng, bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        text.push_str(WORDS[rng.range(0, WORDS.len() as u64) as usize]);
        if rng.range(0, 12) == 0 {
            text.push('\n');
            if rng.range(0, ERROR_LINE_ONE_IN) == 0 {
                text.push_str("error[E0308]: mismatched types in src/lib.rs; test failed\n");
            }
        } else {
            text.push(' ');
        }
    }
    text
}

fn envelope(timestamp: &str, item: RolloutItem) -> RolloutLine {
    RolloutLine::envelope(timestamp, item)
}

/// Writes one synthetic session of about `target_bytes` to `sink`.
pub fn write_session(
    sink: impl Write,
    thread_id: ThreadId,
    cwd: &str,
    target_bytes: u64,
    rng: &mut Rng,
) -> std::io::Result<u64> {
    let mut counter = CountingWriter {
        inner: sink,
        bytes: 0,
    };
    let mut writer = RolloutWriter::new(&mut counter);
    // A session's version and age come from its lines' times: a day ago, idle enough to extract
    // and young enough for the age window.
    let ts = (chrono::Utc::now() - chrono::TimeDelta::days(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let ts = ts.as_str();
    writer.write_line(&envelope(
        ts,
        RolloutItem::SessionMeta(SessionMeta {
            id: thread_id,
            timestamp: ts.to_string(),
            cwd: cwd.to_string(),
            originator: "codex_cli_rs".to_string(),
            cli_version: "0.58.0".to_string(),
            instructions: None,
            source: SessionSource::Cli,
            model_provider: Some("openai".to_string()),
            memory_mode: None,
            git: None,
        }),
    ))?;
    let request = words(rng, 200);
    writer.write_line(&envelope(
        ts,
        RolloutItem::EventMsg(EventMsg::UserMessage {
            message: request.clone(),
            images: None,
        }),
    ))?;
    writer.write_line(&envelope(
        ts,
        RolloutItem::ResponseItem(ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![ContentItem::InputText { text: request }],
        }),
    ))?;
    let mut call = 0u64;
    let mut total_tokens = 0i64;
    loop {
        let written = writer_bytes(&writer);
        if written >= target_bytes {
            break;
        }
        call += 1;
        writer.write_line(&envelope(
            ts,
            RolloutItem::TurnContext(TurnContext {
                cwd: cwd.to_string(),
                model: Some("gpt-5.1-codex".to_string()),
                approval_policy: Some(serde_json::json!("never")),
                sandbox_policy: Some(serde_json::json!({"mode": "workspace-write"})),
                effort: Some("high".to_string()),
                summary: Some("auto".to_string()),
                turn_id: None,
            }),
        ))?;
        writer.write_line(&envelope(
            ts,
            RolloutItem::ResponseItem(ResponseItem::Reasoning {
                id: None,
                summary: vec![serde_json::json!({"type": "summary_text", "text": words(rng, 300)})],
                content: None,
                encrypted_content: Some("gAAAA".repeat(rng.range(50, 400) as usize)),
            }),
        ))?;
        let call_id = format!("call_{call}");
        let arguments =
            serde_json::json!({"command": ["bash", "-lc", words(rng, 60)], "workdir": cwd});
        writer.write_line(&envelope(
            ts,
            RolloutItem::ResponseItem(ResponseItem::FunctionCall {
                id: None,
                name: "shell".to_string(),
                arguments: arguments.to_string(),
                call_id: call_id.clone(),
            }),
        ))?;
        let output_bytes = rng.range(200, 8_000) as usize;
        let output = serde_json::json!({
            "output": words(rng, output_bytes),
            "metadata": {"exit_code": if rng.range(0, 5) == 0 { 1 } else { 0 }, "duration_seconds": 0.4}
        });
        writer.write_line(&envelope(
            ts,
            RolloutItem::ResponseItem(ResponseItem::FunctionCallOutput {
                call_id,
                output: FunctionCallOutputBody::Text(output.to_string()),
            }),
        ))?;
        total_tokens += 1_500;
        writer.write_line(&envelope(
            ts,
            RolloutItem::EventMsg(EventMsg::TokenCount {
                info: Some(TokenUsageInfo {
                    total_token_usage: TokenUsage {
                        total_tokens,
                        ..TokenUsage::default()
                    },
                    last_token_usage: None,
                    model_context_window: Some(272_000),
                }),
            }),
        ))?;
    }
    writer.write_line(&envelope(
        ts,
        RolloutItem::EventMsg(EventMsg::AgentMessage {
            message: words(rng, 300),
        }),
    ))?;
    writer.finish()?;
    Ok(counter.bytes)
}

fn writer_bytes<W: Write>(writer: &RolloutWriter<&mut CountingWriter<W>>) -> u64 {
    writer.sink().bytes
}

/// Counts the bytes written through it.
pub struct CountingWriter<W> {
    inner: W,
    /// Bytes written so far.
    pub bytes: u64,
}

impl<W> CountingWriter<W> {
    /// Counts what goes through to `inner`.
    pub fn new(inner: W) -> Self {
        Self { inner, bytes: 0 }
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Rollout file sizes drawn like a real Codex home: most sessions are 10–500 KB, about one in
/// twelve is 5–50 MB.
pub fn realistic_rollout_bytes(rng: &mut Rng) -> u64 {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if rng.range(0, 12) == 0 {
        rng.range(5 * MIB, 50 * MIB)
    } else {
        rng.range(10 * KIB, 500 * KIB)
    }
}

/// What [`write_home`] wrote.
#[derive(Debug, Clone, Default)]
pub struct SyntheticHome {
    /// Every rollout file written.
    pub files: Vec<std::path::PathBuf>,
    /// Their total size in bytes.
    pub bytes: u64,
    /// The largest file's size in bytes.
    pub largest_bytes: u64,
}

/// Writes rollouts under `<codex_home>/sessions/YYYY/MM/DD/` until `total_bytes` are written
/// or `max_files` exist, each sized by `size_of` (given the file's index), with ids and names
/// like Codex's.
pub fn write_home(
    codex_home: &std::path::Path,
    total_bytes: u64,
    max_files: usize,
    rng: &mut Rng,
    mut size_of: impl FnMut(usize, &mut Rng) -> u64,
) -> std::io::Result<SyntheticHome> {
    let mut home = SyntheticHome::default();
    while home.bytes < total_bytes && home.files.len() < max_files {
        let index = home.files.len();
        let day = 1 + index % 28;
        let dir = codex_home.join(format!("sessions/2026/04/{day:02}"));
        std::fs::create_dir_all(&dir)?;
        let thread_id = ThreadId::from_uuid(uuid_for(rng));
        let name = codex_protocol::RolloutFileName::new(
            chrono::NaiveDate::from_ymd_opt(2026, 4, day as u32)
                .and_then(|date| {
                    date.and_hms_opt(10, (index / 60 % 60) as u32, (index % 60) as u32)
                })
                .unwrap_or_default(),
            thread_id,
        );
        let path = dir.join(name.to_string());
        let target = size_of(index, rng);
        let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        let bytes = write_session(file, thread_id, "/work/project", target, rng)?;
        home.bytes += bytes;
        home.largest_bytes = home.largest_bytes.max(bytes);
        home.files.push(path);
    }
    Ok(home)
}

/// A version-7 UUID drawn from `rng`.
pub fn uuid_for(rng: &mut Rng) -> uuid::Uuid {
    let bits = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    // Version 7, RFC 4122 variant.
    let bits = (bits & !(0xf << 76) & !(0x3 << 62)) | (0x7 << 76) | (0x2 << 62);
    uuid::Uuid::from_u128(bits)
}
