//! `SessionMeta`: the header of a session — its id, where it ran, which agent version and
//! surface started it — plus `SessionSource` and the optional git information.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::ThreadId;

/// The first line of a current-format rollout (and possibly later ones, e.g. after a fork).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// The thread this rollout records.
    pub id: ThreadId,
    /// When the session started (RFC 3339).
    pub timestamp: String,
    /// The working directory the session started in.
    #[serde(default)]
    pub cwd: String,
    /// Which client wrote the file, e.g. `codex_cli_rs`.
    #[serde(default)]
    pub originator: String,
    /// The agent version, e.g. `0.58.0`.
    #[serde(default)]
    pub cli_version: String,
    /// Custom instructions, when recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Which surface started the session; missing means `vscode` (older files).
    #[serde(default)]
    pub source: SessionSource,
    /// The model provider id, e.g. `openai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    /// `enabled`, `disabled` or `polluted` when the session set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mode: Option<String>,
    /// The repository state when the session started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
}

/// Git information recorded with a session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GitInfo {
    /// The HEAD commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_hash: Option<String>,
    /// The current branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The `origin` remote URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
}

/// Which surface started a session. Written as a string (`"cli"`) or, for sub-agents and custom
/// hosts, an object (`{"subagent": ...}`); any other form is kept verbatim in `Other`.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub enum SessionSource {
    /// The terminal UI.
    Cli,
    /// The IDE extension; also what a missing `source` means.
    #[default]
    Vscode,
    /// `codex exec`.
    Exec,
    /// Started through the MCP server.
    Mcp,
    /// Recorded as unknown by the agent.
    Unknown,
    /// A sub-agent (review, compaction, a spawned thread, …); the inner value as written.
    Subagent(Value),
    /// A custom host; the inner value as written.
    Custom(Value),
    /// A form this version does not know, kept as written.
    Other(Value),
}

impl SessionSource {
    /// A short name: `cli`, `vscode`, `exec`, `mcp`, `unknown`, `subagent`, `custom`, or the
    /// unknown string itself (`other` for unknown objects).
    pub fn name(&self) -> &str {
        match self {
            Self::Cli => "cli",
            Self::Vscode => "vscode",
            Self::Exec => "exec",
            Self::Mcp => "mcp",
            Self::Unknown => "unknown",
            Self::Subagent(_) => "subagent",
            Self::Custom(_) => "custom",
            Self::Other(Value::String(name)) => name,
            Self::Other(_) => "other",
        }
    }

    /// True for sessions run by a sub-agent rather than a person.
    pub fn is_subagent(&self) -> bool {
        matches!(self, Self::Subagent(_))
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Subagent(inner) => single_key_object("subagent", inner),
            Self::Custom(inner) => single_key_object("custom", inner),
            Self::Other(value) => value.clone(),
            simple => Value::String(simple.name().to_string()),
        }
    }

    fn from_value(value: Value) -> Self {
        match value {
            Value::String(name) => match name.as_str() {
                "cli" => Self::Cli,
                "vscode" => Self::Vscode,
                "exec" => Self::Exec,
                "mcp" => Self::Mcp,
                "unknown" => Self::Unknown,
                _ => Self::Other(Value::String(name)),
            },
            Value::Object(mut object) if object.len() == 1 => {
                if let Some(inner) = object.remove("subagent") {
                    Self::Subagent(inner)
                } else if let Some(inner) = object.remove("custom") {
                    Self::Custom(inner)
                } else {
                    Self::Other(Value::Object(object))
                }
            }
            other => Self::Other(other),
        }
    }
}

fn single_key_object(key: &str, inner: &Value) -> Value {
    let mut object = serde_json::Map::new();
    object.insert(key.to_string(), inner.clone());
    Value::Object(object)
}

impl Serialize for SessionSource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SessionSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn parse(value: Value) -> SessionSource {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn string_forms_parse_to_their_variants_and_back() {
        for (text, expected) in [
            ("cli", SessionSource::Cli),
            ("vscode", SessionSource::Vscode),
            ("exec", SessionSource::Exec),
            ("mcp", SessionSource::Mcp),
            ("unknown", SessionSource::Unknown),
        ] {
            let source = parse(json!(text));
            assert_eq!(source, expected);
            assert_eq!(serde_json::to_value(&source).unwrap(), json!(text));
        }
    }

    #[test]
    fn object_forms_keep_their_inner_value() {
        let subagent = json!({"subagent": {"thread_spawn": {"parent_thread_id": "x", "depth": 1}}});
        let source = parse(subagent.clone());
        assert!(source.is_subagent());
        assert_eq!(source.name(), "subagent");
        assert_eq!(serde_json::to_value(&source).unwrap(), subagent);

        let review = parse(json!({"subagent": "review"}));
        assert_eq!(review, SessionSource::Subagent(json!("review")));

        let custom = json!({"custom": "my-host"});
        assert_eq!(
            parse(custom.clone()),
            SessionSource::Custom(json!("my-host"))
        );
        assert_eq!(serde_json::to_value(parse(custom.clone())).unwrap(), custom);
    }

    #[test]
    fn unknown_forms_are_kept_verbatim() {
        assert_eq!(parse(json!("desktop")).name(), "desktop");
        let odd = json!({"robot": 1, "arm": 2});
        assert_eq!(parse(odd.clone()), SessionSource::Other(odd.clone()));
        assert_eq!(serde_json::to_value(parse(odd.clone())).unwrap(), odd);
    }

    #[test]
    fn missing_source_means_vscode() {
        let meta: SessionMeta = serde_json::from_value(json!({
            "id": "019a93b9-f380-7600-98ff-940e6b99603c",
            "timestamp": "2025-11-17T21:30:28.608Z",
            "cwd": "/tmp/x"
        }))
        .unwrap();
        assert_eq!(meta.source, SessionSource::Vscode);
    }
}
