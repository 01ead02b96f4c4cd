//! Thread metadata from one rollout file, per DESIGN §4: identity, cwd, provider and git from
//! the first `session_meta` whose id matches the file name; title, first user message and
//! preview from the first `event_msg.user_message` — else (Codex 0.169 writes none) the first
//! completed `UserMessage` item, else the first user `response_item` that is not context the
//! agent added; model from the last `turn_context` or `thread_settings_applied`; tokens from the
//! last `token_count` or `token_usage_record`; memory mode from the last `session_meta` that sets it; the
//! version (`updated_at`) from the timestamp of the last complete line, never the file's mtime,
//! so a copy, a `touch` or a restore keeps it. Only the lines the index needs are parsed —
//! everything else is classified from its first bytes and skipped, and of the lines where only
//! the last one counts (one turn context and one token count per turn) only the last complete
//! one that names its value is kept and parsed, once the file is read.

mod claude;
mod gemini;
mod line_time;
mod probe;
mod tail_time;
mod title;
mod totals;

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::DateTime;
use codex_protocol::{
    Agent, CompletedItem, LegacyHeader, LineReader, RawLine, RolloutFileName, SessionMeta,
    SniffedLine, ThreadId,
};
use memchr::memmem::Finder;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use crate::threads::{MemoryMode, ThreadRow};
pub(crate) use claude::extract_claude_session;
pub(crate) use gemini::extract_gemini_chat;
use line_time::LineTime;
use probe::{Latest, LineClass, Wants};
pub(crate) use title::UserMessageText;
use totals::TotalsById;

/// Read buffer per file, in bytes.
const READ_BUFFER_BYTES: usize = 256 * 1024;
/// Longest line the indexer reads, in bytes; longer lines are skipped without being buffered.
pub const MAX_INDEXED_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What the walker knows about a file before it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// The rollout file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, in nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Its inode number; 0 where the platform has none.
    pub inode: u64,
    /// Its status-change time, in nanoseconds since the Unix epoch; 0 where the platform has none.
    pub ctime_ns: i64,
    /// Whether it lives under `archived_sessions/`.
    pub archived: bool,
    /// The agent that wrote it.
    pub agent: Agent,
}

impl FileStat {
    /// The stat of `path` as the walker records it (`archived` from where it lives).
    pub fn from_metadata(
        path: PathBuf,
        metadata: &std::fs::Metadata,
        agent: Agent,
        archived: bool,
    ) -> Self {
        let (inode, ctime_ns) = inode_and_ctime_ns(metadata);
        Self {
            path,
            size: metadata.len(),
            mtime_ns: mtime_ns(metadata),
            inode,
            ctime_ns,
            archived,
            agent,
        }
    }

    /// This stat grown by the stat of another file of the same session (a subagent's
    /// transcript): sizes add up, the latest mtime and ctime win, so any change to either file
    /// makes the session read again.
    pub fn include(&mut self, other: &std::fs::Metadata) {
        let (_, ctime_ns) = inode_and_ctime_ns(other);
        self.size += other.len();
        self.mtime_ns = self.mtime_ns.max(mtime_ns(other));
        self.ctime_ns = self.ctime_ns.max(ctime_ns);
    }

    /// Whether `self` and `other` describe the same unchanged file: same size, mtime, inode and
    /// ctime. A file replaced with the same size and mtime has a new inode or ctime.
    pub fn same_file_as(&self, other: &StoredStat) -> bool {
        self.size == other.size
            && self.mtime_ns == other.mtime_ns
            && self.inode == other.inode
            && self.ctime_ns == other.ctime_ns
    }
}

/// The part of a [`FileStat`] the index stores and compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoredStat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// Inode number, or 0.
    pub inode: u64,
    /// Status-change time, ns since the epoch, or 0.
    pub ctime_ns: i64,
}

/// Nanoseconds since the epoch; 0 when the platform has no mtime.
fn mtime_ns(metadata: &std::fs::Metadata) -> i64 {
    metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX)
        })
}

#[cfg(unix)]
fn inode_and_ctime_ns(metadata: &std::fs::Metadata) -> (u64, i64) {
    use std::os::unix::fs::MetadataExt;
    let ctime_ns = metadata
        .ctime()
        .saturating_mul(1_000_000_000)
        .saturating_add(metadata.ctime_nsec());
    (metadata.ino(), ctime_ns)
}

#[cfg(not(unix))]
fn inode_and_ctime_ns(_metadata: &std::fs::Metadata) -> (u64, i64) {
    (0, 0)
}

/// Why a rollout could not be indexed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtractError {
    /// The file could not be opened.
    #[error("cannot open: {0}")]
    Open(String),
    /// Reading stopped part-way (an I/O error or a corrupt zstd frame).
    #[error("cannot read past line {line_number}: {detail}")]
    Read {
        /// The last line read completely.
        line_number: u64,
        /// The cause.
        detail: String,
    },
    /// No source reads this agent's sessions (an embedding host left it out).
    #[error("no session source reads {0} sessions")]
    NoSource(Agent),
    /// Neither the file name nor any header line gives the thread id.
    #[error(
        "no thread id: the file name does not parse ({name_error}) and no session_meta line was found"
    )]
    NoThreadId {
        /// Why the name did not parse.
        name_error: String,
    },
}

/// Reads `file` and derives its `threads` row. Never panics on input; bad lines are skipped.
pub fn extract_thread(file: &FileStat) -> Result<ThreadRow, ExtractError> {
    let name = file
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let parsed_name = name.parse::<RolloutFileName>();
    let compressed = name.ends_with(".zst");
    let mut scan = Scan::new(parsed_name.as_ref().ok().map(|name| name.thread_id));
    read_lines(&file.path, compressed, &mut scan)?;

    let Some(id) = scan
        .id
        .or(parsed_name.as_ref().ok().map(|name| name.thread_id))
    else {
        let name_error = match parsed_name {
            Err(error) => error.to_string(),
            Ok(_) => String::new(),
        };
        return Err(ExtractError::NoThreadId { name_error });
    };
    let mtime_ms = file.mtime_ns.div_euclid(1_000_000);
    let started_at = scan
        .started_at
        .as_deref()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.timestamp_millis())
        .or_else(|| {
            let name = parsed_name.as_ref().ok()?;
            Some(name.timestamp.and_utc().timestamp_millis())
        });
    // The content's own time, never the file's: legacy files carry none per line, so their
    // start stands for it; only a file with no time at all falls back to its mtime.
    let updated_at = scan
        .last_line_time
        .millis()
        .or(started_at)
        .unwrap_or(mtime_ms);
    let created_at = started_at.unwrap_or(updated_at);
    let message = scan
        .event_user_message
        .or(scan.completed_user_message)
        .or(scan.response_user_message)
        .unwrap_or_default();
    Ok(ThreadRow {
        id,
        rollout_path: file.path.clone(),
        created_at,
        updated_at,
        source: scan.source,
        model_provider: scan.model_provider,
        model: scan.model,
        cwd: scan.cwd,
        title: message.title,
        first_user_message: message.first_user_message,
        preview: message.preview,
        tokens_used: scan.tokens_used.unwrap_or(0),
        archived: file.archived,
        git_sha: scan.git_sha,
        git_branch: scan.git_branch,
        git_origin_url: scan.git_origin_url,
        cli_version: scan.cli_version,
        memory_mode: scan.memory_mode.unwrap_or_default(),
        file_size: file.size,
        file_mtime_ns: file.mtime_ns,
        file_inode: file.inode,
        file_ctime_ns: file.ctime_ns,
        agent: Agent::Codex,
    })
}

/// Finds `"model":"`, the key every agent writes its model under (built once).
pub(crate) static MODEL_KEY_FINDER: std::sync::LazyLock<Finder<'static>> =
    std::sync::LazyLock::new(|| Finder::new(br#""model":""#));

/// The string value right after the first match of `key` in `bytes` (a searcher for a key with
/// its opening quote, e.g. `"model":"`), when it ends within the line and has no escapes.
pub(crate) fn quoted_after<'a>(bytes: &'a [u8], key: &Finder<'_>) -> Option<Cow<'a, str>> {
    let start = key.find(bytes)? + key.needle().len();
    let end = start + memchr::memchr2(b'"', b'\\', &bytes[start..])?;
    (bytes[end] == b'"').then(|| String::from_utf8_lossy(&bytes[start..end]))
}

/// Stores `value` in `slot` unless it already holds it (no allocation for a repeated value).
pub(crate) fn keep_latest(slot: &mut Option<String>, value: Cow<'_, str>) {
    if slot.as_deref() != Some(&*value) {
        *slot = Some(value.into_owned());
    }
}

/// The session id a file's name is (`<uuid>.jsonl`), if it is one.
pub(crate) fn session_id_from_name(path: &Path) -> Option<ThreadId> {
    path.file_stem()?.to_str()?.parse().ok()
}

/// Feeds every line of a Claude Code or Gemini CLI file to `scan`. `visit` sees each line in
/// place in the read buffer — whole when the buffer holds it (`true`), else its first
/// `prefix_bytes` — and returns true when that is all it needs (the line is then never copied);
/// `read` gets every other line, read whole. Over-long lines are skipped.
pub(crate) fn scan_lines<S>(
    path: &Path,
    prefix_bytes: usize,
    scan: &mut S,
    mut visit: impl FnMut(&mut S, &[u8], bool) -> bool,
    mut read: impl FnMut(&mut S, &[u8]),
) -> Result<(), ExtractError> {
    let file = File::open(path).map_err(|error| ExtractError::Open(error.to_string()))?;
    let reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
    let mut lines = LineReader::with_max_line_bytes(reader, MAX_INDEXED_LINE_BYTES);
    loop {
        let line_number = lines.line_number();
        let next = lines
            .next_line_visit(prefix_bytes, |bytes, whole| visit(scan, bytes, whole))
            .map_err(|error| ExtractError::Read {
                line_number,
                detail: error.to_string(),
            })?;
        match next {
            None => return Ok(()),
            Some((
                _,
                SniffedLine::Read(RawLine::Complete(bytes) | RawLine::Unterminated(bytes)),
            )) => read(scan, bytes),
            Some(_) => {}
        }
    }
}

/// Whether reading should go on after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// Feeds each line the index may need to `scan`. Lines whose first bytes say they are not
/// needed are passed over without being copied; over-long lines are skipped.
fn read_lines(path: &Path, compressed: bool, scan: &mut Scan) -> Result<(), ExtractError> {
    let file = File::open(path).map_err(|error| ExtractError::Open(error.to_string()))?;
    let reader: Box<dyn BufRead> = if compressed {
        let decoder = zstd::stream::read::Decoder::new(file)
            .map_err(|error| ExtractError::Open(format!("zstd: {error}")))?;
        Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, decoder))
    } else {
        Box::new(BufReader::with_capacity(READ_BUFFER_BYTES, file))
    };
    let mut lines = LineReader::with_max_line_bytes(reader, MAX_INDEXED_LINE_BYTES);
    // The timestamp of the line whose prefix was last shown to the classifier.
    let mut prefix_time = LineTime::default();
    loop {
        let line_number = lines.line_number();
        let wants = scan.wants();
        let next = lines
            .next_line_unless(probe::PREFIX_SCAN_BYTES, |prefix| {
                prefix_time = LineTime::leading(prefix);
                probe::classify(prefix, wants) == LineClass::Skip
            })
            .map_err(|error| ExtractError::Read {
                line_number,
                detail: error.to_string(),
            })?;
        let bytes = match next {
            None => {
                scan.finish();
                return Ok(());
            }
            // Skipped on its first bytes: a non-blank line the index does not need.
            Some((_, SniffedLine::Skipped { terminated })) => {
                scan.seen_first_line = true;
                if terminated {
                    scan.last_line_time.replace_with(&prefix_time);
                }
                continue;
            }
            Some((_, SniffedLine::Read(RawLine::Complete(bytes)))) => {
                scan.line_complete = true;
                bytes
            }
            // A final line cut off mid-write is read for what it says but does not date the file.
            Some((_, SniffedLine::Read(RawLine::Unterminated(bytes)))) => {
                scan.line_complete = false;
                bytes
            }
            Some((_, SniffedLine::Read(RawLine::TooLong { .. }))) => {
                scan.last_line_time.replace_with(&prefix_time);
                continue;
            }
        };
        if scan.line(bytes) == Flow::Stop {
            scan.finish();
            return Ok(());
        }
    }
}

/// The metadata gathered so far while reading one file.
#[derive(Debug, Default)]
struct Scan {
    /// The id from the file name, which the identity `session_meta` must match.
    name_id: Option<ThreadId>,
    /// Set once the identity line (matching `session_meta` or legacy header) was read.
    id: Option<ThreadId>,
    started_at: Option<String>,
    source: String,
    model_provider: Option<String>,
    model: Option<String>,
    cwd: String,
    cli_version: String,
    git_sha: Option<String>,
    git_branch: Option<String>,
    git_origin_url: Option<String>,
    memory_mode: Option<MemoryMode>,
    tokens_used: Option<i64>,
    /// The timestamp of the last complete line that has one.
    last_line_time: LineTime,
    /// Whether the line being read ended with a newline (so its time dates the file).
    line_complete: bool,
    /// From the first `user_message` event (the preferred source).
    event_user_message: Option<UserMessageText>,
    /// From the first completed `UserMessage` item (Codex 0.169, which writes no event).
    completed_user_message: Option<UserMessageText>,
    /// From the first user `response_item` that is not context the agent added.
    response_user_message: Option<UserMessageText>,
    /// Whether a non-blank line was seen yet (a legacy header can only be the first).
    seen_first_line: bool,
    /// The number of the line being read (counting non-blank lines).
    line_index: u64,
    /// The line that last set `model` and `tokens_used`.
    model_set_at: u64,
    tokens_set_at: u64,
    /// The last complete line that names the model, and its number; parsed by [`Scan::finish`].
    latest_model_line: (u64, Vec<u8>),
    /// The same for the tokens used.
    latest_tokens_line: (u64, Vec<u8>),
}

/// The fields of a line that route it; payloads stay unparsed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    timestamp: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EventKind<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
}

#[derive(Deserialize)]
struct UserMessagePayload {
    #[serde(default)]
    message: String,
    #[serde(default)]
    images: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    local_images: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
struct TokenCountPayload {
    #[serde(default)]
    info: Option<TokenInfo>,
}

#[derive(Deserialize)]
struct TokenInfo {
    total_token_usage: TotalUsage,
}

#[derive(Deserialize)]
struct TotalUsage {
    #[serde(default)]
    total_tokens: i64,
}

#[derive(Deserialize)]
struct ItemCompletedPayload {
    item: CompletedItem,
}

#[derive(Deserialize)]
struct ThreadSettingsPayload {
    thread_settings: SettingsModel,
}

#[derive(Deserialize)]
struct SettingsModel {
    #[serde(default)]
    model: Option<String>,
}

#[derive(Deserialize)]
struct TokenUsageRecordPayload {
    #[serde(default)]
    thread_token_usage: Option<TotalUsage>,
}

#[derive(Deserialize)]
struct ResponseMessagePayload<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    role: Cow<'a, str>,
    #[serde(default, borrow)]
    content: Vec<ContentPart<'a>>,
}

#[derive(Deserialize)]
struct ContentPart<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct TurnContextPayload {
    #[serde(default)]
    model: Option<String>,
}

impl Scan {
    fn new(name_id: Option<ThreadId>) -> Self {
        Self {
            name_id,
            source: "unknown".to_string(),
            ..Self::default()
        }
    }

    fn line(&mut self, bytes: &[u8]) -> Flow {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Flow::Continue;
        }
        let first_line = !std::mem::replace(&mut self.seen_first_line, true);
        self.line_index += 1;
        let leading_time = LineTime::leading(bytes);
        if self.line_complete {
            self.last_line_time.replace_with(&leading_time);
        }
        match probe::classify(bytes, self.wants()) {
            LineClass::Skip => return Flow::Continue,
            // Kept for the end when its time is known already; a line cut off mid-write, or one
            // whose time is elsewhere, is parsed now like any other.
            LineClass::Latest(latest) if self.line_complete && leading_time.is_known() => {
                if latest.is_named_in(bytes) {
                    let (kept_at, kept) = match latest {
                        Latest::Model => &mut self.latest_model_line,
                        Latest::Tokens => &mut self.latest_tokens_line,
                    };
                    *kept_at = self.line_index;
                    kept.clear();
                    kept.extend_from_slice(bytes);
                }
                return Flow::Continue;
            }
            LineClass::Latest(_) | LineClass::Parse => {}
        }
        // Bad lines (invalid UTF-8 or JSON) carry nothing we can use: skip them.
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Flow::Continue;
        };
        self.route(text, first_line)
    }

    /// Parses the kept last lines, once every line was read. Each counts unless a later line
    /// parsed when read (cut off mid-write, or in an unusual layout) set the value already.
    fn finish(&mut self) {
        let model = std::mem::take(&mut self.latest_model_line);
        let tokens = std::mem::take(&mut self.latest_tokens_line);
        // The kept lines' times were taken when they were read.
        self.line_complete = false;
        for ((kept_at, kept), set_at) in [(model, self.model_set_at), (tokens, self.tokens_set_at)]
        {
            if kept_at > set_at
                && let Ok(text) = std::str::from_utf8(&kept)
            {
                self.line_index = kept_at;
                self.route(text, false);
            }
        }
    }

    /// Parses one line and takes what it says.
    fn route(&mut self, text: &str, first_line: bool) -> Flow {
        let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(text) else {
            return Flow::Continue;
        };
        // Lines not in the canonical layout carry their time elsewhere than at the start.
        if let (true, Some(time)) = (self.line_complete, &envelope.timestamp) {
            self.last_line_time.replace_with(&LineTime::from_text(time));
        }
        match (envelope.kind.as_deref(), envelope.payload) {
            (Some("session_meta"), Some(payload)) => self.session_meta(payload),
            (Some("turn_context"), Some(payload)) => self.turn_context(payload),
            (Some("event_msg"), Some(payload)) => self.event(payload),
            (Some("token_usage_record"), Some(payload)) => self.token_usage_record(payload),
            (Some("response_item"), Some(payload)) => self.response_item(payload),
            (None, None) if first_line && envelope.id.is_some() => {
                self.legacy_header(text);
                // A legacy file holds no events or turn contexts: nothing more to learn.
                return Flow::Stop;
            }
            _ => {}
        }
        Flow::Continue
    }

    fn session_meta(&mut self, payload: &RawValue) {
        let Ok(meta) = serde_json::from_str::<SessionMeta>(payload.get()) else {
            return;
        };
        if let Some(mode) = meta.memory_mode.as_deref().and_then(MemoryMode::parse) {
            self.memory_mode = Some(mode);
        }
        let matches_name = self.name_id.is_none_or(|name_id| name_id == meta.id);
        if self.id.is_some() || !matches_name {
            return;
        }
        self.id = Some(meta.id);
        self.started_at = Some(meta.timestamp);
        self.source = meta.source.name().to_string();
        self.model_provider = meta.model_provider;
        self.cwd = meta.cwd;
        self.cli_version = meta.cli_version;
        if let Some(git) = meta.git {
            self.git_sha = git.commit_hash;
            self.git_branch = git.branch;
            self.git_origin_url = git.repository_url;
        }
    }

    fn legacy_header(&mut self, text: &str) {
        let Ok(header) = serde_json::from_str::<LegacyHeader>(text) else {
            return;
        };
        if self.name_id.is_some_and(|name_id| name_id != header.id) {
            return;
        }
        self.id = Some(header.id);
        self.started_at = Some(header.timestamp);
        // Legacy files predate `source`; a missing source means `vscode` (DESIGN §3).
        self.source = codex_protocol::SessionSource::default().name().to_string();
        if let Some(git) = header.git {
            self.git_sha = git.commit_hash;
            self.git_branch = git.branch;
            self.git_origin_url = git.repository_url;
        }
    }

    /// What the scan still looks for; see [`probe::Wants`].
    fn wants(&self) -> Wants {
        let event = self.event_user_message.is_some();
        let completed = self.completed_user_message.is_some();
        Wants {
            user_message_event: !event,
            completed_user_message: !event && !completed,
            response_user_message: !event && !completed && self.response_user_message.is_none(),
        }
    }

    fn token_usage_record(&mut self, payload: &RawValue) {
        if let Ok(TokenUsageRecordPayload {
            thread_token_usage: Some(usage),
        }) = serde_json::from_str(payload.get())
        {
            self.tokens_used = Some(usage.total_tokens);
            self.tokens_set_at = self.line_index;
        }
    }

    /// A user message of the model's history: a candidate title when nothing better is found.
    fn response_item(&mut self, payload: &RawValue) {
        if !self.wants().response_user_message {
            return;
        }
        let Ok(message) = serde_json::from_str::<ResponseMessagePayload>(payload.get()) else {
            return;
        };
        if message.kind != "message" || message.role != "user" {
            return;
        }
        let has_images = message
            .content
            .iter()
            .any(|part| part.kind == "input_image");
        let words: Vec<&str> = message
            .content
            .iter()
            .filter_map(|part| part.text.as_deref())
            .filter(|text| !title::is_added_context(text))
            .collect();
        if words.is_empty() && !has_images {
            return;
        }
        self.response_user_message = UserMessageText::from_message(&words.join("\n"), has_images);
    }

    fn turn_context(&mut self, payload: &RawValue) {
        if let Ok(TurnContextPayload { model: Some(model) }) = serde_json::from_str(payload.get()) {
            self.model = Some(model);
            self.model_set_at = self.line_index;
        }
    }

    fn event(&mut self, payload: &RawValue) {
        let Ok(event) = serde_json::from_str::<EventKind<'_>>(payload.get()) else {
            return;
        };
        match event.kind.as_ref() {
            "user_message" if self.event_user_message.is_none() => {
                let Ok(message) = serde_json::from_str::<UserMessagePayload>(payload.get()) else {
                    return;
                };
                let has_images = message.images.is_some_and(|images| !images.is_empty())
                    || message
                        .local_images
                        .is_some_and(|images| !images.is_empty());
                self.event_user_message =
                    UserMessageText::from_message(&message.message, has_images);
            }
            "item_completed" if self.wants().completed_user_message => {
                let Ok(completed) = serde_json::from_str::<ItemCompletedPayload>(payload.get())
                else {
                    return;
                };
                if let Some((text, has_images)) = completed.item.message_text() {
                    self.completed_user_message = UserMessageText::from_message(&text, has_images);
                }
            }
            "thread_settings_applied" => {
                if let Ok(ThreadSettingsPayload {
                    thread_settings: SettingsModel { model: Some(model) },
                }) = serde_json::from_str(payload.get())
                {
                    self.model = Some(model);
                    self.model_set_at = self.line_index;
                }
            }
            "token_count" => {
                if let Ok(TokenCountPayload { info: Some(info) }) =
                    serde_json::from_str(payload.get())
                {
                    self.tokens_used = Some(info.total_token_usage.total_tokens);
                    self.tokens_set_at = self.line_index;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
