//! Thread metadata from one Claude Code session (its transcript and its subagents' sidechains),
//! reading only what the index needs. Each line's first bytes say what it is: bookkeeping lines,
//! attachments, system notes and — once the title is found — user lines are skipped unread;
//! assistant lines give the model from their first bytes and their token usage from the small
//! `usage` object alone. Only user lines up to the first prompt are parsed whole: that prompt
//! titles the thread and carries its cwd, branch, version and entrypoint. The version is the
//! time of the last line that has one (read from the end of each file).

use std::path::Path;
use std::sync::LazyLock;

use chrono::DateTime;
use codex_protocol::claude::{ClaudeLine, ClaudeUsage, sidechain_files};
use codex_protocol::{Agent, ThreadId};
use memchr::memmem::{Finder, FinderRev};

use crate::metadata::tail_time::last_line_time_ms;
use crate::metadata::{
    ExtractError, FileStat, MODEL_KEY_FINDER, TotalsById, UserMessageText, keep_latest,
    quoted_after, scan_lines, session_id_from_name,
};
use crate::threads::{MemoryMode, ThreadRow};

// Searchers for the keys looked for on every line, built once: building one per line costs
// more than the search.
static MESSAGE_ID_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""message":{"id":""#));
static ATTACHMENT_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""attachment":{"#));
static MESSAGE_FINDER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(br#""message":{"#));
static ASSISTANT_ROLE_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""role":"assistant""#));
static USER_ROLE_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""role":"user""#));
static SYSTEM_TYPE_FINDER: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(br#""type":"system""#));
/// A message's `usage` closes it, after its content: found from the line's end.
static USAGE_FINDER: LazyLock<FinderRev<'static>> =
    LazyLock::new(|| FinderRev::new(br#""usage":"#));

/// How far into a line its kind is looked for, in bytes.
const PREFIX_SCAN_BYTES: usize = 512;

/// What the first bytes of a Claude Code line say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClaudeLineClass {
    /// Not needed (bookkeeping, an attachment, a system note, a user line after the title).
    Skip,
    /// An assistant line: model and usage are picked out of it.
    Assistant,
    /// Parse it (a user line before the title, or an unusual layout).
    Parse,
}

/// Classifies a line from its prefix; `want_prompt` while the title is not found.
fn classify(prefix: &[u8], want_prompt: bool) -> ClaudeLineClass {
    // Bookkeeping lines start with their type.
    if let Some(rest) = prefix.strip_prefix(br#"{"type":""#) {
        let kind = rest.split(|&byte| byte == b'"').next().unwrap_or_default();
        return match kind {
            b"assistant" => ClaudeLineClass::Assistant,
            b"user" if want_prompt => ClaudeLineClass::Parse,
            b"user" | b"system" | b"attachment" => ClaudeLineClass::Skip,
            _ if kind.len() < rest.len() => ClaudeLineClass::Skip,
            _ => ClaudeLineClass::Parse,
        };
    }
    if ATTACHMENT_FINDER.find(prefix).is_some() {
        return ClaudeLineClass::Skip;
    }
    if let Some(at) = MESSAGE_FINDER.find(prefix) {
        let message = &prefix[at..];
        if ASSISTANT_ROLE_FINDER.find(message).is_some() {
            return ClaudeLineClass::Assistant;
        }
        if USER_ROLE_FINDER.find(message).is_some() {
            return if want_prompt {
                ClaudeLineClass::Parse
            } else {
                ClaudeLineClass::Skip
            };
        }
    }
    if SYSTEM_TYPE_FINDER.find(prefix).is_some() {
        return ClaudeLineClass::Skip;
    }
    ClaudeLineClass::Parse
}

/// What the scan gathered.
#[derive(Debug, Default)]
struct Scan {
    prompt: Option<UserMessageText>,
    /// The first message line read whole: cwd, branch, version, entrypoint, session, time.
    first: Option<ClaudeLine>,
    model: Option<String>,
    /// Token totals by response id (a response's lines repeat its usage).
    usage: TotalsById,
}

impl Scan {
    fn want_prompt(&self) -> bool {
        self.prompt.is_none()
    }

    fn line(&mut self, bytes: &[u8], main: bool) {
        let class = classify(prefix(bytes), main && self.want_prompt());
        match class {
            ClaudeLineClass::Skip => {}
            ClaudeLineClass::Assistant => self.assistant(bytes),
            ClaudeLineClass::Parse => {
                let Ok(text) = std::str::from_utf8(bytes) else {
                    return;
                };
                let Ok(line) = ClaudeLine::parse(text) else {
                    return;
                };
                if line.kind == "assistant" {
                    self.assistant(bytes);
                    return;
                }
                if !main || !line.is_message() {
                    return;
                }
                if self.first.is_none() && line.cwd.is_some() {
                    self.first = Some(line.clone());
                }
                if self.prompt.is_none()
                    && let Some(prompt) = line.user_prompt()
                {
                    self.prompt = UserMessageText::from_message(&prompt, false);
                    if self.prompt.is_some() {
                        self.first = Some(line);
                    }
                }
            }
        }
    }

    /// The model and token usage of an assistant line, without parsing its content.
    fn assistant(&mut self, bytes: &[u8]) {
        if let Some(model) = quoted_after(bytes, &MODEL_KEY_FINDER) {
            keep_latest(&mut self.model, model);
        }
        let Some(at) = USAGE_FINDER.rfind(bytes) else {
            return;
        };
        let mut values =
            serde_json::Deserializer::from_slice(&bytes[at + 8..]).into_iter::<ClaudeUsage>();
        let Some(Ok(usage)) = values.next() else {
            return;
        };
        match quoted_after(bytes, &MESSAGE_ID_FINDER) {
            Some(id) => self.usage.record(&id, usage.total()),
            None => self.usage.record_unnamed(usage.total()),
        }
    }
}

/// Feeds every line of `path` to `scan`, skipping what its first bytes say is not needed;
/// assistant lines are read in place when the buffer holds them whole, never copied.
fn scan_file(path: &Path, scan: &mut Scan, main: bool) -> Result<(), ExtractError> {
    scan_lines(
        path,
        PREFIX_SCAN_BYTES,
        scan,
        |scan, bytes, whole| match classify(prefix(bytes), main && scan.want_prompt()) {
            ClaudeLineClass::Skip => true,
            ClaudeLineClass::Assistant if whole => {
                scan.assistant(bytes);
                true
            }
            ClaudeLineClass::Assistant | ClaudeLineClass::Parse => false,
        },
        |scan, bytes| scan.line(bytes, main),
    )
}

/// The first bytes of a line, where its kind is looked for.
fn prefix(line: &[u8]) -> &[u8] {
    &line[..line.len().min(PREFIX_SCAN_BYTES)]
}

/// Derives the thread row of the Claude Code session `file` was found for.
pub(crate) fn extract_claude_session(file: &FileStat) -> Result<ThreadRow, ExtractError> {
    let mut scan = Scan::default();
    scan_file(&file.path, &mut scan, true)?;
    let sidechains = sidechain_files(&file.path);
    let mut updated_at = last_line_time_ms(&file.path);
    for sidechain in &sidechains {
        // A sidechain that cannot be read only loses its tokens and time, not the session.
        let _ = scan_file(sidechain, &mut scan, false);
        updated_at = updated_at.max(last_line_time_ms(sidechain));
    }
    let first = scan.first.unwrap_or_default();
    let id = session_id_from_name(&file.path)
        .or_else(|| {
            first
                .session_id
                .as_deref()
                .and_then(|id| id.parse::<ThreadId>().ok())
        })
        .ok_or_else(|| ExtractError::NoThreadId {
            name_error: "the file name is not a session id and no line names a session".to_string(),
        })?;
    let created_at = first
        .timestamp
        .as_deref()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.timestamp_millis());
    let updated_at = updated_at
        .or(created_at)
        .unwrap_or(file.mtime_ns.div_euclid(1_000_000));
    let message = scan.prompt.unwrap_or_default();
    Ok(ThreadRow {
        id,
        rollout_path: file.path.clone(),
        created_at: created_at.unwrap_or(updated_at),
        updated_at,
        source: claude_source(first.entrypoint.as_deref()).to_string(),
        model_provider: Some("anthropic".to_string()),
        model: scan.model,
        cwd: first.cwd.unwrap_or_default(),
        title: message.title,
        first_user_message: message.first_user_message,
        preview: message.preview,
        tokens_used: scan.usage.sum(),
        archived: file.archived,
        git_sha: None,
        git_branch: first.git_branch.filter(|branch| !branch.is_empty()),
        git_origin_url: None,
        cli_version: first.version.unwrap_or_default(),
        memory_mode: MemoryMode::Enabled,
        file_size: file.size,
        file_mtime_ns: file.mtime_ns,
        file_inode: file.inode,
        file_ctime_ns: file.ctime_ns,
        agent: Agent::Claude,
    })
}

/// The surface a Claude Code session ran on, in the index's words: the interactive CLI is
/// `cli`, the SDK and `claude -p` are `exec`, anything else is kept as written.
fn claude_source(entrypoint: Option<&str>) -> &str {
    match entrypoint {
        Some("cli") => "cli",
        Some(entry) if entry.starts_with("sdk") => "exec",
        Some(entry) => entry,
        None => "unknown",
    }
}

#[cfg(test)]
#[path = "claude_tests.rs"]
mod tests;
