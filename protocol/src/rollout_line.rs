//! One line of a rollout file, in either format: the current envelope
//! (`{"timestamp","ordinal"?,"type","payload","metadata"?}`; `ordinal` and `metadata` since
//! Codex 0.169) or the legacy pre-envelope format (a `{"id","timestamp","instructions"}` header,
//! bare response items and `{"record_type":"state"}` lines). Parsing a line never fails because
//! of an unknown tag: unknown kinds land in `Other` arms.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::{
    Compacted, CompletedItem, EventMsg, GitInfo, ResponseItem, SessionMeta, ThreadId,
    TokenUsageRecord, TurnContext, WorldState,
};

/// Which of the two rollout layouts a line (or file) uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RolloutFormat {
    /// `{"timestamp": ..., "type": ..., "payload": {...}}` (current).
    Envelope,
    /// No envelope: header line, bare response items, state lines (2025 and earlier).
    Legacy,
}

impl RolloutFormat {
    /// `envelope` or `legacy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envelope => "envelope",
            Self::Legacy => "legacy",
        }
    }
}

/// One parsed rollout line.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutLine {
    /// The envelope's timestamp (RFC 3339); `None` for legacy lines that carry none.
    pub timestamp: Option<String>,
    /// The line's position in the session (Codex 0.169+: 0 for the first line).
    pub ordinal: Option<u64>,
    /// The layout this line was written in.
    pub format: RolloutFormat,
    /// What the line records.
    pub item: RolloutItem,
    /// Where a response item stands in the model's history (Codex 0.169+).
    pub metadata: Option<LineMetadata>,
}

/// The `metadata` of a Codex 0.169 response-item line. Fields this version does not name are
/// kept in `other`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LineMetadata {
    /// The item's position in the model's history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_sequence: Option<u64>,
    /// The last history position the model had seen when it produced the item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_through_sequence: Option<u64>,
    /// Every other field, as written.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl RolloutLine {
    /// An envelope line at `timestamp` (no ordinal, no metadata).
    pub fn envelope(timestamp: impl Into<String>, item: RolloutItem) -> Self {
        Self {
            timestamp: Some(timestamp.into()),
            ordinal: None,
            format: RolloutFormat::Envelope,
            item,
            metadata: None,
        }
    }
}

/// What one rollout line records.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RolloutItem {
    /// `session_meta`: the session header.
    SessionMeta(SessionMeta),
    /// `response_item` (or a bare item in a legacy file).
    ResponseItem(ResponseItem),
    /// `event_msg`.
    EventMsg(EventMsg),
    /// `turn_context`.
    TurnContext(TurnContext),
    /// `compacted`.
    Compacted(Compacted),
    /// `world_state` (Codex 0.169+).
    WorldState(WorldState),
    /// `token_usage_record` (Codex 0.169+).
    TokenUsageRecord(TokenUsageRecord),
    /// The first line of a legacy file.
    LegacyHeader(LegacyHeader),
    /// A legacy `{"record_type": "state", ...}` line, kept as written.
    LegacyState(Value),
    /// An envelope tag this version does not know (e.g. `inter_agent_communication`), or a known
    /// tag whose payload could not be read as that kind, kept as written.
    Other {
        /// The envelope's `type`.
        kind: String,
        /// The payload as written.
        payload: Value,
    },
}

/// The header line of a legacy rollout: `{"id", "timestamp", "instructions", "git"?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyHeader {
    /// The thread id.
    pub id: ThreadId,
    /// When the session started.
    pub timestamp: String,
    /// Custom instructions, when recorded.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Git information, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
}

impl RolloutItem {
    /// The line's top-level kind: `session_meta`, `response_item`, `event_msg`, `turn_context`,
    /// `compacted`, `legacy_header`, `legacy_state`, or an unknown envelope tag.
    pub fn kind(&self) -> &str {
        match self {
            Self::SessionMeta(_) => "session_meta",
            Self::ResponseItem(_) => "response_item",
            Self::EventMsg(_) => "event_msg",
            Self::TurnContext(_) => "turn_context",
            Self::Compacted(_) => "compacted",
            Self::WorldState(_) => "world_state",
            Self::TokenUsageRecord(_) => "token_usage_record",
            Self::LegacyHeader(_) => "legacy_header",
            Self::LegacyState(_) => "legacy_state",
            Self::Other { kind, .. } => kind,
        }
    }

    /// The kind with the inner tag where there is one: `response_item/function_call`,
    /// `event_msg/token_count`, `event_msg/item_completed/UserMessage`, `session_meta`, … Kinds
    /// kept verbatim in an `Other` arm are marked ` (unknown)`, so a reader can tell a recognised
    /// item from a tolerated one.
    pub fn kind_label(&self) -> String {
        const UNKNOWN: &str = " (unknown)";
        match self {
            Self::EventMsg(EventMsg::ItemCompleted {
                item: item @ CompletedItem::Other(_),
                ..
            }) => format!("event_msg/item_completed/{}{UNKNOWN}", item.kind()),
            Self::EventMsg(EventMsg::ItemCompleted { item, .. }) => {
                format!("event_msg/item_completed/{}", item.kind())
            }
            Self::ResponseItem(item @ ResponseItem::Other(_)) => {
                format!("response_item/{}{UNKNOWN}", item.kind())
            }
            Self::ResponseItem(item) => format!("response_item/{}", item.kind()),
            Self::EventMsg(event @ EventMsg::Other(_)) => {
                format!("event_msg/{}{UNKNOWN}", event.kind())
            }
            Self::EventMsg(event) => format!("event_msg/{}", event.kind()),
            Self::Other { kind, .. } => format!("{kind}{UNKNOWN}"),
            known => known.kind().to_string(),
        }
    }

    /// Writes the payload as compact JSON in its types' field order (an enum's tag first).
    pub(crate) fn write_payload(&self, sink: &mut impl std::io::Write) -> serde_json::Result<()> {
        match self {
            Self::SessionMeta(meta) => serde_json::to_writer(sink, meta),
            Self::ResponseItem(item) => serde_json::to_writer(sink, item),
            Self::EventMsg(event) => serde_json::to_writer(sink, event),
            Self::TurnContext(context) => serde_json::to_writer(sink, context),
            Self::Compacted(compacted) => serde_json::to_writer(sink, compacted),
            Self::WorldState(state) => serde_json::to_writer(sink, state),
            Self::TokenUsageRecord(record) => serde_json::to_writer(sink, record),
            Self::LegacyHeader(header) => serde_json::to_writer(sink, header),
            Self::LegacyState(value) => serde_json::to_writer(sink, value),
            Self::Other { payload, .. } => serde_json::to_writer(sink, payload),
        }
    }

    /// The thread id this line declares, for header lines.
    pub fn declared_thread_id(&self) -> Option<ThreadId> {
        match self {
            Self::SessionMeta(meta) => Some(meta.id),
            Self::LegacyHeader(header) => Some(header.id),
            _ => None,
        }
    }
}

/// Why a line's JSON was not a rollout line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineShapeError {
    /// Not JSON at all.
    InvalidJson(String),
    /// JSON, but neither an envelope nor a legacy line.
    NotARolloutLine(String),
}

/// Only the fields that decide a line's layout; everything else is skipped, not built.
#[derive(Deserialize)]
struct LineProbe<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    ordinal: Option<u64>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    record_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
}

impl RolloutLine {
    /// Parses one line's text (without its newline).
    pub(crate) fn parse(text: &str) -> Result<Self, LineShapeError> {
        let probe: LineProbe<'_> =
            serde_json::from_str(text).map_err(|error| classify_json_error(text, error))?;
        if let (Some(kind), Some(payload)) = (&probe.kind, probe.payload) {
            let item = parse_envelope_payload(kind, payload);
            // Metadata in an unexpected shape is dropped, never a reason to lose the line.
            let metadata = probe
                .metadata
                .and_then(|raw| serde_json::from_str(raw.get()).ok());
            return Ok(Self {
                timestamp: probe.timestamp,
                ordinal: probe.ordinal,
                format: RolloutFormat::Envelope,
                item,
                metadata,
            });
        }
        let item = if probe.record_type.is_some() {
            RolloutItem::LegacyState(parse_value(text)?)
        } else if probe.kind.is_some() {
            RolloutItem::ResponseItem(serde_json::from_str(text).map_err(|error| {
                LineShapeError::NotARolloutLine(format!("legacy response item: {error}"))
            })?)
        } else if probe.id.is_some() && probe.timestamp.is_some() {
            RolloutItem::LegacyHeader(serde_json::from_str(text).map_err(|error| {
                LineShapeError::NotARolloutLine(format!("legacy header: {error}"))
            })?)
        } else {
            return Err(LineShapeError::NotARolloutLine(
                "has no `type`/`payload` envelope and is not a legacy header or item".to_string(),
            ));
        };
        Ok(Self {
            timestamp: None,
            ordinal: None,
            format: RolloutFormat::Legacy,
            item,
            metadata: None,
        })
    }

    /// The line as a JSON value, exactly as the writer emits it.
    pub fn to_json(&self) -> Value {
        let payload = match &self.item {
            RolloutItem::SessionMeta(meta) => to_value(meta),
            RolloutItem::ResponseItem(item) => to_value(item),
            RolloutItem::EventMsg(event) => to_value(event),
            RolloutItem::TurnContext(context) => to_value(context),
            RolloutItem::Compacted(compacted) => to_value(compacted),
            RolloutItem::WorldState(state) => to_value(state),
            RolloutItem::TokenUsageRecord(record) => to_value(record),
            RolloutItem::LegacyHeader(header) => to_value(header),
            RolloutItem::LegacyState(value) => value.clone(),
            RolloutItem::Other { payload, .. } => payload.clone(),
        };
        match self.format {
            RolloutFormat::Legacy => payload,
            RolloutFormat::Envelope => {
                let mut envelope = serde_json::Map::new();
                if let Some(timestamp) = &self.timestamp {
                    envelope.insert("timestamp".to_string(), Value::String(timestamp.clone()));
                }
                if let Some(ordinal) = self.ordinal {
                    envelope.insert("ordinal".to_string(), Value::from(ordinal));
                }
                envelope.insert(
                    "type".to_string(),
                    Value::String(self.item.kind().to_string()),
                );
                envelope.insert("payload".to_string(), payload);
                if let Some(metadata) = &self.metadata {
                    envelope.insert("metadata".to_string(), to_value(metadata));
                }
                Value::Object(envelope)
            }
        }
    }
}

fn to_value<T: Serialize>(value: &T) -> Value {
    // Serializing these plain data types into a `Value` cannot fail: no maps with non-string
    // keys and no custom serializers that error.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn parse_value(text: &str) -> Result<Value, LineShapeError> {
    serde_json::from_str(text).map_err(|error| LineShapeError::InvalidJson(error.to_string()))
}

fn classify_json_error(text: &str, error: serde_json::Error) -> LineShapeError {
    if error.is_data() {
        // Valid JSON of the wrong shape, e.g. an array or a `type` that is not a string.
        let what = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => "a JSON object with unexpected field types",
            Ok(_) => "JSON, but not an object",
            Err(_) => "not JSON",
        };
        LineShapeError::NotARolloutLine(format!("{what}: {error}"))
    } else {
        LineShapeError::InvalidJson(error.to_string())
    }
}

fn parse_envelope_payload(kind: &str, payload: &RawValue) -> RolloutItem {
    let json = payload.get();
    let parsed = match kind {
        "session_meta" => serde_json::from_str(json).map(RolloutItem::SessionMeta),
        "response_item" => serde_json::from_str(json).map(RolloutItem::ResponseItem),
        "event_msg" => serde_json::from_str(json).map(RolloutItem::EventMsg),
        "turn_context" => serde_json::from_str(json).map(RolloutItem::TurnContext),
        "compacted" => serde_json::from_str(json).map(RolloutItem::Compacted),
        "world_state" => serde_json::from_str(json).map(RolloutItem::WorldState),
        "token_usage_record" => serde_json::from_str(json).map(RolloutItem::TokenUsageRecord),
        _ => Err(serde::de::Error::custom("unknown kind")),
    };
    parsed.unwrap_or_else(|_| RolloutItem::Other {
        kind: kind.to_string(),
        payload: serde_json::from_str(json).unwrap_or(Value::Null),
    })
}
