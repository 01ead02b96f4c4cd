//! Reading a Gemini CLI chat file: headers (a second one is a resumption), `$set` patches
//! merged into the session, and messages kept in the order they first appeared with the content
//! of their last write. Bad lines are counted, never fatal.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::gemini::items::gemini_session_items;
use crate::gemini::record::{GeminiMessage, GeminiRecord, RecordKind};
use crate::{BadLine, JsonlReader, RolloutError, SessionItems};

/// The file beside `chats/` where Gemini CLI records the project's folder.
pub const PROJECT_ROOT_FILE_NAME: &str = ".project_root";

/// One chat file, read.
#[derive(Debug, Clone, Default)]
pub struct GeminiChat {
    /// The file.
    pub path: PathBuf,
    /// The first header.
    pub header: Option<GeminiRecord>,
    /// How many more headers followed (each a resumed session).
    pub resumptions: u64,
    /// The session's fields as the `$set` patches left them (`messages` aside).
    pub session: Map<String, Value>,
    /// The messages, in first-seen order, each as last written.
    pub messages: Vec<GeminiMessage>,
    /// How many lines of each kind were read.
    pub kinds: BTreeMap<String, u64>,
    /// Lines read, good and bad.
    pub lines_read: u64,
    /// The lines that could not be read (the first 1 000).
    pub bad_lines: Vec<BadLine>,
    /// How many lines could not be read.
    pub bad_line_count: u64,
}

impl GeminiChat {
    /// Reads every line of `path`.
    pub fn read(path: &Path) -> Result<Self, RolloutError> {
        let mut reader = JsonlReader::open(path)?;
        let mut chat = Self {
            path: path.to_path_buf(),
            ..Self::default()
        };
        let mut positions: HashMap<String, usize> = HashMap::new();
        while let Some(line) = reader.next_text()? {
            let position = line.position();
            let record = match GeminiRecord::parse(line.text) {
                Ok(record) => record,
                Err(error) => {
                    reader.record_invalid_json(position, error.0);
                    continue;
                }
            };
            *chat.kinds.entry(record.kind_label()).or_default() += 1;
            match record.kind() {
                RecordKind::Header if chat.header.is_none() => chat.header = Some(record),
                RecordKind::Header => chat.resumptions += 1,
                RecordKind::Patch => {
                    for (key, value) in record.set.unwrap_or_default() {
                        match (key.as_str(), value) {
                            ("messages", Value::Array(messages)) => {
                                for message in messages {
                                    if let Ok(message) = serde_json::from_value(message) {
                                        upsert(&mut chat.messages, &mut positions, message);
                                    }
                                }
                            }
                            (_, value) => {
                                chat.session.insert(key, value);
                            }
                        }
                    }
                }
                RecordKind::Message => {
                    if let Some(message) = record.into_message() {
                        upsert(&mut chat.messages, &mut positions, message);
                    }
                }
                RecordKind::Unknown => {}
            }
        }
        chat.lines_read = reader.lines_read();
        chat.bad_lines = reader.bad_lines().to_vec();
        chat.bad_line_count = reader.bad_line_count();
        Ok(chat)
    }

    /// The session id: the header's, else the one a patch set.
    pub fn session_id(&self) -> Option<&str> {
        self.header
            .as_ref()
            .and_then(|header| header.session_id.as_deref())
            .or_else(|| self.session.get("sessionId").and_then(Value::as_str))
    }

    /// The project's folder as Gemini CLI recorded it beside `chats/`.
    pub fn recorded_project_root(&self) -> Option<String> {
        recorded_project_root(&self.path)
    }
}

/// The project's folder Gemini CLI recorded in `.project_root` beside the `chats/` folder of the
/// chat at `path`, when it did.
pub fn recorded_project_root(path: &Path) -> Option<String> {
    let project = path.parent()?.parent()?;
    let text = std::fs::read_to_string(project.join(PROJECT_ROOT_FILE_NAME)).ok()?;
    let root = text.trim();
    (!root.is_empty()).then(|| root.to_string())
}

/// Keeps a message where its id first appeared, with the content of its last write. A write
/// without tool calls keeps the ones an earlier write recorded: a resumed session sets its
/// history again in the API's form (calls as `functionCall` parts, results in separate
/// messages), without the `toolCalls` that hold the results.
fn upsert(
    messages: &mut Vec<GeminiMessage>,
    positions: &mut HashMap<String, usize>,
    mut message: GeminiMessage,
) {
    match positions.get(&message.id) {
        Some(&at) => {
            if message.tool_calls.is_empty() {
                message.tool_calls = std::mem::take(&mut messages[at].tool_calls);
            }
            messages[at] = message;
        }
        None => {
            positions.insert(message.id.clone(), messages.len());
            messages.push(message);
        }
    }
}

/// Reads the chat at `path` as one conversation.
pub fn read_gemini_session(path: &Path) -> Result<SessionItems, RolloutError> {
    let chat = GeminiChat::read(path)?;
    Ok(gemini_session_items(&chat))
}
