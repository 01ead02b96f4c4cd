//! One line of a Gemini CLI chat, typed as far as codex-memories reads it: a header, a `$set`
//! patch, or a message record. Every field is optional; unknown fields are ignored.

use serde::Deserialize;
use serde_json::{Map, Value};

/// Any line of a chat file; [`GeminiRecord::kind`] tells which it is.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeminiRecord {
    /// Header: the session.
    pub session_id: Option<String>,
    /// Header: a hash of the project's folder.
    pub project_hash: Option<String>,
    /// Header: when the session (or its resumption) started.
    pub start_time: Option<String>,
    /// Header: when it was last updated.
    pub last_updated: Option<String>,
    /// Header: `main`, or another kind of session.
    pub kind: Option<String>,
    /// Patch: fields of the session to set.
    #[serde(rename = "$set")]
    pub set: Option<Map<String, Value>>,
    /// Message: its id.
    pub id: Option<String>,
    /// Message: when it was written.
    pub timestamp: Option<String>,
    /// Message: `user`, `gemini`, `info`, `error`, `warning`.
    #[serde(rename = "type")]
    pub message_type: Option<String>,
    /// Message: its content.
    pub content: Option<GeminiContent>,
    /// Message: token counts of a gemini response.
    pub tokens: Option<GeminiTokens>,
    /// Message: the model that answered.
    pub model: Option<String>,
    /// Message: the tools a gemini response called, with their results.
    pub tool_calls: Vec<GeminiToolCall>,
    /// Set when the line's JSON did not have the expected shape.
    #[serde(skip)]
    pub unexpected_shape: bool,
}

/// What a line of a chat file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// The session's header (a second one marks a resumed session).
    Header,
    /// A `$set` patch.
    Patch,
    /// A message.
    Message,
    /// Anything else.
    Unknown,
}

/// A message of the conversation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeminiMessage {
    /// Its id; a later record with the same id replaces it.
    pub id: String,
    /// When it was written.
    pub timestamp: Option<String>,
    /// `user`, `gemini`, `info`, `error`, `warning`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Its content.
    pub content: GeminiContent,
    /// Token counts of a gemini response.
    pub tokens: Option<GeminiTokens>,
    /// The model that answered.
    pub model: Option<String>,
    /// The tools a gemini response called, with their results.
    pub tool_calls: Vec<GeminiToolCall>,
}

/// A message's content: text, or parts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum GeminiContent {
    /// Plain text (a gemini answer).
    Text(String),
    /// Parts (a user message: text, or the function responses it sends back).
    Parts(Vec<GeminiPart>),
    /// Any other shape, kept as written.
    Other(Value),
}

impl Default for GeminiContent {
    fn default() -> Self {
        Self::Text(String::new())
    }
}

/// One part of a message.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeminiPart {
    /// Text.
    pub text: Option<String>,
    /// A tool result sent back to the model.
    pub function_response: Option<Value>,
    /// A tool call.
    pub function_call: Option<Value>,
    /// Inline data (an image, a file).
    pub inline_data: Option<Value>,
}

/// Token counts of one gemini response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GeminiTokens {
    /// Input tokens.
    pub input: i64,
    /// Output tokens.
    pub output: i64,
    /// Cached input tokens.
    pub cached: i64,
    /// Thinking tokens.
    pub thoughts: i64,
    /// Tool tokens.
    pub tool: i64,
    /// All tokens.
    pub total: i64,
}

/// A tool a gemini response called, with its result.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GeminiToolCall {
    /// Links the call to its result.
    pub id: String,
    /// The tool: `run_shell_command`, `read_file`, `replace`, `write_file`, …
    pub name: String,
    /// Its arguments.
    pub args: Value,
    /// Its result parts (`[{"functionResponse": {"response": {"output"|"error": …}}}]`).
    pub result: Option<Value>,
    /// `success`, `error`, `cancelled`, …
    pub status: Option<String>,
}

/// Why a line could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson(pub String);

impl GeminiRecord {
    /// Reads one line. JSON of an unexpected shape is still a record (of unknown kind); only
    /// text that is not a JSON object is an error.
    pub fn parse(text: &str) -> Result<Self, NotJson> {
        match serde_json::from_str::<Self>(text) {
            Ok(record) => Ok(record),
            Err(error) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(_)) => Ok(Self {
                    unexpected_shape: true,
                    ..Self::default()
                }),
                Ok(_) => Err(NotJson("JSON, but not an object".to_string())),
                Err(_) => Err(NotJson(error.to_string())),
            },
        }
    }

    /// What the line is.
    pub fn kind(&self) -> RecordKind {
        if self.unexpected_shape {
            RecordKind::Unknown
        } else if self.set.is_some() {
            RecordKind::Patch
        } else if self.id.is_some() && self.message_type.is_some() {
            RecordKind::Message
        } else if self.session_id.is_some() && self.start_time.is_some() {
            RecordKind::Header
        } else {
            RecordKind::Unknown
        }
    }

    /// The kind for counting: `header`, `$set/<fields>`, `message/<type>`, or ` (unknown)`.
    pub fn kind_label(&self) -> String {
        match self.kind() {
            RecordKind::Header => "header".to_string(),
            RecordKind::Patch => {
                let keys: Vec<&str> = self
                    .set
                    .iter()
                    .flat_map(|set| set.keys())
                    .map(String::as_str)
                    .collect();
                format!("$set/{}", keys.join("+"))
            }
            RecordKind::Message => format!(
                "message/{}",
                self.message_type.as_deref().unwrap_or_default()
            ),
            RecordKind::Unknown => "record (unknown)".to_string(),
        }
    }

    /// The message this record is, when it is one.
    pub fn into_message(self) -> Option<GeminiMessage> {
        (self.kind() == RecordKind::Message).then(|| GeminiMessage {
            id: self.id.unwrap_or_default(),
            timestamp: self.timestamp,
            message_type: self.message_type.unwrap_or_default(),
            content: self.content.unwrap_or_default(),
            tokens: self.tokens,
            model: self.model,
            tool_calls: self.tool_calls,
        })
    }
}

impl GeminiContent {
    /// The text parts joined by newlines (the text itself for plain text).
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Parts(parts) => parts
                .iter()
                .filter_map(|part| part.text.as_deref())
                .collect::<Vec<_>>()
                .join("\n"),
            Self::Other(_) => String::new(),
        }
    }

    /// Whether every part is a function response (the tool results sent back to the model,
    /// which the gemini message's `toolCalls` already hold).
    pub fn is_only_function_responses(&self) -> bool {
        matches!(self, Self::Parts(parts)
            if !parts.is_empty() && parts.iter().all(|part| part.function_response.is_some()))
    }
}
