//! How a request asks for the answer's JSON shape, and how that adapts to what an endpoint
//! accepts. The ladder is `json_schema` (strict) → `json_object` (with the schema in the format
//! where the server takes one) → no format at all (the prompt asks for JSON and the lenient
//! parser reads it). Under `auto`, a server that rejects a format — an HTTP error whose body
//! names the format — moves the shared setting one step down for every later request of the run;
//! the caller stores the result so the next run starts where this one ended.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use serde::{Deserialize, Serialize};

use super::ProviderError;

/// A way of asking for structured output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StructuredOutput {
    /// `json_schema` with `strict: true`.
    JsonSchema,
    /// `json_object`, with the schema alongside where the server takes it.
    JsonObject,
    /// No format: the prompt asks for JSON and the answer is read leniently.
    None,
}

impl StructuredOutput {
    /// The name used in settings, reports and the memories DB.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JsonSchema => "json_schema",
            Self::JsonObject => "json_object",
            Self::None => "none",
        }
    }

    /// Parses a name written by [`StructuredOutput::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "json_schema" => Some(Self::JsonSchema),
            "json_object" => Some(Self::JsonObject),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The next weaker way, if any.
    pub fn weaker(self) -> Option<Self> {
        match self {
            Self::JsonSchema => Some(Self::JsonObject),
            Self::JsonObject => Some(Self::None),
            Self::None => None,
        }
    }

    fn code(self) -> u8 {
        match self {
            Self::JsonSchema => 0,
            Self::JsonObject => 1,
            Self::None => 2,
        }
    }

    fn from_code(code: u8) -> Self {
        match code {
            0 => Self::JsonSchema,
            1 => Self::JsonObject,
            _ => Self::None,
        }
    }
}

impl std::fmt::Display for StructuredOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `structured_output` setting and what the endpoint was found to accept, shared by every
/// clone (so a client, its clones and the run that saves it see one value).
#[derive(Debug, Clone)]
pub struct StructuredOutputSetting {
    adaptive: bool,
    current: Arc<AtomicU8>,
}

impl Default for StructuredOutputSetting {
    fn default() -> Self {
        Self::auto_from(StructuredOutput::JsonSchema)
    }
}

impl PartialEq for StructuredOutputSetting {
    fn eq(&self, other: &Self) -> bool {
        self.adaptive == other.adaptive && self.current() == other.current()
    }
}

impl StructuredOutputSetting {
    /// `auto`, starting at `start` (what an earlier run found the endpoint accepts).
    pub fn auto_from(start: StructuredOutput) -> Self {
        Self {
            adaptive: true,
            current: Arc::new(AtomicU8::new(start.code())),
        }
    }

    /// Always `mode`, never adapting.
    pub fn fixed(mode: StructuredOutput) -> Self {
        Self {
            adaptive: false,
            current: Arc::new(AtomicU8::new(mode.code())),
        }
    }

    /// Whether a rejection moves the setting down.
    pub fn is_adaptive(&self) -> bool {
        self.adaptive
    }

    /// The way requests ask for structured output now.
    pub fn current(&self) -> StructuredOutput {
        StructuredOutput::from_code(self.current.load(Ordering::SeqCst))
    }

    /// After `tried` was rejected: the way to try next, or `None` when there is none (fixed
    /// setting, or nothing weaker). Concurrent requests that saw the same rejection step down
    /// only once.
    pub fn step_down(&self, tried: StructuredOutput) -> Option<StructuredOutput> {
        if !self.adaptive {
            return None;
        }
        let weaker = tried.weaker()?;
        match self.current.compare_exchange(
            tried.code(),
            weaker.code(),
            Ordering::SeqCst,
            Ordering::SeqCst,
        ) {
            Ok(_) => {
                tracing::info!(
                    rejected = tried.as_str(),
                    next = weaker.as_str(),
                    "the endpoint rejected the structured-output format; trying the next one"
                );
                Some(weaker)
            }
            // Someone else already stepped down: use what they chose if it is weaker still.
            Err(code) => {
                let now = StructuredOutput::from_code(code);
                (now > tried).then_some(now)
            }
        }
    }
}

/// What a request without the strict format adds to its instructions, so the model still knows
/// the exact shape (no grammar enforces it then).
pub fn schema_instructions(schema: &serde_json::Value) -> String {
    format!(
        "\n\nAnswer with one JSON object and nothing else: no prose, no code fence. It must match \
         this JSON schema exactly (every property present; use null where allowed):\n{schema}"
    )
}

/// Whether `error` is the server refusing the requested output format: an HTTP 400/422/500/501
/// whose body names `response_format`, `json_schema`, `text.format` or a grammar.
pub fn is_format_rejection(error: &ProviderError) -> bool {
    let ProviderError::Http { status, body, .. } = error else {
        return false;
    };
    if !matches!(status, 400 | 422 | 500 | 501) {
        return false;
    }
    let body = body.to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "text.format",
        "json_object",
        "grammar",
    ]
    .iter()
    .any(|needle| body.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn auto_steps_down_the_ladder_once_per_rejection_and_then_stops() {
        let setting = StructuredOutputSetting::default();
        let shared = setting.clone();
        assert_eq!(
            setting.step_down(StructuredOutput::JsonSchema),
            Some(StructuredOutput::JsonObject)
        );
        // A second request that saw the same rejection does not skip a rung.
        assert_eq!(
            shared.step_down(StructuredOutput::JsonSchema),
            Some(StructuredOutput::JsonObject)
        );
        assert_eq!(shared.current(), StructuredOutput::JsonObject);
        assert_eq!(
            setting.step_down(StructuredOutput::JsonObject),
            Some(StructuredOutput::None)
        );
        assert_eq!(setting.step_down(StructuredOutput::None), None);
    }

    #[test]
    fn a_fixed_setting_never_steps_down() {
        let setting = StructuredOutputSetting::fixed(StructuredOutput::JsonSchema);
        assert_eq!(setting.step_down(StructuredOutput::JsonSchema), None);
        assert_eq!(setting.current(), StructuredOutput::JsonSchema);
    }

    #[test]
    fn only_errors_that_name_the_format_are_format_rejections() {
        let http = |status: u16, body: &str| ProviderError::Http {
            url: "http://h/v1/chat/completions".into(),
            status,
            body: body.into(),
        };
        assert!(is_format_rejection(&http(
            500,
            "Traceback ... response_format type json_schema not supported"
        )));
        assert!(is_format_rejection(&http(
            400,
            "{\"error\":\"Invalid 'text.format'\"}"
        )));
        assert!(!is_format_rejection(&http(500, "CUDA out of memory")));
        assert!(!is_format_rejection(&http(404, "response_format")));
    }
}
