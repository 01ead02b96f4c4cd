//! Thread metadata from one Gemini CLI chat, reading only what the index needs. The header
//! gives the session and its start; each line's first bytes say what else it is: `$set` patches
//! are parsed only while the session's folder is unknown (the first patch carries the session
//! context that names it), user messages only until the first real prompt is found, and gemini
//! messages give their model and token counts without their content being parsed (a message
//! written twice is counted once). The version is the time of the last line that has one.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::DateTime;
use codex_protocol::gemini::{
    GeminiRecord, GeminiTokens, SESSION_CONTEXT_TAG, recorded_project_root, workspace_folder,
};
use codex_protocol::{Agent, ThreadId};
use memchr::memmem::Finder;

use crate::metadata::tail_time::last_line_time_ms;
use crate::metadata::{
    ExtractError, FileStat, MODEL_KEY_FINDER, TotalsById, UserMessageText, keep_latest,
    quoted_after, scan_lines,
};
use crate::threads::{MemoryMode, ThreadRow};

// Searchers for the keys looked for on every line, built once: building one per line costs
// more than the search.
static ID_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#"{"id":""#));
static MESSAGES_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""messages""#));
static TYPE_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#","type":""#));
static TOKENS_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""tokens":"#));
static TOTAL_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""total":"#));

/// How far into a line its kind is looked for, in bytes.
const PREFIX_SCAN_BYTES: usize = 256;

/// What the first bytes of a chat line say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GeminiLineClass {
    /// Not needed.
    Skip,
    /// A gemini message: model and tokens are picked out of it.
    Gemini,
    /// Parse it.
    Parse,
}

/// What the scan still wants.
#[derive(Debug, Clone, Copy)]
struct Wants {
    prompt: bool,
    folder: bool,
}

fn classify(prefix: &[u8], wants: Wants) -> GeminiLineClass {
    if prefix.starts_with(br#"{"$set":"#) {
        let messages = MESSAGES_FINDER.find(prefix).is_some();
        return if messages && (wants.folder || wants.prompt) {
            GeminiLineClass::Parse
        } else {
            GeminiLineClass::Skip
        };
    }
    if let Some(at) = TYPE_FINDER.find(prefix) {
        let kind = prefix[at + 9..]
            .split(|&byte| byte == b'"')
            .next()
            .unwrap_or_default();
        return match kind {
            b"gemini" => GeminiLineClass::Gemini,
            b"user" if wants.prompt || wants.folder => GeminiLineClass::Parse,
            b"user" | b"info" | b"error" | b"warning" => GeminiLineClass::Skip,
            _ => GeminiLineClass::Parse,
        };
    }
    GeminiLineClass::Parse
}

/// What the scan gathered.
#[derive(Debug, Default)]
struct Scan {
    session_id: Option<String>,
    started_at: Option<String>,
    kind: Option<String>,
    prompt: Option<UserMessageText>,
    folder: Option<String>,
    model: Option<String>,
    /// Token totals by message id (the last write of a message wins).
    tokens: TotalsById,
}

impl Scan {
    fn wants(&self) -> Wants {
        Wants {
            prompt: self.prompt.is_none(),
            folder: self.folder.is_none(),
        }
    }

    fn line(&mut self, bytes: &[u8]) {
        match classify(prefix(bytes), self.wants()) {
            GeminiLineClass::Skip => {}
            GeminiLineClass::Gemini => self.gemini(bytes),
            GeminiLineClass::Parse => {
                let Ok(record) = std::str::from_utf8(bytes).map(GeminiRecord::parse) else {
                    return;
                };
                let Ok(record) = record else {
                    return;
                };
                self.record(record);
            }
        }
    }

    fn record(&mut self, record: GeminiRecord) {
        if self.session_id.is_none() && record.start_time.is_some() {
            self.session_id = record.session_id.clone();
            self.started_at = record.start_time.clone();
            self.kind = record.kind.clone();
        }
        if let Some(set) = &record.set {
            let messages = set.get("messages").and_then(|messages| messages.as_array());
            for message in messages.into_iter().flatten() {
                if let Ok(record) = serde_json::from_value::<GeminiRecord>(message.clone()) {
                    self.record(record);
                }
            }
            return;
        }
        if record.message_type.as_deref() == Some("gemini") {
            if let Some(model) = record.model {
                self.model = Some(model);
            }
            if let (Some(id), Some(tokens)) = (record.id, record.tokens) {
                self.tokens.record(&id, tokens.total);
            }
            return;
        }
        let Some(message) = record.into_message() else {
            return;
        };
        if message.message_type != "user" || message.content.is_only_function_responses() {
            return;
        }
        let text = message.content.text();
        if text.trim_start().starts_with(SESSION_CONTEXT_TAG) {
            if self.folder.is_none() {
                self.folder = workspace_folder(&text);
            }
        } else if self.prompt.is_none() {
            self.prompt = UserMessageText::from_message(&text, false);
        }
    }

    /// The model and tokens of a gemini message, without parsing its content. Gemini CLI writes
    /// the model right after the tokens object (after the content and thoughts, before any tool
    /// calls), so it is read there when it is there: the content is searched once, not twice.
    /// Otherwise the first `model` of the line counts.
    fn gemini(&mut self, bytes: &[u8]) {
        let tokens_at = TOKENS_FINDER.find(bytes);
        let model = tokens_at
            .and_then(|at| model_after_tokens(&bytes[at..]))
            .or_else(|| quoted_after(bytes, &MODEL_KEY_FINDER));
        if let Some(model) = model {
            keep_latest(&mut self.model, model);
        }
        let Some(at) = tokens_at else {
            return;
        };
        let tokens = &bytes[at + TOKENS_FINDER.needle().len()..];
        let (Some(total), Some(id)) = (tokens_total(tokens), quoted_after(bytes, &ID_FINDER))
        else {
            return;
        };
        self.tokens.record(&id, total);
    }
}

/// The `total` of the tokens object `tokens` starts with. Gemini CLI writes it compact
/// (`{"input":…,"total":N}`), and then the number is read where it stands; any other shape is
/// parsed (parsing every object was a tenth of the index's CPU for these chats).
fn tokens_total(tokens: &[u8]) -> Option<i64> {
    let compact = memchr::memchr(b'}', tokens)
        .map(|close| &tokens[..close])
        .filter(|object| object.starts_with(b"{"))
        .and_then(|object| {
            let at = TOTAL_FINDER.find(object)?;
            Some(&object[at + TOTAL_FINDER.needle().len()..])
        })
        .and_then(|number| {
            let digits = number
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .count();
            let rest = &number[digits..];
            let ends_here = rest.is_empty() || rest.starts_with(b",");
            (digits > 0 && ends_here)
                .then(|| std::str::from_utf8(&number[..digits]).ok()?.parse().ok())
                .flatten()
        });
    compact.or_else(|| {
        let mut values = serde_json::Deserializer::from_slice(tokens).into_iter::<GeminiTokens>();
        values.next()?.ok().map(|tokens| tokens.total)
    })
}

/// The first bytes of a line, where its kind is looked for.
fn prefix(line: &[u8]) -> &[u8] {
    &line[..line.len().min(PREFIX_SCAN_BYTES)]
}

/// The model named right after the tokens object that `from_tokens` starts with.
fn model_after_tokens(from_tokens: &[u8]) -> Option<Cow<'_, str>> {
    let close = memchr::memchr(b'}', from_tokens)?;
    let after = from_tokens[close + 1..].strip_prefix(b",")?;
    after
        .starts_with(MODEL_KEY_FINDER.needle())
        .then(|| quoted_after(after, &MODEL_KEY_FINDER))
        .flatten()
}

/// Derives the thread row of the Gemini CLI chat at `file`.
pub(crate) fn extract_gemini_chat(file: &FileStat) -> Result<ThreadRow, ExtractError> {
    let mut scan = Scan::default();
    // Gemini messages are read in place when the buffer holds them whole: never copied.
    scan_lines(
        &file.path,
        PREFIX_SCAN_BYTES,
        &mut scan,
        |scan, bytes, whole| match classify(prefix(bytes), scan.wants()) {
            GeminiLineClass::Skip => true,
            GeminiLineClass::Gemini if whole => {
                scan.gemini(bytes);
                true
            }
            GeminiLineClass::Gemini | GeminiLineClass::Parse => false,
        },
        Scan::line,
    )?;
    let id = scan
        .session_id
        .as_deref()
        .and_then(|id| id.parse::<ThreadId>().ok())
        .ok_or_else(|| ExtractError::NoThreadId {
            name_error: "the chat has no header with a session id".to_string(),
        })?;
    let created_at = scan
        .started_at
        .as_deref()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.timestamp_millis());
    let updated_at = last_line_time_ms(&file.path)
        .or(created_at)
        .unwrap_or(file.mtime_ns.div_euclid(1_000_000));
    let message = scan.prompt.unwrap_or_default();
    let source = match scan.kind.as_deref() {
        Some("main") | None => "cli".to_string(),
        Some(kind) => kind.to_string(),
    };
    Ok(ThreadRow {
        id,
        rollout_path: file.path.clone(),
        created_at: created_at.unwrap_or(updated_at),
        updated_at,
        source,
        model_provider: Some("google".to_string()),
        model: scan.model,
        cwd: recorded_project_root(&file.path)
            .or(scan.folder)
            .unwrap_or_default(),
        title: message.title,
        first_user_message: message.first_user_message,
        preview: message.preview,
        tokens_used: scan.tokens.sum(),
        archived: file.archived,
        git_sha: None,
        git_branch: None,
        git_origin_url: None,
        cli_version: String::new(),
        memory_mode: MemoryMode::Enabled,
        file_size: file.size,
        file_mtime_ns: file.mtime_ns,
        file_inode: file.inode,
        file_ctime_ns: file.ctime_ns,
        agent: Agent::Gemini,
    })
}

#[cfg(test)]
#[path = "gemini_tests.rs"]
mod tests;
